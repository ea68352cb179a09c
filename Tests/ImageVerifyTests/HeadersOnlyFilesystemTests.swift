import ByteIO
import ImageArchive
import ImageVerify
import TestSupport
import Testing

/// A headers-only read (bodies skipped by seeking, or the layers walked in a mapping) gives the
/// merged filesystem a full read gives: the layer tables hold everything it needs. (What the
/// reads themselves find is ImageArchiveTests' HeadersOnlyTests and MappedScanTests.)
@Suite struct HeadersOnlyFilesystemTests {
    static let plainFixtures = FixtureFacts.okFiles.filter { FixtureFacts.named($0).compression == "none" }

    /// The 128 MiB archive of holes, read header by header: its files are there, with their
    /// sizes and shebangs.
    @Test func theFilesOfLayersNeverReadAreThere() throws {
        let tmp = try TS.TempDir()
        defer { tmp.cleanup() }
        let path = tmp.path("big.tar")
        _ = try TS.makeBigArchive(path)
        let file = try FileSource(path: path)
        let archive = try ImageArchive.read(.file(file, reading: .headersOnly(mapped: false)))
        let image = try #require(archive.images.first)
        let fs = MergedFilesystem(image: image)
        #expect(fs.lookup("/big.bin").node?.size == 64 << 20)
        #expect(fs.lookup("/bin/tool").node?.shebang == "/bin/sh")
    }

    /// Every plain fixture, read header by header: the same merged paths and ELF census.
    @Test(arguments: plainFixtures)
    func sameFilesystemAsAFullRead(_ file: String) throws {
        let path = TS.fixture(file)
        let full = try ImageArchive.read(path: path)
        let quick = try ImageArchive.read(path: path, reading: .headersOnly(mapped: false))
        #expect(quick.images.count == full.images.count)
        for (q, f) in zip(quick.images, full.images) {
            let qfs = MergedFilesystem(image: q)
            let ffs = MergedFilesystem(image: f)
            #expect(qfs.paths(under: "/") == ffs.paths(under: "/"))
            #expect(qfs.elfCensus() == ffs.elfCensus())
            #expect(MergedFilesystem.elfCensus(of: q) == ffs.elfCensus())
        }
    }

    /// Every plain fixture, read header by header through the mapping: likewise.
    @Test(arguments: plainFixtures)
    func mappedReadGivesTheSameFilesystem(_ file: String) throws {
        let path = TS.fixture(file)
        let full = try ImageArchive.read(path: path)
        let mapped = try ImageArchive.read(path: path, reading: .headersOnly(mapped: true))
        #expect(mapped.images.count == full.images.count)
        for (m, f) in zip(mapped.images, full.images) {
            #expect(MergedFilesystem(image: m).paths(under: "/") == MergedFilesystem(image: f).paths(under: "/"))
            #expect(MergedFilesystem.elfCensus(of: m) == MergedFilesystem.elfCensus(of: f))
        }
    }
}
