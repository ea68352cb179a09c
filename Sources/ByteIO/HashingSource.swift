/// A ``ByteSource`` that tees every byte it passes on into a SHA-256 hasher and counts them.
///
/// Skipping reads through the bytes, so that the hash covers them too.
public final class HashingSource: ByteSource {
    private var source: any ByteSource
    private let hasher = SHA256()
    /// How many bytes have passed through so far.
    public private(set) var count: Int64 = 0

    /// Wraps `source`.
    /// - Parameter source: The stream to hash.
    public init(_ source: any ByteSource) {
        self.source = source
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try source.read(into: buffer)
        if n > 0 {
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            count += Int64(n)
        }
        return n
    }

    /// Skipped bytes are read, and hashed.
    public func skip(_ count: Int64) throws -> Int64 {
        try discardByReading(count)
    }

    /// Reads whatever is left to the end of the stream, then returns the digest of everything.
    ///
    /// - Returns: The SHA-256 of every byte of the stream and the stream's length.
    public func finish() throws -> (digest: SHA256Digest, count: Int64) {
        _ = try skip(Int64.max)
        return (hasher.finalize(), count)
    }
}
