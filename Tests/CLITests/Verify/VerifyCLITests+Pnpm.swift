import Foundation
import TestSupport
import Testing

extension VerifyCLITests {
    /// `--require node_modules/.prisma` in a pnpm layout, resolved the way Node resolves it (from
    /// `@prisma/client`'s real path in `node_modules/.pnpm`), and the fix lines for pnpm; and the
    /// checks a missing platform keeps from running, listed as skipped in text, JSON and JUnit.
    @Suite struct Pnpm {
        static let pnpmDir = "/app/node_modules/.pnpm/@prisma+client@6.19.0_prisma@6.19.0/node_modules"
        static let clientLink = "/app/node_modules/@prisma/client -> \(pnpmDir)/@prisma/client, pnpm"

        @Test func requireFindsTheGeneratedClientBesideTheRealPrismaClient() throws {
            let path = TS.fixture("prisma-pnpm.tar")
            for required in ["node_modules/.prisma", "node_modules/.prisma/client", "/app/node_modules/.prisma"] {
                let r = try TS.imgtool(["verify", "--arch", "amd64", "--require", required, path])
                #expect(r.status == 0, "\(required): \(r.stdout)")
                let report = VerifyCLITests.parse(r.stdout)
                #expect(report.status("require") == ["PASS"])
                #expect(report.status("elf-arch") == ["PASS"])
                let text = try #require(report.row("require")?.text)
                #expect(text.contains("as Node finds it from @prisma/client (\(Self.clientLink)):"), "\(text)")
                #expect(text.contains("\(Self.pnpmDir)/.prisma"))
                #expect(report.row("elf-arch")?.text.contains("(\(Self.pnpmDir)/.prisma") == true)
                #expect(report.summary == "verify: all 6 checks passed")
            }
            let j = try VerifyCLITests.json(try TS.imgtool(["verify", "--json", "--require", "node_modules/.prisma", path]))
            let checks = try #require(j["images"] as? [[String: Any]]).flatMap(VerifyCLITests.checks)
            let require = try #require(checks.first { $0["id"] as? String == "require" })
            #expect(require["status"] as? String == "passed")
            #expect(require["subject"] as? String == "/app/node_modules/.prisma")
            #expect((require["found"] as? String)?.hasPrefix("directory as Node finds it from @prisma/client") == true)
        }

        /// Without the generated client, both checks fail with the fix that works for pnpm (copy
        /// node_modules whole, `.pnpm` included), not npm's (copy `node_modules/.prisma`, which a
        /// pnpm build never has).
        @Test func missingGeneratedClientFailsWithThePnpmFix() throws {
            let r = try TS.imgtool([
                "verify", "--arch", "amd64", "--require", "node_modules/.prisma", TS.fixture("prisma-pnpm-missing.tar"),
            ])
            #expect(r.status == 1)
            let report = VerifyCLITests.parse(r.stdout)
            #expect(Set(report.rows.filter { $0.status == "FAIL" }.map(\.id)) == ["require", "prisma"])
            let pnpmFix = "COPY --from=builder /app/node_modules /app/node_modules"
            for id in ["require", "prisma"] {
                let text = try #require(report.row(id)?.text)
                #expect(text.contains("fix: pnpm keeps the generated client beside @prisma/client's real path, in \(Self.pnpmDir)/.prisma"))
                #expect(text.contains("`prisma generate` in the build stage") && text.contains(".pnpm included (\(pnpmFix))"), "\(text)")
                #expect(!text.contains("COPY --from=builder /app/node_modules/.prisma"), "\(text)")
            }
            let require = try #require(report.row("require")?.text)
            #expect(
                require.contains(
                    "nor does Node find .prisma from @prisma/client (\(Self.clientLink)): none of \(Self.pnpmDir)/@prisma/client/node_modules/.prisma,"
                ))
            #expect(
                require.contains(
                    "\(Self.pnpmDir)/.prisma, /app/node_modules/.pnpm/node_modules/.prisma, /app/node_modules/.prisma, /node_modules/.prisma exists"
                ))
            #expect(report.row("prisma")?.text.contains("has been copied to \"\(Self.pnpmDir)/.prisma/client\"") == true)
            #expect(report.summary == "verify: 2 of 5 checks failed")

