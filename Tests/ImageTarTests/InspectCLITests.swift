import Foundation
import Testing

@testable import ImageArchive
@testable import ImageVerify
@testable import Tar
import OCI
import ByteIO
import Codec

/// The built `imgtool` binary, run as a user would.
@Suite struct InspectCLITests {
    static let usageLine = "Usage: imgtool inspect [--json] [--platform <platform>] [--image <image>] <archive>"

    private func lines(_ s: String) -> [String] {
        var l = s.components(separatedBy: "\n")
        if l.last == "" { l.removeLast() }
        return l
    }

    private func expectAtMost80Columns(_ text: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let long = lines(text).filter { $0.count > 80 }
        #expect(long.isEmpty, "\(what): lines over 80 columns: \(long)", sourceLocation: sourceLocation)
    }

    @Test func binaryIsBuilt() {
        #expect(FileManager.default.isExecutableFile(atPath: TS.imgtool), "\(TS.imgtool)")
    }

    // MARK: - Help and usage

    @Test(arguments: [["--help"], ["-h"], []])
    func rootHelp(_ args: [String]) throws {
        let r = try TS.imgtool(args)
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
        #expect(r.stdout.hasPrefix("OVERVIEW: "))
        for section in ["\nUSAGE: imgtool <subcommand>\n", "\nOPTIONS:\n", "\nSUBCOMMANDS:\n", "\n  inspect ", "\nEXIT CODES:\n", "\n  64  Usage error"] {
            #expect(r.stdout.contains(section), "missing \(section)")
        }
        for code in ["0", "1", "2", "3", "4", "5", "6", "7"] { #expect(r.stdout.contains("\n  \(code)   "), "exit code \(code)") }
        expectAtMost80Columns(r.stdout, "imgtool \(args)")
    }

    @Test(arguments: [["help", "inspect"], ["inspect", "--help"], ["inspect", "-h"], ["inspect", "x.tar", "--help"]])
    func inspectHelp(_ args: [String]) throws {
        let r = try TS.imgtool(args)
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
        #expect(r.stdout.hasPrefix("OVERVIEW: Show what an image archive holds"))
        for section in ["\nUSAGE: imgtool inspect ", "\nARGUMENTS:\n  <archive>", "\nOPTIONS:\n", "  --json", "  --platform <platform>", "  --image <image>", "  -h, --help", "\nEXIT CODES:\n"] {
            #expect(r.stdout.contains(section), "missing \(section)")
        }
        #expect(!r.stdout.contains("SUBCOMMANDS"))
        let reference = try TS.imgtool(["inspect", "--help"])
        #expect(r.stdout == reference.stdout)
    }

    /// Help text is documented as wrapped at 80 columns (HelpText.swift); the USAGE line too.
    @Test func inspectHelpFitsIn80Columns() throws {
        let r = try TS.imgtool(["inspect", "--help"])
        #expect(r.status == 0)
        expectAtMost80Columns(r.stdout, "imgtool inspect --help")
    }

    @Test func version() throws {
        let r = try TS.imgtool(["--version"])
        #expect(r.status == 0)
        #expect(r.stdout == "0.1.0\n")
        #expect(r.stderr.isEmpty)
    }

    typealias UsageCase = (args: [String], first: String, usage: String, see: String)
    static let usageCases: [UsageCase] = [
        (["inspect", "--bogus", "x.tar"], "Error: Unknown option '--bogus'", usageLine, "  See 'imgtool inspect --help' for more information."),
        (["inspect"], "Error: Missing expected argument '<archive>'", usageLine, "  See 'imgtool inspect --help' for more information."),
        (["inspect", "a.tar", "b.tar"], "Error: Unexpected argument 'b.tar'", usageLine, "  See 'imgtool inspect --help' for more information."),
        (["inspect", "--platform"], "Error: Missing value for '--platform <platform>'", usageLine, "  See 'imgtool inspect --help' for more information."),
        (["inspect", "--json=yes", "x.tar"], "Error: The option '--json' does not take a value", usageLine, "  See 'imgtool inspect --help' for more information."),
        (["frobnicate"], "Error: Unknown subcommand 'frobnicate'", "Usage: imgtool <subcommand>", "  See 'imgtool --help' for more information."),
        (["--bogus"], "Error: Unknown option '--bogus'", "Usage: imgtool <subcommand>", "  See 'imgtool --help' for more information."),
        (["help", "frobnicate"], "Error: Unknown subcommand 'frobnicate'", "Usage: imgtool <subcommand>", "  See 'imgtool --help' for more information."),
    ]

    @Test(arguments: usageCases)
    func usageErrors(_ c: UsageCase) throws {
        let r = try TS.imgtool(c.args)
        #expect(r.status == 64)
        #expect(r.stdout.isEmpty)
        #expect(lines(r.stderr) == [c.first, c.usage, c.see])
    }

    @Test(arguments: ["a/b/c/d", "", "linux//amd64"])
    func badPlatform(_ value: String) throws {
        let r = try TS.imgtool(["inspect", "--platform", value, TS.fixture("oci-multiarch.tar")])
        #expect(r.status == 64)
        #expect(r.stdout.isEmpty)
        let l = lines(r.stderr)
        #expect(l.first == "Error: The value '\(value)' is invalid for '--platform <platform>'")
        #expect(l.last == "  See 'imgtool inspect --help' for more information.")
    }

    /// The text of the `digests` row (and its continuation line) when only headers were read.
    static let notVerifiedRow = [
        "  digests     not verified: only tar headers were read (file contents skipped);",
        "              run `imgtool verify` to check every digest",
    ]

    /// The lines of an inspect text output without its `digests` row, which is the only part that
    /// differs between a headers-only read and a full one.
    private func withoutDigestsRow(_ text: String) -> [String] {
        var out: [String] = []
        var inRow = false
        for line in lines(text) {
            if line.hasPrefix("  digests ") {
                inRow = true
                continue
            }
            if inRow && line.hasPrefix("              ") { continue }
            inRow = false
            out.append(line)
        }
        return out
    }

    // MARK: - inspect on fixtures

    /// A plain archive file is read header by header: the facts are all there, with the entry
    /// counts, and the output says that digests were not verified and what verifies them.
    @Test func inspectShowsTheFacts() throws {
        let facts = FixtureFacts.named("skopeo-docker-archive.tar")
        let path = TS.fixture(facts.file)
        let r = try TS.imgtool(["inspect", path])
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
        let image = try #require(facts.images?.first)
        #expect(lines(r.stdout).first == path)
        #expect(r.stdout.contains("Image 1 of 1: app:1.0"))
        #expect(r.stdout.contains("  platform    linux/amd64\n"))
        #expect(r.stdout.contains(image.configDigest!))
        for layer in image.layers ?? [] {
            #expect(r.stdout.contains(layer.diffID!))
            let n = layer.entries ?? -1
            #expect(r.stdout.contains(" \(n) \(n == 1 ? "entry" : "entries") · "), "\(layer.diffID!)")
        }
        #expect(lines(r.stdout)[3...4] == Self.notVerifiedRow[...])
        #expect(!r.stdout.contains("all verified"))
        #expect(r.stdout.contains("  ELF files   amd64 2\n"))
        expectAtMost80Columns(r.stdout, facts.file)
    }

    /// gzip and stdin are read whole, so they are verified, as before.
    @Test(arguments: [["inspect", TS.fixture("skopeo-docker-archive.tar.gz")], ["inspect", "-"]])
    func streamsAreVerified(_ args: [String]) throws {
        let r = try TS.imgtool(args, stdinPath: args.last == "-" ? TS.fixture("skopeo-docker-archive.tar") : nil)
        #expect(r.status == 0)
        #expect(r.stdout.contains("  digests     all verified (3 layers, every blob and config)\n"))
        #expect(!r.stdout.contains("not verified"))
    }

    @Test(arguments: ["skopeo-docker-archive.tar", "skopeo-docker-archive.tar.gz", "oci-multiarch.tar"])
    func inspectStdinMatchesFile(_ file: String) throws {
        let path = TS.fixture(file)
        let fromFile = try TS.imgtool(["inspect", path])
        let fromStdin = try TS.imgtool(["inspect", "-"], stdinPath: path)
        #expect(fromFile.status == 0 && fromStdin.status == 0)
        #expect(fromStdin.stderr.isEmpty)
        var expected = withoutDigestsRow(fromFile.stdout)
        try #require(!expected.isEmpty)
        expected[0] = "stdin"
        #expect(withoutDigestsRow(fromStdin.stdout) == expected)
        // A plain file is read header by header; stdin and gzip are verified.
        #expect(fromFile.stdout.contains(Self.notVerifiedRow[0]) == !file.hasSuffix(".gz"))
        #expect(fromStdin.stdout.contains("  digests     all verified"))
    }

    /// Every fixture that reads, and every readable Docker archive: text lines fit in 80 columns,
    /// the config digest and every diffID are shown, stderr stays empty.
    @Test(arguments: FixtureFacts.okFiles.filter { !$0.hasSuffix(".zst") && !$0.hasSuffix(".xz") && !$0.hasSuffix(".bz2") }.map(TS.fixture)
        + RealDockerArchiveTests.readable.map(TS.real))
    func textOutputFitsAndIsComplete(_ path: String) throws {
        let r = try TS.imgtool(["inspect", path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty)
        expectAtMost80Columns(r.stdout, path)
        let archive = try ImageArchive.read(path: path)
        for image in archive.images {
            #expect(r.stdout.contains(image.configDigest.description))
            for layer in image.layers { #expect(r.stdout.contains(layer.diffID.description)) }
        }
    }

    @Test(arguments: ["skopeo-docker-archive.tar", "skopeo-docker-archive.tar.gz", "oci-multiarch.tar", "containerd-export.tar", "docker-oci.tar", "skopeo-docker-archive-multi.tar"])
    func jsonMatchesFixtureFacts(_ file: String) throws {
        let facts = FixtureFacts.named(file)
        let r = try TS.imgtool(["inspect", "--json", TS.fixture(file)])
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
        let root = try #require(try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any])
        #expect(root["schemaVersion"] as? Int == 1)
        let archive = try #require(root["archive"] as? [String: Any])
        #expect(archive["layout"] as? String == facts.layout)
        #expect(archive["compression"] as? String == facts.compression)
        #expect(archive["members"] as? Int == facts.members)
        // A plain file is read header by header; a gzip one whole.
        let verified = facts.compression != "none"
        #expect(archive["digestsVerified"] as? Bool == verified)
        #expect(archive["read"] as? String == (verified ? "full" : "headers-only"))
        let note = archive["digestsNote"] as? String
        #expect((note == nil) == verified)
        if let note { #expect(note.contains("not verified") && note.contains("imgtool verify")) }
        #expect((root["problems"] as? [Any])?.isEmpty == true)
        let images = try #require(root["images"] as? [[String: Any]])
        let expected = facts.shownImages
        #expect(images.count == expected.count)
        for (image, want) in zip(images, expected) {
            #expect(image["configDigest"] as? String == want.configDigest)
            #expect(image["platform"] as? String == want.platform)
            #expect(image["manifestDigest"] as? String == want.manifestDigest)
            let layers = try #require(image["layers"] as? [[String: Any]])
            #expect(layers.count == want.layers?.count)
            for (l, w) in zip(layers, want.layers ?? []) {
                #expect(l["diffID"] as? String == w.diffID)
                #expect(l["entries"] as? Int == w.entries)
                #expect((l["size"] as? NSNumber)?.int64Value == w.size)
            }
        }
    }

    @Test func platformSelection() throws {
        let path = TS.fixture("oci-multiarch.tar")
        let arm = try TS.imgtool(["inspect", "--platform", "linux/arm64", path])
        #expect(arm.status == 0)
        #expect(arm.stdout.contains("Image 1 of 1: app:1.0"))
        #expect(arm.stdout.contains("  platform    linux/arm64/v8\n"))
        #expect(!arm.stdout.contains("linux/amd64\n"))
        let json = try TS.imgtool(["inspect", "--json", "--platform=linux/amd64", path])
        let root = try #require(try JSONSerialization.jsonObject(with: json.stdoutData) as? [String: Any])
        let images = try #require(root["images"] as? [[String: Any]])
        #expect(images.map { $0["platform"] as? String } == ["linux/amd64"])

        let none = try TS.imgtool(["inspect", "--platform", "linux/s390x", path])
        #expect(none.status == 7)
        #expect(none.stdout.isEmpty)
        #expect(lines(none.stderr) == ["Error: no image matches platform linux/s390x; the archive holds: app:1.0 (linux/amd64), app:1.0 (linux/arm64/v8)"])
    }

    @Test func imageSelection() throws {
        let path = TS.fixture("skopeo-docker-archive-multi.tar")
        let tool = FixtureFacts.named("skopeo-docker-archive-multi.tar").images![1]
        for ref in ["tool:2.0", "docker.io/library/tool:2.0", String(tool.configDigest!.dropFirst(7).prefix(12)), String(tool.configDigest!.prefix(19))] {
            let r = try TS.imgtool(["inspect", "--image", ref, path])
            #expect(r.status == 0, "\(ref)")
            #expect(r.stdout.contains("Image 1 of 1: tool:2.0"), "\(ref)")
            #expect(r.stdout.contains(tool.configDigest!))
            #expect(!r.stdout.contains("app:1.0"))
        }
        let none = try TS.imgtool(["inspect", "--image", "nope:9", path])
        #expect(none.status == 7)
        #expect(none.stdout.isEmpty)
        #expect(lines(none.stderr).count == 1)
        #expect(none.stderr.hasPrefix("Error: no image matches image 'nope:9'; the archive holds: app:1.0 (linux/amd64), tool:2.0 (linux/amd64)"))
    }

    // MARK: - Exit codes

    typealias ExitCase = (path: String, code: Int32, mentions: String)
    static let exitCases: [ExitCase] = [
        (TS.fixture("truncated-at-boundary.tar"), 2, "at byte 80384 of the archive: archive truncated"),
        (TS.fixture("truncated-mid-member.tar"), 2, "truncated"),
        (TS.fixture("truncated.tar.gz"), 2, "Error: "),
        (TS.fixture("not-an-archive.bin"), 4, "not an image archive"),
        (TS.fixture("plain-tar-not-image.tar"), 4, "not an image archive"),
        (TS.fixture("bad-layer-count.tar"), 4, "badcount:1.0: inconsistent layer count: 1 layers in the manifest, 2 diff_ids in the config"),
        (TS.real("bad-null-manifest.tar"), 4, "manifest.json: expected a JSON array of images, found null"),
        (TS.fixture("skopeo-docker-archive.tar.zst"), 5, "zstd -dc"),
        (TS.fixture("skopeo-docker-archive.tar.xz"), 5, "xz -dc"),
        (TS.fixture("skopeo-docker-archive.tar.bz2"), 5, "bzip2 -dc"),
        (TS.fixture("does-not-exist.tar"), 6, "does-not-exist.tar"),
    ]

    @Test(arguments: exitCases)
    func errorExits(_ c: ExitCase) throws {
        for json in [false, true] {
            let r = try TS.imgtool(["inspect"] + (json ? ["--json"] : []) + [c.path])
            #expect(r.status == c.code, "\(c.path): \(r.stderr)")
            #expect(r.stdout.isEmpty, "\(c.path): stdout \(r.stdout.prefix(200))")
            let l = lines(r.stderr)
            #expect(l.count == 1, "\(l)")
            #expect(l.first?.hasPrefix("Error: ") == true)
            #expect(r.stderr.contains(c.mentions), "\(r.stderr)")
        }
    }

    /// Exit 3 when the archive is read whole (stdin): the report is printed, but it does not
    /// claim success; the problem names the member. Read header by header, the same file cannot
    /// show the mismatch, and says so instead of claiming the digests are right.
    @Test func corruptLayerExit3() throws {
        let facts = FixtureFacts.named("bad-layer-digest.tar")
        let layer = facts.images![0].layers![0]
        let path = TS.fixture(facts.file)
        let mismatch = "Error: \(layer.path!): layer 1 diff_id mismatch: the config expects \(layer.diffID!), the uncompressed layer is \(layer.actualDiffID!)"
        let r = try TS.imgtool(["inspect", "-"], stdinPath: path)
        #expect(r.status == 3)
        #expect(!r.stdout.contains("all verified"))
        #expect(lines(r.stderr) == [mismatch])
        let json = try TS.imgtool(["inspect", "--json", "-"], stdinPath: path)
        #expect(json.status == 3)
        let root = try #require(try JSONSerialization.jsonObject(with: json.stdoutData) as? [String: Any])
        #expect((root["problems"] as? [String])?.count == 1)
        #expect((root["archive"] as? [String: Any])?["digestsVerified"] as? Bool == true)

        let quick = try TS.imgtool(["inspect", path])
        #expect(quick.status == 0)
        #expect(quick.stderr.isEmpty)
        #expect(lines(quick.stdout)[3...4] == Self.notVerifiedRow[...])
        let verify = try TS.imgtool(["verify", path])
        #expect(verify.status == 3)
        #expect(verify.stdout.contains("FAIL  integrity        \(layer.path!):"))
    }

    @Test func stdinErrorsToo() throws {
        let r = try TS.imgtool(["inspect", "-"], stdinPath: TS.fixture("truncated-at-boundary.tar"))
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(lines(r.stderr).count == 1)
        let z = try TS.imgtool(["inspect", "-"], stdinPath: TS.fixture("skopeo-docker-archive.tar.zst"))
        #expect(z.status == 5)
        #expect(z.stderr.contains("`... | zstd -dc | imgtool inspect -`"))
        #expect(z.stderr.hasPrefix("Error: stdin: the archive is zstd-compressed"))
    }

    // MARK: - Messages name the input

    /// A zstd, xz or bzip2 archive: the suggested pipe names the real path and the command that
    /// was run (with its options), for every command that reads an archive.
    @Test(arguments: [("skopeo-docker-archive.tar.zst", "zstd -dc"), ("skopeo-docker-archive.tar.xz", "xz -dc"), ("skopeo-docker-archive.tar.bz2", "bzip2 -dc")])
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
        #expect(ship.stderr.contains("`\(decompress) \(path) | imgtool pack -o \(copy) - && imgtool ship --arch amd64 \(copy) nowhere.invalid:/srv`"), "\(ship.stderr)")
    }

    /// A path the shell would split is quoted in the suggestion.
    @Test func compressedArchiveSuggestionQuotesThePath() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let path = dir.path("it's an app.tar.zst")
        try FileManager.default.copyItem(atPath: TS.fixture("skopeo-docker-archive.tar.zst"), toPath: path)
        let r = try TS.imgtool(["verify", path])
        #expect(r.status == 5)
        #expect(r.stderr.contains("`zstd -dc '\(dir.path("it"))'\\''s an app.tar.zst' | imgtool verify -`"), "\(r.stderr)")
    }

    /// An input that cannot be opened is named once, with the reason.
    @Test func aMissingInputIsNamedOnce() throws {
        for command in ["inspect", "verify", "ls"] {
            let r = try TS.imgtool([command, "/nonexistent-imgtool/app.tar"])
            #expect(r.status == 6)
            #expect(r.stderr == "Error: /nonexistent-imgtool/app.tar: open failed: No such file or directory (errno \(ENOENT))\n", "\(command): \(r.stderr)")
        }
        let pack = try TS.imgtool(["pack", "-o", "/tmp/imgtool-never-written.tar.gz", "/nonexistent-imgtool/app.tar"])
        #expect(pack.stderr.contains("Error: /nonexistent-imgtool/app.tar: open failed: No such file or directory"), "\(pack.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/imgtool-never-written.tar.gz"))
    }

    /// Errors that judge the input as a whole name it (the path, or stdin), once.
    @Test func notAnArchiveNamesTheInput() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let noise = dir.path("noise")
        try TS.write(TS.noise(4096, seed: 7), to: noise)
        let gz = dir.path("noise.tar.gz")
        try TS.write([UInt8](try TS.tool("gzip", ["-c", noise]).stdoutData), to: gz)
        let notTar = "not an image archive: expected a tar archive (optionally gzip-compressed), found gzip-compressed data that is not a tar archive"
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
        // Errors located in the stream keep their location (the same for a file and stdin).
        #expect(truncated.stderr.hasPrefix("Error: at byte 80384 of the archive: archive truncated"))
        // Errors that name the path already are not prefixed again.
        let missing = try TS.imgtool(["inspect", "/does/not/exist.tar"])
        #expect(missing.status == 6)
        #expect(missing.stderr.hasPrefix("Error: /does/not/exist.tar: "))
        #expect(!missing.stderr.contains("exist.tar: /does"))
    }
}
