import ByteIO
import OCI

extension Digest {
    /// The `sha256:` digest of a hash computed here.
    /// - Parameter hash: A SHA-256 from ``ByteIO/SHA256``.
    package init(_ hash: SHA256Digest) {
        self.init(sha256Bytes: hash.bytes)
    }

    /// The `sha256:` digest of `bytes`.
    /// - Parameter bytes: The bytes to hash.
    package static func sha256(of bytes: [UInt8]) -> Digest {
        Digest(SHA256.hash(bytes))
    }
}
