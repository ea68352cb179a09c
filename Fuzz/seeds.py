#!/usr/bin/env python3
"""Writes generated seed inputs for one fuzz harness: python3 Fuzz/seeds.py HARNESS DIR.

Seeds come from the fixtures (Tests/Fixtures), turned into each harness's input format, and
from a few small inputs written here. A harness this script does not know gets only the files
its `// fuzz-seeds:` line names (see Fuzz/fuzz.sh).
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures")
# Archives small enough to be seeds (the harnesses' -max_len cuts longer inputs).
ARCHIVES = [
    "skopeo-docker-archive.tar", "skopeo-docker-archive-multi.tar", "oci-archive.tar", "oci-multiarch.tar",
    "containerd-export.tar", "docker-oci.tar", "whiteouts.tar", "prisma-missing.tar", "prisma-ok-debian-amd64.tar",
    "prisma-alpine-musl.tar", "prisma-binary-engine.tar", "prisma-pnpm.tar", "prisma-opaque.tar", "prisma-whiteout.tar",
    "prisma-readded.tar", "prisma-wrong-target.tar", "prisma7.tar", "prisma-multiarch.tar", "bad-layer-count.tar",
    "prisma-arm64.tar.gz", "prisma-wrong-elf.tar.gz", "arch-mismatch.tar.gz", "deploy-v1.tar.gz",
]


def fixture_members(name):
    """(name, kind, bytes-or-linkname) of every member of a fixture archive, in order."""
    path = os.path.join(FIXTURES, name)
    if not os.path.exists(path):
        return []
    out = []
    try:
        with tarfile.open(path) as t:
            for m in t.getmembers():
                if m.isdir():
                    out.append((m.name + "/", "dir", None))
                elif m.issym():
                    out.append((m.name, "sym", m.linkname))
                elif m.isfile():
                    out.append((m.name, "file", t.extractfile(m).read()))
    except (tarfile.TarError, OSError, EOFError):
        return []
    return out


def is_json(data):
    try:
        json.loads(data)
        return True
    except (ValueError, UnicodeDecodeError):
        return False


def write(directory, name, data):
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


# --- resolver: the member language of Fuzz/Harnesses/resolver.swift -------------------------


def resolver_seed(members):
    """A fixture's members in the resolver harness's language: JSON kept, layers replaced by the
    harness's fixed layer, digests and sizes that point at members turned into references."""
    digest_of = {}  # original sha256 hex -> member index
    size_of = {}
    layer_diffids = set()
    for i, (name, kind, data) in enumerate(members):
        if kind == "file":
            h = hashlib.sha256(data).hexdigest()
            digest_of.setdefault(h, i)
            size_of[i] = len(data)
            raw = data
            if data[:2] == b"\x1f\x8b":
                try:
                    raw = gzip.decompress(data)
                except (OSError, EOFError):
                    pass
            if len(raw) >= 512 and raw[257:262] == b"ustar":
                layer_diffids.add(hashlib.sha256(raw).hexdigest())
    parts = []
    for i, (name, kind, data) in enumerate(members):
        base = name.rsplit("/", 1)[-1]
        if kind == "dir":
            parts.append("=== %s\n" % name)
            continue
        if kind == "sym":
            parts.append("=== %s -> %s\n" % (name, data))
            continue
        h = hashlib.sha256(data).hexdigest()
        if name == "blobs/sha256/" + h:
            shown = "blob"
        elif h in name:
            shown = name.replace(h, "@")
        else:
            shown = name
        if is_json(data) or base == "repositories" or base == "json":
            text = data.decode("utf-8", "replace")
            for other, j in sorted(digest_of.items(), key=lambda kv: -len(kv[0])):
                if j != i:
                    text = text.replace("sha256:" + other, "{{d:%d}}" % j)
                    text = text.replace(other, "{{h:%d}}" % j)
            for d in layer_diffids:
                text = text.replace("sha256:" + d, "{{diff}}")
            # A descriptor's size next to its digest reference.
            for j, size in size_of.items():
                text = text.replace('"{{d:%d}}","size":%d' % (j, size), '"{{d:%d}}","size":{{s:%d}}' % (j, j))
                text = text.replace('"size":%d,"digest":"{{d:%d}}"' % (size, j), '"size":{{s:%d}},"digest":"{{d:%d}}"' % (j, j))
            parts.append("=== %s\n%s\n" % (shown, text))
        elif data[:2] == b"\x1f\x8b":
            parts.append("=== %s\n{{gzlayer}}\n" % shown)
        elif len(data) >= 512 and data[257:262] == b"ustar":
            parts.append("=== %s\n{{layer}}\n" % shown)
        elif len(data) < 256:
            parts.append("=== %s\n%s\n" % (shown, data.decode("utf-8", "replace")))
    return "".join(parts).encode()


