import Foundation
import TestSupport
import Testing

extension ShipOverSSHTests {
    /// `--load` runs `docker load` on the arrived file, `--then` runs a command after it, and a failed
    /// load is reported with the archive left in place.
    @Suite struct Load {
        @Test func loadRunsDockerLoadOnTheArrivedFileAndThenReportsItsStatus() throws {
            let server = try SSHTestServer()
            defer { server.stop() }
            let gz = TS.fixture("skopeo-docker-archive.tar.gz")
            let remote = server.remote("load")
            let r = try server.imgtool([
                "ship", "--json", "--no-verify", "--load", "--then", "echo started > then.txt; exit 3", gz, "ship:\(remote)",
            ])
            #expect(r.status == 9, "--then failed: \(r.stderr)")
            let d = try ShipOverSSHTests.summary(r).destinations[0]
            #expect(d.loaded == ["app:1.0"])
            #expect(d.then?.status == 3)
            // The archive arrived, but --then failed: not ok, for a CI job that checks `.ok`.
            #expect(!d.ok)
            #expect(d.error == "`echo started > then.txt; exit 3` exited with status 3", "\(d.error ?? "")")
            #expect(try String(contentsOfFile: remote + "/then.txt", encoding: .utf8) == "started\n")
            let log = try String(contentsOfFile: server.dockerLog, encoding: .utf8)
            let tarHex = try TS.python(
                "import gzip,hashlib,sys;print(hashlib.sha256(gzip.open(sys.argv[1]).read()).hexdigest())", [gz]
            ).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(log.contains("args: load\n"), "gzip is decompressed on the fly into docker load: \(log)")
            #expect(log.contains("stdin: \(tarHex)"), "docker load got the decompressed archive: \(log)")

            // A plain tar goes as `docker load -i`; text output names the image.
            let tar = TS.fixture("prisma-ok-debian-amd64.tar")
            let t = try server.imgtool(["ship", "--load", "--then", "true", tar, "ship:\(remote)"])
            #expect(t.status == 0, "\(t.stderr)")
            #expect(t.stdout.contains("loaded: app:1.0"))
            #expect(t.stdout.contains("then: `true` exited with status 0"))
            let log2 = try String(contentsOfFile: server.dockerLog, encoding: .utf8)
            #expect(log2.contains("args: load -i prisma-ok-debian-amd64.tar"))
            #expect(log2.contains("stdin: \(try ShipOverSSHTests.sha256(tar))"))

            // No daemon: the target check stops the ship before anything is sent.
            try "".write(toFile: server.dockerFailMarker, atomically: true, encoding: .utf8)
            let refused = try server.imgtool(["ship", "--load", tar, "ship:\(server.remote("load-refused"))"])
            #expect(refused.status == 1, "\(refused.stderr)")
            #expect(refused.stdout.contains("Cannot connect to the Docker daemon"), "\(refused.stdout)")
            #expect(!ShipOverSSHTests.exists(server.remote("load-refused")))
            // Without the check, docker load fails after arrival: the archive is there and said
            // so, --then does not run.
            let other = server.remote("load-fails")
            let f = try server.imgtool(["ship", "--no-target-check", "--load", "--then", "touch then-ran", tar, "ship:\(other)"])
            #expect(f.status == 9, "\(f.stderr)")
            #expect(f.stdout.hasPrefix("verify: all 3 checks passed\nship: target check skipped (--no-target-check)\n"), "\(f.stdout)")
            let fj = try server.imgtool(["ship", "--json", "--no-target-check", "--load", tar, "ship:\(server.remote("load-fails-json"))"])
            #expect(fj.status == 9, "\(fj.stderr)")
            let fd = try ShipOverSSHTests.summary(fj).destinations[0]
            #expect(!fd.ok && fd.error == "`docker load` exited with status 1: Cannot connect to the Docker daemon", "\(fj.stdout)")
            #expect(f.stdout.contains("shipped \(other)/prisma-ok-debian-amd64.tar"))
            #expect(f.stdout.contains("load: `docker load` exited with status 1"))
            #expect(f.stderr.contains("Cannot connect to the Docker daemon"))
            #expect(f.stderr.contains("Error: ship:\(other): `docker load` exited with status 1: Cannot connect to the Docker daemon"))
            #expect(!ShipOverSSHTests.exists(other + "/then-ran"))
            #expect(try TS.bytes(other + "/prisma-ok-debian-amd64.tar") == TS.bytes(tar))
        }

        /// A zstd archive, recognised by its magic bytes: through `zstd -dc` on a server that has
        /// zstd, whatever its docker (the real Docker 20.10 is in ShipOverSSHTests+RealDocker).
        @Test func loadOfAZstdArchive() throws {
            let server = try SSHTestServer()
            defer { server.stop() }
            // pack --zstd, then ship it with its checks.
            let dir = try TS.TempDir()
            defer { dir.cleanup() }
            let zst = dir.path("app.tar.zst")
            let p = try TS.imgtool(["pack", "--zstd", "-o", zst, TS.fixture("prisma-ok-debian-amd64.tar")])
            try #require(p.status == 0, "\(p.stderr)")
            let tarHex = try ShipOverSSHTests.sha256(TS.fixture("prisma-ok-debian-amd64.tar"))
            let old = server.remote("zstd-old")
            let r = try server.imgtool(["ship", "--json", "--load", "--arch", "amd64", zst, "ship:\(old)"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(try ShipOverSSHTests.summary(r).destinations[0].loaded == ["app:1.0"])
            let log = try String(contentsOfFile: server.dockerLog, encoding: .utf8)
            #expect(log.contains("args: load\nstdin: \(tarHex)"), "zstd -dc into docker load: \(log)")
            try "24.0.7\n".write(toFile: server.dockerVersionFile, atomically: true, encoding: .utf8)
            let new = server.remote("zstd-new")
            let n = try server.imgtool(["ship", "--load", "--arch", "amd64", zst, "ship:\(new)"])
            #expect(n.status == 0, "\(n.stderr)")
            let log2 = try String(contentsOfFile: server.dockerLog, encoding: .utf8)
            #expect(log2.components(separatedBy: "args: load\nstdin: \(tarHex)").count == 3, "zstd -dc again: \(log2)")
        }
    }
}
