/// One independently decompressible piece of a compressed stream that a ``MemberCompressor``
/// wrote: a gzip member, or a run of zstd frames; where its bytes lie and what they decompress to.
///
/// A member can be cut out of one file and decompressed alone: two files that hold a member with
/// the same bytes share it exactly, which is what ship's delta transfer builds on.
public struct CompressedMember: Sendable, Equatable, Hashable, Codable {
    /// Where the member starts, in bytes from the start of the compressed stream.
    public var compressedOffset: Int64
    /// The member's length in the compressed stream, headers and trailers included.
    public var compressedSize: Int64
    /// Where the member's data starts in the decompressed stream.
    public var uncompressedOffset: Int64
    /// How many bytes the member decompresses to.
    public var uncompressedSize: Int64
    /// The CRC-32 of the decompressed bytes, for a gzip member (its trailer holds it); `nil` for
    /// zstd, whose frames carry a checksum of their own (the low 32 bits of an XXH64).
    public var crc32: UInt32?

    /// Describes a member.
    ///
    /// - Parameters:
    ///   - compressedOffset: Where the member starts in the compressed stream.
    ///   - compressedSize: Its compressed length.
    ///   - uncompressedOffset: Where its data starts in the decompressed stream.
    ///   - uncompressedSize: How many bytes it decompresses to.
    ///   - crc32: The CRC-32 of those bytes, for gzip.
    public init(compressedOffset: Int64, compressedSize: Int64, uncompressedOffset: Int64, uncompressedSize: Int64, crc32: UInt32? = nil) {
        self.compressedOffset = compressedOffset
        self.compressedSize = compressedSize
        self.uncompressedOffset = uncompressedOffset
        self.uncompressedSize = uncompressedSize
        self.crc32 = crc32
    }

    /// The byte range of the member in the compressed stream.
    public var compressedRange: Range<Int64> { compressedOffset..<(compressedOffset + compressedSize) }

    /// The byte range of the member's data in the decompressed stream.
    public var uncompressedRange: Range<Int64> { uncompressedOffset..<(uncompressedOffset + uncompressedSize) }
}
