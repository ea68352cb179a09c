// SHA-256 from the platform's crypto library, never hand-rolled: OpenSSL's libcrypto (EVP) on
// Linux, CommonCrypto on Apple platforms. This file holds the module's only platform `#if`.

#if canImport(CommonCrypto)
import CommonCrypto
#else
import CLibCrypto
#endif

/// An incremental SHA-256 hasher.
///
/// Feed it with ``update(_:)`` and read the result once with ``finalize()``. Not thread-safe:
/// one hasher belongs to one stream on one thread.
public final class SHA256 {
    #if canImport(CommonCrypto)
    private var context = CC_SHA256_CTX()
    #else
    private let context: OpaquePointer?
    #endif

    /// Creates a hasher with nothing hashed yet.
    public init() {
        #if canImport(CommonCrypto)
        CC_SHA256_Init(&context)
        #else
        context = EVP_MD_CTX_new()
        if let context { EVP_DigestInit_ex(context, EVP_sha256(), nil) }
        #endif
    }

    deinit {
        #if !canImport(CommonCrypto)
        EVP_MD_CTX_free(context)
        #endif
    }

    /// Adds `bytes` to the hash.
    ///
    /// The corresponding libcrypto call is `EVP_DigestUpdate` (`CC_SHA256_Update` on Apple platforms).
    /// - Parameter bytes: The bytes to hash; may be empty.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        #if canImport(CommonCrypto)
        var rest = bytes.count
        var p = base
        while rest > 0 {
            let n = min(rest, Int(Int32.max))
            CC_SHA256_Update(&context, p, CC_LONG(n))
            p += n
            rest -= n
        }
        #else
        EVP_DigestUpdate(context, base, bytes.count)
        #endif
    }

    /// Adds the bytes of `array` to the hash.
    /// - Parameter array: The bytes to hash.
    public func update(_ array: [UInt8]) {
        array.withUnsafeBytes { update($0) }
    }

    /// Ends the hash and returns the digest. Call it once.
    ///
    /// The corresponding libcrypto call is `EVP_DigestFinal_ex`.
    /// - Returns: The hash of every byte given to ``update(_:)``.
    public func finalize() -> SHA256Digest {
        var out = [UInt8](repeating: 0, count: 32)
        #if canImport(CommonCrypto)
        CC_SHA256_Final(&out, &context)
        #else
        var length: UInt32 = 0
        _ = out.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(context, $0.baseAddress, &length) }
        #endif
        return SHA256Digest(bytes: out)
    }

    /// The SHA-256 of `bytes` in one call.
    /// - Parameter bytes: The bytes to hash.
    /// - Returns: Their hash.
    public static func hash(_ bytes: [UInt8]) -> SHA256Digest {
        let h = SHA256()
        h.update(bytes)
        return h.finalize()
    }
}

/// The 32 bytes of a SHA-256 hash. The wire model's `Digest` (module OCI) is made from it; this
/// module knows hashes, not the `sha256:` notation.
public struct SHA256Digest: Hashable, Sendable, CustomStringConvertible {
    /// The raw hash, 32 bytes.
    public let bytes: [UInt8]

    /// Wraps 32 bytes of a hash.
    /// - Parameter bytes: The raw hash.
    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// The lower-case hex encoding, 64 digits.
    public var hex: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var chars = [UInt8]()
        chars.reserveCapacity(bytes.count * 2)
        for b in bytes {
            chars.append(digits[Int(b >> 4)])
            chars.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: chars, as: UTF8.self)
    }

    /// `sha256:` and the hex digits.
    public var description: String { "sha256:" + hex }
}
