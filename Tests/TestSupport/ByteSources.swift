import ByteIO

/// A ``ByteSource`` wrapper that counts the bytes read and those skipped.
package final class CountingByteSource: ByteSource {
    private var inner: any ByteSource
    package private(set) var bytesRead: Int64 = 0
    package private(set) var bytesSkipped: Int64 = 0
    package private(set) var readCalls = 0

    package init(_ inner: any ByteSource) { self.inner = inner }

    package func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        readCalls += 1
        let n = try inner.read(into: buffer)
        bytesRead += Int64(n)
        return n
    }

    package func skip(_ count: Int64) throws -> Int64 {
        let n = try inner.skip(count)
        bytesSkipped += n
        return n
    }
}

/// A source that hands out at most `chunk` bytes per read (short reads must not matter).
package struct DribbleSource: ByteSource {
    package var inner: BufferSource
    package let chunk: Int
    package init(inner: BufferSource, chunk: Int) {
        self.inner = inner
        self.chunk = chunk
    }
    package mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(chunk, buffer.count)
        return inner.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n]))
    }
    package mutating func skip(_ count: Int64) throws -> Int64 {
        // Read and discard, as a pipe would.
        var done: Int64 = 0
        var scratch = [UInt8](repeating: 0, count: 1000)
        while done < count {
            let want = Int(min(Int64(scratch.count), count - done))
            let n = scratch.withUnsafeMutableBytes { inner.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<want])) }
            if n == 0 { break }
            done += Int64(n)
        }
        return done
    }
}

extension TS {
    /// Reads a source to its end in chunks of `chunk` bytes; throws (failing the test) if a read
    /// returns more than it was asked for.
    package static func readAll(_ source: any ByteSource, chunk: Int = 64 * 1024) throws -> [UInt8] {
        var source = source
        var result: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try source.read(into: buffer)
            if n == 0 { return result }
            guard n <= chunk else { throw Failure("a read returned \(n) bytes into a buffer of \(chunk)") }
            result.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
    }
}
