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

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

rounds=6
poll_ms=50
replicas=6
zones=(a b c)

while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) common_option "$@"; shift "$REPLY" ;;
  esac
done
[[ "$rounds" =~ ^[0-9]+$ ]] && [ "$rounds" -ge 5 ] || usage_error "--rounds must be an integer >= 5"
check_positive --poll-ms "$poll_ms"
set_poll_s

# ---------------------------------------------------------------- prerequisites
ensure_tools
ensure_docker
build_demo_image
node_bin="$repo/src/Crane.Node/bin/Release/net10.0/crane-node"
if $build; then build_release src/Crane.Seed; build_release src/Crane.Node; fi
require_bin "$seed_bin"
require_bin "$node_bin"
hocon="$repo/src/Crane.Node/bin/Release/net10.0/hocon/crane.conf"
[ -f "$hocon" ] || hocon="$repo/hocon/crane.conf"

# ---------------------------------------------------------------- run state and cleanup
init_run failover
mkdir -p "$data_dir/pids"
names=()
for i in "${!zones[@]}"; do names+=("bench-$id-n$((i + 1))"); done

cleanup_own() { # first part of the exit trap: end the members and the seed's NGINX, keep the member logs
  local f pid nginx_pid_file="$data_dir/seed/nginx/nginx.pid"
  for f in "$data_dir"/pids/*.pid; do if [ -f "$f" ]; then end_pid "$(cat "$f")"; fi; done
  # NGINX of the seed: only the master whose command line names this run's prefix.
  if [ -f "$nginx_pid_file" ]; then
    pid=$(cat "$nginx_pid_file")
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-p $data_dir/seed/nginx "; then kill -QUIT "$pid" 2>/dev/null || true; fi
  fi
  for f in "$data_dir"/*.log; do if [ -f "$f" ]; then cp "$f" "$out/" 2>/dev/null || true; fi; done
}
install_cleanup

hocon_value() { # hocon_value KEY: the first "KEY = value" in crane.conf
  sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\([^[:space:]#]*\).*/\1/p" "$hocon" | head -1
}

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
launch_seed "$data_dir/seed.log" --http-port 0 --lb-port 0 --akka-port "$akka_port" --data-dir "$data_dir/seed" \
  --container-labels "$label"
echo "$seed_pid" >"$data_dir/pids/seed.pid"
wait_seed_api "$data_dir/seed" "$data_dir/seed.log"

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

events_us() { # events_us QUERY FILE -> lines "reason object node us"; the raw JSON is kept in FILE
  fetch_events "$1" "$2" '"\(.reason) \(.object.name) \(.node // "-") \(.time | us)"'
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
  delete_workload "$name"
  node_ctl start "$victim" >/dev/null
  wait_nodes_ready
}

# ---------------------------------------------------------------- run
load_before="$(load_avg)"
log "load average before: $load_before"
for r in $(seq 1 "$rounds"); do failover_round "$r"; done
load_after="$(load_avg)"

# ---------------------------------------------------------------- report
read -r _ f_med _ _ < <(stats "$tmp/total.ms")
met=$(awk -v m="$f_med" 'BEGIN { print (m <= 10000) ? "MET" : "NOT MET" }')
breakdown() { printf '%s (%s)' "$(col_median "$csv" "$1")" "$(col_range "$csv" "$1")"; } # median (range) of a column

{
  echo
  echo "Node failover: 1 seed + ${#names[@]} nodes, $replicas replicas of $image (2 per node), SIGKILL of one node per round,"
  echo "$rounds rounds, poll every $poll_ms ms, readiness periodSeconds $period"
  load_line
  echo "settings ($hocon): failure-detector heartbeat-interval $(hocon_value heartbeat-interval), acceptable-heartbeat-pause $(hocon_value acceptable-heartbeat-pause),"
  echo "  threshold $(hocon_value threshold); split-brain-resolver $(hocon_value active-strategy), stable-after $(hocon_value stable-after);"
  echo "  gossip-interval $(hocon_value gossip-interval), leader-actions-interval $(hocon_value leader-actions-interval)"
  echo
  stats_header 34
  stats_row 34 "SIGKILL -> 6 ready off the node" "$tmp/total.ms"
  echo
  echo "target p50 <= 10000 ms: $met"
  echo
  echo "breakdown, median (range) over rounds, ms after the SIGKILL (last replacement to reach each step):"
  echo "  NodeUnreachable $(breakdown 5) | NodeLost $(breakdown 6) | Rescheduled $(breakdown 7)"
  echo "  Scheduled $(breakdown 8) | Started $(breakdown 9) | Ready $(breakdown 10)"
  echo "  seen by poll $(breakdown 4) | OrphansRemoved (peer removed the dead node's containers) $(breakdown 11)"
  echo
  echo "per round: $csv"
  echo "raw data: $out"
} | tee "$out/summary.txt"
