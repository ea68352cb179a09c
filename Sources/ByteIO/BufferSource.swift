/// A ``ByteSource`` over bytes in memory, for tests and small inputs.
public struct BufferSource: ByteSource, Sendable {
    /// All the bytes, read or not.
    public let bytes: [UInt8]

    /// The index of the next byte to read.
    public private(set) var position: Int = 0

    /// Reads `bytes` front to back.
    ///
    /// - Parameter bytes: The whole stream.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Bytes not yet read.
    public var remaining: Int { bytes.count - position }

    /// Copies up to `buffer.count` bytes.
    ///
    /// - Parameter buffer: Where the bytes go.
    /// - Returns: The number of bytes copied; `0` only at the end.
    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let n = min(buffer.count, remaining)
        guard n > 0 else { return 0 }
        let start = position
        bytes.withUnsafeBytes { all in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: all[start..<start + n]))
        }
        position += n
        return n
    }

    /// Moves the position forward without copying.
    ///
    /// - Parameter count: How many bytes to pass over.
    /// - Returns: The number of bytes passed over: less than `count` only at the end.
    public mutating func skip(_ count: Int64) -> Int64 {
        guard count > 0 else { return 0 }
        let n = Int(min(count, Int64(remaining)))
        position += n
        return Int64(n)
    }
}