def seeds_resolver(directory):
    for name in ARCHIVES:
        members = fixture_members(name)
        if members:
            write(directory, name + ".members", resolver_seed(members))
    # A small OCI layout written here, and a pre-1.10 one.
    write(directory, "oci-small.members", b"""=== oci-layout
{"imageLayoutVersion":"1.0.0"}
=== index.json
{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{d:2}}","size":{{s:2}},"annotations":{"org.opencontainers.image.ref.name":"app:1"}}]}
=== blob
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{d:3}}","size":{{s:3}}},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{{d:4}}","size":{{s:4}}}]}
=== blob
{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/usr/local/bin/node"],"WorkingDir":"/app"},"rootfs":{"type":"layers","diff_ids":["{{diff}}"]}}
=== blob
{{gzlayer}}
""")
    write(directory, "v1.members", b"""=== repositories
{"app":{"1.0":"{{h:1}}"}}
=== {{h:2}}/json
{"id":"{{h:2}}","architecture":"amd64","os":"linux","config":{"Cmd":["node"]}}
=== 1111111111111111111111111111111111111111111111111111111111111111/layer.tar
{{layer}}
""")


# --- layers: the program language of Fuzz/Harnesses/layers.swift ----------------------------


def escape(s):
    return s.replace("\\", "\\\\").replace(" ", "\\s").replace("\n", "\\n")


def elf_line(path, head):
    if len(head) >= 20 and head[:4] == b"\x7fELF":
        big = head[5] == 2
        machine = int.from_bytes(head[18:20], "big" if big else "little")
        return "e %s %d%s%s" % (escape(path), machine, " 32" if head[4] == 1 else "", " be" if big else "")
    return None


def layer_lines(data):
    lines = []
    try:
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        with tarfile.open(fileobj=io.BytesIO(data)) as t:
            for m in t.getmembers():
                p = escape(m.name)
                if m.isdir():
                    lines.append("d " + p)
                elif m.issym():
                    lines.append("s %s %s" % (p, escape(m.linkname)))
                elif m.islnk():
                    lines.append("h %s %s" % (p, escape(m.linkname)))
                elif m.isfile():
                    body = t.extractfile(m).read()
                    e = elf_line(m.name, body[:64])
                    if e:
                        lines.append(e)
                    elif len(body) <= 512:
                        lines.append("%s %s %s" % ("x" if m.mode & 0o111 else "f", p, escape(body.decode("utf-8", "replace"))))
                    else:
                        lines.append("f " + p)
                elif m.isfifo():
                    lines.append("p " + p)
    except (tarfile.TarError, OSError, EOFError):
        return None
    return lines


def config_lines(config):
    lines = []
    for key, op in (("architecture", "@arch"), ("os", "@os"), ("variant", "@variant")):
        if config.get(key):
            lines.append("%s %s" % (op, escape(config[key])))
    c = config.get("config") or {}
    if c.get("WorkingDir"):
        lines.append("@workdir " + escape(c["WorkingDir"]))
    if c.get("User"):
        lines.append("@user " + escape(c["User"]))
    for e in c.get("Env") or []:
        lines.append("@env " + escape(e))
    for k in c.get("ExposedPorts") or {}:
        lines.append("@port " + escape(k))
    for k, v in (c.get("Labels") or {}).items():
        lines.append("@label %s=%s" % (escape(k), escape(v)))
    for key, op in (("Entrypoint", "@entrypoint"), ("Cmd", "@cmd")):
        if c.get(key):
            lines.append(op + " " + " ".join(escape(a) for a in c[key]))
    return lines


