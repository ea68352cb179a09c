import Foundation
import TestSupport
import Testing

extension ShipOverSSHTests {
    /// Whatever way ship ends, nothing of it is left behind: no ssh process it started (the
    /// connection master, any command), no private directory in /tmp.
    @Suite struct CleanExit {
        /// ship's private directories in /tmp (`imgtool-PID-ID`).
        static func directories() -> Set<String> {
            Set(
                ((try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []).filter {
                    $0.range(of: #"^imgtool-\d+-[0-9a-f]+$"#, options: .regularExpression) != nil
                })
        }

        /// The processes whose command line names one of ship's control sockets.
        static func sshProcesses() -> [String] {
            var found: [String] = []
            for pid in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int(pid) != nil {
                guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { continue }
                let line = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
                if line.contains("ControlPath=/tmp/imgtool-") { found.append("\(pid): \(line)") }
            }
            return found
        }

        /// Waits up to two seconds for ship's processes to be gone (the master exits on `-O exit`).
        static func settled(before: Set<String>) -> (dirs: Set<String>, processes: [String]) {
            let deadline = Date().addingTimeInterval(2)
            while Date() < deadline, !sshProcesses().isEmpty || !directories().subtracting(before).isEmpty { usleep(50_000) }
            return (directories().subtracting(before), sshProcesses())
        }

        @Test func afterSuccessAndFailure() throws {
            let server = try SSHTestServer()
            defer { server.stop() }
            let before = Self.directories()
            let ok = try server.imgtool(["ship", TS.fixture("prisma-ok-debian-amd64.tar"), "ship:\(server.remote("ok"))"])
            #expect(ok.status == 0, "\(ok.stderr)")
            var left = Self.settled(before: before)
            #expect(left.dirs.isEmpty && left.processes.isEmpty, "after success: \(left)")
            let refused = try server.imgtool(["ship", "--arch", "arm64", TS.fixture("prisma-arm64.tar.gz"), "ship:\(server.remote("arm"))"])
            #expect(refused.status == 1, "\(refused.stderr)")
            left = Self.settled(before: before)
            #expect(left.dirs.isEmpty && left.processes.isEmpty, "after a target check failed: \(left)")
            let unreachable = try server.imgtool(["ship", TS.fixture("prisma-ok-debian-amd64.tar"), "wrongkey:\(server.remote("x"))"])
            #expect(unreachable.status == 8, "\(unreachable.stderr)")
            left = Self.settled(before: before)
            #expect(left.dirs.isEmpty && left.processes.isEmpty, "after authentication failed: \(left)")
        }

        /// SIGINT, SIGTERM and SIGHUP in the middle of a transfer (a slow link).
        @Test(.timeLimit(.minutes(2))) func afterASignalMidTransfer() throws {
            let server = try SSHTestServer()
            defer { server.stop() }
            let local = try TS.TempDir()
            defer { local.cleanup() }
            let archive = try ShipOverSSHTests.randomFile(local, "app.tar", size: 12 << 20)
            let slow = try TCPProxy(to: server.port, rate: 1_000_000, countFile: local.path("count"))
            defer { slow.stop() }
            let before = Self.directories()
            for (sig, name) in [(SIGINT, "int"), (SIGTERM, "term"), (SIGHUP, "hup")] {
                let remote = server.remote("sig-\(name)")
                let p = try server.startImgtool(
                    ["ship", "--no-verify", "--chunk-size", "1M", archive, "127.0.0.1:\(slow.port):\(remote)"],
                    stderrPath: local.path("err-\(name)"))
                // Until chunks arrive: the transfer is under way.
                let deadline = Date().addingTimeInterval(30)
                while Date() < deadline, ShipOverSSHTests.chunkFiles(remote).isEmpty { usleep(50_000) }
                #expect(!ShipOverSSHTests.chunkFiles(remote).isEmpty, "signal \(name): the transfer started")
                #expect(!Self.sshProcesses().isEmpty, "ssh runs while shipping")
                kill(p.processIdentifier, sig)
                p.waitUntilExit()
                #expect(p.terminationReason == .uncaughtSignal && p.terminationStatus == sig, "signal \(name): \(p.terminationStatus)")
                let left = Self.settled(before: before)
                #expect(left.dirs.isEmpty && left.processes.isEmpty, "after signal \(name): \(left)")
                let err = (try? String(contentsOfFile: local.path("err-\(name)"), encoding: .utf8)) ?? ""
                #expect(err.contains("the chunks that arrived stay on the remote"), "\(err)")
            }
        }
    }
}
