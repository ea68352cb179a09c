import ByteIO
import Foundation
import TestSupport
import Testing

// @testable: `BlockBoundary`, where blocks end, is internal.
@testable import Gzip

/// `ParallelDeflater`: round trips through imgtool's own `Inflater`, gzip, pigz and Python;
/// determinism across thread counts; member boundaries. (Its output scanned back is
/// GzipMemberScannerTests'; `AtomicFileSink`, which `pack` writes into, is ByteIOTests'.)
@Suite struct ParallelDeflaterTests {
    // MARK: - Helpers

    /// Text-like bytes with some repetition at a distance (so the carried dictionary matters)
    /// and some noise.
    static func mixedBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        let noise = TS.noise(count, seed: seed)
        let words = ["usr/lib/", "node_modules/", "sha256:", "layer.tar", "libquery_engine", "\n", "{\"Config\":", "0123456789"]
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var i = 0
        while out.count < count {
            let r = Int(noise[i % noise.count])
            if r < 40 {
                out.append(noise[(i * 7) % noise.count])
            } else {
                out.append(contentsOf: words[r % words.count].utf8)
            }
            i += 1
        }
        return Array(out.prefix(count))
    }

    /// Compresses `members` (one gzip member each) in memory.
    static func pack(
        _ members: [[UInt8]], level: Int32 = 6, threads: Int = 2, blockSize: Int = 32 * 1024, pieces: Int = 7919
    ) throws -> (bytes: [UInt8], members: [GzipMember]) {
        let sink = BufferSink()
        let deflater = try ParallelDeflater(sink, level: level, threads: threads, blockSize: blockSize)
        for member in members {
            // Written in odd-sized pieces: block boundaries must not depend on them.
            var offset = 0
            while offset < member.count {
                let n = min(pieces, member.count - offset)
                try member.withUnsafeBytes { try deflater.write(UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + n)])) }
                offset += n
            }
            try deflater.endMember()
        }
        try deflater.finish()
        #expect(sink.isFinished)
        #expect(deflater.compressedBytesWritten == Int64(sink.bytes.count))
        #expect(deflater.bytesConsumed == Int64(members.reduce(0) { $0 + $1.count }))
        return (sink.bytes, deflater.members)
    }

    static func inflate(_ bytes: [UInt8]) throws -> [UInt8] {
        let inflater = try Inflater(BufferSource(bytes))
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try inflater.read(into: $0) }
            if n == 0 { return out }
            out += buffer[0..<n]
        }
    }

    static let sample: [[UInt8]] = [
        mixedBytes(1000, seed: 1),
        mixedBytes(32 * 1024, seed: 2),  // exactly one block
        mixedBytes(5 * 32 * 1024 + 17, seed: 3),  // several blocks, a short last one
        [0x42],
        mixedBytes(3 * 32 * 1024, seed: 4),  // a whole number of blocks
        TS.noise(70_000, seed: 5),  // incompressible
    ]

    // MARK: - Round trips

    @Test func roundTripThroughInflaterWithOneMemberPerWrite() throws {
        let (bytes, members) = try Self.pack(Self.sample)
        #expect(try Self.inflate(bytes) == Self.sample.flatMap { $0 })
        #expect(members.count == Self.sample.count)
        #expect(members.map(\.uncompressedSize) == Self.sample.map { Int64($0.count) })
    }

    @Test(arguments: [0, 1, 6, 9] as [Int32])
    func everyLevelRoundTrips(level: Int32) throws {
        let (bytes, _) = try Self.pack(Self.sample, level: level)
        #expect(try Self.inflate(bytes) == Self.sample.flatMap { $0 })
        #expect(bytes[8] == (level == 9 ? 2 : level < 2 ? 4 : 0), "XFL as zlib sets it")
        #expect(bytes[9] == 255, "OS unknown, for reproducible bytes")
    }

    @Test(arguments: ["gzip -dc", "pigz -dc", "python"])
    func otherToolsReadItBack(tool: String) throws {
        let tmp = try TS.TempDir()
        defer { tmp.cleanup() }
        let (bytes, _) = try Self.pack(Self.sample)
        try TS.write(bytes, to: tmp.path("out.gz"))
        let r: TS.ProcessResult
        if tool == "python" {
            r = try TS.tool(
                "python3", ["-c", "import gzip,sys; sys.stdout.buffer.write(gzip.open(sys.argv[1]).read())", tmp.path("out.gz")])
        } else {
            let parts = tool.split(separator: " ").map(String.init)
            r = try TS.tool(parts[0], Array(parts.dropFirst()) + [tmp.path("out.gz")])
        }
        #expect(r.status == 0, "\(r.stderr)")
        #expect([UInt8](r.stdoutData) == Self.sample.flatMap { $0 })
    }

    @Test func anEmptyStreamIsOneEmptyMember() throws {
        let (bytes, members) = try Self.pack([])
        #expect(members.count == 1)
        #expect(members.first?.uncompressedSize == 0)
        #expect(try Self.inflate(bytes) == [])
        let tmp = try TS.TempDir()
        defer { tmp.cleanup() }
        try TS.write(bytes, to: tmp.path("empty.gz"))
        let r = try TS.python("import gzip,sys; print(len(gzip.decompress(open(sys.argv[1],'rb').read())))", [tmp.path("empty.gz")])
        #expect(r == "0\n")
    }

    @Test func endMemberWithoutBytesWritesNoEmptyMember() throws {
        let sink = BufferSink()
        let deflater = try ParallelDeflater(sink, threads: 2)
        try deflater.endMember()
        try Array("abc".utf8).withUnsafeBytes { try deflater.write($0) }
        try deflater.endMember()
        try deflater.endMember()
        try deflater.finish()
        #expect(deflater.members.count == 1)
        #expect(try Self.inflate(sink.bytes) == Array("abc".utf8))
    }

    @Test func writeAfterFinishThrows() throws {
        let deflater = try ParallelDeflater(BufferSink(), threads: 1)
        try deflater.finish()
        #expect(throws: GzipError.self) { try [1, 2].withUnsafeBytes { try deflater.write($0) } }
    }

    @Test func invalidLevelIsRejected() {
        #expect(throws: GzipError.invalidLevel(10)) { try ParallelDeflater(BufferSink(), level: 10) }
    }

    // MARK: - Determinism and alignment

    @Test func outputDoesNotDependOnThreadCount() throws {
        let one = try Self.pack(Self.sample, threads: 1)
        for threads in [2, 3, 8] {
            let other = try Self.pack(Self.sample, threads: threads, pieces: 1000 + threads)
            #expect(other.bytes == one.bytes, "\(threads) threads")
            #expect(other.members == one.members)
        }
    }

    @Test func aMemberCompressesTheSameWhateverPrecedesIt() throws {
        let layer = Self.mixedBytes(200_000, seed: 9)
        let a = try Self.pack([Self.mixedBytes(5000, seed: 10), layer, Array("x".utf8)])
        let b = try Self.pack([Self.mixedBytes(90_000, seed: 11), Self.mixedBytes(77, seed: 12), layer])
        let ma = a.members[1]
        let mb = b.members[2]
        #expect(ma.uncompressedSize == Int64(layer.count) && mb.uncompressedSize == Int64(layer.count))
        #expect(
            Array(a.bytes[Int(ma.compressedOffset)..<Int(ma.compressedRange.upperBound)])
                == Array(b.bytes[Int(mb.compressedOffset)..<Int(mb.compressedRange.upperBound)]))
        #expect(ma.crc32 == mb.crc32)
    }

    @Test func membersCoverTheOutputWithoutGaps() throws {
        let (bytes, members) = try Self.pack(Self.sample)
        var compressed: Int64 = 0
        var uncompressed: Int64 = 0
        for m in members {
            #expect(m.compressedOffset == compressed)
            #expect(m.uncompressedOffset == uncompressed)
            compressed += m.compressedSize
            uncompressed += m.uncompressedSize
        }
        #expect(compressed == Int64(bytes.count))
        // Each member alone is a complete gzip file.
        for (m, original) in zip(members, Self.sample) {
            let alone = Array(bytes[Int(m.compressedOffset)..<Int(m.compressedRange.upperBound)])
            #expect(try Self.inflate(alone) == original)
        }
    }

    @Test func carriedDictionaryKeepsTheRatioOfOneStream() throws {
        // A member of many blocks compresses to within 1% of zlib in one stream.
        let data = Self.mixedBytes(2_000_000, seed: 21)
        let (bytes, _) = try Self.pack([data], blockSize: 128 * 1024)
        let sink = BufferSink()
        let single = try Deflater(sink, level: 6)
        try data.withUnsafeBytes { try single.write($0) }
        try single.finish()
        let ratio = Double(bytes.count) / Double(sink.bytes.count)
        #expect(ratio < 1.01, "parallel \(bytes.count) vs single stream \(sink.bytes.count)")
    }

    /// Blocks end where the content says: bytes inserted in the middle of a member change the
    /// compressed bytes around them, and the compressed bytes after them are those of the
    /// original, byte for byte (so that ship's and rsync's chunks find them).
    @Test func aChangeInsideAMemberChangesOnlyTheCompressedBytesAroundIt() throws {
        let data = Self.mixedBytes(6_000_000, seed: 5)
        var changed = data
        changed.insert(contentsOf: Self.mixedBytes(3000, seed: 6), at: 3_000_000)
        let (a, _) = try Self.pack([data], blockSize: 128 * 1024)
        let (b, _) = try Self.pack([changed], blockSize: 128 * 1024)
        #expect(try Self.inflate(b) == changed)
        // The same trailer length aside (CRC and size differ), how much of the end is shared.
        let x = Array(a.dropLast(8))
        let y = Array(b.dropLast(8))
        var prefix = 0
        while prefix < min(x.count, y.count) && x[prefix] == y[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < min(x.count, y.count) - prefix && x[x.count - 1 - suffix] == y[y.count - 1 - suffix] { suffix += 1 }
        let differing = y.count - prefix - suffix
        // The insertion, at half the data, changes a block or two of 128 KiB (a few tens of kB
        // compressed here, of about 740 kB): the bytes before it and after it are shared.
        #expect(prefix > x.count * 2 / 5, "shared head \(prefix) of \(x.count)")
        #expect(suffix > x.count * 2 / 5, "shared tail \(suffix) of \(x.count)")
        #expect(differing < x.count / 15, "differing \(differing) of \(y.count)")
    }

    /// The blocks are of about the block size: at least three quarters of it, at most twice.
    @Test func blocksAreCutByContentWithinTheirBounds() {
        var boundary = BlockBoundary(average: 128 * 1024)
        #expect(boundary.minimum == 96 * 1024)
        #expect(boundary.maximum == 256 * 1024)
        let data = Self.mixedBytes(8_000_000, seed: 9)
        var lengths: [Int] = []
        var filled = 0
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let rest = UnsafeRawBufferPointer(rebasing: raw[offset...])
                if let cut = boundary.cut(after: filled, in: rest) {
                    lengths.append(filled + cut)
                    filled = 0
                    offset += cut
                } else {
                    filled += rest.count
                    offset = raw.count
                }
            }
        }
        #expect(lengths.allSatisfy { $0 >= 96 * 1024 && $0 <= 256 * 1024 })
        let mean = lengths.reduce(0, +) / max(1, lengths.count)
        #expect(mean > 112 * 1024 && mean < 144 * 1024, "mean \(mean)")
        // Fed in other pieces, the same cuts.
        var again = BlockBoundary(average: 128 * 1024)
        var cuts2: [Int] = []
        var f2 = 0
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let piece = UnsafeRawBufferPointer(rebasing: raw[offset..<min(raw.count, offset + 7919)])
                if let cut = again.cut(after: f2, in: piece) {
                    cuts2.append(f2 + cut)
                    f2 = 0
                    offset += cut
                } else {
                    f2 += piece.count
                    offset += piece.count
                }
            }
        }
        #expect(cuts2 == lengths)
    }
}
