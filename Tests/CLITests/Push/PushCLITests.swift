import Foundation
import TestSupport
import Testing

/// `imgtool push` against a real registry (Debian's distribution 2.8, ``RegistryTestServer``),
/// each result read back by independent clients: skopeo (and, in `PushDockerTests`, Docker).
@Suite(.enabled(if: RegistryTestServer.available, Comment(rawValue: RegistryTestServer.missing)))
struct PushCLITests {
    static let dockerSave = TS.fixture("docker/one-layer.tar")
    static let v1 = TS.fixture("deploy-v1.tar.gz")
    static let v2 = TS.fixture("deploy-v2.tar.gz")
    static let multiPlatform = TS.fixture("oci-multiarch.tar")

    /// skopeo's view of `reference`: the raw manifest's digest and JSON.
    static func skopeoRaw(_ server: RegistryTestServer, _ reference: String, _ extra: [String] = []) throws -> (
        digest: String, json: [String: Any]
    ) {
        let r = try server.skopeo(["inspect", "--raw", "--tls-verify=false"] + extra + ["docker://\(server.host)/\(reference)"])
        try #require(r.status == 0, "skopeo inspect: \(r.stderr)")
        let digest = "sha256:" + TS.hex(SHA256Hex.digest(r.stdoutData))
        return (digest, try #require((try JSONSerialization.jsonObject(with: r.stdoutData)) as? [String: Any]))
    }

    /// Pulls `reference` back with skopeo into a docker-archive and reads it with imgtool.
    static func pullBack(_ server: RegistryTestServer, _ reference: String, into dir: TS.TempDir, _ extra: [String] = []) throws
        -> [(config: String, diffIDs: [String], platform: String)]
    {
        let out = dir.path("pulled-\(UUID().uuidString).tar")
        let r = try server.skopeo(
            ["copy", "-q", "--src-tls-verify=false"] + extra + ["docker://\(server.host)/\(reference)", "docker-archive:\(out)"])
        try #require(r.status == 0, "skopeo copy: \(r.stderr)")
        return try PushRun.images(out)
    }

    @Test func dockerSaveArchiveGoesUpAndComesBackTheSame() throws {
        let server = try RegistryTestServer(mode: .plain)
        defer { server.stop() }
        let home = try TS.TempDir()
        defer { home.cleanup() }
        let r = try PushRun.push(["--insecure", Self.dockerSave, "\(server.host)/maia/web:v1"], home: home.url.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.tagged)
        // Docker's legacy layout: the layer is uncompressed in the archive, gzip'd on the way.
        #expect(r.blobs.count == 1)
        #expect(r.blobs.first?["compressedOnTheWay"] as? Bool == true)
        #expect(r.blobs.first?["compression"] as? String == "gzip")
        let (digest, manifest) = try Self.skopeoRaw(server, "maia/web:v1")
        #expect(digest == r.topDigest)
        #expect(manifest["mediaType"] as? String == "application/vnd.docker.distribution.manifest.v2+json")
        let layers = manifest["layers"] as? [[String: Any]] ?? []
        #expect(layers.map { $0["mediaType"] as? String } == ["application/vnd.docker.image.rootfs.diff.tar.gzip"])
        let original = try PushRun.images(Self.dockerSave)
        let pulled = try Self.pullBack(server, "maia/web:v1", into: home)
        #expect(pulled.map(\.config) == original.map(\.config))
        #expect(pulled.map(\.diffIDs) == original.map(\.diffIDs))
        // The registry stores the layer's gzip and the config: the blobs the manifest names.
        let stored = Set(server.storedBlobs)
        #expect(stored.isSuperset(of: layers.compactMap { $0["digest"] as? String }))
    }

    @Test func multiPlatformArchiveGoesUpAsAnIndex() throws {
        let server = try RegistryTestServer(mode: .plain)
        defer { server.stop() }
        let home = try TS.TempDir()
        defer { home.cleanup() }
        let r = try PushRun.push(["--insecure", "--no-verify", Self.multiPlatform, "\(server.host)/maia/multi:v1"], home: home.url.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.manifests.count == 3)
        #expect(r.manifests.last?["tag"] as? String == "v1")
        let (digest, index) = try Self.skopeoRaw(server, "maia/multi:v1")
        #expect(digest == r.topDigest)
        #expect(index["mediaType"] as? String == "application/vnd.oci.image.index.v1+json")
        let platforms = (index["manifests"] as? [[String: Any]] ?? []).compactMap {
            ($0["platform"] as? [String: Any])?["architecture"] as? String
        }
        #expect(platforms.sorted() == ["amd64", "arm64"])
        let original = try PushRun.images(Self.multiPlatform)
        for arch in ["amd64", "arm64"] {
            let pulled = try Self.pullBack(server, "maia/multi:v1", into: home, ["--override-arch", arch])
            let expected = try #require(original.first { $0.platform.contains(arch) })
            #expect(pulled.first?.config == expected.config, "\(arch)")
            #expect(pulled.first?.diffIDs == expected.diffIDs, "\(arch)")
        }
        // The archive's layers are gzip already: uploaded as they are, their digests unchanged,
        // and each platform's manifest put with the archive's own bytes: the same digests.
        #expect(r.blobs.allSatisfy { $0["compressedOnTheWay"] as? Bool == false })
        let inspect = try TS.imgtool(["inspect", "--json", Self.multiPlatform])
        let archiveDigests = Set(
            (((try JSONSerialization.jsonObject(with: inspect.stdoutData)) as? [String: Any])?["images"] as? [[String: Any]] ?? [])
                .compactMap { $0["manifestDigest"] as? String })
        let indexDigests = Set((index["manifests"] as? [[String: Any]] ?? []).compactMap { $0["digest"] as? String })
        #expect(archiveDigests.count == 2)
        #expect(indexDigests == archiveDigests, "the index lists the archive's own manifests")
    }

    @Test func secondPushSendsNothingAndVersionTwoOnlyItsChangedLayer() throws {
        let server = try RegistryTestServer(mode: .plain)
        defer { server.stop() }
        let home = try TS.TempDir()
        defer { home.cleanup() }
        let first = try PushRun.push(["--insecure", Self.v1, "\(server.host)/maia/app:v1"], home: home.url.path)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.count("uploaded") == 3)
        let stored = server.storedBlobs.count

        let again = try PushRun.push(["--insecure", Self.v1, "\(server.host)/maia/app:v1"], home: home.url.path)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.count("existed") == 3)
        #expect(again.bytesSent == 0, "a second push sends no body at all: \(again.push)")
        #expect(server.storedBlobs.count == stored)

