import ByteIO
import Foundation
import OCI

/// One `ssh` process: its stdin fed by the caller, its stdout handed over line by line as it
/// arrives, its stderr collected.
///
/// The readers run on their own threads so that a chatty remote can never block the writer.
/// Shared by the thread that feeds it and the one that may stop it (``SSHSession/terminateCommands()``);
/// `Process` and `Pipe` are safe to use from both.
final class RemoteProcess: @unchecked Sendable {
    private let process = Process()
    private let stdinPipe = Pipe()
    private let stdoutPipe = Pipe()
    private let stderrPipe = Pipe()
    private let readers = DispatchGroup()
    private let errorText = Shared<String>("")
    private var stdinClosed = false

    /// Starts `argv`; `onLine` is called, on a reader thread, with each line of its stdout.
    init(_ argv: [String], host: String = "", onLine: @escaping @Sendable (String) -> Void) throws(ShipError) {
        guard let executable = argv.first else { throw .sshNotRunnable(host: host, command: "", detail: "no ssh command") }
        process.executableURL = URL(fileURLWithPath: executable.contains("/") ? executable : "/usr/bin/env")
        process.arguments = executable.contains("/") ? Array(argv.dropFirst()) : argv
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        do { try process.run() } catch {
            throw .sshNotRunnable(host: host, command: argv.joined(separator: " "), detail: "it cannot be started")
        }
        Self.readLines(stdoutPipe.fileHandleForReading, group: readers, onLine: onLine)
        let errors = errorText
        Self.readLines(stderrPipe.fileHandleForReading, group: readers) { line in
            errors.withLock { text in
                if text.utf8.count < 64 * 1024 { text += line + "\n" }
            }
        }
    }

    /// Where the process's stdin goes; write, then ``closeInput()``.
    var input: FileSink { FileSink(fileDescriptor: stdinPipe.fileHandleForWriting.fileDescriptor, closeOnDeinit: false) }

    /// Ends the process's stdin (EOF on the remote).
    func closeInput() {
        guard !stdinClosed else { return }
        stdinClosed = true
        try? stdinPipe.fileHandleForWriting.close()
    }

    /// Waits for the process and its output; returns its exit status and its stderr.
    func wait() -> (status: Int32, stderr: String) {
        closeInput()
        readers.wait()
        process.waitUntilExit()
        return (process.terminationStatus, errorText.value)
    }

    /// Stops the process (the ssh client; the remote side sees the connection's channel close).
    func terminate() {
        if process.isRunning { process.terminate() }
    }

    private static func readLines(
        _ handle: FileHandle, group: DispatchGroup, onLine: @escaping @Sendable (String) -> Void
    ) {
        group.enter()
        Thread.detachNewThread {
            var pending = Data()
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                pending.append(data)
                while let nl = pending.firstIndex(of: 0x0A) {
                    onLine(String(decoding: pending[pending.startIndex..<nl], as: UTF8.self))
                    pending.removeSubrange(pending.startIndex...nl)
                }
            }
            if !pending.isEmpty { onLine(String(decoding: pending, as: UTF8.self)) }
            group.leave()
        }
    }
}
