// Source: https://github.com/opencontainers/image-spec/blob/main/specs-go/v1/index.go

/// An image index (`index.json`, or a nested multi-platform index, or a Docker manifest list).
public struct OCIIndex: Codable, Hashable, Sendable {
    /// Always 2.
    public var schemaVersion: Int?
    /// The index's media type, when it says.
    public var mediaType: MediaType?
    /// The manifests and indexes it lists; Docker 25 writes `null` for an untagged image.
    public var manifests: [Descriptor]?
    /// Annotations.
    public var annotations: [String: String]?

    /// An index (OCI) or manifest list (Docker) of the manifests given.
    /// - Parameters:
    ///   - mediaType: The index's media type.
    ///   - manifests: The manifests' descriptors, each with its platform.
    public init(mediaType: MediaType, manifests: [Descriptor]) {
        self.schemaVersion = 2
        self.mediaType = mediaType
        self.manifests = manifests
    }
}
