import ByteIO
import Foundation
import ImageArchive
import ImageVerify
import OCI
import Ship

/// Help in swift-argument-parser's layout: OVERVIEW, USAGE, ARGUMENTS, OPTIONS, SUBCOMMANDS,
/// rows indented two spaces with descriptions at column 26, wrapped at 80.
enum HelpText {
    static let width = 80
    static let column = 26

    static func render(_ spec: CommandSpec, subcommands: [CommandSpec] = [], extra: [String] = []) -> String {
        var out = wrap("OVERVIEW: \(spec.abstract)", indent: 0, first: 0) + "\n"
        if let d = spec.discussion { out += "\n" + wrap(d, indent: 0, first: 0) + "\n" }
        // An option and its value stay on one line: wrap on a no-break space between them.
        let usage = spec.usage.replacingOccurrences(of: " <", with: "\u{00A0}<")
        let wrapped = wrap("USAGE: " + usage, indent: 9, first: 0).replacingOccurrences(of: "\u{00A0}", with: " ")
        out += "\n" + wrapped + "\n"
        if !spec.arguments.isEmpty {
            out += "\nARGUMENTS:\n"
            for a in spec.arguments { out += row(a.label, a.help) }
        }
        out += "\nOPTIONS:\n"
        for o in spec.allOptions { out += row(o.label, o.help) }
        if !subcommands.isEmpty {
            out += "\nSUBCOMMANDS:\n"
            for s in subcommands { out += row(s.name, s.abstract) }
            out += "\n  See 'imgtool help <subcommand>' for detailed help.\n"
        }
        for block in extra { out += "\n" + block + "\n" }
        return out
    }

    static func row(_ label: String, _ help: String) -> String {
        let lead = "  " + label
        if lead.count >= column - 1 {
            return lead + "\n" + wrap(help, indent: column, first: column) + "\n"
        }
        let pad = String(repeating: " ", count: column - lead.count)
        return lead + pad + wrap(help, indent: column, first: 0) + "\n"
    }

    /// Wraps words at 80 columns; continuation lines are indented by `indent`, the first by `first`.
    static func wrap(_ text: String, indent: Int, first: Int) -> String {
        var lines: [String] = []
        var line = String(repeating: " ", count: first)
        var lineHasWord = false
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            let widthSoFar = (lines.isEmpty ? (first == 0 ? indent : first) : indent) + (line.count - (lines.isEmpty ? first : indent))
            if lineHasWord && widthSoFar + 1 + word.count > width {
                lines.append(line)
                line = String(repeating: " ", count: indent)
                lineHasWord = false
            }
            if lineHasWord { line += " " }
            line += word
            lineHasWord = true
        }
        lines.append(line)
        return lines.joined(separator: "\n")
    }
}
