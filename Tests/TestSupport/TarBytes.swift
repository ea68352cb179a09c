// Tar bytes built by hand, field by field (POSIX.1-2017 pax/ustar, GNU tar's extensions), for the
// readers to be tried on exactly what a test needs.

extension TS {
    package enum Magic { case ustar, gnu, v7 }

    /// One 512-byte header with a correct checksum (unless `checksumOverride`).
    package static func header(
        name: String, typeflag: UInt8 = UInt8(ascii: "0"), size: Int64 = 0, mode: Int64 = 0o644, uid: Int64 = 0,
        gid: Int64 = 0, mtime: Int64 = 1_704_067_200, linkName: String = "", magic: Magic = .ustar, prefix: String = "",
        devMajor: Int64 = 0, devMinor: Int64 = 0, rawName: [UInt8]? = nil,
        fields: [(Int, [UInt8])] = [], checksumOverride: String? = nil
    ) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 512)
        func put(_ bytes: [UInt8], at offset: Int, max: Int) {
            for (i, c) in bytes.prefix(max).enumerated() { b[offset + i] = c }
        }
        func octal(_ v: Int64, at offset: Int, width: Int) {
            var s = String(v, radix: 8)
            while s.count < width - 1 { s = "0" + s }
            put(Array(s.utf8), at: offset, max: width - 1)
        }
        put(rawName ?? Array(name.utf8), at: 0, max: 100)
        octal(mode, at: 100, width: 8)
        octal(uid, at: 108, width: 8)
        octal(gid, at: 116, width: 8)
        octal(size, at: 124, width: 12)
        octal(mtime, at: 136, width: 12)
        b[156] = typeflag
        put(Array(linkName.utf8), at: 157, max: 100)
        switch magic {
        case .ustar:
            put(Array("ustar\u{0}00".utf8), at: 257, max: 8)
        case .gnu:
            put(Array("ustar  \u{0}".utf8), at: 257, max: 8)
        case .v7:
            break
        }
        if magic != .v7 {
            octal(devMajor, at: 329, width: 8)
            octal(devMinor, at: 337, width: 8)
            put(Array(prefix.utf8), at: 345, max: 155)
        }
        for (offset, bytes) in fields { put(bytes, at: offset, max: bytes.count) }
        // Checksum: sum with the field as spaces, written as 6 octal digits, NUL, space.
        for i in 148..<156 { b[i] = 0x20 }
        let sum = b.reduce(0) { $0 + Int($1) }
        var s = String(sum, radix: 8)
        while s.count < 6 { s = "0" + s }
        put(Array((checksumOverride ?? s).utf8), at: 148, max: 6)
        if checksumOverride == nil {
            b[154] = 0
            b[155] = 0x20
        }
        return b
    }

    package static func checksumOf(_ header: [UInt8]) -> Int64 {
        var sum: Int64 = 0
        for (i, c) in header.enumerated() { sum += (148..<156).contains(i) ? 0x20 : Int64(c) }
        return sum
    }

    /// Data padded to a multiple of 512.
    package static func padded(_ data: [UInt8]) -> [UInt8] {
        data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
    }

    /// A header followed by its padded data.
    package static func entry(_ header: [UInt8], _ data: [UInt8] = []) -> [UInt8] { header + padded(data) }

    /// A regular file entry.
    package static func file(_ name: String, _ content: String, magic: Magic = .ustar) -> [UInt8] {
        let data = Array(content.utf8)
        return entry(header(name: name, size: Int64(data.count), magic: magic), data)
    }

    package static let endMarker = [UInt8](repeating: 0, count: 1024)

    /// PAX records `"%d key=value\n"`, the length counting itself.
    package static func paxRecords(_ records: [(String, [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        for (k, v) in records {
            let body = Array(" \(k)=".utf8) + v + [0x0a]
            var n = body.count + 1
            while String(n).utf8.count + body.count != n { n += 1 }
            out += Array(String(n).utf8) + body
        }
        return out
    }

    package static func paxHeader(_ records: [(String, String)], typeflag: Character = "x", name: String = "PaxHeaders/x") -> [UInt8] {
        let data = paxRecords(records.map { ($0.0, Array($0.1.utf8)) })
        return entry(header(name: name, typeflag: UInt8(ascii: typeflag.unicodeScalars.first!), size: Int64(data.count)), data)
    }

    /// Base-256 encoding of `value` in a field of `width` bytes.
    package static func base256(_ value: Int64, width: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: width)
        var v = value
        for i in stride(from: width - 1, through: 0, by: -1) {
            out[i] = UInt8(truncatingIfNeeded: v)
            v >>= 8  // arithmetic: negative values keep their 0xff sign bytes
        }
        out[0] |= 0x80
        return out
    }
}
