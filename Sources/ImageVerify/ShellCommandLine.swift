/// The commands a `--then` shell command line starts, found well enough to check, before the
/// ship, that the remote has them: the first word of every simple command between `;`, `&&`,
/// `||`, `|`, `&`, newlines and parentheses, past variable assignments, reserved words and the
/// wrappers `exec`, `command`, `env`, `nohup`, `time` and `sudo`.
///
/// It is not a shell parser: a word with `$`, a backquote or a glob is not a name it can check
/// and is left out, and so is anything inside quotes that spans an operator.
public struct ShellCommandLine: Sendable, Equatable {
    /// The command line as given.
    public var text: String
    /// The command names, in order of first appearance, each once (`docker`, `sh`).
    public var commands: [String]
    /// Whether it runs `docker compose` (the Compose plugin).
    public var usesComposePlugin: Bool
    /// Whether it runs `docker-compose` (Compose v1, a program of its own).
    public var usesComposeStandalone: Bool
    /// Whether every `docker` or `podman` it runs runs under `sudo` (then the ssh user's own
    /// access to the daemon says nothing).
    public var engineOnlyUnderSudo: Bool

    private static let reserved: Set<String> = [
        "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "for", "in", "case", "esac", "!", "{", "}",
    ]
    /// The wrappers skipped to find the command they run, with their options that take a value.
    private static let wrappers: [String: Set<String>] = [
        "exec": [], "command": [], "nohup": [], "time": [], "env": ["-u", "-C", "-S"], "nice": ["-n"],
        "sudo": ["-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U"],
    ]

    /// Finds the commands of `text`.
    public init(_ text: String) {
        self.text = text
        var commands: [String] = []
        var plugin = false
        var engineRuns = 0
        var engineRunsUnderSudo = 0
        for segment in Self.segments(text) {
            var words = segment.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { Self.unquote(String($0)) }
            while let w = words.first, Self.reserved.contains(w) || Self.isAssignment(w) {
                words.removeFirst()
            }
            // `sudo -u app docker ...`, `env -i X=1 docker ...`: past the wrapper, its options and assignments.
            var sudo = false
            while let w = words.first, let valued = Self.wrappers[w] {
                if !commands.contains(w) && w != "exec" && w != "command" { commands.append(w) }
                if w == "sudo" { sudo = true }
                words.removeFirst()
                while let o = words.first, o.hasPrefix("-") || Self.isAssignment(o) {
                    words.removeFirst()
                    if valued.contains(o), !words.isEmpty { words.removeFirst() }
                }
            }
            guard let name = words.first, Self.isPlainName(name) else { continue }
            if name == "docker" || name == "podman" {
                engineRuns += 1
                if sudo { engineRunsUnderSudo += 1 }
            }
            if name == "docker", Self.subcommand(of: words.dropFirst()) == "compose" { plugin = true }
            if !commands.contains(name) { commands.append(name) }
        }
        self.commands = commands
        usesComposePlugin = plugin
        usesComposeStandalone = commands.contains("docker-compose")
        engineOnlyUnderSudo = engineRuns > 0 && engineRuns == engineRunsUnderSudo
    }

    /// The text between the shell's command separators.
    private static func segments(_ text: String) -> [String] {
        var out: [String] = []
        var current = ""
        var quote: Character?
        for c in text {
            if let q = quote {
                current.append(c)
                if c == q { quote = nil }
            } else if c == "'" || c == "\"" {
                quote = c
                current.append(c)
            } else if ";&|\n()".contains(c) {
                out.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        out.append(current)
        return out.filter { !$0.allSatisfy { $0 == " " || $0 == "\t" } }
    }

    /// docker's global options that take a value (`docker --context prod compose up`).
    private static let dockerValueOptions: Set<String> = ["--context", "-c", "--host", "-H", "--config", "--log-level", "-l"]

    /// The first word of `arguments` that is not a docker global option or its value.
    private static func subcommand(of arguments: ArraySlice<String>) -> String? {
        var skipValue = false
        for word in arguments {
            if skipValue {
                skipValue = false
                continue
            }
            if word.hasPrefix("-") {
                skipValue = dockerValueOptions.contains(word)
                continue
            }
            return word
        }
        return nil
    }

    private static func isAssignment(_ word: String) -> Bool {
        guard let eq = word.firstIndex(of: "="), eq != word.startIndex else { return false }
        return word[..<eq].allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
    }

    private static func isPlainName(_ word: String) -> Bool {
        !word.isEmpty && !word.contains(where: { "$`*?[]~<>\"'\\".contains($0) })
    }

    private static func unquote(_ word: String) -> String {
        if word.count >= 2, let f = word.first, f == word.last, f == "'" || f == "\"" {
            return String(word.dropFirst().dropLast())
        }
        return word
    }
}
