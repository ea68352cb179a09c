/// Byte-string helpers for the per-entry hot paths (tar names, paths), eight bytes at a time and
/// without the platform's C library.
public enum ByteScan {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// The index of the first byte equal to `byte` in `bytes`, or `bytes.count`.
    public static func firstIndex(of byte: UInt8, in bytes: UnsafeRawBufferPointer) -> Int {
        let pattern = ones &* UInt64(byte)
        var i = 0
        while i + 8 <= bytes.count {
            let x = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self).littleEndian ^ pattern
            // The classic "has a zero byte" test: exact for the lowest match.
            let found = (x &- ones) & ~x & highs
            if found != 0 { return i + found.trailingZeroBitCount / 8 }
            i += 8
        }
        while i < bytes.count && bytes[i] != byte { i += 1 }
        return i
    }

    /// The index of the last byte equal to `byte` in `bytes`, or -1.
    public static func lastIndex(of byte: UInt8, in bytes: UnsafeRawBufferPointer) -> Int {
        let pattern = ones &* UInt64(byte)
        var end = bytes.count
        while end >= 8 {
            let x = bytes.loadUnaligned(fromByteOffset: end - 8, as: UInt64.self).littleEndian ^ pattern
            // Exact per byte (no borrow across bytes), so the highest flagged byte is the match.
            let found = ((x & ~highs) &+ ~highs | x) & highs ^ highs
            if found != 0 { return end - 8 + (63 - found.leadingZeroBitCount) / 8 }
            end -= 8
        }
        while end > 0 {
            end -= 1
            if bytes[end] == byte { return end }
        }
        return -1
    }

    /// How many leading bytes `a` and `b` share.
    public static func commonPrefixLength(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let limit = min(a.count, b.count)
        var n = 0
        while n + 8 <= limit {
            let x = a.loadUnaligned(fromByteOffset: n, as: UInt64.self) ^ b.loadUnaligned(fromByteOffset: n, as: UInt64.self)
            if x != 0 { return n + x.littleEndian.trailingZeroBitCount / 8 }
            n += 8
        }
        while n < limit && a[n] == b[n] { n += 1 }
        return n
    }

    /// Whether `a` and `b` hold the same bytes.
    public static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        a.count == b.count && commonPrefixLength(a, b) == a.count
    }

    /// Whether the array `a` holds the bytes of `b`.
    public static func equal(_ a: [UInt8], _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBytes { equal($0, UnsafeRawBufferPointer(b)) }
    }
}
