#!/usr/bin/env bash
# bench/make-v2-archive.sh BENCH_DIR
# Version 2 of the benchmark image, for the delta deploy rows of bench/ship.sh: BENCH_DIR/bench.tar
# with its app layer (the last one) rebuilt after an app-code change (a new .next/BUILD_ID and one
# more line in server.js), every other layer byte for byte the same, as `docker build` gives when
# only the last COPY's input changed. Writes BENCH_DIR/v2/bench.tar (skopeo's member order: layers
# in layer order, so the changed layer is the last one), and BENCH_DIR/delta/v1.tar and v2.tar: the
# same two archives with their members in lexical order, as `docker save` writes them (moby sorts
# the members: `<hex>/layer.tar` before Docker 25, `blobs/sha256/<hex>` since), so the changed layer
# lands where its new digest sorts, with everything after it different in a gzip stream. Each .tar
# has a .tar.gz beside it (gzip -6 -n, as `docker save | gzip`). Reused while newer than bench.tar.
#
# The tools: skopeo (docker-archive to OCI layout and back), GNU tar (the layer's entries, in the
# original order, ownership and mtimes), umoci (`raw add-layer`). Dropping the old app layer from
# the OCI manifest and config is the one edit made here (python3, a few lines of JSON), as no tool
# removes a layer.
set -euo pipefail
B=${1:?bench dir}
export LC_ALL=C
for t in skopeo umoci tar gzip python3; do command -v "$t" >/dev/null || { echo "missing tool: $t" >&2; exit 1; }; done
if [ -s "$B/v2/bench.tar" ] && [ -s "$B/delta/v2.tar.gz" ] && [ "$B/delta/v2.tar.gz" -nt "$B/bench.tar" ]; then
  echo "up to date: $B/v2/bench.tar"; exit 0
fi
work=$(mktemp -d "$B/.v2.XXXXXX"); trap 'rm -rf "$work"' EXIT
OCI=$work/oci

skopeo copy --quiet "docker-archive:$B/bench.tar" "oci:$OCI:v1"
# The base: v1 without its last layer (manifest, config diff_ids and history).
python3 - "$OCI" <<'EOF'
import hashlib, json, os, sys
oci = sys.argv[1]
def blob(d): return os.path.join(oci, "blobs", *d.split(":"))
def put(obj):
    data = json.dumps(obj, separators=(",", ":")).encode()
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    open(blob(d), "wb").write(data)
    return d, len(data)
index = json.load(open(os.path.join(oci, "index.json")))
desc = next(m for m in index["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == "v1")
manifest = json.load(open(blob(desc["digest"])))
config = json.load(open(blob(manifest["config"]["digest"])))
manifest["layers"] = manifest["layers"][:-1]
config["rootfs"]["diff_ids"] = config["rootfs"]["diff_ids"][:-1]
history = config.get("history", [])
last = max(i for i, h in enumerate(history) if not h.get("empty_layer"))
config["history"] = history[:last] + [dict(h) for h in history[last + 1:]]
manifest["config"]["digest"], manifest["config"]["size"] = put(config)
d, n = put(manifest)
index["manifests"].append({"mediaType": desc["mediaType"], "digest": d, "size": n,
                           "annotations": {"org.opencontainers.image.ref.name": "v2"}})
json.dump(index, open(os.path.join(oci, "index.json"), "w"))
EOF

# The app layer, unpacked with its owners and mtimes, changed as an app rebuild changes it, and
# packed again by GNU tar with the same entries in the same order.
app=$(tar -xOf "$B/bench.tar" manifest.json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Layers"][-1])')
mkdir "$work/app"
tar -xOf "$B/bench.tar" "$app" > "$work/app.tar"
tar -tf "$work/app.tar" > "$work/app.list"
tar -C "$work/app" --same-owner -xpf "$work/app.tar"
grep -q bench-build-0001 "$work/app/app/.next/BUILD_ID" || { echo "unexpected app layer: no app/.next/BUILD_ID" >&2; exit 1; }
echo 'bench-build-0002' > "$work/app/app/.next/BUILD_ID"
sed -i "s|^startServer({|console.log('maia build 0002')\nstartServer({|" "$work/app/app/server.js"
# Every entry gets its time from the layer again (extracting and editing moved some directories'),
# the two changed files a day later.
mtime=$(python3 - "$work/app.tar" "$work/app" <<'EOF'
import os, sys, tarfile
changed = {"app/.next/BUILD_ID", "app/server.js"}
latest = 0
with tarfile.open(sys.argv[1]) as t:
    members = t.getmembers()
for m in reversed(members):   # children before their directories
    when = int(m.mtime) + (86400 if m.name in changed else 0)
    latest = max(latest, when)
    os.utime(os.path.join(sys.argv[2], m.name), (when, when), follow_symlinks=False)
print(latest)
EOF
)
tar -C "$work/app" --format=pax --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime --numeric-owner --no-recursion --verbatim-files-from -T "$work/app.list" -cf "$work/app2.tar"
umoci raw add-layer --image "$OCI:v2" --history.created "$(date -u -d "@$mtime" +%Y-%m-%dT%H:%M:%SZ)" \
  --history.author maia-bench --history.created_by 'COPY --chown=node:node /build/app /app # buildkit' "$work/app2.tar"

mkdir -p "$B/v2" "$B/delta"
rm -f "$B/v2/bench.tar" "$B/delta/"*
skopeo copy --quiet "oci:$OCI:v2" "docker-archive:$B/v2/bench.tar:maia:bench"
rm -rf "$OCI"

# lexical SRC DST: the archive's members again, in lexical order (GNU tar --sort=name).
lexical() {
  rm -rf "$work/x"; mkdir "$work/x"
  tar -C "$work/x" -xf "$1"
  (cd "$work/x" && ls -A | sort) > "$work/x.list"
  tar -C "$work/x" --sort=name --numeric-owner --verbatim-files-from -T "$work/x.list" -cf "$2.tmp" && mv "$2.tmp" "$2"
  gzip -6 -n -c "$2" > "$2.gz.tmp" && mv "$2.gz.tmp" "$2.gz"
  rm -rf "$work/x"
}
lexical "$B/bench.tar" "$B/delta/v1.tar"
lexical "$B/v2/bench.tar" "$B/delta/v2.tar"

# Check: the same layers but the last, which differs.
layers() { tar -xOf "$1" manifest.json | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)[0]["Layers"]))'; }
read -r -a L1 <<<"$(layers "$B/bench.tar")"
read -r -a L2 <<<"$(layers "$B/v2/bench.tar")"
n=${#L1[@]}
[ "$n" = "${#L2[@]}" ] || { echo "v2 has ${#L2[@]} layers, v1 $n" >&2; exit 1; }
for ((i = 0; i < n - 1; i++)); do
  [ "${L1[i]}" = "${L2[i]}" ] || { echo "layer $((i + 1)) differs between v1 and v2" >&2; exit 1; }
done
[ "${L1[n - 1]}" != "${L2[n - 1]}" ] || { echo "the app layer is the same in v1 and v2" >&2; exit 1; }
echo "v2: $B/v2/bench.tar: layers 1-$((n - 1)) equal to bench.tar's, app layer ${L2[n - 1]} (v1: ${L1[n - 1]})"
echo "    $B/delta/v1.tar and v2.tar, members in lexical order: the app layer is member $(tar -tf "$B/delta/v2.tar" | grep -n "${L2[n - 1]}" | cut -d: -f1) of $(tar -tf "$B/delta/v2.tar" | wc -l) in v2"
