import ByteIO
import Gzip

/// What ``ArchivePacker`` read and wrote: the archive as ``ImageArchive/read(_:options:)``
/// reads it, and the gzip members of the output.
public struct PackedArchive: Sendable {
    /// The archive that was read (its `compression`, `gzipMembers` and `inputBytes` describe
    /// the input), with every integrity problem found.
    public var archive: ImageArchive
    /// The gzip members written, in order; they cover the output with no gap.
    public var members: [PackedMember]
    /// Bytes of the tar stream, which the output decompresses to.
    public var tarBytes: Int64
    /// Bytes of the gzip output.
    public var compressedBytes: Int64
    /// The compression level used.
    public var level: Int32
    /// How many threads compressed.
    public var threads: Int
}
