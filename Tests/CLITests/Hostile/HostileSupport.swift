import ByteIO
import Foundation
import ImageArchive
import ImageVerify
import OCI
import Tar
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The hostile-input tests' own helpers: scratch directories, running the binary under GNU time,
/// hand-built tar bytes.
extension HostileInputTests {
    // MARK: - Helpers (this file's own)

    /// A fresh temporary directory.
    struct Scratch {
        let url: URL
        init() throws {
            url = FileManager.default.temporaryDirectory.appendingPathComponent("imgtool-hostile-\(UUID().uuidString)", isDirectory: true)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        }
        func path(_ name: String) -> String { url.appendingPathComponent(name).path }
        func remove() { try? FileManager.default.removeItem(at: url) }
    }

    /// What a child process did, and what it took.
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
        var seconds: Double
        /// Peak resident memory, when measured.
        var maxRSS: Double?
        /// Peak resident memory in MiB, 0 when not measured (so that the bounds hold vacuously).
        var maxRSSMiB: Double { maxRSS ?? 0 }
    }

    /// GNU time, which reports a child's peak memory (`%M`). The child's own `wait4` usage would
    /// not do: `posix_spawn` starts it sharing this process's memory (`CLONE_VM | CLONE_VFORK`),
    /// and the kernel counts the high-water mark of that memory, the test runner's, as the
    /// child's at `exec`; GNU time forks, so its child starts from time's few pages.
    var timeTool: String { "/usr/bin/time" }

    /// The built `imgtool`: `.build/debug/imgtool` of the package this file is in.
    var imgtoolPath: String { TS.imgtool }

    /// Runs the built `imgtool`, its peak memory measured by ``timeTool``.
    func imgtool(_ arguments: [String]) throws -> Run {
        try #require(FileManager.default.isExecutableFile(atPath: imgtoolPath), "build imgtool first: \(imgtoolPath)")
        guard FileManager.default.isExecutableFile(atPath: timeTool) else { return try spawn(imgtoolPath, arguments) }
        let dir = try Scratch()
        defer { dir.remove() }
        let report = dir.path("time")
        var run = try spawn(timeTool, ["-f", "%M", "-o", report, imgtoolPath] + arguments)
        // The last line is the peak in KiB (a line before it says how a failing command ended).
        let text = (try? String(contentsOfFile: report, encoding: .utf8)) ?? ""
        run.maxRSS = text.split(separator: "\n").last.flatMap { Double($0) }.map { $0 / 1024 }
        return run
    }

    /// Runs `python3 -c script arguments…`; its stdout.
    @discardableResult
    func python(_ script: String, _ arguments: [String]) throws -> String {
        let run = try spawn("/usr/bin/env", ["python3", "-c", script] + arguments)
        try #require(run.status == 0, "python3: \(run.stderr)")
        return run.stdout
    }

    struct SpawnError: Error { var errno: Int32 }

    /// Runs `executable` with stdin from `/dev/null` and stdout and stderr to files, and waits.
    func spawn(_ executable: String, _ arguments: [String]) throws -> Run {
        let dir = try Scratch()
        defer { dir.remove() }
        let outPath = dir.path("stdout")
        let errPath = dir.path("stderr")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let clock = ContinuousClock()
        let start = clock.now
        let rc = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard rc == 0 else { throw SpawnError(errno: rc) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw SpawnError(errno: errno) }
        }
        let elapsed = start.duration(to: clock.now)
        // WIFEXITED / WEXITSTATUS, and 128 + the signal otherwise, as a shell says.
        let code = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Run(
            status: code, stdout: String(decoding: try Data(contentsOf: URL(fileURLWithPath: outPath)), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: URL(fileURLWithPath: errPath)), as: UTF8.self),
            seconds: seconds(elapsed), maxRSS: nil)
    }

    func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// `body`'s value and how long it took.
    func measure<T>(_ body: () throws -> T) rethrows -> (value: T, seconds: Double) {
        let clock = ContinuousClock()
        let start = clock.now
        let value = try body()
        return (value, seconds(start.duration(to: clock.now)))
    }

    /// The error reading `path` ends with, if any.
    func readFailure(_ path: String, reading: ArchiveInput.Reading) -> ArchiveError? {
        do {
            _ = try ImageArchive.read(path: path, reading: reading)
            return nil
        } catch {
            return error as? ArchiveError
        }
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// Hand-built tar bytes, for headers no tool writes.
    enum Hand {
        /// A ustar header block.
        static func header(_ name: String, size: Int64, type: Character = "0") -> [UInt8] {
            var h = [UInt8](repeating: 0, count: 512)
            func put(_ s: String, at offset: Int) {
                for (i, b) in s.utf8.enumerated() { h[offset + i] = b }
            }
            func octal(_ v: Int64, width: Int) -> String {
                let digits = String(v, radix: 8)
                return String(repeating: "0", count: max(0, width - digits.count)) + digits
            }
            put(name, at: 0)
            put("0000644", at: 100)
            put("0000000", at: 108)
            put("0000000", at: 116)
            put(octal(size, width: 11), at: 124)
            put("00000000000", at: 136)
            h[156] = type.asciiValue!
            put("ustar", at: 257)
            put("00", at: 263)
            put("        ", at: 148)
            let sum = h.reduce(0) { $0 + Int64($1) }
            put(octal(sum, width: 6), at: 148)
            h[154] = 0
            h[155] = 0x20
            return h
        }

        /// A header, its data, and the padding to the next block.
        static func entry(_ header: [UInt8], _ data: [UInt8]) -> [UInt8] {
            header + data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
        }

        /// The end-of-archive blocks.
        static let end = [UInt8](repeating: 0, count: 1024)

        /// One PAX record, `"<length> key=value\n"`, its length counting itself.
        static func paxRecord(_ key: String, _ value: String) -> [UInt8] {
            let body = " \(key)=\(value)\n".utf8.count
            var length = body + 1
            while String(length).count + body != length { length += 1 }
            return Array("\(length) \(key)=\(value)\n".utf8)
        }
    }
}
