#!/usr/bin/env bash
# bench/make-big-archive.sh BENCH_DIR [EXTRA_GiB]
# Builds BENCH_DIR/bench-big.tar from BENCH_DIR/bench.tar with real tools (GNU tar, sha256sum,
# sed): the same image with the same entries, one file of layer 3 (the largest shared library)
# grown by EXTRA_GiB (default 3) by appending copies of itself, so that the archive is about
# 1 + EXTRA_GiB GiB with exactly the entry count of bench.tar. The layer's diff_id, the config
# that lists it, the config's file name and manifest.json are rewritten to match, so that
# `imgtool verify` checks every digest as on bench.tar. It shows that memory grows with the
# number of entries, never with the number of bytes. Idempotent; FORCE=1 rebuilds.
set -euo pipefail
export LC_ALL=C
B=$(realpath "${1:?bench dir}"); EXTRA=${2:-3}
OUT="$B/bench-big.tar"
if [ "${FORCE:-0}" != 1 ] && [ -s "$OUT" ] && [ "$OUT" -nt "$B/bench.tar" ]; then
  echo "up to date: $OUT ($(stat -c %s "$OUT") bytes; FORCE=1 to rebuild)"; exit 0
fi
W="$B/.big-work"; rm -rf "$W"; mkdir -p "$W/outer" "$W/layer"
trap 'rm -rf "$W"' EXIT

tar -C "$W/outer" -xpf "$B/bench.tar"
tar -tf "$B/bench.tar" > "$W/outer.list"
old_config=$(tar -xOf "$B/bench.tar" manifest.json | sed 's/.*"Config":"\([^"]*\)".*/\1/')
layers=$(tar -xOf "$B/bench.tar" manifest.json | sed 's/.*"Layers":\[\([^]]*\)\].*/\1/' | tr -d '"' | tr ',' ' ')
set -- $layers
old_layer=$3                                        # layer 3: large shared libraries, few entries
old_diff=${old_layer%.tar}

# Grow the largest regular file of the layer, keeping its mode, owner and mtime.
tar -C "$W/layer" --numeric-owner -xpf "$W/outer/$old_layer"
tar -tf "$W/outer/$old_layer" > "$W/layer.list"
big=$(tar -tvf "$W/outer/$old_layer" | awk '$1 ~ /^-/ { print $3, $6 }' | sort -n | tail -n 1 | cut -d' ' -f2)
size=$(stat -c %s "$W/layer/$big")
copies=$(( (EXTRA * 1073741824 + size - 1) / size ))
cp -p "$W/layer/$big" "$W/one"
for _ in $(seq "$copies"); do cat "$W/one" >> "$W/layer/$big"; done
touch -r "$W/one" "$W/layer/$big"; rm "$W/one"
tar -C "$W/layer" --numeric-owner --format=gnu --no-recursion -cf "$W/new-layer.tar" -T "$W/layer.list"
[ "$(tar -tf "$W/new-layer.tar" | wc -l)" = "$(wc -l < "$W/layer.list")" ] || { echo "entry count changed" >&2; exit 1; }
new_diff=$(sha256sum "$W/new-layer.tar" | cut -c1-64)
rm -rf "$W/layer"

# Rewrite the names: layer file, legacy symlink, config diff_ids, config file name, manifest.json.
mv "$W/new-layer.tar" "$W/outer/$new_diff.tar"; rm "$W/outer/$old_layer"
sed "s/$old_diff/$new_diff/g" "$W/outer/$old_config" > "$W/config.json"
new_config=$(sha256sum "$W/config.json" | cut -c1-64).json
rm "$W/outer/$old_config"; mv "$W/config.json" "$W/outer/$new_config"
for link in "$W"/outer/*/layer.tar; do
  if [ "$(readlink "$link")" = "../$old_layer" ]; then ln -sfn "../$new_diff.tar" "$link"; fi
done
sed -i "s/$old_diff/$new_diff/g; s/$old_config/$new_config/g" "$W/outer/manifest.json"
sed "s/$old_diff/$new_diff/g; s/$old_config/$new_config/g" "$W/outer.list" > "$W/new-outer.list"

tar -C "$W/outer" --numeric-owner --format=gnu --no-recursion -cf "$OUT.tmp" -T "$W/new-outer.list"
mv "$OUT.tmp" "$OUT"
echo "$OUT: $(stat -c %s "$OUT") bytes; layer 3 $new_diff.tar ($big grown by $copies copies of $size bytes)"
