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

    /// A schema-2 manifest.
    /// - Parameters:
    ///   - mediaType: The manifest's media type (OCI or Docker).
    ///   - config: The config's descriptor.
    ///   - layers: The layers' descriptors, bottom to top.
    public init(mediaType: MediaType, config: Descriptor, layers: [Descriptor]) {
        self.schemaVersion = 2
        self.mediaType = mediaType
        self.config = config
        self.layers = layers
    }
}
