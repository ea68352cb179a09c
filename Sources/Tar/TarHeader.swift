// Source: POSIX.1-2017 pax, "ustar Interchange Format"; GNU tar manual, "Basic Tar Format";
// golang/go src/archive/tar/format.go and strconv.go for the numeric rules.
import ByteIO

/// The fixed layout of a 512-byte tar header block, and the parsing of its fields.
package enum TarHeader {
    package static let blockSize = 512

    /// Byte ranges of the header fields (ustar, with GNU's sparse fields beside them).
    package enum Field {
        static let name = 0..<100
        static let mode = 100..<108
        static let uid = 108..<116
        static let gid = 116..<124
        package static let size = 124..<136
        static let mtime = 136..<148
        package static let checksum = 148..<156
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
    package static func padding(_ size: Int64) -> Int64 {
        (Int64(blockSize) - size % Int64(blockSize)) % Int64(blockSize)
    }

    /// Whether all 512 bytes are zero (an end-of-archive block).
    package static func isZeroBlock(_ block: UnsafeRawBufferPointer) -> Bool {
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
    package static func checksums(_ block: UnsafeRawBufferPointer) -> (unsigned: Int64, signed: Int64) {
        let unsigned = unsignedChecksum(block)
        // Each byte with the high bit set is 256 less as an Int8; the checksum field's bytes
        // count as spaces, which have it clear.
        var negatives = 0
        var i = 0
        while i < blockSize {
            negatives &+= (block.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080).nonzeroBitCount
            i += 8
        }
        for k in Field.checksum where block[k] & 0x80 != 0 { negatives -= 1 }
        return (unsigned, unsigned - 256 * Int64(negatives))
    }

    /// The unsigned sum of a header's bytes with the checksum field counted as spaces, the
    /// checksum nearly every writer uses.
    package static func unsignedChecksum(_ block: UnsafeRawBufferPointer) -> Int64 {
        // Eight bytes at a time: bytes 0, 2, 4, 6 and 1, 3, 5, 7 of each word go to four 16-bit
        // lanes (64 words * 2 * 255 < 65536, so no lane overflows).
        let lanes: UInt64 = 0x00FF_00FF_00FF_00FF
        var pairs: UInt64 = 0
        var i = 0
        while i < blockSize {
            let a = block.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let b = block.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self)
            pairs &+= (a & lanes) &+ ((a >> 8) & lanes) &+ (b & lanes) &+ ((b >> 8) & lanes)
            i += 16
        }
        var sum = Int64((pairs & 0xFFFF) + ((pairs >> 16) & 0xFFFF) + ((pairs >> 32) & 0xFFFF) + (pairs >> 48))
        for k in Field.checksum { sum += 0x20 - Int64(block[k]) }
        return sum
    }

    /// Whether the magic field is POSIX ustar's `ustar\0` (GNU writes `ustar ` and a space).
    package static func hasPOSIXMagic(_ block: UnsafeRawBufferPointer) -> Bool {
        block[257] == 0x75 && block[258] == 0x73 && block[259] == 0x74 && block[260] == 0x61 && block[261] == 0x72
            && block[262] == 0
    }

    /// Whether the magic and version fields are GNU tar's `ustar  \0`.
    package static func hasGNUMagic(_ block: UnsafeRawBufferPointer) -> Bool {
        block[257] == 0x75 && block[258] == 0x73 && block[259] == 0x74 && block[260] == 0x61 && block[261] == 0x72
            && block[262] == 0x20 && block[263] == 0x20 && block[264] == 0
    }

    /// The bytes of a NUL-terminated string field.
    static func string(_ block: UnsafeRawBufferPointer, _ range: Range<Int>) -> [UInt8] {
        let field = UnsafeRawBufferPointer(rebasing: block[range])
        let count = ByteScan.firstIndex(of: 0, in: field)
        if count == 0 { return [] }
        return Array(UnsafeBufferPointer(start: field.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count))
    }

    /// The name field, after the ustar prefix field and a `/` when `withPrefix` and the prefix
    /// is not empty, in one array.
    static func name(_ block: UnsafeRawBufferPointer, withPrefix: Bool) -> [UInt8] {
        let nameField = UnsafeRawBufferPointer(rebasing: block[Field.name])
        let nameLength = ByteScan.firstIndex(of: 0, in: nameField)
        let prefixField = UnsafeRawBufferPointer(rebasing: block[Field.prefix])
        let prefixLength = withPrefix ? ByteScan.firstIndex(of: 0, in: prefixField) : 0
        if prefixLength == 0 { return string(block, Field.name) }
        var out: [UInt8] = []
        out.reserveCapacity(prefixLength + 1 + nameLength)
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: prefixField[0..<prefixLength]))
        out.append(UInt8(ascii: "/"))
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: nameField[0..<nameLength]))
        return out
    }

    /// Parses a numeric field: octal (with leading spaces or NULs, ending at a space or NUL), or
    /// base-256 two's complement when the high bit of the first byte is set (GNU, and Go's
    /// writer for values octal cannot hold).
    ///
    /// - Returns: The value, or `nil` when the field holds something else.
    package static func number(_ block: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int64? {
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
        if let value = standardOctal(block, range) { return value }
        var i = range.lowerBound
        let end = range.upperBound
        while i < end && (block[i] == 0x20 || block[i] == 0) { i += 1 }
        if i == end { return 0 }
        // At most 21 octal digits fit in 63 bits: an octal field of 8 or 12 bytes never
        // overflows; longer ones are checked.
        let checked = end - i > 21
        var value: Int64 = 0
        while i < end {
            let digit = block[i] &- 0x30
            if digit > 7 { break }
            if checked && value > (Int64.max >> 3) { return nil }
            value = value << 3 | Int64(digit)
            i += 1
        }
        // After the digits only spaces or NULs may follow.
        while i < end {
            if block[i] != 0x20 && block[i] != 0 { return nil }
            i += 1
        }
        return value
    }

    /// The value of an 8- or 12-byte field in the form every current writer uses (7 or 11 octal
    /// digits, then a NUL or a space), parsed eight digits at a time; `nil` for any other form,
    /// which ``number(_:_:)`` then parses byte by byte.
    static func standardOctal(_ block: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int64? {
        let start = range.lowerBound
        let terminatorMask: UInt64 = 0xFF00_0000_0000_0000
        switch range.count {
        case 8:
            let w = block.loadUnaligned(fromByteOffset: start, as: UInt64.self).littleEndian
            let terminator = w & terminatorMask
            guard terminator == 0 || terminator == 0x2000_0000_0000_0000 else { return nil }
            // The terminator becomes a trailing "0" digit, divided away afterwards.
            guard let v = octalDigits8((w & ~terminatorMask) | 0x3000_0000_0000_0000) else { return nil }
            return Int64(v >> 3)
        case 12:
            let w = block.loadUnaligned(fromByteOffset: start, as: UInt64.self).littleEndian
            let u = UInt64(block.loadUnaligned(fromByteOffset: start + 8, as: UInt32.self).littleEndian)
            let terminator = u >> 24
            guard terminator == 0 || terminator == 0x20, let high = octalDigits8(w),
                u & 0x00F8_F8F8 == 0x0030_3030
            else { return nil }
            let low = (u & 0x07) << 6 | ((u >> 8) & 0x07) << 3 | ((u >> 16) & 0x07)
            return Int64(high << 9 | low)
        default:
            return nil
        }
    }

    /// The value of eight ASCII octal digits loaded little-endian (the first digit in the low
    /// byte), or `nil` when a byte is not `0`...`7`.
    @inline(__always)
    static func octalDigits8(_ w: UInt64) -> UInt64? {
        guard w & 0xF8F8_F8F8_F8F8_F8F8 == 0x3030_3030_3030_3030 else { return nil }
        let x = w & 0x0707_0707_0707_0707
        // Pairs, then quads, then all eight: each step joins neighbouring lanes.
        let pairs = ((x << 3) &+ (x >> 8)) & 0x00FF_00FF_00FF_00FF
        let quads = ((pairs << 6) &+ (pairs >> 16)) & 0x0000_FFFF_0000_FFFF
        return ((quads << 12) &+ (quads >> 32)) & 0xFF_FFFF
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
