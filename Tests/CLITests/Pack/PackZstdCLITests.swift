import ByteIO
import Foundation
import TestSupport
import Testing

/// `imgtool pack --zstd`, run through the built binary: the output read back byte for byte by
/// `zstd -dc`, Python's `zstandard` (Debian's python3-zstandard), Go's klauspost/compress zstd
/// (Debian's golang-github-klauspost-compress-dev, the reader Docker and containerd use) and
/// imgtool; one frame per layer, the same bytes whatever the thread count, unchanged layers
/// byte-identical across versions of an image.
@Suite struct PackZstdCLITests {
    /// The uncompressed tar of a fixture.
    static func tar(_ fixture: String) throws -> [UInt8] {
        let path = TS.fixture(fixture)
        if fixture.hasSuffix(".gz") || fixture.hasSuffix(".zst") {
            let r = try TS.run("/bin/sh", ["-c", "\(fixture.hasSuffix(".gz") ? "gzip" : "zstd") -dc \"$1\"", "sh", path])
            #expect(r.status == 0)
            return [UInt8](r.stdoutData)
        }
        return try TS.bytes(path)
    }

    /// `pack --json`'s document, as PackCLITests reads it.
    typealias JSONDoc = PackCLITests.JSONDoc

    static let pythonZstandard =
        FileManager.default.fileExists(atPath: "/usr/bin/python3")
        && (try? TS.run("/usr/bin/python3", ["-c", "import zstandard"]).status) == 0
    static let goZstd =
        (try? TS.run("/bin/sh", ["-c", "command -v go"]).status) == 0
        && FileManager.default.fileExists(atPath: "/usr/share/gocode/src/github.com/klauspost/compress/zstd")

    static let roundTrip = [
        "prisma-ok-debian-amd64.tar", "skopeo-docker-archive.tar.gz", "oci-multiarch.tar", "zstd/oci-zstd.tar",
        "zstd/docker-archive.pzstd.tar.zst",
    ]

    @Test(arguments: roundTrip)
    func zstdAndImgtoolReadTheInputBack(_ fixture: String) throws {
        try TS.withTemporaryDirectory { dir in
            let out = dir.appendingPathComponent("out.tar.zst").path
            let r = try TS.imgtool(["pack", "--zstd", "--force", "--json", "-o", out, TS.fixture(fixture)])
            #expect(r.status == 0, "\(r.stderr)")
            let doc = try JSONDecoder().decode(JSONDoc.self, from: r.stdoutData)
            let expected = try Self.tar(fixture)
            let bytes = try TS.bytes(out)
            #expect(doc.pack.format == "zstd")
            #expect(doc.pack.level == 3)
            #expect(doc.pack.bytes == Int64(bytes.count))
            #expect(doc.pack.tarBytes == Int64(expected.count))
            #expect(bytes.starts(with: [0x28, 0xB5, 0x2F, 0xFD]))
            // Frames cover the output and the tar with no gap; each holds its own piece alone.
            var compressed: Int64 = 0
            var tar: Int64 = 0
            for m in doc.pack.members {
                #expect(m.compressedOffset == compressed && m.tarOffset == tar)
                #expect(m.crc32 == nil)
                compressed += m.compressedSize
                tar += m.tarSize
                let frame = Array(bytes[Int(m.compressedOffset)..<Int(m.compressedOffset + m.compressedSize)])
                let alone = try TS.run("/bin/sh", ["-c", "zstd -dc"], stdinPath: try Self.write(frame, in: dir))
                #expect(Array(alone.stdoutData) == Array(expected[Int(m.tarOffset)..<Int(m.tarOffset + m.tarSize)]))
            }
            #expect(compressed == Int64(bytes.count) && tar == Int64(expected.count))
            let z = try TS.tool("zstd", ["-dc", out])
            #expect(z.status == 0 && Array(z.stdoutData) == expected, "zstd -dc")
            let inspect = try TS.imgtool(["inspect", "--json", out])
            #expect(inspect.status == 0, "\(inspect.stderr)")
            #expect(inspect.stdout.contains("\"digestsVerified\" : true"))
            #expect(inspect.stdout.contains("\"compression\" : \"zstd\""))
        }
    }

    @Test(.enabled(if: pythonZstandard, "Debian's python3-zstandard is not installed (apt-get install python3-zstandard)"))
    func pythonReadsItBack() throws {
        try TS.withTemporaryDirectory { dir in
            let out = dir.appendingPathComponent("out.tar.zst").path
            #expect(try TS.imgtool(["pack", "--force", "-o", out, TS.fixture("oci-multiarch.tar")]).status == 0)
            let script =
                "import sys, zstandard; sys.stdout.buffer.write(zstandard.ZstdDecompressor().stream_reader(open(sys.argv[1], 'rb'), read_across_frames=True).read())"
            let py = try TS.run("/usr/bin/python3", ["-c", script, out])
            #expect(py.status == 0, "\(py.stderr)")
            #expect(Array(py.stdoutData) == (try Self.tar("oci-multiarch.tar")), "python zstandard")
        }
    }

