# bench/rows.sh: sourced by bench/run.sh and bench/zstd.sh. Timed rows run side by side with
# their baseline: `group` runs RUNS interleaved rounds, `one` times a command (bash's
# EPOCHREALTIME) and takes its peak RSS (GNU time's %M), `report` prints medians, spreads, ratios
# against the baseline of the same run, and peak RSS. Needs $work, $results and $RUNS; $ROW_SETUP
# (optional) runs before each timed command.

# one NAME BASELINE_NAME COMMAND: one timed run, appended to the results.
one() {
  local name=$1 base=$2 cmd=$3
  eval "${ROW_SETUP:-true}"
  # imgtool verify exits 1 when a check fails: the work is the same, so 0 and 1 both count.
  local rc=0 t0 t1
  t0=$EPOCHREALTIME
  /usr/bin/time -f "%M" -o "$work/t" bash -c "$cmd" >/dev/null 2>"$work/err" || rc=$?
  t1=$EPOCHREALTIME
  if [ "$rc" -gt 1 ]; then echo "FAILED ($rc): $name" >&2; cat "$work/err" >&2; return 1; fi
  printf '%s\t%s\t%s\t%s\n' "$name" "$base" "$(python3 -c "print($t1 - $t0)")" "$(tail -n 1 "$work/t")" >> "$results"
}

# group BASELINE_NAME BASELINE_COMMAND [NAME COMMAND]...: RUNS rounds of every command in turn,
# so that each row and its baseline see the same machine load.
group() {
  local base=$1 basecmd=$2; shift 2
  for _ in $(seq "$RUNS"); do
    one "$base" "$base" "$basecmd"
    local args=("$@")
    for ((i = 0; i < ${#args[@]}; i += 2)); do one "${args[i]}" "$base" "${args[i + 1]}"; done
  done
}

# report: the table of every row so far.
report() {
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
print(f"{'work':46} {'median s':>9} {'spread s':>13} {'ratio':>7} {'peak RSS':>10}")
for name in order:
    r = rows[name]
    med = statistics.median(r["wall"]); base = statistics.median(rows[r["base"]]["wall"])
    ratio = med / base if base > 0 else float("nan")
    spread = f"{min(r['wall']):.3f}-{max(r['wall']):.3f}"
    rss = f"{max(r['rss']) / 1024:.1f} MiB"
    print(f"{name:46} {med:9.3f} {spread:>13} {ratio:6.2f}x {rss:>10}")
PY
}
