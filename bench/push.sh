#!/usr/bin/env bash
# bench/push.sh BENCH_DIR IMGTOOL [RUNS]
# `imgtool push` to a real registry on loopback (Debian's docker-registry, the CNCF distribution
# registry 2.8, filesystem storage in a temporary directory), against `skopeo copy
# docker-archive:… docker://…` to the same registry, run side by side, RUNS interleaved rounds
# (default 3), each into a fresh repository:
#
#   1. version 1 of the 1 GiB benchmark image (bench.tar, the uncompressed docker-save archive:
#      both compress every layer to gzip on the way), imgtool with an empty push cache;
#   2. version 2 after version 1 (v2/bench.tar: only the app layer changed), each tool into a
#      repository its own version 1 is in: what a re-deploy costs;
#   3. the bytes each stored (the sum of the manifest's layer sizes) and sent.
#
# Needs: docker-registry, skopeo, python3, curl.
set -euo pipefail
B=${1:?bench dir}; IMGTOOL=${2:?imgtool binary}; RUNS=${3:-3}
export LC_ALL=C
for tool in docker-registry skopeo python3 curl; do
  command -v "$tool" >/dev/null || { echo "bench/push.sh needs $tool (apt-get install docker-registry skopeo python3 curl)" >&2; exit 1; }
done
for f in bench.tar v2/bench.tar; do [ -f "$B/$f" ] || { echo "no $B/$f (make bench creates it)" >&2; exit 1; }; done
work=$(mktemp -d); registry_pid=
cleanup() { [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
# A registry of its own per round (a new port, empty storage), so that neither tool's cache of
# where blobs are (skopeo's blob-info cache, imgtool's push cache) finds the previous round's.
start_registry() {
  [ -n "$registry_pid" ] && { kill "$registry_pid"; wait "$registry_pid" 2>/dev/null || true; }
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  rm -rf "$work/storage"
  cat > "$work/config.yml" <<YML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/storage}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$port}
YML
  docker-registry serve "$work/config.yml" > "$work/registry.log" 2>&1 &
  registry_pid=$!
  for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
  R=127.0.0.1:$port
}
start_registry
export XDG_CACHE_HOME=$work/cache

now() { echo "$EPOCHREALTIME"; }
stored() {  # the layer bytes the manifest under REPO:TAG names
  skopeo inspect --raw --tls-verify=false "docker://$R/$1" | python3 -c 'import json,sys; print(sum(l["size"] for l in json.load(sys.stdin)["layers"]))'
}
timed() {  # timed NAME COMMAND...: seconds on stdout
  local name=$1 t0; shift; t0=$(now); "$@" > "$work/out" 2> "$work/err" || { echo "$name failed:" >&2; cat "$work/err" >&2; exit 1; }
  python3 -c "print(f'{$(now) - $t0:.2f}')"
}
median() { python3 -c 'import statistics,sys; print(f"{statistics.median(map(float, sys.argv[1:])):.2f}")' "$@"; }

echo "machine: $(uname -m), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
echo "registry: $(docker-registry --version 2>/dev/null | head -1) on loopback, a new one per round; skopeo $(skopeo --version | awk '{print $3}'); imgtool $IMGTOOL"
echo "archive: bench.tar $(stat -c %s "$B/bench.tar") bytes (docker save, uncompressed layers); v2/bench.tar: the app layer changed; $RUNS rounds"
cat "$B/bench.tar" "$B/v2/bench.tar" > /dev/null
declare -a sk1 im1 sk2 im2
for round in $(seq "$RUNS"); do
  start_registry
  rm -rf "$XDG_CACHE_HOME"
  sk1+=("$(timed skopeo skopeo copy --quiet --dest-tls-verify=false "docker-archive:$B/bench.tar" "docker://$R/sk$round/app:v1")")
  im1+=("$(timed imgtool "$IMGTOOL" push --insecure --no-verify "$B/bench.tar" "$R/im$round/app:v1")")
  sk2+=("$(timed skopeo skopeo copy --quiet --dest-tls-verify=false "docker-archive:$B/v2/bench.tar" "docker://$R/sk$round/app:v2")")
  im2+=("$(timed imgtool "$IMGTOOL" push --insecure --no-verify --json "$B/v2/bench.tar" "$R/im$round/app:v2")")
  cp "$work/out" "$work/v2.json"
done
s1=$(median "${sk1[@]}"); i1=$(median "${im1[@]}"); s2=$(median "${sk2[@]}"); i2=$(median "${im2[@]}")
ratio() { python3 -c "print(f'{$1 / $2:.2f}x')"; }
printf '\n%-58s %9s %9s %12s\n' "row (median of $RUNS; every run below)" "seconds" "vs skopeo" "stored"
printf '%-58s %9s %9s %12s\n' "skopeo copy docker-archive:bench.tar docker://  (v1)" "$s1" "1.00x" "$(stored sk$RUNS/app:v1)"
printf '%-58s %9s %9s %12s\n' "imgtool push bench.tar  (v1, empty cache)" "$i1" "$(ratio "$i1" "$s1")" "$(stored im$RUNS/app:v1)"
printf '%-58s %9s %9s %12s\n' "skopeo copy v2  (after its v1)" "$s2" "1.00x" "$(stored sk$RUNS/app:v2)"
printf '%-58s %9s %9s %12s\n' "imgtool push v2  (after its v1)" "$i2" "$(ratio "$i2" "$s2")" "$(stored im$RUNS/app:v2)"
echo
echo "spreads: skopeo v1 ${sk1[*]}; imgtool v1 ${im1[*]}; skopeo v2 ${sk2[*]}; imgtool v2 ${im2[*]}"
python3 - "$work/v2.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))["push"]
outcomes = {}
for b in p["blobs"]: outcomes[b["outcome"]] = outcomes.get(b["outcome"], 0) + 1
print(f"imgtool push v2: {p['bytesSent']} bytes sent in {p['requests']} requests; blobs: " + ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items())))
PY
