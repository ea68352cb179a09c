import ByteIO

/// The seam every compressor that `imgtool pack` writes through fits: a ``ByteIO/ByteSink`` that
/// compresses what it is given into a series of members whose boundaries the caller chooses.
///
/// What is written goes into the current member until ``endMember()``; the next write starts a
/// new member, compressed from a fresh start, so that a member's bytes depend on its own content
/// (and the compressor's settings) only. gzip's `ParallelDeflater` is one (a member is a gzip
/// member); zstd's `ZstdCompressor` is another (a member is a zstd frame). Both compress on
/// several threads and give the same bytes whatever the thread count.
public protocol MemberCompressor: ByteSink {
    /// The format of the stream written.
    var format: CompressionFormat { get }
    /// How many threads compress.
    var threads: Int { get }
    /// Compressed bytes written to the wrapped sink so far.
    var compressedBytesWritten: Int64 { get }
    /// The members written so far, complete, in order.
    var writtenMembers: [CompressedMember] { get }

    /// Ends the current member, if it has any bytes; the next write starts a new one.
    mutating func endMember() throws

    /// Stops compressing after a failure elsewhere: what is in flight is dropped, nothing more
    /// is written, and the wrapped sink is not finished.
    mutating func cancel()
}
