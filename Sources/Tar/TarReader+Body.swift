import ByteIO

/// A ``TarReader``'s entry data: read, peeked at, skipped, or handed out as a bounded
/// ``ByteIO/ByteSource``.
extension TarReader {
    // MARK: - Entry data

    /// Reads up to `destination.count` bytes of the current entry's data.
    ///
    /// - Returns: The number of bytes read; 0 when the entry's data is all read.
    /// - Throws: ``TarError/truncated(member:offset:expected:)`` when the stream ends inside the data.
    public func readBody(into destination: UnsafeMutableRawBufferPointer) throws -> Int {
        if bodyRemaining == 0 || destination.count == 0 { return 0 }
        let want = Int(min(Int64(destination.count), bodyRemaining))
        if available == 0 {
            if want >= Self.directReadThreshold && !sourceEnded {
                // Large reads go straight from the source into the caller's memory.
                let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: destination[0..<want]))
                if n == 0 {
                    sourceEnded = true
                    throw bodyTruncated()
                }
                position += Int64(n)
                bodyRemaining -= Int64(n)
                return n
            }
            // A small read (the end of a skip, padding) buffers only a little: the larger reads
            // that follow go straight to their destination instead of copying a refilled buffer.
            guard try fill(1, readAhead: Self.directReadThreshold) else { throw bodyTruncated() }
        }
        let n = min(want, available)
        destination.baseAddress!.copyMemory(from: buffer.baseAddress!.advanced(by: start), byteCount: n)
        consume(n)
        bodyRemaining -= Int64(n)
        return n
    }

    /// Up to `count` of the next bytes of the current entry's data, without consuming them.
    ///
    /// - Returns: A view of the buffered bytes, valid until the next call on the reader; shorter
    ///   than `count` when the entry (or the buffer) holds fewer.
    public func peekBody(_ count: Int) throws -> UnsafeRawBufferPointer {
        let want = Int(min(Int64(min(count, buffer.count)), bodyRemaining))
        try fill(want)
        let n = min(want, available)
        return UnsafeRawBufferPointer(rebasing: buffer[start..<(start + n)])
    }

    /// Passes over up to `count` bytes of the current entry's data.
    /// - Returns: The number of bytes passed over.
    public func skipBody(_ count: Int64) throws -> Int64 {
        let want = min(count, bodyRemaining)
        let done = try discard(want)
        bodyRemaining -= done
        if done < want { throw bodyTruncated() }
        return done
    }

    /// The current entry's data as a ``ByteSource`` that ends where the data ends.
    public func body() -> Body { Body(reader: self) }

    /// The data of a ``TarReader``'s current entry, as a bounded ``ByteSource``.
    public struct Body: ByteSource {
        let reader: TarReader

        public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            try reader.readBody(into: buffer)
        }

        public func skip(_ count: Int64) throws -> Int64 {
            try reader.skipBody(count)
        }
    }
}
