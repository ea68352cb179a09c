#!/usr/bin/env bash
# bench/cache.sh BENCH_DIR IMGTOOL [RUNS] [PARTS]
# The second deploy, with pack's layer cache, on the benchmark image (bench.tar is version 1;
# v2/bench.tar changed its app layer; v3/*.tar changed its node_modules layer three ways, from
# bench/make-v3-archive.sh). Three parts, in one run, side by side on the same files:
#
#   1. pack: a warm pack of version 2 (the cache holding version 1's layers, restored before each
#      run) against `openssl dgst -sha256` of the same tar (the floor: read and hash), and a cold
#      pack (--no-cache) against `gzip -6`; RUNS interleaved rounds (default 3).
#   2. the re-deploy, wall time from the tar on disk to the file published on a loopback sshd
#      that holds version 1: warm `imgtool pack` + `imgtool ship`, against `gzip -6` + `scp`.
#   3. in-layer deltas: each version 3 shipped after version 1, bytes on the wire counted by the
#      loopback proxy: pack + ship, gzip -6 + scp, gzip -6 + rsync, pack + rsync.
#
# PARTS (default 123) picks the parts to run, e.g. 12. The benchmark image fails verify's Prisma
# check on purpose, so pack runs with --no-prisma.
set -euo pipefail
B=$(realpath "${1:?bench dir}"); IMGTOOL=$(realpath "${2:?imgtool binary}"); RUNS=${3:-3}; PARTS=${4:-123}
export LC_ALL=C
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SSHD=$(command -v sshd || echo /usr/sbin/sshd)
PROXY=$HERE/../Tests/Fixtures/tools/tcp-proxy.py
for tool in "$SSHD" ssh scp rsync python3 openssl gzip /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench/cache.sh needs $tool" >&2; exit 1; }
done
for f in bench.tar v2/bench.tar v3/bump.tar v3/ci.tar v3/newfile.tar; do
  [ -f "$B/$f" ] || { echo "no $B/$f (make bench creates it)" >&2; exit 1; }
done
work=$(mktemp -d /tmp/imgtool-bench-cache.XXXXXX)
# The run's own verdicts (pack records them, ship reuses them), not the user's.
export XDG_CACHE_HOME=$work/xdg
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  [ -f "$work/sshd.pid" ] && kill -9 "$(cat "$work/sshd.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
results="$work/results.tsv"; : > "$results"
. "$HERE/rows.sh"
. "$HERE/loopback-sshd.sh"
R=$work/remote; mkdir -p "$R"
size() { stat -c %s "$1"; }
mb() { python3 -c "print(f'{$1 / 1e6:.1f} MB')"; }
PACK="'$IMGTOOL' pack --no-prisma"

echo "machine: $(uname -m), $(nproc) cores, $(awk '/model name/ {$1=$2=$3=""; print; exit}' /proc/cpuinfo | sed 's/^ *//'); $(ssh -V 2>&1)"
echo "imgtool: $IMGTOOL; $RUNS interleaved rounds; files in page cache"
cat "$B/bench.tar" "$B/v2/bench.tar" "$B/v3/"*.tar > /dev/null

# The cache after version 1, kept aside and restored before each warm run.
"$IMGTOOL" pack --no-prisma --cache "$work/cache-v1" -o "$work/v1.tar.gz" "$B/bench.tar" > /dev/null
# ------------------------------------------------------------------ 1. pack
if [[ $PARTS == *1* ]]; then
echo
echo "1. pack of version 2 (app layer changed), warm: the cache holds version 1's layers"
ROW_SETUP='rm -rf "$work/cache" "$work/out.tar.gz"; cp -a "$work/cache-v1" "$work/cache"; sync'
group "openssl dgst -sha256 (floor)" "openssl dgst -sha256 '$B/v2/bench.tar'" \
  "imgtool pack, warm" "$PACK --cache '$work/cache' -o '$work/out.tar.gz' '$B/v2/bench.tar'"
group "gzip -6 (baseline)" "gzip -6 -c '$B/v2/bench.tar' > '$work/out.tar.gz'" \
  "imgtool pack --no-cache (cold)" "$PACK --no-cache -o '$work/out.tar.gz' '$B/v2/bench.tar'"
