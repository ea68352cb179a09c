import ByteIO
import Foundation
import OCI
import Synchronization

/// The shared ssh connection to one destination: authenticated once, then reused by every remote
/// command of the ship (OpenSSH connection multiplexing, `ControlMaster`).
///
/// The connection is opened by ``connect(interactive:)`` with `ssh -f -N` in imgtool's own
/// process group, so that on a terminal ssh can ask its questions (an unknown host key, a key's
/// passphrase) and read the answers; every later command runs with `BatchMode` and never
/// prompts. ``close()`` stops the connection and removes its private directory; every open
/// session is also closed by ``ShipCleanup/stopAll()``, which the CLI calls on SIGINT, SIGTERM
/// and SIGHUP.
final class SSHSession: @unchecked Sendable {
    let destination: Destination
    let client: SSHClient
    /// The private directory (mode 0700) of the control socket and the connection's log.
    let controlDirectory: String
    private let controlPath: String
    private let state = Mutex(State())

    private struct State {
        var processes: [ObjectIdentifier: RemoteProcess] = [:]
        var starter: ChildProcess?
        var masterPID: Int32?
        /// No new command may start (the ship was interrupted, or the session is closing).
        var closed = false
        /// ``close()`` began.
        var finished = false
    }

    /// Left when ``close()`` is done, so that a second caller (the signal handler) waits for it.
    private let closing = DispatchGroup()
    /// One prompt at a time on the terminal: the masters of several destinations would otherwise
    /// ask their questions at once and take each other's answers.
    private static let terminal = NSLock()

    /// Creates the private directory and registers the session for ``ShipCleanup``.
    init(destination: Destination, client: SSHClient) throws(ShipError) {
        self.destination = destination
        self.client = client
        // In /tmp, not $TMPDIR: a socket path has at most 104 bytes (macOS), and ssh's `%C` is 40.
        controlDirectory = "/tmp/imgtool-\(ProcessInfo.processInfo.processIdentifier)-\(Shipper.randomID())"
        controlPath = controlDirectory + "/%C"
        do { try Directory.create(controlDirectory, mode: 0o700) } catch {
            throw .localIO(path: controlDirectory, underlying: error)
        }
        if !ShipCleanup.register(self) { state.withLock { $0.closed = true } }
    }

