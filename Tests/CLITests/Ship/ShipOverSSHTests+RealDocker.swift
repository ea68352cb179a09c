import Foundation
import TestSupport
import Testing

extension ShipOverSSHTests {
    /// The deploy path against a real Docker daemon (``DockerTestDaemon``, Debian's 20.10) behind
    /// the loopback sshd: images built by that daemon, `docker save`, `imgtool pack`, `imgtool
    /// ship --load --then 'docker run …'`, each asserting what the daemon reports.
    @Suite(.enabled(if: DockerTestDaemon.available, Comment(rawValue: DockerTestDaemon.missing)))
    struct RealDocker {
        /// A build context: a layer of system files (a static busybox, /etc/os-release, libssl)
        /// and an app layer, a Prisma-like tree (the engine for debian-openssl-3.0.x, a real
        /// x86-64 shared object renamed) whose `version.txt` says `version`. For arm64, the
        /// busybox's ELF header says aarch64 (e_machine patched: it is never run) and there is no
        /// Prisma tree.
        static func context(_ dir: TS.TempDir, version: String, platform: String = "linux/amd64", padding: Int = 0) throws -> String {
            let ctx = dir.path("ctx-\(version)-\(platform.replacingOccurrences(of: "/", with: "-"))")
            let fm = FileManager.default
            let arm = platform != "linux/amd64"
            for d in ["rootfs/bin", "rootfs/etc", "rootfs/usr/lib/x86_64-linux-gnu", "app"] {
                try fm.createDirectory(atPath: ctx + "/" + d, withIntermediateDirectories: true)
            }
            var busybox = try TS.bytes("/bin/busybox")
            if arm {
                busybox[18] = 0xB7  // EM_AARCH64
                busybox[19] = 0
            }
            try Data(busybox).write(to: URL(fileURLWithPath: ctx + "/rootfs/bin/busybox"))
            try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: ctx + "/rootfs/bin/busybox")
            try fm.copyItem(atPath: "/usr/lib/os-release", toPath: ctx + "/rootfs/etc/os-release")
            try "maia \(version)\n".write(toFile: ctx + "/app/version.txt", atomically: true, encoding: .utf8)
            if !arm {
                try fm.copyItem(
                    atPath: "/usr/lib/x86_64-linux-gnu/libssl.so.3", toPath: ctx + "/rootfs/usr/lib/x86_64-linux-gnu/libssl.so.3")
                let prisma = ctx + "/app/node_modules/.prisma/client"
                try fm.createDirectory(atPath: prisma, withIntermediateDirectories: true)
                try fm.createDirectory(atPath: ctx + "/app/node_modules/@prisma/client", withIntermediateDirectories: true)
                // libz.so.1 is a symlink: the file it names.
                let libz = URL(fileURLWithPath: "/usr/lib/x86_64-linux-gnu/libz.so.1").resolvingSymlinksInPath().path
                try fm.copyItem(atPath: libz, toPath: prisma + "/libquery_engine-debian-openssl-3.0.x.so.node")
                try "generator client {\n  provider = \"prisma-client-js\"\n}\n".write(
                    toFile: prisma + "/schema.prisma", atomically: true, encoding: .utf8)
                try #"{"name":"@prisma/client","version":"5.22.0"}"#.write(
                    toFile: ctx + "/app/node_modules/@prisma/client/package.json", atomically: true, encoding: .utf8)
            }
            if padding > 0 {
                let r = try TS.run("/bin/sh", ["-c", "head -c \(padding) /dev/urandom > \"$0\"", ctx + "/app/padding.bin"])
                try #require(r.status == 0)
            }
            let dockerfile = """
                FROM scratch
                COPY rootfs /
                COPY app /app
                WORKDIR /app
                ENV PATH=/bin
                CMD ["/bin/busybox", "cat", "/app/version.txt"]
                """
            try dockerfile.write(toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
            return ctx
        }

        /// A daemon, the sshd whose remote docker is that daemon, and a scratch directory.
        static func start() throws -> (DockerTestDaemon, SSHTestServer, TS.TempDir) {
            let docker = try DockerTestDaemon()
            do {
                return (docker, try SSHTestServer(docker: docker), try TS.TempDir())
            } catch {
                docker.stop()
                throw error
            }
        }

        static func stop(_ docker: DockerTestDaemon, _ server: SSHTestServer, _ dir: TS.TempDir) {
            dir.cleanup()
            server.stop()
            docker.stop()
        }

