import ByteIO
import Foundation
import OCI

/// How imgtool runs the system's OpenSSH client.
///
/// Everything the user set up for ssh applies (`~/.ssh/config`, agents, jump hosts,
/// `known_hosts`): imgtool adds only connection sharing, keep-alives and, when nobody can answer
/// a prompt, `BatchMode`. Host keys are checked as ssh is configured to check them; imgtool never
/// turns that off.
public struct SSHClient: Sendable, Equatable {
    /// The command and its own arguments: `["ssh"]`, or what `--ssh` / `IMGTOOL_SSH` says
    /// (`ssh -F ./ssh_config`).
    public var command: [String]
    /// Whether to pass `-o BatchMode=yes`, so that ssh fails instead of prompting (when stdin is
    /// not a terminal: CI, cron).
    public var batchMode: Bool

    /// Creates a client description.
    public init(command: [String] = ["ssh"], batchMode: Bool) {
        self.command = command.isEmpty ? ["ssh"] : command
        self.batchMode = batchMode
    }

    /// Splits a command line such as `ssh -F "my config" -i key` into words: spaces separate,
    /// single or double quotes group, a backslash escapes the next character.
    /// - Parameter text: The command text (from `--ssh` or `IMGTOOL_SSH`).
    /// - Returns: The words; empty for blank text.
    public static func split(_ text: String) -> [String] {
        var words: [String] = []
        var word = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for c in text {
            if escaped {
                word.append(c)
                escaped = false
                inWord = true
            } else if c == "\\" && quote != "'" {
                escaped = true
            } else if let q = quote {
                if c == q { quote = nil } else { word.append(c) }
            } else if c == "'" || c == "\"" {
                quote = c
                inWord = true
            } else if c == " " || c == "\t" || c == "\n" {
                if inWord { words.append(word) }
                word = ""
                inWord = false
            } else {
                word.append(c)
                inWord = true
            }
        }
        if inWord { words.append(word) }
        return words
    }

    /// The argument vector that runs `remoteCommand` on `destination`, sharing one connection
    /// through the control socket at `controlPath`.
    /// The command a user can run by hand to reach `destination` the same way (the same ssh
    /// command and options, without imgtool's multiplexing), shell-quoted where needed: what error
    /// messages suggest trying.
    public func plainCommand(for destination: Destination) -> String {
        var argv = command
        if let port = destination.port { argv += ["-p", String(port)] }
        argv.append(destination.user.map { "\($0)@" + destination.host } ?? destination.host)
        return argv.map(ShellQuote.word).joined(separator: " ")
    }

    /// The options every ssh of a session takes: the control socket, keep-alives (a link that
    /// answers nothing for a minute is given up), a connection timeout.
    private func common(controlPath: String) -> [String] {
        [
            "-o", "ControlPath=\(controlPath)", "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4",
            "-o", "ConnectTimeout=20",
        ]
    }

    private func target(_ destination: Destination) -> [String] {
        var argv: [String] = []
        if let user = destination.user { argv += ["-l", user] }
        if let port = destination.port { argv += ["-p", String(port)] }
        return argv + ["--", destination.host]
    }

    /// The connection master: `ssh -f -N` with `ControlMaster=yes`, authenticating (with
    /// `BatchMode` unless `interactive`) and then serving the session from the background. It
    /// ends 60 s after its last command should imgtool be killed without closing it.
    func masterArguments(for destination: Destination, controlPath: String, interactive: Bool) -> [String] {
        var argv = command + common(controlPath: controlPath) + ["-o", "ControlMaster=yes", "-o", "ControlPersist=60"]
        if batchMode || !interactive { argv += ["-o", "BatchMode=yes"] }
        return argv + ["-f", "-N"] + target(destination)
    }

    /// `ssh -O check` or `ssh -O exit` for the session's master.
    func controlArguments(for destination: Destination, controlPath: String, operation: String) -> [String] {
        command + ["-o", "ControlPath=\(controlPath)", "-O", operation] + target(destination)
    }

    /// A command of the session, through the master; never prompts (`BatchMode`): should the
    /// master be gone, ssh connects on its own and fails rather than asks.
    func arguments(for destination: Destination, controlPath: String, remoteCommand: String?) -> [String] {
        var argv = command + common(controlPath: controlPath) + ["-o", "ControlMaster=no", "-o", "BatchMode=yes"]
        argv += target(destination)
        if let remoteCommand { argv.append(remoteCommand) }
        return argv
    }

    /// Checks that the ssh command can be started: an executable file at its path, or on the
    /// PATH.
    /// - Throws: ``ShipError/sshNotRunnable(host:command:detail:)`` saying which.
    func checkRunnable(host: String) throws(ShipError) {
        guard let name = command.first else { throw .sshNotRunnable(host: host, command: "", detail: "no ssh command") }
        let files = FileManager.default
        let shown = command.joined(separator: " ")
        if name.contains("/") {
            var isDirectory: ObjCBool = false
            guard files.fileExists(atPath: name, isDirectory: &isDirectory) else {
                throw .sshNotRunnable(host: host, command: shown, detail: "\(name): no such file")
            }
            guard !isDirectory.boolValue, files.isExecutableFile(atPath: name) else {
                throw .sshNotRunnable(host: host, command: shown, detail: "\(name): not an executable file")
            }
            return
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") where files.isExecutableFile(atPath: "\(dir)/\(name)") { return }
        throw .sshNotRunnable(host: host, command: shown, detail: "`\(name)` is not on the PATH")
    }
}
