import Foundation
import TestSupport
import Testing

/// What the push tests share: running `imgtool push` with its own cache and Docker config, and
/// reading its `--json` report.
enum PushRun {
    /// The `push` object of `--json`, and the exit status and stderr.
    struct Report {
        var status: Int32
        var stderr: String
        var stdout: String
        var push: [String: Any]
        var blobs: [[String: Any]] { push["blobs"] as? [[String: Any]] ?? [] }
        var manifests: [[String: Any]] { push["manifests"] as? [[String: Any]] ?? [] }
        var bytesSent: Int { push["bytesSent"] as? Int ?? -1 }
        var tagged: Bool { push["tagged"] as? Bool ?? false }
        /// The digest of the manifest (or index) under the tag.
        var topDigest: String? { manifests.last?["digest"] as? String }
        func outcomes() -> [String] { blobs.compactMap { $0["outcome"] as? String } }
        func count(_ outcome: String) -> Int { outcomes().filter { $0 == outcome }.count }
    }

    /// The environment of a push: the cache and Docker config under `home`.
    static func environment(home: String, extra: [String: String] = [:]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["XDG_CACHE_HOME"] = home + "/cache"
        env["DOCKER_CONFIG"] = home + "/docker"
        env["HOME"] = home
        for (k, v) in extra { env[k] = v }
        return env
    }

    /// Runs `imgtool push ARGS --json` (from the repository root).
    static func push(
        _ arguments: [String], home: String, stdinPath: String? = nil, extra: [String: String] = [:], wrap: (([String]) -> [String])? = nil
    ) throws -> Report {
        var argv = [TS.imgtool, "push"] + arguments + ["--json"]
        if let wrap { argv = wrap(argv) }
        let r = try TS.run(
            argv[0], Array(argv.dropFirst()), stdinPath: stdinPath, currentDirectory: TS.repoRoot.path,
            environment: environment(home: home, extra: extra))
        let object = (try? JSONSerialization.jsonObject(with: r.stdoutData)) as? [String: Any]
        return Report(status: r.status, stderr: r.stderr, stdout: r.stdout, push: object?["push"] as? [String: Any] ?? [:])
    }

    /// `imgtool inspect --json PATH`: each image's config digest and diff_ids.
    static func images(_ path: String) throws -> [(config: String, diffIDs: [String], platform: String)] {
        let r = try TS.imgtool(["inspect", "--json", path])
        let object = try #require((try JSONSerialization.jsonObject(with: r.stdoutData)) as? [String: Any], "inspect --json: \(r.stderr)")
        let images = object["images"] as? [[String: Any]] ?? []
        return images.map { image in
            let layers = image["layers"] as? [[String: Any]] ?? []
            return (
                image["configDigest"] as? String ?? "", layers.compactMap { $0["diffID"] as? String }, image["platform"] as? String ?? ""
            )
        }
    }

    /// Writes a `docker save`-style archive (legacy layout) whose one layer holds `size` bytes of
    /// noise (incompressible), for the resume test: a layer big enough to stop a push inside.
    static func writeNoiseArchive(_ path: String, size: Int, seed: Int) throws {
        let script = """
            import hashlib, io, json, random, sys, tarfile
            path, size, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
            rnd = random.Random(seed)
            data = bytes(rnd.getrandbits(8) for _ in range(size)) if size < 65536 else rnd.randbytes(size)
            layer = io.BytesIO()
            with tarfile.open(fileobj=layer, mode="w", format=tarfile.PAX_FORMAT) as t:
                info = tarfile.TarInfo("noise.bin"); info.size = len(data); info.mtime = 0
                t.addfile(info, io.BytesIO(data))
            layer = layer.getvalue()
            diff = "sha256:" + hashlib.sha256(layer).hexdigest()
            config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/noise"]},
                "rootfs": {"type": "layers", "diff_ids": [diff]}, "history": [{"created_by": "noise"}]}, sort_keys=True).encode()
            cid = hashlib.sha256(config).hexdigest()
            lid = hashlib.sha256(diff.encode()).hexdigest()
            manifest = json.dumps([{"Config": cid + ".json", "RepoTags": ["noise:v1"], "Layers": [lid + "/layer.tar"]}]).encode()
            with tarfile.open(path, mode="w", format=tarfile.USTAR_FORMAT) as t:
                for name, body in [(lid + "/layer.tar", layer), (cid + ".json", config), ("manifest.json", manifest)]:
                    info = tarfile.TarInfo(name); info.size = len(body); info.mtime = 0
                    t.addfile(info, io.BytesIO(body))
            """
        let r = try TS.run("/usr/bin/env", ["python3", "-c", script, path, String(size), String(seed)])
        guard r.status == 0 else { throw Failure("could not write the noise archive: \(r.stderr)") }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }
}
