import ByteIO
import Foundation
import OCI

/// The shared ssh connection to one destination: authenticated once, then reused by every remote
/// command of the ship (OpenSSH connection multiplexing, `ControlMaster`).
final class SSHSession {
    let destination: Destination
    let client: SSHClient
    private let controlPath: String

    /// - Parameter controlDirectory: A private directory (mode 0700) for the control socket.
    init(destination: Destination, client: SSHClient, controlDirectory: String) {
        self.destination = destination
        self.client = client
        self.controlPath = controlDirectory + "/%C"
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
        let argv = client.arguments(for: destination, controlPath: controlPath, remoteCommand: "sh -c " + ShellQuote.quote(script))
        let process = try RemoteProcess(argv) { line in
            lines.withLock { $0.append(line) }
            onLine(line)
        }
        var writeError: (any Error)?
        do { try input(process.input) } catch { writeError = error }
        let (status, stderr) = process.wait()
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
    /// exit status.
    func runCommand(_ script: String, onLine: @escaping @Sendable (String) -> Void) throws(ShipError) -> (status: Int32, stderr: String) {
        let argv = client.arguments(for: destination, controlPath: controlPath, remoteCommand: "sh -c " + ShellQuote.quote(script))
        let process = try RemoteProcess(argv, onLine: onLine)
        let (status, stderr) = process.wait()
        if status == 255 || status == 127, let e = classify(stderr, status: status, connected: false) { throw e }
        return (status, stderr)
    }

    /// Closes the shared connection.
    func close() {
        var argv = client.command
        argv += ["-o", "ControlPath=\(controlPath)", "-O", "exit"]
        if let user = destination.user { argv += ["-l", user] }
        if let port = destination.port { argv += ["-p", String(port)] }
        argv += ["--", destination.host]
        if let p = try? RemoteProcess(argv, onLine: { _ in }) { _ = p.wait() }
    }

    /// Maps the ssh client's own messages to an error that says what to do.
    /// - Parameter connected: Whether the remote already answered (then a lost connection is an
    ///   interrupted transfer, not an unreachable host).
    func classify(_ stderr: String, status: Int32, connected: Bool) -> ShipError? {
        let host = destination.label
        let lines = stderr.split(whereSeparator: \.isNewline).map { String($0).trimmingCharacters(in: .whitespaces) }
        func line(_ needle: String) -> String? { lines.first { $0.localizedCaseInsensitiveContains(needle) } }
        // env(1) could not start the ssh command.
        if !connected, status == 127, let l = line("No such file") ?? line("not found") ?? line("Permission denied") {
            return .sshNotRunnable(command: client.command.joined(separator: " "), detail: l)
        }
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
