import ByteIO
import Codec
import Foundation
import Gzip
import TestSupport
import Testing

/// Our Deflater and Inflater: round trips of every size, with buffers and reads of every size,
/// the level, the output limit, and a file read back through the sniffed prefix.
@Suite struct GzipRoundTripTests {
    @Test(arguments: [0, 1, 2, 1000, 256 * 1024 + 1, 3 * 1024 * 1024])
    func roundTripRandom(size: Int) throws {
        let input = TS.randomBytes(size, seed: UInt64(size) &+ 7)
        let compressed = try gzip(input)
        #expect(compressed.count >= 18 + (size == 0 ? 0 : 1))
        let (output, inflater) = try gunzip(compressed)
        #expect(output == input)
        #expect(inflater.bytesProduced == Int64(size))
        #expect(inflater.compressedBytesConsumed == Int64(compressed.count))
        #expect(inflater.membersCompleted == 1)
    }

    @Test func roundTripCompressibleWithSmallBuffers() throws {
        let input = TS.compressibleBytes(5 * 1024 * 1024 + 3)
        let compressed = try gzip(input, level: 9, outputBufferSize: 100)
        #expect(compressed.count < input.count / 50)
        // Odd caller buffers and a tiny input buffer exercise the refill and partial-read paths.
        let (output, inflater) = try gunzip(compressed, chunk: 100_003, inputBufferSize: 64)
        #expect(output == input)
        #expect(inflater.compressedBytesConsumed == Int64(compressed.count))
    }

    @Test func oneByteReads() throws {
        let input = TS.randomBytes(3000) + TS.compressibleBytes(3000)
        let compressed = try gzip(input, level: 1)
        let (output, inflater) = try gunzip(compressed, chunk: 1, inputBufferSize: 64)
        #expect(output == input)
        #expect(inflater.bytesProduced == Int64(input.count))
    }

    @Test func manySmallWrites() throws {
        let input = TS.compressibleBytes(200_000) + TS.randomBytes(100_000)
        let sink = BufferSink()
        let deflater = try Deflater(sink, level: 6, outputBufferSize: 1000)
        var offset = 0
        while offset < input.count {
            let n = min(777, input.count - offset)
            try input[offset..<offset + n].withUnsafeBytes { try deflater.write($0) }
            offset += n
        }
        try deflater.finish()
        try deflater.finish()  // idempotent
        #expect(try gunzip(sink.bytes).0 == input)
        #expect(throws: GzipError.self) {
            try [UInt8(1)].withUnsafeBytes { try deflater.write($0) }
        }
    }

    @Test func invalidLevelThrows() {
        #expect(throws: GzipError.invalidLevel(10)) { _ = try Deflater(BufferSink(), level: 10) }
        #expect(throws: GzipError.invalidLevel(-1)) { _ = try Deflater(BufferSink(), level: -1) }
    }

    @Test func maximumOutput() throws {
        let input = TS.compressibleBytes(100_000)
        let compressed = try gzip(input)
        #expect(try gunzip(compressed, maximumOutput: 100_000).0 == input)
        #expect(throws: GzipError.limitExceeded(limit: 99_999)) {
            _ = try gunzip(compressed, maximumOutput: 99_999)
        }
        #expect(throws: GzipError.limitExceeded(limit: 0)) {
            _ = try gunzip(compressed, maximumOutput: 0)
        }
    }

    @Test func sniffThenInflateThroughPrefixedSource() throws {
        try TS.withTemporaryDirectory { dir in
            let input = TS.randomBytes(300_000)
            let path = dir.appendingPathComponent("x.gz").path
            let sink = try FileSink(creating: path)
            let deflater = try Deflater(sink)
            try input.withUnsafeBytes { try deflater.write($0) }
            try deflater.finish()
            try sink.close()

            let file = try FileSource(path: path)
            var prefix = [UInt8](repeating: 0, count: CompressionFormat.sniffLength)
            let n = try prefix.withUnsafeMutableBytes { try file.readFully(into: $0) }
            #expect(n == CompressionFormat.sniffLength)
            #expect(CompressionFormat.detect(prefix) == .gzip)
            let inflater = try Inflater(PrefixedSource(prefix: prefix, source: file))
            #expect(try TS.readAll(inflater) == input)
            #expect(inflater.compressedBytesConsumed == file.size)
        }
    }
}
