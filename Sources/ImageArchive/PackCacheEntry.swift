import ByteIO
import OCI

/// One member kept by ``PackCache``: a file holding a layer's compressed member exactly as
/// ``ArchivePacker`` wrote it, followed by a 512-byte trailer that says what it is.
///
/// The trailer is text, one `key value` per line, padded with spaces to 512 bytes:
///
/// ```
/// imgtool pack cache 1
/// uncompressed 1048576
/// compressed 412345
/// crc32 3735928559
/// sha256 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
/// ```
///
/// `sha256` is that of the compressed bytes before the trailer, by which a damaged entry is
/// told before it is used. The layer's own digest is in the file's name (see ``PackCache``).
struct PackCacheEntry: Equatable {
    /// What the member decompresses to: the layer's data and its tar padding.
    var uncompressedSize: Int64
    /// The member's compressed size (the file's size less the trailer).
    var compressedSize: Int64
    /// gzip's CRC-32 of the uncompressed bytes; `nil` for zstd.
    var crc32: UInt32?
    /// The SHA-256 of the compressed bytes, hex.
    var sha256: String

    /// The trailer's size.
    static let trailerSize = 512
    private static let magic = "imgtool pack cache 1"

    /// The trailer's bytes.
    var trailer: [UInt8] {
        var text = "\(Self.magic)\nuncompressed \(uncompressedSize)\ncompressed \(compressedSize)\n"
        text += "crc32 \(crc32.map(String.init) ?? "-")\nsha256 \(sha256)\n"
        var bytes = Array(text.utf8)
        bytes.append(contentsOf: [UInt8](repeating: 0x20, count: max(0, Self.trailerSize - bytes.count - 1)))
        bytes.append(0x0A)
        return bytes
    }

    /// Parses a trailer; `nil` when it is not one.
    init?(trailer bytes: [UInt8]) {
        guard bytes.count == Self.trailerSize else { return nil }
        var fields: [String: String] = [:]
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        guard lines.first == Substring(Self.magic) else { return nil }
        for line in lines.dropFirst() {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        guard let sha = fields["sha256"], Self.isHex64(sha),
            let u = fields["uncompressed"].flatMap({ Int64($0) }), u >= 0,
            let c = fields["compressed"].flatMap({ Int64($0) }), c > 0, let crc = fields["crc32"]
        else { return nil }
        self.uncompressedSize = u
        self.compressedSize = c
        self.sha256 = sha
        if crc == "-" {
            crc32 = nil
        } else {
            guard let value = UInt32(crc) else { return nil }
            crc32 = value
        }
    }

    init(uncompressedSize: Int64, compressedSize: Int64, crc32: UInt32?, sha256: String) {
        self.uncompressedSize = uncompressedSize
        self.compressedSize = compressedSize
        self.crc32 = crc32
        self.sha256 = sha256
    }

    /// Whether `s` is 64 lower-case hex digits.
    static func isHex64(_ s: String) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// Why an entry on disk cannot be used.
    enum Damage: Error, Equatable, CustomStringConvertible {
        /// The file is shorter than a trailer, or its trailer does not parse.
        case noTrailer
        /// The trailer describes another layer, size or file length.
        case wrongEntry(String)
        /// The compressed bytes do not hash to the trailer's `sha256`.
        case digestMismatch(expected: String, found: String)

        var description: String {
            switch self {
            case .noTrailer: "no valid trailer"
            case .wrongEntry(let what): what
            case .digestMismatch(let expected, let found): "its bytes hash to sha256:\(found), its trailer says sha256:\(expected)"
            }
        }
    }

    /// Opens the entry at `path`, maps it, and checks it end to end: its trailer, that it is a
    /// member decompressing to `uncompressedSize` bytes, and the SHA-256 of its bytes.
    ///
    /// - Returns: The entry and its mapping; `nil` when there is no file there (or it cannot be mapped).
    /// - Throws: ``Damage`` when the file is there and cannot be used; ``ByteIO/ByteIOError`` when it
    ///   cannot be read.
    static func open(_ path: String, uncompressedSize: Int64) throws -> (PackCacheEntry, MappedFile)? {
        let file: FileSource
        do { file = try FileSource(path: path) } catch { return nil }
        guard let size = file.size, size > Int64(trailerSize) else { throw Damage.noTrailer }
        guard let mapping = MappedFile(file) else { return nil }
        let trailer = Array(mapping.bytes(from: size - Int64(trailerSize), length: Int64(trailerSize)))
        guard let entry = PackCacheEntry(trailer: trailer) else { throw Damage.noTrailer }
        guard entry.uncompressedSize == uncompressedSize, entry.compressedSize == size - Int64(trailerSize) else {
            throw Damage.wrongEntry(
                "its trailer describes \(entry.uncompressedSize) bytes in \(entry.compressedSize), not \(uncompressedSize) bytes in \(size - Int64(trailerSize))"
            )
        }
        let hasher = SHA256()
        try pieces(of: mapping, count: entry.compressedSize) { hasher.update($0) }
        let found = hasher.finalize().hex
        guard found == entry.sha256 else { throw Damage.digestMismatch(expected: entry.sha256, found: found) }
        return (entry, mapping)
    }

    /// Hands the first `count` bytes of `mapping` to `body` in pieces of 8 MiB, each taken out of
    /// the process's resident set once done, so that reading an entry never holds it in memory.
    static func pieces(of mapping: MappedFile, count: Int64, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var offset: Int64 = 0
        while offset < count {
            let piece = mapping.bytes(from: offset, length: min(8 << 20, count - offset))
            guard !piece.isEmpty else { throw Damage.wrongEntry("the file is shorter than its trailer says") }
            try body(piece)
            MappedFile.releasePages(in: piece)
            offset += Int64(piece.count)
        }
    }
}
