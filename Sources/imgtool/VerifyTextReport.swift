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
        var skipped = 0
        for r in reports {
            out += "\(path == "-" ? "stdin" : path): \(r.title)\n"
            for c in r.checks {
                total += 1
                let word = c.status.word
                if c.status == .failed { failed += 1 }
                if c.status == .skipped { skipped += 1 }
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
        out += summary(total: total, failed: failed, skipped: skipped) + "\n"
        return out
    }

    /// The verdict line: skipped checks counted apart (`verify: 3 checks passed, 2 skipped`,
    /// `verify: 1 of 5 checks failed, 3 skipped`); `verify: all 5 checks passed` when none was
    /// skipped.
    static func summary(total: Int, failed: Int, skipped: Int) -> String {
        let also = skipped > 0 ? ", \(skipped) skipped" : ""
        if failed > 0 { return "verify: \(failed) of \(total) check\(total == 1 ? "" : "s") failed\(also)" }
        if skipped == 0 { return "verify: all \(total) check\(total == 1 ? "" : "s") passed" }
        let ran = total - skipped
        return "verify: \(ran) check\(ran == 1 ? "" : "s") passed\(also)"
    }
}

extension CheckResult.Status {
    /// The four letters of a report row: `PASS`, `FAIL`, `SKIP`, `WARN`.
    var word: String {
        switch self {
        case .passed: "PASS"
        case .failed: "FAIL"
        case .skipped: "SKIP"
        case .warning: "WARN"
        }
    }
}
