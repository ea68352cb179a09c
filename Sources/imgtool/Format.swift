import ByteIO
import Foundation
import ImageArchive
import ImageVerify
import OCI

/// Number formatting for people, without Foundation's `String(format:)` (which races under
/// parallel tests on Linux, swift-corelibs-foundation#5152).
enum Format {
    /// `1.2 MB`, with SI units as `docker images` shows sizes.
    static func bytes(_ n: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(n)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        if unit == 0 { return "\(n) B" }
        return "\(decimal(value, places: value < 10 ? 2 : 1)) \(units[unit])"
    }

    /// `12,345`.
    static func count(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// `1 entry`, `2,345 entries`.
    static func plural(_ n: Int, _ one: String, _ many: String) -> String {
        "\(count(n)) \(n == 1 ? one : many)"
    }

    /// A fixed-point decimal.
    static func decimal(_ value: Double, places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int64((value * scale).rounded())
        let whole = scaled / Int64(scale)
        var frac = String(scaled % Int64(scale))
        while frac.count < places { frac = "0" + frac }
        return places == 0 ? "\(whole)" : "\(whole).\(frac)"
    }

    /// `30s`, `1m30s`, `250ms` for a duration in nanoseconds.
    static func duration(nanoseconds: Int64) -> String {
        if nanoseconds % 1_000_000_000 != 0 && nanoseconds < 1_000_000_000 { return "\(nanoseconds / 1_000_000)ms" }
        var s = nanoseconds / 1_000_000_000
        var out = ""
        if s >= 3600 {
            out += "\(s / 3600)h"
            s %= 3600
        }
        if s >= 60 {
            out += "\(s / 60)m"
            s %= 60
        }
        if s > 0 || out.isEmpty { out += "\(s)s" }
        return out
    }

    /// A JSON-ish rendering of a string array: `["node", "server.js"]`.
    static func list(_ items: [String]) -> String {
        "["
            + items.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ", ") + "]"
    }
}
