import ByteIO
import Codec
import ImageArchive
import ImageVerify
import OCI
import Ship

/// Dispatches `imgtool <subcommand> ...`; every command returns its exit code.
enum CLI {
    static let version = "0.1.0"

    static let root = CommandSpec(
        name: "", abstract: "Inspect, verify and ship container image archives.",
        discussion:
            "Reads `docker save` and OCI archives (.tar or .tar.gz, a file or - for stdin) in one streaming pass, checking every digest on the way.",
        options: [CommandSpec.Option(names: ["--version"], valueName: nil, help: "Show the version.")])

    static var commands: [CommandSpec] {
        [InspectCommand.spec, VerifyCommand.spec, PackCommand.spec, ShipCommand.spec, PushCommand.spec, LsCommand.spec, CatCommand.spec]
    }

    static func run(_ arguments: [String], io: Output) -> Int32 {
        guard let first = arguments.first else {
            io.out(rootHelp)
            return ExitCode.success.rawValue
        }
        switch first {
        case "-h", "--help":
            io.out(rootHelp)
            return ExitCode.success.rawValue
        case "--version":
            io.out(version + "\n")
            return ExitCode.success.rawValue
        case "help":
            guard arguments.count > 1 else {
                io.out(rootHelp)
                return ExitCode.success.rawValue
            }
            if arguments[1] == "exit-codes" {
                io.out(ExitCode.helpTable(for: nil) + "\n")
                return ExitCode.success.rawValue
            }
            guard let spec = commands.first(where: { $0.name == arguments[1] }) else {
                io.err(UsageError(.unknownSubcommand(arguments[1]), spec: root).text)
                return ExitCode.usage.rawValue
            }
            io.out(helpText(spec))
            return ExitCode.success.rawValue
        case "inspect":
            return InspectCommand.run(Array(arguments.dropFirst()), io: io)
        case "verify":
            return VerifyCommand.run(Array(arguments.dropFirst()), io: io)
        case "pack":
            return PackCommand.run(Array(arguments.dropFirst()), io: io)
        case "ship":
            return ShipCommand.run(Array(arguments.dropFirst()), io: io)
        case "push":
            return PushCommand.run(Array(arguments.dropFirst()), io: io)
        case "ls":
            return LsCommand.run(Array(arguments.dropFirst()), io: io)
        case "cat":
            return CatCommand.run(Array(arguments.dropFirst()), io: io)
        default:
            let reason: UsageError.Reason = first.hasPrefix("-") ? .unknownOption(first) : .unknownSubcommand(first)
            io.err(UsageError(reason, spec: root).text)
            return ExitCode.usage.rawValue
        }
    }

    /// `imgtool --help`: every subcommand, and the full table of exit codes.
    static var rootHelp: String {
        HelpText.render(
            root, subcommands: commands,
            extra: [ExitCode.helpTable(for: nil), "See 'imgtool help exit-codes' for the exit codes alone."])
    }

    /// A subcommand's help, with the exit codes that command can return.
    static func helpText(_ spec: CommandSpec) -> String {
        HelpText.render(spec, extra: [ExitCode.helpTable(for: spec.name)])
    }

    /// Parses, prints help or a usage error, or returns the parsed arguments.
    static func parse(_ arguments: [String], spec: CommandSpec, io: Output) -> ParseOutcome {
        do {
            let parsed = try ArgumentScanner.parse(arguments, spec: spec)
            if parsed.flag("help") {
                io.out(helpText(spec))
                return .exit(ExitCode.success.rawValue)
            }
            return .run(parsed)
        } catch {
            io.err(error.text)
            return .exit(ExitCode.usage.rawValue)
        }
    }

    enum ParseOutcome {
        case run(ParsedArguments)
        case exit(Int32)
    }

    /// Parses `--platform`, or throws the usage error for it.
    static func platform(_ parsed: ParsedArguments, spec: CommandSpec) throws(UsageError) -> Platform? {
        guard let text = parsed.value("platform") else { return nil }
        guard let p = Platform(parsing: text), Self.knownArchitectures.contains(p.architecture) else {
            throw UsageError(
                .invalidValue(value: text, label: "--platform <platform>", help: "os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8"),
                spec: spec)
        }
        return p
    }

    /// The architectures a `--platform` may name: Go's GOARCH values, which the OCI image spec
    /// uses (`go tool dist list`), so that a typo is a usage error rather than a failed check.
    static let knownArchitectures: Set<String> = [
        "386", "amd64", "arm", "arm64", "loong64", "mips", "mips64", "mips64le", "mipsle", "ppc64", "ppc64le", "riscv64", "s390x",
        "wasm",
    ]

    /// Prints an error as one line on stderr, naming the input, and returns its exit code.
    ///
    /// - Parameters:
    ///   - invocation: The command run; by default the process's own command line.
    static func fail(_ error: any Error, io: Output, invocation: Invocation? = .current) -> Int32 {
        let d = describe(error, invocation: invocation)
        io.err("Error: \(d.text)\n")
        return d.code
    }

    /// The line ``fail(_:io:invocation:)`` prints (without `Error: `) and the exit code.
    static func describe(_ error: any Error, invocation: Invocation? = .current) -> (text: String, code: Int32) {
        if let e = error as? ArchiveError { return (message(e, invocation: invocation), ExitCode(e.kind).rawValue) }
        if let e = error as? ByteIOError {
            if let path = e.path { return ("\(path): \(e.withoutPath)", ExitCode.io.rawValue) }
            return (named("\(e)", invocation: invocation), ExitCode.io.rawValue)
        }
        return (named("\(error)", invocation: invocation), ExitCode.checkFailed.rawValue)
    }

