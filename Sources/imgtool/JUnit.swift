import ImageArchive
import ImageVerify
import OCI

/// JUnit XML, as CI systems (GitLab, Jenkins, GitHub test reporters) display it.
enum JUnit {
    static func render(path: String, reports: [ImageVerdict]) -> String {
        let tests = reports.reduce(0) { $0 + $1.checks.count }
        let failures = reports.reduce(0) { $0 + $1.checks.filter { $0.status == .failed }.count }
        let skipped = reports.reduce(0) { $0 + $1.checks.filter { $0.status == .skipped }.count }
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"imgtool verify\" tests=\"\(tests)\" failures=\"\(failures)\" skipped=\"\(skipped)\">\n"
        for r in reports {
            let f = r.checks.filter { $0.status == .failed }.count
            let s = r.checks.filter { $0.status == .skipped }.count
            xml +=
                "  <testsuite name=\"\(escape(path + ": " + r.title))\" tests=\"\(r.checks.count)\" failures=\"\(f)\" skipped=\"\(s)\">\n"
            for c in r.checks {
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
