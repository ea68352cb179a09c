import Foundation
import Testing

@testable import ImageTar

/// `verify --policy`: container-structure-test's file and metadata tests plus imgtool's own,
/// on fixtures made by real tools.
@Suite struct PolicyTests {
    static let policy = TS.fixture("policies/nextjs-prisma-runner.json")

    @Test func runnerPolicyOnTheDebianFixture() throws {
        let r = try TS.imgtool(["verify", "--json", "--policy", Self.policy, TS.fixture("prisma-ok-debian-amd64.tar")])
        #expect(r.status == 1)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(doc["passed"] as? Bool == false)
        let images = try #require(doc["images"] as? [[String: Any]])
        let checks = try #require(images.first?["checks"] as? [[String: Any]])
        func status(_ id: String, _ subject: String? = nil) -> [String] {
            checks.filter { $0["id"] as? String == id && (subject == nil || $0["subject"] as? String == subject) }.compactMap { $0["status"] as? String }
        }
        // The fixture has the engine, NODE_ENV=production, PORT=3000, Cmd node server.js, WorkingDir /app ...
        #expect(status("prisma") == ["passed"])
        #expect(status("strict-elf") == ["passed"])
        #expect(status("file-existence", "Prisma engine") == ["passed"])
        #expect(status("file-existence", "no .env in the image") == ["passed"])
        #expect(status("file-existence", "node binary") == ["passed"])
        #expect(status("metadata-env") == ["passed", "passed"])
        #expect(status("metadata-cmd") == ["passed"])
        #expect(status("metadata-workdir") == ["passed"])
        // ... but no EXPOSE, no USER and no HEALTHCHECK.
        #expect(status("metadata-port") == ["failed"])
        #expect(status("metadata-user-not-root") == ["failed"])
        #expect(status("metadata-healthcheck") == ["failed"])
        #expect(checks.filter { $0["status"] as? String == "failed" }.count == 3)
    }

    @Test func policyPlatformAppliesToTheArm64Fixture() throws {
        let r = try TS.imgtool(["verify", "--policy", Self.policy, TS.fixture("prisma-arm64.tar.gz")])
        #expect(r.status == 1)
        #expect(r.stdout.contains("FAIL  platform"))
    }

    @Test func fileExistenceWithOwnerAndPermissions() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let policy = dir.path("p.json")
        try Data("""
            {"fileExistenceTests": [
              {"path": "/usr/local/bin/node", "permissions": "-rwxr-xr-x", "uid": 0, "gid": 0},
              {"path": "/usr/local/bin/node", "uid": 1000},
              {"path": "/app/node_modules/.prisma", "shouldExist": false}
            ]}
            """.utf8).write(to: URL(fileURLWithPath: policy))
        let r = try TS.imgtool(["verify", "--json", "--no-prisma", "--policy", policy, TS.fixture("prisma-ok-debian-amd64.tar")])
        #expect(r.status == 1)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let checks = try #require(((doc["images"] as? [[String: Any]])?.first?["checks"]) as? [[String: Any]])
        let files = checks.filter { $0["id"] as? String == "file-existence" }.map { $0["status"] as? String ?? "" }
        #expect(files == ["passed", "failed", "failed"])
    }

    @Test func badPolicyIsAUsageError() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let policy = dir.path("bad.json")
        try Data(#"{"fileExistenceTests": [{"shouldExist": true}]}"#.utf8).write(to: URL(fileURLWithPath: policy))
        let r = try TS.imgtool(["verify", "--policy", policy, TS.fixture("prisma-ok-debian-amd64.tar")])
        #expect(r.status == 64)
        #expect(r.stderr.hasPrefix("Error: \(policy): not a valid policy"))
        #expect(r.stdout.isEmpty)
        let missing = try TS.imgtool(["verify", "--policy", dir.path("absent.json"), TS.fixture("prisma-ok-debian-amd64.tar")])
        #expect(missing.status == 64)
    }
}
