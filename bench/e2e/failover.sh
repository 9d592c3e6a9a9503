#!/usr/bin/env bash
# End-to-end benchmark: node failover. A local cluster (1 control-only crane-seed + 3 crane-node
# processes, zones a/b/c, sharing one Docker engine) runs 6 replicas, 2 per node; one node is killed
# with SIGKILL; the time runs from the kill until GET /api/v1/workloads/<name> shows 6 ready replicas,
# none of them on the killed node. Crane's events give the breakdown (NodeUnreachable, NodeLost,
# Rescheduled, Scheduled, Started, Ready of the replacements, OrphansRemoved).
#
# Usage: bench/e2e/failover.sh [--rounds N] [--poll-ms MS] [--period S] [--out DIR] [--no-build] [--keep-data]
#   --rounds N     measured kills (default 6, at least 5); the victim goes round-robin n1, n2, n3, n1, ...
#   --poll-ms MS   poll interval of GET /api/v1/workloads/<name> (default 50)
#   --period S     readiness periodSeconds in the spec (default 1)
#   --out DIR      where results, events and the member logs go (default: a new /tmp dir, kept)
#   --no-build     use the existing Release builds of crane-seed and crane-node
#   --keep-data    keep the cluster's data directory
#
# Every round starts from the same state: all 3 nodes Ready and a fresh workload bench-<id>-<round>
# applied and ready at 2/2/2 (spread). Then SIGKILL (scripts/node kill), the measurement, DELETE of the
# workload (its containers gone), and the killed node started again with its old flags (scripts/node
# start) until it is Ready. A fresh workload per round, rather than one kept across rounds, because
# Crane never moves replicas back to a restarted node on its own: the kept workload would sit 3/3/0 and
# the next kill would lose 3 replicas in one round and none in another.
#
# The cluster's processes are started on free loopback ports and ended by PID at exit (their pid files
# are in <data-dir>/pids, the layout of ./run.sh --nodes, so scripts/node works on it). Node names carry
# the run id (bench-<id>-n1...): peers remove a lost node's containers by its name on the shared engine.
# Containers are removed only when they carry this run's label crane.test=bench-<id>. All traffic goes to
# 127.0.0.1. Images are never pulled: crane/demo:latest is built locally.
set -euo pipefail
export LC_ALL=C

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds=6
poll_ms=50
out=""
build=true
keep_data=false
image="crane/demo:latest"
replicas=6
cpu="0.1"
memory="32Mi"
period=1
zones=(a b c)

while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --poll-ms) poll_ms=$2; shift 2 ;;
    --period) period=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --no-build) build=false; shift ;;
    --keep-data) keep_data=true; shift ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "failover.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ "$rounds" =~ ^[0-9]+$ ]] && [ "$rounds" -ge 5 ] || { echo "failover.sh: --rounds must be an integer >= 5" >&2; exit 2; }
