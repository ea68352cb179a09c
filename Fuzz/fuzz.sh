#!/usr/bin/env bash
# Builds the libFuzzer harnesses of Fuzz/Harnesses and runs each for FUZZ_SECONDS (see Fuzz/README.md).
#
#   Fuzz/fuzz.sh [build|run|all] [harness...]     (default: all, every harness)
#
# Environment: FUZZ_SECONDS (per harness, default 60), FUZZ_BUILD (default .build-fuzz),
# FUZZ_RSS_MB (default 2048), FUZZ_TIMEOUT (seconds one input may take, default 10),
# FUZZ_NICE (a nice level for the fuzzing processes, default none), FUZZ_OUT (corpora, logs and
# crash inputs, default FUZZ_BUILD/fuzz), FUZZ_FORK=1 (libFuzzer's -fork=1 with crashes, hangs and
# OOMs recorded and the run carried on: for long runs), SWIFT (default swift).
#
# Every Fuzz/Harnesses/<name>.swift is one harness, compiled with Fuzz/Support/*.swift against
# the library targets built with -sanitize=fuzzer,address into FUZZ_BUILD. A harness names its
# own settings in comment lines:
#   // fuzz-max-len: 131072                    libFuzzer's -max_len
#   // fuzz-seeds: Tests/Fixtures/*.tar ...     files copied into its seed corpus
# and Fuzz/seeds.py writes generated seeds for the harnesses it knows. Exits non-zero when a
# harness crashed, hung (-timeout), ran out of memory (-rss_limit_mb) or failed to build; the
# input is kept in FUZZ_BUILD/fuzz/artifacts/<name>-*.
set -euo pipefail
cd "$(dirname "$0")/.."

SWIFT=${SWIFT:-swift}
BUILD=${FUZZ_BUILD:-.build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
RSS_MB=${FUZZ_RSS_MB:-2048}
TIMEOUT=${FUZZ_TIMEOUT:-10}
NICE=()
if [[ -n "${FUZZ_NICE:-}" ]]; then NICE=(nice -n "$FUZZ_NICE"); fi
export SWIFT_BACKTRACE=enable=no
BIN="$BUILD/fuzz/bin"
OUT=${FUZZ_OUT:-$BUILD/fuzz}
FORK=()
if [[ "${FUZZ_FORK:-}" == 1 ]]; then FORK=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1); fi

