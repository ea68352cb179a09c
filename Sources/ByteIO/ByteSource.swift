/// A stream of bytes read front to back, shaped like swift-system's `read(into:)`.
///
/// Every stage of imgtool's single pass is a `ByteSource`: a file or stdin, a gzip ``Inflater``,
/// a hashing tee, a bounded view of one tar member. Stages compose by wrapping one another.
public protocol ByteSource {
    /// Reads up to `buffer.count` bytes into `buffer`.
    ///
    /// - Parameter buffer: Where the bytes go. An empty buffer reads nothing and returns 0.
    /// - Returns: The number of bytes read. It is `0` only at the end of the stream; a short
    ///   read does not mean the end.
    /// - Throws: An error describing what went wrong and where; never returns -1.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int

    /// Moves past the next `count` bytes without handing them to the caller.
    ///
    /// Sources that can seek (a regular file that nothing hashes) do so; the default
    /// implementation reads and discards.
    ///
    /// - Parameter count: How many bytes to pass over.
    /// - Returns: The number of bytes passed over: less than `count` only at the end of the stream.
    mutating func skip(_ count: Int64) throws -> Int64
}

extension ByteSource {
    /// Reads and discards `count` bytes through a scratch buffer.
    public mutating func skip(_ count: Int64) throws -> Int64 {
        try Self.discard(count, from: &self)
    }

    /// The one read-and-discard loop of the package: reads `count` bytes of `source` through a
    /// scratch buffer of at most 256 KiB, allocated for the call.
    ///
    /// - Returns: The number of bytes passed over: less than `count` only at the end of the stream.
    static func discard(_ count: Int64, from source: inout Self) throws -> Int64 {
        if count <= 0 { return 0 }
        let scratchSize = Int(min(count, 256 * 1024))
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: scratchSize, alignment: 16)
        defer { scratch.deallocate() }
        var done: Int64 = 0
        while done < count {
            let want = Int(min(Int64(scratchSize), count - done))
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<want]))
            if n == 0 { break }
            done += Int64(n)
        }
        return done
    }

    /// Fills `buffer` completely unless the stream ends first.
    ///
    /// - Returns: The number of bytes read: less than `buffer.count` only at the end of the stream.
    public mutating func readFully(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if n == 0 { break }
            filled += n
        }
        return filled
    }
}
