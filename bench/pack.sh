#!/usr/bin/env bash
# bench/pack.sh BENCH_DIR IMGTOOL [RUNS]
# `imgtool pack` against `gzip -6` and `pigz -6 -p <cores>` on BENCH_DIR/bench.tar: RUNS rounds
# (default 3), each running every row once, interleaved so that load from other work hits every
# row alike. Prints medians, spreads (min-max), throughput against gzip -6 (the median over the
# rounds of gzip's time over the row's in the same round), output sizes against gzip -6's, and
# peak RSS; then checks that the packed output decompresses (pigz -dc) to bench.tar byte for byte.
#
# The benchmark image fails verify's Prisma check on purpose, so pack runs with --force: the work
# (read, verify, compress, write, rename) is the same as for a passing image.
set -euo pipefail
B=${1:?bench dir}; IMGTOOL=${2:?imgtool binary}; RUNS=${3:-3}
export LC_ALL=C
for tool in gzip pigz python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench/pack.sh needs $tool" >&2; exit 1; }
done
[ -f "$B/bench.tar" ] || { echo "no $B/bench.tar (make bench creates it)" >&2; exit 1; }
CORES=$(nproc)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
results="$work/results.tsv"; : > "$results"

# measure ROUND NAME OUTPUT COMMAND...: wall seconds, max RSS and output size of one run.
measure() {
  local round=$1 name=$2 out=$3; shift 3
  rm -f "$out"
  if ! /usr/bin/time -f "%e %M" -o "$work/t" bash -c "$*" >/dev/null 2>"$work/err"; then
    echo "FAILED: $name" >&2; cat "$work/err" >&2; return 1
  fi
  read -r wall rss < <(tail -n 1 "$work/t")
  printf '%s\t%s\t%s\t%s\t%s\n' "$round" "$name" "$wall" "$rss" "$(stat -c %s "$out")" >> "$results"
}

echo "machine: $(uname -m), $CORES cores, $(awk '/model name/ {$1=$2=$3=""; print; exit}' /proc/cpuinfo | sed 's/^ *//'), $(free -g | awk '/Mem:/ {print $2}') GiB"
echo "archive: $B/bench.tar ($(stat -c %s "$B/bench.tar") bytes); $RUNS interleaved rounds; input in page cache, outputs in $work"
cat "$B/bench.tar" > /dev/null   # warm the page cache

for round in $(seq "$RUNS"); do
  measure "$round" "gzip -6 (baseline)" "$work/gzip.gz" "gzip -6 -c '$B/bench.tar' > '$work/gzip.gz'"
  measure "$round" "pigz -6 -p $CORES" "$work/pigz.gz" "pigz -6 -p $CORES -c '$B/bench.tar' > '$work/pigz.gz'"
  measure "$round" "imgtool pack bench.tar" "$work/pack.gz" "'$IMGTOOL' pack --no-cache --force -o '$work/pack.gz' '$B/bench.tar'"
  measure "$round" "cat bench.tar | imgtool pack -" "$work/pack-stdin.gz" "cat '$B/bench.tar' | '$IMGTOOL' pack --no-cache --force -o '$work/pack-stdin.gz' -"
done

python3 - "$results" <<'PY'
import sys, statistics
rows, order = {}, []
for line in open(sys.argv[1]):
    rnd, name, wall, rss, size = line.rstrip("\n").split("\t")
    if name not in rows:
        rows[name] = {"wall": {}, "rss": [], "size": []}
        order.append(name)
    rows[name]["wall"][rnd] = float(wall); rows[name]["rss"].append(int(rss)); rows[name]["size"].append(int(size))
base = rows[order[0]]
base_size = statistics.median(base["size"])
print()
print(f"{'work':32} {'median s':>9} {'spread s':>13} {'speed':>7} {'output bytes':>13} {'size':>8} {'peak RSS':>10}")
for name in order:
    r = rows[name]
    walls = list(r["wall"].values())
    med = statistics.median(walls); size = statistics.median(r["size"])
    spread = f"{min(walls):.2f}-{max(walls):.2f}"
    ratios = [base["wall"][k] / w for k, w in r["wall"].items() if w > 0 and k in base["wall"]]
    speed = statistics.median(ratios) if ratios else float("nan")
    print(f"{name:32} {med:9.2f} {spread:>13} {speed:6.2f}x {int(size):13d} {size / base_size:7.4f}x {max(r['rss']) / 1024:6.1f} MiB")
print()
print("per round, wall s: " + "; ".join(f"{n} " + " ".join(f"{rows[n]['wall'][k]:.2f}" for k in sorted(rows[n]["wall"], key=int)) for n in order))
print("speed: median over the rounds of gzip -6's time over the row's in the same round; size: output bytes over gzip -6's")
PY

if pigz -dc "$work/pack.gz" | cmp -s - "$B/bench.tar" && pigz -dc "$work/pack-stdin.gz" | cmp -s - "$B/bench.tar"; then
  echo "round trip: pigz -dc of both pack outputs is bench.tar, byte for byte"
else
  echo "round trip: FAILED, a pack output does not decompress to bench.tar" >&2; exit 1
fi
if cmp -s "$work/pack.gz" "$work/pack-stdin.gz"; then
  echo "determinism: the file and stdin outputs are identical"
else
  echo "determinism: FAILED, the file and stdin outputs differ" >&2; exit 1
fi
