import ByteIO
import Codec
import OCI

/// What ``ArchivePacker`` read and wrote: the archive as ``ImageArchive/read(_:options:)``
/// reads it, and the members of the output (gzip members, or zstd frames).
public struct PackedArchive: Sendable {
    /// The archive that was read (its `compression`, `gzipMembers` and `inputBytes` describe
    /// the input), with every integrity problem found.
    public var archive: ImageArchive
    /// The format of the output: gzip or zstd.
    public var format: CompressionFormat
    /// The members written (gzip members, or zstd frames), in order; they cover the output with no gap.
    public var members: [PackedMember]
    /// Bytes of the tar stream, which the output decompresses to.
    public var tarBytes: Int64
    /// Bytes of the compressed output.
    public var compressedBytes: Int64
    /// The compression level used.
    public var level: Int32
    /// How many threads compressed.
    public var threads: Int
    /// What the cache did, when ``PackOptions/cache`` named one.
    public var cache: PackCacheReport?
    /// The SHA-256 of the output, when ``PackOptions/hashesOutput`` asked for it.
    public var outputDigest: Digest?

    /// Whether the output holds the input's tar: `false` only when a member taken from the
    /// cache turned out not to hold the bytes the pass read (``PackCacheReport/mismatches``).
    /// Keep the output only when this holds; packing again without reading the cache gives
    /// the right bytes.
    public var outputMatchesInput: Bool { cache?.mismatches.isEmpty ?? true }
}
