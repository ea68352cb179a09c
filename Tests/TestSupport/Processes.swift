import Foundation

extension TS {
    /// A python program that runs `argv[1:]` in its place with every signal unblocked and every
    /// descriptor but 0, 1 and 2 closed: for a daemon a test starts (dockerd, a tmux server),
    /// which must neither inherit the signals a test thread blocks nor keep open the descriptor
    /// by which Foundation's `Process` sees its child end (else waiting for it never returns).
    /// Use: `python3 -c TS.execDetached PROGRAM ARGS...`.
    package static let execDetached =
        "import os,signal,sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.closerange(3, 65536); os.execv(sys.argv[1], sys.argv[1:])"

    package struct ProcessResult {
        package var status: Int32
        package var stdoutData: Data
        package var stderrData: Data
        package var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
        package var stderr: String { String(decoding: stderrData, as: UTF8.self) }
    }

    /// Runs `executable` with `arguments`; stdout and stderr go to temp files (no pipe deadlock).
    package static func run(
        _ executable: String, _ arguments: [String], stdinPath: String? = nil, currentDirectory: String? = nil,
        environment: [String: String]? = nil
    ) throws -> ProcessResult {
        let tmp = try TempDir()
        defer { tmp.cleanup() }
        let outPath = tmp.path("stdout")
        let errPath = tmp.path("stderr")
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.standardOutput = out
        p.standardError = err
        if let stdinPath {
            p.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: stdinPath))
        } else {
            p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        }
        if let currentDirectory { p.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        if let environment { p.environment = environment }
        try p.run()
        p.waitUntilExit()
        try out.close()
        try err.close()
        let o = try Data(contentsOf: URL(fileURLWithPath: outPath))
        let e = try Data(contentsOf: URL(fileURLWithPath: errPath))
        return ProcessResult(status: p.terminationStatus, stdoutData: o, stderrData: e)
    }

    /// Runs a tool found on PATH (`/usr/bin/env tool ...`).
    package static func tool(_ name: String, _ arguments: [String], currentDirectory: String? = nil) throws -> ProcessResult {
        try run("/usr/bin/env", [name] + arguments, currentDirectory: currentDirectory)
    }

    /// Runs `python3 -c script args...` and returns stdout; throws (failing the test) on a
    /// non-zero exit.
    package static func python(_ script: String, _ arguments: [String] = []) throws -> String {
        let r = try tool("python3", ["-c", script] + arguments)
        guard r.status == 0 else { throw Failure("python3 failed: \(r.stderr)") }
        return r.stdout
    }

    /// Runs `command` with /bin/sh in `directory`; throws (failing the test) unless it succeeds.
    package static func shell(_ command: String, in directory: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.currentDirectoryURL = directory
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure("`\(command)` failed with status \(process.terminationStatus)")
        }
    }

    // MARK: - The built binary

    /// The built `imgtool` executable: next to the test bundle (it is a product, built by
    /// `swift build --build-tests`; CLITests depends on it, so building that target alone builds
    /// it too), else `.build/debug/imgtool`.
    package static let imgtool: String = {
        var candidates: [URL] = []
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("imgtool"))
        if let exe = Bundle.main.executableURL {
            candidates.append(exe.deletingLastPathComponent().appendingPathComponent("imgtool"))
            candidates.append(exe.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("imgtool"))
        }
        let arg0 = URL(fileURLWithPath: CommandLine.arguments.first ?? "")
        candidates.append(arg0.deletingLastPathComponent().appendingPathComponent("imgtool"))
        // `swift test` runs `<bin>/imgtoolPackageTests.xctest`; walk up from it.
        var dir = arg0.deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(dir.appendingPathComponent("imgtool"))
            dir = dir.deletingLastPathComponent()
        }
        candidates.append(repoRoot.appendingPathComponent(".build/debug/imgtool"))
        for c in candidates {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: c.path, isDirectory: &isDir), !isDir.boolValue,
                FileManager.default.isExecutableFile(atPath: c.path)
            {
                return c.path
            }
        }
        return repoRoot.appendingPathComponent(".build/debug/imgtool").path
    }()

    /// Runs the built `imgtool` from the repository root.
    package static func imgtool(_ arguments: [String], stdinPath: String? = nil) throws -> ProcessResult {
        try run(imgtool, arguments, stdinPath: stdinPath, currentDirectory: repoRoot.path)
    }
}
