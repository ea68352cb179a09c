// Source: RFC 8878 (Zstandard Compression and the application/zstd Media Type), section 3.1.1
// (frame header: Frame_Header_Descriptor, Window_Descriptor, Dictionary_ID, Frame_Content_Size)
// and section 3.1.2 (skippable frames, magic 0x184D2A50 to 0x184D2A5F).

/// What the first bytes of a zstd frame say: whether it is a skippable frame, and the window the
/// decoder needs. Read before libzstd sees the frame, to name a frame that asks too much.
public struct ZstdFrameHeader: Sendable, Equatable {
    /// A skippable frame (user data that decoders pass over), such as pzstd's size records.
    public var isSkippable: Bool
    /// The window the frame needs, in bytes; `nil` for a skippable frame, or when the header is
    /// cut before it says.
    public var windowSize: UInt64?

    /// The most bytes a frame header takes: magic 4, descriptor 1, window 1, dictionary 4, size 8.
    public static let maximumLength = 18

    /// `28 b5 2f fd`, little-endian.
    static let frameMagic: UInt32 = 0xFD2F_B528

    /// Reads the header at the start of `bytes`.
    ///
    /// - Parameter bytes: The frame's first bytes, ideally ``maximumLength`` of them.
    /// - Returns: The header, or `nil` when the bytes start neither a zstd frame nor a skippable
    ///   frame (fewer than 4 bytes included).
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> ZstdFrameHeader? {
        guard bytes.count >= 4 else { return nil }
        let magic = UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
        if magic & 0xFFFF_FFF0 == 0x184D_2A50 { return ZstdFrameHeader(isSkippable: true, windowSize: nil) }
        guard magic == frameMagic else { return nil }
        guard bytes.count >= 5 else { return ZstdFrameHeader(isSkippable: false, windowSize: nil) }
        let descriptor = bytes[4]
        let singleSegment = descriptor & 0x20 != 0
        if !singleSegment {
            guard bytes.count >= 6 else { return ZstdFrameHeader(isSkippable: false, windowSize: nil) }
            let w = bytes[5]
            let log = UInt64(10 + (w >> 3))
            let base: UInt64 = 1 << log
            return ZstdFrameHeader(isSkippable: false, windowSize: base + (base / 8) * UInt64(w & 7))
        }
        // Single segment: the window is the frame's content size, after the dictionary ID.
        let dictionaryLength = [0, 1, 2, 4][Int(descriptor & 3)]
        let sizeLength = [1, 2, 4, 8][Int(descriptor >> 6)]
        let start = 5 + dictionaryLength
        guard bytes.count >= start + sizeLength else { return ZstdFrameHeader(isSkippable: false, windowSize: nil) }
        var size: UInt64 = 0
        for i in (0..<sizeLength).reversed() { size = size << 8 | UInt64(bytes[start + i]) }
        if sizeLength == 2 { size += 256 }
        return ZstdFrameHeader(isSkippable: false, windowSize: size)
    }
}
