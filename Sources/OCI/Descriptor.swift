// Source: https://github.com/opencontainers/image-spec/blob/main/specs-go/v1/descriptor.go

/// A content descriptor: what a blob is, its digest and its size.
public struct Descriptor: Codable, Hashable, Sendable {
    /// The blob's media type.
    public var mediaType: MediaType
    /// The blob's digest.
    public var digest: Digest
    /// The blob's size in bytes.
    public var size: Int64
    /// The platform, on index entries.
    public var platform: Platform?
    /// Annotations such as `org.opencontainers.image.ref.name`.
    public var annotations: [String: String]?
    /// The artifact type, on artifact manifests' index entries.
    public var artifactType: MediaType?
    /// Alternative locations (foreign layers).
    public var urls: [String]?

    /// Creates a descriptor.
    /// - Parameters:
    ///   - mediaType: The media type.
    ///   - digest: The digest.
    ///   - size: The size.
    public init(mediaType: MediaType, digest: Digest, size: Int64) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
    }

    /// The annotation key of a reference name on `index.json` entries.
    public static let refNameAnnotation = "org.opencontainers.image.ref.name"
    /// The annotation key with which containerd and Docker name the image on `index.json` entries.
    public static let containerdNameAnnotation = "io.containerd.image.name"
    /// buildkit's annotation that marks an attestation manifest.
    public static let referenceTypeAnnotation = "vnd.docker.reference.type"
    /// buildkit's annotation naming the manifest an attestation describes.
    public static let referenceDigestAnnotation = "vnd.docker.reference.digest"

    /// Whether this index entry is a buildkit attestation manifest (to be skipped as an image).
    public var isAttestation: Bool {
        annotations?[Self.referenceTypeAnnotation] == "attestation-manifest"
            || artifactType == .dockerAttestationManifest
            || (platform?.isUnknown ?? false)
    }
}