        /// `docker build` then `docker save` of `tag`, into `dir/name`.
        static func buildAndSave(
            _ docker: DockerTestDaemon, _ dir: TS.TempDir, tag: String, version: String, name: String,
            platform: String = "linux/amd64", padding: Int = 0
        ) throws -> String {
            let ctx = try context(dir, version: version, platform: platform, padding: padding)
            let b = try docker.docker(["build", "-q", "--platform", platform, "-t", tag, ctx])
            try #require(b.status == 0, "docker build: \(b.stderr)")
            let out = dir.path(name)
            let s = try docker.docker(["save", "-o", out, tag])
            try #require(s.status == 0, "docker save: \(s.stderr)")
            return out
        }

        /// The README's deploy loop, twice: version 1 shipped whole and run; version 2, with one
        /// changed file, shipped as a delta and run.
        @Test(.timeLimit(.minutes(5))) func deployLoopLoadsAndRunsEachVersion() throws {
            let (docker, server, dir) = try Self.start()
            defer { Self.stop(docker, server, dir) }
            let remote = server.remote("maia")
            var sentSizes: [Int64] = []
            for version in ["v1", "v2"] {
                let saved = try Self.buildAndSave(docker, dir, tag: "maia:\(version)", version: version, name: "maia-\(version).tar")
                // The remote side loads it into the same daemon: untag it here first (another tag
                // keeps its layers, the build cache of version 2, as on a real build machine).
                try #require(try docker.docker(["tag", "maia:\(version)", "build-cache:\(version)"]).status == 0)
                try #require(try docker.docker(["rmi", "maia:\(version)"]).status == 0)
                let packed = dir.path("maia-\(version).tar.gz")
                let p = try TS.imgtool(["pack", "-o", packed, saved])
                try #require(p.status == 0, "pack: \(p.stderr)")
                let r = try server.imgtool([
                    "ship", "--json", "--load", "--then", "docker run --rm --network none maia:\(version)", packed, "ship:\(remote)",
                ])
                #expect(r.status == 0, "ship \(version): \(r.stderr)")
                let d = try ShipOverSSHTests.summary(r).destinations[0]
                #expect(d.ok && d.loaded == ["maia:\(version)"], "\(r.stdout)")
                // The container's own output, relayed on stderr.
                #expect(r.stderr.contains("maia \(version)"), "docker run output: \(r.stderr)")
                let inspect = try docker.docker([
                    "image", "inspect", "--format", "{{.Architecture}} {{.Config.WorkingDir}}", "maia:\(version)",
                ])
                #expect(
                    inspect.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "amd64 /app", "\(inspect.stdout) \(inspect.stderr)")
                let run = try docker.docker(["run", "--rm", "--network", "none", "maia:\(version)"])
                #expect(run.stdout == "maia \(version)\n", "\(run.stdout) \(run.stderr)")
                sentSizes.append(d.bytesSent ?? -1)
                #expect(d.chunksSkipped.map { version == "v1" ? $0 == 0 : $0 > 0 } ?? false, "\(r.stdout)")
            }
            // Version 2 changed one small file: the busybox layer and the rest stay on the server.
            let v2Size = try ShipOverSSHTests.fileSize(dir.path("maia-v2.tar.gz"))
            #expect(sentSizes[1] > 0 && sentSizes[1] * 4 < v2Size, "delta \(sentSizes[1]) of \(v2Size) bytes")
        }

        /// An arm64 image to this amd64 server is refused before sending: exit 1, the fix, nothing
        /// on the wire beyond the probe, nothing on the remote.
        @Test(.timeLimit(.minutes(5))) func arm64ImageIsRefusedBeforeSending() throws {
            let (docker, server, dir) = try Self.start()
            defer { Self.stop(docker, server, dir) }
            let saved = try Self.buildAndSave(
                docker, dir, tag: "maia:arm", version: "arm", name: "maia-arm.tar", platform: "linux/arm64", padding: 400_000)
            let proxy = try TCPProxy(to: server.port, countFile: dir.path("count"))
            defer { proxy.stop() }
            let remote = server.remote("arm")
            let r = try server.imgtool(
                ["ship", "--load", "--no-prisma", saved, "ship:\(remote)"], ssh: server.sshCommand + " -p \(proxy.port)")
            #expect(r.status == 1, "\(r.stdout)\n\(r.stderr)")
            #expect(r.stdout.contains("FAIL  target-platform"), "\(r.stdout)")
            #expect(r.stdout.contains("linux/arm64, which cannot run there"), "\(r.stdout)")
            #expect(r.stdout.contains("fix: rebuild it for the server: docker buildx build"), "\(r.stdout)")
            #expect(r.stderr.contains("not shipped: the target check target-platform failed"), "\(r.stderr)")
            #expect(!ShipOverSSHTests.exists(remote), "nothing created on the remote")
            let size = try ShipOverSSHTests.fileSize(saved)
            #expect(proxy.bytesUp > 0 && proxy.bytesUp < 64_000 && size > 400_000, "\(proxy.bytesUp) bytes up for a \(size)-byte archive")
            let j = try server.imgtool(["ship", "--json", "--load", "--no-prisma", saved, "ship:\(remote)"])
            #expect(j.status == 1, "\(j.stderr)")
            let platform = try ShipOverSSHTests.targetChecks(j).first { $0.id == "target-platform" }
            #expect(platform?.status == "failed", "\(j.stdout)")
            #expect(platform?.fix?.contains("docker buildx build --platform linux/amd64") == true, "\(j.stdout)")
            // --allow-emulation: still refused where no binfmt_misc emulator for arm64 is registered.
            let emulated = FileManager.default.fileExists(atPath: "/proc/sys/fs/binfmt_misc/qemu-aarch64")
            let e = try server.imgtool(["ship", "--no-prisma", "--allow-emulation", saved, "ship:\(remote)"])
            #expect(e.status == (emulated ? 0 : 1), "\(e.stdout)\n\(e.stderr)")
        }

        /// `docker save | zstd` to Docker 20.10: the daemon cannot load it (checked), so a server
        /// without zstd is refused before sending with the fix; one with zstd gets it through
        /// `zstd -dc`, and the image runs.
        @Test(.timeLimit(.minutes(5))) func zstdArchiveToDocker20() throws {
            let (docker, server, dir) = try Self.start()
            defer { Self.stop(docker, server, dir) }
            let saved = try Self.buildAndSave(docker, dir, tag: "maia:zst", version: "zst", name: "maia-zst.tar")
            let zst = dir.path("maia-zst.tar.zst")
            try #require(try TS.run("/bin/sh", ["-c", "zstd -q -c \"$0\" > \"$1\"", saved, zst]).status == 0)
            try #require(try docker.docker(["rmi", "maia:zst"]).status == 0)
            // The real daemon cannot read it.
            let direct = try docker.docker(["load", "-i", zst])
            #expect(direct.status != 0 && direct.stderr.contains("invalid tar header"), "\(direct.stdout) \(direct.stderr)")

            let refused = try server.imgtool(["ship", "--json", "--load", zst, "nozstd:\(server.remote("nozstd"))"])
            #expect(refused.status == 1, "\(refused.stderr)")
            let d = try ShipOverSSHTests.summary(refused).destinations[0]
            #expect(!d.ok && (d.error ?? "").contains("target-load-compression"), "\(d.error ?? "")")
            #expect(refused.stdout.contains("imgtool pack --format gzip"), "\(refused.stdout)")
            #expect(!ShipOverSSHTests.exists(server.remote("nozstd")))

            let ok = try server.imgtool([
                "ship", "--load", "--then", "docker run --rm --network none maia:zst", zst, "ship:\(server.remote("zst"))",
            ])
            #expect(ok.status == 0, "\(ok.stderr)")
            #expect(ok.stderr.contains("maia zst"), "\(ok.stderr)")
            #expect(try docker.docker(["image", "inspect", "maia:zst"]).status == 0)
        }

        /// The load rules of the target check agree with the real Docker 20.10: for each fixture,
        /// `docker load -i` succeeds exactly when `verify --target docker-20.10` passes every
        /// `target-load-*` check (a plain `docker load -i`: the preset has no zstd, as a server
        /// without it).
        @Test(.timeLimit(.minutes(5))) func loadRulesAgreeWithTheRealDaemon() throws {
            let docker = try DockerTestDaemon()
            defer { docker.stop() }
            let fixtures = [
                "skopeo-docker-archive.tar", "skopeo-docker-archive.tar.zst", "oci-archive.tar", "oci-multiarch.tar",
                "containerd-export.tar", "docker-oci.tar", "zstd/containerd-export-zstd.tar", "zstd/oci-zstd.tar",
                "docker/two-images.tar",
            ]
            for name in fixtures {
                let loaded = try docker.docker(["load", "-i", TS.fixture(name)])
                let v = try TS.imgtool(["verify", "--json", "--no-prisma", "--target", "docker-20.10", TS.fixture(name)])
                let images = try #require(try VerifyCLITests.json(v)["images"] as? [[String: Any]], "\(name): \(v.stderr)")
                let failed = images.flatMap(VerifyCLITests.checks).filter {
                    ($0["id"] as? String)?.hasPrefix("target-load") == true && $0["status"] as? String == "failed"
                }
                #expect(
                    (loaded.status == 0) == failed.isEmpty, "\(name): docker load \(loaded.status): \(loaded.stderr); failed: \(failed)")
                // Each from an empty store: a layer the daemon holds already is not read again
                // (containerd-export.tar's gzip layers would let the zstd export's load pass).
                try docker.docker(["image", "prune", "-af"])
            }
        }

        /// A daemon that is down, a server without docker, a `--then` command that does not exist:
        /// refused before sending with the server's own words; with `--no-target-check` the
        /// archive arrives and the failure is the remote's (exit 9), the summary complete.
        @Test(.timeLimit(.minutes(5))) func missingDockerDownDaemonAndMissingCommand() throws {
            let docker = try DockerTestDaemon()
            defer { docker.stop() }
            let server = try SSHTestServer(docker: docker)
            defer { server.stop() }
            let tar = TS.fixture("prisma-ok-debian-amd64.tar")

            let down = try server.imgtool(["ship", "--json", "--load", tar, "dockerdown:\(server.remote("down"))"])
            #expect(down.status == 1, "\(down.stderr)")
            let dd = try ShipOverSSHTests.summary(down).destinations[0]
            #expect(!dd.ok && (dd.error ?? "").contains("target-engine"), "\(dd.error ?? "")")
            #expect(down.stdout.contains("Cannot connect to the Docker daemon"), "\(down.stdout)")

            let none = try server.imgtool(["ship", "--load", tar, "nodocker:\(server.remote("none"))"])
            #expect(none.status == 1, "\(none.stderr)")
            #expect(none.stdout.contains("has no docker or podman command"), "\(none.stdout)")
            #expect(!ShipOverSSHTests.exists(server.remote("none")))

            let missing = try server.imgtool(["ship", "--then", "imgtool-no-such-command --up", tar, "ship:\(server.remote("then"))"])
            #expect(missing.status == 1, "\(missing.stderr)")
            #expect(missing.stdout.contains("FAIL  target-commands"), "\(missing.stdout)")
            #expect(missing.stdout.contains("`imgtool-no-such-command`"), "\(missing.stdout)")

            // Without the check: the archive arrives, then the remote's failure, exit 9.
            let remote = server.remote("unchecked")
            let u = try server.imgtool(["ship", "--json", "--no-target-check", "--load", tar, "nodocker:\(remote)"])
            #expect(u.status == 9, "\(u.stderr)")
            let ud = try ShipOverSSHTests.summary(u).destinations[0]
            #expect(!ud.ok && ud.sha256 != nil && ud.remotePath == remote + "/prisma-ok-debian-amd64.tar", "\(u.stdout)")
            #expect((ud.error ?? "").contains("was not found on the server (exit status 127)"), "\(ud.error ?? "")")
            #expect(u.stderr.contains("neither docker nor podman is on the PATH"), "\(u.stderr)")
            #expect(!u.stderr.contains("OpenSSH client"), "\(u.stderr)")
            #expect(try TS.bytes(remote + "/prisma-ok-debian-amd64.tar") == TS.bytes(tar))
            let t = try server.imgtool(["ship", "--no-target-check", "--then", "imgtool-no-such-command", tar, "ship:\(remote)"])
            #expect(t.status == 9, "\(t.stderr)")
            #expect(t.stderr.contains("`imgtool-no-such-command` was not found on the server (exit status 127)"), "\(t.stderr)")
            let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: remote + "/.imgtool")) ?? []
            #expect(!leftovers.contains { $0.hasPrefix(".part") }, "\(leftovers)")
        }
    }

    struct TargetCheck: Decodable {
        var id: String
        var status: String
        var message: String
        var fix: String?
    }

    /// The `targetChecks` of the first destination of a `ship --json` summary.
    static func targetChecks(_ r: TS.ProcessResult) throws -> [TargetCheck] {
        struct Doc: Decodable {
            struct D: Decodable { var targetChecks: [TargetCheck]? }
            var destinations: [D]
        }
        return try JSONDecoder().decode(Doc.self, from: r.stdoutData).destinations.first?.targetChecks ?? []
    }

    static func fileSize(_ path: String) throws -> Int64 {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? -1
    }
}
