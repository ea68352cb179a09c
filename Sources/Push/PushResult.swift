import ImageArchive
import OCI

/// What a push did.
public struct PushResult: Sendable {
    /// The archive as read and verified.
    public var archive: ImageArchive
    /// Every blob of the archive that went to the registry (or was found there), in archive order.
    public var blobs: [PushedBlob]
    /// The manifests put, per-platform ones first, the tagged one last; empty when the checks
    /// stopped the push before them.
    public var manifests: [PushedManifest]
    /// The images pushed.
    public var images: [ArchiveImage]
    /// Whether the tag was set.
    public var tagged: Bool
    /// Requests sent (token requests included).
    public var requests: Int
    /// Bytes sent in request bodies.
    public var bytesSent: Int64
}

/// A manifest or index put.
public struct PushedManifest: Sendable {
    /// Its digest.
    public var digest: Digest
    /// Its media type.
    public var mediaType: MediaType
    /// Its size.
    public var size: Int64
    /// The platform of an image manifest.
    public var platform: Platform?
    /// The tag it was put under, for the last one.
    public var tag: String?
}
