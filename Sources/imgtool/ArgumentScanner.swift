import ByteIO
import ImageArchive
import ImageVerify
import OCI
import Ship

/// The parsed command line of one command.
struct ParsedArguments {
    var flags: Set<String> = []
    var values: [String: [String]] = [:]
    var positionals: [String] = []

    func flag(_ key: String) -> Bool { flags.contains(key) }
    func value(_ key: String) -> String? { values[key]?.last }
    func all(_ key: String) -> [String] { values[key] ?? [] }
}

/// A hand-written parser with swift-argument-parser's behaviour and phrases: `--opt value`,
/// `--opt=value`, combined short flags, `--` ending the options, `-` as a positional (stdin).
enum ArgumentScanner {
    static func parse(_ arguments: [String], spec: CommandSpec) throws(UsageError) -> ParsedArguments {
        var parsed = ParsedArguments()
        var i = 0
        var onlyPositionals = false
        func option(named name: String) -> CommandSpec.Option? {
            spec.allOptions.first { $0.names.contains(name) }
        }
        while i < arguments.count {
            let arg = arguments[i]
            i += 1
            if onlyPositionals || arg == "-" || !arg.hasPrefix("-") {
                parsed.positionals.append(arg)
                continue
            }
            if arg == "--" {
                onlyPositionals = true
                continue
            }
            if arg.hasPrefix("--") {
                var name = arg
                var inline: String?
                if let eq = arg.firstIndex(of: "=") {
                    name = String(arg[..<eq])
                    inline = String(arg[arg.index(after: eq)...])
                }
                guard let o = option(named: name) else { throw UsageError(.unknownOption(name), spec: spec) }
                if o.valueName != nil {
                    if let inline {
                        parsed.values[o.key, default: []].append(inline)
                    } else if i < arguments.count, !(arguments[i].hasPrefix("-") && arguments[i] != "-") {
                        parsed.values[o.key, default: []].append(arguments[i])
                        i += 1
                    } else {
                        throw UsageError(.missingValue(o.label), spec: spec)
                    }
                } else {
                    if inline != nil { throw UsageError(.unexpectedValue(name), spec: spec) }
                    parsed.flags.insert(o.key)
                }
                continue
            }
            // Short options: -h, -R, or combined -Rh; a short option with a value takes the rest or the next argument.
            let letters = Array(arg.dropFirst())
            var k = 0
            while k < letters.count {
                let name = "-" + String(letters[k])
                guard let o = option(named: name) else { throw UsageError(.unknownOption(name), spec: spec) }
                if o.valueName != nil {
                    let rest = String(letters[(k + 1)...])
                    if !rest.isEmpty {
                        parsed.values[o.key, default: []].append(rest)
                    } else if i < arguments.count {
                        parsed.values[o.key, default: []].append(arguments[i])
                        i += 1
                    } else {
                        throw UsageError(.missingValue(o.label), spec: spec)
                    }
                    break
                }
                parsed.flags.insert(o.key)
                k += 1
            }
        }
        if parsed.flags.contains("help") { return parsed }
        let required = spec.arguments.filter { !$0.optional }.count
        if parsed.positionals.count < required {
            throw UsageError(.missingArgument(spec.arguments[parsed.positionals.count].name), spec: spec)
        }
        let maximum = spec.arguments.count
        if parsed.positionals.count > maximum && spec.arguments.last?.variadic != true {
            throw UsageError(.unexpectedArgument(parsed.positionals[maximum]), spec: spec)
        }
        for o in spec.options where !o.repeatable {
            if let v = parsed.values[o.key], v.count > 1 {
                throw UsageError(.duplicateOption(o.label), spec: spec)
            }
        }
        return parsed
    }
}
