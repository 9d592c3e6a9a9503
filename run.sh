#!/usr/bin/env bash
# Starts Crane all-in-one (one seed that is also a worker) and applies the demo workload.
# Usage: ./run.sh [--nodes N] [--http-port 8080] [--lb-port 8081] [--data-dir .crane-data] [--runtime docker|process]
#   --nodes N   a local cluster: one control-only seed plus N crane-node processes (labels zone=a,b,c,...);
#               stop, kill, pause or restart a node with scripts/node <stop|kill|pause|resume|start> <name>
#   --policies  also load the sample Rego policies in deploy/policies (they deny the demo's :latest tag)
set -euo pipefail
cd "$(dirname "$0")"

http_port=${CRANE_HTTP_PORT:-8080}
lb_port=${CRANE_LB_PORT:-8081}
data_dir=${CRANE_DATA_DIR:-.crane-data}
runtime=""
nodes=0
policy_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --http-port) http_port=$2; shift 2 ;;
    --lb-port) lb_port=$2; shift 2 ;;
    --data-dir) data_dir=$2; shift 2 ;;
    --runtime) runtime=$2; shift 2 ;;
    --nodes) nodes=$2; shift 2 ;;
    --policies) policy_args=(--policies-dir deploy/policies); shift ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

if [ -z "$runtime" ]; then
  if ! docker info >/dev/null 2>&1 && command -v dockerd >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "run.sh: starting dockerd (log: /tmp/crane-dockerd.log)"
    (dockerd >/tmp/crane-dockerd.log 2>&1 &)
    for _ in $(seq 1 30); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  fi
  if docker info >/dev/null 2>&1; then
    runtime=docker
  else
    echo "run.sh: Docker is not available here; using --runtime process (replicas run as local processes)"
    runtime=process
  fi
fi

echo "run.sh: building crane-seed and crane-node"
for project in src/Crane.Seed src/Crane.Node; do
  dotnet build -c Release -v quiet -nologo "$project" >/tmp/crane-run-build.log 2>&1 || { cat /tmp/crane-run-build.log; exit 1; }
done
if [ "$runtime" = docker ]; then
  images/demo/build.sh
  example=examples/api-service.yaml
else
  example=examples/api-service-process.yaml
fi

mkdir -p "$data_dir/pids"
rm -f "$data_dir/http.port"
if [ "$nodes" -gt 0 ]; then
  src/Crane.Seed/bin/Release/net10.0/crane-seed --http-port "$http_port" --lb-port "$lb_port" --data-dir "$data_dir" "${policy_args[@]}" &
else
  src/Crane.Seed/bin/Release/net10.0/crane-seed --all-in-one --http-port "$http_port" --lb-port "$lb_port" --data-dir "$data_dir" --runtime "$runtime" "${policy_args[@]}" &
fi
seed=$!
echo $seed >"$data_dir/pids/seed.pid"
zones=(a b c d e f g h)
cluster_label="crane.cluster=$(basename "$(cd "$data_dir" && pwd)")"
for i in $(seq 1 "$nodes"); do
  name="n$i"
  args=(--seed-nodes 127.0.0.1:4053 --node-name "$name" --data-dir "$data_dir/$name" --runtime "$runtime"
        --capacity-cpu 2 --capacity-memory 2Gi --labels "zone=${zones[$(( (i - 1) % 8 ))]}" --container-labels "$cluster_label")
  printf '%s\n' "${args[@]}" >"$data_dir/pids/$name.args"
  src/Crane.Node/bin/Release/net10.0/crane-node "${args[@]}" >"$data_dir/$name.log" 2>&1 &
  echo $! >"$data_dir/pids/$name.pid"
  echo "run.sh: node $name (pid $!, zone ${zones[$(( (i - 1) % 8 ))]}, log $data_dir/$name.log)"
done
stop_all() {
  for f in "$data_dir"/pids/n*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
  kill $seed 2>/dev/null; wait $seed 2>/dev/null
}
trap stop_all INT TERM

for _ in $(seq 1 120); do
  if [ -f "$data_dir/http.port" ] && curl -fs "http://127.0.0.1:$(cat "$data_dir/http.port")/readyz" >/dev/null 2>&1; then break; fi
  kill -0 $seed 2>/dev/null || { echo "run.sh: crane-seed exited"; exit 1; }
  sleep 0.5
done
port=$(cat "$data_dir/http.port")
lb_port=$(cat "$data_dir/lb.port")
prometheus_port=$(cat "$data_dir/prometheus.port" 2>/dev/null || echo 9090)
api="http://127.0.0.1:$port"
for _ in $(seq 1 60); do
  [ "$(curl -fs "$api/api/v1/nodes" | grep -o '"status":"Ready"' | wc -l)" -ge "$(( nodes > 0 ? nodes : 1 ))" ] && break
  sleep 0.5
done
echo "run.sh: applying $example"
curl -fsS -X POST --data-binary @"$example" -H 'Content-Type: application/yaml' "$api/api/v1/workloads"; echo
cat <<MSG

Crane is running at $api  (Ctrl-C stops Crane; containers keep running and are adopted on the next start)
  curl -s $api/api/v1/workloads/api-service
  curl -s $api/api/v1/nodes
  curl -s -X POST -d '{"replicas":5}' $api/api/v1/workloads/api-service/scale
  curl -sN $api/api/v1/events/stream
  curl -s -H 'Host: api-service' http://127.0.0.1:$lb_port/     # through NGINX, ready replicas only
  curl -s 'http://127.0.0.1:$prometheus_port/api/v1/query?query=crane_container_cpu_seconds_total'   # Crane's Prometheus
MSG
wait $seed
