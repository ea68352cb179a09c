import Foundation
import TestSupport
import Testing

/// Every command that reads an archive takes zstd as it takes gzip, from a file or stdin, and
/// bad zstd ends with the exit code of its cause: 2 truncated, 3 corrupt, 5 a window over the limit.
@Suite struct ZstdInputCLITests {
    static let zstdFiles = ["skopeo-docker-archive.tar.zst", "zstd/docker-archive.pzstd.tar.zst", "zstd/docker-archive.frames.tar.zst"]

    /// The same results as on the plain tar the archive compresses, for inspect, verify, ls and cat.
    @Test(arguments: zstdFiles)
    func everyCommandReadsIt(_ file: String) throws {
        let plain = TS.fixture("skopeo-docker-archive.tar")
        let zstd = TS.fixture(file)
        let commands: [[String]] = [
            ["verify", "--arch", "amd64", "--json"], ["ls", "-R"], ["cat"],
        ]
        let extra: [[String]] = [[], ["/app"], ["/app/data/greeting.txt"]]
        for (command, tail) in zip(commands, extra) {
            let expected = try TS.imgtool(command + [plain] + tail)
            for (args, stdin) in [(command + [zstd] + tail, nil as String?), (command + ["-"] + tail, zstd)] {
                let r = try TS.imgtool(args, stdinPath: stdin)
                #expect(r.status == expected.status, "\(args): \(r.stderr)")
                let normalise = { (s: String) in s.replacingOccurrences(of: zstd, with: "X").replacingOccurrences(of: plain, with: "X") }
                if command[0] == "verify" {
                    // The verdicts are the same; the input description differs (path, compression).
                    #expect(r.stdout.contains("\"passed\""), "\(args)")
                    #expect(
                        r.stdout.components(separatedBy: "\"status\"").count == expected.stdout.components(separatedBy: "\"status\"").count)
                } else {
                    #expect(normalise(r.stdout) == normalise(expected.stdout), "\(args)")
                }
            }
        }
        let inspect = try TS.imgtool(["inspect", zstd])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(inspect.stdout.contains("archive     zstd ("), "\(inspect.stdout)")
        #expect(inspect.stdout.contains(file.contains("frames") ? "(3 frames)" : "(1 frame)"), "\(inspect.stdout)")
        let json = try TS.imgtool(["inspect", "--json", zstd])
        #expect(json.stdout.contains("\"zstdFrames\" : \(file.contains("frames") ? 3 : 1)"), "\(json.stdout)")
        #expect(!json.stdout.contains("gzipMembers"))
    }

    /// inspect --json names each layer's compression.
    @Test func layerCompressionInJSON() throws {
        let r = try TS.imgtool(["inspect", "--json", TS.fixture("zstd/oci-multiarch-zstd.tar")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.components(separatedBy: "\"compression\" : \"zstd\"").count - 1 >= 4, "\(r.stdout)")
        #expect(r.stdout.contains("application/vnd.oci.image.layer.v1.tar+zstd"))
    }

    @Test func badZstdExitCodes() throws {
        try TS.withTemporaryDirectory { dir in
            let valid = try TS.bytes(TS.fixture("skopeo-docker-archive.tar.zst"))
            let cut = dir.appendingPathComponent("cut.tar.zst").path
            try TS.write(Array(valid.prefix(valid.count / 2)), to: cut)
            let t = try TS.imgtool(["verify", cut])
            #expect(t.status == 2, "\(t.stderr)")
            #expect(t.stderr.contains("zstd stream truncated at compressed byte"), "\(t.stderr)")
            var flipped = valid
            flipped[valid.count - 2] ^= 0xFF  // the frame checksum
            let bad = dir.appendingPathComponent("bad.tar.zst").path
            try TS.write(flipped, to: bad)
            let c = try TS.imgtool(["inspect", bad])
            #expect(c.status == 3, "\(c.stderr)")
            #expect(c.stderr.contains("zstd stream corrupt at compressed byte"), "\(c.stderr)")
            let long = dir.appendingPathComponent("long.tar.zst").path
            let z = try TS.run(
                "/bin/sh", ["-c", "zstd -q -1 --long=28 -c < \"$1\" > \"$2\"", "sh", TS.fixture("skopeo-docker-archive.tar"), long])
            try #require(z.status == 0)
            let w = try TS.imgtool(["verify", long])
            #expect(w.status == 5, "\(w.stderr)")
            #expect(w.stderr.contains("needs a 256 MiB window; imgtool decodes windows of at most 128 MiB"), "\(w.stderr)")
            // A zstd stream that holds no tar is not an image archive (4), not a truncated one.
            let notTar = dir.appendingPathComponent("text.zst").path
            let n = try TS.run("/bin/sh", ["-c", "echo hello | zstd -q -c > \"$1\"", "sh", notTar])
            try #require(n.status == 0)
            let nt = try TS.imgtool(["inspect", notTar])
            #expect(nt.status == 4, "\(nt.stderr)")
            #expect(nt.stderr.contains("zstd-compressed data that is not a tar archive"), "\(nt.stderr)")
            // pack says the same, for zstd and for gzip.
            let gz = dir.appendingPathComponent("text.gz").path
            try #require(try TS.run("/bin/sh", ["-c", "echo hello | gzip -c > \"$1\"", "sh", gz]).status == 0)
            for (input, format) in [(notTar, "zstd"), (gz, "gzip")] {
                let p = try TS.imgtool(["pack", "-o", dir.appendingPathComponent("never.tar.gz").path, input])
                #expect(p.status == 4, "\(p.stderr)")
                #expect(p.stderr.contains("\(format)-compressed data that is not a tar archive (6 bytes"), "\(p.stderr)")
            }
        }
    }
}
