import ByteIO
import ImageArchive
import ImageVerify
import OCI
import Ship

/// A command line that does not fit the command: printed with the usage, exit 64.
struct UsageError: Error {
    enum Reason {
        case unknownOption(String)
        case missingValue(String)
        case unexpectedValue(String)
        case missingArgument(String)
        case unexpectedArgument(String)
        case duplicateOption(String)
        case invalidValue(value: String, label: String, help: String)
        case unknownSubcommand(String)
        case missingSubcommand
        case custom(String)
    }

    var reason: Reason
    var spec: CommandSpec

    init(_ reason: Reason, spec: CommandSpec) {
        self.reason = reason
        self.spec = spec
    }

    /// The phrases are swift-argument-parser's.
    var message: String {
        switch reason {
        case .unknownOption(let o): "Unknown option '\(o)'"
        case .missingValue(let label): "Missing value for '\(label)'"
        case .unexpectedValue(let o): "The option '\(o)' does not take a value"
        case .missingArgument(let a): "Missing expected argument '<\(a)>'"
        case .unexpectedArgument(let a): "Unexpected argument '\(a)'"
        case .duplicateOption(let label): "The option '\(label)' may be given only once"
        case .invalidValue(let value, let label, _): "The value '\(value)' is invalid for '\(label)'"
        case .unknownSubcommand(let s): "Unknown subcommand '\(s)'"
        case .missingSubcommand: "Missing required subcommand."
        case .custom(let text): text
        }
    }

    /// The whole text for stderr.
    var text: String {
        var lines = ["Error: \(message)"]
        if case .invalidValue(_, let label, let help) = reason {
            lines.append("Help:  \(label)  \(help)")
        }
        lines.append("Usage: \(spec.usage)")
        let helpCommand = spec.name.isEmpty ? "imgtool --help" : "imgtool \(spec.name) --help"
        lines.append("  See '\(helpCommand)' for more information.")
        return lines.joined(separator: "\n") + "\n"
    }
}