    @Test(.enabled(if: goZstd, "go and Debian's golang-github-klauspost-compress-dev are not installed"))
    func goReadsItBack() throws {
        try TS.withTemporaryDirectory { dir in
            let out = dir.appendingPathComponent("out.tar.zst").path
            #expect(try TS.imgtool(["pack", "--force", "-o", out, TS.fixture("oci-multiarch.tar")]).status == 0)
            let source = dir.appendingPathComponent("main.go").path
            try TS.write(Array(Self.goReader.utf8), to: source)
            let binary = dir.appendingPathComponent("unzstd").path
            let build = try TS.run(
                "/bin/sh", ["-c", "cd \"$1\" && go build -o \"$2\" main.go", "sh", dir.path, binary],
                environment: [
                    "GOPATH": "/usr/share/gocode", "GO111MODULE": "off", "GOCACHE": dir.appendingPathComponent("cache").path,
                    "HOME": dir.path, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
                ])
            try #require(build.status == 0, "\(build.stderr)")
            let go = try TS.run(binary, [], stdinPath: out)
            #expect(go.status == 0, "\(go.stderr)")
            #expect(Array(go.stdoutData) == (try Self.tar("oci-multiarch.tar")), "Go klauspost/compress zstd")
        }
    }

    static let goReader = """
        package main

        import (
        \t"io"
        \t"os"

        \t"github.com/klauspost/compress/zstd"
        )

        func main() {
        \td, err := zstd.NewReader(os.Stdin)
        \tif err == nil {
        \t\t_, err = io.Copy(os.Stdout, d)
        \t}
        \tif err != nil {
        \t\tos.Stderr.WriteString(err.Error() + "\\n")
        \t\tos.Exit(1)
        \t}
        }
        """

    @Test func sameBytesWhateverTheThreadCountAndTheOutputName() throws {
        try TS.withTemporaryDirectory { dir in
            let runs: [(String, [String])] = [
                ("a.tar.zst", []), ("one.out", ["--zstd", "--threads", "1"]), ("five.out", ["--format", "zstd", "--threads", "5"]),
            ]
            for (name, extra) in runs {
                let r = try TS.imgtool(["pack"] + extra + ["-o", dir.appendingPathComponent(name).path, TS.fixture("prisma-readded.tar")])
                #expect(r.status == 0, "\(name): \(r.stderr)")
                #expect(r.stdout.contains(" zstd ("), "\(r.stdout)")
                #expect(r.stdout.contains("zstd frames"), "\(r.stdout)")
            }
            let a = try TS.bytes(dir.appendingPathComponent("a.tar.zst").path)
            for name in ["one.out", "five.out"] { #expect(try TS.bytes(dir.appendingPathComponent(name).path) == a, "\(name)") }
            // Packing the packed archive again (a .tar.zst input) gives it back unchanged.
            let again = dir.appendingPathComponent("again.tar.zst").path
            #expect(try TS.imgtool(["pack", "-o", again, dir.appendingPathComponent("a.tar.zst").path]).status == 0)
            #expect(try TS.bytes(again) == a)
        }
    }

    /// The deploy fixtures share their base layers: packed to zstd, those layers' frames are
    /// the same bytes in both, so ship's delta sends only the changed layer.
    @Test func unchangedLayersGiveIdenticalFrames() throws {
        try TS.withTemporaryDirectory { dir in
            var frames: [[String: [UInt8]]] = []
            for v in ["deploy-v1.tar.gz", "deploy-v2.tar.gz"] {
                let out = dir.appendingPathComponent(v + ".zst").path
                let r = try TS.imgtool(["pack", "--zstd", "--force", "--json", "-o", out, TS.fixture(v)])
                #expect(r.status == 0, "\(r.stderr)")
                let doc = try JSONDecoder().decode(JSONDoc.self, from: r.stdoutData)
                let bytes = try TS.bytes(out)
                var byMember: [String: [UInt8]] = [:]
                for m in doc.pack.members {
                    if let t = m.tarMember {
                        byMember[t] = Array(bytes[Int(m.compressedOffset)..<Int(m.compressedOffset + m.compressedSize)])
                    }
                }
                frames.append(byMember)
            }
            let shared = Set(frames[0].keys).intersection(frames[1].keys)
            #expect(shared.count >= 2, "\(frames.map { $0.keys.sorted() })")
            for name in shared { #expect(frames[0][name] == frames[1][name], "\(name)") }
        }
    }

    @Test func usageErrors() throws {
        let out = "/tmp/imgtool-never-written.tar.zst"
        for (extra, wanted) in [
            (["--zstd", "--level", "0"], "1 to 19 for zstd"), (["--zstd", "--level", "20"], "1 to 19 for zstd"),
            (["--format", "xz"], "gzip or zstd"), (["--zstd", "--format", "gzip"], "disagree"),
        ] {
            let r = try TS.imgtool(["pack"] + extra + ["-o", out, TS.fixture("prisma-ok-debian-amd64.tar")])
            #expect(r.status == 64, "\(extra): \(r.stderr)")
            #expect(r.stderr.contains(wanted), "\(extra): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }

    static func write(_ bytes: [UInt8], in dir: URL) throws -> String {
        let path = dir.appendingPathComponent("frame-\(bytes.count)").path
        try TS.write(bytes, to: path)
        return path
    }
}
