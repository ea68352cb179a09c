import Foundation
import TestSupport
import Testing

/// `imgtool ls`: the merged directory as `umoci unpack` made it (fixtures.json's `mergedPaths`),
/// whiteouts applied, symlinks listed as `ls -l` does.
@Suite struct LsCLITests {
    /// `-rw-r--r--  0/0   111  L2  /app/server.js` → (path, layer, mode, link)
    struct LsRow {
        var mode: String
        var layer: Int
        var path: String
        var symlinkTarget: String?
    }

    static func lsRows(_ text: String) -> [LsRow] {
        lines(text).compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard fields.count >= 5, let lIndex = fields.firstIndex(where: { $0.hasPrefix("L") && Int($0.dropFirst()) != nil }),
                lIndex + 1 < fields.count
            else { return nil }
            var target: String?
            if let arrow = fields.firstIndex(of: "->"), arrow + 1 < fields.count { target = fields[arrow + 1] }
            return LsRow(mode: fields[0], layer: Int(fields[lIndex].dropFirst())!, path: fields[lIndex + 1], symlinkTarget: target)
        }
    }

    @Test func lsListsTheMergedDirectory() throws {
        let r = try TS.imgtool(["ls", TS.fixture("prisma-ok-debian-amd64.tar"), "/app"])
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
        let rows = Self.lsRows(r.stdout)
        #expect(rows.count == lines(r.stdout).count, "every line is a row")
        let facts = VerifyCLITests.Facts.named("prisma-ok-debian-amd64.tar")
        let children = Set((facts.mergedPaths ?? []).filter { $0.hasPrefix("/app/") && !$0.dropFirst(5).contains("/") })
        #expect(Set(rows.map(\.path)) == children)
        #expect(rows.first { $0.path == "/app/node_modules" }?.mode.hasPrefix("d") == true)
        #expect(rows.first { $0.path == "/app/server.js" }?.mode.hasPrefix("-") == true)
        #expect(rows.allSatisfy { $0.layer >= 1 })

        let links = try TS.imgtool(["ls", TS.fixture("skopeo-docker-archive.tar"), "/app"])
        #expect(links.status == 0)
        let current = Self.lsRows(links.stdout).first { $0.path == "/app/current" }
        #expect(current?.mode.hasPrefix("l") == true)
        #expect(current?.symlinkTarget == "data")
        #expect(current?.layer == 3)

        let etc = try TS.imgtool(["ls", TS.fixture("prisma-ok-debian-amd64.tar"), "/etc"])
        #expect(etc.stdout.contains(" L1  /etc/os-release -> ../usr/lib/os-release\n"))
    }

    /// `ls -R` of `/app` (and of `/` where known) is exactly the tree `umoci unpack` made.
    @Test(arguments: VerifyCLITests.Facts.all.filter { $0.mergedPaths != nil }.map(\.file))
    func lsRecursiveMatchesMergedPaths(_ file: String) throws {
        let facts = VerifyCLITests.Facts.named(file)
        var cases: [(String, [String])] = [("/app", facts.mergedPaths ?? [])]
        if let all = facts.mergedPathsAll { cases.append(("/", all)) }
        for (root, expected) in cases {
            let r = try TS.imgtool(["ls", "-R", TS.fixture(file), root])
            #expect(r.status == 0, "\(file): \(r.stderr)")
            let paths = Self.lsRows(r.stdout).map(\.path)
            #expect(paths.count == lines(r.stdout).count)
            #expect(Set(paths).count == paths.count, "no path twice")
            #expect(Set(paths) == Set(expected).subtracting([root]), "\(file) \(root)")
        }
    }

    @Test func lsWhiteouts() throws {
        let facts = VerifyCLITests.Facts.named("whiteouts.tar")
        let r = try TS.imgtool(["ls", "-R", TS.fixture("whiteouts.tar"), "/app"])
        #expect(r.status == 0)
        let paths = Self.lsRows(r.stdout).map(\.path)
        #expect(Set(paths) == Set(facts.mergedPaths!).subtracting(["/app"]))
        // --recursive is the same flag.
        let long = try TS.imgtool(["ls", "--recursive", TS.fixture("whiteouts.tar"), "/app"])
        #expect(long.stdout == r.stdout)
        // The deleted entry is gone.
        let a = try TS.imgtool(["ls", TS.fixture("whiteouts.tar"), "/app/a"])
        #expect(a.status == 1)
    }

    /// A symlink given as the path is listed itself, as `ls -l` does; with a trailing slash, a
    /// symlink to a directory is followed, as with `ls -l link/`.
    @Test func lsSymlinkListsTheLinkItself() throws {
        let debian = TS.fixture("prisma-ok-debian-amd64.tar")
        let r = try TS.imgtool(["ls", debian, "/etc/os-release"])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = Self.lsRows(r.stdout)
        #expect(rows.count == 1 && lines(r.stdout).count == 1, "\(r.stdout)")
        #expect(rows.first?.path == "/etc/os-release")
        #expect(rows.first?.mode.hasPrefix("l") == true)
        #expect(rows.first?.symlinkTarget == "../usr/lib/os-release")
        // The same row as in the listing of /etc.
        let etc = try TS.imgtool(["ls", debian, "/etc"])
        #expect(lines(etc.stdout).contains(lines(r.stdout)[0]))

        let skopeo = TS.fixture("skopeo-docker-archive.tar")
        for args in [["/app/current"], ["-R", "/app/current"]] {
            let link = try TS.imgtool(["ls", skopeo] + args)
            #expect(link.status == 0, "\(link.stderr)")
            let linkRows = Self.lsRows(link.stdout)
            #expect(
                linkRows.count == 1 && linkRows.first?.path == "/app/current" && linkRows.first?.symlinkTarget == "data",
                "\(args): \(link.stdout)")
        }
        let followed = try TS.imgtool(["ls", skopeo, "/app/current/"])
        #expect(followed.status == 0, "\(followed.stderr)")
        let data = try TS.imgtool(["ls", skopeo, "/app/data"])
        #expect(!data.stdout.isEmpty)
        #expect(followed.stdout == data.stdout)
    }

    @Test func lsMissingPath() throws {
        let r = try TS.imgtool(["ls", TS.fixture("prisma-ok-debian-amd64.tar"), "/nope"])
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        #expect(lines(r.stderr) == ["Error: \(TS.fixture("prisma-ok-debian-amd64.tar")): /nope: no such file or directory"])
    }

    @Test(arguments: ["prisma-multiarch.tar", "skopeo-docker-archive-multi.tar"])
    func lsNeedsOneImage(_ file: String) throws {
        let r = try TS.imgtool(["ls", TS.fixture(file), "/app"])
        #expect(r.status == 7)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.hasPrefix("Error: \(TS.fixture(file)): the archive holds 2 images"))
        #expect(r.stderr.contains("--platform or --image"))
    }

    @Test func lsWithPlatform() throws {
        let r = try TS.imgtool(["ls", "--platform", "linux/arm64", TS.fixture("prisma-multiarch.tar"), "/app"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Set(Self.lsRows(r.stdout).map(\.path)).isSuperset(of: ["/app/server.js", "/app/package.json", "/app/node_modules"]))
        let s390 = try TS.imgtool(["ls", "--platform", "linux/s390x", TS.fixture("prisma-multiarch.tar"), "/app"])
        #expect(s390.status == 7)
    }
}
