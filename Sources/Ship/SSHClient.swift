import ByteIO
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

    func arguments(for destination: Destination, controlPath: String, remoteCommand: String?) -> [String] {
        var argv = command
        argv += [
            "-o", "ControlMaster=auto", "-o", "ControlPath=\(controlPath)", "-o", "ControlPersist=60",
            "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4", "-o", "ConnectTimeout=20",
        ]
        if batchMode { argv += ["-o", "BatchMode=yes"] }
        if let user = destination.user { argv += ["-l", user] }
        if let port = destination.port { argv += ["-p", String(port)] }
        argv += ["--", destination.host]
        if let remoteCommand { argv.append(remoteCommand) }
        return argv
    }
}
