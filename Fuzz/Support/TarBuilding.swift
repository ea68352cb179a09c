// Shared by every harness (Fuzz/fuzz.sh compiles each harness together with Fuzz/Support/*.swift).
//
// Writing small tar streams in memory, and repairing the header checksums of mutated ones: a
// mutated header almost never passes its checksum, so without the repair the fuzzer would
// hardly get past the header parser.

/// One tar entry to write.
struct FuzzTarEntry {
    /// The name as stored (a PAX `path` record carries it when it does not fit the header).
    var name: [UInt8]
    /// The typeflag (`0` file, `1` hardlink, `2` symlink, `5` directory, ...).
    var typeflag: UInt8 = UInt8(ascii: "0")
    /// Permission bits.
    var mode: UInt32 = 0o644
    /// The data (regular files only).
    var data: [UInt8] = []
    /// The link target of a symlink or hardlink.
    var linkName: [UInt8] = []

    init(name: String, typeflag: UInt8 = UInt8(ascii: "0"), mode: UInt32 = 0o644, data: [UInt8] = [], linkName: String = "") {
        self.name = Array(name.utf8)
        self.typeflag = typeflag
        self.mode = mode
        self.data = data
        self.linkName = Array(linkName.utf8)
    }

    init(rawName: [UInt8], typeflag: UInt8, mode: UInt32, data: [UInt8], rawLinkName: [UInt8]) {
        self.name = rawName
        self.typeflag = typeflag
        self.mode = mode
        self.data = data
        self.linkName = rawLinkName
    }
}

/// A minimal ustar/PAX writer for the harnesses.
enum FuzzTar {
    static let block = 512

    /// A whole archive: the entries, then the two zero blocks.
    static func archive(_ entries: [FuzzTarEntry]) -> [UInt8] {
        var out: [UInt8] = []
        for e in entries { append(e, to: &out) }
        out += [UInt8](repeating: 0, count: 2 * block)
        return out
    }

    /// Appends one entry (with a PAX header before it when its name or link target is too long
    /// for the ustar fields, or holds a NUL).
    static func append(_ e: FuzzTarEntry, to out: inout [UInt8]) {
        var records: [UInt8] = []
        if e.name.count > 99 || e.name.contains(0) { records += paxRecord("path", e.name) }
        if e.linkName.count > 99 || e.linkName.contains(0) { records += paxRecord("linkpath", e.linkName) }
        if !records.isEmpty {
            out += header(name: Array("PaxHeaders/x".utf8), typeflag: UInt8(ascii: "x"), mode: 0o644, size: records.count, link: [])
            out += padded(records)
        }
        let name = e.name.count > 99 || e.name.contains(0) ? Array(e.name.prefix(99).filter { $0 != 0 }) : e.name
        let link = e.linkName.count > 99 || e.linkName.contains(0) ? [] : e.linkName
        let size = e.typeflag == UInt8(ascii: "0") ? e.data.count : 0
        out += header(name: name, typeflag: e.typeflag, mode: e.mode, size: size, link: link)
        if size > 0 { out += padded(e.data) }
    }

    /// One PAX record, `"<len> key=value\n"`, its length counting itself.
    static func paxRecord(_ key: String, _ value: [UInt8]) -> [UInt8] {
        let body = 1 + key.utf8.count + 1 + value.count + 1
        var length = body + String(body).utf8.count
        if String(length).utf8.count != String(body).utf8.count { length = body + String(length).utf8.count }
        return Array("\(length) \(key)=".utf8) + value + [0x0a]
    }