    /// Opens the connection: `ssh -f -N` as the control master, which authenticates (asking on
    /// the terminal when `interactive`), then goes to the background and serves every later
    /// command of the session.
    /// - Throws: The ``ShipError`` that ssh's messages say (unreachable, host key,
    ///   authentication), or ``ShipError/sshNotRunnable(host:command:detail:)``.
    func connect(interactive: Bool) throws(ShipError) {
        try client.checkRunnable(host: destination.label)
        let log = controlDirectory + "/connect.log"
        let argv = client.masterArguments(for: destination, controlPath: controlPath, interactive: interactive)
        if interactive { Self.terminal.lock() }
        defer { if interactive { Self.terminal.unlock() } }
        if state.withLock({ $0.closed }) { throw .transfer(host: destination.label, detail: "interrupted before connecting") }
        let child: ChildProcess
        do {
            child = try ChildProcess(argv, stdin: interactive ? nil : "/dev/null", stdout: "/dev/null", stderr: log)
        } catch {
            throw .sshNotRunnable(host: destination.label, command: client.command.joined(separator: " "), detail: error.reason)
        }
        // Stopped meanwhile (a signal): ssh goes too.
        let stopped = state.withLock { s in
            s.starter = child
            return s.closed
        }
        if stopped { child.terminate() }
        let status = child.wait()
        let interrupted = state.withLock { s in
            s.starter = nil
            return s.closed
        }
        if interrupted { throw .transfer(host: destination.label, detail: "interrupted while connecting") }
        let stderr = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: log)
        guard status == 0 else {
            if let e = classify(stderr, status: status, connected: false) { throw e }
            let last = stderr.split(whereSeparator: \.isNewline).last.map { $0.trimmingCharacters(in: .whitespaces) }
            throw .unreachable(
                host: destination.label, detail: last ?? "ssh exited with status \(status)", ssh: client.plainCommand(for: destination))
        }
        // The master's pid, to stop it even if `ssh -O exit` cannot reach it.
        if let check = try? RemoteProcess(
            client.controlArguments(for: destination, controlPath: controlPath, operation: "check"), onLine: { _ in })
        {
            let (_, text) = check.wait()
            if let r = text.range(of: "pid="), let pid = Int32(text[r.upperBound...].prefix { $0.isNumber }) {
                state.withLock { $0.masterPID = pid }
            }
        }
    }

    /// Runs `script` with the remote's `sh`, feeding its stdin with `input`, and returns the lines
    /// of its stdout (each also given to `onLine` as it arrives).
    ///
    /// Every script of ``RemoteScript`` ends its output with `end`; an ssh failure, or a remote
    /// side that stops before `end`, is an error naming the host.
    func run(
        _ script: String, input: (FileSink) throws -> Void = { _ in },
        onLine: @escaping @Sendable (String) -> Void = { _ in }
    ) throws(ShipError) -> [String] {
        let lines = Shared<[String]>([])
        let process = try start(script) { line in
            lines.withLock { $0.append(line) }
            onLine(line)
        }
        var writeError: (any Error)?
        do { try input(process.input) } catch { writeError = error }
        let (status, stderr) = finish(process)
        let output = lines.value
        if let e = writeError as? ShipError { throw e }
        if status == 255 || output.last != "end" {
            if let e = classify(stderr, status: status, connected: !output.isEmpty) { throw e }
            let detail =
                stderr.split(whereSeparator: \.isNewline).last.map { $0.trimmingCharacters(in: .whitespaces) }
                ?? writeError.map { "\($0)" } ?? "the remote command ended early (exit status \(status))"
            throw .transfer(host: destination.label, detail: detail)
        }
        return output
    }

    /// Runs a user-visible command (`docker load`, `--then`), passing its output on; returns its
    /// exit status (127 when the remote shell did not find it) and its stderr.
    func runCommand(_ script: String, onLine: @escaping @Sendable (String) -> Void) throws(ShipError) -> (status: Int32, stderr: String) {
        let process = try start(script, onLine: onLine)
        let (status, stderr) = finish(process)
        // 255 is ssh's own failure (a remote command's 255 cannot be told apart).
        if status == 255, let e = classify(stderr, status: status, connected: false) { throw e }
        return (status, stderr)
    }

    private func start(_ script: String, onLine: @escaping @Sendable (String) -> Void) throws(ShipError) -> RemoteProcess {
        let argv = client.arguments(for: destination, controlPath: controlPath, remoteCommand: "sh -c " + ShellQuote.quote(script))
        let process = try RemoteProcess(argv, host: destination.label, onLine: onLine)
        let closed = state.withLock { s in
            s.processes[ObjectIdentifier(process)] = process
            return s.closed
        }
        if closed { process.terminate() }
        return process
    }

    private func finish(_ process: RemoteProcess) -> (status: Int32, stderr: String) {
        let result = process.wait()
        _ = state.withLock { $0.processes.removeValue(forKey: ObjectIdentifier(process)) }
        return result
    }

    /// Stops every remote command of the session (their ssh clients), for an interrupted ship.
    func terminateCommands() {
        let (processes, starter) = state.withLock { s in
            s.closed = true
            return (Array(s.processes.values), s.starter)
        }
        starter?.terminate()
        for p in processes { p.terminate() }
    }

    /// Closes the shared connection (`ssh -O exit`, then SIGTERM to the master should it still
    /// run) and removes the private directory. Calling it again does nothing.
    func close() {
        let (first, pid) = state.withLock { s in
            let first = !s.finished
            if first { closing.enter() }
            s.finished = true
            s.closed = true
            return (first, s.masterPID)
        }
        guard first else {
            closing.wait()
            return
        }
        defer { closing.leave() }
        var exited = false
        if let p = try? RemoteProcess(
            client.controlArguments(for: destination, controlPath: controlPath, operation: "exit"), onLine: { _ in })
        {
            exited = p.wait().status == 0
        }
        // Only when `-O exit` could not reach it: a master that exited was reaped by init, and
        // its pid may be another process's by now.
        if !exited, let pid { ChildProcess.terminate(pid: pid) }
        Self.removeDirectory(controlDirectory)
        ShipCleanup.unregister(self)
    }

    /// Removes the control directory and what is left in it (a socket, a log).
    static func removeDirectory(_ path: String) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
            unlink(path + "/" + name)
        }
        rmdir(path)
    }

    /// Maps the ssh client's own messages to an error that says what to do.
    /// - Parameter connected: Whether the remote already answered (then a lost connection is an
    ///   interrupted transfer, not an unreachable host).
    func classify(_ stderr: String, status: Int32, connected: Bool) -> ShipError? {
        let host = destination.label
        let lines = stderr.split(whereSeparator: \.isNewline).map { String($0).trimmingCharacters(in: .whitespaces) }
        func line(_ needle: String) -> String? { lines.first { $0.localizedCaseInsensitiveContains(needle) } }
        let ssh = client.plainCommand(for: destination)
        if let l = line("REMOTE HOST IDENTIFICATION HAS CHANGED") {
            return .hostKey(host: host, detail: l.trimmingCharacters(in: CharacterSet(charactersIn: "@ ")), ssh: ssh)
        }
        if line("Host key verification failed") != nil || line("host key is known") != nil
            || line("No matching host key") != nil
        {
            let why = line("host key for") ?? line("No ") ?? "Host key verification failed."
            return .hostKey(host: host, detail: why, ssh: ssh)
        }
        if let l = line("Permission denied (") ?? line("Too many authentication failures") {
            return .authenticationFailed(host: host, detail: l, ssh: ssh)
        }
        if connected { return nil }
        for needle in [
            "Could not resolve hostname", "Connection refused", "Connection timed out", "No route to host",
            "Network is unreachable", "Operation timed out", "Connection closed by", "Connection reset",
            "kex_exchange_identification", "connect to host",
        ] {
            if let l = line(needle) { return .unreachable(host: host, detail: l, ssh: ssh) }
        }
        return nil
    }
}
