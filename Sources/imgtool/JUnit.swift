import ImageArchive
import ImageVerify
import OCI

/// JUnit XML, as CI systems (GitLab, Jenkins, GitHub test reporters) display it.
enum JUnit {
    /// The document: a testsuite per image (`path: title`), a testcase per check; the
    /// `archiveChecks` (a failed `read` or `select`) in a testsuite named after `path` alone.
    static func render(path: String, reports: [ImageVerdict], archiveChecks: [CheckResult] = []) -> String {
        var suites = reports.map { (name: path + ": " + $0.title, checks: $0.checks) }
        if !archiveChecks.isEmpty { suites.insert((name: path, checks: archiveChecks), at: 0) }
        let tests = suites.reduce(0) { $0 + $1.checks.count }
        let failures = suites.reduce(0) { $0 + $1.checks.filter { $0.status == .failed }.count }
        let skipped = suites.reduce(0) { $0 + $1.checks.filter { $0.status == .skipped }.count }
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"imgtool verify\" tests=\"\(tests)\" failures=\"\(failures)\" skipped=\"\(skipped)\">\n"
        for suite in suites {
            let f = suite.checks.filter { $0.status == .failed }.count
            let s = suite.checks.filter { $0.status == .skipped }.count
            xml +=
                "  <testsuite name=\"\(escape(suite.name))\" tests=\"\(suite.checks.count)\" failures=\"\(f)\" skipped=\"\(s)\">\n"
            for c in suite.checks {
                xml += "    <testcase classname=\"imgtool.verify\" name=\"\(escape(c.id + (c.subject.map { " " + $0 } ?? "")))\">"
                let detail = "expected: \(c.expected)\nfound: \(c.found)" + (c.fix.map { "\nfix: \($0)" } ?? "")
                switch c.status {
                case .failed:
                    xml += "\n      <failure message=\"\(escape(c.message))\">\(escape(detail))</failure>\n    "
                case .skipped:
                    xml += "\n      <skipped message=\"\(escape(c.message))\"/>\n    "
                default:
                    xml += "<system-out>\(escape(c.message))</system-out>"
                }
                xml += "</testcase>\n"
            }
            xml += "  </testsuite>\n"
        }
        return xml + "</testsuites>\n"
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                // XML 1.0 forbids most control characters.
                if ch.value < 0x20 && ch != "\n" && ch != "\t" && ch != "\r" { out += "?" } else { out.unicodeScalars.append(ch) }
            }
        }
        return out
    }
}
