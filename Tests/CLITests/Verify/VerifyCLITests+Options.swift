import Foundation
import TestSupport
import Testing

extension VerifyCLITests {
    /// `verify`'s options: `--prisma`, `--no-prisma`, `--strict-elf`, and the usage errors.
    @Suite struct Options {
        @Test func forcedPrismaWithoutClientFails() throws {
            let r = try TS.imgtool(["verify", "--prisma", TS.fixture("skopeo-docker-archive.tar")])
            #expect(r.status == 1)
            let report = VerifyCLITests.parse(r.stdout)
            #expect(report.status("prisma") == ["FAIL"])
            #expect(report.row("prisma")?.text.contains("@prisma/client") == true)
            // Without --prisma the check does not run on an image without @prisma/client.
            let auto = try TS.imgtool(["verify", TS.fixture("skopeo-docker-archive.tar")])
            #expect(VerifyCLITests.parse(auto.stdout).row("prisma") == nil)
        }

        @Test func noPrismaSkipsTheCheck() throws {
            let r = try TS.imgtool(["verify", "--arch", "amd64", "--no-prisma", TS.fixture("prisma-missing.tar")])
            #expect(r.status == 0, "\(r.stdout)")
            #expect(!r.stdout.contains(" prisma "))
            #expect(VerifyCLITests.parse(r.stdout).row("prisma") == nil)
            #expect(VerifyCLITests.parse(r.stdout).rows.allSatisfy { $0.status == "PASS" })
            let without = try TS.imgtool(["verify", "--arch", "amd64", TS.fixture("prisma-missing.tar")])
            #expect(without.status == 1)
        }

        @Test func strictELFFailsOnArchMismatch() throws {
            let r = try TS.imgtool(["verify", "--strict-elf", TS.fixture("arch-mismatch.tar.gz")])
            #expect(r.status == 1)
            let report = VerifyCLITests.parse(r.stdout)
            #expect(report.status("strict-elf") == ["FAIL"])
            #expect(report.row("strict-elf")?.text.contains("/usr/local/bin/node") == true)
            let ok = try TS.imgtool(["verify", "--strict-elf", "--arch", "amd64", TS.fixture("prisma-ok-debian-amd64.tar")])
            #expect(ok.status == 0)
            #expect(VerifyCLITests.parse(ok.stdout).status("strict-elf") == ["PASS"])
        }

        typealias UsageCase = (args: [String], first: String)

        static let usageCases: [UsageCase] = [
            (["--prisma", "--no-prisma"], "Error: --prisma and --no-prisma exclude each other"),
            (["--arch", "sparc"], "Error: The value 'sparc' is invalid for '--arch <arch>'"),
            (["--arch", "arm64", "--platform", "linux/amd64"], "Error: --arch arm64 contradicts --platform linux/amd64"),
            (["--platform", "linux//amd64"], "Error: The value 'linux//amd64' is invalid for '--platform <platform>'"),
            (["--platform", "banana"], "Error: The value 'banana' is invalid for '--platform <platform>'"),
            (["--platform", "linux/amd46"], "Error: The value 'linux/amd46' is invalid for '--platform <platform>'"),
            (["--bogus"], "Error: Unknown option '--bogus'"),
        ]

        @Test(arguments: usageCases)
        func usageErrors(_ c: UsageCase) throws {
            let r = try TS.imgtool(["verify"] + c.args + [TS.fixture("prisma-missing.tar")])
            #expect(r.status == 64)
            #expect(r.stdout.isEmpty)
            let l = lines(r.stderr)
            #expect(l.first == c.first)
            #expect(l.contains { $0.hasPrefix("Usage: imgtool verify ") })
            #expect(l.last == "  See 'imgtool verify --help' for more information.")
        }

        /// A real architecture that the archive lacks is a failed check, not a usage error.
        @Test func aKnownArchitectureTheArchiveLacksIsACheck() throws {
            let r = try TS.imgtool(["verify", "--platform", "linux/riscv64", TS.fixture("prisma-missing.tar")])
            #expect(r.status == 1)
            #expect(VerifyCLITests.parse(r.stdout).status("platform") == ["FAIL"])
        }

        @Test func missingArchiveArgument() throws {
            let r = try TS.imgtool(["verify", "--arch", "amd64"])
            #expect(r.status == 64)
            #expect(lines(r.stderr).first == "Error: Missing expected argument '<archive>'")
        }
    }
}
