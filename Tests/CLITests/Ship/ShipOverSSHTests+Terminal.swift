import Foundation
import TestSupport
import Testing

/// A detached tmux session of its own (its own server socket): a real terminal of a given size
/// for one command, read back with `capture-pane`.
struct TmuxTerminal {
    let socket: String
    static var available: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") }

    /// Starts `command` (a shell line) in a `columns` × `rows` terminal; the pane stays after it
    /// ends (`remain-on-exit`), so its last screen can be read.
    init(_ command: String, columns: Int, rows: Int = 40) throws {
        socket = "imgtool-test-\(UUID().uuidString.prefix(8))"
        // Through python, which closes every descriptor but the three before it runs tmux: the
        // tmux server stays, and must not hold the one by which Foundation's Process sees the
        // client end. The signals a test thread's child inherits blocked are unblocked too.
        let exec = TS.execDetached
        let r = try TS.run(
            "/usr/bin/env",
            [
                "python3", "-c", exec, "/usr/bin/tmux", "-L", socket, "-f", "/dev/null", "new-session", "-d", "-s", "t", "-x",
                String(columns), "-y", String(rows), command,
            ],
            environment: ProcessInfo.processInfo.environment.merging(["TERM": "xterm"]) { _, b in b })
        guard r.status == 0 else { throw SSHTestServer.Failure("tmux: \(r.stderr)") }
        _ = try TS.run("/usr/bin/tmux", ["-L", socket, "set-option", "-t", "t", "remain-on-exit", "on"])
    }

    /// The visible screen, one string a row (trailing blanks cut).
    func screen() throws -> [String] {
        try TS.run("/usr/bin/tmux", ["-L", socket, "capture-pane", "-p", "-t", "t"]).stdout.split(
            separator: "\n", omittingEmptySubsequences: false
        ).map { String($0).replacingOccurrences(of: " +$", with: "", options: .regularExpression) }
    }

    /// Types `text` and Enter.
    func type(_ text: String) throws {
        _ = try TS.run("/usr/bin/tmux", ["-L", socket, "send-keys", "-t", "t", text, "Enter"])
    }

    /// Waits up to `seconds` for a screen that satisfies `done`; returns the last screen read.
    func wait(seconds: Double, until done: ([String]) -> Bool) throws -> [String] {
        let deadline = Date().addingTimeInterval(seconds)
        var last: [String] = []
        while Date() < deadline {
            last = try screen()
            if done(last) { return last }
            usleep(100_000)
        }
        return last
    }

    func stop() { _ = try? TS.run("/usr/bin/tmux", ["-L", socket, "kill-server"]) }
}

extension ShipOverSSHTests {
    /// ship on a real terminal: ssh's questions reach the user, the progress line fits.
    @Suite(.enabled(if: TmuxTerminal.available, "tmux is not installed (apt-get install tmux)"))
    struct Terminal {
        /// The first connection to a host not in known_hosts: the host-key question appears once,
        /// the answer goes to ssh, and the ship proceeds (the key is then in known_hosts).
        @Test(.timeLimit(.minutes(2))) func firstContactAsksOnceAndProceeds() throws {
            let server = try SSHTestServer()
            defer { server.stop() }
            let remote = server.remote("first")
            let known = server.dir.path("new_known_hosts")
            let tar = TS.fixture("prisma-ok-debian-amd64.tar")
            let term = try TmuxTerminal(
                "IMGTOOL_SSH='\(server.sshCommand)' '\(TS.imgtool)' ship '\(tar)' newhost:'\(remote)'; echo EXIT=$?", columns: 160)
            defer { term.stop() }
            let question = "Are you sure you want to continue connecting"
            let asked = try term.wait(seconds: 30) { $0.contains { $0.contains(question) } }
            #expect(asked.filter { $0.contains(question) }.count == 1, "\(asked.joined(separator: "\n"))")
            // Nothing else is asked, and nothing loops, while the question waits.
            usleep(1_000_000)
            #expect(try term.screen().filter { $0.contains(question) }.count == 1)
            try term.type("yes")
            let end = try term.wait(seconds: 30) { $0.contains { $0.hasPrefix("EXIT=") } }
            let text = end.joined(separator: "\n")
            #expect(end.contains("EXIT=0"), "\(text)")
            // Rows wrap at the terminal's width: joined without a break, they are the lines again.
            #expect(end.joined().contains("shipped \(remote)/prisma-ok-debian-amd64.tar"), "\(text)")
            #expect(try TS.bytes(remote + "/prisma-ok-debian-amd64.tar") == TS.bytes(tar))
            #expect((try? String(contentsOfFile: known, encoding: .utf8))?.contains("ssh-ed25519") == true)
        }

