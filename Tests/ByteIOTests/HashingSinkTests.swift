import ByteIO
import Foundation
import TestSupport
import Testing

/// `HashingSink` (the SHA-256 of what passes through, as `pack` writes its output) and
/// `FileDigestTask` (a file's SHA-256 on a thread of its own), against sha256sum.
@Suite struct HashingSinkTests {
    @Test func theSinkHashesAndPassesOnEveryByte() throws {
        let bytes = TS.noise(3_000_001, seed: 11)
        let buffer = BufferSink()
        let sink = HashingSink(buffer)
        #expect(sink.sha256 == nil, "no digest before finish")
        var start = 0
        for size in [0, 1, 65_536, 1_000_000, 7] + Array(repeating: 1 << 20, count: 3) where start < bytes.count {
            let end = min(bytes.count, start + size)
            try bytes[start..<end].withUnsafeBytes { try sink.write($0) }
            start = end
        }
        try sink.finish()
        #expect(buffer.bytes == bytes)
        #expect(sink.count == Int64(bytes.count))
        #expect(sink.sha256 == SHA256.hash(bytes))
    }

    @Test func aFileIsHashedOnAThreadOfItsOwn() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let path = dir.path("f")
        try Data(TS.noise(2_500_000, seed: 3)).write(to: URL(fileURLWithPath: path))
        let expected = try TS.run("/usr/bin/sha256sum", [path]).stdout.prefix(64)
        let task = FileDigestTask(path: path)
        let (digest, size) = try task.wait()
        #expect(digest.hex == String(expected))
        #expect(size == 2_500_000)
        #expect(throws: ByteIOError.self) { try FileDigestTask(path: dir.path("missing")).wait() }
    }
}
