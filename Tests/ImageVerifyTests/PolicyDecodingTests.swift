import Foundation
import ImageVerify
import Testing

/// `Policy.decode(json:)`: every way a policy can be wrong is a `PolicyError` with the line and
/// column of the value (or key) at fault, its key path, and JSON's words, never Swift's
/// decoding sentences; a policy that could only fail its check silently is refused here.
@Suite struct PolicyDecodingTests {
    static func error(_ json: String) throws -> PolicyError {
        do {
            _ = try Policy.decode(json: Data(json.utf8))
        } catch {
            return error
        }
        throw PolicyTestFailure(json: json)
    }

    struct PolicyTestFailure: Error { var json: String }

    @Test(arguments: [
        // The wrong shape.
        (#"{"require": "x"}"#, 1, 13, ".require", #"at .require: expected an array, found a string ("x")"#),
        ("{\n  \"strictElf\": 1\n}", 2, 16, ".strictElf", "at .strictElf: expected true or false, found a number (1)"),
        (#"{"require": [1]}"#, 1, 14, ".require[0]", "at .require[0]: expected a string, found a number (1)"),
        ("[1]", 1, 1, "", "expected an object, found an array"),
        (
            #"{"metadataTest": {"envVars": [{"key": 3}]}}"#, 1, 39, ".metadataTest.envVars[0].key",
            "at .metadataTest.envVars[0].key: expected a string, found a number (3)"
        ),
        (
            #"{"fileExistenceTests": [{"shouldExist": true}]}"#, 1, 25, ".fileExistenceTests[0]",
            "at .fileExistenceTests[0]: missing key 'path'"
        ),
        // Values whose check could only fail, or pass, silently.
        (
            "{\"metadataTest\":\n {\"envVars\": [{\"key\": \"B\", \"value\": \"*a\", \"isRegex\": true}]}}", 2, 37,
            ".metadataTest.envVars[0].value",
            "at .metadataTest.envVars[0].value: invalid regular expression '*a': quantifier '*' must appear after expression"
        ),
        (
            #"{"metadataTest": {"labels": [{"key": "v", "value": "a(", "isRegex": true}]}}"#, 1, 52, ".metadataTest.labels[0].value",
            "at .metadataTest.labels[0].value: invalid regular expression 'a(': expected ')'"
        ),
        (#"{"prisma": "maybe"}"#, 1, 12, ".prisma", #"at .prisma: expected "auto", "force" or "off", found "maybe""#),
        (
            #"{"fileExistenceTests": [{"path": "/x", "isExecutableBy": "everyone"}]}"#, 1, 58, ".fileExistenceTests[0].isExecutableBy",
            #"at .fileExistenceTests[0].isExecutableBy: expected "owner", "group", "other" or "any", found "everyone""#
        ),
        // Unknown keys: the key's own position; the message says which object.
        (
            "{\n  \"metadataTest\": {\n    \"userNotRot\": true}}", 3, 5, ".metadataTest.userNotRot",
            "at .metadataTest: unknown key 'userNotRot'"
        ),
        // Malformed JSON: where the syntax breaks.
        ("{\n \"arch\": tru }", 2, 10, "", "malformed JSON: expected a value, found 't'"),
        (#"{"arch": "amd64" "x": 1}"#, 1, 18, "", #"malformed JSON: expected ',' or '}', found '"'"#),
        (#"{"arch": "amd64""#, 1, 17, "", "malformed JSON: expected ',' or '}', found the end of file"),
        ("", 1, 1, "", "malformed JSON: the document is empty"),
        ("{\"a\": \"é\" x}", 1, 11, "", "malformed JSON: expected ',' or '}', found 'x'"),
    ])
    func locatedErrors(_ json: String, _ line: Int, _ column: Int, _ keyPath: String, _ reason: String) throws {
        let e = try Self.error(json)
        #expect(e.line == line, "\(e)")
        #expect(e.column == column, "\(e)")
        #expect(e.keyPath == keyPath, "\(e)")
        #expect(e.reason.hasPrefix(reason), "\(e)")
        for swiftWords in ["Expected to decode", "The given data", "Index ", "Cannot initialize", "not valid JSON"] {
            #expect(!e.description.contains(swiftWords), "\(e)")
        }
    }

    /// Valid regular expressions and values decode as before.
    @Test func validPolicyDecodes() throws {
        let json = #"""
            {"arch": "amd64", "prisma": "off", "require": ["/app"],
             "fileExistenceTests": [{"path": "/app", "permissions": "drwxr-xr-x", "isExecutableBy": "group"}],
             "metadataTest": {"envVars": [{"key": "PORT", "value": "[0-9]+", "isRegex": true}, {"key": "X", "value": "(", "isRegex": false}]}}
            """#
        let p = try Policy.decode(json: Data(json.utf8))
        #expect(p.arch == "amd64")
        #expect(p.prisma == .off)
        #expect(p.fileExistenceTests?.first?.isExecutableBy == "group")
        #expect(p.metadataTest?.envVars?.count == 2)
    }

    /// Deep nesting is a syntax error at a position, not a stack overflow.
    @Test func deepNestingIsBounded() throws {
        let json = #"{"metadataTest": "# + String(repeating: "[", count: 100_000)
        let e = try Self.error(json)
        #expect(e.line == 1)
        #expect(e.reason.contains("malformed JSON") || e.reason.contains("expected"), "\(e)")
    }
}
