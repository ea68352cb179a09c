import ByteIO
import Codec
import Foundation
import Gzip
import ImageArchive
import TestSupport
import Testing

// @testable: where a member's data ends needs `TarHeader.padding(_:)`, which is internal.
@testable import Tar

/// `ArchivePacker` as a library: the output decompresses to the input tar, the gzip members
/// follow the tar members, the archive is verified in the same pass. (`TarSpanSplitter`, which
/// finds the tar members, is TarTests'; the exact layout on a fixture is PackLayoutGoldenTests'.)
@Suite struct ArchivePackerTests {
    // MARK: - Helpers

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
        #expect(try GzipMemberScanner.members(of: BufferSource(sink.bytes)).map(\.compressedMember) == packed.members.map(\.compressed))
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
            #expect(
                spans.contains { $0.offset == m.compressed.uncompressedOffset && $0.size == m.compressed.uncompressedSize },
                "\(m.tarMember!)")
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
        #expect(
            Array(a.bytes[Int(ma.compressed.compressedOffset)..<Int(ma.compressed.compressedRange.upperBound)])
                == Array(b.bytes[Int(mb.compressed.compressedOffset)..<Int(mb.compressed.compressedRange.upperBound)]))
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
        #expect(throws: ArchiveError.unsupportedCompression(.xz)) {
            try ArchivePacker.pack(FileSource(path: TS.fixture("skopeo-docker-archive.tar.xz")), into: BufferSink())
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
