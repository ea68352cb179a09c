import Foundation
import Testing

// Reading what a command printed.

/// The lines of `s`, without the empty one after the final newline.
func lines(_ s: String) -> [String] {
    var l = s.components(separatedBy: "\n")
    if l.last == "" { l.removeLast() }
    return l
}

/// Every line of `text` fits in 80 columns (help text and reports are documented as wrapped there).
func expectAtMost80Columns(_ text: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let long = lines(text).filter { $0.count > 80 }
    #expect(long.isEmpty, "\(what): lines over 80 columns: \(long)", sourceLocation: sourceLocation)
}
