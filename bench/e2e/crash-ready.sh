#!/usr/bin/env bash
# End-to-end benchmark: one replica's container is killed (`docker kill`); how long until Crane shows
# the replica ready again in a new container. Crane waits out the restart back-off first (1 s for a
# first crash, doubling per consecutive crash), so the report gives the total and the total minus the
# back-off (Crane's own part: notice the death, replace the container, probe it, report it).
#
# Usage: bench/e2e/crash-ready.sh [--rounds N] [--warmup N] [--poll-ms MS] [--period S] [--consecutive]
#                                 [--out DIR] [--no-build] [--keep-data]
#   --rounds N       measured crashes (default 10)
#   --warmup N       unmeasured crashes run first (default 1)
#   --poll-ms MS     poll interval of GET /api/v1/workloads/<name> (default 20)
#   --period S       readiness periodSeconds in the spec (default 1)
#   --consecutive    crash the same replica round after round, so the back-off doubles (1, 2, 4, … s);
#                    by default every round applies a fresh workload (deleted after the round), so each
#                    crash is a first crash with the 1 s back-off
#   --out DIR        where results, events and the crane-seed log go (default: a new /tmp dir, kept)
#   --no-build       use the existing Release build of crane-seed
#   --keep-data      keep crane-seed's data directory
#
# One crane-seed (all-in-one, docker runtime, --lb-port 0) is started on free loopback ports and ended
# by PID at exit. Containers are removed only when they carry this run's label crane.test=bench-<id>.
# All traffic goes to 127.0.0.1. Images are never pulled: crane/demo:latest is built locally.
set -euo pipefail
export LC_ALL=C

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

rounds=10
warmup=1
poll_ms=20
consecutive=false
replicas=1

while [ $# -gt 0 ]; do
  case "$1" in
    --warmup) warmup=$2; shift 2 ;;
    --consecutive) consecutive=true; shift ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) common_option "$@"; shift "$REPLY" ;;
  esac
done
check_positive --rounds "$rounds"
check_non_negative --warmup "$warmup"
check_positive --poll-ms "$poll_ms"
if $consecutive && [ $((rounds + warmup)) -gt 8 ]; then
  usage_error "--consecutive doubles the back-off per crash; keep --rounds + --warmup <= 8 (the 8th waits 128 s)"
fi
set_poll_s

# ---------------------------------------------------------------- prerequisites
ensure_tools nginx
ensure_docker
build_demo_image
if $build; then build_release src/Crane.Seed crane-seed; fi
require_bin "$seed_bin"

# ---------------------------------------------------------------- run state and cleanup
init_run crash
cleanup_own() { stop_seed; } # first part of the exit trap: end crane-seed
install_cleanup

# ---------------------------------------------------------------- crane-seed
start_all_in_one_seed --lb-port 0

# replica_state NAME -> "id containerId ready restarts" of the only replica, or nothing
replica_state() {
  curl -s --max-time 2 "$api/api/v1/workloads/$1" 2>/dev/null |
    jq -r 'select(.replicas | length == 1) | .replicas[0] | "\(.id) \(.containerId) \(.ready) \(.restarts)"' 2>/dev/null || true
}

apply_ready() { # apply_ready NAME : apply and wait (120 s at most) until the replica is ready
  local code
  spec "$1" >"$tmp/spec.yaml"
  code=$(curl -s -o "$tmp/apply.json" -w '%{http_code}' --max-time 15 -X POST -H 'Content-Type: application/yaml' \
    --data-binary @"$tmp/spec.yaml" "$api/api/v1/workloads") || die "apply of $1 failed"
  [ "$code" = 201 ] || [ "$code" = 200 ] || { cat "$tmp/apply.json" >&2; die "apply of $1 answered HTTP $code"; }
  for _ in $(seq 1 1200); do
    read -r _ _ ready _ <<<"$(replica_state "$1")"
    [ "${ready:-}" = true ] && return 0
    sleep 0.1
  done
  die "$1 not ready after 120 s"
}

events_us() { # events_us NAME -> lines "id reason us message" of the replicas; the raw JSON is kept in $out
  fetch_events "workload=$1" "$out/events-$1.json" 'select(.object.kind == "Replica") | "\(.id) \(.reason) \(.time | us) \(.message)"'
}

# ---------------------------------------------------------------- one crash round
csv="$out/crash.csv"
echo "round,name,replica,total_ms,backoff_ms,own_ms,died_ms,backoff_event_ms,restarted_ms,ready_event_ms,observed_ms,polls" >"$csv"
: >"$tmp/total.ms"; : >"$tmp/own.ms"; : >"$tmp/died.ms"; : >"$tmp/create.ms"; : >"$tmp/probe.ms"

