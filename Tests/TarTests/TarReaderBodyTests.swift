import ByteIO
import Foundation
import Tar
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Entry bodies: peeked, read in part or whole, and skipped without being read (by seeking on a
/// file).
@Suite struct TarReaderBodyTests {
    @Test func peekAndReadBody() throws {
        let content = Array(String(repeating: "0123456789", count: 100).utf8)
        let bytes = TS.entry(TS.header(name: "digits", size: 1000), content) + TS.file("second", "2nd") + TS.endMarker
        let reader = TarReader(BufferSource(bytes))
        let e = try #require(try reader.next())
        #expect(e.dataSize == 1000)
        #expect(reader.remainingInEntry == 1000)
        #expect(Array(try reader.peekBody(10)) == Array("0123456789".utf8))
        #expect(try reader.peekBody(5000).count == 1000)  // never past the entry
        #expect(reader.remainingInEntry == 1000)  // peeking consumes nothing
        var four = [UInt8](repeating: 0, count: 4)
        #expect(try four.withUnsafeMutableBytes { try reader.readBody(into: $0) } == 4)
        #expect(four == Array("0123".utf8))
        #expect(reader.remainingInEntry == 996)
        #expect(Array(try reader.peekBody(3)) == Array("456".utf8))
        #expect(try reader.skipBody(6) == 6)
        var body = reader.body()
        var rest = [UInt8](repeating: 0, count: 2000)
        let n = try rest.withUnsafeMutableBytes { try body.readFully(into: $0) }
        #expect(n == 990)
        #expect(Array(rest[0..<n]) == Array(content[10...]))
        #expect(try four.withUnsafeMutableBytes { try reader.readBody(into: $0) } == 0)
        #expect(try reader.peekBody(10).count == 0)
        let second = try #require(try reader.next())
        #expect(second.path == "second")
        #expect(second.headerOffset == 1536)
        #expect(reader.offset == 2048)
        #expect(try reader.next() == nil)
        #expect(try reader.next() == nil)
    }

    @Test func partialReadThenNextSkipsTheRest() throws {
        let content = TS.noise(200_000, seed: 5)
        let bytes = TS.entry(TS.header(name: "big", size: 200_000), content) + TS.file("small", "s") + TS.endMarker
        for dribble in [false, true] {
            let source: any ByteSource = dribble ? DribbleSource(inner: BufferSource(bytes), chunk: 777) : BufferSource(bytes)
            let reader = TarReader(source, bufferSize: 4096)
            _ = try #require(try reader.next())
            // Big reads go straight from the source; the bytes must still be right.
            var first = [UInt8](repeating: 0, count: 100_000)
            let got = try first.withUnsafeMutableBytes { buf -> Int in
                var body = reader.body()
                return try body.readFully(into: buf)
            }
            #expect(got == 100_000)
            #expect(first == Array(content[0..<100_000]))
            let next = try #require(try reader.next())
            #expect(next.path == "small")
            #expect(next.headerOffset == 512 + 200_192)
            #expect(try TS.readBody(reader) == Array("s".utf8))
        }
    }

    @Test func bodiesAreSkippedNotRead() throws {
        let size = 8 << 20
        var bytes = TS.header(name: "huge", size: Int64(size))
        bytes += [UInt8](repeating: 0x5a, count: size)
        bytes += TS.file("tail", "t") + TS.endMarker
        let counting = CountingByteSource(BufferSource(bytes))
        let reader = TarReader(counting, bufferSize: 4096)
        #expect(try reader.next()?.path == "huge")
        #expect(try reader.next()?.path == "tail")
        #expect(try reader.next() == nil)
        #expect(counting.bytesRead < 64 * 1024, "read \(counting.bytesRead) bytes")
        #expect(counting.bytesSkipped >= Int64(size - 4096))
    }

    @Test func fileSourceSeeksOverA64MiBSparseBody() throws {
        let tmp = try TS.TempDir()
        defer { tmp.cleanup() }
        let path = tmp.path("sparse.tar")
        let size: Int64 = 64 << 20
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o644)
        try #require(fd >= 0)
        let h = TS.header(name: "huge.bin", size: size)
        let tail = TS.file("tail.txt", "tail") + TS.endMarker
        _ = h.withUnsafeBytes { pwrite(fd, $0.baseAddress, 512, 0) }
        _ = tail.withUnsafeBytes { pwrite(fd, $0.baseAddress, tail.count, off_t(512 + size)) }
        close(fd)
        let file = try FileSource(path: path)
        #expect(file.isSeekableRegularFile)
        let counting = CountingByteSource(file)
        let clock = ContinuousClock()
        let start = clock.now
        let reader = TarReader(counting)
        #expect(try reader.next()?.path == "huge.bin")
        let t = try #require(try reader.next())
        #expect(t.path == "tail.txt")
        #expect(t.headerOffset == 512 + size)
        #expect(try TS.readBody(reader) == Array("tail".utf8))
        #expect(try reader.next() == nil)
        let elapsed = clock.now - start
        #expect(counting.bytesRead <= 512 * 1024, "read \(counting.bytesRead) bytes of a \(size)-byte body")
        #expect(counting.bytesSkipped >= size - 512 * 1024)
        #expect(file.offset == 512 + size + Int64(tail.count))
        #expect(elapsed < .seconds(2))
    }
}
