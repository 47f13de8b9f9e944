#!/usr/bin/env bash
# The distributed fit end to end on this machine: a membership server (Redis, PostgreSQL — a scratch server of
# tools/postgres_scratch.sh, the membership tables created by the first worker — or Orleans' localhost clustering), three
# worker processes (glmm serve), a generated binomial (1 + x | g) data set partitioned into 12 files (glmm partition),
# a coordinator ("${glmm[@]}" fit --cluster) during whose stage 2 one worker is killed (SIGKILL), and the check that the fit
# completes and equals the single-process fit of the same file (logLik within 1e-8, estimates within 1e-6 relative).
# The surviving workers are then stopped with SIGTERM and must report that they left the cluster.
# Usage: tools/cluster_fit_check.sh [CLUSTERS] [ROWS_PER_CLUSTER] [redis|postgres|localhost] [WORKERS]
#   (the issue's size: 200000 50; CI runs a small size).
#   PORT_OFFSET=N moves the workers' ports (Redis and PostgreSQL membership only; localhost's primary is 11111). Prints one line per step and exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
clusters=${1:-400}; per=${2:-25}; membership=${3:-redis}; nworkers=${4:-3}
formula="y ~ x + z + (1 + x | g)"
work=$(mktemp -d)
# The solution's Release build when there is one (CI builds it first), else a build of its own.
bin=${GLMM_CLUSTER_BIN:-src/Glmm.Cluster/bin/Release/net10.0}; benchbin=bench/Glmm.Bench/bin/Release/net10.0
pids=(); redis_pid=""; pgdir=""
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null || true
  [ -n "$pgdir" ] && { bash tools/postgres_scratch.sh stop "$pgdir"; rm -rf "$pgdir"; }
  [ "${KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
if [ ! -f "$bin/glmm-cluster.dll" ]; then bin=$work/bin; dotnet build src/Glmm.Cluster -c Release -o "$bin" -v quiet -nologo >/dev/null; fi
if [ ! -f "$benchbin/Glmm.Bench.dll" ]; then benchbin=$work/benchbin; dotnet build bench/Glmm.Bench -c Release -o "$benchbin" -v quiet -nologo >/dev/null; fi
# An array, not a function: a background "${glmm[@]}" is the dotnet process itself, so $! receives the signals.
glmm=(dotnet "$bin/glmm-cluster.dll")
dotnet "$benchbin/Glmm.Bench.dll" random-slopes "$work/data.csv" "$clusters" "$per" 20261218
echo "data: $((clusters * per)) rows, $clusters clusters"
"${glmm[@]}" partition --data "$work/data.csv" --formula "$formula" --parts 12 --out "$work/parts" >/dev/null
echo "partitioned into $(ls "$work/parts" | wc -l) files"
case "$membership" in
  redis)
    port=$((6390 + RANDOM % 500))
    redis-server --port "$port" --save '' --appendonly no >"$work/redis.log" 2>&1 & redis_pid=$!
    for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.2; done
    url="redis://127.0.0.1:$port"; echo "membership: redis-server on port $port";;
  postgres)
    pgdir=$(mktemp -d /tmp/glmm-pg.XXXXXX); url=$(bash tools/postgres_scratch.sh start "$pgdir")
    echo "membership: PostgreSQL on port $(echo "$url" | sed 's/.*:\([0-9]*\)\/.*/\1/')";;
  localhost) url=localhost; echo "membership: localhost clustering";;
  *) echo "unknown membership $membership"; exit 2;;
esac
for k in $(seq 0 $((nworkers - 1))); do
  "${glmm[@]}" serve --membership "$url" --port $((11111 + ${PORT_OFFSET:-0} + k)) --gateway-port $((30000 + ${PORT_OFFSET:-0} + k)) --name "worker$k" --address 127.0.0.1 --threads 1 \
    2>"$work/worker$k.log" & pids+=($!)
  # With localhost clustering the first worker is the primary: the others join after it.
  for _ in $(seq 300); do grep -q joined "$work/worker$k.log" && break; sleep 0.2; done
  grep -q joined "$work/worker$k.log" || { echo "worker$k did not start:"; cat "$work/worker$k.log"; exit 1; }
done
echo "workers: $nworkers joined"
start=$(date +%s.%N)
"${glmm[@]}" fit --cluster "$url" --data "$work/parts" --formula "$formula" --format json --threads 1 --timeout "${TIMEOUT:-20}" >"$work/cluster.json" 2>"$work/coordinator.log" & coord=$!
# Kill the last worker (never the localhost primary) once stage 2 runs.
for _ in $(seq 3000); do grep -q "stage 2" "$work/coordinator.log" 2>/dev/null && break; kill -0 $coord 2>/dev/null || break; sleep 0.1; done
sleep "${KILL_DELAY:-0}"
victim=$((nworkers - 1))
kill -9 "${pids[$victim]}" 2>/dev/null && echo "killed worker$victim mid-fit"
status=0; wait $coord || status=$?
end=$(date +%s.%N)
cat "$work/coordinator.log" >&2
# The coordinator's last line (its error) in the failure line itself: .ci/run filters out the `glmm: ` lines.
[ $status -eq 0 ] || { echo "cluster fit FAILED (exit $status): $(tail -n 1 "$work/coordinator.log" | sed 's/^glmm: //')"; exit 1; }
echo "cluster fit: $(echo "$end - $start" | bc) s"
if grep -q -E "retrying|reloads" "$work/coordinator.log"; then echo "the coordinator retried the interrupted evaluation on the surviving workers"
else echo "note: no evaluation was interrupted (the fit ended before the worker died)"; fi
lstart=$(date +%s.%N)
"${glmm[@]}" fit --data "$work/data.csv" --formula "$formula" --format json --threads 1 >"$work/local.json"
echo "local fit: $(echo "$(date +%s.%N) - $lstart" | bc) s"
python3 - "$work/local.json" "$work/cluster.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
ok = abs(a["logLik"] - b["logLik"]) <= 1e-8
rel = lambda x, y: abs(x - y) / max(abs(x), 1e-3)
worst = max([rel(x["estimate"], y["estimate"]) for x, y in zip(a["fixedEffects"], b["fixedEffects"])] +
            [rel(x, y) for x, y in zip(a["theta"], b["theta"])])
ok = ok and worst <= 1e-6 and b["converged"] == a["converged"]
print(f"logLik local {a['logLik']!r} cluster {b['logLik']!r} (diff {abs(a['logLik'] - b['logLik']):.2e}); worst relative estimate difference {worst:.2e}; workers {b.get('workers')} partitions {b.get('partitions')}")
sys.exit(0 if ok else 1)
PY
echo "equal to the single-process fit"
for k in $(seq 0 $((nworkers - 2))); do kill -TERM "${pids[$k]}"; done
for k in $(seq 0 $((nworkers - 2))); do wait "${pids[$k]}" || true; grep -q "left the cluster" "$work/worker$k.log" || { echo "worker$k did not leave cleanly"; cat "$work/worker$k.log"; exit 1; }; done
pids=()
echo "workers left the cluster on SIGTERM"
