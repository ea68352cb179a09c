import ByteIO
import OCI

extension Digest {
    /// The `sha256:` digest of a hash computed here.
    /// - Parameter hash: A SHA-256 from ``ByteIO/SHA256``.
    init(_ hash: SHA256Digest) {
        self.init(sha256Bytes: hash.bytes)
    }
}
