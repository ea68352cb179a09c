import Foundation
import OCI

/// Why a `--policy` file is not a policy, located: the line and column (1-based) of the value
/// or key at fault, the key path (`.metadataTest.envVars[0].value`), and what is wrong in
/// JSON's words ("expected an array, found a string").
public struct PolicyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The line of the document, from 1.
    public var line: Int
    /// The column of that line, from 1, in characters.
    public var column: Int
    /// The key path of the value at fault (`.arch`, `.fileExistenceTests[1]`); empty for the
    /// document itself or a syntax error.
    public var keyPath: String
    /// What is wrong, starting with `at <keyPath>: ` when there is a key path.
    public var reason: String

    /// `2:16: at .strictElf: expected true or false, found a number (1)`.
    public var description: String { "\(line):\(column): \(reason)" }
}

extension Policy {
    /// Decodes a policy from its JSON text.
    ///
    /// - Throws: A ``PolicyError`` for malformed JSON (where the syntax breaks), a value of the
    ///   wrong type or a missing key (the value's position and key path), an unknown key (the
    ///   key's position, the valid keys) and a `value` with `isRegex` that is no regular
    ///   expression.
    public static func decode(json data: Data) throws(PolicyError) -> Policy {
        do {
            return try JSONDecoder().decode(Policy.self, from: data)
        } catch let e as DecodingError {
            throw PolicyError(e, source: data)
        } catch {
            throw PolicyError(line: 1, column: 1, keyPath: "", reason: "\(error)")
        }
    }
}

extension PolicyError {
    /// Locates `error` in `source` and says what is wrong without Swift's decoding wording.
    init(_ error: DecodingError, source: Data) {
        let bytes = [UInt8](source)
        let context: DecodingError.Context
        var text: String
        var pointsAtKey = false
        switch error {
        case .typeMismatch(let type, let c):
            context = c
            text = "expected \(Self.jsonName(type))"
        case .valueNotFound(let type, let c):
            context = c
            text = "expected \(Self.jsonName(type)), found null"
        case .keyNotFound(let key, let c):
            context = c
            text = "missing key '\(key.stringValue)'"
        case .dataCorrupted(let c):
            context = c
            text = c.debugDescription
            pointsAtKey = text.hasPrefix("unknown key")
        @unknown default:
            self.init(line: 1, column: 1, keyPath: "", reason: "\(error)")
            return
        }
        let path = context.codingPath
        if case .dataCorrupted = error, path.isEmpty {
            // The decoder's "not valid JSON": find where the syntax breaks.
            let syntax = JSONLocator(bytes).syntaxError()
            let position = syntax?.position ?? JSONLocator.Position(line: 1, column: 1)
            self.init(
                line: position.line, column: position.column, keyPath: "",
                reason: "malformed JSON: " + (syntax?.reason ?? "not a JSON document"))
            return
        }
        let found = JSONLocator(bytes).find(path)
        if case .typeMismatch = error, let found { text += ", found \(found.description)" }
        let keyPath = Self.keyPath(path)
        let position = (pointsAtKey ? found?.key : nil) ?? found?.position ?? JSONLocator.Position(line: 1, column: 1)
        // An unknown key is named by the message; the path says which object it is in.
        let shown = pointsAtKey ? Self.keyPath(path.dropLast()) : keyPath
        let reason = shown.isEmpty ? text : "at \(shown): \(text)"
        self.init(line: position.line, column: position.column, keyPath: keyPath, reason: reason)
    }

    /// `.metadataTest.envVars[0]`.
    static func keyPath(_ path: some Collection<any CodingKey>) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
    }

    /// A Swift type as JSON calls what it decodes from.
    static func jsonName(_ type: Any.Type) -> String {
        switch "\(type)" {
        case "String": "a string"
        case "Bool": "true or false"
        case "Int", "Int64", "Int32", "UInt32": "an integer"
        case "Double", "Float": "a number"
        case let t where t.hasPrefix("Array"): "an array"
        case let t where t.hasPrefix("Dictionary"): "an object"
        case let t: t
        }
    }
}

/// Finds where a value of a JSON document starts, by its coding path, and where its syntax
/// breaks: a small parser that keeps positions only. As lenient as Foundation's decoder
/// (trailing commas); nesting is limited to ``maximumDepth``.
struct JSONLocator {
    /// A 1-based line and column (in characters).
    struct Position: Equatable {
        var line: Int
        var column: Int
    }

    /// A value found at a coding path.
    struct Found {
        /// Where the value starts.
        var position: Position
        /// Where its key starts, for an object member.
        var key: Position?
        /// `a string ("x")`, `an object`, `a number (1)`.
        var description: String
    }

    static let maximumDepth = 512

    private let bytes: [UInt8]
    private var i = 0
    private var line = 1
    private var lineStart = 0
    /// What ``find(_:)`` looks for, and what it found.
    private var target: [String]?
    private var found: Found?
    private var failure: (position: Position, reason: String)?

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The first place the document is not JSON, and why; `nil` if it parses.
    func syntaxError() -> (position: Position, reason: String)? {
        var p = self
        p.document()
        return p.failure
    }

    /// The value at `path` (keys and array indices), if the document holds one.
    func find(_ path: [any CodingKey]) -> Found? {
        var p = self
        p.target = path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
        p.document()
        return p.found
    }

