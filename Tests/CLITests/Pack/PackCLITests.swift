import ByteIO
import Foundation
import Gzip
import TestSupport
import Testing

/// `imgtool pack`, run through the built binary as a user would: the output read back by
/// gunzip, pigz, Python and imgtool; determinism; member alignment across two versions of an
/// image; refusals; interruptions; stdin.
@Suite struct PackCLITests {
    // MARK: - Helpers

    /// The uncompressed tar of a fixture, as `gzip -dc` gives it.
    static func tar(_ fixture: String) throws -> [UInt8] {
        if fixture.hasSuffix(".gz") {
            let r = try TS.tool("gzip", ["-dc", TS.fixture(fixture)])
            #expect(r.status == 0)
            return [UInt8](r.stdoutData)
        }
        return try TS.bytes(TS.fixture(fixture))
    }

    /// Runs `imgtool pack ARGS` writing `out.tar.gz` in `dir`.
    static func pack(_ fixture: String, in dir: TS.TempDir, name: String = "out.tar.gz", _ extra: [String] = []) throws -> TS.ProcessResult
    {
        try TS.imgtool(["pack"] + extra + ["-o", dir.path(name), TS.fixture(fixture)])
    }

    static func files(_ dir: TS.TempDir) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.url.path).sorted()
    }

    struct JSONDoc: Decodable {
        struct Pack: Decodable {
            struct Member: Decodable {
                var compressedOffset: Int64
                var compressedSize: Int64
                var tarOffset: Int64
                var tarSize: Int64
                /// gzip only.
                var crc32: UInt32?
                var tarMember: String?
            }
            var output: String
            var written: Bool
            /// `gzip` or `zstd`.
            var format: String
            var level: Int32
            var bytes: Int64
            var tarBytes: Int64
            var members: [Member]
        }
        var passed: Bool
        var pack: Pack
    }

    static func json(_ r: TS.ProcessResult) throws -> JSONDoc {
        try JSONDecoder().decode(JSONDoc.self, from: r.stdoutData)
    }

    // MARK: - Reading the output back

    static let roundTrip = [
        "prisma-ok-debian-amd64.tar", "skopeo-docker-archive.tar.gz", "docker-oci.tar", "containerd-export.tar", "oci-multiarch.tar",
    ]

    @Test(arguments: roundTrip)
    func gunzipPigzPythonAndImgtoolReadTheInputBack(fixture: String) throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let r = try Self.pack(fixture, in: dir, ["--force"])
        #expect(r.status == 0, "\(r.stderr)")
        let out = dir.path("out.tar.gz")
        let expected = try Self.tar(fixture)
        #expect(try Self.files(dir) == ["out.tar.gz"])
        for command in [["gunzip", "-c"], ["pigz", "-dc"]] {
            let d = try TS.tool(command[0], [command[1], out])
            #expect(d.status == 0, "\(command[0]): \(d.stderr)")
            #expect([UInt8](d.stdoutData) == expected, "\(command[0])")
        }
        let py = try TS.tool("python3", ["-c", "import gzip,sys; sys.stdout.buffer.write(gzip.open(sys.argv[1]).read())", out])
        #expect([UInt8](py.stdoutData) == expected, "python gzip")
        // imgtool's own reader, and imgtool reading the packed archive as an image archive.
        let inflater = try Inflater(FileSource(path: out))
        var back: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try inflater.read(into: $0) }
            if n == 0 { break }
            back += buffer[0..<n]
        }
        #expect(back == expected, "imgtool's Inflater")
        let inspect = try TS.imgtool(["inspect", "--json", out])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(inspect.stdout.contains("\"digestsVerified\" : true"))
    }

    @Test func stdinGivesTheSameBytesAsTheFile() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let fixture = "skopeo-docker-archive.tar.gz"
        #expect(try Self.pack(fixture, in: dir, ["--force"]).status == 0)
        let r = try TS.imgtool(["pack", "--force", "-o", dir.path("stdin.tar.gz"), "-"], stdinPath: TS.fixture(fixture))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("stdin: "))
        #expect(try TS.bytes(dir.path("stdin.tar.gz")) == TS.bytes(dir.path("out.tar.gz")))
    }

    // MARK: - Determinism

    @Test func sameInputSameBytesWhateverTheThreadCount() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let fixture = "prisma-readded.tar"
        for (name, extra) in [("a.gz", []), ("b.gz", []), ("one.gz", ["--threads", "1"]), ("five.gz", ["--threads", "5"])] {
            let r = try Self.pack(fixture, in: dir, name: name, extra)
            #expect(r.status == 0, "\(name): \(r.stderr)")
        }
        let a = try TS.bytes(dir.path("a.gz"))
        for name in ["b.gz", "one.gz", "five.gz"] {
            #expect(try TS.bytes(dir.path(name)) == a, "\(name)")
        }
        // Packing the packed archive (a .tar.gz input) gives it back unchanged.
        let again = try TS.imgtool(["pack", "-o", dir.path("again.gz"), dir.path("a.gz")])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try TS.bytes(dir.path("again.gz")) == a)
    }

    @Test func levelChangesTheBytesNotTheContent() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let fixture = "prisma-ok-debian-amd64.tar"
        #expect(try Self.pack(fixture, in: dir, name: "1.gz", ["--level", "1"]).status == 0)
        #expect(try Self.pack(fixture, in: dir, name: "9.gz", ["--level", "9"]).status == 0)
        let one = try TS.bytes(dir.path("1.gz"))
        let nine = try TS.bytes(dir.path("9.gz"))
        #expect(one != nine)
        #expect(one[8] == 4 && nine[8] == 2, "XFL")
        for name in ["1.gz", "9.gz"] {
            #expect([UInt8](try TS.tool("gunzip", ["-c", dir.path(name)]).stdoutData) == (try Self.tar(fixture)))
        }
    }

    // MARK: - Member alignment

    /// Two versions of a real image (fixture script: umoci + skopeo): the same base layer, a
    /// changed app layer. The base layer's gzip member has the same bytes in both packs.
    @Test func theSameLayerHasTheSameCompressedBytesInTwoVersionsOfAnImage() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let v1 = try Self.pack("prisma-ok-debian-amd64.tar", in: dir, name: "v1.tar.gz", ["--json"])
        let v2 = try Self.pack("prisma-missing.tar", in: dir, name: "v2.tar.gz", ["--json", "--force"])
        #expect(v1.status == 0 && v2.status == 0, "\(v1.stderr) \(v2.stderr)")
        let d1 = try Self.json(v1).pack
        let d2 = try Self.json(v2).pack
        #expect(d1.written && d2.written)
        let base = "7aa52860c2a84f3854cc0f23d764462f2cceb8e5aa9d05292cbe2f81fb86ca49.tar"
        let m1 = try #require(d1.members.first { $0.tarMember == base })
        let m2 = try #require(d2.members.first { $0.tarMember == base })
        let b1 = try TS.bytes(dir.path("v1.tar.gz"))
        let b2 = try TS.bytes(dir.path("v2.tar.gz"))
        let c1 = Array(b1[Int(m1.compressedOffset)..<Int(m1.compressedOffset + m1.compressedSize)])
        let c2 = Array(b2[Int(m2.compressedOffset)..<Int(m2.compressedOffset + m2.compressedSize)])
        #expect(c1 == c2)
        #expect(m1.crc32 == m2.crc32 && m1.tarSize == m2.tarSize)
        // The app layers differ, and so do their members.
        let apps1 = Set(d1.members.compactMap(\.tarMember)).subtracting([base])
        let apps2 = Set(d2.members.compactMap(\.tarMember)).subtracting([base])
        #expect(!apps1.isEmpty && apps1.isDisjoint(with: apps2))
        // The JSON's members are what a scan of the file finds, covering it.
        let scanned = try GzipMemberScanner.members(of: FileSource(path: dir.path("v1.tar.gz")))
        #expect(scanned.map(\.compressedOffset) == d1.members.map(\.compressedOffset))
        #expect(scanned.map(\.uncompressedSize) == d1.members.map(\.tarSize))
        #expect(d1.members.last.map { $0.compressedOffset + $0.compressedSize } == Int64(b1.count))
        // Each layer's member decompresses alone to exactly that member's data in the tar.
        let tar = try Self.tar("prisma-ok-debian-amd64.tar")
        try TS.write(c1, to: dir.path("layer.gz"))
        let alone = try TS.tool("gunzip", ["-c", dir.path("layer.gz")])
        #expect([UInt8](alone.stdoutData) == Array(tar[Int(m1.tarOffset)..<Int(m1.tarOffset + m1.tarSize)]))
    }

    // MARK: - Refusals and interruptions

    @Test func failedChecksRefuseToWriteAndSaySo() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        try TS.write(Array("previous".utf8), to: dir.path("out.tar.gz"))
        let r = try Self.pack("prisma-missing.tar", in: dir)
        #expect(r.status == 1)
        #expect(r.stdout.contains("FAIL  prisma"))
        #expect(
            r.stderr
                == "Error: \(TS.fixture("prisma-missing.tar")): \(dir.path("out.tar.gz")) not written: 1 of 3 checks failed; --force writes it anyway\n"
        )
        #expect(try Self.files(dir) == ["out.tar.gz"])
        #expect(try TS.bytes(dir.path("out.tar.gz")) == Array("previous".utf8), "the previous file is untouched")
        let forced = try Self.pack("prisma-missing.tar", in: dir, ["--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(forced.stdout.contains("despite 1 failed check (--force)"))
        #expect([UInt8](try TS.tool("gunzip", ["-c", dir.path("out.tar.gz")]).stdoutData) == (try Self.tar("prisma-missing.tar")))
    }

    @Test func verifyOptionsApplyToPack() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let arm = try Self.pack("prisma-ok-debian-amd64.tar", in: dir, ["--arch", "arm64"])
        #expect(arm.status == 1)
        #expect(arm.stdout.contains("FAIL  platform"))
        let required = try Self.pack("prisma-ok-debian-amd64.tar", in: dir, ["--require", "/nowhere", "--json"])
        #expect(required.status == 1)
        let doc = try Self.json(required)
        #expect(!doc.passed && !doc.pack.written)
        #expect(try Self.files(dir) == [])
        let policy = try Self.pack("prisma-ok-debian-amd64.tar", in: dir, ["--policy", TS.fixture("policies/nextjs-prisma-runner.json")])
        #expect(policy.status == 1 || policy.status == 0)
        let verify = try TS.imgtool([
            "verify", "--policy", TS.fixture("policies/nextjs-prisma-runner.json"), TS.fixture("prisma-ok-debian-amd64.tar"),
        ])
        #expect(policy.status == verify.status, "pack and verify agree")
    }

    @Test func aCorruptArchiveIsNeverWritten() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let r = try Self.pack("bad-layer-digest.tar", in: dir, ["--force"])
        #expect(r.status == 3)
        #expect(r.stderr.contains("not written: the archive is corrupt"))
        #expect(try Self.files(dir) == [])
    }

    @Test(arguments: ["truncated-mid-member.tar", "truncated-at-boundary.tar", "truncated.tar.gz"])
    func aTruncatedInputLeavesNothing(fixture: String) throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let r = try Self.pack(fixture, in: dir, ["--force"])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("Error: "))
        #expect(r.stdout.isEmpty)
        #expect(try Self.files(dir) == [], "no output and no temporary file")
    }

    @Test func unreadableInputAndUnwritableOutput() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let missing = try TS.imgtool(["pack", "-o", dir.path("out.tar.gz"), dir.path("nope.tar")])
        #expect(missing.status == 6)
        let xz = try Self.pack("skopeo-docker-archive.tar.xz", in: dir)
        #expect(xz.status == 5)
        let noDir = try TS.imgtool(["pack", "-o", dir.path("no/such/dir/out.tar.gz"), TS.fixture("prisma-ok-debian-amd64.tar")])
        #expect(noDir.status == 1)
        #expect(noDir.stderr.contains("cannot create the output"))
        #expect(try Self.files(dir) == [])
    }

    @Test func anInterruptRemovesTheTemporaryFile() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TS.imgtool)
        p.arguments = ["pack", "-o", dir.path("out.tar.gz"), "-"]
        let input = Pipe()
        p.standardInput = input
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        // Half of an archive, then nothing: pack waits for more with its temporary file open.
        let archive = try TS.bytes(TS.fixture("prisma-ok-debian-amd64.tar"))
        input.fileHandleForWriting.write(Data(archive.prefix(archive.count / 2)))
        var temporary: [String] = []
        for _ in 0..<200 where temporary.isEmpty {
            temporary = try Self.files(dir)
            if temporary.isEmpty { usleep(20_000) }
        }
        #expect(temporary.count == 1 && temporary[0].hasPrefix(".out.tar.gz."), "\(temporary)")
        usleep(100_000)
        p.interrupt()
        var waited = 0
        while p.isRunning && waited < 500 {
            usleep(20_000)
            waited += 1
        }
        if p.isRunning {
            Issue.record("imgtool pack did not end within 10 s of SIGINT")
            kill(p.processIdentifier, SIGKILL)
        }
        p.waitUntilExit()
        try? input.fileHandleForWriting.close()
        #expect(p.terminationReason == .uncaughtSignal)
        #expect(p.terminationStatus == SIGINT)
        #expect(try Self.files(dir) == [])
    }

    // MARK: - Usage

    @Test func usageErrors() throws {
        let fixture = TS.fixture("prisma-ok-debian-amd64.tar")
        let noOutput = try TS.imgtool(["pack", fixture])
        #expect(noOutput.status == 64)
        #expect(noOutput.stderr.hasPrefix("Error: Missing expected argument '--output <file>'\nUsage: imgtool pack"))
        let level = try TS.imgtool(["pack", "--level", "10", "-o", "/tmp/x.gz", fixture])
        #expect(level.status == 64)
        #expect(level.stderr.hasPrefix("Error: The value '10' is invalid for '--level <level>'"))
        let stdout = try TS.imgtool(["pack", "-o", "-", fixture])
        #expect(stdout.status == 64)
        let threads = try TS.imgtool(["pack", "--threads", "0", "-o", "/tmp/x.gz", fixture])
        #expect(threads.status == 64)
        let help = try TS.imgtool(["help", "pack"])
        #expect(help.status == 0)
        #expect(help.stdout.hasPrefix("OVERVIEW: Verify an image archive and write it as gzip"))
        #expect(help.stdout.contains("  -o, --output <file>"))
        #expect(help.stdout.contains("  --prisma "))
        // Only members of 16 KiB or more get a gzip member of their own; the help says so.
        let flat = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(!flat.contains("Each layer is a gzip member of its own"))
        #expect(flat.contains("16 KiB"), "\(help.stdout)")
        let root = try TS.imgtool(["--help"])
        #expect(root.stdout.contains("\n  pack "))
    }
}
