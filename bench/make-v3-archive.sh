#!/usr/bin/env bash
# bench/make-v3-archive.sh BENCH_DIR
# Version 3 of the benchmark image, three ways, for the in-layer delta rows of bench/cache.sh:
# BENCH_DIR/bench.tar with its node_modules layer (layer 2, tens of thousands of small files)
# changed the way builds change it, every other layer byte for byte the same:
#
#   v3/bump.tar     a dependency bump: the files of one package (in the middle of the layer) get
#                   new contents; every other entry of the layer, header and data, is byte for byte
#                   the same (a COPY of an unchanged tree, or BuildKit's rewrite-timestamp);
#   v3/ci.tar       the same bump after `npm ci` ran again: every entry's mtime is new, so every
#                   header differs; the data of the other files is the same;
#   v3/newfile.tar  a new file (256 KiB of JavaScript-like text) added in the middle of the layer.
#
# The layer is rewritten entry by entry with python's tarfile (the tar writer here): unchanged
# entries are copied as the bytes they were (header blocks and data), changed ones get a new
# header from tarfile. The layer's new diff_id goes into the config (renamed by its digest),
# manifest.json and the legacy `<id>/layer.tar` link, in the original member order. Beside each
# .tar: a .tar.gz (gzip -6 -n, as `docker save | gzip`) and a .changed file with the gzip -6 size of
# the changed or added files' contents, the yardstick of the delta targets. Reused while newer than bench.tar.
set -euo pipefail
B=${1:?bench dir}
export LC_ALL=C
for t in tar gzip python3; do command -v "$t" >/dev/null || { echo "missing tool: $t" >&2; exit 1; }; done
if [ -s "$B/v3/newfile.tar.gz" ] && [ "$B/v3/newfile.tar.gz" -nt "$B/bench.tar" ]; then
  echo "up to date: $B/v3"; exit 0
fi
mkdir -p "$B/v3"
work=$(mktemp -d "$B/.v3.XXXXXX"); trap 'rm -rf "$work"' EXIT
python3 - "$B/bench.tar" "$B/v3" "$work" <<'PY'
import gzip, hashlib, io, json, os, shutil, sys, tarfile
src, outdir, work = sys.argv[1:4]
outer = tarfile.open(src)
members = outer.getmembers()
manifest = json.load(outer.extractfile("manifest.json"))
layer_name = manifest[0]["Layers"][1]
config_name = manifest[0]["Config"]
old_hex = layer_name.split("/")[-1].removesuffix(".tar")
layer_path = os.path.join(work, "layer.tar")
with open(layer_path, "wb") as f:
    shutil.copyfileobj(outer.extractfile(layer_name), f, 1 << 20)

def pad(n): return (n + 511) // 512 * 512

def copy_attrs(info, e, keys):
    for k in keys: setattr(info, k, getattr(e, k))

