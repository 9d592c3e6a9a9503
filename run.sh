#!/usr/bin/env bash
# Starts Crane all-in-one (one seed that is also a worker) and applies the demo workload.
# Installs what is missing first (scripts/setup: apt as root, starts dockerd). The console shows a banner
# and then one line per cluster event; the full logs are in <data-dir>/logs/.
# Usage: ./run.sh [--nodes N] [--http-port 8080] [--lb-port 8081] [--prometheus-port 9090] [--alertmanager-port 9093]
#                 [--data-dir .crane-data] [--runtime docker|process] [--policies] [--verbose] [--no-install] [--no-build]
#   --nodes N     a local cluster: one control-only seed plus N crane-node processes (labels zone=a,b,c,...);
#                 stop, kill, pause or restart a node with scripts/node <stop|kill|pause|resume|start> <name>
#   --runtime process   replicas as local processes instead of Docker containers (never chosen on its own)
#   --policies    also load the sample Rego policies in deploy/policies (they deny the demo's :latest tag)
#   --verbose     every log line of Crane on the console too (they always go to <data-dir>/logs/)
#   --no-install  never call apt-get; fail with what is missing
#   --no-build    use the binaries already built
# Ctrl-C stops Crane within seconds (containers keep running; the next ./run.sh adopts them); a second Ctrl-C kills it at once.
set -uo pipefail
cd "$(dirname "$0")"

http_port=${CRANE_HTTP_PORT:-8080}
lb_port=${CRANE_LB_PORT:-8081}
prometheus_port=${CRANE_PROMETHEUS_PORT:-9090}
alertmanager_port=${CRANE_ALERTMANAGER_PORT:-9093}
data_dir=${CRANE_DATA_DIR:-.crane-data}
runtime=docker
nodes=0
verbose=0
build=1
setup_args=()
policy_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --http-port) http_port=$2; shift 2 ;;
    --lb-port) lb_port=$2; shift 2 ;;
    --prometheus-port) prometheus_port=$2; shift 2 ;;
    --alertmanager-port) alertmanager_port=$2; shift 2 ;;
    --data-dir) data_dir=$2; shift 2 ;;
    --runtime) runtime=$2; shift 2 ;;
    --nodes) nodes=$2; shift 2 ;;
    --policies) policy_args=(--policies-dir deploy/policies); shift ;;
    --verbose) verbose=1; shift ;;
    --no-install) setup_args+=(--no-install); shift ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see ./run.sh --help)" >&2; exit 2 ;;
  esac
done
process_args=()
case "$runtime" in
  docker) ;;
  # Asked for by name: the user allows specs' commands to run on this host.
  process) setup_args+=(--no-docker); process_args=(--allow-process-runtime) ;;
  *) echo "run.sh: --runtime takes docker or process, not '$runtime'" >&2; exit 2 ;;
esac

say() { echo "run.sh: $*"; }
logs="$data_dir/logs"
mkdir -p "$logs" "$data_dir/pids"

if [ -f "$data_dir/pids/seed.pid" ] && kill -0 "$(cat "$data_dir/pids/seed.pid")" 2>/dev/null \
   && grep -qs crane-seed "/proc/$(cat "$data_dir/pids/seed.pid")/cmdline"; then
  say "Crane is already running from $data_dir (crane-seed pid $(cat "$data_dir/pids/seed.pid")); stop it first or use another --data-dir"
  exit 1
fi

# Until Crane runs, Ctrl-C simply ends the script (a build or apt-get it interrupts is not a failure of theirs).
trap 'echo; say "interrupted"; exit 130' INT TERM HUP
scripts/setup --for run --log-dir "$logs" "${setup_args[@]}" || exit 1

bin=src/Crane.Seed/bin/Release/net10.0
if [ $build = 1 ]; then
  say "building crane-seed, crane-node and crane (log: $logs/build.log)"
  : >"$logs/build.log"
  for project in src/Crane.Seed src/Crane.Node src/Crane.Cli; do
    if ! dotnet build -c Release -v quiet -nologo "$project" >>"$logs/build.log" 2>&1; then
      grep -E ' error ' "$logs/build.log" | sort -u | head -20
      say "the build failed (log: $logs/build.log)"
      exit 1
    fi
  done
fi
seed_bin=$bin/crane-seed
node_bin=src/Crane.Node/bin/Release/net10.0/crane-node
cli_bin=src/Crane.Cli/bin/Release/net10.0/crane
for b in "$seed_bin" "$node_bin" "$cli_bin"; do
  [ -x "$b" ] || { say "$b is missing: run without --no-build"; exit 1; }
done

