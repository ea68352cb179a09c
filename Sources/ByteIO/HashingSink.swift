/// A ``ByteSink`` that hashes and counts every byte it passes on to another sink: the SHA-256 of
/// a file while it is written, with no second read.
public final class HashingSink: ByteSink {
    private var sink: any ByteSink
    private let hasher = SHA256()
    private var digest: SHA256Digest?
    /// How many bytes have passed through so far.
    public private(set) var count: Int64 = 0

    /// Wraps `sink`.
    /// - Parameter sink: Where the bytes go.
    public init(_ sink: any ByteSink) {
        self.sink = sink
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try sink.write(bytes)
        hasher.update(bytes)
        count += Int64(bytes.count)
    }

    /// Finishes the wrapped sink and ends the hash.
    public func finish() throws {
        try sink.finish()
        if digest == nil { digest = hasher.finalize() }
    }

    /// The SHA-256 of every byte written, once ``finish()`` returned; `nil` before.
    public var sha256: SHA256Digest? { digest }
}
