import Foundation
import TestSupport
import Testing

extension ShipOverSSHTests {
    /// The verdict cache: `pack` records the verdict of the file it wrote, keyed by the file's
    /// SHA-256 and the check options; `ship` of that file uses it instead of reading the archive
    /// again, and still judges each server from what it recorded. Other bytes, other options, a
    /// damaged record or `--no-cache` run the checks.
    @Suite struct Verdict {
        /// A test's own cache folder, and the environment that points imgtool at it.
        struct Cache {
            let dir: TS.TempDir
            var environment: [String: String] { ["XDG_CACHE_HOME": dir.path("xdg")] }
            var verdicts: String { dir.path("xdg") + "/imgtool/verdicts" }
            init() throws { dir = try TS.TempDir() }

            /// The record files (not the file identities).
            func records() throws -> [String] {
                try FileManager.default.contentsOfDirectory(atPath: verdicts).filter { $0.hasSuffix(".json") }.sorted()
            }

            /// `imgtool pack` of a fixture into this test's folder, with this cache.
            func pack(_ fixture: String, _ extra: [String] = []) throws -> String {
                let out = dir.path(fixture.replacingOccurrences(of: ".tar.gz", with: ".tar") + ".packed.tar.gz")
                let r = try TS.run(
                    TS.imgtool, ["pack"] + extra + ["-o", out, TS.fixture(fixture)], currentDirectory: TS.repoRoot.path,
                    environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
                #expect(r.status == 0, "\(r.stderr)")
                return out
            }
        }

        @Test func shipReusesTheVerdictPackRecordedForTheFile() throws {
            let server = try SSHTestServer()
            defer { server.stop() }
            let cache = try Cache()
            defer { cache.dir.cleanup() }
            let packed = try cache.pack("prisma-ok-debian-amd64.tar")
            #expect(try cache.records().count == 1, "pack records one verdict")

            let remote = server.remote("reused")
            let text = try server.imgtool(["ship", packed, "ship:\(remote)/a"], environment: cache.environment)
            #expect(text.status == 0, "\(text.stderr)")
            #expect(text.stdout.hasPrefix("verify: all 3 checks passed\n"), "\(text.stdout)")
            #expect(
                text.stdout.hasSuffix(
                    "verify: the verdict `imgtool pack` recorded for this file's SHA-256 and these checks: the archive was hashed, not read again (--no-cache checks again)\n"
                ), "\(text.stdout)")
            // The target check still ran, from the recorded facts.
            #expect(text.stdout.contains("target linux/amd64"), "\(text.stdout)")
            #expect(try TS.bytes(remote + "/a/" + URL(fileURLWithPath: packed).lastPathComponent) == TS.bytes(packed))

            let json = try ShipOverSSHTests.summary(
                try server.imgtool(["ship", "--json", packed, "ship:\(remote)/b"], environment: cache.environment))
            #expect(json.verified && json.verdictRecordedBy == "pack" && json.checksPassed == 3)
            #expect(json.destinations.first?.ok == true)

            // --no-cache runs the checks.
            let fresh = try ShipOverSSHTests.summary(
                try server.imgtool(["ship", "--json", "--no-cache", packed, "ship:\(remote)/c"], environment: cache.environment))
            #expect(fresh.verified && fresh.verdictRecordedBy == nil && fresh.checksPassed == 3)
        }

        @Test func otherOptionsOrOtherBytesRunTheChecks() throws {
            let server = try SSHTestServer()
            defer { server.stop() }
            let cache = try Cache()
            defer { cache.dir.cleanup() }
            let packed = try cache.pack("prisma-ok-debian-amd64.tar")
            let remote = server.remote("missed")

            // Other options: the recorded verdict (no --arch) does not answer --arch arm64, which fails.
            let arm = try server.imgtool(["ship", "--arch", "arm64", packed, "ship:\(remote)/arm"], environment: cache.environment)
            #expect(arm.status == 1, "\(arm.stderr)")
            #expect(arm.stdout.contains("FAIL  platform"), "\(arm.stdout)")
            #expect(!ShipOverSSHTests.exists(remote + "/arm"), "nothing may reach the remote")
            // --require is an option too: a missing path fails although the default verdict passed.
            let req = try server.imgtool(
                ["ship", "--require", "/no/such/file", packed, "ship:\(remote)/req"], environment: cache.environment)
            #expect(req.status == 1, "\(req.stderr)")

            // Other bytes under the same name: the file's identity changed, so the checks run
            // (and find the damage).
            let damaged = cache.dir.path("damaged.tar.gz")
            var bytes = try TS.bytes(packed)
            bytes[bytes.count - 12] ^= 0xff  // inside the last gzip member's deflate data or CRC
            try Data(bytes).write(to: URL(fileURLWithPath: damaged))
            try FileManager.default.removeItem(atPath: packed)
            try FileManager.default.moveItem(atPath: damaged, toPath: packed)
            let bad = try server.imgtool(["ship", packed, "ship:\(remote)/bad"], environment: cache.environment)
            #expect(bad.status != 0, "\(bad.stdout)")
            #expect(!bad.stdout.contains("recorded"), "\(bad.stdout)")
            #expect(!ShipOverSSHTests.exists(remote + "/bad"))
        }