            let j = try VerifyCLITests.json(
                try TS.imgtool(["verify", "--json", "--require", "node_modules/.prisma", TS.fixture("prisma-pnpm-missing.tar")]))
            for c in try #require(j["images"] as? [[String: Any]]).flatMap(VerifyCLITests.checks) where c["status"] as? String == "failed" {
                #expect((c["fix"] as? String)?.contains(pnpmFix) == true, "\(c)")
            }
        }

        /// npm's layout keeps npm's fix.
        @Test func npmLayoutKeepsItsFix() throws {
            let r = try TS.imgtool(["verify", "--require", "node_modules/.prisma", TS.fixture("prisma-missing.tar")])
            let report = VerifyCLITests.parse(r.stdout)
            #expect(
                report.row("require")?.text.contains("(COPY --from=builder /app/node_modules/.prisma /app/node_modules/.prisma)") == true)
            #expect(report.row("require")?.text.contains("Node find") == false)
            #expect(report.row("prisma")?.text.contains("`COPY --from=builder /app/node_modules/.prisma ./node_modules/.prisma`") == true)
        }

        // MARK: - Skipped checks

        @Test func checksAMissingPlatformKeepsFromRunningAreSkipped() throws {
            let dir = try TS.TempDir()
            defer { dir.cleanup() }
            let junit = dir.path("verify.xml")
            let args = ["--arch", "arm64", "--require", "node_modules/.prisma", "--require", "server.js", "--strict-elf"]
            let r = try TS.imgtool(["verify"] + args + ["--junit", junit, TS.fixture("prisma-pnpm.tar")])
            #expect(r.status == 1)
            let report = VerifyCLITests.parse(r.stdout)
            #expect(
                report.rows.map(\.id) == [
                    "integrity", "platform", "require", "require", "entrypoint-arch", "elf-arch", "elf-arch", "strict-elf", "prisma",
                ])
            #expect(report.rows.map(\.status) == ["PASS", "FAIL"] + Array(repeating: "SKIP", count: 7))
            #expect(
                report.row("require")?.text.contains("  /app/node_modules/.prisma: not checked: the archive has no image for linux/arm64")
                    == true)
            #expect(report.summary == "verify: 1 of 9 checks failed, 7 skipped")

            let xml = try String(contentsOfFile: junit, encoding: .utf8)
            #expect(xml.contains("<testsuites name=\"imgtool verify\" tests=\"9\" failures=\"1\" skipped=\"7\">"))
            #expect(xml.contains("tests=\"9\" failures=\"1\" skipped=\"7\">\n    <testcase"))
            #expect(xml.components(separatedBy: "<skipped message=").count - 1 == 7)
            #expect(xml.contains("name=\"require /app/server.js\">\n      <skipped message=\"/app/server.js: not checked"))

            let j = try VerifyCLITests.json(try TS.imgtool(["verify", "--json"] + args + [TS.fixture("prisma-pnpm.tar")]))
            #expect(j["passed"] as? Bool == false)
            let checks = try #require(j["images"] as? [[String: Any]]).flatMap(VerifyCLITests.checks)
            #expect(checks.map { $0["status"] as? String } == ["passed", "failed"] + Array(repeating: "skipped", count: 7))
            #expect(checks.compactMap { $0["subject"] as? String }.filter { $0 == "/app/server.js" }.count == 2)
            #expect(checks.allSatisfy { $0["status"] as? String != "skipped" || $0["found"] as? String == "not checked" })
        }

        /// A policy's checks, when its platform is missing, are listed skipped too, one per expectation.
        @Test func aPolicysChecksAreSkippedWithTheirPlatform() throws {
            let policy = TS.fixture("policies/nextjs-prisma-runner.json")
            let ran = VerifyCLITests.parse(try TS.imgtool(["verify", "--policy", policy, TS.fixture("prisma-ok-debian-amd64.tar")]).stdout)
            let skipped = VerifyCLITests.parse(try TS.imgtool(["verify", "--policy", policy, TS.fixture("prisma-arm64.tar.gz")]).stdout)
            #expect(skipped.status("platform") == ["FAIL"])
            let policyIDs = ran.rows.map(\.id).filter { $0.hasPrefix("file-") || $0.hasPrefix("metadata-") }
            #expect(policyIDs.count >= 5)
            #expect(skipped.rows.map(\.id).filter { $0.hasPrefix("file-") || $0.hasPrefix("metadata-") } == policyIDs)
            #expect(skipped.rows.filter { $0.id != "integrity" && $0.id != "platform" }.allSatisfy { $0.status == "SKIP" })
            let count = skipped.rows.count
            #expect(skipped.summary == "verify: 1 of \(count) checks failed, \(count - 2) skipped")
        }

        /// A check that does not apply (no Entrypoint or Cmd) is counted apart in the verdict line.
        @Test func passingVerdictCountsSkippedChecksApart() throws {
            let dir = try TS.TempDir()
            defer { dir.cleanup() }
            let file = TS.fixture("umoci-insert-docker-archive.tar")
            let config = try #require(FixtureFacts.named("umoci-insert-docker-archive.tar").images?.first?.configDigest)
            let path = dir.path("no-cmd.tar")
            try TS.editArchive(file, to: path, member: String(config.dropFirst(7)) + ".json", .deleteJSONKey("config", renamed: true))
            let r = try TS.imgtool(["verify", path])
            #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
            let report = VerifyCLITests.parse(r.stdout)
            #expect(report.rows.map(\.status) == ["PASS", "SKIP"])
            #expect(report.summary == "verify: 1 check passed, 1 skipped")
        }
    }
}
