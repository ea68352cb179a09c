import Foundation
import TestSupport
import Testing

/// `imgtool pack`'s cache on what Docker 20.10's `docker save` writes (a real daemon,
/// ``DockerTestDaemon``): layers named `<v1 id>/layer.tar`, whose names say nothing of their
/// bytes. The cache maps such a name to the digest its bytes had; pack takes the member on
/// that word and checks it when the pass has hashed the layer. When the check fails, a file is
/// packed again without the cache; stdin cannot be read again, so the pack fails.
@Suite(.enabled(if: DockerTestDaemon.available, Comment(rawValue: DockerTestDaemon.missing)))
struct PackCacheDockerTests {
    static func pack(_ input: String, to out: String, cache: String, _ extra: [String] = [], stdin: Bool = false) throws -> TS.ProcessResult
    {
        let location = extra.contains("--no-cache") ? [] : ["--cache", cache]
        return try TS.run(TS.imgtool, ["pack"] + location + extra + ["-o", out, stdin ? "-" : input], stdinPath: stdin ? input : nil)
    }

    static func cacheLine(_ r: TS.ProcessResult) -> String? {
        r.stdout.split(whereSeparator: \.isNewline).map(String.init).first { $0.hasPrefix("pack: cache: ") }
    }

    @Test(.timeLimit(.minutes(5))) func aLegacyLayerIsReusedByItsAliasAndAStaleAliasIsCaught() throws {
        let docker = try DockerTestDaemon()
        defer { docker.stop() }
        let dir = try TS.TempDir()
        defer { dir.cleanup() }
        let v1 = try ShipOverSSHTests.RealDocker.buildAndSave(docker, dir, tag: "maia:v1", version: "v1", name: "v1.tar")
        let v2 = try ShipOverSSHTests.RealDocker.buildAndSave(docker, dir, tag: "maia:v2", version: "v2", name: "v2.tar")
        let listing = try TS.tool("tar", ["-tf", v2])
        #expect(listing.stdout.contains("/layer.tar"), "Docker 20.10's legacy layout")
        let cache = dir.path("cache")

        let first = try Self.pack(v1, to: dir.path("v1.tar.gz"), cache: cache)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(Self.cacheLine(first) == "pack: cache: 0 of 2 layers reused, 2 compressed, 2 stored")
        // Version 2 changed its app layer only: the system layer, under the same v1 id, is reused.
        let second = try Self.pack(v2, to: dir.path("v2.tar.gz"), cache: cache, ["--json"])
        #expect(second.status == 0, "\(second.stderr)")
        let doc = try JSONSerialization.jsonObject(with: second.stdoutData) as? [String: Any]
        let report = (doc?["pack"] as? [String: Any])?["cache"] as? [String: Any]
        #expect(report?["hits"] as? Int == 1)
        #expect(report?["misses"] as? Int == 1)
        let plain = try Self.pack(v2, to: dir.path("v2-plain.tar.gz"), cache: cache, ["--no-cache"])
        #expect(plain.status == 0)
        #expect(try TS.bytes(dir.path("v2.tar.gz")) == (try TS.bytes(dir.path("v2-plain.tar.gz"))))

        // Point every alias at a copy of its entry under another digest: the id now "names"
        // other bytes. A file is packed again, without the cache, to the right bytes.
        let aliases = try FileManager.default.contentsOfDirectory(atPath: cache + "/aliases")
        try #require(aliases.count == 3)
        let namespace = try #require(try FileManager.default.contentsOfDirectory(atPath: cache).first { $0.hasPrefix("gzip-") })
        for (i, alias) in aliases.enumerated() {
            let digest = String(decoding: try TS.bytes("\(cache)/aliases/\(alias)").prefix(64), as: UTF8.self)
            let entries = try FileManager.default.contentsOfDirectory(atPath: "\(cache)/\(namespace)")
            let entry = try #require(entries.first { $0.hasPrefix(digest + "-") })
            let other = String(repeating: "0\(i)", count: 32)
            try FileManager.default.copyItem(
                atPath: "\(cache)/\(namespace)/\(entry)",
                toPath: "\(cache)/\(namespace)/\(entry.replacingOccurrences(of: digest, with: other))")
            try Data((other + "\n").utf8).write(to: URL(fileURLWithPath: "\(cache)/aliases/\(alias)"))
        }
        let stale = try Self.pack(v2, to: dir.path("v2-again.tar.gz"), cache: cache)
        #expect(stale.status == 0, "\(stale.stderr)")
        #expect(stale.stderr.contains("the pack cache did not match the archive ("), "\(stale.stderr)")
        #expect(stale.stderr.contains("/layer.tar: the cached member is of sha256:"))
        #expect(stale.stderr.contains("); packing again without it"))
        #expect(try TS.bytes(dir.path("v2-again.tar.gz")) == (try TS.bytes(dir.path("v2-plain.tar.gz"))))

        // Once more on stdin, with the aliases stale again: nothing is written, and the error says what to do.
        for alias in try FileManager.default.contentsOfDirectory(atPath: cache + "/aliases") {
            try Data((String(repeating: "0f", count: 32) + "\n").utf8).write(to: URL(fileURLWithPath: "\(cache)/aliases/\(alias)"))
        }
        let entries = try FileManager.default.contentsOfDirectory(atPath: "\(cache)/\(namespace)")
        for entry in entries where !entry.hasPrefix(".") {
            let size = entry.split(separator: "-").last.map(String.init) ?? ""
            let fake = "\(cache)/\(namespace)/\(String(repeating: "0f", count: 32))-\(size)"
            if !FileManager.default.fileExists(atPath: fake) {
                try FileManager.default.copyItem(atPath: "\(cache)/\(namespace)/\(entry)", toPath: fake)
            }
        }
        let piped = try Self.pack(v2, to: dir.path("v2-stdin.tar.gz"), cache: cache, stdin: true)
        #expect(piped.status == 1)
        #expect(
            piped.stderr.contains("Error: stdin: \(dir.path("v2-stdin.tar.gz")) not written: the pack cache did not match the archive ("),
            "\(piped.stderr)")
        #expect(piped.stderr.contains("run it again with --no-cache"))
        #expect(!FileManager.default.fileExists(atPath: dir.path("v2-stdin.tar.gz")))
        let retried = try Self.pack(v2, to: dir.path("v2-stdin.tar.gz"), cache: cache, stdin: true)
        #expect(retried.status == 0, "the stale aliases went with the failed pack: \(retried.stderr)")
        #expect(try TS.bytes(dir.path("v2-stdin.tar.gz")) == (try TS.bytes(dir.path("v2-plain.tar.gz"))))
    }
}
