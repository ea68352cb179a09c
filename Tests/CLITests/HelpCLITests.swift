import Foundation
import TestSupport
import Testing

/// `--help`, `-h` and `help <command>` for the root and the subcommands, and `--version`: the
/// sections every help text has, the same text however it is asked for, 80 columns at most.
/// (Each command's usage errors are with its tests.)
@Suite struct HelpCLITests {
    @Test func binaryIsBuilt() {
        #expect(FileManager.default.isExecutableFile(atPath: TS.imgtool), "\(TS.imgtool)")
    }

    @Test(arguments: [["--help"], ["-h"], []])
    func rootHelp(_ args: [String]) throws {
        let r = try TS.imgtool(args)
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
        #expect(r.stdout.hasPrefix("OVERVIEW: "))
        for section in [
            "\nUSAGE: imgtool <subcommand>\n", "\nOPTIONS:\n", "\nSUBCOMMANDS:\n", "\n  inspect ", "\nEXIT CODES:\n", "\n  64  Usage error",
        ] {
            #expect(r.stdout.contains(section), "missing \(section)")
        }
        for code in ["0", "1", "2", "3", "4", "5", "6", "7"] { #expect(r.stdout.contains("\n  \(code)   "), "exit code \(code)") }
        expectAtMost80Columns(r.stdout, "imgtool \(args)")
    }

    @Test(arguments: [["help", "inspect"], ["inspect", "--help"], ["inspect", "-h"], ["inspect", "x.tar", "--help"]])
    func inspectHelp(_ args: [String]) throws {
        let r = try TS.imgtool(args)
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
        #expect(r.stdout.hasPrefix("OVERVIEW: Show what an image archive holds"))
        for section in [
            "\nUSAGE: imgtool inspect ", "\nARGUMENTS:\n  <archive>", "\nOPTIONS:\n", "  --json", "  --platform <platform>",
            "  --image <image>", "  -h, --help", "\nEXIT CODES:\n",
        ] {
            #expect(r.stdout.contains(section), "missing \(section)")
        }
        #expect(!r.stdout.contains("SUBCOMMANDS"))
        let reference = try TS.imgtool(["inspect", "--help"])
        #expect(r.stdout == reference.stdout)
    }

    /// Help text is documented as wrapped at 80 columns (HelpText.swift); the USAGE line too.
    @Test func inspectHelpFitsIn80Columns() throws {
        let r = try TS.imgtool(["inspect", "--help"])
        #expect(r.status == 0)
        expectAtMost80Columns(r.stdout, "imgtool inspect --help")
    }

    @Test func version() throws {
        let r = try TS.imgtool(["--version"])
        #expect(r.status == 0)
        #expect(r.stdout == "0.1.0\n")
        #expect(r.stderr.isEmpty)
    }

    @Test(arguments: [
        ["help", "verify"], ["verify", "--help"], ["verify", "-h"],
        ["help", "ls"], ["ls", "-h"], ["ls", "--help"],
        ["help", "cat"], ["cat", "--help"], ["cat", "-h"],
    ])
    func subcommandHelp(_ args: [String]) throws {
        let command = args[0] == "help" ? args[1] : args[0]
        let r = try TS.imgtool(args)
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
        #expect(r.stdout.hasPrefix("OVERVIEW: "))
        for section in ["\nUSAGE: imgtool \(command) ", "\nARGUMENTS:\n  <archive>", "\nOPTIONS:\n", "  -h, --help", "\nEXIT CODES:\n"] {
            #expect(r.stdout.contains(section), "\(args): missing \(section)")
        }
        let reference = try TS.imgtool([command, "--help"])
        #expect(r.stdout == reference.stdout)
        let long = lines(r.stdout).filter { $0.count > 80 }
        #expect(long.isEmpty, "\(args): lines over 80 columns: \(long)")
    }

    @Test func verifyHelpListsItsOptions() throws {
        let r = try TS.imgtool(["verify", "--help"])
        for option in [
            "--arch <arch>", "--platform <platform>", "--require <path>", "--strict-elf", "--prisma", "--no-prisma", "--image <image>",
            "--json", "--junit <file>",
        ] {
            #expect(r.stdout.contains("\n  \(option) "), "missing \(option)")
        }
        let ls = try TS.imgtool(["ls", "--help"])
        #expect(ls.stdout.contains("\n  -R, --recursive "))
        #expect(ls.stdout.contains("<path>"))
    }
}
