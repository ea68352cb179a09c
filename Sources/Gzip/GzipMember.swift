import Codec

// Source: RFC 1952 (GZIP file format), section 2.2: "A gzip file consists of a series of
// members (compressed data sets)."

/// One member of a gzip stream: where its compressed bytes lie, and what they decompress to.
///
/// A gzip file is a series of members, each with its own header, deflate data and CRC-32 and
/// length trailer; decompressors concatenate their outputs. A member can be cut out of one
/// file and decompressed alone, which is what makes members the unit of reuse: two files that
/// hold a member with the same bytes share it exactly.
///
/// ``ParallelDeflater/members`` lists the members it wrote; ``GzipMemberScanner`` recovers
/// them from any gzip stream.
public struct GzipMember: Sendable, Equatable, Hashable, Codable {
    /// Where the member's header starts, in bytes from the start of the compressed stream.
    public var compressedOffset: Int64
    /// The member's length in the compressed stream: header, deflate data and trailer.
    public var compressedSize: Int64
    /// Where the member's data starts in the decompressed stream.
    public var uncompressedOffset: Int64
    /// How many bytes the member decompresses to.
    public var uncompressedSize: Int64
    /// The CRC-32 of the decompressed bytes, as the member's trailer holds it.
    public var crc32: UInt32

    /// Describes a member.
    ///
    /// - Parameters:
    ///   - compressedOffset: Where the member starts in the compressed stream.
    ///   - compressedSize: Its compressed length, header and trailer included.
    ///   - uncompressedOffset: Where its data starts in the decompressed stream.
    ///   - uncompressedSize: How many bytes it decompresses to.
    ///   - crc32: The CRC-32 of those bytes.
    public init(compressedOffset: Int64, compressedSize: Int64, uncompressedOffset: Int64, uncompressedSize: Int64, crc32: UInt32) {
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

extension GzipMember {
    /// The member, as the format-neutral description ``Codec/MemberCompressor`` gives.
    public var compressedMember: CompressedMember {
        CompressedMember(
            compressedOffset: compressedOffset, compressedSize: compressedSize, uncompressedOffset: uncompressedOffset,
            uncompressedSize: uncompressedSize, crc32: crc32)
    }
}
