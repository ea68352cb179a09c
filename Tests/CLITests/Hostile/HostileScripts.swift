/// The Python scripts that write the hostile archives.
extension HostileInputTests {
    /// The Python scripts that write the archives (`python3 -c script arguments…`).
    enum Scripts {
        /// Shared by the scripts: tar members from bytes, by `tarfile`.
        static let prelude = #"""
            import hashlib, io, json, os, sys, tarfile, zlib
            def add(t, name, data, **kw):
                ti = tarfile.TarInfo(name); ti.size = len(data); ti.mtime = 0
                for k, v in kw.items(): setattr(ti, k, v)
                t.addfile(ti, io.BytesIO(data))
            def sha(data): return "sha256:" + hashlib.sha256(data).hexdigest()
            def layer_tar(entries):
                buf = io.BytesIO()
                with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
                    for e in entries: e(t)
                return buf.getvalue()
            """#

        /// `out k depth names`: an OCI layout whose `index.json` lists an index `k` times, each
        /// index listing the next `k` times, `depth` indexes deep, the last listing one image
        /// manifest `k` times. `names` (comma-separated) name index.json's entries, in turn.
        static let fanout =
            prelude + #"""

                out, k, depth, names = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].split(",")
                blobs = {}
                def blob(data, media):
                    blobs[hashlib.sha256(data).hexdigest()] = data
                    return {"mediaType": media, "digest": sha(data), "size": len(data)}
                def one(t): add(t, "hello.txt", b"hello\n")
                layer = layer_tar([one])
                config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/hello.txt"]},
                                     "rootfs": {"type": "layers", "diff_ids": [sha(layer)]}}).encode()
                manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                                       "config": blob(config, "application/vnd.oci.image.config.v1+json"),
                                       "layers": [blob(layer, "application/vnd.oci.image.layer.v1.tar")]}).encode()
                child = blob(manifest, "application/vnd.oci.image.manifest.v1+json")
                for _ in range(depth):
                    index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                                        "manifests": [child] * k}).encode()
                    child = blob(index, "application/vnd.oci.image.index.v1+json")
                top = []
                for i in range(k):
                    d = dict(child); d["annotations"] = {"org.opencontainers.image.ref.name": names[i * len(names) // k]}
                    top.append(d)
                with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
                    add(t, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
                    add(t, "index.json", json.dumps({"schemaVersion": 2, "manifests": top}).encode())
                    for h, data in blobs.items(): add(t, "blobs/sha256/" + h, data)
                """#

        /// `out`: index.json → index `aaaa…` → index `bbbb…` → index `aaaa…`, under names that
        /// are not their digests.
        static let cycle =
            prelude + #"""

                out = sys.argv[1]
                a, b = "a" * 64, "b" * 64
                def index(target):
                    return json.dumps({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json",
                                       "digest": "sha256:" + target, "size": 0}]}).encode()
                ia, ib = index(b), index(a)
                top = {"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json",
                       "digest": "sha256:" + a, "size": len(ia)}]}
                with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
                    add(t, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
                    add(t, "index.json", json.dumps(top).encode())
                    add(t, "blobs/sha256/" + a, ia)
                    add(t, "blobs/sha256/" + b, ib)
                """#

        /// `out --refs N --entries E [--big-mib M] [--images I] [--no-diff-ids]`: a docker-archive
        /// whose `manifest.json` has `I` entries (distinct configs), each listing the one layer
        /// `l.tar` `N` times; the layer holds an `M` MiB file of zeros (`big.bin`), then `E`
        /// zero-length files. Prints the layer's digest.
        static let references =
            prelude + #"""

                import argparse
                p = argparse.ArgumentParser()
                p.add_argument("out"); p.add_argument("--refs", type=int); p.add_argument("--entries", type=int)
                p.add_argument("--big-mib", type=int, default=0); p.add_argument("--images", type=int, default=1)
                p.add_argument("--no-diff-ids", action="store_true")
                a = p.parse_args()
                buf = io.BytesIO()
                with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
                    if a.big_mib: add(t, "big.bin", bytes(a.big_mib << 20))
                    for i in range(a.entries): add(t, "f%d" % i, b"")
                layer = buf.getvalue()
                rootfs = {"type": "layers"} if a.no_diff_ids else {"type": "layers", "diff_ids": [sha(layer)] * a.refs}
                with tarfile.open(a.out, "w", format=tarfile.USTAR_FORMAT) as t:
                    add(t, "l.tar", layer)
                    items = []
                    for i in range(a.images):
                        config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Labels": {"n": str(i)}},
                                             "rootfs": rootfs}).encode()
                        add(t, "c%d.json" % i, config)
                        items.append({"Config": "c%d.json" % i, "RepoTags": ["refs:%d" % i], "Layers": ["l.tar"] * a.refs})
                    add(t, "manifest.json", json.dumps(items, separators=(",", ":")).encode())
                print(sha(layer))
                """#

        /// `out n m`: an OCI layout whose `index.json` lists one index `n` times (the first entry
        /// named `many:1`), that index listing `m` image manifests (distinct configs, one shared
        /// layer).
        static let imageReferences =
            prelude + #"""

                out, n, m = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
                blobs = {}
                def blob(data, media):
                    blobs[hashlib.sha256(data).hexdigest()] = data
                    return {"mediaType": media, "digest": sha(data), "size": len(data)}
                def one(t): add(t, "hello.txt", b"hello\n")
                layer = layer_tar([one])
                manifests = []
                for i in range(m):
                    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Labels": {"n": str(i)}},
                                         "rootfs": {"type": "layers", "diff_ids": [sha(layer)]}}).encode()
                    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                                           "config": blob(config, "application/vnd.oci.image.config.v1+json"),
                                           "layers": [blob(layer, "application/vnd.oci.image.layer.v1.tar")]}).encode()
                    manifests.append(blob(manifest, "application/vnd.oci.image.manifest.v1+json"))
                index = json.dumps({"schemaVersion": 2, "manifests": manifests}).encode()
                d = blob(index, "application/vnd.oci.image.index.v1+json")
                named = dict(d); named["annotations"] = {"org.opencontainers.image.ref.name": "many:1"}
                with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
                    add(t, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
                    add(t, "index.json", json.dumps({"schemaVersion": 2, "manifests": [named] + [d] * (n - 1)}, separators=(",", ":")).encode())
                    for h, data in blobs.items(): add(t, "blobs/sha256/" + h, data)
                """#

        /// `out n`: a docker-archive with one layer of `n` zero-length files, written in one pass
        /// (the layer straight into the archive). The layer's headers are one header by `tarfile`,
        /// repeated with only the name changed: the names (`f<i><9999999-i>`) all have the same byte
        /// sum, so the checksum is the same too (`tarfile` itself takes about a minute per million
        /// entries).
        static let manyEntries =
            prelude + #"""

                out, n = sys.argv[1], int(sys.argv[2])
                ti = tarfile.TarInfo("f00000009999999"); ti.mtime = 0; ti.mode = 0o644
                block = ti.tobuf(tarfile.USTAR_FORMAT)
                assert len(block) == 512
                rest = block[15:]
                def header(name, size):
                    t = tarfile.TarInfo(name); t.size = size; t.mtime = 0
                    return t.tobuf(tarfile.USTAR_FORMAT)
                def entry(name, data): return header(name, len(data)) + data + bytes(-len(data) % 512)
                h = hashlib.sha256()
                with open(out, "wb") as f:
                    f.write(header("l.tar", n * 512 + 1024))
                    for start in range(0, n, 8192):
                        chunk = b"".join(b"f%07d%07d" % (i, 9999999 - i) + rest for i in range(start, min(n, start + 8192)))
                        h.update(chunk); f.write(chunk)
                    h.update(bytes(1024)); f.write(bytes(1024))
                    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                                         "rootfs": {"type": "layers", "diff_ids": ["sha256:" + h.hexdigest()]}}).encode()
                    f.write(entry("c.json", config))
                    f.write(entry("manifest.json", json.dumps([{"Config": "c.json", "RepoTags": ["many:1"], "Layers": ["l.tar"]}]).encode()))
                    f.write(bytes(1024))
                """#

        /// `out`: a docker-archive whose layer has `d/d/…/d/f` (65,535 bytes: PAX `path`) and a file
        /// named with 60,000 `n`s.
        static let longPath =
            prelude + #"""

                out = sys.argv[1]
                def deep(t): add(t, "d/" * 32767 + "f", b"deep\n")
                def wide(t): add(t, "n" * 60000, b"n\n\n")
                layer = layer_tar([deep, wide])
                config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                                     "rootfs": {"type": "layers", "diff_ids": [sha(layer)]}}).encode()
                with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
                    add(t, "l.tar", layer)
                    add(t, "c.json", config)
                    add(t, "manifest.json", json.dumps([{"Config": "c.json", "RepoTags": ["long:1"], "Layers": ["l.tar"]}]).encode())
                """#

        /// `out layer`: a docker-archive around the layer bytes in the file `layer` (no `diff_ids`).
        static let wrapLayer =
            prelude + #"""

                out, layer = sys.argv[1], open(sys.argv[2], "rb").read()
                config = json.dumps({"architecture": "amd64", "os": "linux", "config": {}, "rootfs": {"type": "layers"}}).encode()
                with tarfile.open(out, "w", format=tarfile.USTAR_FORMAT) as t:
                    add(t, "l.tar", layer)
                    add(t, "c.json", config)
                    add(t, "manifest.json", json.dumps([{"Config": "c.json", "Layers": ["l.tar"]}]).encode())
                """#

        /// `out n`: a docker-archive whose layer has `target` (a script), `l<n-1>` → `target`,
        /// `l<i>` → `l<i+1>`, `a` → `b` → `a`, `self` → `self`, and `p` → `q` → `p` with `p/x`
        /// under it.
        static let symlinks =
            prelude + #"""

                out, n = sys.argv[1], int(sys.argv[2])
                def link(name, target):
                    def f(t):
                        ti = tarfile.TarInfo(name); ti.type = tarfile.SYMTYPE; ti.linkname = target; ti.mtime = 0
                        t.addfile(ti)
                    return f
                entries = [lambda t: add(t, "target", b"#!/bin/sh\necho hi\n", mode=0o755)]
                entries.append(link("l%d" % (n - 1), "target"))
                for i in range(n - 2, -1, -1): entries.append(link("l%d" % i, "l%d" % (i + 1)))
                entries += [link("a", "b"), link("b", "a"), link("self", "self"), link("p", "q"), link("q", "p")]
                entries.append(lambda t: add(t, "p/x", b"x\n"))
                layer = layer_tar(entries)
                config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Entrypoint": ["/l0"]},
                                     "rootfs": {"type": "layers", "diff_ids": [sha(layer)]}}).encode()
                with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
                    add(t, "l.tar", layer)
                    add(t, "c.json", config)
                    add(t, "manifest.json", json.dumps([{"Config": "c.json", "RepoTags": ["links:1"], "Layers": ["l.tar"]}]).encode())
                """#

        /// `out gib`: a gzip docker-archive whose layer `l.tar` is a tar of one file of `gib` GiB of
        /// zeros, its DiffID in the config. The deflate stream is written in pieces that each end
        /// with a full flush, so that they decode on their own: the piece for 1 MiB of zeros is
        /// compressed once and written `gib` × 1024 times; the gzip header and trailer (CRC-32,
        /// length) are written around them.
        static let gzipBomb =
            prelude + #"""

                out, gib = sys.argv[1], int(sys.argv[2])
                zeros = bytes(1 << 20)
                big = gib << 30
                def piece(data, final=False):
                    c = zlib.compressobj(9, zlib.DEFLATED, -15)
                    return c.compress(data) + c.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)
                def header(name, size):
                    ti = tarfile.TarInfo(name); ti.size = size; ti.mtime = 0; ti.mode = 0o644
                    return ti.tobuf(tarfile.GNU_FORMAT)
                def entry(name, data): return header(name, len(data)) + data + bytes(-len(data) % 512)
                layer_head, layer_tail = header("zeros.bin", big), bytes(1024)
                layer_size = len(layer_head) + big + len(layer_tail)
                h = hashlib.sha256(layer_head)
                for _ in range(big >> 20): h.update(zeros)
                h.update(layer_tail)
                config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                                     "rootfs": {"type": "layers", "diff_ids": ["sha256:" + h.hexdigest()]}}).encode()
                manifest = json.dumps([{"Config": "c.json", "RepoTags": ["bomb:1"], "Layers": ["l.tar"]}]).encode()
                head = header("l.tar", layer_size) + layer_head
                tail = layer_tail + bytes(-layer_size % 512) + entry("c.json", config) + entry("manifest.json", manifest) + bytes(1024)
                crc = zlib.crc32(head)
                for _ in range(big >> 20): crc = zlib.crc32(zeros, crc)
                crc = zlib.crc32(tail, crc)
                total = len(head) + big + len(tail)
                zero_piece = piece(zeros)
                with open(out, "wb") as f:
                    f.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff")
                    f.write(piece(head))
                    for _ in range(big >> 20): f.write(zero_piece)
                    f.write(piece(tail, final=True))
                    f.write(crc.to_bytes(4, "little") + (total & 0xffffffff).to_bytes(4, "little"))
                """#
    }
}