def seeds_layers(directory):
    for name in ARCHIVES:
        members = fixture_members(name)
        files = {n: d for n, k, d in members if k == "file"}
        links = {n: d for n, k, d in members if k == "sym"}

        def content(n, depth=0):
            if n in files:
                return files[n]
            if n in links and depth < 8:
                return content(os.path.normpath(os.path.join(os.path.dirname(n), links[n])), depth + 1)
            return None

        # The first image of manifest.json (every fixture here has one).
        try:
            item = json.loads(files["manifest.json"])[0]
            config = json.loads(content(item["Config"]))
        except (KeyError, IndexError, ValueError, TypeError):
            continue
        program = config_lines(config)
        for i, layer in enumerate(item.get("Layers") or []):
            data = content(layer)
            lines = layer_lines(data) if data else None
            if lines is None:
                continue
            if i > 0:
                program.append("L")
            program += lines
        program += ["@require node_modules/.prisma", "@require /usr/local/bin/node"]
        write(directory, name + ".program", ("\n".join(program) + "\n").encode())
    write(directory, "loop.program", b"""s a b
s b a
s lib usr/lib
d usr/lib
e usr/lib/libc.so.6 183
@arch arm64
@entrypoint /a
@require /lib/libc.so.6
@strict
@policy {"fileExistenceTests":[{"name":"libc","path":"/lib/libc.so.6","shouldExist":true,"permissions":"-rw-r--r--"}],
@policy "metadataTest":{"envVars":[{"key":"PATH","value":".*bin.*","isRegex":true}],"userNotRoot":true}}
""")


# --- the others --------------------------------------------------------------------------------


def tar_bytes(entries, fmt):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for info, data in entries:
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def info(name, kind=tarfile.REGTYPE, size=0, link="", mode=0o644, pax=None):
    i = tarfile.TarInfo(name)
    i.type, i.size, i.linkname, i.mode, i.mtime = kind, size, link, mode, 1700000000
    if pax:
        i.pax_headers = pax
    return i


def seeds_tar(directory):
    long = "deep/" * 30 + "name.txt"
    entries = [
        (info("dir/", tarfile.DIRTYPE, mode=0o755), None),
        (info("dir/file.txt", size=5), b"hello"),
        (info(long, size=3), b"abc"),
        (info("dir/link", tarfile.SYMTYPE, link="file.txt"), None),
        (info("dir/hard", tarfile.LNKTYPE, link="dir/file.txt"), None),
        (info("dev/null", tarfile.CHRTYPE), None),
        (info("fifo", tarfile.FIFOTYPE), None),
        (info("dir/.wh.gone"), b""),
    ]
    write(directory, "gnu.tar", tar_bytes(entries, tarfile.GNU_FORMAT))
    write(directory, "ustar.tar", tar_bytes(entries[:2] + entries[3:], tarfile.USTAR_FORMAT))
    pax = entries + [(info("x", size=1, pax={"SCHILY.xattr.user.a": "b", "mtime": "1.5", "path": "p" * 300}), b"x")]
    write(directory, "pax.tar", tar_bytes(pax, tarfile.PAX_FORMAT))
    write(directory, "empty.tar", b"\0" * 1024)


