// Source: https://github.com/opencontainers/image-spec/blob/main/specs-go/v1/manifest.go

/// An image manifest (OCI, or Docker schema 2, which has the same shape).
public struct OCIManifest: Codable, Hashable, Sendable {
    /// Always 2.
    public var schemaVersion: Int?
    /// The manifest's media type, when it says.
    public var mediaType: MediaType?
    /// The artifact type, for artifacts such as attestations.
    public var artifactType: MediaType?
    /// The image config.
    public var config: Descriptor
    /// The layers, bottom to top.
    public var layers: [Descriptor]
    /// The manifest this one refers to (attestations, signatures).
    public var subject: Descriptor?
    /// Annotations.
    public var annotations: [String: String]?
}