crash_round() { # crash_round NAME ROUND MEASURED
  local name=$1 round=$2 measured=$3 rid cid ready restarts t0 t_obs polls=0 mark
  read -r rid cid ready restarts <<<"$(replica_state "$name")"
  [ "${ready:-}" = true ] || die "$name is not ready before round $round"
  mark=$(curl -fs --max-time 5 "$api/api/v1/events?workload=$name" | jq '[.[].id] | max // 0')

  now_us; t0=$REPLY
  docker kill "$cid" >/dev/null || die "docker kill $cid failed"
  local deadline=$(( t0 + 300000000 )) nid nready
  while :; do
    read -r _ nid nready _ <<<"$(replica_state "$name")"
    polls=$((polls + 1))
    if [ "${nready:-}" = true ] && [ "${nid:-}" != "$cid" ] && [ "${nid:-null}" != null ]; then
      now_us; t_obs=$REPLY
      break
    fi
    now_us
    [ "$REPLY" -lt "$deadline" ] || die "$name/$rid not ready again 300 s after the kill"
    sleep "$poll_s"
  done
  local total=$(( t_obs - t0 ))

  # Breakdown from Crane's events after the kill (first of each reason for this replica), relative to t0.
  events_us "$name" | awk -v m="$mark" -v r="$rid" '$1 > m' >"$tmp/events.txt"
  first() { awk -v r="$1" -v t0="$t0" '$2 == r { printf "%.0f", ($3 - t0) / 1000; exit }' "$tmp/events.txt"; }
  local died backoff_ev restarted readyev backoff_s backoff_ms own
  died=$(first ContainerDied); backoff_ev=$(first BackOff); restarted=$(first Restarted); readyev=$(first Ready)
  backoff_s=$(awk '$2 == "BackOff" { if (match($0, /back-off [0-9.]+s/)) { print substr($0, RSTART + 9, RLENGTH - 10); exit } }' "$tmp/events.txt")
  [ -n "$backoff_s" ] || die "no BackOff event after the kill of $cid (events in $out/events-$name.json)"
  backoff_ms=$(awk -v s="$backoff_s" 'BEGIN { printf "%.0f", s * 1000 }')
  own=$(( $(ms "$total") - backoff_ms ))

  local tag=warmup
  if [ "$measured" = 1 ]; then
    tag=measured
    ms "$total" >>"$tmp/total.ms"
    echo "$own" >>"$tmp/own.ms"
    [ -n "$died" ] && echo "$died" >>"$tmp/died.ms"
    [ -n "$backoff_ev" ] && [ -n "$restarted" ] && echo $(( restarted - backoff_ev - backoff_ms )) >>"$tmp/create.ms"
    [ -n "$restarted" ] && [ -n "$readyev" ] && echo $(( readyev - restarted )) >>"$tmp/probe.ms"
    echo "$round,$name,$rid,$(ms "$total"),$backoff_ms,$own,$died,$backoff_ev,$restarted,$readyev,$(ms "$total"),$polls" >>"$csv"
  fi
  log "crash $name/$rid ($tag): ready again after $(ms "$total") ms = back-off $backoff_ms + $own ms  [died $died, BackOff $backoff_ev, Restarted $restarted, Ready $readyev]"
}

# ---------------------------------------------------------------- run
load_before="$(load_avg)"
log "load average before: $load_before"

total_rounds=$((warmup + rounds))
if $consecutive; then
  name="bench-$id"
  apply_ready "$name"
  for r in $(seq 1 "$total_rounds"); do
    measured=1; [ "$r" -le "$warmup" ] && measured=0
    crash_round "$name" "$r" "$measured"
  done
  delete_workload "$name"
else
  for r in $(seq 1 "$total_rounds"); do
    name="bench-$id-$r"
    measured=1; [ "$r" -le "$warmup" ] && measured=0
    apply_ready "$name"
    crash_round "$name" "$r" "$measured"
    delete_workload "$name"
  done
fi

load_after="$(load_avg)"

# ---------------------------------------------------------------- report
backoffs=$(tail -n +2 "$csv" | cut -d, -f5 | tr '\n' ' ')
read -r _ own_med own_p90 _ < <(stats "$tmp/own.ms")
met=$(awk -v m="$own_med" -v p="$own_p90" 'BEGIN { print (p <= 2000) ? "MET (p90)" : (m <= 2000) ? "MET (median), not at p90" : "NOT MET" }')
{
  echo
  echo "Crash -> ready, one replica of $image, $rounds rounds (+$warmup warm-up), $($consecutive && echo "consecutive crashes of one replica" || echo "a fresh workload per round"), poll every $poll_ms ms, readiness periodSeconds $period"
  echo "back-off in force per measured round (ms): $backoffs"
  load_line
  echo
  stats_header 44
  stats_row 44 "docker kill -> ready again (total)" "$tmp/total.ms"
  stats_row 44 "total minus back-off (Crane's own part)" "$tmp/own.ms"
  stats_row 44 "  kill -> ContainerDied event" "$tmp/died.ms"
  stats_row 44 "  back-off over -> Restarted (new container)" "$tmp/create.ms"
  stats_row 44 "  Restarted -> Ready event" "$tmp/probe.ms"
  echo
  echo "target: total <= 2 s plus back-off: $met"
  echo
  echo "raw data: $out"
} | tee "$out/summary.txt"
