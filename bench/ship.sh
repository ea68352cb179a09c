#!/usr/bin/env bash
# bench/ship.sh BENCH_DIR IMGTOOL [RUNS]
# `imgtool ship` over a real OpenSSH server on loopback, against the peers run side by side:
#
#   1. throughput: `scp bench.tar.gz` (the baseline) against `cat | ssh 'cat > FILE'`, `imgtool
#      ship` of the same file with its checks (--no-cache: run each time) and without, `imgtool
#      verify` alone, and `imgtool ship` of the file `imgtool pack` wrote (the verdict pack
#      recorded serves instead of the checks), RUNS interleaved rounds (default 3), each into an
#      empty directory;
#   2. resume: a ship cut by a loopback proxy after half the file, then the same command again:
#      the bytes the second run sends on the wire against the bytes that were still missing;
#   3. delta deploy: version 1 of the benchmark image shipped, then version 2 (only the app layer
#      changed; bench/make-v2-archive.sh, members in lexical order as `docker save` writes them):
#      the bytes each way sends on the wire for version 2, counted by the proxy: `imgtool pack` +
#      `imgtool ship`, `scp` (everything), and `rsync` of the `.tar.gz` over version 1's (both the
#      `docker save | gzip -6` file and the packed one); and, for contrast, rsync of gzip -6 files
#      whose members are in layer order (skopeo's docker-archive), where the changed layer is last.
#
# sshd runs as this user on a free loopback port with keys made for the run; nothing leaves the
# machine. Needs: sshd (openssh-server), ssh, scp, rsync, python3, GNU time.
set -euo pipefail
B=${1:?bench dir}; IMGTOOL=${2:?imgtool binary}; RUNS=${3:-3}
export LC_ALL=C
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROXY=$HERE/../Tests/Fixtures/tools/tcp-proxy.py
SSHD=$(command -v sshd || echo /usr/sbin/sshd)
for tool in "$SSHD" ssh scp rsync python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench/ship.sh needs $tool (apt-get install openssh-server openssh-client rsync python3 time)" >&2; exit 1; }
done
for f in bench.tar bench.tar.gz v2/bench.tar delta/v1.tar delta/v1.tar.gz delta/v2.tar delta/v2.tar.gz; do
  [ -f "$B/$f" ] || { echo "no $B/$f (make bench creates it)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/imgtool-bench-ship.XXXXXX)
# The run's own caches (pack's layers, the verdicts), not the user's.
export XDG_CACHE_HOME=$work/xdg
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  [ -f "$work/sshd.pid" ] && kill -9 "$(cat "$work/sshd.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# ------------------------------------------------------------------ a loopback sshd
. "$HERE/loopback-sshd.sh"
R=$work/remote; mkdir -p "$R"

size() { stat -c %s "$1"; }
mb() { python3 -c "print(f'{$1 / 1e6:.1f} MB')"; }

echo "machine: $(uname -m), $(nproc) cores, $(awk '/model name/ {$1=$2=$3=""; print; exit}' /proc/cpuinfo | sed 's/^ *//'); $(ssh -V 2>&1); sshd on 127.0.0.1:$port"
echo "imgtool: $IMGTOOL"
cat "$B/bench.tar.gz" "$B/delta/"* > /dev/null

# ------------------------------------------------------------------ 1. throughput
results=$work/results.tsv; : > "$results"
one() { # NAME COMMAND [FILE THE REMOTE MUST HOLD, or - for none]
  local t0 t1 want=${3:-$B/bench.tar.gz}
  rm -rf "$R/t"; mkdir -p "$R/t"
  t0=$EPOCHREALTIME
  /usr/bin/time -f %M -o "$work/rss" bash -c "$2" > /dev/null 2> "$work/err" || { echo "FAILED: $1" >&2; cat "$work/err" >&2; exit 1; }
  t1=$EPOCHREALTIME
  [ "$want" = - ] || cmp -s "$want" "$R/t/bench.tar.gz" || { echo "FAILED: $1 did not deliver the file" >&2; exit 1; }
  printf '%s\t%s\t%s\n' "$1" "$(python3 -c "print($t1 - $t0)")" "$(tail -n 1 "$work/rss")" >> "$results"
}
GZ=$B/bench.tar.gz
# The file pack writes from the same image (340.4 MB against gzip -6's 340.8 MB), with its verdict.
mkdir -p "$work/packed"
"$IMGTOOL" pack --no-prisma -o "$work/packed/bench.tar.gz" "$B/bench.tar" > /dev/null
PK=$work/packed/bench.tar.gz
cat "$PK" > /dev/null
for _ in $(seq "$RUNS"); do
  one "scp (baseline)" "scp -q -F $work/ssh_config '$GZ' bench:$R/t/"
  one "cat | ssh 'cat > file'" "$SSH bench 'cat > $R/t/bench.tar.gz' < '$GZ'"
  one "imgtool verify --no-prisma (checks alone)" "'$IMGTOOL' verify --no-prisma '$GZ'" -
  one "imgtool ship --no-prisma --no-cache (checks + send)" "'$IMGTOOL' ship --no-prisma --no-cache --keep 0 '$GZ' bench:$R/t"
  one "imgtool ship --no-verify (send only)" "'$IMGTOOL' ship --no-verify --keep 0 '$GZ' bench:$R/t"
  one "imgtool ship --no-prisma of pack's file (verdict)" "'$IMGTOOL' ship --no-prisma --keep 0 '$PK' bench:$R/t" "$PK"
done
echo
echo "1. throughput: $(basename "$GZ") ($(mb "$(size "$GZ")")) to a loopback sshd, $RUNS interleaved runs"
python3 - "$results" "$(size "$GZ")" <<'EOF'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    name, t, rss = line.rstrip("\n").split("\t")
    rows.setdefault(name, []).append((float(t), int(rss)))
size = int(sys.argv[2])
base = statistics.median(t for t, _ in rows["scp (baseline)"])
print(f"  {'row':<50} {'median':>8} {'spread':>15} {'MB/s':>7} {'x scp':>6} {'RSS':>9}")
for name, v in rows.items():
    ts = [t for t, _ in v]; m = statistics.median(ts)
    rss = max(r for _, r in v) / 1024
    print(f"  {name:<50} {m:7.2f}s {min(ts):6.2f}-{max(ts):6.2f}s {size / m / 1e6:7.0f} {m / base:5.2f}x {rss:6.1f} MiB")
med = {name: statistics.median(t for t, _ in v) for name, v in rows.items()}
def target(text, value, limit):
    print(f"  target: {text}: {value:.2f}x, {'met' if value <= limit else 'NOT MET'}")
target("ship --no-verify >= 0.9x scp's throughput (time <= 1.11x scp's)", med["imgtool ship --no-verify (send only)"] / base, 1 / 0.9)
larger = max(base, med["imgtool verify --no-prisma (checks alone)"])
target("ship with its checks <= 1.1x the larger of verify and scp", med["imgtool ship --no-prisma --no-cache (checks + send)"] / larger, 1.1)
target("ship of pack's file (verdict from pack) <= 1.2x scp", med["imgtool ship --no-prisma of pack's file (verdict)"] / base, 1.2)
EOF

# ------------------------------------------------------------------ 2. resume
echo
echo "2. resume: the same file, the connection cut after half of it"
S=$(size "$GZ")
proxy cut --cut-after $((S / 2))
rc=0; "$IMGTOOL" ship --no-verify "$GZ" "bench:$PPORT:$R/resume" > /dev/null 2> "$work/cut.err" || rc=$?
stop_proxy
[ "$rc" = 8 ] || { echo "the cut ship exited $rc, not 8" >&2; cat "$work/cut.err" >&2; exit 1; }
have=$(find "$R/resume/.imgtool/chunks" -type f ! -name '.*' -printf '%s\n' 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
proxy again
"$IMGTOOL" ship --json --no-verify "$GZ" "bench:$PPORT:$R/resume" > "$work/resume.json"
stop_proxy
cmp -s "$GZ" "$R/resume/bench.tar.gz" || { echo "the resumed ship did not deliver the file" >&2; exit 1; }
wire=$(counted)
python3 - "$work/resume.json" "$S" "$have" "$wire" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))["destinations"][0]
size, have, wire = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
missing = size - have
print(f"  first run: cut after {size // 2 / 1e6:.1f} MB on the wire; {have / 1e6:.1f} MB of checked chunks on the remote")
print(f"  second run: {d['bytesSent'] / 1e6:.1f} MB of chunks sent ({d['chunksSent']} chunks, {d['chunksSkipped']} skipped), "
      f"{wire / 1e6:.1f} MB on the wire, for {missing / 1e6:.1f} MB missing: re-sent {max(0, wire - missing) / 1e6:.2f} MB "
      f"({max(0, wire - missing) / size * 100:.2f}% of the file) beyond what was missing")