if [ "$runtime" = docker ]; then
  images/demo/build.sh >"$logs/demo-image.log" 2>&1 || { tail -5 "$logs/demo-image.log"; say "building the demo image failed"; exit 1; }
  example=examples/api-service.yaml
else
  example=examples/api-service-process.yaml
fi

# Crane's own output goes to its log; with --verbose to the console as well.
launch() { # name, command...
  local name=$1; shift
  if [ $verbose = 1 ]; then
    "$@" > >(tee -a "$logs/$name.log") 2>&1 &
  else
    "$@" >>"$logs/$name.log" 2>&1 &
  fi
  echo $! >"$data_dir/pids/$name.pid"
}

started_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
# crane-seed writes an admin token on its first start; run.sh shows it once, then only where it is.
new_token=1
[ -s "$data_dir/admin.token" ] && new_token=0
rm -f "$data_dir/http.port"
common=(--http-port "$http_port" --lb-port "$lb_port" --prometheus-port "$prometheus_port" --alertmanager-port "$alertmanager_port"
        --data-dir "$data_dir" "${policy_args[@]}")
if [ "$nodes" -gt 0 ]; then
  launch seed "$seed_bin" "${common[@]}"
else
  launch seed "$seed_bin" --all-in-one --runtime "$runtime" "${process_args[@]}" "${common[@]}"
fi
seed=$(cat "$data_dir/pids/seed.pid")
crane_pids=("$seed")
zones=(a b c d e f g h)
cluster_label="crane.cluster=$(basename "$(cd "$data_dir" && pwd)")"
for i in $(seq 1 "$nodes"); do
  name="n$i"
  args=(--seed-nodes 127.0.0.1:4053 --node-name "$name" --data-dir "$data_dir/$name" --runtime "$runtime" "${process_args[@]}"
        --capacity-cpu 2 --capacity-memory 2Gi --labels "zone=${zones[$(( (i - 1) % 8 ))]}" --container-labels "$cluster_label")
  printf '%s\n' "${args[@]}" >"$data_dir/pids/$name.args"
  launch "$name" "$node_bin" "${args[@]}"
  crane_pids+=("$(cat "$data_dir/pids/$name.pid")")
done

