import Foundation
import Gzip
import Testing

@testable import ImageArchive
@testable import ImageVerify
@testable import Tar
import OCI
import ByteIO
import Codec

/// `ArchivePacker` and `TarSpanSplitter` as a library: the output decompresses to the input
/// tar, the gzip members follow the tar members, the archive is verified in the same pass.
@Suite struct ArchivePackerTests {
    // MARK: - Helpers

    /// Feeds `tar` to a splitter in pieces of `piece` bytes and merges consecutive spans.
    static func spans(_ tar: [UInt8], minimumOwnSize: Int64 = 1024, piece: Int) -> [(owner: String?, offset: Int, count: Int)] {
        var splitter = TarSpanSplitter(minimumOwnSize: minimumOwnSize)
        var out: [(owner: String?, entry: Int?, offset: Int, count: Int)] = []
        var offset = 0
        tar.withUnsafeBytes { all in
            while offset < all.count {
                let end = min(all.count, offset + piece)
                var at = offset
                while at < end {
                    let span = splitter.next(UnsafeRawBufferPointer(rebasing: all[at..<end]))
                    if let last = out.last, last.entry == span.owner?.entry {
                        out[out.count - 1].count += span.count
                    } else {
                        out.append((span.owner?.name, span.owner?.entry, at, span.count))
                    }
                    at += span.count
                }
                offset = end
            }
        }
        return out.map { ($0.owner, $0.offset, $0.count) }
    }

    /// A tar exercising what moves or names data: PAX `path` and `size`, a GNU long name,
    /// header-only types with a non-zero size field, a small file, zero-size files.
    static func cornerTar() -> (tar: [UInt8], owned: [(name: String, offset: Int, count: Int)]) {
        var tar: [UInt8] = []
        var owned: [(String, Int, Int)] = []
        func add(_ bytes: [UInt8]) { tar += bytes }
        add(TS.file("small.json", "{\"a\":1}"))
        let big = TS.noise(3000, seed: 1)
        add(TS.header(name: "blobs/sha256/big", size: Int64(big.count)))
        owned.append(("blobs/sha256/big", tar.count, TS.padded(big).count))
        add(TS.padded(big))
        // Header-only types: their size fields are not followed by data.
        add(TS.header(name: "link", typeflag: UInt8(ascii: "2"), size: 5000, linkName: "big"))
        add(TS.header(name: "dir/", typeflag: UInt8(ascii: "5"), size: 5000))
        add(TS.header(name: "hard", typeflag: UInt8(ascii: "1"), size: 5000, linkName: "big"))
        // PAX path and size override the header's name and (wrong) size field.
        let paxed = TS.noise(2048, seed: 2)
        add(TS.paxHeader([("path", "very/long/" + String(repeating: "p", count: 120)), ("size", "\(paxed.count)")]))
        add(TS.header(name: "short-name", size: 1))
        owned.append(("very/long/" + String(repeating: "p", count: 120), tar.count, paxed.count))
        add(paxed)
        // GNU long name.
        let longName = "gnu/" + String(repeating: "g", count: 150)
        let nameData = Array(longName.utf8) + [0]
        add(TS.entry(TS.header(name: "././@LongLink", typeflag: UInt8(ascii: "L"), size: Int64(nameData.count), magic: .gnu), nameData))
        let gnu = TS.noise(1500, seed: 3)
        add(TS.header(name: String(longName.prefix(99)), size: Int64(gnu.count), magic: .gnu))
        owned.append((longName, tar.count, TS.padded(gnu).count))
        add(TS.padded(gnu))
        // A global header applies to nothing; an empty file has no data.
        add(TS.paxHeader([("comment", "x")], typeflag: "g"))
        add(TS.header(name: "empty", size: 0))
        // Small (under the minimum) stays grouped.
        add(TS.file("VERSION", "1.0"))
        add(TS.endMarker)
        return (tar, owned)
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

    /// The uncompressed tar of a fixture (decompressed with python for `.gz`).
    static func tarBytes(_ fixture: String) throws -> [UInt8] {
        let bytes = try TS.bytes(TS.fixture(fixture))
        return fixture.hasSuffix(".gz") ? try inflate(bytes) : bytes
    }

    /// The fixtures pack reads: plain and gzip ones that read without errors.
    static let packable = FixtureFacts.okFiles.filter { $0.hasSuffix(".tar") || $0.hasSuffix(".tar.gz") }

    // MARK: - TarSpanSplitter

    @Test(arguments: [1, 7, 511, 512, 513, 4096, 1 << 20])
    func splitterFindsTheDataOfLargeMembersWhateverThePieces(piece: Int) {
        let (tar, owned) = Self.cornerTar()
        let spans = Self.spans(tar, piece: piece)
        let found = spans.filter { $0.owner != nil }
        #expect(found.map(\.owner) == owned.map(\.name))
        #expect(found.map(\.offset) == owned.map(\.offset))
        #expect(found.map(\.count) == owned.map(\.count))
        #expect(spans.reduce(0) { $0 + $1.count } == tar.count)
    }

    @Test func splitterGroupsEverythingAfterAHeaderItCannotFollow() {
        var tar = TS.file("a", "x")
        var bad = TS.header(name: "b", size: 4096)
        bad.replaceSubrange(124..<136, with: Array("zzzzzzzzzzz\0".utf8))
        tar += bad + TS.padded(TS.noise(4096, seed: 4)) + TS.endMarker
        let spans = Self.spans(tar, piece: 100)
        #expect(spans.count == 1)
        #expect(spans.first?.owner == nil)
        #expect(spans.first?.count == tar.count)
    }

    // MARK: - ArchivePacker

    @Test(arguments: packable)
    func packedOutputDecompressesToTheInputTar(fixture: String) throws {
        let sink = BufferSink()
        let packed = try ArchivePacker.pack(FileSource(path: TS.fixture(fixture)), into: sink, options: PackOptions(threads: 2))
        let tar = try Self.tarBytes(fixture)
        #expect(sink.isFinished)
        #expect(try Self.inflate(sink.bytes) == tar)
        #expect(packed.tarBytes == Int64(tar.count))
        #expect(packed.compressedBytes == Int64(sink.bytes.count))
        #expect(packed.archive.problems.isEmpty)
        #expect(packed.archive.compression == (fixture.hasSuffix(".gz") ? .gzip : .none))
        #expect(packed.archive.inputBytes == Int64(try TS.bytes(TS.fixture(fixture)).count))
        // The archive read is the one `read` gives.
        let read = try ImageArchive.read(path: TS.fixture(fixture))
        #expect(packed.archive.images.map(\.configDigest) == read.images.map(\.configDigest))
        #expect(packed.archive.layout == read.layout)
        // The members are the ones a scan of the output finds, and cover it.
        #expect(try GzipMemberScanner.members(of: BufferSource(sink.bytes)) == packed.members.map(\.gzip))
    }

    @Test(arguments: packable)
    func membersOfTheirOwnHoldExactlyATarMembersData(fixture: String) throws {
        let sink = BufferSink()
        let packed = try ArchivePacker.pack(FileSource(path: TS.fixture(fixture)), into: sink)
        let tar = try Self.tarBytes(fixture)
        // Where each regular member's data lies, read with TarReader.
        let reader = TarReader(BufferSource(tar))
        var data: [String: [(offset: Int64, size: Int64)]] = [:]
        while let entry = try reader.next() {
            if entry.kind == .regular {
                data[entry.path, default: []].append((reader.offset, entry.dataSize + TarHeader.padding(entry.dataSize)))
            }
        }
        let large = data.values.flatMap { $0 }.filter { $0.size >= PackOptions.defaultMinimumOwnMemberSize }
        let own = packed.members.filter { $0.tarMember != nil }
        #expect(own.count == large.count)
        for m in own {
            let spans = data[m.tarMember!] ?? []
            #expect(spans.contains { $0.offset == m.gzip.uncompressedOffset && $0.size == m.gzip.uncompressedSize }, "\(m.tarMember!)")
        }
    }

    @Test func theSameLayerGivesTheSameMemberBytesUnderAnotherNameAndWriter() throws {
        // docker-oci.tar (blobs/sha256/<diffid>, GNU tar) and skopeo-docker-archive.tar
        // (<diffid>.tar, skopeo) hold the same base layer.
        func pack(_ f: String) throws -> (bytes: [UInt8], members: [PackedMember]) {
            let sink = BufferSink()
            let p = try ArchivePacker.pack(FileSource(path: TS.fixture(f)), into: sink)
            return (sink.bytes, p.members)
        }
        let a = try pack("docker-oci.tar")
        let b = try pack("skopeo-docker-archive.tar")
        let diffID = "c39512d83028"
        let ma = try #require(a.members.first { $0.tarMember?.contains(diffID) == true })
        let mb = try #require(b.members.first { $0.tarMember?.contains(diffID) == true })
        #expect(ma.tarMember != mb.tarMember)
        #expect(Array(a.bytes[Int(ma.gzip.compressedOffset)..<Int(ma.gzip.compressedRange.upperBound)])
            == Array(b.bytes[Int(mb.gzip.compressedOffset)..<Int(mb.gzip.compressedRange.upperBound)]))
    }

