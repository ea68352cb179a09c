import Foundation
import TestSupport
import Testing

/// `imgtool cat`: a file of the merged filesystem, byte for byte what python's tarfile finds in
/// the layer, through symlinks and the working directory.
@Suite struct CatCLITests {
    /// A file of a layer of `archive`, read by python's tarfile (outer tar → layer tars).
    /// Fails unless exactly one layer holds it.
    static func layerFile(_ archive: String, _ member: String) throws -> String {
        let script = """
            import sys, tarfile
            found = []
            with tarfile.open(sys.argv[1]) as outer:
                for m in outer.getmembers():
                    if not m.isfile():
                        continue
                    try:
                        inner = tarfile.open(fileobj=outer.extractfile(m), mode='r:*')
                    except tarfile.TarError:
                        continue
                    for im in inner.getmembers():
                        name = im.name[2:] if im.name.startswith('./') else im.name
                        if name == sys.argv[2] and im.isfile():
                            found.append(inner.extractfile(im).read())
            if len(found) != 1:
                sys.exit('found %d copies' % len(found))
            sys.stdout.write(found[0].decode())
            """
        return try TS.python(script, [archive, member])
    }

    @Test(arguments: ["prisma-ok-debian-amd64.tar", "prisma-alpine-musl.tar", "prisma-wrong-elf.tar.gz"])
    func catFollowsTheOsReleaseSymlink(_ file: String) throws {
        let r = try TS.imgtool(["cat", TS.fixture(file), "/etc/os-release"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty)
        let expected = try Self.layerFile(TS.fixture(file), "usr/lib/os-release")
        #expect(!expected.isEmpty)
        #expect(r.stdout == expected)
        let id = file.contains("alpine") ? "ID=alpine" : "ID=debian"
        #expect(lines(r.stdout).contains(id))
        // The symlink's target directly: the same bytes.
        let direct = try TS.imgtool(["cat", TS.fixture(file), "/usr/lib/os-release"])
        #expect(direct.stdoutData == r.stdoutData)
    }

    @Test(arguments: ["server.js", "package.json"])
    func catRelativePathUsesWorkingDir(_ name: String) throws {
        let path = TS.fixture("prisma-ok-debian-amd64.tar")
        let relative = try TS.imgtool(["cat", path, name])
        #expect(relative.status == 0, "\(relative.stderr)")
        let absolute = try TS.imgtool(["cat", path, "/app/" + name])
        #expect(absolute.status == 0)
        #expect(relative.stdoutData == absolute.stdoutData)
        #expect(relative.stdout == (try Self.layerFile(path, "app/" + name)))
        #expect(!relative.stdoutData.isEmpty)
    }

    @Test func catMissingAndDirectory() throws {
        let path = TS.fixture("prisma-ok-debian-amd64.tar")
        let missing = try TS.imgtool(["cat", path, "/app/nope.js"])
        #expect(missing.status == 1)
        #expect(missing.stdout.isEmpty)
        #expect(lines(missing.stderr) == ["Error: \(path): /app/nope.js: no such file or directory"])
        let dir = try TS.imgtool(["cat", path, "/app"])
        #expect(dir.status == 1)
        #expect(dir.stdout.isEmpty)
        #expect(lines(dir.stderr) == ["Error: \(path): /app: not a regular file"])
        let relDir = try TS.imgtool(["cat", path, "node_modules"])
        #expect(relDir.status == 1)
        #expect(relDir.stdout.isEmpty)
    }

    @Test func catNeedsOneImage() throws {
        let path = TS.fixture("prisma-multiarch.tar")
        let r = try TS.imgtool(["cat", path, "/etc/os-release"])
        #expect(r.status == 7)
        #expect(r.stdout.isEmpty)
        let arm = try TS.imgtool(["cat", "--platform", "linux/arm64", path, "/etc/os-release"])
        #expect(arm.status == 0)
        #expect(lines(arm.stdout).contains("ID=debian"))
    }
}
