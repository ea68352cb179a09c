/// A ``ByteSink`` collecting everything written into memory, for tests and small outputs.
public final class BufferSink: ByteSink {
    /// Everything written so far.
    public private(set) var bytes: [UInt8] = []

    /// Whether ``finish()`` was called.
    public private(set) var isFinished = false

    /// An empty sink.
    public init() {}

    /// Appends `bytes`.
    ///
    /// - Parameter bytes: The bytes to append.
    public func write(_ bytes: UnsafeRawBufferPointer) {
        self.bytes.append(contentsOf: bytes)
    }

    /// Records that the stream is complete.
    public func finish() {
        isFinished = true
    }
}
