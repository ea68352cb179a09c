import Foundation
import TestSupport
import Testing

/// How the built binary reads its input when it is not a plain, intact file: a real pipe, a
/// member whose size is near Int64.max, a file cut short while it is mapped. (The readers
/// themselves are ImageArchiveTests' InflatePipelineTests and MappedScanTests.)
@Suite struct InputReadingCLITests {
    /// Through a real pipe (stdin), the archive reads the same, and a damaged one fails with the
    /// same message, without waiting for the writer.
    @Test func stdinPipe() throws {
        let good = TS.fixture("skopeo-docker-archive.tar.gz")
        let file = try TS.imgtool(["inspect", "--json", good])
        let piped = try TS.run("/bin/sh", ["-c", "cat \"$1\" | \"$2\" inspect --json -", "sh", good, TS.imgtool])
        #expect(piped.status == 0)
        #expect(piped.stdout.replacingOccurrences(of: "\"path\" : \"-\"", with: "\"path\" : \"\(good)\"") == file.stdout)

        let tmp = try TS.TempDir()
        defer { tmp.cleanup() }
        let bad = tmp.path("bad.tar.gz")
        var bytes = try TS.bytes(good)
        bytes[bytes.count / 2] ^= 0xFF
        try TS.write(bytes, to: bad)
        let fromFile = try TS.imgtool(["verify", bad])
        let fromPipe = try TS.run("/bin/sh", ["-c", "cat \"$1\" | \"$2\" verify -", "sh", bad, TS.imgtool])
        #expect(fromPipe.status == fromFile.status)
        #expect(fromPipe.status != 0)
        #expect(fromPipe.stderr.replacingOccurrences(of: "Error: stdin: ", with: "Error: \(bad): ") == fromFile.stderr)
    }

    // MARK: - Sizes near Int64.max

    /// A member claiming a size of `Int64.max - 1000` (base-256) as the last member of a whole
    /// archive (in a layer: MappedScanTests' aSizeNearInt64MaxIsATruncatedLayer): inspect, verify
    /// and pack all report a truncated archive (exit code 2), and pack writes nothing.
    @Test func anArchiveMemberNearInt64MaxIsTruncatedForEveryCommand() throws {
        let tmp = try TS.TempDir()
        defer { tmp.cleanup() }
        let config = Array(#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#.utf8)
        let archive =
            TS.entry(TS.header(name: "config.json", size: Int64(config.count)), config)
            + TS.entry(TS.header(name: "layer.tar", size: 2048), TS.file("a.txt", "a") + TS.endMarker)
            + TS.entry(TS.header(name: "huge.bin", fields: [(124, TS.base256(Int64.max - 1000, width: 12))]), [1, 2, 3])
        try TS.write(archive, to: tmp.path("huge.tar"))
        for arguments in [["inspect"], ["verify"], ["pack", "--output", tmp.path("out.tar.gz")]] {
            let r = try TS.imgtool(arguments + [tmp.path("huge.tar")])
            #expect(r.status == 2, "\(arguments): \(r.status) \(r.stderr)")
            #expect(r.stderr.contains("truncated"), "\(arguments): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: tmp.path("out.tar.gz")))
    }

    // MARK: - The file cut short under the mapping

    /// `imgtool inspect` maps the archive; another process truncating it while the layers are
    /// walked makes the next touch of a lost page raise SIGBUS, which is reported as a truncated
    /// archive (exit code 2), not a crash. The inspect process is stopped as soon as the file
    /// shows in its memory maps, the file is cut to 4 KiB, and the process is let go on.
    @Test func aFileCutShortWhileMappedIsReportedAsTruncated() throws {
        let tmp = try TS.TempDir()
        defer { tmp.cleanup() }
        let script = #"""
            import os, signal, subprocess, sys, tarfile, io, time, json, hashlib
            imgtool, path = sys.argv[1], sys.argv[2]
            # One layer of 100,000 empty files: the walk takes long enough to be caught in it.
            tmpl = tarfile.TarInfo("x"); tmpl.mtime = 0
            layer = bytearray()
            for i in range(100000):
                tmpl.name = "app/node_modules/pkg%05d/index.js" % i
                layer += tmpl.tobuf(format=tarfile.USTAR_FORMAT)
            layer += bytes(1024)
            diff = "sha256:" + hashlib.sha256(layer).hexdigest()
            config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [diff]}}).encode()
            manifest = json.dumps([{"Config": "config.json", "RepoTags": ["cut:1"], "Layers": ["layer.tar"]}]).encode()
            with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as t:
                for name, data in (("layer.tar", bytes(layer)), ("config.json", config), ("manifest.json", manifest)):
                    info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))
            p = subprocess.Popen([imgtool, "inspect", path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            seen = False
            deadline = time.time() + 20
            while time.time() < deadline and p.poll() is None:
                try:
                    with open("/proc/%d/maps" % p.pid) as m:
                        if path in m.read():
                            seen = True
                            break
                except OSError:
                    break
            if seen:
                os.kill(p.pid, signal.SIGSTOP)
                os.truncate(path, 4096)
                os.kill(p.pid, signal.SIGCONT)
            err = p.communicate(timeout=60)[1].decode()
            print(json.dumps({"seen": seen, "status": p.returncode, "stderr": err}))
            """#
        let out = try TS.python(script, [TS.imgtool, tmp.path("cut.tar")])
        let result = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any]
        #expect(result?["seen"] as? Bool == true, "the mapping never showed: \(out)")
        #expect(result?["status"] as? Int == 2, "\(out)")
        let stderr = result?["stderr"] as? String ?? ""
        #expect(stderr.contains("cut.tar: archive truncated while it was being read"), "\(stderr)")
        #expect(stderr.split(separator: "\n").count == 1, "\(stderr)")
    }
}