[[ "$poll_ms" =~ ^[1-9][0-9]*$ ]] || { echo "failover.sh: --poll-ms must be a positive integer" >&2; exit 2; }
poll_s=$(printf '0.%03d' "$poll_ms"); [ "$poll_ms" -ge 1000 ] && poll_s=$((poll_ms / 1000))

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- prerequisites
need_apt=()
command -v jq >/dev/null || need_apt+=(jq)
command -v curl >/dev/null || need_apt+=(curl)
command -v docker >/dev/null || need_apt+=(docker.io)
[ -x /bin/busybox ] || need_apt+=(busybox-static)
if [ ${#need_apt[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing ${need_apt[*]} and not root to install them"
  log "installing ${need_apt[*]}"
  apt-get update -qq >/dev/null && apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

dockerd_pid=""
if ! docker info >/dev/null 2>&1; then
  command -v dockerd >/dev/null && [ "$(id -u)" = 0 ] || die "the Docker engine does not answer"
  log "starting dockerd (ended again at exit)"
  dockerd >/tmp/crane-bench-dockerd.log 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || die "dockerd did not come up (see /tmp/crane-bench-dockerd.log)"
fi
docker network inspect crane >/dev/null 2>&1 || docker network create --label crane.managed=true crane >/dev/null

"$repo/images/demo/build.sh" >&2
docker image inspect "$image" >/dev/null 2>&1 || die "$image is missing"

seed_bin="$repo/src/Crane.Seed/bin/Release/net10.0/crane-seed"
node_bin="$repo/src/Crane.Node/bin/Release/net10.0/crane-node"
if $build; then
  for project in src/Crane.Seed src/Crane.Node; do
    log "building $project (Release)"
    dotnet build "$repo/$project" -c Release -v quiet -nologo >/tmp/crane-bench-build.$$.log 2>&1 ||
      { cat /tmp/crane-bench-build.$$.log >&2; die "build failed"; }
  done
  rm -f /tmp/crane-bench-build.$$.log
fi
[ -x "$seed_bin" ] || die "$seed_bin not found (build it or drop --no-build)"
[ -x "$node_bin" ] || die "$node_bin not found (build it or drop --no-build)"
hocon="$repo/src/Crane.Node/bin/Release/net10.0/hocon/crane.conf"
[ -f "$hocon" ] || hocon="$repo/hocon/crane.conf"

# ---------------------------------------------------------------- run state and cleanup
id="$(printf '%06x' $(( ((RANDOM << 15) | RANDOM) & 0xffffff )))"
label="crane.test=bench-$id"
[ -n "$out" ] || out="$(mktemp -d "/tmp/crane-bench-failover.XXXXXX")"
mkdir -p "$out"
data_dir="$(mktemp -d "/tmp/crane-bench-data.XXXXXX")"
mkdir -p "$data_dir/pids"
tmp="$(mktemp -d "/tmp/crane-bench-tmp.XXXXXX")"
names=()
for i in "${!zones[@]}"; do names+=("bench-$id-n$((i + 1))"); done

remove_labelled() {
  local ids
  ids="$(docker ps -aq --filter "label=$label")"
  [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
}

end_pid() { # end_pid PID: SIGCONT (in case it was paused), SIGTERM, then SIGKILL after 10 s
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill -CONT "$pid" 2>/dev/null || true
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  local f
  for f in "$data_dir"/pids/*.pid; do [ -f "$f" ] && end_pid "$(cat "$f")"; done
  # NGINX of the seed: only the master whose command line names this run's prefix.
  local nginx_pid_file="$data_dir/seed/nginx/nginx.pid" pid
  if [ -f "$nginx_pid_file" ]; then
    pid=$(cat "$nginx_pid_file")
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-p $data_dir/seed/nginx "; then kill -QUIT "$pid" 2>/dev/null || true; fi
  fi
  remove_labelled
  for f in "$data_dir"/*.log; do [ -f "$f" ] && cp "$f" "$out/" 2>/dev/null; done
  rm -rf "$tmp"
  if $keep_data; then log "crane data kept in $data_dir"; else rm -rf "$data_dir"; fi
  if [ -n "$dockerd_pid" ]; then kill -TERM "$dockerd_pid" 2>/dev/null || true; wait "$dockerd_pid" 2>/dev/null || true; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- helpers
now_us() { local t=$EPOCHREALTIME; REPLY=$(( 10#${t/./} )); }
ms() { awk -v us="$1" 'BEGIN { printf "%.0f\n", us / 1000 }'; }

free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$(( 20000 + RANDOM % 40000 ))
    [ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ] && { echo "$p"; return; }
  done
  die "no free port found"
}

# stats FILE: min median p90 max (ms), nearest-rank p90, median averages the middle pair.
stats() {
  sort -n "$1" | awk '{ v[NR] = $1 } END {
    n = NR; med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    r = int(0.9 * n); if (r < 0.9 * n) r++; if (r < 1) r = 1
    printf "%d %d %d %d\n", v[1], med, v[r], v[n] }'
}

hocon_value() { # hocon_value KEY: the first "KEY = value" in crane.conf
  sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\([^[:space:]#]*\).*/\1/p" "$hocon" | head -1
}

api="" # set once crane-seed is up

ready_nodes() { # number of this run's nodes with status Ready
  curl -fs --max-time 2 "$api/api/v1/nodes" | jq --arg p "bench-$id-" '[.[] | select((.name | startswith($p)) and .status == "Ready")] | length' 2>/dev/null || echo 0
}

wait_nodes_ready() {
  for _ in $(seq 1 600); do
    [ "$(ready_nodes)" = "${#names[@]}" ] && return 0
    sleep 0.1
  done
  curl -fs --max-time 2 "$api/api/v1/nodes" >&2 || true
  die "not all ${#names[@]} nodes Ready after 60 s"
}

# ---------------------------------------------------------------- the cluster
akka_port="$(free_port)"
log "starting crane-seed (control only): akka port $akka_port, data $data_dir, output $out"
"$seed_bin" --http-port 0 --lb-port 0 --akka-port "$akka_port" --data-dir "$data_dir/seed" \
  --container-labels "$label" >"$data_dir/seed.log" 2>&1 &
echo $! >"$data_dir/pids/seed.pid"
seed_pid=$!
for _ in $(seq 1 600); do
  kill -0 "$seed_pid" 2>/dev/null || { tail -20 "$data_dir/seed.log" >&2; die "crane-seed exited"; }
  if [ -s "$data_dir/seed/http.port" ]; then
    api="http://127.0.0.1:$(cat "$data_dir/seed/http.port")"
    curl -fs -o /dev/null --max-time 1 "$api/readyz" && break
  fi
  sleep 0.1
done
curl -fs -o /dev/null --max-time 1 "$api/readyz" || die "crane-seed is not ready after 60 s"

for i in "${!names[@]}"; do
  name=${names[$i]}
  args=(--seed-nodes "127.0.0.1:$akka_port" --node-name "$name" --akka-port 0 --data-dir "$data_dir/$name"
        --capacity-cpu 2 --capacity-memory 2Gi --labels "zone=${zones[$i]}" --container-labels "$label")
  printf '%s\n' "${args[@]}" >"$data_dir/pids/$name.args"
  # In a subshell, as scripts/node start does: the script is not the parent, so a SIGKILL is not reported as a job.
  ( "$node_bin" "${args[@]}" >"$data_dir/$name.log" 2>&1 & echo $! >"$data_dir/pids/$name.pid" )
done
wait_nodes_ready
log "cluster up at $api: seed pid $seed_pid, nodes ${names[*]}"

node_ctl() { CRANE_DATA_DIR="$data_dir" "$repo/scripts/node" "$@"; }

spec() {
  cat <<EOF
name: $1
image: $image
replicas: $replicas
port: 8080
resources: {cpu: $cpu, memory: $memory}
health:
  readiness: {type: http, path: /ready, periodSeconds: $period}
EOF
}

# Event times (ISO 8601 with 7 fractional digits and an offset) as microseconds since the epoch.
events_us() { # events_us QUERY FILE -> lines "reason object node us"; the raw JSON is kept in FILE
  curl -fs --max-time 5 "$api/api/v1/events?$1" >"$2"
  jq -r <"$2" '
    def us: capture("^(?<s>[^.]+?)(\\.(?<f>[0-9]+))?(?<z>Z|[+-][0-9:]+)$") as $c
      | ($c.s + "Z" | fromdateiso8601) as $sec
      | (($c.f // "0") + "000000")[0:6] as $frac
      | (if $c.z == "Z" then 0 else ($c.z | capture("(?<sg>[+-])(?<h>[0-9]{2}):(?<m>[0-9]{2})") | ((.h|tonumber) * 3600 + (.m|tonumber) * 60) * (if .sg == "+" then 1 else -1 end)) end) as $off
      | (($sec - $off) * 1000000 + ($frac | tonumber));
    .[] | "\(.reason) \(.object.name) \(.node // "-") \(.time | us)"'
}

wait_gone() { # wait_gone FILTER... : until no container matches (60 s at most)
  local args=() f
  for f in "$@"; do args+=(--filter "$f"); done
  for _ in $(seq 1 600); do
    [ -z "$(docker ps -aq "${args[@]}")" ] && return 0
    sleep 0.1
  done
  log "warning: containers matching $* still present after 60 s"
  return 1
}

# ---------------------------------------------------------------- one round
csv="$out/failover.csv"
echo "round,victim,lost,total_ms,unreachable_ms,node_lost_ms,rescheduled_ms,scheduled_ms,started_ms,ready_ms,orphans_removed_ms,polls" >"$csv"
: >"$tmp/total.ms"

failover_round() { # failover_round ROUND
  local round=$1 name="bench-$id-$1" victim body placement lost t0 t_obs polls=0
  victim=${names[$(( (round - 1) % ${#names[@]} ))]}
  wait_nodes_ready
  spec "$name" | curl -fs -o /dev/null --max-time 15 -X POST -H 'Content-Type: application/yaml' --data-binary @- "$api/api/v1/workloads" ||
    die "apply of $name failed"
  for _ in $(seq 1 1200); do
    body=$(curl -s --max-time 2 "$api/api/v1/workloads/$name" || true)
    [[ "$body" =~ \"readyReplicas\":([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge "$replicas" ] && break
    sleep 0.1
  done
  [[ "$body" =~ \"readyReplicas\":([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge "$replicas" ] || die "$name not ready after 120 s: $body"
  placement=$(jq -r '[.replicas[] | .node] | group_by(.) | map("\(.[0]):\(length)") | join(" ")' <<<"$body")
  lost=$(jq --arg v "$victim" '[.replicas[] | select(.node == $v)] | length' <<<"$body")
  [ "$lost" = 2 ] || log "warning: $name is not 2/2/2 ($placement); $victim holds $lost replicas"

  now_us; t0=$REPLY
  node_ctl kill "$victim"
  local deadline=$(( t0 + 120000000 )) n
  while :; do
    body=$(curl -s --max-time 2 "$api/api/v1/workloads/$name" || true)
    polls=$((polls + 1))
    n=$(jq --arg v "$victim" '[.replicas[]? | select(.state == "Running" and .ready and .node != $v)] | length' <<<"$body" 2>/dev/null || echo 0)
    if [ "$n" -ge "$replicas" ]; then
      now_us; t_obs=$REPLY
      break
    fi
    now_us
    [ "$REPLY" -lt "$deadline" ] || die "$name: no $replicas ready replicas off $victim 120 s after the kill: $body"
    sleep "$poll_s"
  done
  local total=$(( t_obs - t0 ))

  # Breakdown from Crane's events after t0 (the last replacement to reach each step), in ms after the kill.
  sleep 1 # OrphansRemoved comes from a peer's docker calls, usually within a second of NodeLost
  { events_us "node=$victim" "$out/events-$name-node.json"; events_us "workload=$name" "$out/events-$name.json"
    events_us "reason=OrphansRemoved" "$out/events-$name-orphans.json"; } >"$tmp/events.txt"
  at() { # at REASON [OBJECT]: ms from t0 to the last such event after t0
    awk -v r="$1" -v o="${2:-}" -v t0="$t0" '$1 == r && (o == "" || $2 == o) && $4 >= t0 { if ($4 > m) m = $4; n++ }
      END { if (n) printf "%.0f", (m - t0) / 1000; else printf "" }' "$tmp/events.txt"
  }
  local unreachable node_lost rescheduled scheduled started readyev orphans
  unreachable=$(at NodeUnreachable "$victim"); node_lost=$(at NodeLost "$victim"); rescheduled=$(at Rescheduled)
  scheduled=$(at Scheduled); started=$(at Started); readyev=$(at Ready); orphans=$(at OrphansRemoved "$victim")
  ms "$total" >>"$tmp/total.ms"
  echo "$round,$victim,$lost,$(ms "$total"),$unreachable,$node_lost,$rescheduled,$scheduled,$started,$readyev,$orphans,$polls" >>"$csv"
  log "round $round: killed $victim ($lost of $replicas replicas; was $placement): $(ms "$total") ms  [unreachable $unreachable, lost $node_lost, rescheduled $rescheduled, scheduled $scheduled, started $started, ready $readyev, orphans removed $orphans]"

  # Back to the starting state: workload gone, the killed node started again with its flags and Ready.
  curl -fs -o /dev/null --max-time 15 -X DELETE "$api/api/v1/workloads/$name" || log "warning: delete of $name failed"
  wait_gone "label=$label" "label=crane.workload=$name" || true
  node_ctl start "$victim" >/dev/null
  wait_nodes_ready
}

# ---------------------------------------------------------------- run
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
log "load average before: $load_before"
for r in $(seq 1 "$rounds"); do failover_round "$r"; done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------- report
read -r f_min f_med f_p90 f_max < <(stats "$tmp/total.ms")
met=$(awk -v m="$f_med" 'BEGIN { print (m <= 10000) ? "MET" : "NOT MET" }')
col_median() { tail -n +2 "$csv" | cut -d, -f"$1" | grep -v '^$' | sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit } print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col_range() { tail -n +2 "$csv" | cut -d, -f"$1" | grep -v '^$' | sort -n | awk 'NR == 1 { a = $1 } { b = $1 } END { if (NR) printf "%s-%s", a, b; else printf "-" }'; }

{
  echo
  echo "Node failover: 1 seed + ${#names[@]} nodes, $replicas replicas of $image (2 per node), SIGKILL of one node per round,"
  echo "$rounds rounds, poll every $poll_ms ms, readiness periodSeconds $period"
  echo "load average before: $load_before   after: $load_after   cores: $(nproc)"
  echo "settings ($hocon): failure-detector heartbeat-interval $(hocon_value heartbeat-interval), acceptable-heartbeat-pause $(hocon_value acceptable-heartbeat-pause),"
  echo "  threshold $(hocon_value threshold); split-brain-resolver $(hocon_value active-strategy), stable-after $(hocon_value stable-after);"
  echo "  gossip-interval $(hocon_value gossip-interval), leader-actions-interval $(hocon_value leader-actions-interval)"
  echo
  printf '%-34s %8s %8s %8s %8s\n' "series (ms)" min median p90 max
  printf '%-34s %8s %8s %8s %8s\n' "SIGKILL -> 6 ready off the node" "$f_min" "$f_med" "$f_p90" "$f_max"
  echo
  echo "target p50 <= 10000 ms: $met"
  echo
  echo "breakdown, median (range) over rounds, ms after the SIGKILL (last replacement to reach each step):"
  echo "  NodeUnreachable $(col_median 5) ($(col_range 5)) | NodeLost $(col_median 6) ($(col_range 6)) | Rescheduled $(col_median 7) ($(col_range 7))"
  echo "  Scheduled $(col_median 8) ($(col_range 8)) | Started $(col_median 9) ($(col_range 9)) | Ready $(col_median 10) ($(col_range 10))"
  echo "  seen by poll $(col_median 4) ($(col_range 4)) | OrphansRemoved (peer removed the dead node's containers) $(col_median 11) ($(col_range 11))"
  echo
  echo "per round: $csv"
  echo "raw data: $out"
} | tee "$out/summary.txt"
