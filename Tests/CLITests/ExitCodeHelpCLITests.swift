import Foundation
import TestSupport
import Testing

/// Each command's `--help` lists the exit codes that command can return, signals included;
/// `imgtool help exit-codes` and the README's table are the full list, and agree.
@Suite struct ExitCodeHelpCLITests {
    /// The codes of the `EXIT CODES:` section of a help text, in order.
    static func codes(_ help: String) throws -> [Int] {
        let section = try #require(help.components(separatedBy: "EXIT CODES:\n").last, "no EXIT CODES section")
        return lines(section).compactMap { line in
            guard line.hasPrefix("  "), let first = line.split(separator: " ").first else { return nil }
            return Int(first)
        }
    }

    static let signals = [129, 130, 143]
    static let reading = [0, 1, 2, 3, 4, 5, 6, 7, 64]

    @Test(arguments: [
        ("inspect", reading + signals), ("verify", reading + signals), ("pack", reading + signals), ("ls", reading + signals),
        ("cat", reading + signals), ("ship", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 64] + signals),
    ])
    func eachCommandListsItsOwnCodes(_ command: String, _ expected: [Int]) throws {
        let help = try TS.imgtool([command, "--help"])
        #expect(help.status == 0)
        #expect(try Self.codes(help.stdout) == expected, "\(help.stdout)")
        // The same text however help is asked for.
        #expect(try TS.imgtool(["help", command]).stdout == help.stdout)
        expectAtMost80Columns(help.stdout, "imgtool \(command) --help")
        if command != "ship" {
            #expect(!help.stdout.contains("\n  8   "), "only ship returns 8")
            #expect(!help.stdout.contains("--load or --then"))
        }
    }

    /// What a code means is said for the command: `ls`'s 1 is a path not in the image.
    @Test func meaningsAreTheCommands() throws {
        let ls = try TS.imgtool(["ls", "--help"]).stdout
        #expect(ls.contains("\n  1   The path is not in the image.\n"), "\(ls)")
        let verify = try TS.imgtool(["verify", "--help"]).stdout
        #expect(verify.contains("\n  0   Every check passed.\n"))
        #expect(verify.contains("\n  130 Interrupted (SIGINT, Ctrl-C).\n"))
        let push = try TS.imgtool(["push", "--help"]).stdout
        #expect(push.contains("\n  11  push: the registry refused the credentials or their rights (401, 403,\n"), "\(push)")
        #expect(!push.contains("\n  8   "), "ship's codes are not push's")
        let ship = try TS.imgtool(["ship", "--help"]).stdout
        #expect(ship.contains("\n  130 Interrupted (SIGINT, Ctrl-C); as for 129 and 143, the chunks that arrived\n"), "\(ship)")
    }

    /// `imgtool help exit-codes`: the full table, every code once, the same as the root help's
    /// and the README's.
    @Test func helpExitCodesIsTheFullList() throws {
        let r = try TS.imgtool(["help", "exit-codes"])
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
        #expect(r.stdout.hasPrefix("EXIT CODES:\n"))
        let all = try Self.codes(r.stdout)
        #expect(all == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 64, 129, 130, 143])
        expectAtMost80Columns(r.stdout, "imgtool help exit-codes")
        #expect(try Self.codes(try TS.imgtool(["--help"]).stdout.components(separatedBy: "\nSee 'imgtool help exit-codes'")[0]) == all)

        let readme = try String(contentsOf: TS.repoRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let table = try #require(readme.components(separatedBy: "## Exit codes\n").dropFirst().first)
        let rows = lines(table).prefix { !$0.hasPrefix("## ") }.compactMap { line -> Int? in
            guard line.hasPrefix("| ") else { return nil }
            return Int(line.dropFirst(2).prefix { $0 != " " })
        }
        #expect(rows == all, "the README's table")
    }
}
