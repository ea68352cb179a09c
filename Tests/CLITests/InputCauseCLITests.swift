import Foundation
import TestSupport
import Testing

/// Damage is reported by its cause, the same way by every command, each error line naming the
/// input: a complete gzip of something that is not a tar (or of nothing) is not an image
/// archive (4), a gzip file cut short, inside its header too, is truncated (2).
@Suite struct InputCauseCLITests {
    /// `data` compressed by the system gzip, written to `dir/name`; its path.
    static func gzip(_ data: [UInt8], in dir: TS.TempDir, name: String) throws -> String {
        try TS.write(data, to: dir.path(name + ".raw"))
        try TS.shell("gzip -n < '\(name).raw' > '\(name)'", in: dir.url)
        let gz = try TS.bytes(dir.path(name))
        #expect(gz.starts(with: [0x1f, 0x8b, 0x08]), "gzip wrote \(gz.count) bytes")
        return dir.path(name)
    }

    static let notATar = "not an image archive: expected a tar archive (optionally gzip- or zstd-compressed), found "

    /// Every command, on `archive` (a file or `-`).
    static func commands(_ archive: String, _ dir: TS.TempDir) -> [[String]] {
        [
            ["inspect", archive], ["inspect", "--json", archive], ["verify", archive], ["verify", "--json", archive],
            ["ls", archive], ["cat", archive, "/etc/os-release"], ["pack", "-o", dir.path("out.tar.gz"), archive],
        ]
    }

    /// Runs every command on the file and on stdin: one error line naming the input, the same
    /// text after the name, the exit code `code`.
    func expectEveryCommand(_ path: String, code: Int32, says text: String, _ dir: TS.TempDir) throws {
        for (archive, name) in [(path, path), ("-", "stdin")] {
            for args in Self.commands(archive, dir) {
                let r = try TS.imgtool(args, stdinPath: archive == "-" ? path : nil)
                #expect(r.status == code, "\(args): \(r.stderr)")
                let l = lines(r.stderr)
                #expect(l.count == 1, "\(args): \(r.stderr)")
                if args[0] == "pack" && text.hasPrefix(Self.notATar) {
                    // pack inflates the input before its reader sees it: the same cause and code,
                    // in the plain reader's words ("13 bytes, shorter than one tar header").
                    #expect(l.first?.hasPrefix("Error: \(name): \(Self.notATar)") == true, "\(args): \(r.stderr)")
                } else {
                    #expect(l.first == "Error: \(name): \(text)", "\(args): \(r.stderr)")
                }
            }
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path("out.tar.gz")))
    }

    /// The gzip of a text file used to be "archive truncated ... (an interrupted download or
    /// copy?)", exit 2: the gzip stream is complete, its content is no tar.
    @Test func gzipOfATextFileIsNotAnArchive() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let gz = try Self.gzip(Array("hello, world\n".utf8), in: dir, name: "notes.txt.gz")
        try expectEveryCommand(
            gz, code: 4, says: Self.notATar + "gzip-compressed data that is not a tar archive (13 bytes, shorter than one tar header)", dir)
    }

    /// A longer text, or random bytes, under gzip: a first header whose checksum does not add up.
    @Test func gzipOfLongerDataIsNotAnArchive() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let gz = try Self.gzip(Array(String(repeating: "not a tar\n", count: 200).utf8), in: dir, name: "long.gz")
        try expectEveryCommand(gz, code: 4, says: Self.notATar + "gzip-compressed data that is not a tar archive", dir)
    }

    /// `gzip < /dev/null`: a complete stream of nothing, not a truncated archive.
    @Test func gzipOfEmptyInputIsNotAnArchive() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let gz = try Self.gzip([], in: dir, name: "empty.tar.gz")
        try expectEveryCommand(gz, code: 4, says: Self.notATar + "gzip-compressed empty data (the gzip of an empty input)", dir)
    }

    /// A gzip file cut anywhere in its 10-byte header, the magic included: truncated (2), never
    /// "not an archive", and named.
    @Test(arguments: [1, 2, 3, 5, 9, 10])
    func cutGzipHeaderIsTruncated(_ length: Int) throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let whole = try TS.bytes(TS.fixture("skopeo-docker-archive.tar.gz"))
        let cut = dir.path("cut.tar.gz")
        try TS.write(Array(whole.prefix(length)), to: cut)
        try expectEveryCommand(
            cut, code: 2,
            says: "gzip stream truncated at compressed byte \(length): the file is incomplete (an interrupted download or copy?)", dir)
    }

    /// A loop over many archives shows which one failed: every error line of every command
    /// starts with the input's name, whatever the damage (found in the stream or not).
    @Test func everyErrorLineNamesTheInput() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let inputs: [(String, [String])] = [
            (TS.fixture("truncated-at-boundary.tar"), []), (TS.fixture("truncated-mid-member.tar"), []),
            (TS.fixture("truncated.tar.gz"), []), (TS.fixture("bad-layer-count.tar"), []), (TS.fixture("bad-layer-digest.tar"), []),
            (TS.fixture("not-an-archive.bin"), []), (TS.fixture("plain-tar-not-image.tar"), []),
            (TS.fixture("skopeo-docker-archive.tar.xz"), []), (TS.fixture("prisma-multiarch.tar"), ["--platform", "linux/s390x"]),
            (dir.path("absent.tar"), []),
        ]
        for (path, options) in inputs {
            for command in Self.commands(path, dir) {
                let args = [command[0]] + options + command.dropFirst()
                let r = try TS.imgtool(args)
                let l = lines(r.stderr)
                // (inspect reads a plain file's headers only: the bad digest goes unseen, exit 0;
                // verify's failed checks are its report, on stdout, exit 1.)
                #expect(r.status == 0 || (r.status == 1 && args[0] == "verify") || !l.isEmpty, "\(args)")
                #expect(l.allSatisfy { $0.hasPrefix("Error: \(path): ") }, "\(args): \(r.stderr)")
                let stdin = try TS.imgtool(
                    args.map { $0 == path ? "-" : $0 }, stdinPath: FileManager.default.fileExists(atPath: path) ? path : nil)
                #expect(lines(stdin.stderr).allSatisfy { $0.hasPrefix("Error: stdin: ") }, "\(args) on stdin: \(stdin.stderr)")
            }
        }
        // What is not in the image, for ls and cat.
        let image = TS.fixture("prisma-ok-debian-amd64.tar")
        for args in [["ls", image, "/nope"], ["cat", image, "/nope"], ["cat", image, "/app"]] {
            let r = try TS.imgtool(args)
            #expect(r.status == 1)
            #expect(lines(r.stderr).count == 1 && r.stderr.hasPrefix("Error: \(image): /"), "\(args): \(r.stderr)")
        }
    }
}
