#!/usr/bin/env bash
# End-to-end benchmark: Crane apply -> all 3 replicas ready, next to three plain `docker run`
# starts of the same image timed until each answers HTTP 200 on /ready.
#
# Usage: bench/e2e/apply-ready.sh [--rounds N] [--warmup N] [--poll-ms MS] [--out DIR]
#                                 [--limited-baseline] [--period S] [--no-build] [--keep-data]
#   --rounds N          measured rounds of each kind (default 10)
#   --warmup N          unmeasured rounds of each kind run first (default 1)
#   --poll-ms MS        poll interval for both sides (default 20)
#   --out DIR           where results, events and the crane-seed log go (default: a new /tmp dir, kept)
#   --limited-baseline  also time `docker run` with the limits and options Crane gives a replica
#                       (--cpus/--memory from the spec, no-new-privileges): a diagnostic series
#   --period S          readiness periodSeconds in the spec (default 1; other values are diagnostics)
#   --no-build          use the existing Release build of crane-seed
#   --keep-data         keep crane-seed's data directory
#
# One crane-seed (all-in-one, docker runtime) is started on free loopback ports and ended by PID at
# exit. Containers are removed only when they carry this run's label crane.test=bench-<id>
# (Crane's replicas get it through --container-labels; baseline containers get it with --label).
# All traffic goes to 127.0.0.1. Images are never pulled: crane/demo:latest is built locally.
set -euo pipefail
export LC_ALL=C

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

rounds=10
warmup=1
poll_ms=20
limited=false
replicas=3
memory_docker="32m"

while [ $# -gt 0 ]; do
  case "$1" in
    --warmup) warmup=$2; shift 2 ;;
    --limited-baseline) limited=true; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) common_option "$@"; shift "$REPLY" ;;
  esac
done
check_positive --rounds "$rounds"
check_non_negative --warmup "$warmup"
check_positive --poll-ms "$poll_ms"
set_poll_s

# ---------------------------------------------------------------- prerequisites
ensure_tools
ensure_docker
build_demo_image
if $build; then build_release src/Crane.Seed crane-seed; fi
require_bin "$seed_bin"

# ---------------------------------------------------------------- run state and cleanup
init_run e2e
cleanup_own() { stop_seed; } # first part of the exit trap: end crane-seed
install_cleanup

# ---------------------------------------------------------------- crane-seed
start_all_in_one_seed

events_us() { # events_us NAME -> lines "reason replica us"; the raw JSON is kept in $out
  fetch_events "workload=$1" "$out/events-$1.json" '"\(.reason) \(.object.name) \(.time | us)"'
}

# ---------------------------------------------------------------- one Crane round
crane_csv="$out/crane.csv"
echo "round,name,total_ms,post_ms,applied_ms,scheduled_ms,pulling_ms,started_ms,ready_ms,observed_ms,unhealthy,polls,max_run_ms,max_probe_wait_ms" >"$crane_csv"
: >"$tmp/crane.ms"

