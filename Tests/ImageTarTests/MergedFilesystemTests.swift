import Foundation
import Gzip
import Testing

@testable import ImageArchive
@testable import ImageVerify
@testable import Tar
import OCI
import ByteIO
import Codec

/// Helpers of the merged-filesystem and verify tests.
enum VH {
    /// One hand-written layer entry.
    enum Entry {
        case dir(String, mode: UInt32 = 0o755)
        case file(String, machine: UInt16? = nil, content: String? = nil, mode: UInt32 = 0o644, shebang: String? = nil)
        case symlink(String, to: String)
        case hardlink(String, to: String)
        case whiteout(String)
    }

    /// Builds a layer table by hand, as `LayerScanner` would from a tar.
    static func makeTable(_ entries: [Entry]) -> LayerTable {
        var table = LayerTable()
        var previous: [UInt8] = []
        for e in entries {
            var path = ""
            var kind = TarEntry.Kind.regular
            var extra: [UInt8] = []
            var flags: UInt8 = 0
            var elf: ELFHeader? = nil
            var mode: UInt32 = 0o644
            var size: Int64 = 0
            var captured: [UInt8]? = nil
            switch e {
            case .dir(let p, let m):
                path = p
                kind = .directory
                mode = m
            case .file(let p, let machine, let content, let m, let shebang):
                path = p
                mode = m
                if let machine { elf = ELFHeader(machine: machine, type: 3, is64Bit: true, isBigEndian: false) }
                if let content {
                    captured = Array(content.utf8)
                    size = Int64(content.utf8.count)
                }
                if let shebang {
                    flags |= LayerTable.Flag.shebang
                    extra = Array(shebang.utf8)
                }
            case .symlink(let p, let target):
                path = p
                kind = .symlink
                extra = Array(target.utf8)
            case .hardlink(let p, let target):
                path = p
                kind = .hardlink
                extra = Array(target.utf8)
            case .whiteout(let p):
                path = p
                flags |= p.hasSuffix(".wh..wh..opq") ? LayerTable.Flag.opaque : LayerTable.Flag.whiteout
            }
            let empty = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
            let entry = TarEntryView(
                name: empty, linkName: empty, kind: kind, mode: mode, uid: 0, gid: 0, size: size, dataSize: size, mtime: 0,
                hasXattrs: false, headerOffset: 0, deviceMajor: 0, deviceMinor: 0)
            let bytes = Array(path.utf8)
            bytes.withUnsafeBytes { raw in
                previous.withUnsafeBytes { before in
                    extra.withUnsafeBytes { table.append(path: raw, previous: before, entry: entry, extra: $0, flags: flags, elf: elf) }
                }
            }
            previous = bytes
            if let captured { table.capture(path, captured) }
        }
        return table
    }

    /// `Tests/Fixtures`, from this file's path.
    static func fixturesDirectory(_ file: String = #filePath) -> URL {
        URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tests/Fixtures")
    }

    /// fixtures.json, as JSON objects.
    static func fixtureFacts() throws -> [[String: Any]] {
        let data = try Data(contentsOf: fixturesDirectory().appendingPathComponent("fixtures.json"))
        return (try JSONSerialization.jsonObject(with: data) as? [[String: Any]]) ?? []
    }

    static func readFixture(_ name: String) throws -> ImageArchive {
        try ImageArchive.read(path: fixturesDirectory().appendingPathComponent(name).path, options: ReadOptions())
    }
}

@Suite struct MergedFilesystemTests {
    @Test func whiteoutHidesOnlyLowerLayers() {
        let l1 = VH.makeTable([.dir("app"), .file("app/a"), .file("app/e")])
        // Same layer: e written before and after its whiteout; both survive.
        let l2 = VH.makeTable([.file("app/e"), .whiteout("app/.wh.e"), .whiteout("app/.wh.a"), .whiteout("app/.wh.f"), .file("app/f")])
        let fs = MergedFilesystem(layers: [l1, l2])
        #expect(fs.paths(under: "/app") == ["/app/e", "/app/f"])
        #expect(fs.lookup("/app/e").node?.layer == 2)
        #expect(fs.lookup("/app/a").node == nil)
    }