EOF

# ------------------------------------------------------------------ 3. delta deploy
echo
echo "3. delta deploy: version 1 of the image shipped, then version 2 (only the app layer changed)"
mkdir -p "$work/v1" "$work/v2" "$work/s1" "$work/s2"
D=$B/delta
"$IMGTOOL" pack --no-prisma -o "$work/v1/bench.tar.gz" "$D/v1.tar" > /dev/null
"$IMGTOOL" pack --no-prisma --json -o "$work/v2/bench.tar.gz" "$D/v2.tar" > "$work/v2.pack.json"
app=$(tar -xOf "$D/v2.tar" manifest.json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Layers"][-1])')
appgz=$(python3 -c '
import json, sys
members = json.load(open(sys.argv[1]))["pack"]["members"]
print(sum(m["compressedSize"] for m in members if m.get("tarMember") == sys.argv[2]))' "$work/v2.pack.json" "$app")
apptar=$(tar -tvf "$D/v2.tar" "$app" | awk '{ print $3 }')
[ "$appgz" -gt 0 ] || { echo "no gzip member for the app layer $app" >&2; exit 1; }
P2=$(size "$work/v2/bench.tar.gz"); G2=$(size "$D/v2.tar.gz")
echo "  version 2: $(mb "$(size "$D/v2.tar")") tar, members in lexical order (the app layer is member $(tar -tf "$D/v2.tar" | grep -n "$app" | head -1 | cut -d: -f1) of $(tar -tf "$D/v2.tar" | wc -l));"
echo "  packed $(mb "$P2") (gzip -6: $(mb "$G2")); app layer $(mb "$apptar"), $(mb "$appgz") packed"
# Layer order (skopeo's docker-archive as written): the changed layer is the last member.
gzip -6 -n -c "$B/v2/bench.tar" > "$work/s2/bench.tar.gz"
cp "$B/bench.tar.gz" "$work/s1/bench.tar.gz"

# delta NAME V1FILE V2FILE COMMAND_TEMPLATE: ships V1 directly, then V2 through the counting proxy
# with the command (PORT, FILE and DIR substituted); prints the wire bytes and the time of V2.
deltas=$work/deltas.tsv; : > "$deltas"
delta() {
  local name=$1 f1=$2 f2=$3 tmpl=$4 dir="$R/delta-$RANDOM" cmd t0 t1
  mkdir -p "$dir"
  cmd=${tmpl//PORT/$port}; cmd=${cmd//FILE/$f1}; cmd=${cmd//DIR/$dir}
  bash -c "$cmd" > /dev/null 2> "$work/err" || { echo "FAILED: $name (v1)" >&2; cat "$work/err" >&2; exit 1; }
  proxy delta
  cmd=${tmpl//PORT/$PPORT}; cmd=${cmd//FILE/$f2}; cmd=${cmd//DIR/$dir}
  t0=$EPOCHREALTIME
  bash -c "$cmd" > "$work/out" 2> "$work/err" || { echo "FAILED: $name (v2)" >&2; cat "$work/err" >&2; exit 1; }
  t1=$EPOCHREALTIME
  stop_proxy
  cmp -s "$f2" "$dir/bench.tar.gz" || { echo "FAILED: $name did not deliver version 2" >&2; exit 1; }
  printf '%s\t%s\t%s\t%s\n' "$name" "$(counted)" "$(python3 -c "print($t1 - $t0)")" "$(size "$f2")" >> "$deltas"
}
RSH="ssh -F $work/ssh_config -p PORT"
mkdir -p "$work/g1" "$work/g2"
ln "$D/v1.tar.gz" "$work/g1/bench.tar.gz" 2>/dev/null || cp "$D/v1.tar.gz" "$work/g1/bench.tar.gz"
ln "$D/v2.tar.gz" "$work/g2/bench.tar.gz" 2>/dev/null || cp "$D/v2.tar.gz" "$work/g2/bench.tar.gz"
delta "imgtool pack + imgtool ship" "$work/v1/bench.tar.gz" "$work/v2/bench.tar.gz" \
  "'$IMGTOOL' ship --no-verify FILE bench:PORT:DIR"
delta "gzip -6 + scp (everything)" "$work/g1/bench.tar.gz" "$work/g2/bench.tar.gz" \
  "scp -q -F $work/ssh_config -P PORT FILE bench:DIR/bench.tar.gz"
delta "gzip -6 + rsync" "$work/g1/bench.tar.gz" "$work/g2/bench.tar.gz" \
  "rsync -e '$RSH' FILE bench:DIR/bench.tar.gz"
delta "imgtool pack + rsync" "$work/v1/bench.tar.gz" "$work/v2/bench.tar.gz" \
  "rsync -e '$RSH' FILE bench:DIR/bench.tar.gz"
delta "gzip -6 + rsync, layer order" "$work/s1/bench.tar.gz" "$work/s2/bench.tar.gz" \
  "rsync -e '$RSH' FILE bench:DIR/bench.tar.gz"
python3 - "$deltas" "$appgz" "$P2" <<'EOF'
import sys
appgz, packed = int(sys.argv[2]), int(sys.argv[3])
target = appgz + 0.02 * packed
print(f"  {'version 2 sent with':<30} {'on the wire':>12} {'of the file':>11} {'time':>7}")
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
for name, wire, t, size in rows:
    print(f"  {name:<30} {int(wire) / 1e6:9.1f} MB {int(wire) / int(size) * 100:10.1f}% {float(t):6.2f}s")
ship = int(rows[0][1])
print(f"  target: <= the app layer packed ({appgz / 1e6:.1f} MB) + 2% of the archive ({0.02 * packed / 1e6:.1f} MB) = {target / 1e6:.1f} MB:"
      f" {'met' if ship <= target else 'NOT MET'} ({ship / 1e6:.1f} MB)")
EOF

# ------------------------------------------------------------------ 4. shaped links
# The counting proxy paces ssh's upload direction to a link's rate (--rate, per connection: scp
# and ship each use one), so that the rows compare scp and ship where the link, not this
# machine's two cores, is the limit. One run each; 1 Gbit/s is about the loopback's own speed
# here, so that table shows what a 2-core machine does near it.
echo
echo "4. shaped links: $(basename "$PK") ($(mb "$(size "$PK")")) through a proxy paced to the link's rate, one run each"
shaped=$work/shaped.tsv; : > "$shaped"
for link in "100 Mbit/s:12500000" "1 Gbit/s:125000000"; do
  rate=${link#*:}; label=${link%%:*}
  for row in "scp|scp -q -F $work/ssh_config -P PORT '$PK' bench:$R/t/" \
             "imgtool ship --no-verify|'$IMGTOOL' ship --no-verify --keep 0 '$PK' bench:PORT:$R/t" \
             "imgtool ship of pack's file (verdict)|'$IMGTOOL' ship --no-prisma --keep 0 '$PK' bench:PORT:$R/t"; do
    name=${row%%|*}; cmd=${row#*|}
    rm -rf "$R/t"; mkdir -p "$R/t"
    proxy shaped --rate "$rate"
    cmd=${cmd//PORT/$PPORT}
    t0=$EPOCHREALTIME
    bash -c "$cmd" > /dev/null 2> "$work/err" || { echo "FAILED: $name at $label" >&2; cat "$work/err" >&2; exit 1; }
    t1=$EPOCHREALTIME
    stop_proxy
    cmp -s "$PK" "$R/t/bench.tar.gz" || { echo "FAILED: $name at $label did not deliver the file" >&2; exit 1; }
    printf '%s\t%s\t%s\n' "$label" "$name" "$(python3 -c "print($t1 - $t0)")" >> "$shaped"
  done
done
python3 - "$shaped" "$(size "$PK")" <<'EOF2'
import sys
size = int(sys.argv[2])
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
for label in dict.fromkeys(r[0] for r in rows):
    print(f"  {label}:")
    base = next(float(t) for l, n, t in rows if l == label and n == "scp")
    for l, name, t in rows:
        if l == label:
            print(f"    {name:<40} {float(t):7.2f}s {size / float(t) / 1e6:7.1f} MB/s {float(t) / base:5.2f}x")
EOF2
