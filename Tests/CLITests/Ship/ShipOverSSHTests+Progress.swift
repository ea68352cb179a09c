import Foundation
import TestSupport
import Testing

extension ShipOverSSHTests {
    /// The progress line: on a terminal only.
    @Suite struct Progress {
        @Test func progressGoesToStderrOnlyOnATerminal() throws {
            let server = try SSHTestServer()
            defer { server.stop() }
            let local = try TS.TempDir()
            defer { local.cleanup() }
            let archive = try ShipOverSSHTests.randomFile(local, "app.tar", size: 6 << 20)
            let slow = try TCPProxy(to: server.port, rate: 3_000_000, countFile: local.path("count"))
            defer { slow.stop() }
            // `script` gives imgtool a terminal (stdin stays /dev/null, so BatchMode is still on).
            let command =
                "IMGTOOL_SSH='\(server.sshCommand)' '\(TS.imgtool)' ship --no-verify --chunk-size 1M '\(archive)' 127.0.0.1:\(slow.port):'\(server.remote("tty"))'"
            let tty = try TS.run("/usr/bin/script", ["-qec", command, "/dev/null"])
            #expect(tty.status == 0, "\(tty.stdout)")
            #expect(tty.stdout.contains("\r\u{1B}[Kship: "), "a progress line on the terminal")
            #expect(tty.stdout.contains("%)"), "with a percentage")
            #expect(tty.stdout.contains("/s"), "and a rate")
            let plain = try server.imgtool(["ship", "--no-verify", "--keep", "0", archive, "ship:\(server.remote("plain"))"])
            #expect(plain.status == 0)
            #expect(!plain.stderr.contains("\u{1B}[K") && !plain.stderr.contains("\r"), "no progress when stderr is not a terminal")
        }

        /// A link that takes nothing for longer than --stall-timeout: reported on stderr while it
        /// lasts and counted in the JSON; the ship goes on and completes once the link moves.
        @Test(.timeLimit(.minutes(2))) func aStallIsReported() throws {
            let server = try SSHTestServer()
            defer { server.stop() }
            let local = try TS.TempDir()
            defer { local.cleanup() }
            let archive = try ShipOverSSHTests.randomFile(local, "app.tar", size: 32 << 20)
            // Held still for 8 s after 2 MB: far more than the socket buffers take meanwhile.
            let held = try TCPProxy(to: server.port, pauseAfter: 2_000_000, pauseSeconds: 8, countFile: local.path("count"))
            defer { held.stop() }
            let r = try server.imgtool([
                "ship", "--json", "--no-verify", "--stall-timeout", "2", archive, "127.0.0.1:\(held.port):\(server.remote("stall"))",
            ])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.contains("imgtool: 127.0.0.1:\(held.port): no progress for 2 s; still trying"), "\(r.stderr)")
            struct Doc: Decodable {
                struct D: Decodable { var stalls: Int }
                var destinations: [D]
            }
            let stalls = try JSONDecoder().decode(Doc.self, from: r.stdoutData).destinations[0].stalls
            #expect(stalls == 1, "\(r.stdout)")
        }

        /// `--stall-timeout 0` watches nothing, and the ship goes as usual.
        @Test func noStallWatch() throws {
            let server = try SSHTestServer()
            defer { server.stop() }
            let tar = TS.fixture("prisma-ok-debian-amd64.tar")
            let remote = server.remote("nowatch")
            let r = try server.imgtool(["ship", "--stall-timeout", "0", tar, "ship:\(remote)"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(try TS.bytes(remote + "/prisma-ok-debian-amd64.tar") == TS.bytes(tar))
            let bad = try server.imgtool(["ship", "--stall-timeout", "-1", tar, "ship:\(remote)"])
            #expect(bad.status == 64, "\(bad.stderr)")
        }
    }
}