    @Test func opaqueMarkerAppliesFirstWhereverItIs() {
        let l1 = VH.makeTable([.dir("app"), .dir("app/dir"), .file("app/dir/x"), .file("app/dir/z")])
        let l2 = VH.makeTable([.dir("app/dir"), .file("app/dir/y"), .whiteout("app/dir/.wh..wh..opq")])
        let fs = MergedFilesystem(layers: [l1, l2])
        #expect(fs.paths(under: "/app") == ["/app/dir", "/app/dir/y"])
        #expect(fs.lookup("/app/dir").node?.layer == 2)
    }

    @Test func directoryOverDirectoryMergesAttributes() {
        let l1 = VH.makeTable([.dir("app", mode: 0o700), .file("app/a")])
        let l2 = VH.makeTable([.dir("app", mode: 0o755), .file("app/b")])
        let fs = MergedFilesystem(layers: [l1, l2])
        #expect(fs.paths(under: "/app") == ["/app/a", "/app/b"])
        #expect(fs.lookup("/app").node?.mode == 0o755)
        #expect(fs.lookup("/app").node?.layer == 2)
    }

    @Test func fileOverDirectoryReplaces() {
        let l1 = VH.makeTable([.dir("app"), .dir("app/x"), .file("app/x/inner")])
        let l2 = VH.makeTable([.file("app/x")])
        let l3 = VH.makeTable([.dir("app/x"), .file("app/x/new")])
        let two = MergedFilesystem(layers: [l1, l2])
        #expect(two.lookup("/app/x").node?.isRegularFile == true)
        #expect(two.lookup("/app/x/inner").node == nil)
        let three = MergedFilesystem(layers: [l1, l2, l3])
        #expect(three.paths(under: "/app") == ["/app/x", "/app/x/new"])
    }

    @Test func hardlinkResolvesAgainstLowerLayer() {
        let l1 = VH.makeTable([.dir("lib"), .file("lib/libssl.so.3", machine: 62, content: "ELF")])
        let l2 = VH.makeTable([.dir("app"), .hardlink("app/copy.so", to: "lib/libssl.so.3")])
        let fs = MergedFilesystem(layers: [l1, l2])
        let node = fs.lookup("/app/copy.so").node
        #expect(node?.isRegularFile == true)
        #expect(node?.elf?.architecture == "amd64")
        #expect(node?.hardlinkTarget == "lib/libssl.so.3")
        #expect(node?.layer == 2)
        #expect(fs.content("/app/copy.so") == Array("ELF".utf8))
        #expect(fs.elfCensus() == ["amd64": 2])
    }

    @Test func danglingHardlinkIsNoted() {
        let fs = MergedFilesystem(layers: [VH.makeTable([.hardlink("a", to: "missing")])])
        #expect(fs.lookup("/a").node?.kind == .hardlink)
        #expect(fs.anomalies.count == 1)
    }

    @Test func symlinksResolveInsideTheRoot() {
        let l1 = VH.makeTable([
            .dir("usr"), .dir("usr/lib"), .file("usr/lib/os-release", content: "ID=debian\n"), .dir("etc"),
            .symlink("etc/os-release", to: "../usr/lib/os-release"), .symlink("lib", to: "usr/lib"),
            .symlink("escape", to: "../../../../usr/lib/os-release"), .symlink("abs", to: "/usr/lib"),
        ])
        let fs = MergedFilesystem(layers: [l1])
        #expect(fs.lookup("/etc/os-release").node?.path == "/usr/lib/os-release")
        #expect(fs.lookup("/etc/os-release", followFinalSymlink: false).node?.isSymlink == true)
        #expect(fs.lookup("/lib/os-release").node?.path == "/usr/lib/os-release")
        #expect(fs.lookup("/escape").node?.path == "/usr/lib/os-release")
        #expect(fs.lookup("/abs/os-release").node?.path == "/usr/lib/os-release")
        #expect(fs.lookup("/../../etc/../usr/./lib/os-release").node?.path == "/usr/lib/os-release")
        #expect(fs.content("/etc/os-release") == Array("ID=debian\n".utf8))
        #expect(fs.list("/lib")?.map(\.name) == ["os-release"])
    }

