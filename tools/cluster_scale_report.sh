#!/usr/bin/env bash
# The distributed fit at the issue's size, measured: a generated binomial (1 + x | g) set (fixed seed; by default
# 200,000 clusters x 50 rows = 10,000,000 rows) partitioned into 12 files, the single-process fit of the same file,
# then the cluster fit with 1, 2 and 3 workers (one configuration at a time: the machine's memory is shared), each
# worker's wall time and peak resident memory (VmHWM), the coordinator's per-evaluation round trip against the slowest
# part's compute, and the check that every cluster fit equals the single-process fit (logLik within 1e-8, estimates
# within 1e-6 relative). With KILL=1 (the default) the 3-worker run kills one worker (SIGKILL) at the start of stage 2.
# Usage: tools/cluster_scale_report.sh [CLUSTERS] [ROWS_PER_CLUSTER] [MEMBERSHIP] [WORKER_COUNTS]
#   MEMBERSHIP: redis (a redis-server started here), postgres (a scratch server, tools/postgres_scratch.sh) or localhost; WORKER_COUNTS e.g. "1 2 3". Writes a Markdown table to stdout and
#   everything else to $OUT (default a temporary folder, kept).
set -euo pipefail
cd "$(dirname "$0")/.."
clusters=${1:-200000}; per=${2:-50}; membership=${3:-redis}; counts=${4:-"1 2 3"}
formula="y ~ x + z + (1 + x | g)"
out=${OUT:-$(mktemp -d)}; mkdir -p "$out"
bin=${GLMM_CLUSTER_BIN:-src/Glmm.Cluster/bin/Release/net10.0}; benchbin=${GLMM_BENCH_BIN:-bench/Glmm.Bench/bin/Release/net10.0}
[ -f "$bin/glmm-cluster.dll" ] || { bin=$out/bin; dotnet build src/Glmm.Cluster -c Release -o "$bin" -v quiet -nologo >/dev/null; }
[ -f "$benchbin/Glmm.Bench.dll" ] || { benchbin=$out/benchbin; dotnet build bench/Glmm.Bench -c Release -o "$benchbin" -v quiet -nologo >/dev/null; }
glmm=(dotnet "$bin/glmm-cluster.dll")
threads=${THREADS:-1}; timeout=${TIMEOUT:-600}
pids=(); server_pid=""; pgdir=""
stop_postgres() { [ -n "$pgdir" ] && { bash tools/postgres_scratch.sh stop "$pgdir"; rm -rf "$pgdir"; pgdir=""; }; return 0; }
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  stop_postgres
}
trap cleanup EXIT
hwm() { awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$1/status" 2>/dev/null || echo "?"; }
now() { date +%s.%N; }
log() { echo "$*" >&2; }

rows=$((clusters * per))
if [ ! -f "$out/data.csv" ]; then
  dotnet "$benchbin/Glmm.Bench.dll" random-slopes "$out/data.csv" "$clusters" "$per" 20261218
fi
log "data: $rows rows, $clusters clusters ($(du -h "$out/data.csv" | cut -f1))"
if [ ! -d "$out/parts" ]; then
  t0=$(now); "${glmm[@]}" partition --data "$out/data.csv" --formula "$formula" --parts 12 --out "$out/parts" >/dev/null
  log "partitioned into $(ls "$out/parts" | wc -l) files in $(echo "$(now) - $t0" | bc) s"
fi

# The single-process fit (the reference), with GNU time's peak resident memory.
if [ ! -f "$out/local.json" ]; then
  t0=$(now)
  /usr/bin/time -f "%M" -o "$out/local.rss" "${glmm[@]}" fit --data "$out/data.csv" --formula "$formula" --format json --threads "$threads" >"$out/local.json"
  echo "$(echo "$(now) - $t0" | bc)" >"$out/local.seconds"
fi
log "single-process fit: $(cat "$out/local.seconds") s, peak $(($(tail -n 1 "$out/local.rss") / 1024)) MB"

start_membership() {
  case "$membership" in
    redis)
      local port=$((6390 + RANDOM % 500))
      redis-server --port "$port" --save '' --appendonly no >"$out/redis.log" 2>&1 & server_pid=$!
      for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.2; done
      url="redis://127.0.0.1:$port";;
    postgres) pgdir=$(mktemp -d /tmp/glmm-pg.XXXXXX); url=$(bash tools/postgres_scratch.sh start "$pgdir");;
    localhost) url=localhost;;
    *) log "unknown membership $membership"; exit 2;;
  esac
}

