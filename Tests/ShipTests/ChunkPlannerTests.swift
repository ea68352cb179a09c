import ByteIO
import Gzip
import OCI
import TestSupport
import Testing

// @testable: the reference boundaries below use the gear table itself (`ChunkPlanner.gear`, internal).
@testable import Ship

/// `ChunkPlanner`: content-defined chunks that cover the file, do not depend on how the bytes
/// arrive, survive an insertion, and start at imgtool's gzip members. (The exact boundaries
/// on fixed input are ChunkPlannerGoldenTests'.)
@Suite struct ChunkPlannerTests {
    static func plan(_ bytes: [UInt8], average: Int = 1 << 16, splits: [Int] = []) -> ChunkPlan {
        let planner = ChunkPlanner(parameters: .init(average: average))
        var start = 0
        bytes.withUnsafeBytes { all in
            for cut in splits + [bytes.count] where cut >= start {
                planner.feed(UnsafeRawBufferPointer(rebasing: all[start..<cut]))
                start = cut
            }
        }
        return planner.finish()
    }

    @Test func chunksCoverTheFileAndCarryTheirOwnDigests() {
        let bytes = TS.noise(700_000, seed: 7)
        let p = Self.plan(bytes)
        #expect(p.size == Int64(bytes.count))
        #expect(p.digest == Digest(sha256Bytes: SHA256.hash(bytes).bytes))
        var offset: Int64 = 0
        for c in p.chunks {
            #expect(c.offset == offset)
            #expect(c.length >= 1 << 15 || c.offset + Int64(c.length) == p.size)
            #expect(c.length <= 1 << 18)
            #expect(c.digest == Digest(sha256Bytes: SHA256.hash(Array(bytes[Int(c.offset)..<Int(c.offset) + c.length])).bytes))
            offset += Int64(c.length)
        }
        #expect(offset == p.size)
        #expect(p.chunks.count > 3)
    }

    @Test func howTheBytesArriveDoesNotChangeThePlan() {
        let bytes = TS.noise(400_000, seed: 11)
        let whole = Self.plan(bytes)
        #expect(Self.plan(bytes, splits: [1, 2, 3, 9, 10, 11, 5000, 5003, 131_072, 131_080]) == whole)
        #expect(Self.plan(bytes, splits: Array(stride(from: 7, to: 400_000, by: 4093))) == whole)
    }

    @Test func contentDefinedBoundariesSurviveAnInsertion() {
        let bytes = TS.noise(1_000_000, seed: 3)
        var shifted = bytes
        shifted.insert(contentsOf: [1, 2, 3, 4, 5], at: 1000)
        let a = Set(Self.plan(bytes).chunks.map(\.digest))
        let b = Self.plan(shifted).chunks.map(\.digest)
        let shared = b.filter { a.contains($0) }.count
        #expect(shared >= b.count - 2, "only the chunk with the insertion changes: \(shared) of \(b.count)")
    }

    /// Every boundary, found the plain way: the rolling hash over every byte.
    static func referenceBoundaries(_ bytes: [UInt8], _ parameters: ChunkPlanner.Parameters) -> [Int] {
        var cuts: [Int] = []
        var start = 0
        var h: UInt64 = 0
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x1F, i > start, i + 9 < bytes.count, bytes[i + 1] == 0x8B, bytes[i + 2] == 8,
                bytes[i + 3...i + 7].allSatisfy({ $0 == 0 }), bytes[i + 9] == 0xFF
            {
                cuts.append(i)
                start = i
                h = 0
            }
            h = (h &<< 1) &+ ChunkPlanner.gear[Int(b)]
            let length = i + 1 - start
            if length >= parameters.maximum || (length >= parameters.minimum && h & parameters.mask == 0) {
                cuts.append(i + 1)
                start = i + 1
                h = 0
            }
            i += 1
        }
        if start < bytes.count { cuts.append(bytes.count) }
        return cuts
    }

    @Test func skippingTheHashBeforeTheMinimumFindsTheSameBoundaries() throws {
        // Noise with member headers sprinkled in (some closer together than the minimum, one
        // right at the start), fed in uneven pieces.
        var bytes = TS.noise(3_000_000, seed: 21)
        let header: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF]
        for at in [0, 5000, 70_000, 71_000, 400_003, 1_000_000, 1_000_040, 2_999_980] {
            bytes.replaceSubrange(at..<at + header.count, with: header)
        }
        let parameters = ChunkPlanner.Parameters(average: 64 << 10)
        let want = Self.referenceBoundaries(bytes, parameters)
        #expect(want.count > 20)
        for splits in [[], Array(stride(from: 5, to: 3_000_000, by: 65_521)), [9, 10, 32_700, 32_800, 1_000_035]] {
            let planner = ChunkPlanner(parameters: parameters)
            var at = 0
            bytes.withUnsafeBytes { all in
                for end in splits + [bytes.count] where end > at {
                    planner.feed(UnsafeRawBufferPointer(rebasing: all[at..<end]))
                    at = end
                }
            }
            let got = planner.finish().chunks.map { Int($0.offset) + $0.length }
            #expect(got == want, "splits \(splits.count)")
        }
    }

    @Test func chunksStartAtImgtoolGzipMembers() throws {
        // Two gzip members written by the Deflater (mtime 0, OS 255): the second member starts a chunk,
        // so the same member gives the same chunk after any prefix.
        func member(_ bytes: [UInt8]) throws -> [UInt8] {
            let sink = BufferSink()
            let d = try Deflater(sink, level: 6)
            try bytes.withUnsafeBytes { try d.write($0) }
            try d.finish()
            return sink.bytes
        }
        let layer = try member(TS.noise(150_000, seed: 5))
        let first = try member(TS.noise(20_000, seed: 1))
        let other = try member(TS.noise(33_333, seed: 2))
        let p1 = Self.plan(first + layer)
        let p2 = Self.plan(other + layer)
        #expect(p1.chunks.contains { $0.offset == Int64(first.count) })
        #expect(p2.chunks.contains { $0.offset == Int64(other.count) })
        let tail1 = p1.chunks.filter { $0.offset >= Int64(first.count) }.map(\.digest)
        let tail2 = p2.chunks.filter { $0.offset >= Int64(other.count) }.map(\.digest)
        #expect(tail1 == tail2 && !tail1.isEmpty)
    }

    @Test func aPlannerThatLeavesTheFileHashToTheCallerCutsTheSameChunks() {
        let bytes = TS.noise(900_000, seed: 5)
        let whole = Self.plan(bytes)
        let planner = ChunkPlanner(parameters: .init(average: 1 << 16), hashesFile: false)
        bytes.withUnsafeBytes { planner.feed($0) }
        let given = Digest(sha256Bytes: SHA256.hash(Array("another digest".utf8)).bytes)
        let p = planner.finish(fileDigest: given)
        #expect(p.chunks == whole.chunks)
        #expect(p.size == whole.size)
        #expect(p.digest == given, "the digest is the caller's")
    }
}
