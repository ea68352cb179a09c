import Codec
import ImageVerify
import OCI
import TestSupport
import Testing

// @testable: an image made of hand-built tables needs the `ArchiveImage` and `ArchiveLayer`
// initializers, which are internal.
@testable import ImageArchive

/// The census that `inspect` computes from a tree without plain files must be the full tree's.
@Suite struct ELFCensusTests {
    /// The same on Docker's own archives, when ../shared is there.
    @Test(
        .enabled(if: TS.realArchivesAvailable, Comment(rawValue: TS.realArchivesMissing)), arguments: TS.readableRealArchives.map(TS.real))
    func leanCensusMatchesTheFullTreeOnDockerArchives(_ a: String) throws { try leanCensusMatchesTheFullTree(a) }

    @Test(
        arguments: FixtureFacts.okFiles.filter { !$0.hasSuffix(".xz") && !$0.hasSuffix(".bz2") }.map(TS.fixture))
    func leanCensusMatchesTheFullTree(_ path: String) throws {
        let archive = try ImageArchive.read(path: path)
        for image in archive.images {
            #expect(MergedFilesystem.elfCensus(of: image) == MergedFilesystem(image: image).elfCensus(), "\(path)")
        }
    }

    /// Plain files that replace, hide or are replaced by ELF files, and directories under them.
    @Test func plainFilesThatMatter() {
        let l1 = VH.makeTable([
            .dir("bin"), .file("bin/a", machine: 62), .file("bin/b", machine: 62), .dir("lib"), .file("lib/x", machine: 183),
            .file("plain"), .symlink("link", to: "lib"),
        ])
        // A plain file over an ELF file, a plain file over a directory of ELF files, an ELF file
        // under a plain file's path, and an ELF file through a symlink.
        let l2 = VH.makeTable([.file("bin/a"), .file("lib"), .file("plain/y", machine: 62), .file("link/z", machine: 62)])
        let full = MergedFilesystem(layers: [l1, l2])
        let image = ArchiveImage(
            tags: [], platform: Platform(os: "linux", architecture: "amd64"), manifestDigest: nil,
            configDigest: Digest.sha256OfNothing, config: ImageConfig(), rawConfig: [], configMember: "c",
            layers: [l1, l2].map {
                ArchiveLayer(
                    member: "l", diffID: Digest.sha256OfNothing, digest: nil, mediaType: nil, compression: .none,
                    compressedSize: nil, size: 0, table: $0, history: nil)
            })
        #expect(full.elfCensus() == ["amd64": 3])
        #expect(MergedFilesystem.elfCensus(of: image) == full.elfCensus())
    }
}
