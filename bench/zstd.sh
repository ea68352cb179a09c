#!/usr/bin/env bash
# bench/zstd.sh BENCH_DIR IMGTOOL [RUNS]
# zstd, side by side with its peers on the 1 GiB benchmark image, in one run:
#
#   1. `imgtool verify bench.tar.zst` (and from stdin) against `zstd -dc bench.tar.zst > /dev/null`
#      (bench.tar.zst is `zstd -3 -T2` of bench.tar, made once and cached in BENCH_DIR);
#   2. `imgtool pack --zstd` against `zstd -3 -T2` of bench.tar, with both output sizes;
#   3. the deploy loop, from bench.tar on disk to the file published on a loopback sshd, each row
#      into an empty directory: `gzip -6` + `scp` (the baseline), `zstd -3 -T2` + `scp`,
#      `imgtool pack` + `imgtool ship`, `imgtool pack --zstd` + `imgtool ship`.
#
# RUNS rounds (default 3) for 1 and 2, one round for 3 (each row takes tens of seconds). The
# benchmark image fails verify's Prisma check on purpose, so pack and ship run with --no-prisma:
# every other check runs. Needs zstd, gzip, sshd, ssh, scp, python3, GNU time.
set -euo pipefail
B=${1:?bench dir}; IMGTOOL=${2:?imgtool binary}; RUNS=${3:-3}
export LC_ALL=C
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SSHD=$(command -v sshd || echo /usr/sbin/sshd)
for tool in zstd gzip "$SSHD" ssh scp python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench/zstd.sh needs $tool" >&2; exit 1; }
done
[ -f "$B/bench.tar" ] || { echo "no $B/bench.tar (make bench creates it)" >&2; exit 1; }
if [ ! -f "$B/bench.tar.zst" ]; then
  zstd -q -3 -T2 -c "$B/bench.tar" > "$B/bench.tar.zst.tmp" && mv "$B/bench.tar.zst.tmp" "$B/bench.tar.zst"
fi

work=$(mktemp -d /tmp/imgtool-bench-zstd.XXXXXX)
cleanup() {
  [ -f "$work/sshd.pid" ] && kill -9 "$(cat "$work/sshd.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
results="$work/results.tsv"; : > "$results"
. "$HERE/rows.sh"
. "$HERE/loopback-sshd.sh"
R=$work/remote; mkdir -p "$R"

echo "machine: $(uname -m), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
echo "archives: bench.tar $(stat -c %s "$B/bench.tar") bytes, bench.tar.zst (zstd -3 -T2) $(stat -c %s "$B/bench.tar.zst") bytes; $(zstd --version)"
cat "$B/bench.tar" "$B/bench.tar.zst" > /dev/null   # warm the page cache

V="'$IMGTOOL' verify --no-prisma"
group "zstd -dc (baseline)" "zstd -dc '$B/bench.tar.zst' > /dev/null" \
  "imgtool verify bench.tar.zst" "$V '$B/bench.tar.zst'" \
  "cat bench.tar.zst | imgtool verify -" "cat '$B/bench.tar.zst' | $V -"

ROW_SETUP='rm -f "$work"/out.*'
group "zstd -3 -T2 (baseline)" "zstd -q -3 -T2 -c '$B/bench.tar' > '$work/out.zst'" \
  "imgtool pack --zstd bench.tar" "'$IMGTOOL' pack --zstd --no-cache --no-prisma -o '$work/out.pack.zst' '$B/bench.tar'"
zstd -q -3 -T2 -c "$B/bench.tar" > "$work/size.zst"
"$IMGTOOL" pack --zstd --no-prisma -o "$work/size.pack.zst" "$B/bench.tar" > /dev/null
zs=$(stat -c %s "$work/size.zst"); ps=$(stat -c %s "$work/size.pack.zst")
cmp -s <(zstd -dc "$work/size.pack.zst") "$B/bench.tar" || { echo "pack --zstd does not decompress to bench.tar" >&2; exit 1; }
rm -f "$work"/size.*

RUNS=1
ROW_SETUP='rm -rf "$R/t" "$work"/out.*; mkdir -p "$R/t"'
group "gzip -6 + scp (baseline)" "gzip -6 -c '$B/bench.tar' > '$work/out.tar.gz' && scp -q -F '$work/ssh_config' '$work/out.tar.gz' bench:'$R/t/'" \
  "zstd -3 -T2 + scp" "zstd -q -3 -T2 -c '$B/bench.tar' > '$work/out.tar.zst' && scp -q -F '$work/ssh_config' '$work/out.tar.zst' bench:'$R/t/'" \
  "imgtool pack + imgtool ship" "'$IMGTOOL' pack --no-cache --no-prisma -o '$work/out.tar.gz' '$B/bench.tar' && '$IMGTOOL' ship --no-prisma --keep 0 '$work/out.tar.gz' bench:'$R/t'" \
  "imgtool pack --zstd + imgtool ship" "'$IMGTOOL' pack --zstd --no-cache --no-prisma -o '$work/out.tar.zst' '$B/bench.tar' && '$IMGTOOL' ship --no-prisma --keep 0 '$work/out.tar.zst' bench:'$R/t'"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at end"

report
python3 -c "import sys; z, p = int(sys.argv[1]), int(sys.argv[2]); print(f'sizes: zstd -3 -T2 {z} bytes, imgtool pack --zstd {p} bytes ({(p / z - 1) * 100:+.2f}%)')" "$zs" "$ps"
