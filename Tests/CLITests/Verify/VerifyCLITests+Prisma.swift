import Foundation
import TestSupport
import Testing

extension VerifyCLITests {
    /// `verify` on every Prisma/arch fixture: the checks that fail, and the words that explain them.
    @Suite struct PrismaFixtures {
        /// `verify --arch amd64 --require node_modules/.prisma` on each single-platform Prisma/arch
        /// fixture. Expectations come from fixtures.json: `verify.result`, `nodeElf`, `engineFiles`,
        /// and whether `.prisma` is in `mergedPaths` where Node finds it (`/app/node_modules/.prisma`,
        /// or beside the real `@prisma/client` in the pnpm layout; not with Prisma 7, so `require`
        /// fails there even though the Prisma check passes).
        @Test(arguments: Facts.singlePlatformVerify)
        func verifyPrismaFixture(_ file: String) throws {
            let facts = Facts.named(file)
            let v = try #require(facts.verify)
            let result = try #require(v.result)
            let r = try TS.imgtool(["verify", "--arch", "amd64", "--require", "node_modules/.prisma", TS.fixture(file)])
            #expect(r.stderr.isEmpty, "\(r.stderr)")
            let report = VerifyCLITests.parse(r.stdout)
            #expect(report.titles.count == 1)
            #expect(report.titles.first?.hasPrefix(TS.fixture(file) + ": ") == true)
            #expect(report.status("integrity") == ["PASS"])

            if v.nodeElf == "aarch64" && result == "ok" {
                // prisma-arm64: an arm64 image checked for amd64 fails on the platform alone; the
                // checks that could not run are listed, skipped.
                #expect(r.status == 1)
                #expect(report.status("platform") == ["FAIL"])
                #expect(report.row("platform")?.text.contains("linux/arm64/v8") == true)
                for id in ["require", "entrypoint-arch", "elf-arch", "prisma"] { #expect(report.status(id) == ["SKIP"], "\(id)") }
                #expect(report.summary == "verify: 1 of \(report.rows.count) checks failed, 4 skipped")
                return
            }

            #expect(report.status("platform") == ["PASS"])
            // `.prisma` where Node finds it from @prisma/client (beside its real path, for pnpm).
            let prismaDir = facts.prismaDir
            let hasPrismaDir = facts.mergedPaths?.contains(prismaDir) == true
            let wrongEngineELF = (v.engineFiles ?? []).contains { $0.path.hasPrefix(prismaDir + "/") && $0.elf != "x86-64" }
            var expectedFailures: Set<String> = []
            if !hasPrismaDir { expectedFailures.insert("require") }
            if VerifyCLITests.prismaStatus(result) == "failed" { expectedFailures.insert("prisma") }
            if hasPrismaDir && wrongEngineELF { expectedFailures.insert("elf-arch") }
            if v.nodeElf != "x86-64" { expectedFailures.insert("entrypoint-arch") }

            let failed = Set(report.rows.filter { $0.status == "FAIL" }.map(\.id))
            #expect(failed == expectedFailures, "\(file):\n\(r.stdout)")
            #expect(r.status == (expectedFailures.isEmpty ? 0 : 1), "\(file):\n\(r.stdout)")
            #expect(report.status("require") == [hasPrismaDir ? "PASS" : "FAIL"])
            #expect(report.status("entrypoint-arch") == [v.nodeElf == "x86-64" ? "PASS" : "FAIL"])
            #expect(report.status("prisma") == [VerifyCLITests.prismaStatus(result) == "passed" ? "PASS" : "FAIL"])
            if hasPrismaDir { #expect(report.status("elf-arch") == [wrongEngineELF ? "FAIL" : "PASS"]) }
            if let target = v.expectedTarget {
                #expect(report.row("prisma")?.text.contains(target) == true, "\(file): prisma row names \(target)")
            }
            if expectedFailures.isEmpty {
                #expect(report.summary == "verify: all \(report.rows.count) checks passed")
            } else {
                #expect(report.summary == "verify: \(expectedFailures.count) of \(report.rows.count) checks failed")
            }
        }

        /// The failing fixtures the README lists, each with its check and the words that explain it.
        typealias FailureCase = (file: String, failed: [String], mentions: [String])

        static let failureCases: [FailureCase] = [
            (
                "prisma-missing.tar", ["require", "prisma"],
                ["libquery_engine-debian-openssl-3.0.x.so.node", "/app/node_modules/.prisma/client (missing)"]
            ),
            ("prisma-whiteout.tar", ["require", "prisma"], ["libquery_engine-debian-openssl-3.0.x.so.node"]),
            ("prisma-opaque.tar", ["require", "prisma"], ["libquery_engine-debian-openssl-3.0.x.so.node"]),
            (
                "prisma-wrong-target.tar", ["elf-arch", "prisma"],
                ["\"darwin-arm64\"", "\"linux-musl-openssl-3.0.x\"", "required \"debian-openssl-3.0.x\""]
            ),
            ("prisma-wrong-elf.tar.gz", ["elf-arch", "prisma"], ["ARM aarch64", "linux/amd64"]),
            ("arch-mismatch.tar.gz", ["entrypoint-arch"], ["/usr/local/bin/node", "ARM aarch64", "exec format error"]),
        ]

        @Test(arguments: failureCases)
        func failingFixtureNamesTheCheck(_ c: FailureCase) throws {
            let r = try TS.imgtool(["verify", "--arch", "amd64", "--require", "node_modules/.prisma", TS.fixture(c.file)])
            #expect(r.status == 1)
            let report = VerifyCLITests.parse(r.stdout)
            for id in c.failed {
                #expect(r.stdout.contains("  FAIL  \(id) "), "\(c.file): no FAIL \(id)")
            }
            let failedText = report.rows.filter { $0.status == "FAIL" }.map(\.text).joined(separator: " ")
            for m in c.mentions { #expect(failedText.contains(m), "\(c.file): \(m)") }
            #expect(failedText.contains("expected: ") && failedText.contains("found: "))
        }

        @Test func alpineAndArm64NameTheirTargets() throws {
            let alpine = try TS.imgtool(["verify", "--arch", "amd64", TS.fixture("prisma-alpine-musl.tar")])
            #expect(alpine.status == 0)
            let a = VerifyCLITests.parse(alpine.stdout)
            #expect(a.status("prisma") == ["PASS"])
            #expect(a.row("prisma")?.text.contains("\"linux-musl-openssl-3.0.x\"") == true)
            #expect(a.row("prisma")?.text.contains("ID=alpine") == true)

            let arm = try TS.imgtool(["verify", "--arch", "arm64", TS.fixture("prisma-arm64.tar.gz")])
            #expect(arm.status == 0, "\(arm.stdout)")
            let b = VerifyCLITests.parse(arm.stdout)
            #expect(b.rows.allSatisfy { $0.status == "PASS" })
            #expect(b.status("platform") == ["PASS"])
            #expect(b.status("entrypoint-arch") == ["PASS"])
            #expect(b.row("prisma")?.text.contains("\"linux-arm64-openssl-3.0.x\"") == true)

            let armAsAmd = try TS.imgtool(["verify", "--arch", "amd64", TS.fixture("prisma-arm64.tar.gz")])
            #expect(armAsAmd.status == 1)
            let c = VerifyCLITests.parse(armAsAmd.stdout)
            #expect(c.status("platform") == ["FAIL"])
            #expect(armAsAmd.stdout.contains("  FAIL  platform "))
        }
    }
}