# Ctrl-C (or TERM/HUP): stop every Crane process gracefully; a second one kills them at once.
stopping=0
watcher=""
follower=""
kill_crane() {
  kill -KILL "${crane_pids[@]}" $watcher $follower 2>/dev/null
  # The seed's own NGINX, Prometheus and Alertmanager, by the pid files it keeps.
  for f in "$data_dir"/{nginx,prometheus,alertmanager}/*.pid; do [ -f "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null; done
}
any_alive() {
  local pid
  for pid in "${crane_pids[@]}" $watcher; do kill -0 "$pid" 2>/dev/null && return 0; done
  return 1
}
stop_crane() {
  if [ $stopping = 1 ]; then
    echo
    say "second interrupt: killing Crane now (containers keep running)"
    kill_crane
    exit 130
  fi
  stopping=1
  echo
  say "stopping Crane (containers keep running and are adopted by the next ./run.sh; Ctrl-C again to kill it at once)"
  kill -TERM "${crane_pids[@]}" $watcher $follower 2>/dev/null
}
trap stop_crane INT TERM HUP

alive() { kill -0 "$seed" 2>/dev/null; }
seed_died() {
  wait "$seed"; local rc=$?
  say "crane-seed exited (code $rc) before it was ready; the last lines of $logs/seed.log:"
  tail -15 "$logs/seed.log" | sed 's/^/  /'
  kill -TERM "${crane_pids[@]}" 2>/dev/null
  exit 1
}

for _ in $(seq 1 240); do
  [ $stopping = 1 ] && break
  if [ -f "$data_dir/http.port" ] && curl -fs --max-time 2 "http://127.0.0.1:$(cat "$data_dir/http.port")/readyz" >/dev/null 2>&1; then break; fi
  alive || seed_died
  sleep 0.25
done
if [ $stopping = 0 ]; then
  port=$(cat "$data_dir/http.port")
  lb_port=$(cat "$data_dir/lb.port")
  prometheus_port=$(cat "$data_dir/prometheus.port" 2>/dev/null || echo "$prometheus_port")
  alertmanager_port=$(cat "$data_dir/alertmanager.port" 2>/dev/null || echo "$alertmanager_port")
  api="http://127.0.0.1:$port"
  export CRANE_SERVER=$api
  CRANE_TOKEN=$(cat "$data_dir/admin.token")
  export CRANE_TOKEN
  auth="Authorization: Bearer $CRANE_TOKEN"
  if [ $new_token = 1 ]; then
    token_line="$CRANE_TOKEN  (shown once; kept in $data_dir/admin.token)"
  else
    token_line="in $data_dir/admin.token"
  fi
  mode=$([ "$nodes" -gt 0 ] && echo "a seed and $nodes nodes" || echo "all-in-one")
  cat <<MSG

Crane is running ($mode, runtime $runtime, data in $data_dir)
  dashboard      $api/
  API            $api/api/v1/workloads       CLI: $cli_bin get workloads
  load balancer  http://127.0.0.1:$lb_port/  (NGINX; the demo: curl -H 'Host: api-service' http://127.0.0.1:$lb_port/)
  Prometheus     http://127.0.0.1:$prometheus_port/
  Alertmanager   http://127.0.0.1:$alertmanager_port/
  admin token    $token_line
                 export CRANE_TOKEN=\$(cat $data_dir/admin.token); curl -H "Authorization: Bearer \$CRANE_TOKEN" ...
  logs           $logs/ ($(cd "$logs" && ls -- *.log | paste -sd ' ' -))
Ctrl-C stops Crane (containers keep running and are adopted by the next ./run.sh). Events as they happen:

MSG
  # One line per event of this run, from the event log's live stream.
  "$cli_bin" events -w --no-headers --since "$started_at" &
  watcher=$!

  # Applying and waiting for the demo runs beside the main shell, which only waits for Crane: a Ctrl-C is then
  # handled at once, never after a request in flight (stop_crane ends this job too).
  follow_demo() {
    for _ in $(seq 1 120); do
      [ "$(curl -fs --max-time 2 -H "$auth" "$api/api/v1/nodes" | grep -o '"status":"Ready"' | wc -l)" -ge "$(( nodes > 0 ? nodes : 1 ))" ] && break
      alive || break
      sleep 0.5
    done
    if alive; then
      # The demo is applied once: on later starts it is recovered as it was left (scaled, changed), not reset.
      if [ "$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -H "$auth" "$api/api/v1/workloads/api-service")" = 404 ]; then
        answer=$(curl -sS --max-time 35 -X POST --data-binary @"$example" -H 'Content-Type: application/yaml' -H "$auth" "$api/api/v1/workloads" -w ' %{http_code}')
        case "${answer##* }" in
          200|201) ;;
          *) say "applying $example was refused: $answer" ;;
        esac
      fi
      deadline=$(( $(date +%s) + 180 ))
      ready=0 desired=0
      while alive && [ "$(date +%s)" -lt $deadline ]; do
        view=$(curl -fs --max-time 2 -H "$auth" "$api/api/v1/workloads/api-service" || true)
        ready=$(grep -o '"readyReplicas":[0-9]*' <<<"$view" | cut -d: -f2)
        desired=$(grep -o '"desiredReplicas":[0-9]*' <<<"$view" | cut -d: -f2)
        if [ "${desired:-0}" -gt 0 ] && [ "${ready:-0}" -ge "$desired" ] && curl -fs --max-time 2 -H 'Host: api-service' "http://127.0.0.1:$lb_port/" >/dev/null 2>&1; then
          echo
          say "the demo is up: api-service $ready/$desired ready, served through NGINX (curl -H 'Host: api-service' http://127.0.0.1:$lb_port/)"
          echo
          break
        fi
        sleep 0.5
      done
      if alive && [ "$(date +%s)" -ge $deadline ]; then
        say "api-service has ${ready:-0}/${desired:-?} ready replicas after 3 minutes; see $cli_bin describe workload api-service and $logs/seed.log"
      fi
    fi
  }
  follow_demo &
  follower=$!
fi

# Until Crane exits: by Ctrl-C (stop_crane) or on its own.
while alive && [ $stopping = 0 ]; do wait "$seed" 2>/dev/null; done
if [ $stopping = 1 ]; then
  # A graceful stop takes ~1.5 s; whatever still runs after 3 s is killed, which the next start recovers from as
  # from any crash (the containers keep running and are adopted).
  deadline=$(( $(date +%s%N) + 3000000000 ))
  while any_alive && [ "$(date +%s%N)" -lt "$deadline" ]; do sleep 0.1; done
  if any_alive; then
    say "Crane did not stop within 3 s: killing it (containers keep running)"
    kill_crane
  fi
  say "Crane stopped"
  exit 0
fi
wait "$seed" 2>/dev/null; rc=$?
say "crane-seed exited (code $rc); the last lines of $logs/seed.log:"
tail -15 "$logs/seed.log" | sed 's/^/  /'
kill -TERM "${crane_pids[@]}" $watcher $follower 2>/dev/null
exit 1