echo "| configuration | wall time (s) | peak memory per process (MB) | evaluations | per evaluation at the coordinator (ms) | of it the slowest part's compute (ms) | retries | logLik | equal to the single-process fit |"
echo "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |"
echo "| single process | $(cat "$out/local.seconds") | $(($(tail -n 1 "$out/local.rss") / 1024)) | $(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['evaluations'])" "$out/local.json") | | | | $(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['logLik'])" "$out/local.json") | |"
for n in $counts; do
  start_membership
  cid="scale$n$RANDOM"
  pids=()
  for k in $(seq 0 $((n - 1))); do
    "${glmm[@]}" serve --membership "$url" --cluster-id "$cid" --port $((11111 + k)) --gateway-port $((30000 + k)) --name "worker$k" --address 127.0.0.1 --threads "$threads" \
      2>"$out/w$n-worker$k.log" & pids+=($!)
    for _ in $(seq 600); do grep -q joined "$out/w$n-worker$k.log" && break; sleep 0.2; done
    grep -q joined "$out/w$n-worker$k.log" || { log "worker$k did not start:"; cat "$out/w$n-worker$k.log" >&2; exit 1; }
  done
  t0=$(now)
  /usr/bin/time -f "%M" -o "$out/w$n-coordinator.rss" "${glmm[@]}" fit --cluster "$url" --cluster-id "$cid" --data "$out/parts" --formula "$formula" \
    --format json --threads "$threads" --timeout "$timeout" >"$out/w$n.json" 2>"$out/w$n-coordinator.log" & coord=$!
  killed=""
  if [ "${KILL:-1}" = 1 ] && [ "$n" -ge 3 ]; then
    for _ in $(seq 36000); do grep -q "stage 2" "$out/w$n-coordinator.log" 2>/dev/null && break; kill -0 $coord 2>/dev/null || break; sleep 0.1; done
    sleep "${KILL_DELAY:-5}"
    victim=$((n - 1)); killed="worker$victim: $(hwm "${pids[$victim]}")"
    kill -9 "${pids[$victim]}" 2>/dev/null && log "killed worker$victim mid-fit"
  fi
  status=0; wait $coord || status=$?
  seconds=$(echo "$(now) - $t0" | bc)
  mem=""
  for k in $(seq 0 $((n - 1))); do
    if [ -n "$killed" ] && [ "$k" = $((n - 1)) ]; then mem="$mem $killed (killed);"; else mem="$mem worker$k: $(hwm "${pids[$k]}");"; fi
  done
  mem="$mem coordinator: $(($(tail -n 1 "$out/w$n-coordinator.rss") / 1024))"
  for k in $(seq 0 $((n - 1))); do kill -TERM "${pids[$k]}" 2>/dev/null || true; done
  for k in $(seq 0 $((n - 1))); do wait "${pids[$k]}" 2>/dev/null || true; done
  pids=()
  [ -n "$server_pid" ] && { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; server_pid=""; }
  stop_postgres
  [ $status -eq 0 ] || { log "cluster fit with $n workers FAILED (exit $status)"; cat "$out/w$n-coordinator.log" >&2; exit 1; }
  line=$(grep "cluster fit:" "$out/w$n-coordinator.log" | tail -n 1)
  python3 - "$out/local.json" "$out/w$n.json" "$n" "$seconds" "$mem" "$line" <<'PY'
import json, re, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
n, seconds, mem, line = sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
rel = lambda x, y: abs(x - y) / max(abs(x), 1e-3)
worst = max([rel(x["estimate"], y["estimate"]) for x, y in zip(a["fixedEffects"], b["fixedEffects"])] +
            [rel(x, y) for x, y in zip(a["theta"], b["theta"])])
d = abs(a["logLik"] - b["logLik"])
ok = d <= 1e-8 and worst <= 1e-6
m = re.search(r"(\d+) distributed evaluations, ([0-9.]+) ms each at the coordinator, ([0-9.]+) ms of it the slowest partition's compute; (\d+) retries", line)
ev, rt, comp, retries = m.groups() if m else ("?", "?", "?", "?")
print(f"| {n} worker{'s' if n != '1' else ''} ({b.get('partitions')} parts) | {seconds} | {mem.strip()} | {ev} | {rt} | {comp} | {retries} | {b['logLik']!r} | {'yes' if ok else 'NO'}: logLik diff {d:.1e}, estimates {worst:.1e} |")
sys.exit(0)  # reported in the table; the run goes on to the next configuration
PY
done
