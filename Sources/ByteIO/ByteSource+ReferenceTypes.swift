extension ByteSource where Self: AnyObject {
    /// Fills `buffer` completely unless the stream ends first; the non-mutating form for class
    /// sources (``FileSource``, ``Inflater``, ``PrefixedSource``), so that a `let` reference will do.
    ///
    /// - Parameter buffer: Where the bytes go.
    /// - Returns: The number of bytes read: less than `buffer.count` only at the end of the stream.
    /// - Throws: Whatever `read(into:)` throws.
    public func readFully(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            var source = self
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if n == 0 { break }
            filled += n
        }
        return filled
    }

    /// Reads and discards `count` bytes through a scratch buffer, for class sources that cannot
    /// seek, and for wrappers that must see every byte (a tap) even where their source could.
    ///
    /// - Parameter count: How many bytes to pass over.
    /// - Returns: The number of bytes passed over: less than `count` only at the end of the stream.
    public func discardByReading(_ count: Int64) throws -> Int64 {
        var source = self
        return try Self.discard(count, from: &source)
    }

    /// Reads the source to its end, handing `body` each run of bytes read.
    ///
    /// - Parameters:
    ///   - bufferSize: The most bytes one read asks for.
    ///   - body: Called with each run of bytes; they are valid during the call only.
    /// - Returns: The number of bytes read.
    @discardableResult
    public func forEachRead(bufferSize: Int = 1 << 20, _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Int64 {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bufferSize), alignment: 16)
        defer { buffer.deallocate() }
        var source = self
        var total: Int64 = 0
        while true {
            let n = try source.read(into: buffer)
            if n == 0 { return total }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            total += Int64(n)
        }
    }
}