        /// A key with a passphrase and no agent: on a terminal ssh asks for it and the ship goes
        /// on; without a terminal it fails within seconds with the command to try, never hangs.
        @Test(.timeLimit(.minutes(2))) func passphraseIsAskedOnATerminal() throws {
            let server = try SSHTestServer()
            defer { server.stop() }
            let remote = server.remote("locked")
            let tar = TS.fixture("prisma-ok-debian-amd64.tar")
            let term = try TmuxTerminal(
                "unset SSH_AUTH_SOCK; IMGTOOL_SSH='\(server.sshCommand)' '\(TS.imgtool)' ship '\(tar)' locked:'\(remote)'; echo EXIT=$?",
                columns: 160)
            defer { term.stop() }
            let asked = try term.wait(seconds: 30) { $0.contains { $0.contains("Enter passphrase for key") } }
            #expect(asked.filter { $0.contains("Enter passphrase for key") }.count == 1, "\(asked.joined(separator: "\n"))")
            try term.type(SSHTestServer.passphrase)
            let end = try term.wait(seconds: 30) { $0.contains { $0.hasPrefix("EXIT=") } }
            #expect(end.contains("EXIT=0"), "\(end.joined(separator: "\n"))")
            #expect(try TS.bytes(remote + "/prisma-ok-debian-amd64.tar") == TS.bytes(tar))

            var env = ProcessInfo.processInfo.environment
            env["IMGTOOL_SSH"] = server.sshCommand
            env.removeValue(forKey: "SSH_AUTH_SOCK")
            let started = Date()
            let batch = try TS.run(TS.imgtool, ["ship", tar, "locked:\(server.remote("locked-ci"))"], environment: env)
            #expect(batch.status == 8, "\(batch.stderr)")
            #expect(batch.stderr.contains("authentication failed") && batch.stderr.contains("locked true`"), "\(batch.stderr)")
            #expect(Date().timeIntervalSince(started) < 20)
        }

        /// The progress line is cut to the terminal's width and redrawn in place: at 50 and 120
        /// columns, no progress text wraps onto a second row, and there is never more than one.
        @Test(.timeLimit(.minutes(2)), arguments: [50, 120]) func progressFitsTheTerminal(columns: Int) throws {
            let server = try SSHTestServer()
            defer { server.stop() }
            let local = try TS.TempDir()
            defer { local.cleanup() }
            let archive = try ShipOverSSHTests.randomFile(local, "app.tar", size: 8 << 20)
            let slow = try TCPProxy(to: server.port, rate: 2_000_000, countFile: local.path("count"))
            defer { slow.stop() }
            let term = try TmuxTerminal(
                "IMGTOOL_SSH='\(server.sshCommand)' '\(TS.imgtool)' ship --no-verify --chunk-size 1M '\(archive)' 127.0.0.1:\(slow.port):'\(server.remote("p\(columns)"))' < /dev/null; echo EXIT=$?",
                columns: columns)
            defer { term.stop() }
            var screens: [[String]] = []
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                let s = try term.screen()
                screens.append(s)
                if s.contains(where: { $0.hasPrefix("EXIT=") }) { break }
                usleep(150_000)
            }
            let progress = screens.filter { $0.contains { $0.contains("%)") } }
            #expect(progress.count >= 3, "the progress line was seen: \(screens.last ?? [])")
            for s in progress {
                let rows = s.filter { $0.contains("%)") || $0.hasPrefix("ship: ") }
                #expect(rows.count == 1, "one progress row: \(s.joined(separator: "\n"))")
                #expect(s.allSatisfy { $0.count <= columns }, "\(s.joined(separator: "\n"))")
            }
            // No ETA before the rate is measured: never more than a few minutes for 8 MB at 2 MB/s.
            for s in progress {
                // (At 50 columns the ETA may be cut off: only a whole one is read.)
                for row in s {
                    guard let r = row.range(of: #"ETA \d+:\d\d"#, options: .regularExpression) else { continue }
                    let minutes = Int(row[r].dropFirst(4).prefix { $0 != ":" }) ?? 99
                    #expect(minutes < 2, "\(row)")
                }
            }
            #expect(screens.last?.contains("EXIT=0") == true, "\(screens.last ?? [])")
        }
    }
}
