import ByteIO

/// The compression of a stream, recognised by its first bytes.
public enum CompressionFormat: String, Sendable, Codable {
    /// No known compression magic: plain data, such as a tar archive.
    case none
    /// gzip (RFC 1952): `1f 8b 08`.
    case gzip
    /// Zstandard: `28 b5 2f fd`, or a skippable frame (`5X 2a 4d 18`).
    case zstd
    /// xz: `fd 37 7a 58 5a 00`.
    case xz
    /// bzip2: `42 5a 68` ("BZh").
    case bzip2

    /// How many leading bytes ``detect(_:)`` needs to tell every format apart.
    public static let sniffLength = 6

    /// Recognises a format from the first bytes of a stream.
    ///
    /// - Parameter prefix: The first bytes of the stream, ideally ``sniffLength`` of them; a
    ///   shorter prefix (a tiny file) can only match the formats whose magic fits in it.
    /// - Returns: The format whose magic bytes start `prefix`, or ``none``.
    public static func detect(_ prefix: UnsafeRawBufferPointer) -> CompressionFormat {
        func starts(with magic: [UInt8]) -> Bool {
            prefix.count >= magic.count && zip(prefix, magic).allSatisfy { $0 == $1 }
        }
        if starts(with: [0x1F, 0x8B, 0x08]) { return .gzip }
        if starts(with: [0x28, 0xB5, 0x2F, 0xFD]) { return .zstd }
        if prefix.count >= 4 {
            let word = UInt32(prefix[0]) | UInt32(prefix[1]) << 8 | UInt32(prefix[2]) << 16 | UInt32(prefix[3]) << 24
            if (0x184D_2A50...0x184D_2A5F).contains(word) { return .zstd }
        }
        if starts(with: [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return .xz }
        if starts(with: [0x42, 0x5A, 0x68]) { return .bzip2 }
        return .none
    }

    /// Recognises a format from the first bytes of a stream held in an array.
    ///
    /// - Parameter prefix: The first bytes of the stream.
    /// - Returns: The format whose magic bytes start `prefix`, or ``none``.
    public static func detect(_ prefix: [UInt8]) -> CompressionFormat {
        prefix.withUnsafeBytes { detect($0) }
    }

    /// The command that decompresses this format to stdout, for messages ("decompress it first
    /// with `zstd -dc`"); `nil` for ``none``.
    public var decompressCommand: String? {
        switch self {
        case .none: return nil
        case .gzip: return "gzip -dc"
        case .zstd: return "zstd -dc"
        case .xz: return "xz -dc"
        case .bzip2: return "bzip2 -dc"
        }
    }
}