    @Test func aTruncatedArchiveThrowsAndStopsTheWorkers() throws {
        let sink = BufferSink()
        #expect(throws: ArchiveError.self) {
            try ArchivePacker.pack(FileSource(path: TS.fixture("truncated-mid-member.tar")), into: sink)
        }
        #expect(!sink.isFinished)
        #expect(throws: ArchiveError.self) {
            try ArchivePacker.pack(FileSource(path: TS.fixture("truncated.tar.gz")), into: BufferSink())
        }
    }

    @Test func otherCompressionsAreRefused() throws {
        #expect(throws: ArchiveError.unsupportedCompression(.zstd)) {
            try ArchivePacker.pack(FileSource(path: TS.fixture("skopeo-docker-archive.tar.zst")), into: BufferSink())
        }
    }

    @Test func integrityProblemsAreReportedNotThrown() throws {
        let packed = try ArchivePacker.pack(FileSource(path: TS.fixture("bad-layer-digest.tar")), into: BufferSink())
        #expect(!packed.archive.problems.isEmpty)
    }

    @Test func aFailingSinkIsAPackError() throws {
        struct Full: ByteSink {
            func write(_ bytes: UnsafeRawBufferPointer) throws { throw ByteIOError(operation: "write", errno: 28, path: "/full") }
            func finish() throws {}
        }
        do {
            _ = try ArchivePacker.pack(FileSource(path: TS.fixture("prisma-ok-debian-amd64.tar")), into: Full())
            Issue.record("expected a PackError")
        } catch let e as PackError {
            #expect(e.description.contains("write /full failed"))
        }
    }
}
