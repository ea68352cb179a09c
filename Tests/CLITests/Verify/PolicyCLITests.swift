import Foundation
import TestSupport
import Testing

/// `verify --policy`: container-structure-test's file and metadata tests plus imgtool's own,
/// on fixtures made by real tools.
@Suite struct PolicyCLITests {
    static let policy = TS.fixture("policies/nextjs-prisma-runner.json")

    @Test func runnerPolicyOnTheDebianFixture() throws {
        let r = try TS.imgtool(["verify", "--json", "--policy", Self.policy, TS.fixture("prisma-ok-debian-amd64.tar")])
        #expect(r.status == 1)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(doc["passed"] as? Bool == false)
        let images = try #require(doc["images"] as? [[String: Any]])
        let checks = try #require(images.first?["checks"] as? [[String: Any]])
        func status(_ id: String, _ subject: String? = nil) -> [String] {
            checks.filter { $0["id"] as? String == id && (subject == nil || $0["subject"] as? String == subject) }.compactMap {
                $0["status"] as? String
            }
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
        try Data(
            """
            {"fileExistenceTests": [
              {"path": "/usr/local/bin/node", "permissions": "-rwxr-xr-x", "uid": 0, "gid": 0},
              {"path": "/usr/local/bin/node", "uid": 1000},
              {"path": "/app/node_modules/.prisma", "shouldExist": false}
            ]}
            """.utf8
        ).write(to: URL(fileURLWithPath: policy))
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
        #expect(
            r.stderr.hasPrefix("Error: \(policy):1:25: not a valid policy: at .fileExistenceTests[0]: missing key 'path'\n"), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
        let missing = try TS.imgtool(["verify", "--policy", dir.path("absent.json"), TS.fixture("prisma-ok-debian-amd64.tar")])
        #expect(missing.status == 64)
    }

    /// A misspelt key is a usage error naming it and the valid keys, at the top level and in
    /// the nested objects; the documented keys (the fixture policy) still pass.
    @Test(arguments: [
        (#"{"arhc": "amd64"}"#, "unknown key 'arhc'", "did you mean 'arch'?"),
        (#"{"metadataTest": {"userNotRot": true}}"#, "at .metadataTest: unknown key 'userNotRot'", "did you mean 'userNotRoot'?"),
        (
            #"{"fileExistenceTests": [{"path": "/x"}, {"path": "/y", "shoudExist": false}]}"#,
            "at .fileExistenceTests[1]: unknown key 'shoudExist'", "did you mean 'shouldExist'?"
        ),
        (
            #"{"metadataTest": {"envVars": [{"key": "A", "val": "b"}]}}"#, "at .metadataTest.envVars[0]: unknown key 'val'",
            "valid keys: key, value, isRegex"
        ),
        (
            #"{"commandTests": []}"#, "unknown key 'commandTests'",
            "valid keys: schemaVersion, platform, arch, require, strictElf, prisma, fileExistenceTests, metadataTest"
        ),
    ])
    func unknownPolicyKeyIsAUsageError(_ json: String, _ message: String, _ hint: String) throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let policy = dir.path("p.json")
        try Data(json.utf8).write(to: URL(fileURLWithPath: policy))
        let r = try TS.imgtool(["verify", "--policy", policy, TS.fixture("prisma-ok-debian-amd64.tar")])
        #expect(r.status == 64)
        #expect(r.stdout.isEmpty)
        let first = r.stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.hasPrefix("Error: \(policy):1:"), "\(first)")
        #expect(first.contains(": not a valid policy: \(message)"), "\(first)")
        #expect(first.contains(hint), "\(first)")
    }

    @Test func documentedPolicyKeysAreAccepted() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let policy = dir.path("all.json")
        try Data(
            """
            {"schemaVersion": "2.0.0", "platform": "linux/amd64", "arch": "amd64", "require": ["/app"], "strictElf": false, "prisma": "off",
             "fileExistenceTests": [{"name": "n", "path": "/app", "shouldExist": true, "permissions": "drwxr-xr-x", "uid": 0, "gid": 0, "isExecutableBy": "any"}],
             "metadataTest": {"envVars": [{"key": "NODE_ENV", "value": "prod.*", "isRegex": true}], "unboundEnvVars": [{"key": "DEBUG"}],
               "exposedPorts": [], "unexposedPorts": ["22"], "entrypoint": ["docker-entrypoint.sh"], "cmd": ["node", "server.js"], "workdir": "/app",
               "volumes": [], "unmountedVolumes": ["/data"], "labels": [], "user": "", "userNotRoot": false, "healthcheck": false}}
            """.utf8
        ).write(to: URL(fileURLWithPath: policy))
        let r = try TS.imgtool(["verify", "--json", "--policy", policy, TS.fixture("prisma-ok-debian-amd64.tar")])
        #expect(r.status != 64, "\(r.stderr)")
        #expect(!r.stdout.isEmpty)
    }

