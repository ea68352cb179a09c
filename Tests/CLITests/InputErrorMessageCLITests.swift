import Foundation
import TestSupport
import Testing

/// Errors about the input name it (the path, or stdin) once, and a compressed archive imgtool
/// cannot read comes with the exact command to run instead, for every command that reads one.
@Suite struct InputErrorMessageCLITests {
    /// An xz or bzip2 archive: the suggested pipe names the real path and the command that
    /// was run (with its options), for every command that reads an archive.
    @Test(arguments: [
        ("skopeo-docker-archive.tar.xz", "xz -dc"), ("skopeo-docker-archive.tar.bz2", "bzip2 -dc"),
    ])
    func compressedArchiveSuggestsTheCommandRun(_ file: String, _ decompress: String) throws {
        let path = TS.fixture(file)
        let runs: [([String], String)] = [
            (["inspect", path], "imgtool inspect -"),
            (["inspect", "--json", path], "imgtool inspect --json -"),
            (["verify", "--arch", "amd64", path], "imgtool verify --arch amd64 -"),
            (["pack", "-o", "/tmp/never written.tar.gz", path], "imgtool pack -o '/tmp/never written.tar.gz' -"),
            (["ls", path, "/etc"], "imgtool ls - /etc"),
            (["cat", path, "/etc/os-release"], "imgtool cat - /etc/os-release"),
        ]
        for (args, rerun) in runs {
            let r = try TS.imgtool(args)
            #expect(r.status == 5, "\(args): \(r.stderr)")
            #expect(lines(r.stderr).count == 1, "\(args): \(r.stderr)")
            #expect(r.stderr.hasPrefix("Error: \(path): the archive is "), "\(args): \(r.stderr)")
            #expect(r.stderr.contains("`\(decompress) \(path) | \(rerun)`"), "\(args): \(r.stderr)")
            #expect(!r.stderr.contains("FILE"))
        }
        // ship reads a file, not stdin: the advice packs a gzip copy and ships that.
        let ship = try TS.imgtool(["ship", "--arch", "amd64", path, "nowhere.invalid:/srv"])
        #expect(ship.status == 5, "\(ship.stderr)")
        let copy = TS.fixture("skopeo-docker-archive.tar.gz")
        #expect(
            ship.stderr.contains(
                "`\(decompress) \(path) | imgtool pack -o \(copy) - && imgtool ship --arch amd64 \(copy) nowhere.invalid:/srv`"),
            "\(ship.stderr)")
    }

    /// A path the shell would split is quoted in the suggestion.
    @Test func compressedArchiveSuggestionQuotesThePath() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let path = dir.path("it's an app.tar.xz")
        try FileManager.default.copyItem(atPath: TS.fixture("skopeo-docker-archive.tar.xz"), toPath: path)
        let r = try TS.imgtool(["verify", path])
        #expect(r.status == 5)
        #expect(r.stderr.contains("`xz -dc '\(dir.path("it"))'\\''s an app.tar.xz' | imgtool verify -`"), "\(r.stderr)")
    }

    /// An input that cannot be opened is named once, with the reason.
    @Test func aMissingInputIsNamedOnce() throws {
        for command in ["inspect", "verify", "ls"] {
            let r = try TS.imgtool([command, "/nonexistent-imgtool/app.tar"])
            #expect(r.status == 6)
            #expect(
                r.stderr == "Error: /nonexistent-imgtool/app.tar: open failed: No such file or directory (errno \(ENOENT))\n",
                "\(command): \(r.stderr)")
        }
        let pack = try TS.imgtool(["pack", "-o", "/tmp/imgtool-never-written.tar.gz", "/nonexistent-imgtool/app.tar"])
        #expect(pack.stderr.contains("Error: /nonexistent-imgtool/app.tar: open failed: No such file or directory"), "\(pack.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/imgtool-never-written.tar.gz"))
    }

    /// Errors name the input (the path, or stdin), once.
    @Test func notAnArchiveNamesTheInput() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let noise = dir.path("noise")
        try TS.write(TS.noise(4096, seed: 7), to: noise)
        let gz = dir.path("noise.tar.gz")
        try TS.write([UInt8](try TS.tool("gzip", ["-c", noise]).stdoutData), to: gz)
        let notTar =
            "not an image archive: expected a tar archive (optionally gzip- or zstd-compressed), found gzip-compressed data that is not a tar archive"
        for command in ["inspect", "verify"] {
            let r = try TS.imgtool([command, gz])
            #expect(r.status == 4)
            #expect(lines(r.stderr) == ["Error: \(gz): \(notTar)"])
            let stdin = try TS.imgtool([command, "-"], stdinPath: gz)
            #expect(stdin.status == 4)
            #expect(lines(stdin.stderr) == ["Error: stdin: \(notTar)"])
        }
        for file in ["not-an-archive.bin", "plain-tar-not-image.tar"] {
            let r = try TS.imgtool(["inspect", TS.fixture(file)])
            #expect(r.stderr.hasPrefix("Error: \(TS.fixture(file)): not an image archive: "), "\(r.stderr)")
        }
        let truncated = try TS.imgtool(["inspect", TS.fixture("truncated-at-boundary.tar")])
        // Errors located in the stream name the input too, then their location.
        #expect(
            truncated.stderr.hasPrefix("Error: \(TS.fixture("truncated-at-boundary.tar")): at byte 80384 of the archive: archive truncated")
        )
        // Errors that name the path already are not prefixed again.
        let missing = try TS.imgtool(["inspect", "/does/not/exist.tar"])
        #expect(missing.status == 6)
        #expect(missing.stderr.hasPrefix("Error: /does/not/exist.tar: "))
        #expect(!missing.stderr.contains("exist.tar: /does"))
    }
}
