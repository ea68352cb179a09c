import Foundation
import Gzip
import Testing

@testable import ImageArchive
@testable import ImageVerify
@testable import Tar
import OCI
import ByteIO
import Codec

/// Reading a plain archive file header by header: layer bodies are skipped by moving the read
/// position, never read, and everything but the digests is the same as in a full read.
@Suite struct HeadersOnlyTests {
    /// Writes `segments` (file offset, bytes) into a new file of `size` bytes: the gaps stay
    /// holes, so a 128 MiB archive costs no disk space.
    private func writeSparse(_ path: String, size: Int64, _ segments: [(Int64, [UInt8])]) throws {
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o644)
        try #require(fd >= 0)
        defer { close(fd) }
        for (offset, bytes) in segments {
            let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
            try #require(n == bytes.count)
        }
        try #require(ftruncate(fd, off_t(size)) == 0)
    }

    /// A docker-archive with two layers, each holding a 64 MiB file of zeros (holes on disk).
    private func makeBigArchive(_ path: String) throws -> (size: Int64, layerSize: Int64) {
        let big: Int64 = 64 << 20
        // One layer: big.bin (64 MiB), then bin/tool, then the end marker.
        let tool = TS.file("bin/tool", "#!/bin/sh\necho hi\n")
        let layerSize = 512 + big + Int64(tool.count) + 1024
        let config = Array(
            """
            {"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[\
            "sha256:\(String(repeating: "a", count: 64))","sha256:\(String(repeating: "b", count: 64))"]}}
            """.utf8)
        let manifest = Array(#"[{"Config":"config.json","RepoTags":["big:1.0"],"Layers":["one.tar","two.tar"]}]"#.utf8)
        var segments: [(Int64, [UInt8])] = []
        var at: Int64 = 0
        for name in ["one.tar", "two.tar"] {
            segments.append((at, TS.header(name: name, size: layerSize)))
            segments.append((at + 512, TS.header(name: "big.bin", size: big)))
            segments.append((at + 1024 + big, tool))
            at += 512 + layerSize
        }
        for (name, bytes) in [("config.json", config), ("manifest.json", manifest)] {
            let e = TS.entry(TS.header(name: name, size: Int64(bytes.count)), bytes)
            segments.append((at, e))
            at += Int64(e.count)
        }
        let size = at + 1024
        try writeSparse(path, size: size, segments)
        return (size, layerSize)
    }

    @Test func layerBodiesAreSkippedNotRead() throws {
        let tmp = try TS.TempDir()
        defer { tmp.cleanup() }
        let path = tmp.path("big.tar")
        let (size, layerSize) = try makeBigArchive(path)
        let file = try FileSource(path: path)
        let archive = try ImageArchive.read(.file(file, reading: .headersOnly(mapped: false)))
        #expect(!archive.verified)
        #expect(archive.inputBytes == size)
        #expect(file.bytesRead < 256 * 1024, "read \(file.bytesRead) of \(size) bytes")
        let image = try #require(archive.images.first)
        #expect(image.layers.map(\.entryCount) == [2, 2])
        #expect(image.layers.map(\.size) == [layerSize, layerSize])
        let fs = MergedFilesystem(image: image)
        #expect(fs.lookup("/big.bin").node?.size == 64 << 20)
        #expect(fs.lookup("/bin/tool").node?.shebang == "/bin/sh")

        // The same file read whole hashes all 128 MiB (and the made-up diff_ids do not match):
        // read on a second thread (the default), and on this one, where the source counts it.
        let full = try ImageArchive.read(.file(try FileSource(path: path)))
        #expect(full.verified)
        #expect(full.inputBytes == size)
        #expect(full.problems.count == 2)
        #expect(full.images.first?.layers.map(\.entryCount) == [2, 2])
        let whole = try FileSource(path: path)
        let same = try ImageArchive.read(.file(whole, reading: .wholeOnOneThread))
        #expect(whole.bytesRead == size)
        #expect(same.problems == full.problems)
    }

    /// Every plain fixture: a headers-only read finds the same images, layers, entries and
    /// merged filesystem as a full one.
    @Test(arguments: FixtureFacts.okFiles.filter { FixtureFacts.named($0).compression == "none" })
    func sameStructureAsAFullRead(_ file: String) throws {
        let path = TS.fixture(file)
        let full = try ImageArchive.read(path: path)
        let quick = try ImageArchive.read(path: path, reading: .headersOnly(mapped: false))
        #expect(full.verified && !quick.verified)
        #expect(quick.layout == full.layout)
        #expect(quick.memberCount == full.memberCount)
        #expect(quick.inputBytes == full.inputBytes)
        #expect(quick.images.map(\.configDigest) == full.images.map(\.configDigest))
        #expect(quick.images.map { $0.layers.map(\.diffID) } == full.images.map { $0.layers.map(\.diffID) })
        #expect(quick.images.map { $0.layers.map(\.entryCount) } == full.images.map { $0.layers.map(\.entryCount) })
        #expect(quick.images.map { $0.layers.map(\.size) } == full.images.map { $0.layers.map(\.size) })
        for (q, f) in zip(quick.images, full.images) {
            let qfs = MergedFilesystem(image: q)
            let ffs = MergedFilesystem(image: f)
            #expect(qfs.paths(under: "/") == ffs.paths(under: "/"))
            #expect(qfs.elfCensus() == ffs.elfCensus())
            #expect(MergedFilesystem.elfCensus(of: q) == ffs.elfCensus())
        }
    }
}
