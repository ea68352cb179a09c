import Foundation
import TestSupport
import Testing

/// A push stopped inside a layer (SIGTERM) and run again: the registry is asked where the upload
/// stands and only the rest is sent, counted by a proxy in front of the real registry.
@Suite(.enabled(if: RegistryTestServer.available, Comment(rawValue: RegistryTestServer.missing)))
struct PushResumeCLITests {
    @Test func stoppedInsideALayerResumesWithTheRest() throws {
        let server = try RegistryTestServer(mode: .plain)
        defer { server.stop() }
        let home = try TS.TempDir()
        defer { home.cleanup() }
        let archive = home.path("noise.tar")
        let layerSize = 6 << 20
        try PushRun.writeNoiseArchive(archive, size: layerSize, seed: 7)
        let cacheFile = home.path("cache/imgtool/push-cache.json")

        // 1. Through a proxy that lets 1.5 MB/s through: stopped once the registry holds 1 MiB.
        let slow = try TCPProxy(to: server.port, rate: 1_500_000, countFile: home.path("slow.count"))
        defer { slow.stop() }
        let chunk = 256 << 10
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TS.imgtool)
        process.arguments = ["push", "--insecure", "--no-verify", "--chunk-size", "256K", archive, "127.0.0.1:\(slow.port)/maia/noise:v1"]
        process.environment = PushRun.environment(home: home.url.path)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var committed = 0
        let deadline = Date().addingTimeInterval(20)
        while committed < 1 << 20 && Date() < deadline && process.isRunning {
            usleep(50_000)
            committed = Self.committed(cacheFile)
        }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGTERM)
        // What the cache says after the signal: the chunk in flight finished first.
        committed = Self.committed(cacheFile)
        try #require(committed >= 1 << 20, "stopped after \(committed) bytes")
        try #require(committed < layerSize - chunk, "the layer was not to be complete: \(committed)")

        // 2. The same command (the same registry address: the proxy), its bytes counted.
        let before = slow.bytesUp
        let r = try PushRun.push(
            ["--insecure", "--no-verify", "--chunk-size", "256K", archive, "127.0.0.1:\(slow.port)/maia/noise:v1"], home: home.url.path)
        #expect(r.status == 0, "\(r.stderr)")
        let blob = try #require(r.blobs.first)
        #expect(blob["outcome"] as? String == "resumed")
        let size = try #require(blob["size"] as? Int)
        let sent = try #require(blob["bytesSent"] as? Int)
        #expect(sent == size - committed, "only the rest: \(sent) of \(size), \(committed) held")
        // Everything the second run sent, request headers, config and manifest included.
        let up = slow.bytesUp - before
        #expect(up < size - committed + 64 * 1024, "\(up) bytes up for \(size - committed) missing")
        let pulled = server.dir.path("pulled.tar")
        let copy = try server.skopeo([
            "copy", "-q", "--src-tls-verify=false", "docker://\(server.host)/maia/noise:v1", "docker-archive:\(pulled)",
        ])
        #expect(copy.status == 0, "\(copy.stderr)")
        #expect(try PushRun.images(pulled).map(\.diffIDs) == (try PushRun.images(archive)).map(\.diffIDs))
    }

    /// The bytes the cache says the registry holds of the upload in progress (0 for none).
    static func committed(_ cacheFile: String) -> Int {
        guard let data = FileManager.default.contents(atPath: cacheFile),
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let uploads = object["uploads"] as? [String: [String: Any]]
        else { return 0 }
        return uploads.values.compactMap { $0["committed"] as? Int }.max() ?? 0
    }
}

/// What Docker itself pulls from the registry after a push: the real daemon of the ship tests.
@Suite(
    .enabled(if: RegistryTestServer.available, Comment(rawValue: RegistryTestServer.missing)),
    .enabled(if: DockerTestDaemon.available, Comment(rawValue: DockerTestDaemon.missing)))
struct PushDockerPullTests {
    @Test func dockerPullsWhatWasPushed() throws {
        let server = try RegistryTestServer(mode: .plain)
        defer { server.stop() }
        let home = try TS.TempDir()
        defer { home.cleanup() }
        let archive = TS.fixture("docker/one-layer.tar")
        let r = try PushRun.push(["--insecure", archive, "\(server.host)/maia/one:v1"], home: home.url.path)
        #expect(r.status == 0, "\(r.stderr)")
        let docker = try DockerTestDaemon()
        defer { docker.stop() }
        // Docker trusts a registry on 127.0.0.0/8 over plain HTTP.
        let pull = try docker.docker(["pull", "\(server.host)/maia/one:v1"])
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(pull.stdout.contains(r.topDigest ?? "?"), "docker pull reports the manifest digest pushed: \(pull.stdout)")
        let inspect = try docker.docker(["image", "inspect", "--format", "{{.Id}} {{json .RootFS.Layers}}", "\(server.host)/maia/one:v1"])
        let original = try #require(try PushRun.images(archive).first)
        #expect(inspect.stdout.hasPrefix(original.config), "\(inspect.stdout)")
        for diff in original.diffIDs { #expect(inspect.stdout.contains(diff)) }
        let run = try docker.docker(["run", "--rm", "--network", "none", "\(server.host)/maia/one:v1"])
        #expect(run.status == 0 || !run.stderr.contains("manifest"), "\(run.stderr)")
    }
}
