import Foundation
import TestSupport
import Testing

extension VerifyCLITests {
    /// `verify` on a multi-platform archive: one platform selected, one missing, or every image.
    @Suite struct MultiPlatform {
        @Test func multiarchPlatformSelection() throws {
            let path = TS.fixture("prisma-multiarch.tar")
            let per = try #require(Facts.named("prisma-multiarch.tar").verify?.perPlatform)

            let amd = try TS.imgtool(["verify", "--platform", "linux/amd64", path])
            #expect(amd.status == 0, "\(amd.stdout)")
            let a = VerifyCLITests.parse(amd.stdout)
            #expect(a.titles.count == 1)
            #expect(a.titles.first?.hasSuffix("(linux/amd64)") == true)
            #expect(a.status("prisma") == [VerifyCLITests.prismaStatus(per["linux/amd64"]!.result!) == "passed" ? "PASS" : "FAIL"])

            let arm = try TS.imgtool(["verify", "--platform", "linux/arm64", path])
            #expect(arm.status == 1)
            let b = VerifyCLITests.parse(arm.stdout)
            #expect(b.titles.count == 1)
            #expect(b.titles.first?.hasSuffix("(linux/arm64/v8)") == true)
            #expect(b.status("platform") == ["PASS"])
            #expect(b.status("entrypoint-arch") == ["PASS"])
            #expect(b.status("prisma") == ["FAIL"])
            let target = try #require(per["linux/arm64/v8"]?.expectedTarget)
            #expect(b.row("prisma")?.text.contains("\"\(target)\"") == true)
            #expect(b.summary == "verify: 1 of \(b.rows.count) checks failed")
        }

        @Test func multiarchMissingPlatformIsAFailedCheck() throws {
            let path = TS.fixture("prisma-multiarch.tar")
            let r = try TS.imgtool(["verify", "--arch", "s390x", path])
            #expect(r.status == 1)
            #expect(r.stderr.isEmpty)
            let report = VerifyCLITests.parse(r.stdout)
            #expect(report.status("platform") == ["FAIL"])
            let text = try #require(report.row("platform")?.text)
            #expect(text.contains("linux/s390x"))
            #expect(text.contains("linux/amd64, linux/arm64/v8"))

            let j = try TS.imgtool(["verify", "--json", "--arch", "s390x", path])
            #expect(j.status == 1)
            let root = try VerifyCLITests.json(j)
            #expect(root["passed"] as? Bool == false)
            let images = try #require(root["images"] as? [[String: Any]])
            let platform = images.flatMap(VerifyCLITests.checks).filter { $0["id"] as? String == "platform" }
            #expect(platform.count == 1)
            #expect(platform.first?["status"] as? String == "failed")
            #expect(platform.first?["expected"] as? String == "linux/s390x")
            #expect(platform.first?["found"] as? String == "linux/amd64, linux/arm64/v8")
        }

        @Test func multiarchWithoutSelectionReportsEveryImage() throws {
            let path = TS.fixture("prisma-multiarch.tar")
            let r = try TS.imgtool(["verify", path])
            #expect(r.status == 1)
            let report = VerifyCLITests.parse(r.stdout)
            #expect(report.titles.count == 2)
            #expect(report.titles.contains { $0.hasSuffix("(linux/amd64)") })
            #expect(report.titles.contains { $0.hasSuffix("(linux/arm64/v8)") })
            #expect(report.status("prisma") == ["PASS", "FAIL"])

            let j = try TS.imgtool(["verify", "--json", path])
            #expect(j.status == 1)
            let root = try VerifyCLITests.json(j)
            let images = try #require(root["images"] as? [[String: Any]])
            #expect(images.map { $0["platform"] as? String } == ["linux/amd64", "linux/arm64/v8"])
            #expect(images.map { $0["passed"] as? Bool } == [true, false])
            #expect(images.map { VerifyCLITests.checkStatus($0, "prisma") } == [["passed"], ["failed"]])
            // No platform was asked for: there is no platform check.
            #expect(images.allSatisfy { VerifyCLITests.checkStatus($0, "platform").isEmpty })
        }
    }
}
