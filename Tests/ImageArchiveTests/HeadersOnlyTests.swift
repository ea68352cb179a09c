import ByteIO
import Foundation
import ImageArchive
import OCI
import Tar
import TestSupport
import Testing

/// Reading a plain archive file header by header: layer bodies are skipped by moving the read
/// position, never read, and everything but the digests is the same as in a full read.
@Suite struct HeadersOnlyTests {
    @Test func layerBodiesAreSkippedNotRead() throws {
        let tmp = try TS.TempDir()
        defer { tmp.cleanup() }
        let path = tmp.path("big.tar")
        let (size, layerSize) = try TS.makeBigArchive(path)
        let file = try FileSource(path: path)
        let archive = try ImageArchive.read(.file(file, reading: .headersOnly(mapped: false)))
        #expect(!archive.verified)
        #expect(archive.inputBytes == size)
        #expect(file.bytesRead < 256 * 1024, "read \(file.bytesRead) of \(size) bytes")
        let image = try #require(archive.images.first)
        #expect(image.layers.map(\.entryCount) == [2, 2])
        #expect(image.layers.map(\.size) == [layerSize, layerSize])
        // The files in it, as the merged filesystem sees them: ImageVerifyTests' HeadersOnlyFilesystemTests.

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

    /// Every plain fixture: a headers-only read finds the same images, layers and entries as a
    /// full one.
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
        // The same merged filesystem: ImageVerifyTests' HeadersOnlyFilesystemTests.
    }
}
