import ImageArchive
import ImageVerify
import Tar
import TestSupport
import Testing

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

    @Test(arguments: [
        "skopeo-docker-archive.tar", "prisma-opaque.tar", "prisma-whiteout.tar", "prisma-readded.tar", "prisma-pnpm.tar", "prisma7.tar",
    ])
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
