import ByteIO
import Codec
import TestSupport
import Testing
import Zstd

/// Our compressor and decompressor against each other and against the real `zstd` and `pzstd`.
@Suite struct ZstdRoundTripTests {
    let input = TS.randomBytes(300_000) + TS.compressibleBytes(3_000_000)

    @Test func ourFramesReadBackByUsAndByZstd() throws {
        let parts = [Array(input.prefix(1000)), Array(input.dropFirst(1000)), [1, 2, 3]]
        let (bytes, compressor) = try zstd(parts)
        #expect(compressor.writtenMembers.count == 3)
        #expect(compressor.writtenMembers.map(\.uncompressedSize) == parts.map { Int64($0.count) })
        #expect(compressor.writtenMembers.last!.compressedRange.upperBound == Int64(bytes.count))
        let (back, d) = try unzstd(bytes)
        #expect(back == parts.flatMap { $0 })
        #expect(d.membersCompleted == 3)
        #expect(d.compressedBytesConsumed == Int64(bytes.count))
        #expect(d.bytesProduced == Int64(back.count))
        #expect(try pipe("zstd -dc", bytes) == back)
        // Each frame decompresses alone.
        for (m, part) in zip(compressor.writtenMembers, parts) {
            let frame = Array(bytes[Int(m.compressedOffset)..<Int(m.compressedRange.upperBound)])
            #expect(try unzstd(frame).0 == part)
            #expect(CompressionFormat.detect(frame) == .zstd)
        }
    }

    @Test func sameBytesWhateverTheThreadCount() throws {
        let one = try zstd([input], threads: 1).0
        let four = try zstd([input], threads: 4).0
        #expect(one == four)
    }

    @Test func readsWhatTheZstdCommandWrites() throws {
        for command in ["zstd -3 -c", "zstd -19 -c", "zstd -T0 -c", "zstd --no-check -c", "zstd -1 --long=27 -c"] {
            let compressed = try pipe(command, input)
            #expect(try unzstd(compressed).0 == input, "\(command)")
            #expect(try unzstd(compressed, chunk: 777, inputBufferSize: 64).0 == input, "\(command), small buffers")
        }
    }

    @Test func readsPzstdsFramesAndSkippableFrames() throws {
        // pzstd writes a skippable frame (the next frame's size) before each of its frames.
        let compressed = try pipe("pzstd -p 2 -c", input)
        #expect(compressed.starts(with: [0x50, 0x2A, 0x4D, 0x18]))
        let (back, d) = try unzstd(compressed)
        #expect(back == input)
        #expect(d.membersCompleted >= 1)
    }

    @Test func concatenatedStreams() throws {
        let a = try pipe("zstd -c", Array(input.prefix(5000)))
        let b = try pipe("zstd -c", Array(input.suffix(7000)))
        let skippable: [UInt8] = [0x5E, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 9, 9, 9]
        let (back, d) = try unzstd(a + skippable + b)
        #expect(back == Array(input.prefix(5000)) + Array(input.suffix(7000)))
        #expect(d.membersCompleted == 2)
    }

    @Test func emptyFrame() throws {
        let empty = try pipe("zstd -c", [])
        let (back, d) = try unzstd(empty)
        #expect(back.isEmpty)
        #expect(d.membersCompleted == 1)
    }

    /// Found by the zstd fuzz harness (Tests/Fixtures/fuzz-regressions/zstd/empty-built-stream:
    /// members with no bytes): a compressor given nothing writes nothing, no frame, and that empty
    /// stream is not zstd, as an empty file is not gzip. (The harness expected a frame; it was
    /// the harness that was wrong.)
    @Test func nothingCompressedIsNoFrame() throws {
        let regression = try TS.bytes(TS.fixture("fuzz-regressions/zstd/empty-built-stream"))
        #expect(regression.count == 2, "the harness's mode and knob bytes, no data")
        let (bytes, compressor) = try zstd([[], [], []])
        #expect(bytes.isEmpty)
        #expect(compressor.writtenMembers.isEmpty)
        #expect(throws: ZstdError.notZstd(offset: 0)) { _ = try unzstd(bytes) }
    }

    @Test func levelsOutOfRange() {
        #expect(throws: ZstdError.invalidLevel(0)) { _ = try ZstdCompressor(BufferSink(), level: 0) }
        #expect(throws: ZstdError.invalidLevel(99)) { _ = try ZstdCompressor(BufferSink(), level: 99) }
    }
}
