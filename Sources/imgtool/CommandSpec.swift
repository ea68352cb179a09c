import ImageArchive
import ImageVerify
import OCI
import Ship

/// What a command accepts, from which both parsing and help are derived.
struct CommandSpec {
    struct Argument {
        var name: String
        var help: String
        var optional = false
        /// Takes every remaining positional (`<destination> ...`); only the last argument.
        var variadic = false

        var label: String { variadic ? "<\(name)> ..." : "<\(name)>" }
    }

    struct Option {
        /// Names such as `["-R", "--recursive"]`.
        var names: [String]
        /// The value's name (`platform`), or nil for a flag.
        var valueName: String?
        var help: String
        var repeatable = false
        /// Whether the command cannot run without it (the command checks; usage shows it unbracketed).
        var isRequired = false

        var label: String {
            let joined = names.joined(separator: ", ")
            return valueName.map { "\(joined) <\($0)>" } ?? joined
        }
        /// The name the parsed values are stored under: the long name without dashes.
        var key: String { (names.last ?? "").trimmingLeadingDashes }
    }

    var name: String
    var abstract: String
    var discussion: String? = nil
    var arguments: [Argument] = []
    var options: [Option] = []

    static let help = Option(names: ["-h", "--help"], valueName: nil, help: "Show help information.")

    var allOptions: [Option] { options + [Self.help] }

    var commandPath: String { name.isEmpty ? "imgtool" : "imgtool \(name)" }

    /// `imgtool inspect [--json] [--platform <platform>] <archive>`
    var usage: String {
        if name.isEmpty { return "imgtool <subcommand>" }
        var parts = [commandPath]
        for o in options {
            let first = o.names.last ?? ""
            let body = o.valueName.map { "\(first) <\($0)>" } ?? first
            parts.append(o.isRequired ? body : o.repeatable ? "[\(body) ...]" : "[\(body)]")
        }
        for a in arguments { parts.append(a.optional ? "[\(a.label)]" : a.label) }
        return parts.joined(separator: " ")
    }
}

extension String {
    var trimmingLeadingDashes: String { String(drop(while: { $0 == "-" })) }
}
