// Source: https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests

/// A content digest such as `sha256:5f70bf18…`, validated when parsed.
///
/// It encodes as a single `"algorithm:hex"` string.
public struct Digest: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    /// The algorithm, such as `sha256`.
    public let algorithm: String
    /// The lower-case hex encoding of the hash.
    public let hex: String

    /// Parses `algorithm:hex`, checking the hex length of the algorithms imgtool knows.
    ///
    /// - Parameter string: The digest string, e.g. `sha256:` followed by 64 hex digits.
    /// - Throws: ``ValidationError/malformed(_:)`` when the string is not a digest.
    public init(parsing string: String) throws {
        guard let colon = string.firstIndex(of: ":") else { throw ValidationError.malformed(string) }
        let algorithm = String(string[..<colon])
        let hex = String(string[string.index(after: colon)...])
        let expectedLength: Int? =
            switch algorithm {
            case "sha256": 64
            case "sha512": 128
            default: nil
            }
        guard !algorithm.isEmpty, !hex.isEmpty,
            algorithm.utf8.allSatisfy({
                ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2b || $0 == 0x2e || $0 == 0x5f || $0 == 0x2d
            }),
            expectedLength == nil || hex.utf8.count == expectedLength,
            hex.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
        else { throw ValidationError.malformed(string) }
        self.algorithm = algorithm
        self.hex = hex
    }

    /// Makes a `sha256:` digest from the 32 bytes of a hash.
    /// - Parameter sha256Bytes: The raw hash.
    public init(sha256Bytes: [UInt8]) {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var chars = [UInt8]()
        chars.reserveCapacity(sha256Bytes.count * 2)
        for b in sha256Bytes {
            chars.append(digits[Int(b >> 4)])
            chars.append(digits[Int(b & 0x0f)])
        }
        self.algorithm = "sha256"
        self.hex = String(decoding: chars, as: UTF8.self)
    }

    /// The SHA-256 of zero bytes, which is also the DiffID of an empty layer file.
    public static let sha256OfNothing = Digest(
        algorithm: "sha256", hex: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")

    private init(algorithm: String, hex: String) {
        self.algorithm = algorithm
        self.hex = hex
    }

    /// Why a string is not a digest.
    public enum ValidationError: Error, Equatable, Sendable, CustomStringConvertible {
        /// Not `algorithm:hex`, or a hex part of the wrong length or alphabet for its algorithm.
        case malformed(String)

        public var description: String {
            switch self {
            case .malformed(let string): "'\(string)' is not a digest: expected sha256: and 64 hex digits"
            }
        }
    }

    /// `algorithm:hex`.
    public var description: String { "\(algorithm):\(hex)" }

    /// `sha256:` and the first 12 hex digits, for tables read by people.
    public var short: String { "\(algorithm):\(hex.prefix(12))" }

    /// The path of this blob inside an OCI image layout: `blobs/<algorithm>/<hex>`.
    public var layoutPath: String { "blobs/\(algorithm)/\(hex)" }

    /// Reads the digest from a JSON string.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let string = try container.decode(String.self)
        do { try self.init(parsing: string) } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a digest: '\(string)'")
        }
    }

    /// Writes the digest as a JSON string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public static func < (a: Digest, b: Digest) -> Bool { a.description < b.description }
}
