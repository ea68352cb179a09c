import ByteIO
import Codec
import OCI
import Ship
import TestSupport
import Testing
import Zstd

/// In a zstd stream, chunks start where imgtool's frames start, as they start at its gzip
/// members: a frame's chunks depend on the frame alone, so a layer shared by two archives packed
/// with `pack --zstd` gives the same chunks in both.
@Suite struct ChunkPlannerZstdTests {
    static func plan(_ bytes: [UInt8], average: Int) -> ChunkPlan {
        let planner = ChunkPlanner(parameters: .init(average: average))
        bytes.withUnsafeBytes { planner.feed($0) }
        return planner.finish()
    }

    static func frames(_ parts: [[UInt8]]) throws -> ([UInt8], [CompressedMember]) {
        let sink = BufferSink()
        let z = try ZstdCompressor(sink, level: 3, threads: 1)
        for p in parts {
            try p.withUnsafeBytes { try z.write($0) }
            try z.endMember()
        }
        try z.finish()
        return (sink.bytes, z.writtenMembers)
    }

    @Test func everyFrameStartsAChunk() throws {
        let parts = [TS.noise(300_000, seed: 1), TS.noise(200_000, seed: 2), TS.noise(400_000, seed: 3)]
        let (bytes, members) = try Self.frames(parts)
        let starts = Set(Self.plan(bytes, average: 1 << 16).chunks.map(\.offset))
        for m in members { #expect(starts.contains(m.compressedOffset), "frame at \(m.compressedOffset)") }
    }

    @Test func aSharedFrameGivesTheSameChunks() throws {
        let shared = TS.noise(500_000, seed: 7)
        let (a, am) = try Self.frames([TS.noise(100_000, seed: 8), shared])
        let (b, bm) = try Self.frames([TS.noise(170_000, seed: 9), shared])
        func chunks(_ bytes: [UInt8], from: Int64) -> [Digest] {
            Self.plan(bytes, average: 1 << 16).chunks.filter { $0.offset >= from }.map(\.digest)
        }
        #expect(chunks(a, from: am[1].compressedOffset) == chunks(b, from: bm[1].compressedOffset))
        #expect(!chunks(a, from: am[1].compressedOffset).isEmpty)
    }

    /// A gzip stream keeps its own rule: a zstd magic inside it is no boundary.
    @Test func aGzipStreamIsNotCutAtZstdMagic() {
        var bytes = [UInt8](repeating: 0x1F, count: 1) + TS.noise(200_000, seed: 4)
        bytes.replaceSubrange(100_000..<100_010, with: [0x28, 0xB5, 0x2F, 0xFD, 0x04, 0, 0, 0, 0, 0])
        #expect(!Self.plan(bytes, average: 1 << 16).chunks.contains { $0.offset == 100_000 })
    }
}