action=${1:-all}
case "$action" in build | run | all) shift || true ;; *) action=all ;; esac
if (($# > 0)); then harnesses=("$@"); else
  harnesses=()
  for f in Fuzz/Harnesses/*.swift; do harnesses+=("$(basename "$f" .swift)"); done
fi

# One harness's setting from its `// fuzz-<key>: value` line.
setting() { sed -n "s|^// fuzz-$2: ||p" "Fuzz/Harnesses/$1.swift" | head -1; }

build_libraries() {
  echo "== building the library targets with -sanitize=fuzzer,address into $BUILD"
  # ImageVerify depends on every library the harnesses read through (ImageArchive, Tar, Gzip,
  # Codec, OCI, ByteIO, and any decompressor ImageArchive comes to depend on).
  "${NICE[@]}" "$SWIFT" build -c release --build-path "$BUILD" --target ImageVerify \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing -Xswiftc -g
}

build_harness() {
  local name=$1 bin="$BIN/$1"
  mkdir -p "$BIN"
  local modules=() objects=() maps=() links=(-lz -lzstd -lcrypto)
  for m in "$BUILD"/release/Modules/*.swiftmodule; do modules+=("$(basename "$m" .swiftmodule)"); done
  for m in "${modules[@]}"; do objects+=("$BUILD"/release/"$m".build/*.o); done
  for map in Sources/*/module.modulemap; do
    maps+=(-Xcc -fmodule-map-file="$map")
    for lib in $(sed -n 's/^ *link "\(.*\)".*/\1/p' "$map"); do links+=("-l$lib"); done
  done
  if [[ -x "$bin" ]] && [[ -z "$(find "Fuzz/Harnesses/$name.swift" Fuzz/Support "${objects[@]}" -newer "$bin" 2>/dev/null | head -1)" ]]; then
    echo "== $name: up to date"
    return 0
  fi
  echo "== compiling harness $name"
  "${NICE[@]}" "${SWIFT}c" -O -g -sanitize=fuzzer,address -parse-as-library -module-name "Fuzz_$name" \
    -I "$BUILD/release/Modules" "${maps[@]}" -use-ld=lld \
    "Fuzz/Harnesses/$name.swift" Fuzz/Support/*.swift "${objects[@]}" "${links[@]}" -o "$bin"
}

seed() {
  local name=$1 dir="$OUT/seeds/$1"
  rm -rf "$dir"
  mkdir -p "$dir"
  # shellcheck disable=SC2086 # the globs of the harness's fuzz-seeds line
  for f in $(setting "$name" seeds); do [[ -f "$f" ]] && cp "$f" "$dir/"; done
  python3 Fuzz/seeds.py "$name" "$dir"
  if [[ -d "Fuzz/Seeds/$name" ]]; then cp Fuzz/Seeds/"$name"/* "$dir/" 2>/dev/null || true; fi
  # A regression input is a seed as well: the fuzzer starts from what broke before.
  if [[ -d "Tests/Fixtures/fuzz-regressions/$name" ]]; then cp Tests/Fixtures/fuzz-regressions/"$name"/* "$dir/"; fi
  [[ -n "$(ls -A "$dir")" ]] || printf '' >"$dir/empty"
}

run_harness() {
  local name=$1 maxlen corpus="$OUT/corpus/$1" log="$OUT/logs/$1.log"
  maxlen=$(setting "$name" max-len)
  mkdir -p "$corpus" "$OUT/logs" "$OUT/artifacts"
  seed "$name"
  echo "== fuzzing $name for ${FUZZ_SECONDS}s (max_len ${maxlen:-default}, corpus $corpus)"
  local status=0 crashes
  "${NICE[@]}" "$BIN/$name" "${FORK[@]}" "$corpus" "$OUT/seeds/$name" -max_total_time="$FUZZ_SECONDS" \
    ${maxlen:+-max_len="$maxlen"} -rss_limit_mb="$RSS_MB" -malloc_limit_mb="$RSS_MB" -timeout="$TIMEOUT" \
    -artifact_prefix="$OUT/artifacts/$name-" -print_final_stats=1 -detect_leaks=0 >"$log" 2>&1 || status=$?
  # In fork mode libFuzzer carries on after a crash and may still exit 0: the artifacts tell.
  crashes=$(find "$OUT/artifacts" -name "$name-*" -newer "$OUT/seeds/$name" | wc -l)
  if ((status == 0 && crashes > 0)); then status=1; fi
  summarise "$name" "$log" "$status"
  return "$status"
}

# One line per harness: executions, exec/s, cov, ft, corpus, and the verdict.
summarise() {
  local name=$1 log=$2 status=$3 done execs rate
  done=$(grep -E '^#[0-9]+.*cov:' "$log" | tail -1 || true)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  # -fork=1 prints no stat:: lines: the last status line has the count and the rate.
  [[ -n "$execs" ]] || execs=$(sed -E 's/^#([0-9]+).*/\1/' <<<"$done")
  [[ -n "$rate" ]] || rate=$(sed -nE 's/.*exec\/s: ([0-9]+).*/\1/p' <<<"$done")
  local verdict=ok
  ((status == 0)) || verdict="FAILED (exit $status): $(grep -m1 -E 'ERROR: |Fatal error|deadly signal|timeout|out-of-memory' "$log" || echo see "$log")"
  printf '%-10s execs %-10s exec/s %-7s %s -> %s\n' "$name" "${execs:-?}" "${rate:-?}" \
    "$(sed -E 's/^#[0-9]+[[:space:]]*[A-Z]*[[:space:]]*//; s/:? *(lim|exec\/s|rss|L|MS|oom\/timeout\/crash):.*//; s/^: *//' <<<"$done")" "$verdict" | tee -a "$OUT/summary.txt"
}

failed=()
if [[ $action != run ]]; then
  build_libraries
  for h in "${harnesses[@]}"; do build_harness "$h" || failed+=("$h (build)"); done
fi
if [[ $action != build ]]; then
  mkdir -p "$OUT"
  : >"$OUT/summary.txt"
  for h in "${harnesses[@]}"; do
    [[ -x "$BIN/$h" ]] || continue
    run_harness "$h" || failed+=("$h")
  done
  echo "== summary ($OUT/summary.txt; logs in $OUT/logs)"
  cat "$OUT/summary.txt"
fi
if ((${#failed[@]} > 0)); then
  echo "fuzzing failed: ${failed[*]} (inputs in $OUT/artifacts)" >&2
  exit 1
fi
