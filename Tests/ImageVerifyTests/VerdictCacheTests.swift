import ByteIO
import Codec
import Foundation
import ImageArchive
import ImageVerify
import OCI
import TestSupport
import Testing

/// ``VerdictCache`` on its own: a record is found by the file's SHA-256 and the options, the
/// file's identity leads to that SHA-256 only while it is unchanged, anything else is ignored,
/// and the folder stays bounded.
@Suite struct VerdictCacheTests {
    static let facts = ArchiveFacts(
        compression: .gzip, layout: .dockerLegacy,
        images: [
            .init(
                tags: ["app:1"], platform: Platform(os: "linux", architecture: "amd64"), layers: [.init(mediaType: nil, compression: .none)]
            )
        ])

    static func record(_ hex: Character, options: String = "opts", checks: [CheckResult]? = nil) throws -> VerdictRecord {
        VerdictRecord(
            archive: try Digest(parsing: "sha256:" + String(repeating: hex, count: 64)), size: 100, options: options, recordedBy: "pack",
            recordedAt: 1,
            checks: checks ?? [CheckResult(id: "platform", status: .passed, expected: "linux/amd64", found: "linux/amd64", message: "ok")],
            facts: facts)
    }

    @Test func aRecordIsFoundByDigestAndOptionsAndTheFileByItsIdentity() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let cache = VerdictCache(directory: dir.path("v"))
        let file = dir.path("a.tar.gz")
        try Data(repeating: 7, count: 100).write(to: URL(fileURLWithPath: file))
        let status = try #require(FileStatus.of(file))
        let r = try Self.record("a")
        try cache.record(r, file: status)
        #expect(cache.lookup(r.archive, options: "opts") == r)
        #expect(cache.lookup(r.archive, options: "other") == nil)
        #expect(cache.lookup(try Self.record("b").archive, options: "opts") == nil)
        #expect(cache.recordedDigest(of: status) == r.archive)
        // Written again (same size, new times): no longer the file the record was made for.
        try Data(repeating: 8, count: 100).write(to: URL(fileURLWithPath: file))
        let changed = try #require(FileStatus.of(file))
        #expect(changed.modified != status.modified || changed.changed != status.changed)
        #expect(cache.recordedDigest(of: changed) == nil)
    }

    @Test func failedVerdictsAreNotKeptAndUnsoundRecordsAreIgnored() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let cache = VerdictCache(directory: dir.path("v"))
        let failed = try Self.record(
            "c", checks: [CheckResult(id: "platform", status: .failed, expected: "linux/amd64", found: "linux/arm64", message: "no")])
        try cache.record(failed, file: nil)
        #expect(cache.lookup(failed.archive, options: "opts") == nil)
        #expect((try? Directory.entries(of: dir.path("v")))?.contains { $0.hasSuffix(".json") } != true)

        // A record whose content names another archive, or another version, is not used.
        let r = try Self.record("d")
        try cache.record(r, file: nil)
        let path = dir.path("v") + "/\(r.archive.hex).opts.json"
        var other = try Self.record("e")
        other.options = "opts"
        try JSONEncoder().encode(other).write(to: URL(fileURLWithPath: path))
        #expect(cache.lookup(r.archive, options: "opts") == nil)
        var future = r
        future.version = VerdictRecord.currentVersion + 1
        try JSONEncoder().encode(future).write(to: URL(fileURLWithPath: path))
        #expect(cache.lookup(r.archive, options: "opts") == nil)
        try Data("{".utf8).write(to: URL(fileURLWithPath: path))
        #expect(cache.lookup(r.archive, options: "opts") == nil)
    }

    @Test func theOldestRecordsGoPastTheLimit() throws {
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let cache = VerdictCache(directory: dir.path("v"), maximumRecords: 3)
        for hex in "abcde" {
            try cache.record(try Self.record(hex), file: nil)
            usleep(20_000)
        }
        let names = try Directory.entries(of: dir.path("v")).filter { $0.hasSuffix(".json") }
        #expect(names.count == 3)
        #expect(cache.lookup(try Self.record("a").archive, options: "opts") == nil)
        #expect(cache.lookup(try Self.record("e").archive, options: "opts") != nil)
    }

    @Test func optionsKeysDifferWithTheirText() {
        #expect(VerdictCache.optionsKey("a") != VerdictCache.optionsKey("b"))
        #expect(VerdictCache.optionsKey("a").count == 64)
    }
}
