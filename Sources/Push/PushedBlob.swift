import Codec
import OCI

/// What became of one blob of the archive.
public struct PushedBlob: Sendable {
    /// How the registry came to hold it.
    public enum Outcome: String, Sendable, Codable {
        /// Sent whole.
        case uploaded
        /// An interrupted upload taken up: only the rest was sent.
        case resumed
        /// The repository had it (`HEAD`): nothing sent.
        case existed
        /// Mounted from another repository of the registry: nothing sent.
        case mounted
    }

    /// The archive member it came from.
    public var member: String
    /// Its digest in the registry.
    public var digest: Digest
    /// Its size in the registry.
    public var size: Int64
    /// How the registry's blob is compressed (`none` for a config).
    public var compression: CompressionFormat
    /// Whether imgtool compressed it on the way (an uncompressed layer of the archive).
    public var compressedOnTheWay: Bool
    /// How the registry came to hold it.
    public var outcome: Outcome
    /// Bytes sent for it.
    public var bytesSent: Int64
    /// The repository it was mounted from.
    public var mountedFrom: String?
    /// The layer's diff_id the push cache recorded, when the blob was found through it: the
    /// archive's layer must have it.
    public var expectedDiffID: Digest?
    /// The push cache's key for the layer (compressed layers only).
    public var cacheKey: String?
}
