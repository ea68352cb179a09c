// Source: POSIX.1-2017 pax, "ustar Interchange Format"; GNU tar manual, "Basic Tar Format";
// golang/go src/archive/tar/format.go and strconv.go for the numeric rules.

/// The fixed layout of a 512-byte tar header block, and the parsing of its fields.
enum TarHeader {
    static let blockSize = 512

    /// Byte ranges of the header fields (ustar, with GNU's sparse fields beside them).
    enum Field {
        static let name = 0..<100
        static let mode = 100..<108
        static let uid = 108..<116
        static let gid = 116..<124
        static let size = 124..<136
        static let mtime = 136..<148
        static let checksum = 148..<156
        static let typeflag = 156
        static let linkName = 157..<257
        static let magic = 257..<263
        static let version = 263..<265
        static let devMajor = 329..<337
        static let devMinor = 337..<345
        static let prefix = 345..<500
        // GNU old sparse: four (offset, numbytes) pairs, isextended, realsize.
        static let gnuSparse = 386..<482
        static let gnuIsExtended = 482
        static let gnuRealSize = 483..<495
    }

    /// Bytes of padding after `size` bytes of data, up to the next 512-byte boundary.
    static func padding(_ size: Int64) -> Int64 {
        (Int64(blockSize) - size % Int64(blockSize)) % Int64(blockSize)
    }

    /// Whether all 512 bytes are zero (an end-of-archive block).
    static func isZeroBlock(_ block: UnsafeRawBufferPointer) -> Bool {
        // Compare eight bytes at a time; the block comes from an aligned buffer offset.
        var i = 0
        while i < blockSize {
            if block.loadUnaligned(fromByteOffset: i, as: UInt64.self) != 0 { return false }
            i += 8
        }
        return true
    }

    /// The checksum the header claims, and the unsigned and signed sums of its bytes with the
    /// checksum field counted as spaces (historic writers used signed chars).
    static func checksums(_ block: UnsafeRawBufferPointer) -> (unsigned: Int64, signed: Int64) {
        var unsigned: Int64 = 0
        var signed: Int64 = 0
        for i in 0..<blockSize {
            let b = Field.checksum.contains(i) ? UInt8(0x20) : block[i]
            unsigned += Int64(b)
            signed += Int64(Int8(bitPattern: b))
        }
        return (unsigned, signed)
    }

    /// The bytes of a NUL-terminated string field.
    static func string(_ block: UnsafeRawBufferPointer, _ range: Range<Int>) -> [UInt8] {
        var end = range.lowerBound
        while end < range.upperBound && block[end] != 0 { end += 1 }
        return Array(block[range.lowerBound..<end])
    }

    /// Parses a numeric field: octal (with leading spaces or NULs, ending at a space or NUL), or
    /// base-256 two's complement when the high bit of the first byte is set (GNU, and Go's
    /// writer for values octal cannot hold).
    ///
    /// - Returns: The value, or `nil` when the field holds something else.
    static func number(_ block: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int64? {
        let first = block[range.lowerBound]
        if first & 0x80 != 0 {
            // Base-256: big-endian two's complement; the 0x80 bit of the first byte marks the
            // encoding and the 0x40 bit the sign (Go's parseNumeric).
            let invert: UInt8 = first & 0x40 != 0 ? 0xff : 0
            var x: UInt64 = 0
            for (k, raw) in block[range].enumerated() {
                var c = raw ^ invert
                if k == 0 { c &= 0x7f }
                if x >> 56 > 0 { return nil }
                x = x << 8 | UInt64(c)
            }
            if x >> 63 > 0 { return nil }
            return invert == 0xff ? ~Int64(x) : Int64(x)
        }
        var i = range.lowerBound
        while i < range.upperBound && (block[i] == 0x20 || block[i] == 0) { i += 1 }
        if i == range.upperBound { return 0 }
        var value: Int64 = 0
        var digits = 0
        while i < range.upperBound {
            let c = block[i]
            if c == 0x20 || c == 0 { break }
            guard c >= 0x30 && c <= 0x37 else { return nil }
            if value > (Int64.max >> 3) { return nil }
            value = value << 3 | Int64(c - 0x30)
            digits += 1
            i += 1
        }
        // After the digits only spaces or NULs may follow.
        while i < range.upperBound {
            if block[i] != 0x20 && block[i] != 0 { return nil }
            i += 1
        }
        return value
    }

    /// A printable rendering of a field's raw bytes, for error messages.
    static func printable(_ block: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        let bytes = block[range]
        let shown = bytes.map { b -> String in
            (b >= 0x20 && b < 0x7f) ? String(UnicodeScalar(b)) : (b == 0 ? "\\0" : "\\x" + String(b, radix: 16))
        }
        return "'" + shown.joined() + "'"
    }
}