crane_round() { # crane_round NAME ROUND MEASURED
  local name=$1 round=$2 measured=$3 t0 t_post t_obs body ready polls=0
  spec "$name" >"$tmp/spec.yaml"
  now_us; t0=$REPLY
  local code
  code=$(curl -s -o "$tmp/apply.json" -w '%{http_code}' --max-time 15 -X POST -H 'Content-Type: application/yaml' \
    --data-binary @"$tmp/spec.yaml" "$api/api/v1/workloads") || die "apply of $name failed"
  now_us; t_post=$REPLY
  [ "$code" = 201 ] || { cat "$tmp/apply.json" >&2; die "apply of $name answered HTTP $code"; }
  local deadline=$(( t0 + 120000000 ))
  while :; do
    body=$(curl -s --max-time 2 "$api/api/v1/workloads/$name" || true)
    polls=$((polls + 1))
    if [[ "$body" =~ \"readyReplicas\":([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge "$replicas" ]; then
      now_us; t_obs=$REPLY
      break
    fi
    now_us
    [ "$REPLY" -lt "$deadline" ] || die "$name not ready after 120 s: $body"
    sleep "$poll_s"
  done
  local total=$(( t_obs - t0 ))

  # Breakdown from Crane's own events (last replica to reach each step), relative to t0.
  events_us "$name" >"$tmp/events.txt"
  last() { awk -v r="$1" -v t0="$t0" '$1 == r { if ($3 > m) m = $3; n++ } END { if (n) printf "%.0f", (m - t0) / 1000; else printf "" }' "$tmp/events.txt"; }
  local applied scheduled pulling started readyev unhealthy
  applied=$(last Applied); scheduled=$(last Scheduled); pulling=$(last Pulling)
  started=$(last Started); readyev=$(last Ready)
  unhealthy=$(awk '$1 == "Unhealthy"' "$tmp/events.txt" | wc -l)
  # Per replica: Pulling -> Started (the runtime's RunAsync) and Started -> Ready (probing); the slowest.
  local per
  per=$(awk '$1 == "Pulling" { p[$2] = $3 } $1 == "Started" { s[$2] = $3 } $1 == "Ready" { r[$2] = $3 }
    END { for (k in s) { if (k in p && s[k] - p[k] > a) a = s[k] - p[k]; if (k in r && r[k] - s[k] > b) b = r[k] - s[k] }
          printf "%.0f,%.0f", a / 1000, b / 1000 }' "$tmp/events.txt")

  # Delete and wait until its containers are gone before the next round.
  delete_workload "$name"

  local tag=warmup
  if [ "$measured" = 1 ]; then
    tag=measured
    ms "$total" >>"$tmp/crane.ms"
    echo "$round,$name,$(ms "$total"),$(ms $((t_post - t0))),$applied,$scheduled,$pulling,$started,$readyev,$(ms "$total"),$unhealthy,$polls,$per" >>"$crane_csv"
  fi
  log "crane  $name ($tag): $(ms "$total") ms  [post $(ms $((t_post - t0))), applied $applied, scheduled $scheduled, pulling $pulling, started $started, ready $readyev; $unhealthy failed probes]"
}

# ---------------------------------------------------------------- one docker baseline round
docker_one() { # docker_one IDX OUTFILE EXTRA_ARGS... : run, find the port, poll /ready; writes "ran_us ready_us cid fails"
  local idx=$1 outf=$2; shift 2
  local cid port t_run t_ready fails=0
  cid=$(docker run -d --init --network crane --label "$label" "$@" -p 127.0.0.1::8080 "$image")
  now_us; t_run=$REPLY
  port=$(docker port "$cid" 8080/tcp | awk -F: 'NR == 1 { print $NF }')
  while ! curl -fs -o /dev/null --max-time 1 "http://127.0.0.1:$port/ready"; do
    fails=$((fails + 1))
    [ "$fails" -lt 6000 ] || { echo "container $cid did not answer on /ready within 2 min" >&2; exit 1; }
    sleep "$poll_s"
  done
  now_us; t_ready=$REPLY
  echo "$t_run $t_ready $cid $fails" >"$outf"
}

docker_round() { # docker_round KIND ROUND MEASURED EXTRA_ARGS...
  local kind=$1 round=$2 measured=$3; shift 3
  local t0 i pids=() t_end=0 t_run_max=0 fails=0 cids=()
  rm -f "$tmp"/one.*
  now_us; t0=$REPLY
  for i in $(seq 1 "$replicas"); do
    docker_one "$i" "$tmp/one.$i" "$@" &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || die "docker run failed"; done
  for i in $(seq 1 "$replicas"); do
    read -r t_run t_ready cid f <"$tmp/one.$i"
    [ "$t_ready" -gt "$t_end" ] && t_end=$t_ready
    [ "$t_run" -gt "$t_run_max" ] && t_run_max=$t_run
    fails=$((fails + f)); cids+=("$cid")
  done
  local total=$(( t_end - t0 ))
  docker rm -f "${cids[@]}" >/dev/null
  local tag=warmup
  if [ "$measured" = 1 ]; then
    tag=measured
    ms "$total" >>"$tmp/$kind.ms"
    echo "$round,$(ms "$total"),$(ms $((t_run_max - t0))),$fails" >>"$out/$kind.csv"
  fi
  log "$kind $round ($tag): $(ms "$total") ms  [last docker run returned at $(ms $((t_run_max - t0))), $fails failed polls]"
}

# ---------------------------------------------------------------- run
load_before="$(load_avg)"
log "load average before: $load_before"

for w in $(seq 1 "$warmup"); do crane_round "bench-$id-w$w" "w$w" 0; done
for r in $(seq 1 "$rounds"); do crane_round "bench-$id-$r" "$r" 1; done

kinds=(docker)
$limited && kinds+=(docker-limited)
for kind in "${kinds[@]}"; do
  extra=()
  [ "$kind" = docker-limited ] && extra=(--cpus "$cpu" --memory "$memory_docker" --security-opt no-new-privileges)
  echo "round,total_ms,last_run_returned_ms,failed_polls" >"$out/$kind.csv"
  : >"$tmp/$kind.ms"
  for w in $(seq 1 "$warmup"); do docker_round "$kind" "w$w" 0 "${extra[@]}"; done
  for r in $(seq 1 "$rounds"); do docker_round "$kind" "$r" 1 "${extra[@]}"; done
done

load_after="$(load_avg)"

# ---------------------------------------------------------------- report
read -r _ c_med _ _ < <(stats "$tmp/crane.ms")
read -r _ d_med _ _ < <(stats "$tmp/docker.ms")
ratio=$(awk -v a="$c_med" -v b="$d_med" 'BEGIN { printf "%.2f", a / b }')
met=$(awk -v r="$ratio" 'BEGIN { print (r <= 1.5) ? "MET" : "NOT MET" }')

# Median of each breakdown column over the measured Crane rounds (relative to the POST).
breakdown() { col_median "$crane_csv" "$1"; }

{
  echo
  echo "Apply -> ready, $replicas replicas of $image, $rounds rounds (+$warmup warm-up), poll every $poll_ms ms, readiness periodSeconds $period"
  load_line
  echo
  stats_header 26
  stats_row 26 "crane apply->ready" "$tmp/crane.ms"
  stats_row 26 "docker run x$replicas ->ready" "$tmp/docker.ms"
  if $limited; then stats_row 26 "docker run limited" "$tmp/docker-limited.ms"; fi
  echo
  echo "ratio of medians (crane / docker): $ratio   target <= 1.5: $met"
  echo
  echo "crane breakdown, median over rounds, ms after the POST was sent (last replica to reach each step):"
  echo "  POST answered $(breakdown 4) | Applied $(breakdown 5) | Scheduled $(breakdown 6) | Pulling (RunAsync begins) $(breakdown 7)"
  echo "  Started $(breakdown 8) | Ready $(breakdown 9) | seen by poll $(breakdown 10) | failed readiness probes per round $(breakdown 11)"
  echo "  slowest replica: Pulling -> Started (container create+start) $(breakdown 13) | Started -> Ready (probing) $(breakdown 14)"
  echo "  rounds with a failed first readiness probe: $(tail -n +2 "$crane_csv" | awk -F, '$11 > 0' | wc -l) of $rounds"
  echo
  echo "raw data: $out"
} | tee "$out/summary.txt"
