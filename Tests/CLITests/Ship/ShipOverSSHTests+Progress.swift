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
    }
}