    /// An unreadable policy: the path and errno-style words, not Foundation's sentence.
    @Test func unreadablePolicySaysWhy() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let archive = TS.fixture("prisma-ok-debian-amd64.tar")
        let cases = [
            (dir.path("absent.json"), "no such file"), (dir.url.path, "is a directory"), (dir.path("absent/p.json"), "no such file"),
        ]
        for (path, why) in cases {
            let r = try TS.imgtool(["verify", "--policy", path, archive])
            #expect(r.status == 64)
            #expect(r.stderr.hasPrefix("Error: \(path): cannot read the policy: \(why)\n"), "\(r.stderr)")
        }
        if getuid() != 0 {
            let locked = dir.path("locked.json")
            try Data("{}".utf8).write(to: URL(fileURLWithPath: locked))
            try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: locked)
            let r = try TS.imgtool(["verify", "--policy", locked, archive])
            #expect(r.stderr.hasPrefix("Error: \(locked): cannot read the policy: permission denied\n"), "\(r.stderr)")
        }
    }

    /// A policy whose check could only fail silently, of the wrong shape, or not JSON at all:
    /// a usage error (64) before the archive is read, naming the file, line and column, and the
    /// key, in JSON's words; with --json and --junit, no report (the command line is wrong).
    @Test(arguments: [
        (
            "{\"metadataTest\": {\"envVars\": [\n  {\"key\": \"PORT\", \"value\": \"[0-9+\", \"isRegex\": true}]}}", "2:28",
            "at .metadataTest.envVars[0].value: invalid regular expression '[0-9+'"
        ),
        ("{\"require\": \"node_modules/.prisma\"}", "1:13", #"at .require: expected an array, found a string ("node_modules/.prisma")"#),
        ("{\n  \"strictElf\": \"yes\"\n}", "2:16", #"at .strictElf: expected true or false, found a string ("yes")"#),
        ("{\n  \"arch\": \"amd64\",\n  \"require\": [\"/app\"\n}", "4:1", "malformed JSON: expected ',' or ']', found '}'"),
    ])
    func invalidPolicyIsAUsageErrorWithLineAndColumn(_ json: String, _ position: String, _ message: String) throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let policy = dir.path("policy.json")
        try Data(json.utf8).write(to: URL(fileURLWithPath: policy))
        let junit = dir.path("verify.xml")
        for archive in [TS.fixture("prisma-ok-debian-amd64.tar"), dir.path("absent.tar")] {
            let r = try TS.imgtool(["verify", "--json", "--junit", junit, "--policy", policy, archive])
            #expect(r.status == 64, "\(r.stderr)")
            #expect(r.stdout.isEmpty)
            #expect(lines(r.stderr).first?.hasPrefix("Error: \(policy):\(position): not a valid policy: \(message)") == true, "\(r.stderr)")
            #expect(!r.stderr.contains("Expected to decode") && !r.stderr.contains("not valid JSON"), "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: junit))
        }
    }
}
