import ByteIO

/// The seam every decompressor of the package fits: a ``ByteIO/ByteSource`` of decompressed
/// bytes over a source of compressed ones, which counts what it took and gave.
///
/// gzip's `Inflater` is one; a zstd decompressor is a sibling of the same shape, and the archive
/// reader picks one by ``CompressionFormat`` without knowing either. A decompressor reads every
/// member (gzip) or frame (zstd) of a concatenated stream, and throws its own module's error for
/// bad data, located by compressed offset; errors of the source under it pass through unchanged.
public protocol Decompressor: ByteSource {
    /// Compressed bytes consumed from the start of the stream.
    var compressedBytesConsumed: Int64 { get }
    /// Decompressed bytes handed out so far.
    var bytesProduced: Int64 { get }
    /// Members (gzip) or frames (zstd) decompressed to their end, their checks passed.
    var membersCompleted: Int { get }
}