        @Test func aRecordForOtherBytesIsCaughtByTheFilesSHA256() throws {
            // The file's identity says "the bytes pack wrote", but they are not: the SHA-256 that
            // ship computes while it cuts the file into chunks decides, and the checks run.
            let server = try SSHTestServer()
            defer { server.stop() }
            let cache = try Cache()
            defer { cache.dir.cleanup() }
            _ = try cache.pack("prisma-ok-debian-amd64.tar")
            let other = try cache.pack("prisma-missing.tar", ["--force"])
            // Point the identity record of `other` at the verdict of `packed`.
            let files = cache.verdicts + "/files"
            let record = try cache.records()[0]
            let packedHex = String(record.prefix(64))
            let identities = try FileManager.default.contentsOfDirectory(atPath: files)
            #expect(identities.count == 1, "a failed verdict (--force) is not recorded")
            let line = try String(contentsOfFile: files + "/" + identities[0], encoding: .utf8)
            // Forge: the identity of `other` (its name by device and inode, its size and times)
            // with the SHA-256 of `packed`.
            let ns = try TS.python(
                "import os,sys;s=os.stat(sys.argv[1]);print(f'{s.st_dev}-{s.st_ino} {s.st_size} {s.st_mtime_ns} {s.st_ctime_ns}')",
                [other]
            ).trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ").map(String.init)
            #expect(line.hasSuffix(packedHex + "\n"))
            try "\(ns[1]) \(ns[2]) \(ns[3]) \(packedHex)\n".write(toFile: files + "/" + ns[0], atomically: false, encoding: .utf8)

            let remote = server.remote("forged")
            let r = try server.imgtool(["ship", other, "ship:\(remote)"], environment: cache.environment)
            #expect(r.status == 1, "the checks ran and failed: \(r.stdout)")
            #expect(r.stderr.contains("is not the file its verdict was recorded for; checking it again"), "\(r.stderr)")
            #expect(r.stdout.contains("FAIL  prisma"), "\(r.stdout)")
            #expect(!ShipOverSSHTests.exists(remote))
        }

        @Test func aDamagedRecordIsIgnoredAndShipRecordsItsOwn() throws {
            let server = try SSHTestServer()
            defer { server.stop() }
            let cache = try Cache()
            defer { cache.dir.cleanup() }
            let packed = try cache.pack("prisma-ok-debian-amd64.tar")
            let record = cache.verdicts + "/" + (try cache.records()[0])
            for garbage in ["{\"version\": 1, \"archive\": \"sha256:00\"", "", "\u{0}\u{1}not json"] {
                try garbage.write(toFile: record, atomically: false, encoding: .utf8)
                let remote = server.remote("damaged-\(garbage.count)")
                let r = try ShipOverSSHTests.summary(
                    try server.imgtool(["ship", "--json", packed, "ship:\(remote)"], environment: cache.environment))
                #expect(r.verified && r.verdictRecordedBy == nil && r.checksPassed == 3, "the checks ran")
                #expect(r.destinations.first?.ok == true)
                // The ship that checked recorded its own verdict in place of the damaged one.
                let again = try ShipOverSSHTests.summary(
                    try server.imgtool(["ship", "--json", packed, "ship:\(remote)-again"], environment: cache.environment))
                #expect(again.verdictRecordedBy == "ship")
            }
        }

        @Test func theTargetCheckJudgesTheServerFromTheRecordedFacts() throws {
            // An arm64 image whose checks pass: the recorded verdict carries its platform, and the
            // x86-64 server refuses it before a byte is sent, as when the checks ran.
            let server = try SSHTestServer()
            defer { server.stop() }
            let cache = try Cache()
            defer { cache.dir.cleanup() }
            let packed = try cache.pack("prisma-arm64.tar.gz")
            let remote = server.remote("arm64")
            let r = try server.imgtool(["ship", packed, "ship:\(remote)"], environment: cache.environment)
            #expect(r.status == 1, "\(r.stderr)")
            #expect(r.stdout.contains("verify: all 3 checks passed\n"), "\(r.stdout)")
            #expect(r.stdout.contains("FAIL  target-platform"), "\(r.stdout)")
            #expect(r.stdout.contains("nothing sent"), "\(r.stdout)")
            #expect(!ShipOverSSHTests.exists(remote + "/.imgtool/chunks"))
            #expect(!ShipOverSSHTests.exists(remote + "/prisma-arm64.tar.packed.tar.gz"))
            let j = try server.imgtool(["ship", "--json", packed, "ship:\(remote)"], environment: cache.environment)
            #expect(j.status == 1, "\(j.stderr)")
            #expect(try ShipOverSSHTests.summary(j).verdictRecordedBy == "pack", "the facts came from pack's record")
        }
    }
}
