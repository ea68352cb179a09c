import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// SIGINT, SIGTERM and SIGHUP end every command as the help says: a shell reports 130, 143 and
/// 129 (128 + the signal; imgtool dies of it, so a loop or `make` stops too), `pack` leaves no
/// temporary file, and `ship` says how to resume first.
@Suite(.serialized) struct SignalExitCLITests {
    /// A command run by `sh` in the foreground (as a user's shell runs it), blocked reading a
    /// pipe that stays open; after `delay`, `signal` goes to imgtool. Returns what `sh`
    /// reported (`status N` on stdout) and imgtool's stderr.
    static func interrupt(_ arguments: [String], with signal: Int32, after delay: Double = 0.8) throws -> (status: Int?, stderr: String) {
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", #""$@"; echo "status $?""#, "sh", TS.imgtool] + arguments
        shell.currentDirectoryURL = TS.repoRoot
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        shell.standardInput = input
        shell.standardOutput = output
        shell.standardError = errors
        try shell.run()
        // Part of a tar header: the reader waits for the rest.
        try input.fileHandleForWriting.write(contentsOf: Data(repeating: 0, count: 100))
        // imgtool is the shell's one child.
        var child: Int32?
        let deadline = Date().addingTimeInterval(10)
        while child == nil, Date() < deadline {
            let list =
                (try? String(contentsOfFile: "/proc/\(shell.processIdentifier)/task/\(shell.processIdentifier)/children", encoding: .utf8))
                ?? ""
            child = list.split(separator: " ").first.flatMap { Int32($0) }
            if child == nil { usleep(20_000) }
        }
        let pid = try #require(child, "imgtool did not start")
        usleep(useconds_t(delay * 1_000_000))
        kill(pid, signal)
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        shell.waitUntilExit()
        try? input.fileHandleForWriting.close()
        let text = String(decoding: out, as: UTF8.self)
        let status = text.split(separator: "\n").last { $0.hasPrefix("status ") }.flatMap { Int($0.dropFirst(7)) }
        return (status, String(decoding: err, as: UTF8.self))
    }

    static let signals: [(Int32, Int)] = [(SIGINT, 130), (SIGTERM, 143), (SIGHUP, 129)]

    @Test(arguments: [
        ["inspect", "-"], ["verify", "-"], ["verify", "--json", "--arch", "amd64", "-"], ["ls", "-"], ["cat", "-", "/x"],
    ])
    func readingCommandsEndWithTheSignalsCode(_ arguments: [String]) throws {
        for (sig, code) in Self.signals {
            let r = try Self.interrupt(arguments, with: sig)
            #expect(r.status == code, "\(arguments), signal \(sig): \(r.stderr)")
        }
    }

    /// `pack`, interrupted while it reads: 128 + the signal, and no temporary file in the
    /// output's directory (its handler removes it, then dies of the signal).
    @Test func packEndsWithTheSignalsCodeAndLeavesNothing() throws {
        for (sig, code) in Self.signals {
            let dir = try TS.TempDir()
            defer { dir.cleanup() }
            let r = try Self.interrupt(["pack", "-o", dir.path("out.tar.gz"), "-"], with: sig)
            #expect(r.status == code, "signal \(sig): \(r.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).isEmpty)
        }
    }

    /// `ship`, interrupted while ssh is connecting (a stand-in ssh that waits): that nothing was
    /// sent, then 128 + the signal.
    @Test func shipSaysHowToResumeAndEndsWithTheSignalsCode() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let ssh = dir.path("slow-ssh")
        try "#!/bin/sh\nexec sleep 3\n".write(toFile: ssh, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: ssh)
        for (sig, code) in Self.signals {
            let r = try Self.interrupt(
                ["ship", "--no-verify", "--ssh", ssh, TS.fixture("prisma-ok-debian-amd64.tar"), "vps.invalid:/srv"], with: sig, after: 1.0)
            #expect(r.status == code, "signal \(sig): \(r.stderr)")
            // Interrupted while connecting: nothing was sent, and it says so.
            #expect(r.stderr.contains("imgtool: interrupted before anything was sent"), "\(r.stderr)")
            #expect(!r.stderr.contains("cannot connect"), "\(r.stderr)")
        }
    }
}