def seeds_gzip(directory):
    text = b"the quick brown fox jumps over the lazy dog\n" * 20
    # Raw mode (first byte 0): gzip streams as they are, from the fixtures and written here.
    for name in ("skopeo-docker-archive.tar.gz", "skopeo-docker-archive.multimember.tar.gz", "truncated.tar.gz"):
        path = os.path.join(FIXTURES, name)
        if os.path.exists(path):
            with open(path, "rb") as f:
                write(directory, "raw-" + name, b"\x00\x07" + f.read())
    write(directory, "raw-small.gz", b"\x00\x03" + gzip.compress(text))
    write(directory, "raw-two.gz", b"\x00\x05" + gzip.compress(text[:300]) + gzip.compress(text[300:]) + b"\0" * 100)
    write(directory, "raw-empty.gz", b"\x00\x00" + gzip.compress(b""))
    # Built mode (first byte 2): pieces gzipped by the harness; 3 flips a byte of that.
    write(directory, "built.txt", b"\x02\x83" + text)
    write(directory, "damaged.txt", b"\x03\x2a" + text)


def seeds_zstd(directory):
    import subprocess
    text = b"the quick brown fox jumps over the lazy dog\n" * 20
    # Raw mode (first byte 0): zstd streams as they are, from the fixtures (real zstd and pzstd)
    # and from the zstd command here.
    for name in ("skopeo-docker-archive.tar.zst", "zstd/docker-archive.pzstd.tar.zst", "zstd/docker-archive.frames.tar.zst"):
        path = os.path.join(FIXTURES, name)
        if os.path.exists(path):
            with open(path, "rb") as f:
                write(directory, "raw-" + os.path.basename(name), b"\x00\x11" + f.read())
    for level in ("-1", "-19"):
        try:
            out = subprocess.run(["zstd", "-q", level, "-c"], input=text, capture_output=True, check=True).stdout
            write(directory, "raw-text" + level + ".zst", b"\x00\x11" + out + out)
        except (OSError, subprocess.CalledProcessError):
            pass
    # Built mode (first byte 6): pieces compressed by the harness; 7 flips a byte of that.
    write(directory, "built.txt", b"\x06\x83" + text)
    write(directory, "damaged.txt", b"\x07\x2a" + text)


def seeds_policy(directory):
    policies = {
        "full.json": {
            "schemaVersion": "2.0.0", "platform": "linux/amd64", "arch": "amd64", "require": ["/app/server.js"],
            "strictElf": True, "prisma": "auto",
            "fileExistenceTests": [
                {"name": "node", "path": "/usr/local/bin/node", "shouldExist": True, "permissions": "-rwxr-xr-x",
                 "uid": 0, "gid": 0, "isExecutableBy": "any"},
                {"name": "no passwd for others", "path": "/etc/passwd", "shouldExist": True, "permissions": "-rw-------"},
                {"path": "/app/.env", "shouldExist": False},
            ],
            "metadataTest": {
                "envVars": [{"key": "NODE_ENV", "value": "production"}, {"key": "PATH", "value": "/usr/.*", "isRegex": True}],
                "unboundEnvVars": [{"key": "DEBUG"}], "exposedPorts": ["3000/tcp"], "unexposedPorts": ["22/tcp"],
                "entrypoint": ["docker-entrypoint.sh"], "cmd": ["node", "server.js"], "workdir": "/app",
                "volumes": ["/data"], "unmountedVolumes": ["/tmp"],
                "labels": [{"key": "org.opencontainers.image.source", "value": "https://.*", "isRegex": True}],
                "user": "node", "userNotRoot": True, "healthcheck": True,
            },
        },
        "typo.json": {"arhc": "amd64", "metadataTest": {"userNotRot": True}},
        "badregex.json": {"metadataTest": {"envVars": [{"key": "PATH", "value": "([", "isRegex": True}]}},
        "wrongshape.json": {"fileExistenceTests": {"path": "/x"}},
    }
    for name, p in policies.items():
        write(directory, name, json.dumps(p).encode())


def seeds_archive(directory):
    pass  # the fixtures the harness's fuzz-seeds line names


GENERATORS = {
    "resolver": seeds_resolver, "layers": seeds_layers, "tar": seeds_tar, "gzip": seeds_gzip, "zstd": seeds_zstd, "policy": seeds_policy,
    "archive": seeds_archive,
}

if __name__ == "__main__":
    harness, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    if harness in GENERATORS:
        GENERATORS[harness](out)
