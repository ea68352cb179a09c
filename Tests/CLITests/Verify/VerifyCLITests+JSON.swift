import Foundation
import TestSupport
import Testing

extension VerifyCLITests {
    /// `verify --json`: every check with its fields, the same checks as the text report.
    @Suite struct JSONReport {
        /// The arch (or platform) each fixture is built for, so that every check runs.
        static func selection(_ file: String) -> [String] {
            file == "prisma-arm64.tar.gz" ? ["--arch", "arm64"] : ["--arch", "amd64"]
        }

        @Test(arguments: Facts.singlePlatformVerify)
        func jsonReport(_ file: String) throws {
            let v = try #require(Facts.named(file).verify)
            let r = try TS.imgtool(["verify", "--json"] + Self.selection(file) + [TS.fixture(file)])
            #expect(r.stderr.isEmpty)
            let root = try VerifyCLITests.json(r)
            #expect(root["schemaVersion"] as? Int == 1)
            #expect(root["archive"] as? String == TS.fixture(file))
            let passed = try #require(root["passed"] as? Bool)
            #expect(passed == (r.status == 0), "exit \(r.status), passed \(passed)")
            #expect(r.status == 0 || r.status == 1)
            let images = try #require(root["images"] as? [[String: Any]])
            #expect(images.count == 1)
            let image = try #require(images.first)
            #expect(image["passed"] as? Bool == passed)
            let checks = VerifyCLITests.checks(image)
            #expect(!checks.isEmpty)
            for c in checks {
                for key in ["id", "status", "expected", "found", "message"] {
                    #expect(c[key] is String, "\(file): check \(c["id"] ?? "?") lacks \(key)")
                }
                #expect(["passed", "failed", "skipped", "warning"].contains(c["status"] as? String ?? ""))
            }
            #expect(passed == !checks.contains { $0["status"] as? String == "failed" })
            #expect(VerifyCLITests.checkStatus(image, "prisma") == [VerifyCLITests.prismaStatus(v.result!)], "\(file)")
            #expect(VerifyCLITests.checkStatus(image, "entrypoint-arch") == [v.result == "arch-mismatch" ? "failed" : "passed"])
            if let target = v.expectedTarget, VerifyCLITests.prismaStatus(v.result!) == "failed" {
                let prisma = checks.first { $0["id"] as? String == "prisma" }
                #expect((prisma?["expected"] as? String)?.contains(target) == true)
            }
            // The text and the JSON report the same checks.
            let text = try TS.imgtool(["verify"] + Self.selection(file) + [TS.fixture(file)])
            #expect(text.status == r.status)
            let words = ["passed": "PASS", "failed": "FAIL", "skipped": "SKIP", "warning": "WARN"]
            #expect(
                VerifyCLITests.parse(text.stdout).rows.map { "\($0.status) \($0.id)" }
                    == checks.map { "\(words[$0["status"] as? String ?? ""] ?? "?") \($0["id"] as? String ?? "")" })
        }

        @Test func jsonMultiarchPerPlatform() throws {
            let per = try #require(Facts.named("prisma-multiarch.tar").verify?.perPlatform)
            for (platform, v) in per {
                let r = try TS.imgtool(["verify", "--json", "--platform", platform, TS.fixture("prisma-multiarch.tar")])
                let root = try VerifyCLITests.json(r)
                let images = try #require(root["images"] as? [[String: Any]])
                #expect(images.map { $0["platform"] as? String } == [platform])
                #expect(VerifyCLITests.checkStatus(images[0], "prisma") == [VerifyCLITests.prismaStatus(v.result!)], "\(platform)")
                #expect(root["passed"] as? Bool == (r.status == 0))
            }
        }
    }
}
