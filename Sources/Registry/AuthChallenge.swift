/// A `WWW-Authenticate` header: `Basic realm="…"`, or `Bearer realm="…",service="…",scope="…"`
/// (the distribution registry's token flow, distribution `docs/spec/auth/token.md`).
public struct AuthChallenge: Sendable, Equatable {
    /// `basic` or `bearer` (lowercased); anything else is kept as given.
    public var scheme: String
    /// The parameters, names lowercased.
    public var parameters: [String: String]

    /// The `realm` parameter: for a bearer challenge, the token server's URL.
    public var realm: String? { parameters["realm"] }

    /// Parses the first challenge of a header.
    ///
    /// - Parameter header: The header's value.
    /// - Returns: `nil` for an empty header.
    public init?(parsing header: String) {
        var rest = Substring(header).drop { $0 == " " }
        let schemeEnd = rest.firstIndex(of: " ") ?? rest.endIndex
        guard schemeEnd > rest.startIndex else { return nil }
        scheme = rest[..<schemeEnd].lowercased()
        rest = rest[schemeEnd...]
        var parameters: [String: String] = [:]
        while true {
            rest = rest.drop { $0 == " " || $0 == "," }
            guard let eq = rest.firstIndex(of: "=") else { break }
            let name = rest[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            rest = rest[rest.index(after: eq)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                var escaped = false
                while let c = rest.first {
                    rest = rest.dropFirst()
                    if escaped {
                        value.append(c)
                        escaped = false
                    } else if c == "\\" {
                        escaped = true
                    } else if c == "\"" {
                        break
                    } else {
                        value.append(c)
                    }
                }
            } else {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                value = rest[..<end].trimmingCharacters(in: .whitespaces)
                rest = rest[end...]
            }
            parameters[name] = value
        }
        self.parameters = parameters
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in set: CharacterSetLite) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}

/// The one set of characters trimmed here (Foundation's `CharacterSet` is not needed for it).
private struct CharacterSetLite {
    static let whitespaces = CharacterSetLite()
    func contains(_ c: Character) -> Bool { c == " " || c == "\t" }
}
