import ImageArchive
import ImageVerify
import OCI

/// The text `verify` prints.
enum VerifyTextReport {
    /// The text report: a block per image, a row per check, and the verdict line.
    static func render(path: String, reports: [ImageVerdict], passed: Bool) -> String {
        var out = ""
        var failed = 0
        var total = 0
        for r in reports {
            out += "\(path == "-" ? "stdin" : path): \(r.title)\n"
            for c in r.checks {
                total += 1
                let word: String =
                    switch c.status {
                    case .passed: "PASS"
                    case .failed: "FAIL"
                    case .skipped: "SKIP"
                    case .warning: "WARN"
                    }
                if c.status == .failed { failed += 1 }
                var t = TextReport(labelWidth: 23)
                let label = word + "  " + c.id
                t.row(label, c.message)
                if c.status != .passed {
                    t.row("", "expected: \(c.expected)")
                    t.row("", "found: \(c.found)")
                    if let fix = c.fix { t.row("", "fix: \(fix)") }
                }
                out += t.text
            }
            if !r.elfCensus.isEmpty {
                let census = r.elfCensus.keys.sorted().map { "\($0) \(r.elfCensus[$0] ?? 0)" }.joined(separator: ", ")
                var t = TextReport(labelWidth: 23)
                t.row("ELF files", census)
                out += t.text
            }
        }
        out += passed ? "verify: all \(total) checks passed\n" : "verify: \(failed) of \(total) checks failed\n"
        return out
    }
}
