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

    /// Who sees each member's compressed bytes as they are written (`imgtool pack`'s cache
    /// keeps the members of layers from here); `nil` for nobody.
    var observer: (any CompressedMemberObserver)? { get set }

    /// Writes a member compressed earlier, as it is, after everything written so far: ends the
    /// current member, writes out what is in flight, then lets `body` write the member's bytes
    /// to the wrapped sink (in as many pieces as it likes, through the function it is given)
    /// and records the member. The bytes must be one complete member of this format and
    /// settings (a gzip member with its trailer, a zstd frame), such as one this compressor
    /// wrote before; they are not checked here, nor shown to the ``observer``.
    ///
    /// - Parameters:
    ///   - uncompressedSize: How many bytes the member decompresses to.
    ///   - crc32: Its CRC-32, for gzip.
    ///   - body: Writes the member's bytes, front to back, through the function it is passed.
    /// - Throws: What compressing the earlier bytes, writing or `body` throws.
    mutating func appendCompressedMember(
        uncompressedSize: Int64, crc32: UInt32?, _ body: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws
}

/// Sees the compressed bytes of each member a ``MemberCompressor`` writes, in order, on the
/// thread that writes to the compressor.
public protocol CompressedMemberObserver: AnyObject {
    /// Bytes of member number `index` (counting every member of the stream from 0), as written.
    ///
    /// - Parameters:
    ///   - bytes: The next compressed bytes of the member (its header first, its trailer last).
    ///   - index: The member's place in the stream.
    func compressedBytes(_ bytes: UnsafeRawBufferPointer, ofMember index: Int)

    /// Member number `index` is complete.
    ///
    /// - Parameters:
    ///   - member: Where it lies, and its CRC-32 for gzip.
    ///   - index: The member's place in the stream.
    func memberEnded(_ member: CompressedMember, index: Int)
}
