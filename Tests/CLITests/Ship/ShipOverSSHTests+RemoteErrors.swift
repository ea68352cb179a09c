import Foundation
import TestSupport
import Testing

extension ShipOverSSHTests {
    /// Remote failures give clear errors and publish nothing: a full disk, no inodes, a read-only
    /// directory, and every kind of connection or setup problem, each with what to do.
    @Suite struct RemoteErrors {
        @Test(.enabled(if: getuid() == 0, "needs root: it mounts small tmpfs filesystems (no space, no inodes, read-only)"))
        func aFullRemoteDiskIsReportedAndNothingIsPublished() throws {
            let server = try SSHTestServer()
            defer { server.stop() }
            let local = try TS.TempDir()
            defer { local.cleanup() }
            let archive = try ShipOverSSHTests.randomFile(local, "app.tar", size: 4 << 20)
            // A 2 MiB filesystem: the target check refuses before sending (exit 1).
            let small = server.remote("small")
            // Plenty of bytes but only a few inodes: writes fail with ENOSPC mid-transfer.
            let inodes = server.remote("inodes")
            // Read-only: the directory cannot be written.
            let readonly = server.remote("readonly")
            for (dir, options) in [(small, "size=2m"), (inodes, "size=64m,nr_inodes=6"), (readonly, "size=1m,ro")] {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                let m = try TS.tool("mount", ["-t", "tmpfs", "-o", options, "imgtool-test", dir])
                try #require(m.status == 0, "cannot mount a small tmpfs for this test (needs root): \(m.stderr)")
            }
            defer { for dir in [small, inodes, readonly] { _ = try? TS.tool("umount", [dir]) } }

            let full = try server.imgtool(["ship", "--no-verify", archive, "ship:\(small)"])
            #expect(full.status == 1, "\(full.stderr)")
            #expect(full.stdout.contains("FAIL  target-disk") && full.stdout.contains("not enough space for the archive"), "\(full.stdout)")
            #expect(full.stderr.contains("ship: not shipped: the target check target-disk failed"), "\(full.stderr)")
            #expect(!ShipOverSSHTests.exists(small + "/app.tar") && !ShipOverSSHTests.exists(small + "/.imgtool"))

            let midway = try server.imgtool(["ship", "--no-verify", "--chunk-size", "256K", archive, "ship:\(inodes)"])
            #expect(midway.status == 8, "\(midway.stderr)")
            #expect(midway.stderr.contains("no space left"), "\(midway.stderr)")
            #expect(!ShipOverSSHTests.exists(inodes + "/app.tar"))

            let ro = try server.imgtool(["ship", "--json", "--no-verify", archive, "ship:\(readonly)/sub"])
            #expect(ro.status == 1, "\(ro.stderr)")
            let roDisk = try ShipOverSSHTests.targetChecks(ro).first { $0.id == "target-disk" }
            #expect(
                roDisk?.status == "failed" && roDisk?.message.contains("\(readonly) is not writable by the ssh user") == true,
                "\(ro.stdout)")
            // Without the target check, the remote's own refusal, which no retry fixes.
            let ro2 = try server.imgtool(["ship", "--no-verify", "--no-target-check", archive, "ship:\(readonly)/sub"])
            #expect(ro2.status == 8, "\(ro2.stderr)")
            #expect(ro2.stderr.contains("permission denied") && !ro2.stderr.contains("run the same command again"), "\(ro2.stderr)")
        }

        @Test func connectionAndRemoteSetupErrorsSayWhatToDo() throws {
            let server = try SSHTestServer()
            defer { server.stop() }
            let archive = TS.fixture("prisma-ok-debian-amd64.tar")
            let file = server.remote("a-file")
            try "x".write(toFile: file, atomically: true, encoding: .utf8)
            // A port nobody listens on: the server's second port, briefly bound and closed by python.
            let closed = try TS.python("import socket\ns=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            // The ssh command to try by hand: the configured one (with its -F), as the user runs it.
            // A destination that cannot be a directory: the target check (exit 1, on stdout).
            let notDir = try server.imgtool(["ship", archive, "ship:\(file)"])
            #expect(notDir.status == 1, "\(notDir.stderr)")
            #expect(notDir.stdout.contains("the destination exists and is not a directory"), "\(notDir.stdout)")
            // A directory that cannot be created: the target check, or the remote's mkdir without it.
            let proc = try server.imgtool(["ship", "--json", archive, "ship:/proc/imgtool-test/app"])
            let procDisk = try ShipOverSSHTests.targetChecks(proc).first { $0.id == "target-disk" }
            #expect(
                proc.status == 1 && procDisk?.message.contains("is on a filesystem that stores no files (such as /proc)") == true,
                "\(proc.stdout)")
            let mkdir = try server.imgtool(["ship", "--no-target-check", archive, "ship:/proc/imgtool-test/app"])
            #expect(
                mkdir.status == 8 && mkdir.stderr.contains("ship:/proc/imgtool-test/app: cannot create the directory"), "\(mkdir.stderr)")
            #expect(!mkdir.stderr.contains("run the same command again"), "\(mkdir.stderr)")
            let cases: [(String, String, String?)] = [
                ("nosha:\(server.remote("nosha"))", "no SHA-256 tool", nil),
                ("127.0.0.1:\(closed):\(server.remote("x"))", "cannot connect", "(try `\(server.sshCommand) -p \(closed) 127.0.0.1 true`)"),
                ("wrongkey:\(server.remote("x"))", "authentication failed", "(try `\(server.sshCommand) wrongkey true`)"),
                ("wronghost:\(server.remote("x"))", "host key check failed", "connect once with `\(server.sshCommand) wronghost`"),
            ]
            for (destination, message, hint) in cases {
                let started = Date()
                let r = try server.imgtool(["ship", archive, destination])
                #expect(r.status == 8, "\(destination): \(r.stderr)")
                #expect(r.stderr.contains(message), "\(destination): \(r.stderr)")
                if let hint { #expect(r.stderr.contains(hint), "\(destination): \(r.stderr)") }
                #expect(r.stderr.split(separator: "\n").count == 1 && !r.stderr.contains("\r"), "one line: \(r.stderr)")
                #expect(r.stdout.contains("verify: all"), "the checks ran first")
                #expect(Date().timeIntervalSince(started) < 30, "never hangs on a prompt")
                // None of these is fixed by running the command again.
                #expect(!r.stderr.contains("run the same command again"), "\(destination): \(r.stderr)")
            }
            #expect(!ShipOverSSHTests.exists(server.remote("x")))
            // An ssh command that does not exist is not a network problem.
            let missing = try server.imgtool(["ship", archive, "ship:\(server.remote("x"))"], ssh: "imgtool-no-such-ssh -F x")
            #expect(missing.status == 8)
            #expect(
                missing.stderr.contains(
                    "ship: cannot run the ssh command `imgtool-no-such-ssh -F x`: `imgtool-no-such-ssh` is not on the PATH"),
                "\(missing.stderr)")
            #expect(!missing.stderr.contains("run the same command again"))
            let path = try server.imgtool(["ship", archive, "ship:\(server.remote("x"))"], ssh: "/nonexistent/ssh")
            #expect(path.status == 8)
            #expect(
                path.stderr
                    == "Error: ship: cannot run the ssh command `/nonexistent/ssh`: /nonexistent/ssh: no such file; install the OpenSSH client, or fix --ssh / IMGTOOL_SSH\n",
                "\(path.stderr)")
        }
    }
}