report
# The warm output is the cold one, byte for byte.
rm -rf "$work/cache"; cp -a "$work/cache-v1" "$work/cache"
"$IMGTOOL" pack --no-prisma --json --cache "$work/cache" -o "$work/warm.tar.gz" "$B/v2/bench.tar" > "$work/warm.json"
"$IMGTOOL" pack --no-prisma --no-cache -o "$work/cold.tar.gz" "$B/v2/bench.tar" > /dev/null
cmp "$work/warm.tar.gz" "$work/cold.tar.gz" || { echo "FAILED: the warm pack differs from the cold one" >&2; exit 1; }
python3 - "$results" "$work/warm.json" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, base, wall, rss = line.rstrip("\n").split("\t")
    rows.setdefault(name, []).append(float(wall))
m = {k: statistics.median(v) for k, v in rows.items()}
c = json.load(open(sys.argv[2]))["pack"]["cache"]
print(f"  warm pack: {c['hits']} of {c['hits'] + c['misses']} layers from the cache, {c['tarBytesReused'] / 1e6:.1f} MB of tar not compressed again; output identical to the cold pack")
warm = m["imgtool pack, warm"] / m["openssl dgst -sha256 (floor)"]
cold = m["gzip -6 (baseline)"] / m["imgtool pack --no-cache (cold)"]
print(f"  target: warm pack <= 2.0x openssl dgst -sha256: {warm:.2f}x, {'met' if warm <= 2.0 else 'NOT MET'}")
print(f"  target: cold pack >= 2.25x the speed of gzip -6: {cold:.2f}x, {'met' if cold >= 2.25 else 'NOT MET'}")
PY
fi

# ------------------------------------------------------------------ 2. the re-deploy
if [[ $PARTS == *2* ]]; then
echo
echo "2. re-deploy of version 2 to a loopback sshd holding version 1: from the tar on disk to the file published"
mkdir -p "$work/base"
"$IMGTOOL" ship --no-verify "$work/v1.tar.gz" "bench:$port:$work/base" > /dev/null 2>&1
results="$work/redeploy.tsv"; : > "$results"
ROW_SETUP='rm -rf "$work/cache" "$R/d" "$work/out"; cp -a "$work/cache-v1" "$work/cache"; cp -a "$work/base" "$R/d"; mkdir -p "$work/out"; sync'
group "gzip -6 + scp" "gzip -6 -n -c '$B/v2/bench.tar' > '$work/out/bench.tar.gz' && scp -q -F '$work/ssh_config' '$work/out/bench.tar.gz' bench:'$R/d/bench.tar.gz'" \
  "imgtool pack (warm) + ship --no-verify" "$PACK --cache '$work/cache' -o '$work/out/bench.tar.gz' '$B/v2/bench.tar' && '$IMGTOOL' ship --no-verify '$work/out/bench.tar.gz' bench:$port:'$R/d'" \
  "imgtool pack (warm) + ship (verdict from pack)" "$PACK --cache '$work/cache' -o '$work/out/bench.tar.gz' '$B/v2/bench.tar' && '$IMGTOOL' ship --no-prisma '$work/out/bench.tar.gz' bench:$port:'$R/d'"
report
python3 - "$results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, base, wall, rss = line.rstrip("\n").split("\t")
    rows.setdefault(name, []).append(float(wall))
m = {k: statistics.median(v) for k, v in rows.items()}
base = m["gzip -6 + scp"]
for name in ("imgtool pack (warm) + ship --no-verify", "imgtool pack (warm) + ship (verdict from pack)"):
    x = base / m[name]
    print(f"  target: {name} >= 5x faster than gzip -6 + scp: {x:.2f}x, {'met' if x >= 5 else 'NOT MET'}")
PY
fi
[[ $PARTS == *3* ]] || exit 0