inner = tarfile.open(layer_path)
entries = inner.getmembers()
end_of_entries = max(e.offset_data + pad(e.size) for e in entries)
files = [i for i, e in enumerate(entries) if e.isreg() and e.size > 0]
# The bumped package: the regular files of the directory that holds the file at the middle of the layer.
middle = files[len(files) // 2]
package = os.path.dirname(entries[middle].name)
bumped = {i for i in files if os.path.dirname(entries[i].name) == package}

def bump(data, name):
    text = data.replace(b"1.0", b"1.1").replace(b"def ", b"async def ")
    return text + b"\n// bumped: " + name.encode() + b" 2.4.1 -> 2.5.0\n"

new_file = tarfile.TarInfo(package + "-extra/dist/index.js")
new_file.mode, new_file.uid, new_file.gid = 0o644, 1000, 1000
new_file.uname, new_file.gname = "node", "node"
new_file.mtime = entries[middle].mtime
seed, body = 7, bytearray()
while len(body) < 256 * 1024:
    seed = (seed * 6364136223846793005 + 1442695040888963407) % (1 << 64)
    body += b"export function f%d(a, b) { return a * %d + b; } // %x\n" % (seed % 9973, seed % 101, seed >> 40)
new_data = bytes(body[:256 * 1024])
new_file.size = len(new_data)

def write_layer(variant, path):
    changed = bytearray()
    with open(layer_path, "rb") as raw, open(path, "wb") as out:
        def copy(start, length):
            raw.seek(start)
            left = length
            while left:
                chunk = raw.read(min(left, 1 << 20)); out.write(chunk); left -= len(chunk)
        for i, e in enumerate(entries):
            if variant == "newfile" and i == middle:
                out.write(new_file.tobuf(tarfile.PAX_FORMAT)); out.write(new_data); out.write(b"\0" * (pad(len(new_data)) - len(new_data)))
                changed += new_data
            if i in bumped and variant in ("bump", "ci"):
                data = bump(inner.extractfile(e).read(), e.name)
                changed += data
                info = tarfile.TarInfo(e.name); copy_attrs(info, e, ("mode", "uid", "gid", "uname", "gname", "mtime", "type"))
                info.size = len(data)
                if variant == "ci": info.mtime = e.mtime + 86400
                out.write(info.tobuf(tarfile.PAX_FORMAT)); out.write(data); out.write(b"\0" * (pad(len(data)) - len(data)))
            elif variant == "ci":
                info = tarfile.TarInfo(e.name); copy_attrs(info, e, ("mode", "uid", "gid", "uname", "gname", "mtime", "type", "linkname", "size", "devmajor", "devminor"))
                info.mtime = e.mtime + 86400
                out.write(info.tobuf(tarfile.PAX_FORMAT))
                if e.isreg(): copy(e.offset_data, pad(e.size))
            else:
                copy(e.offset, e.offset_data + pad(e.size) - e.offset if e.isreg() else e.offset_data - e.offset)
        copy(end_of_entries, os.path.getsize(layer_path) - end_of_entries)
    return bytes(changed)

for variant in ("bump", "ci", "newfile"):
    lpath = os.path.join(work, variant + ".layer.tar")
    changed = write_layer(variant, lpath)
    h = hashlib.sha256()
    with open(lpath, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""): h.update(chunk)
    new_hex = h.hexdigest()
    config = outer.extractfile(config_name).read().replace(old_hex.encode(), new_hex.encode())
    config_hex = hashlib.sha256(config).hexdigest()
    new_config = config_hex + ".json"
    man = json.dumps([{**manifest[0], "Config": new_config, "Layers": [l.replace(old_hex, new_hex) for l in manifest[0]["Layers"]]}]).encode()
    dest = os.path.join(outdir, variant + ".tar")
    with tarfile.open(dest + ".tmp", "w", format=tarfile.GNU_FORMAT) as o:
        for m in members:
            info = tarfile.TarInfo(m.name.replace(old_hex, new_hex).replace(config_name, new_config))
            copy_attrs(info, m, ("mode", "uid", "gid", "uname", "gname", "mtime", "type", "size"))
            info.linkname = m.linkname.replace(old_hex, new_hex)
            if m.name == layer_name:
                info.size = os.path.getsize(lpath)
                with open(lpath, "rb") as f: o.addfile(info, f)
            elif m.name == config_name:
                info.size = len(config); o.addfile(info, io.BytesIO(config))
            elif m.name == "manifest.json":
                info.size = len(man); o.addfile(info, io.BytesIO(man))
            elif m.isreg():
                o.addfile(info, outer.extractfile(m))
            else:
                o.addfile(info)
    os.replace(dest + ".tmp", dest)
    os.remove(lpath)
    with open(os.path.join(outdir, variant + ".changed"), "w") as f:
        f.write("%d %d %s\n" % (len(gzip.compress(changed, 6, mtime=0)), len(changed), package))
    print(f"  v3/{variant}.tar: layer 2 {old_hex[:12]} -> {new_hex[:12]}, {len(changed)} bytes changed or added under {package}")
PY
for v in bump ci newfile; do gzip -6 -n -c "$B/v3/$v.tar" > "$B/v3/$v.tar.gz.tmp" && mv "$B/v3/$v.tar.gz.tmp" "$B/v3/$v.tar.gz"; done