    /// A ustar header block with its checksum.
    static func header(name: [UInt8], typeflag: UInt8, mode: UInt32, size: Int, link: [UInt8]) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: block)
        put(&h, 0, Array(name.prefix(100)))
        put(&h, 100, octal(Int(mode), width: 8))
        put(&h, 108, octal(0, width: 8))
        put(&h, 116, octal(0, width: 8))
        put(&h, 124, octal(size, width: 12))
        put(&h, 136, octal(1_700_000_000, width: 12))
        h[156] = typeflag
        put(&h, 157, Array(link.prefix(100)))
        put(&h, 257, Array("ustar\u{0}00".utf8))
        setChecksum(&h, at: 0)
        return h
    }

    /// `data` followed by zeros up to the next multiple of 512.
    static func padded(_ data: [UInt8]) -> [UInt8] {
        data + [UInt8](repeating: 0, count: (block - data.count % block) % block)
    }

    /// `value` in octal, zero-padded, NUL-terminated, in `width` bytes.
    static func octal(_ value: Int, width: Int) -> [UInt8] {
        var digits = Array(String(value, radix: 8).utf8)
        while digits.count < width - 1 { digits.insert(UInt8(ascii: "0"), at: 0) }
        return Array(digits.suffix(width - 1)) + [0]
    }

    static func put(_ h: inout [UInt8], _ offset: Int, _ bytes: [UInt8]) {
        for (i, b) in bytes.enumerated() where offset + i < h.count { h[offset + i] = b }
    }

    /// Writes the checksum of the header block at `offset` into its checksum field.
    static func setChecksum(_ bytes: inout [UInt8], at offset: Int) {
        for i in 148..<156 { bytes[offset + i] = 0x20 }
        var sum = 0
        for i in 0..<block { sum += Int(bytes[offset + i]) }
        let field = Array(String(sum, radix: 8).utf8)
        let digits = [UInt8](repeating: UInt8(ascii: "0"), count: max(0, 6 - field.count)) + field.suffix(6)
        for (i, d) in digits.enumerated() { bytes[offset + 148 + i] = d }
        bytes[offset + 154] = 0
        bytes[offset + 155] = 0x20
    }

    /// The size field of the header at `offset` (octal, or GNU base-256), if it parses.
    static func size(_ bytes: [UInt8], at offset: Int) -> Int? {
        let field = bytes[(offset + 124)..<(offset + 136)]
        if let first = field.first, first & 0x80 != 0 {
            var v = 0
            for b in field.dropFirst() {
                guard v < Int.max >> 9 else { return nil }
                v = v << 8 | Int(b)
            }
            return v
        }
        var v = 0
        var seen = false
        for b in field {
            if b == 0 || b == 0x20 {
                if seen { break } else { continue }
            }
            guard b >= 0x30 && b <= 0x37, v < Int.max >> 4 else { return nil }
            v = v * 8 + Int(b - 0x30)
            seen = true
        }
        return v
    }

    /// `bytes` with the checksum of every header block rewritten to add up: the headers of the
    /// stream, walked by their size fields, and (`depth` levels down) those of members whose
    /// data is itself a tar (an archive's layers). Returns `nil` when nothing changed.
    static func repaired(_ bytes: [UInt8], depth: Int = 1) -> [UInt8]? {
        var copy = bytes
        repair(&copy, range: 0..<copy.count, depth: depth)
        return copy == bytes ? nil : copy
    }

    private static func repair(_ bytes: inout [UInt8], range: Range<Int>, depth: Int) {
        var offset = range.lowerBound
        var blocks = 0
        while offset + block <= range.upperBound, blocks < 100_000 {
            blocks += 1
            if bytes[offset..<(offset + block)].allSatisfy({ $0 == 0 }) {
                offset += block
                continue
            }
            setChecksum(&bytes, at: offset)
            guard let size = size(bytes, at: offset), size >= 0, size <= range.upperBound - offset - block else { return }
            let dataStart = offset + block
            let typeflag = bytes[offset + 156]
            let isFile = typeflag == UInt8(ascii: "0") || typeflag == 0
            if depth > 0, isFile, size >= block, looksLikeTar(bytes, at: dataStart) {
                repair(&bytes, range: dataStart..<(dataStart + size), depth: depth - 1)
            }
            offset = dataStart + (size + block - 1) / block * block
        }
    }

    /// Whether a ustar magic sits where a header at `offset` would have it.
    static func looksLikeTar(_ bytes: [UInt8], at offset: Int) -> Bool {
        guard offset + 263 <= bytes.count else { return false }
        return bytes[(offset + 257)..<(offset + 262)].elementsEqual("ustar".utf8)
    }
}