# ------------------------------------------------------------------ 3. in-layer deltas
echo
echo "3. version 3 (node_modules changed) sent after version 1, counted on the wire"
deltas=$work/deltas.tsv; : > "$deltas"
# delta VARIANT NAME V1FILE V3FILE COMMAND_TEMPLATE: V1 sent directly, V3 through the proxy.
delta() {
  local variant=$1 name=$2 f1=$3 f2=$4 tmpl=$5 dir="$R/delta-$RANDOM" cmd
  mkdir -p "$dir"
  cmd=${tmpl//PORT/$port}; cmd=${cmd//FILE/$f1}; cmd=${cmd//DIR/$dir}
  bash -c "$cmd" > /dev/null 2> "$work/err" || { echo "FAILED: $name (v1)" >&2; cat "$work/err" >&2; exit 1; }
  proxy delta
  cmd=${tmpl//PORT/$PPORT}; cmd=${cmd//FILE/$f2}; cmd=${cmd//DIR/$dir}
  bash -c "$cmd" > "$work/out.log" 2> "$work/err" || { echo "FAILED: $name (v3)" >&2; cat "$work/err" >&2; exit 1; }
  stop_proxy
  cmp -s "$f2" "$dir/bench.tar.gz" || { echo "FAILED: $name did not deliver version 3" >&2; exit 1; }
  printf '%s\t%s\t%s\t%s\n' "$variant" "$name" "$(counted)" "$(size "$f2")" >> "$deltas"
  rm -rf "$dir"
}
mkdir -p "$work/p1" "$work/g1"
cp "$work/v1.tar.gz" "$work/p1/bench.tar.gz"
gzip -6 -n -c "$B/bench.tar" > "$work/g1/bench.tar.gz"
RSH="ssh -F $work/ssh_config -p PORT"
for v in bump ci newfile; do
  mkdir -p "$work/p-$v" "$work/g-$v"
  rm -rf "$work/cache"; cp -a "$work/cache-v1" "$work/cache"
  "$IMGTOOL" pack --no-prisma --cache "$work/cache" -o "$work/p-$v/bench.tar.gz" "$B/v3/$v.tar" > /dev/null
  cp "$B/v3/$v.tar.gz" "$work/g-$v/bench.tar.gz"
  delta "$v" "imgtool pack + imgtool ship" "$work/p1/bench.tar.gz" "$work/p-$v/bench.tar.gz" "'$IMGTOOL' ship --no-verify FILE bench:PORT:DIR"
  delta "$v" "imgtool pack + ship --chunk-size 2M" "$work/p1/bench.tar.gz" "$work/p-$v/bench.tar.gz" "'$IMGTOOL' ship --no-verify --chunk-size 2M FILE bench:PORT:DIR"
  delta "$v" "imgtool pack + ship --chunk-size 1M" "$work/p1/bench.tar.gz" "$work/p-$v/bench.tar.gz" "'$IMGTOOL' ship --no-verify --chunk-size 1M FILE bench:PORT:DIR"
  delta "$v" "gzip -6 + scp (everything)" "$work/g1/bench.tar.gz" "$work/g-$v/bench.tar.gz" "scp -q -F $work/ssh_config -P PORT FILE bench:DIR/bench.tar.gz"
  delta "$v" "gzip -6 + rsync" "$work/g1/bench.tar.gz" "$work/g-$v/bench.tar.gz" "rsync -e '$RSH' FILE bench:DIR/bench.tar.gz"
  delta "$v" "imgtool pack + rsync" "$work/p1/bench.tar.gz" "$work/p-$v/bench.tar.gz" "rsync -e '$RSH' FILE bench:DIR/bench.tar.gz"
  rm -rf "$work/p-$v" "$work/g-$v"
done
python3 - "$deltas" "$B/v3" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
titles = {"bump": "a dependency bump, every other entry the same bytes",
          "ci": "the same bump after npm ci: every mtime new",
          "newfile": "a new 256 KiB file in the middle of the layer"}
for v in ("bump", "ci", "newfile"):
    gz, raw, package = open(f"{sys.argv[2]}/{v}.changed").read().split()
    gz = int(gz)
    mine = [r for r in rows if r[0] == v]
    archive = int(mine[0][3])
    print(f"  {titles[v]} ({int(raw) / 1e3:.0f} kB changed, {gz / 1e3:.0f} kB as gzip -6)")
    print(f"    {'sent with':<36} {'on the wire':>12} {'of the file':>11}")
    for _, name, wire, size in mine:
        print(f"    {name:<36} {int(wire) / 1e6:9.2f} MB {int(wire) / int(size) * 100:10.2f}%")
    if v == "ci":
        print(f"    (no target: every header changed; see the README)")
    else:
        target = 2 * gz + 0.01 * archive
        for _, name, wire, _ in mine:
            if "imgtool ship" in name or "ship --chunk-size" in name:
                print(f"    target: <= 2 x {gz / 1e6:.2f} MB + 1% of the archive ({0.01 * archive / 1e6:.1f} MB) = {target / 1e6:.2f} MB, {name}: "
                      f"{'met' if int(wire) <= target else 'NOT MET'} ({int(wire) / 1e6:.2f} MB)")
PY