    @Test func symlinkedParentReceivesEntries() {
        let l1 = VH.makeTable([.dir("usr"), .dir("usr/lib"), .symlink("lib", to: "usr/lib")])
        let l2 = VH.makeTable([.dir("lib/x86_64-linux-gnu"), .file("lib/x86_64-linux-gnu/libssl.so.3", machine: 62)])
        let fs = MergedFilesystem(layers: [l1, l2])
        #expect(fs.lookup("/usr/lib/x86_64-linux-gnu/libssl.so.3").node != nil)
        #expect(fs.lookup("/lib", followFinalSymlink: false).node?.isSymlink == true)
    }

    @Test func loopsAreReportedNotFollowed() {
        let fs = MergedFilesystem(layers: [VH.makeTable([.symlink("a", to: "b"), .symlink("b", to: "a"), .symlink("self", to: "self/x")])])
        guard case .symlinkLoop = fs.lookup("/a") else {
            Issue.record("expected a loop for /a")
            return
        }
        guard case .symlinkLoop = fs.lookup("/self") else {
            Issue.record("expected a loop for /self")
            return
        }
        #expect(fs.lookup("/a", followFinalSymlink: false).node?.isSymlink == true)
        #expect(fs.content("/a") == nil)
    }

    @Test func lookupFailuresSayWhy() {
        let fs = MergedFilesystem(layers: [VH.makeTable([.dir("app"), .file("app/f")])])
        #expect(fs.lookup("/app/missing/x") == .notFound(path: "/app/missing/x", missing: "/app/missing"))
        #expect(fs.lookup("/app/f/x") == .notADirectory(path: "/app/f/x", at: "/app/f"))
        #expect(fs.list("/app/f") == nil)
    }

    @Test func whiteoutsFixtureMatchesUmoci() throws {
        let facts = try VH.fixtureFacts().first { $0["file"] as? String == "whiteouts.tar" }
        let expected = facts?["mergedPaths"] as? [String] ?? []
        let expectedAll = facts?["mergedPathsAll"] as? [String] ?? []
        let archive = try VH.readFixture("whiteouts.tar")
        let image = try #require(archive.images.first)
        let fs = MergedFilesystem(image: image)
        #expect(!expected.isEmpty)
        #expect(["/app"] + fs.paths(under: "/app") == expected)
        #expect(fs.paths(under: "/") == expectedAll)
    }

    @Test(arguments: ["skopeo-docker-archive.tar", "prisma-opaque.tar", "prisma-whiteout.tar", "prisma-readded.tar", "prisma-pnpm.tar", "prisma7.tar"])
    func mergedPathsMatchUmoci(file: String) throws {
        let facts = try VH.fixtureFacts().first { $0["file"] as? String == file }
        let expected = facts?["mergedPaths"] as? [String] ?? []
        let archive = try VH.readFixture(file)
        let image = try #require(archive.images.first)
        let fs = MergedFilesystem(image: image)
        #expect(!expected.isEmpty)
        #expect(["/app"] + fs.paths(under: "/app") == expected)
        if let all = facts?["mergedPathsAll"] as? [String] { #expect(fs.paths(under: "/") == all) }
    }
}

/// The census that `inspect` computes from a tree without plain files must be the full tree's.
@Suite struct ELFCensusTests {
    @Test(arguments: FixtureFacts.okFiles.filter { !$0.hasSuffix(".zst") && !$0.hasSuffix(".xz") && !$0.hasSuffix(".bz2") }.map(TS.fixture)
        + RealDockerArchiveTests.readable.map(TS.real))
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
