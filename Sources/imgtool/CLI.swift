import Gzip
import ImageTar

/// Dispatches `imgtool <subcommand> ...`; every command returns its exit code.
enum CLI {
    static let version = "0.1.0"

    static let root = CommandSpec(
        name: "", abstract: "Inspect, verify and ship container image archives.",
        discussion: "Reads `docker save` and OCI archives (.tar or .tar.gz, a file or - for stdin) in one streaming pass, checking every digest on the way.",
        options: [CommandSpec.Option(names: ["--version"], valueName: nil, help: "Show the version.")])

    static var commands: [CommandSpec] { [InspectCommand.spec, VerifyCommand.spec, PackCommand.spec, ShipCommand.spec, LsCommand.spec, CatCommand.spec] }

    static func run(_ arguments: [String], io: Output) -> Int32 {
        guard let first = arguments.first else {
            io.out(HelpText.render(root, subcommands: commands, extra: [ExitCode.helpTable]))
            return ExitCode.success.rawValue
        }
        switch first {
        case "-h", "--help":
            io.out(HelpText.render(root, subcommands: commands, extra: [ExitCode.helpTable]))
            return ExitCode.success.rawValue
        case "--version":
            io.out(version + "\n")
            return ExitCode.success.rawValue
        case "help":
            guard arguments.count > 1 else {
                io.out(HelpText.render(root, subcommands: commands, extra: [ExitCode.helpTable]))
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

    static func helpText(_ spec: CommandSpec) -> String {
        HelpText.render(spec, extra: [ExitCode.helpTable])
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
        guard let p = Platform(parsing: text) else {
            throw UsageError(.invalidValue(value: text, label: "--platform <platform>", help: "os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8"), spec: spec)
        }
        return p
    }

    /// Prints an archive error as one line on stderr and returns its exit code.
    static func fail(_ error: any Error, io: Output) -> Int32 {
        if let e = error as? ArchiveError {
            io.err("Error: \(e)\n")
            return ExitCode(e.kind).rawValue
        }
        if let e = error as? GzipError, case .io = e {
            io.err("Error: \(e)\n")
            return ExitCode.io.rawValue
        }
        io.err("Error: \(error)\n")
        return ExitCode.checkFailed.rawValue
    }
}