    private var position: Position {
        // Columns count characters: skip UTF-8 continuation bytes.
        let column = bytes[lineStart..<min(i, bytes.count)].reduce(1) { $0 + (($1 & 0xC0) == 0x80 ? 0 : 1) }
        return Position(line: line, column: column)
    }

    private mutating func fail(_ reason: String) {
        if failure == nil { failure = (position, reason) }
    }

    private mutating func document() {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
        skipSpace()
        guard i < bytes.count else { return fail("the document is empty") }
        value(path: [], key: nil, depth: 0)
        skipSpace()
        if failure == nil, i < bytes.count { fail("unexpected \(shown()) after the end of the document") }
    }

    private mutating func skipSpace() {
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x09, 0x0D: i += 1
            case 0x0A:
                i += 1
                line += 1
                lineStart = i
            default: return
            }
        }
    }

    private func shown() -> String {
        guard i < bytes.count else { return "end of file" }
        let b = bytes[i]
        return b >= 0x21 && b < 0x7F ? "'\(Character(UnicodeScalar(b)))'" : "byte 0x\(String(b, radix: 16))"
    }

    private mutating func value(path: [String], key: Position?, depth: Int) {
        guard failure == nil, found == nil else { return }
        guard depth < Self.maximumDepth else { return fail("nested more than \(Self.maximumDepth) levels deep") }
        let start = position
        let startIndex = i
        let isTarget = target == path
        guard i < bytes.count else { return fail("expected a value, found the end of file") }
        var kind: String
        switch bytes[i] {
        case UInt8(ascii: "{"):
            kind = "an object"
            if isTarget { break }
            object(path: path, depth: depth)
        case UInt8(ascii: "["):
            kind = "an array"
            if isTarget { break }
            array(path: path, depth: depth)
        case UInt8(ascii: "\""):
            kind = "a string"
            string()
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            kind = "a boolean"
            word(bytes[i] == UInt8(ascii: "t") ? "true" : "false")
        case UInt8(ascii: "n"):
            kind = "null"
            word("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            kind = "a number"
            number()
        default:
            return fail("expected a value, found \(shown())")
        }
        if isTarget {
            if i > startIndex, i - startIndex <= 40 {
                kind += " (\(String(decoding: bytes[startIndex..<i], as: UTF8.self)))"
            }
            found = Found(position: start, key: key, description: kind)
        }
    }

    private mutating func object(path: [String], depth: Int) {
        i += 1
        skipSpace()
        while failure == nil, found == nil {
            guard i < bytes.count else { return fail("expected a key or '}', found the end of file") }
            if bytes[i] == UInt8(ascii: "}") {
                i += 1
                return
            }
            guard bytes[i] == UInt8(ascii: "\"") else { return fail("expected a key in double quotes or '}', found \(shown())") }
            let keyPosition = position
            let keyStart = i + 1
            string()
            guard failure == nil else { return }
            let name = String(decoding: bytes[keyStart..<(i - 1)], as: UTF8.self)
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return fail("expected ':' after the key, found \(shown())") }
            i += 1
            skipSpace()
            let memberPath = path + [name]
            value(path: memberPath, key: keyPosition, depth: depth + 1)
            skipSpace()
            guard failure == nil, found == nil else { return }
            guard i < bytes.count else { return fail("expected ',' or '}', found the end of file") }
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
                skipSpace()
            } else if bytes[i] != UInt8(ascii: "}") {
                return fail("expected ',' or '}', found \(shown())")
            }
        }
    }

    private mutating func array(path: [String], depth: Int) {
        i += 1
        skipSpace()
        var index = 0
        while failure == nil, found == nil {
            guard i < bytes.count else { return fail("expected a value or ']', found the end of file") }
            if bytes[i] == UInt8(ascii: "]") {
                i += 1
                return
            }
            value(path: path + ["[\(index)]"], key: nil, depth: depth + 1)
            index += 1
            skipSpace()
            guard failure == nil, found == nil else { return }
            guard i < bytes.count else { return fail("expected ',' or ']', found the end of file") }
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
                skipSpace()
            } else if bytes[i] != UInt8(ascii: "]") {
                return fail("expected ',' or ']', found \(shown())")
            }
        }
    }

    /// A string, from its opening quote to after its closing one.
    private mutating func string() {
        i += 1
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\""):
                i += 1
                return
            case UInt8(ascii: "\\"): i += 2
            case 0x0A: return fail("a string runs to the end of the line (a missing '\"'?)")
            default: i += 1
            }
        }
        fail("a string runs to the end of file (a missing '\"'?)")
    }

    private mutating func word(_ w: String) {
        let expected = Array(w.utf8)
        guard bytes[i...].starts(with: expected) else { return fail("expected a value, found \(shown())") }
        i += expected.count
    }

    private mutating func number() {
        let start = i
        while i < bytes.count, "+-.eE0123456789".utf8.contains(bytes[i]) { i += 1 }
        let text = bytes[start..<i]
        if text.count > 1, text.first == UInt8(ascii: "0"), text.dropFirst().first.map({ $0 >= 0x30 && $0 <= 0x39 }) == true {
            i = start
            fail("a number with a leading zero")
        } else if Double(String(decoding: text, as: UTF8.self)) == nil {
            i = start
            fail("expected a value, found \(shown())")
        }
    }
}
