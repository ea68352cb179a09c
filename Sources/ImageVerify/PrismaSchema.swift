// Source: Prisma schema reference, generator block fields
// (https://www.prisma.io/docs/orm/reference/prisma-schema-reference#generator).
import ByteIO
import ImageArchive
import OCI
import Tar

/// The generator blocks of a `schema.prisma`, read leniently (only what `verify` needs).
public struct PrismaSchema: Sendable, Equatable {
    /// One `generator <name> { ... }` block.
    public struct Generator: Sendable, Equatable {
        /// The block's name (`client`).
        public var name: String
        /// `provider` (`prisma-client-js`, `prisma-client`).
        public var provider: String?
        /// `output`, as written (relative to the schema's directory).
        public var output: String?
        /// `engineType` (`library`, `binary`, `client`).
        public var engineType: String?
        /// `binaryTargets`.
        public var binaryTargets: [String]
    }

    /// The generators, in file order.
    public var generators: [Generator]

    /// The client generator: the first whose provider is `prisma-client-js` or `prisma-client`, else the first.
    public var client: Generator? {
        generators.first { $0.provider == "prisma-client-js" || $0.provider == "prisma-client" } ?? generators.first
    }

    /// Parses schema text.
    /// - Parameter text: The schema.
    public init(parsing text: String) {
        var generators: [Generator] = []
        var current: Generator? = nil
        var pendingKey: String? = nil
        var pendingValue = ""
        for rawLine in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let line = Self.stripComment(rawLine).schemaTrimmed
            if line.isEmpty { continue }
            if var g = current {
                if let key = pendingKey {
                    pendingValue += " " + line
                    if line.contains("]") {
                        Self.set(key, pendingValue, in: &g)
                        pendingKey = nil
                    }
                    current = g
                    continue
                }
                if line.hasPrefix("}") {
                    generators.append(g)
                    current = nil
                    continue
                }
                guard let eq = line.firstIndex(of: "=") else { continue }
                let key = line[..<eq].schemaTrimmed
                let value = line[line.index(after: eq)...].schemaTrimmed
                if value.hasPrefix("[") && !value.contains("]") {
                    pendingKey = key
                    pendingValue = value
                } else {
                    Self.set(key, value, in: &g)
                }
                current = g
            } else {
                let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                if words.count >= 2, words[0] == "generator", line.hasSuffix("{") {
                    current = Generator(
                        name: String(words[1]).replacingBrace, provider: nil, output: nil, engineType: nil, binaryTargets: [])
                }
            }
        }
        if let current { generators.append(current) }
        self.generators = generators
    }

    private static func set(_ key: String, _ value: String, in g: inout Generator) {
        switch key {
        case "provider": g.provider = quoted(value)
        case "output": g.output = quoted(value)
        case "engineType": g.engineType = quoted(value)
        case "binaryTargets": g.binaryTargets = strings(value)
        default: break
        }
    }

    /// The string of `"x"`; `nil` for `env("X")` and other non-literals.
    static func quoted(_ value: String) -> String? {
        guard value.hasPrefix("\""), let end = value.dropFirst().firstIndex(of: "\"") else { return nil }
        return String(value[value.index(after: value.startIndex)..<end])
    }

    /// Every quoted string in `value`.
    static func strings(_ value: String) -> [String] {
        var result: [String] = []
        var inside = false
        var current = ""
        for c in value {
            if c == "\"" {
                if inside { result.append(current) }
                current = ""
                inside.toggle()
            } else if inside {
                current.append(c)
            }
        }
        return result
    }

    /// The line without a `//` comment (outside quotes).
    static func stripComment(_ line: Substring) -> Substring {
        var inside = false
        var previousSlash = false
        for i in line.indices {
            let c = line[i]
            if c == "\"" { inside.toggle() }
            if !inside && c == "/" {
                if previousSlash { return line[..<line.index(before: i)] }
                previousSlash = true
            } else {
                previousSlash = false
            }
        }
        return line
    }
}

extension StringProtocol {
    var schemaTrimmed: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}

extension String {
    fileprivate var replacingBrace: String { self.hasSuffix("{") ? String(self.dropLast()) : self }
}
