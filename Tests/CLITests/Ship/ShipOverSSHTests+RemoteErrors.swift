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
            // A 2 MiB filesystem: the space check refuses before sending.
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
            #expect(full.status == 8, "\(full.stderr)")
            #expect(full.stderr.contains("ship:\(small): no space left"), "\(full.stderr)")
            #expect(!ShipOverSSHTests.exists(small + "/app.tar"))

            let midway = try server.imgtool(["ship", "--no-verify", "--chunk-size", "256K", archive, "ship:\(inodes)"])
            #expect(midway.status == 8, "\(midway.stderr)")
            #expect(midway.stderr.contains("no space left"), "\(midway.stderr)")
            #expect(!ShipOverSSHTests.exists(inodes + "/app.tar"))

            let ro = try server.imgtool(["ship", "--no-verify", archive, "ship:\(readonly)/sub"])
            #expect(ro.status == 8, "\(ro.stderr)")
            #expect(ro.stderr.contains("permission denied"), "\(ro.stderr)")
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
            let cases: [(String, String, String?)] = [
                ("ship:\(file)", "exists and is not a directory", nil),
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
            }
            #expect(!ShipOverSSHTests.exists(server.remote("x")))
            // An ssh command that does not exist is not a network problem.
            let missing = try server.imgtool(["ship", archive, "ship:\(server.remote("x"))"], ssh: "imgtool-no-such-ssh -F x")
            #expect(missing.status == 8)
            #expect(missing.stderr.contains("cannot run the ssh command `imgtool-no-such-ssh -F x`"), "\(missing.stderr)")
            #expect(!missing.stderr.contains("run the same command again"))
        }
    }
}
