import Foundation
import TestSupport
import Testing

/// `imgtool inspect` given bad arguments: exit 64, the error, the usage line and where to read more.
@Suite struct InspectUsageCLITests {
    static let usageLine = "Usage: imgtool inspect [--json] [--platform <platform>] [--image <image>] <archive>"

    typealias UsageCase = (args: [String], first: String, usage: String, see: String)

    static let usageCases: [UsageCase] = [
        (
            ["inspect", "--bogus", "x.tar"], "Error: Unknown option '--bogus'", usageLine,
            "  See 'imgtool inspect --help' for more information."
        ),
        (["inspect"], "Error: Missing expected argument '<archive>'", usageLine, "  See 'imgtool inspect --help' for more information."),
        (
            ["inspect", "a.tar", "b.tar"], "Error: Unexpected argument 'b.tar'", usageLine,
            "  See 'imgtool inspect --help' for more information."
        ),
        (
            ["inspect", "--platform"], "Error: Missing value for '--platform <platform>'", usageLine,
            "  See 'imgtool inspect --help' for more information."
        ),
        (
            ["inspect", "--json=yes", "x.tar"], "Error: The option '--json' does not take a value", usageLine,
            "  See 'imgtool inspect --help' for more information."
        ),
        (
            ["frobnicate"], "Error: Unknown subcommand 'frobnicate'", "Usage: imgtool <subcommand>",
            "  See 'imgtool --help' for more information."
        ),
        (["--bogus"], "Error: Unknown option '--bogus'", "Usage: imgtool <subcommand>", "  See 'imgtool --help' for more information."),
        (
            ["help", "frobnicate"], "Error: Unknown subcommand 'frobnicate'", "Usage: imgtool <subcommand>",
            "  See 'imgtool --help' for more information."
        ),
    ]

    @Test(arguments: usageCases)
    func usageErrors(_ c: UsageCase) throws {
        let r = try TS.imgtool(c.args)
        #expect(r.status == 64)
        #expect(r.stdout.isEmpty)
        #expect(lines(r.stderr) == [c.first, c.usage, c.see])
    }

    @Test(arguments: ["a/b/c/d", "", "linux//amd64"])
    func badPlatform(_ value: String) throws {
        let r = try TS.imgtool(["inspect", "--platform", value, TS.fixture("oci-multiarch.tar")])
        #expect(r.status == 64)
        #expect(r.stdout.isEmpty)
        let l = lines(r.stderr)
        #expect(l.first == "Error: The value '\(value)' is invalid for '--platform <platform>'")
        #expect(l.last == "  See 'imgtool inspect --help' for more information.")
    }
}
