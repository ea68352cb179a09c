#!/usr/bin/env bash
# make-zstd-fixtures.sh: the zstd fixtures in this folder, made by real tools (zstd, pzstd,
# skopeo) from fixtures the main script wrote (../skopeo-docker-archive.tar, ../oci-multiarch.tar).
#
# Requirements: Debian 12 with `apt-get install -y zstd skopeo python3` (zstd 1.5.4, skopeo 1.9.3,
# whose zstd encoder is klauspost/compress's). No root needed. Idempotent: rewrites every output.
# Usage: Tests/Fixtures/zstd/make-zstd-fixtures.sh
set -euo pipefail
umask 022
export LC_ALL=C TZ=UTC
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FIX=$(dirname "$HERE")
E=1704067200                       # 2024-01-01T00:00:00Z, as the main script stamps everything
TARDET=(--format=ustar --sort=name --mtime="@$E" --owner=0 --group=0 --numeric-owner)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
S=$FIX/skopeo-docker-archive.tar

# GNU tar of an OCI layout folder, members in lexical order, fixed modes and times.
tar_layout() {
  local d=$1 o=$2; shift 2
  find "$d" -type d -exec chmod 0755 {} +
  find "$d" -type f -exec chmod 0644 {} +
  find "$d" -exec touch -h -d "@$E" {} +
  tar -C "$d" "${TARDET[@]}" -cf "$o" "$@"
}

# 1. pzstd: a skippable frame (the next frame's size) before each zstd frame.
pzstd -q -p 2 -3 -c "$S" > "$HERE/docker-archive.pzstd.tar.zst"

# 2. Three zstd frames (levels 1, 3, 19) cut at arbitrary bytes, concatenated, as `cat a.zst b.zst` makes.
sz=$(stat -c %s "$S")
part() { dd if="$S" iflag=skip_bytes,count_bytes skip="$1" count="$2" status=none; }
{ part 0 10007 | zstd -q -1 -c; part 10007 $((sz / 2 - 10007)) | zstd -q -3 -c; part $((sz / 2)) $((sz - sz / 2)) | zstd -q -19 -c; } \
  > "$HERE/docker-archive.frames.tar.zst"
cmp <(zstd -dc "$HERE/docker-archive.frames.tar.zst") "$S"

# 3. skopeo copy --dest-compress-format zstd: docker-archive to an OCI layout with
#    application/vnd.oci.image.layer.v1.tar+zstd layer blobs.
skopeo copy --quiet --dest-compress-format zstd "docker-archive:$S" "oci:$WORK/oci:1.0"
tar_layout "$WORK/oci" "$HERE/oci-zstd.tar" blobs index.json oci-layout

# 4. The same of the multi-arch OCI archive (--all): index.json -> image index -> amd64 and
#    arm64/v8 manifests with zstd layers, and the attestation manifest.
skopeo copy --quiet --all --dest-compress-format zstd "oci-archive:$FIX/oci-multiarch.tar" "oci:$WORK/multi:app:1.0"
tar_layout "$WORK/multi" "$HERE/oci-multiarch-zstd.tar" blobs index.json oci-layout

# 5. A containerd-image-store style export (Docker 25+ `docker save` with the containerd store)
#    of 4: the nested index kept, only amd64's blobs present (arm64's manifest, config and layers
#    dropped, as an export of a single-platform pull leaves them), and a manifest.json for amd64.
cp -a "$WORK/multi" "$WORK/ctrd"
python3 - "$WORK/ctrd" <<'PY'
import json, os, sys
d = sys.argv[1]
blob = lambda dg: os.path.join(d, "blobs", *dg.split(":"))
load = lambda dg: json.load(open(blob(dg)))
index = json.load(open(os.path.join(d, "index.json")))
top = index["manifests"][0]
top.setdefault("annotations", {})["io.containerd.image.name"] = "docker.io/library/app:1.0"
json.dump(index, open(os.path.join(d, "index.json"), "w"), separators=(",", ":"))
inner = load(top["digest"])
amd64 = None
for m in inner["manifests"]:
    p = m.get("platform", {})
    if p.get("architecture") == "arm64":
        man = load(m["digest"])
        for b in [man["config"]] + man["layers"]:
            os.remove(blob(b["digest"]))
        os.remove(blob(m["digest"]))
    elif p.get("architecture") == "amd64":
        amd64 = load(m["digest"])
layers = ["blobs/" + l["digest"].replace(":", "/") for l in amd64["layers"]]
entry = {"Config": "blobs/" + amd64["config"]["digest"].replace(":", "/"), "RepoTags": ["app:1.0"], "Layers": layers}
json.dump([entry], open(os.path.join(d, "manifest.json"), "w"), separators=(",", ":"))
PY
tar_layout "$WORK/ctrd" "$HERE/containerd-export-zstd.tar" blobs index.json manifest.json oci-layout

ls -l "$HERE"
