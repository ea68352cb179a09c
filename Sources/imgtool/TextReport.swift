import ByteIO
import Foundation
import ImageArchive
import ImageVerify
import OCI
import Ship

/// Builds the text output: `label  value` rows, wrapped at 80 columns.
struct TextReport {
    private(set) var text = ""
    static let width = 80
    let labelWidth: Int

    init(labelWidth: Int = 12) { self.labelWidth = labelWidth }

    mutating func line(_ s: String = "") { text += s + "\n" }

    /// A row; long values wrap at word boundaries, continuation lines aligned with the value.
    /// A single word longer than the space left (a digest) goes whole on the next line.
    mutating func row(_ label: String, _ value: String, indent: Int = 2, labelWidth: Int? = nil) {
        let width = labelWidth ?? self.labelWidth
        let paragraphs = value.split(separator: "\n", omittingEmptySubsequences: true)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if paragraphs.count > 1 {
            // Each line of a multi-line value is wrapped in the value column on its own.
            row(label, paragraphs[0], indent: indent, labelWidth: width)
            for p in paragraphs.dropFirst() { row("", p, indent: indent, labelWidth: width) }
            return
        }
        if width > 0 && label.count >= width {
            // A label too long for its column gets a line of its own.
            text += String(repeating: " ", count: indent) + label + "\n"
            row("", value, indent: indent, labelWidth: width)
            return
        }
        let lead = String(repeating: " ", count: indent) + label.padding(toLength: width, withPad: " ", startingAt: 0)
        let valueColumn = lead.count
        let room = Self.width - valueColumn
        var lines: [String] = []
        var current = ""
        for word in value.split(separator: " ", omittingEmptySubsequences: false).map(String.init) {
            if current.isEmpty {
                current = word
                continue
            }
            if current.count + 1 + word.count > room {
                lines.append(current)
                current = word
            } else {
                current += " " + word
            }
        }
        lines.append(current)
        if lines.count == 1 && lines[0].count > room && lines[0].count <= Self.width - indent - 2 {
            text += lead.trimmingTrailingSpaces + "\n" + String(repeating: " ", count: indent + 2) + lines[0] + "\n"
            return
        }
        let pad = String(repeating: " ", count: valueColumn)
        text += lead + lines[0] + "\n"
        for l in lines.dropFirst() { text += pad + l + "\n" }
    }
}

extension String {
    var trimmingTrailingSpaces: String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
