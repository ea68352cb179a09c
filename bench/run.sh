#!/usr/bin/env bash
# bench/run.sh BENCH_DIR IMGTOOL [RUNS]
# Runs each row RUNS times (default 5), interleaved with its baseline on the same file, and prints
# one table of medians, spreads (min-max), ratios against the baseline measured in the same run,
# and peak RSS. Called by `make bench`, which builds imgtool in release mode and the archives
# first (bench.tar and bench.tar.gz from ../shared/bench, bench-big.tar from make-big-archive.sh).
#
# Wall time is taken with bash's EPOCHREALTIME around the command (millisecond resolution, which
# the 15 ms of `skopeo inspect` needs); peak RSS is GNU time's %M of the same run.
set -euo pipefail
B=${1:?bench dir}; IMGTOOL=${2:?imgtool binary}; RUNS=${3:-5}
export LC_ALL=C
command -v python3 >/dev/null || { echo "bench needs python3" >&2; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
results="$work/results.tsv"; : > "$results"

# Before each timed run: skopeo copy writes a fresh OCI folder.
ROW_SETUP='rm -rf "$work/oci"'
. "$(dirname "${BASH_SOURCE[0]}")/rows.sh"

linkage="Swift runtime linked statically"
if ldd "$IMGTOOL" 2>/dev/null | grep -q libswiftCore; then linkage="Swift runtime and Foundation linked dynamically"; fi
echo "machine: $(uname -m), $(nproc) cores, $(awk '/model name/ {$1=$2=$3=""; print; exit}' /proc/cpuinfo | sed 's/^ *//'), $(free -g | awk '/Mem:/ {print $2}') GiB; load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
echo "imgtool: $IMGTOOL ($linkage)"
echo "archives: bench.tar $(stat -c %s "$B/bench.tar") bytes, bench.tar.gz $(stat -c %s "$B/bench.tar.gz") bytes, bench-big.tar $(stat -c %s "$B/bench-big.tar") bytes (same entries, one file grown); $RUNS runs per row, files in page cache"
cat "$B/bench.tar" "$B/bench.tar.gz" "$B/bench-big.tar" > /dev/null   # warm the page cache

V="$IMGTOOL verify"
# .tar.gz: the inflate limit is one core of zlib.
group "pigz -dc (baseline)" "pigz -dc '$B/bench.tar.gz' > /dev/null" \
  "imgtool verify bench.tar.gz" "$V '$B/bench.tar.gz'" \
  "cat bench.tar.gz | imgtool verify -" "cat '$B/bench.tar.gz' | $V -" \
  "imgtool verify bench.tar.gz, one thread" "IMGTOOL_ONE_THREAD=1 $V '$B/bench.tar.gz'" \
  "gzip -dc" "gzip -dc '$B/bench.tar.gz' > /dev/null" \
  "tar -tzf" "tar -tzf '$B/bench.tar.gz' > /dev/null"
# .tar: the hashing limit is libcrypto's SHA-256.
rows=("imgtool verify bench.tar" "$V '$B/bench.tar'" "cat bench.tar | imgtool verify -" "cat '$B/bench.tar' | $V -")
if command -v skopeo >/dev/null; then
  rows+=("skopeo copy docker-archive: oci:" "skopeo copy -q 'docker-archive:$B/bench.tar' 'oci:$work/oci:bench'")
fi
group "openssl dgst -sha256 (baseline)" "openssl dgst -sha256 '$B/bench.tar'" "${rows[@]}"
# The same entries in 4x the bytes: time scales with bytes, memory must not.
group "openssl dgst -sha256 bench-big.tar (baseline)" "openssl dgst -sha256 '$B/bench-big.tar'" \
  "imgtool verify bench-big.tar" "$V '$B/bench-big.tar'"
# Metadata: skopeo reads manifest.json and the config; imgtool inspect also walks every layer's
# tar headers (entry counts, ELF census), seeking over file contents.
if command -v skopeo >/dev/null; then
  group "skopeo inspect (baseline)" "skopeo inspect 'docker-archive:$B/bench.tar'" \
    "imgtool inspect bench.tar" "$IMGTOOL inspect '$B/bench.tar'"
else
  group "imgtool inspect bench.tar" "$IMGTOOL inspect '$B/bench.tar'"
fi
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at end"

report
