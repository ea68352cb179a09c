extension ByteSource {
    /// Copies exactly `count` bytes of this source to `sink`, in pieces of up to 1 MiB.
    ///
    /// - Parameters:
    ///   - count: How many bytes to copy.
    ///   - sink: Where they go.
    ///   - each: Called with each piece after it is written (to count or hash it).
    /// - Throws: ``ByteIOError`` with `EIO` when the source ends first; what reading or
    ///   writing throws.
    public mutating func copy(
        _ count: Int64, to target: any ByteSink, each: (UnsafeRawBufferPointer) throws -> Void = { _ in }
    ) throws {
        var sink = target
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        var left = count
        while left > 0 {
            let want = Int(min(Int64(buffer.count), left))
            let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]))
            guard n > 0 else { throw ByteIOError(operation: "read", errno: POSIX.ioError, path: nil) }
            let piece = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            try sink.write(piece)
            try each(piece)
            left -= Int64(n)
        }
    }
}
