#!/usr/bin/env bash
# bench/run.sh BENCH_DIR IMGTOOL [RUNS]
# Runs each row RUNS times (default 3) side by side with its baseline on the same file, and prints
# one table of medians, spreads (min-max), ratios against the baseline measured in the same run,
# and peak RSS. Called by `make bench`, which builds imgtool in release mode and the archive first.
set -euo pipefail
B=${1:?bench dir}; IMGTOOL=${2:?imgtool binary}; RUNS=${3:-3}
export LC_ALL=C
command -v python3 >/dev/null || { echo "bench needs python3" >&2; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
results="$work/results.tsv"; : > "$results"

# measure NAME BASELINE_NAME COMMAND...: wall seconds and max RSS of RUNS runs.
measure() {
  local name=$1 base=$2; shift 2
  for _ in $(seq "$RUNS"); do
    rm -rf "$work/oci"
    # imgtool verify exits 1 when a check fails: the work is the same, so 0 and 1 both count.
    local rc=0
    /usr/bin/time -f "%e %M" -o "$work/t" bash -c "$*" >/dev/null 2>"$work/err" || rc=$?
    if [ "$rc" -gt 1 ]; then echo "FAILED ($rc): $name" >&2; cat "$work/err" >&2; return 1; fi
    read -r wall rss < <(tail -n 1 "$work/t")
    printf '%s\t%s\t%s\t%s\n' "$name" "$base" "$wall" "$rss" >> "$results"
  done
}

echo "machine: $(uname -m), $(nproc) cores, $(awk '/model name/ {$1=$2=$3=""; print; exit}' /proc/cpuinfo | sed 's/^ *//'), $(free -g | awk '/Mem:/ {print $2}') GiB"
echo "archive: $B/bench.tar ($(stat -c %s "$B/bench.tar") bytes), bench.tar.gz ($(stat -c %s "$B/bench.tar.gz") bytes); $RUNS runs per row, files in page cache"
cat "$B/bench.tar" "$B/bench.tar.gz" > /dev/null   # warm the page cache

VERIFY="$IMGTOOL verify"
"$IMGTOOL" help verify >/dev/null 2>&1 || VERIFY="$IMGTOOL inspect"   # before verify existed

# .tar.gz: the inflate limit is one core of zlib.
measure "pigz -dc (baseline)" "pigz -dc (baseline)" "pigz -dc '$B/bench.tar.gz' > /dev/null"
measure "imgtool verify bench.tar.gz" "pigz -dc (baseline)" "$VERIFY '$B/bench.tar.gz'"
measure "cat bench.tar.gz | imgtool verify -" "pigz -dc (baseline)" "cat '$B/bench.tar.gz' | $VERIFY -"
measure "gzip -dc" "pigz -dc (baseline)" "gzip -dc '$B/bench.tar.gz' > /dev/null"
measure "tar -tzf" "pigz -dc (baseline)" "tar -tzf '$B/bench.tar.gz' > /dev/null"
# .tar: the hashing limit is libcrypto's SHA-256.
measure "openssl dgst -sha256 (baseline)" "openssl dgst -sha256 (baseline)" "openssl dgst -sha256 '$B/bench.tar'"
measure "imgtool verify bench.tar" "openssl dgst -sha256 (baseline)" "$VERIFY '$B/bench.tar'"
measure "cat bench.tar | imgtool verify -" "openssl dgst -sha256 (baseline)" "cat '$B/bench.tar' | $VERIFY -"
if command -v skopeo >/dev/null; then
  measure "skopeo copy docker-archive: oci:" "openssl dgst -sha256 (baseline)" "skopeo copy -q 'docker-archive:$B/bench.tar' 'oci:$work/oci:bench'"
  measure "skopeo inspect (baseline)" "skopeo inspect (baseline)" "skopeo inspect 'docker-archive:$B/bench.tar'"
  measure "imgtool inspect bench.tar" "skopeo inspect (baseline)" "$IMGTOOL inspect '$B/bench.tar'"
fi

python3 - "$results" <<'PY'
import sys, statistics
rows = {}
order = []
for line in open(sys.argv[1]):
    name, base, wall, rss = line.rstrip("\n").split("\t")
    if name not in rows:
        rows[name] = {"base": base, "wall": [], "rss": []}
        order.append(name)
    rows[name]["wall"].append(float(wall)); rows[name]["rss"].append(int(rss))
print()
print(f"{'work':40} {'median s':>9} {'spread s':>13} {'ratio':>7} {'peak RSS':>10}")
for name in order:
    r = rows[name]
    med = statistics.median(r["wall"]); base = statistics.median(rows[r["base"]]["wall"])
    ratio = med / base if base > 0 else float("nan")
    spread = f"{min(r['wall']):.2f}-{max(r['wall']):.2f}"
    rss = f"{max(r['rss']) / 1024:.1f} MiB"
    print(f"{name:40} {med:9.2f} {spread:>13} {ratio:6.2f}x {rss:>10}")
PY