        let v2 = try PushRun.push(["--insecure", Self.v2, "\(server.host)/maia/app:v2"], home: home.url.path)
        #expect(v2.status == 0, "\(v2.stderr)")
        #expect(v2.count("uploaded") == 1, "only the app layer changed: \(v2.outcomes())")
        #expect(v2.count("existed") == 2)
        let original = try PushRun.images(Self.v2)
        #expect(try Self.pullBack(server, "maia/app:v2", into: home).map(\.diffIDs) == original.map(\.diffIDs))
    }

    @Test func readsStdinAndZstd() throws {
        let server = try RegistryTestServer(mode: .plain)
        defer { server.stop() }
        let home = try TS.TempDir()
        defer { home.cleanup() }
        let r = try PushRun.push(["--insecure", "-", "\(server.host)/maia/app:stdin"], home: home.url.path, stdinPath: Self.v1)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Self.pullBack(server, "maia/app:stdin", into: home).map(\.diffIDs) == (try PushRun.images(Self.v1)).map(\.diffIDs))
        // A .tar.zst made by zstd(1), piped: its layers gzip'd on the way like any.
        let zst = TS.fixture("skopeo-docker-archive.tar.zst")
        let z = try PushRun.push(["--insecure", "--no-verify", "-", "\(server.host)/maia/zst:v1"], home: home.url.path, stdinPath: zst)
        #expect(z.status == 0, "\(z.stderr)")
        #expect(try Self.pullBack(server, "maia/zst:v1", into: home).map(\.diffIDs) == (try PushRun.images(zst)).map(\.diffIDs))
    }

    @Test func mountsFromAnotherRepository() throws {
        let server = try RegistryTestServer(mode: .plain)
        defer { server.stop() }
        let home = try TS.TempDir()
        defer { home.cleanup() }
        // --from: the archive's layers are gzip already, so their digests are known as they
        // stream past, and the registry mounts each from the repository named.
        let a = try PushRun.push(["--insecure", "--no-verify", Self.multiPlatform, "\(server.host)/team/multi:v1"], home: home.url.path)
        #expect(a.status == 0, "\(a.stderr)")
        let b = try PushRun.push(
            ["--insecure", "--no-verify", "--no-cache", "--from", "team/multi", Self.multiPlatform, "\(server.host)/team/other:v1"],
            home: home.url.path)
        #expect(b.status == 0, "\(b.stderr)")
        #expect(b.count("mounted") == b.blobs.count, "\(b.outcomes())")
        #expect(b.blobs.allSatisfy { $0["bytesSent"] as? Int == 0 && $0["mountedFrom"] as? String == "team/multi" })
        // Without --from: the cache knows which repository of the registry holds each layer
        // (and what the uncompressed layers compressed to), so they are mounted from there.
        let c = try PushRun.push(["--insecure", Self.v1, "\(server.host)/team/base:v1"], home: home.url.path)
        #expect(c.status == 0, "\(c.stderr)")
        let d = try PushRun.push(["--insecure", Self.v1, "\(server.host)/team/app:v1"], home: home.url.path)
        #expect(d.status == 0, "\(d.stderr)")
        #expect(d.count("mounted") == 3, "\(d.outcomes())")
        #expect(d.bytesSent < 4096, "only the config and the manifest: \(d.bytesSent)")
        let original = try PushRun.images(Self.v1)
        #expect(try Self.pullBack(server, "team/app:v1", into: home).map(\.diffIDs) == original.map(\.diffIDs))
    }

    /// On a terminal: the reading progress, then a line per blob as it lands; not otherwise.
    @Test func progressPerBlobOnATerminal() throws {
        let server = try RegistryTestServer(mode: .plain)
        defer { server.stop() }
        let home = try TS.TempDir()
        defer { home.cleanup() }
        let command =
            "XDG_CACHE_HOME='\(home.path("cache"))' DOCKER_CONFIG='\(home.path("docker"))' '\(TS.imgtool)' push --insecure '\(Self.v1)' \(server.host)/maia/app:v1"
        let tty = try TS.run("/usr/bin/script", ["-qec", command, "/dev/null"])
        #expect(tty.status == 0, "\(tty.stdout)")
        let blobLines = tty.stdout.split(whereSeparator: \.isNewline).filter { $0.contains("sha256:") && $0.contains("uploaded (") }
        #expect(blobLines.count == 3, "a line per blob: \(tty.stdout.debugDescription)")
        #expect(tty.stdout.contains("compressed on the way"))
        #expect(tty.stdout.contains("push: 3 blobs: 3 uploaded"))
        let again = try PushRun.push(["--insecure", Self.v1, "\(server.host)/maia/app:v1"], home: home.url.path)
        #expect(!again.stderr.contains("sha256:") && !again.stderr.contains("\u{1B}[K"), "no progress when stderr is not a terminal")
    }

    @Test func failedCheckLeavesTheTagUnset() throws {
        let server = try RegistryTestServer(mode: .plain)
        defer { server.stop() }
        let home = try TS.TempDir()
        defer { home.cleanup() }
        // Its entrypoint (node) is not in the image: the entrypoint-arch check fails.
        let r = try PushRun.push(
            ["--insecure", TS.fixture("skopeo-docker-archive.tar"), "\(server.host)/maia/bad:v1"], home: home.url.path)
        #expect(r.status == 1)
        #expect(!r.tagged)
        #expect(r.manifests.isEmpty)
        #expect(r.stderr.contains("not tagged"))
        let inspect = try server.skopeo(["inspect", "--raw", "--tls-verify=false", "docker://\(server.host)/maia/bad:v1"])
        #expect(inspect.status != 0, "no manifest under the tag")
    }

    @Test func registryThatIsDown() throws {
        let home = try TS.TempDir()
        defer { home.cleanup() }
        let port = try RegistryTestServer.freePort()
        let started = Date()
        let r = try PushRun.push(["--insecure", Self.v1, "127.0.0.1:\(port)/maia/app:v1"], home: home.url.path)
        #expect(r.status == 10)
        #expect(r.stderr.contains("GET http://127.0.0.1:\(port)/v2/"), "\(r.stderr)")
        #expect(r.stderr.contains("connection refused"), "\(r.stderr)")
        #expect(r.stderr.contains("run the same command again"), "\(r.stderr)")
        #expect(Date().timeIntervalSince(started) < 10)
    }
}

/// SHA-256 of bytes for the tests, through the system's `sha256sum` (not imgtool's own code).
enum SHA256Hex {
    static func digest(_ data: Data) -> [UInt8] {
        let dir = try? TS.TempDir()
        defer { dir?.cleanup() }
        guard let dir else { return [] }
        let path = dir.path("bytes")
        _ = FileManager.default.createFile(atPath: path, contents: data)
        let out = (try? TS.run("/usr/bin/sha256sum", [path]))?.stdout ?? ""
        let hex = Array(out.prefix(64))
        return stride(from: 0, to: hex.count, by: 2).compactMap { UInt8(String(hex[$0..<$0 + 2]), radix: 16) }
    }
}
