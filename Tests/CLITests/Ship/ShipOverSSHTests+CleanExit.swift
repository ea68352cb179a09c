import Foundation
import TestSupport
import Testing

extension ShipOverSSHTests {
    /// Whatever way ship ends, nothing of it is left behind: no ssh process it started (the
    /// connection master, any command), no private directory in /tmp.
    @Suite struct CleanExit {
        /// Whether a private directory or control socket named `imgtool-PID-…` is of interest:
        /// that of `pid` when given, else that of any imgtool that has ended. Other suites run
        /// their own imgtool at the same time, whose directories and ssh are theirs while it runs.
        static func counts(_ owner: pid_t, _ pid: pid_t?) -> Bool { pid.map { $0 == owner } ?? (kill(owner, 0) != 0) }

        /// ship's private directories in /tmp (`imgtool-PID-ID`), as ``counts(_:_:)`` says.
        static func directories(of pid: pid_t? = nil) -> Set<String> {
            Set(
                ((try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []).filter { name in
                    guard name.range(of: #"^imgtool-\d+-[0-9a-f]+$"#, options: .regularExpression) != nil,
                        let owner = pid_t(name.split(separator: "-")[1])
                    else { return false }
                    return counts(owner, pid)
                })
        }

        /// The processes whose command line names a ship control socket, as ``counts(_:_:)`` says.
        static func sshProcesses(of pid: pid_t? = nil) -> [String] {
            var found: [String] = []
            for proc in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int(proc) != nil {
                guard let data = FileManager.default.contents(atPath: "/proc/\(proc)/cmdline") else { continue }
                let line = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
                guard let r = line.range(of: #"ControlPath=/tmp/imgtool-\d+-"#, options: .regularExpression),
                    let owner = pid_t(line[r].dropFirst("ControlPath=/tmp/imgtool-".count).dropLast())
                else { continue }
                if counts(owner, pid) { found.append("\(proc): \(line)") }
            }
            return found
        }

        /// Waits up to two seconds for ship's processes to be gone (the master exits on `-O exit`).
        /// `before` and `running` are what was there before the test (a master of a killed ship of
        /// another test lives on for its ControlPersist minute; SIGKILL leaves its directory).
        static func settled(before: Set<String>, running: Set<String> = [], pid: pid_t? = nil) -> (
            dirs: Set<String>, processes: [String]
        ) {
            let deadline = Date().addingTimeInterval(2)
            func processes() -> [String] { sshProcesses(of: pid).filter { !running.contains($0) } }
            while Date() < deadline, !processes().isEmpty || !directories(of: pid).subtracting(before).isEmpty {
                usleep(50_000)
            }
            return (directories(of: pid).subtracting(before), processes())
        }

        @Test func afterSuccessAndFailure() throws {
            let server = try SSHTestServer()
            defer { server.stop() }
            let before = Self.directories()
            let running = Set(Self.sshProcesses())
            let ok = try server.imgtool(["ship", TS.fixture("prisma-ok-debian-amd64.tar"), "ship:\(server.remote("ok"))"])
            #expect(ok.status == 0, "\(ok.stderr)")
            var left = Self.settled(before: before, running: running)
            #expect(left.dirs.isEmpty && left.processes.isEmpty, "after success: \(left)")
            let refused = try server.imgtool(["ship", "--arch", "arm64", TS.fixture("prisma-arm64.tar.gz"), "ship:\(server.remote("arm"))"])
            #expect(refused.status == 1, "\(refused.stderr)")
            left = Self.settled(before: before, running: running)
            #expect(left.dirs.isEmpty && left.processes.isEmpty, "after a target check failed: \(left)")
            let unreachable = try server.imgtool(["ship", TS.fixture("prisma-ok-debian-amd64.tar"), "wrongkey:\(server.remote("x"))"])
            #expect(unreachable.status == 8, "\(unreachable.stderr)")
            left = Self.settled(before: before, running: running)
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
                #expect(!Self.sshProcesses(of: p.processIdentifier).isEmpty, "ssh runs while shipping")
                kill(p.processIdentifier, sig)
                p.waitUntilExit()
                #expect(p.terminationReason == .uncaughtSignal && p.terminationStatus == sig, "signal \(name): \(p.terminationStatus)")
                let left = Self.settled(before: before, pid: p.processIdentifier)
                #expect(left.dirs.isEmpty && left.processes.isEmpty, "after signal \(name): \(left)")
                let err = (try? String(contentsOfFile: local.path("err-\(name)"), encoding: .utf8)) ?? ""
                #expect(err.contains("the chunks that arrived stay on the remote"), "\(err)")
            }
        }
    }
}
