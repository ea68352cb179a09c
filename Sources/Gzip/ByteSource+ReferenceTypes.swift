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
        if count <= 0 { return 0 }
        let scratchSize = Int(min(count, 256 * 1024))
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: scratchSize, alignment: 16)
        defer { scratch.deallocate() }
        var source = self
        var done: Int64 = 0
        while done < count {
            let want = Int(min(Int64(scratchSize), count - done))
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<want]))
            if n == 0 { break }
            done += Int64(n)
        }
        return done
    }
}