    /// What messages call the input: the path given, or `stdin` for `-`.
    static func inputName(_ path: String) -> String { path == "-" ? "stdin" : path }

    /// Prints `text` as an error line about the input `path` (`Error: app.tar: ...`).
    static func error(_ text: String, input path: String, io: Output) {
        io.err("Error: \(inputName(path)): \(text)\n")
    }

    /// `text` with the archive of `invocation` in front of it, when there is one.
    static func named(_ text: String, invocation: Invocation?) -> String {
        guard let archive = invocation?.archive else { return text }
        return "\(inputName(archive)): \(text)"
    }
}

extension CLI {
    /// The line `fail` prints for an archive error, without `Error: `: the input's name (the
    /// path, or `stdin`) first, so that a loop over many archives shows which one failed (an
    /// `io` error names it already), and for a compression imgtool does not read, the command
    /// line that pipes it in.
    static func message(_ e: ArchiveError, invocation: Invocation?) -> String {
        if case .io = e { return "\(e)" }
        guard let invocation, let archive = invocation.archive else { return "\(e)" }
        var text = "\(e)"
        if case .unsupportedCompression(let format) = e, let tool = format.decompressCommand {
            text = ArchiveError.unsupportedCompressionMessage(
                format, advice: decompressAdvice(tool, invocation: invocation, archive: archive))
        }
        return "\(inputName(archive)): \(text)"
    }

    /// What to run instead of an archive compressed with what imgtool does not read: the
    /// command run, with `tool` (`zstd -dc`) decompressing its archive into it; for `ship`,
    /// which reads a file twice and not stdin, a copy packed to gzip first.
    static func decompressAdvice(_ tool: String, invocation: Invocation, archive: String) -> String {
        let input = archive == "-" ? "... | \(tool)" : "\(tool) \(ShellQuote.word(archive))"
        guard invocation.command == "ship" else {
            return "decompress it first and pipe it in, e.g. `\(input) | \(invocation.commandLine(archive: "-"))` (or `gzip`-recompress it)"
        }
        var copy = archive == "-" ? "image" : archive
        for suffix in [".zst", ".zstd", ".xz", ".bz2", ".bzip2", ".tzst", ".txz", ".tbz2"] where copy.hasSuffix(suffix) {
            copy.removeLast(suffix.count)
            break
        }
        copy += copy.hasSuffix(".tar") ? ".gz" : ".tar.gz"
        return
            "pack it to gzip first, e.g. `\(input) | imgtool pack -o \(ShellQuote.word(copy)) - && \(invocation.commandLine(archive: copy))`"
    }

    /// A command line as messages repeat it: the subcommand, its arguments, and which of them
    /// is the archive.
    struct Invocation {
        /// The subcommand (`verify`).
        var command: String
        /// The arguments after the subcommand, as given.
        var arguments: [String]
        /// The position of the archive in ``arguments``, if there is one.
        var archiveIndex: Int?

        /// The archive argument (a path, or `-` for stdin).
        var archive: String? { archiveIndex.map { arguments[$0] } }

        /// This process's command line, when it runs a command that reads an archive.
        static var current: Invocation? { Invocation(Array(CommandLine.arguments.dropFirst())) }

        /// Finds the archive in `commandLine` (starting with the subcommand) as
        /// ``ArgumentScanner`` reads it; `nil` for an unknown subcommand.
        init?(_ commandLine: [String]) {
            guard let command = commandLine.first, let spec = CLI.commands.first(where: { $0.name == command }) else { return nil }
            self.command = command
            arguments = Array(commandLine.dropFirst())
            let positionals = Self.positionalIndices(arguments, spec: spec)
            archiveIndex = spec.arguments.firstIndex { $0.name == "archive" }.flatMap { $0 < positionals.count ? positionals[$0] : nil }
        }

        /// `imgtool <command> <arguments>` with the archive replaced by `archive`, shell-quoted.
        func commandLine(archive: String) -> String {
            var words = arguments
            if let archiveIndex { words[archiveIndex] = archive }
            return (["imgtool", command] + words).map(ShellQuote.word).joined(separator: " ")
        }

        /// Where the positional arguments are, skipping options and their values as
        /// ``ArgumentScanner/parse(_:spec:)`` does.
        static func positionalIndices(_ arguments: [String], spec: CommandSpec) -> [Int] {
            func option(_ name: String) -> CommandSpec.Option? { spec.allOptions.first { $0.names.contains(name) } }
            var result: [Int] = []
            var onlyPositionals = false
            var i = 0
            while i < arguments.count {
                let arg = arguments[i]
                i += 1
                if onlyPositionals || arg == "-" || !arg.hasPrefix("-") {
                    result.append(i - 1)
                } else if arg == "--" {
                    onlyPositionals = true
                } else if arg.hasPrefix("--") {
                    if !arg.contains("="), option(arg)?.valueName != nil, i < arguments.count,
                        !(arguments[i].hasPrefix("-") && arguments[i] != "-")
                    {
                        i += 1
                    }
                } else {
                    let letters = Array(arg.dropFirst())
                    for (k, letter) in letters.enumerated() {
                        guard let o = option("-" + String(letter)) else { break }
                        if o.valueName != nil {
                            if k == letters.count - 1 { i += 1 }
                            break
                        }
                    }
                }
            }
            return result
        }

    }
}
