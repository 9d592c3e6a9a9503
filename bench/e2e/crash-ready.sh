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

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds=10
warmup=1
poll_ms=20
out=""
build=true
keep_data=false
consecutive=false
image="crane/demo:latest"
cpu="0.1"
memory="32Mi"
period=1

while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --poll-ms) poll_ms=$2; shift 2 ;;
    --period) period=$2; shift 2 ;;
    --consecutive) consecutive=true; shift ;;
    --out) out=$2; shift 2 ;;
    --no-build) build=false; shift ;;
    --keep-data) keep_data=true; shift ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "crash-ready.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "crash-ready.sh: --rounds must be a positive integer" >&2; exit 2; }
[[ "$warmup" =~ ^[0-9]+$ ]] || { echo "crash-ready.sh: --warmup must be a non-negative integer" >&2; exit 2; }
[[ "$poll_ms" =~ ^[1-9][0-9]*$ ]] || { echo "crash-ready.sh: --poll-ms must be a positive integer" >&2; exit 2; }
if $consecutive && [ $((rounds + warmup)) -gt 8 ]; then
  echo "crash-ready.sh: --consecutive doubles the back-off per crash; keep --rounds + --warmup <= 8 (the 8th waits 128 s)" >&2; exit 2
fi
poll_s=$(printf '0.%03d' "$poll_ms"); [ "$poll_ms" -ge 1000 ] && poll_s=$((poll_ms / 1000))

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- prerequisites
need_apt=()
command -v jq >/dev/null || need_apt+=(jq)
command -v curl >/dev/null || need_apt+=(curl)
command -v docker >/dev/null || need_apt+=(docker.io)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || need_apt+=(nginx-light)
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
if $build; then
  log "building crane-seed (Release)"
  dotnet build "$repo/src/Crane.Seed" -c Release -v quiet -nologo >/tmp/crane-bench-build.$$.log 2>&1 ||
    { cat /tmp/crane-bench-build.$$.log >&2; die "build failed"; }
  rm -f /tmp/crane-bench-build.$$.log
fi
[ -x "$seed_bin" ] || die "$seed_bin not found (build it or drop --no-build)"

# ---------------------------------------------------------------- run state and cleanup
id="$(printf '%06x' $(( ((RANDOM << 15) | RANDOM) & 0xffffff )))"
label="crane.test=bench-$id"
[ -n "$out" ] || out="$(mktemp -d "/tmp/crane-bench-crash.XXXXXX")"
mkdir -p "$out"
data_dir="$(mktemp -d "/tmp/crane-bench-data.XXXXXX")"
seed_pid=""
tmp="$(mktemp -d "/tmp/crane-bench-tmp.XXXXXX")"

remove_labelled() {
  local ids
  ids="$(docker ps -aq --filter "label=$label")"
  [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$seed_pid" ] && kill -0 "$seed_pid" 2>/dev/null; then
    kill -TERM "$seed_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$seed_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$seed_pid" 2>/dev/null && kill -KILL "$seed_pid" 2>/dev/null || true
    wait "$seed_pid" 2>/dev/null || true
  fi
  remove_labelled
  rm -rf "$tmp"
  if $keep_data; then log "crane data kept in $data_dir"; else rm -rf "$data_dir"; fi
  if [ -n "$dockerd_pid" ]; then kill -TERM "$dockerd_pid" 2>/dev/null || true; wait "$dockerd_pid" 2>/dev/null || true; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- helpers
# Microseconds since the epoch, without forking (bash 5 $EPOCHREALTIME).
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

api="" # set once crane-seed is up

# ---------------------------------------------------------------- crane-seed
akka_port="$(free_port)"
log "starting crane-seed: node bench-$id, akka port $akka_port, data $data_dir, output $out"
"$seed_bin" --all-in-one --http-port 0 --lb-port 0 --akka-port "$akka_port" --data-dir "$data_dir" \
  --node-name "bench-$id" --container-labels "$label" >"$out/crane-seed.log" 2>&1 &
seed_pid=$!

for _ in $(seq 1 600); do
  kill -0 "$seed_pid" 2>/dev/null || { tail -20 "$out/crane-seed.log" >&2; die "crane-seed exited"; }
  if [ -s "$data_dir/http.port" ]; then
    api="http://127.0.0.1:$(cat "$data_dir/http.port")"
    curl -fs -o /dev/null --max-time 1 "$api/readyz" && break
  fi
  sleep 0.1
done
curl -fs -o /dev/null --max-time 1 "$api/readyz" || die "crane-seed is not ready after 60 s"
for _ in $(seq 1 300); do
  [ "$(curl -fs --max-time 1 "$api/api/v1/nodes" | jq --arg n "bench-$id" '[.[] | select(.name == $n and .status == "Ready")] | length' 2>/dev/null)" = 1 ] && break
  sleep 0.1
done
[ "$(curl -fs --max-time 1 "$api/api/v1/nodes" | jq --arg n "bench-$id" '[.[] | select(.name == $n and .status == "Ready")] | length')" = 1 ] ||
  die "node bench-$id did not register"
log "crane-seed up at $api (pid $seed_pid)"

spec() {
  cat <<EOF
name: $1
image: $image
replicas: 1
port: 8080
resources: {cpu: $cpu, memory: $memory}
health:
  readiness: {type: http, path: /ready, periodSeconds: $period}
EOF
}

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

delete_gone() { # delete_gone NAME : delete and wait until its containers are gone
  curl -fs -o /dev/null --max-time 15 -X DELETE "$api/api/v1/workloads/$1" || log "warning: delete of $1 failed"
  for _ in $(seq 1 600); do
    [ -z "$(docker ps -aq --filter "label=$label" --filter "label=crane.workload=$1")" ] && return 0
    sleep 0.1
  done
  log "warning: containers of $1 still present after 60 s"
}

# Event times (ISO 8601 with 7 fractional digits and an offset) as microseconds since the epoch.
events_us() { # events_us NAME -> lines "id reason us message"; the raw JSON is kept in $out
  curl -fs --max-time 5 "$api/api/v1/events?workload=$1" >"$out/events-$1.json"
  jq -r <"$out/events-$1.json" '
    def us: capture("^(?<s>[^.]+?)(\\.(?<f>[0-9]+))?(?<z>Z|[+-][0-9:]+)$") as $c
      | ($c.s + "Z" | fromdateiso8601) as $sec
      | (($c.f // "0") + "000000")[0:6] as $frac
      | (if $c.z == "Z" then 0 else ($c.z | capture("(?<sg>[+-])(?<h>[0-9]{2}):(?<m>[0-9]{2})") | ((.h|tonumber) * 3600 + (.m|tonumber) * 60) * (if .sg == "+" then 1 else -1 end)) end) as $off
      | (($sec - $off) * 1000000 + ($frac | tonumber));
    .[] | select(.object.kind == "Replica") | "\(.id) \(.reason) \(.time | us) \(.message)"'
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
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
log "load average before: $load_before"

total_rounds=$((warmup + rounds))
if $consecutive; then
  name="bench-$id"
  apply_ready "$name"
  for r in $(seq 1 "$total_rounds"); do
    measured=1; [ "$r" -le "$warmup" ] && measured=0
    crash_round "$name" "$r" "$measured"
  done
  delete_gone "$name"
else
  for r in $(seq 1 "$total_rounds"); do
    name="bench-$id-$r"
    measured=1; [ "$r" -le "$warmup" ] && measured=0
    apply_ready "$name"
    crash_round "$name" "$r" "$measured"
    delete_gone "$name"
  done
fi

load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------- report
row() { # row LABEL FILE
  if [ -s "$2" ]; then
    read -r a b c d < <(stats "$2")
    printf '%-44s %8s %8s %8s %8s\n' "$1" "$a" "$b" "$c" "$d"
  fi
}
backoffs=$(tail -n +2 "$csv" | cut -d, -f5 | tr '\n' ' ')
read -r _ own_med own_p90 _ < <(stats "$tmp/own.ms")
met=$(awk -v m="$own_med" -v p="$own_p90" 'BEGIN { print (p <= 2000) ? "MET (p90)" : (m <= 2000) ? "MET (median), not at p90" : "NOT MET" }')
{
  echo
  echo "Crash -> ready, one replica of $image, $rounds rounds (+$warmup warm-up), $($consecutive && echo "consecutive crashes of one replica" || echo "a fresh workload per round"), poll every $poll_ms ms, readiness periodSeconds $period"
  echo "back-off in force per measured round (ms): $backoffs"
  echo "load average before: $load_before   after: $load_after   cores: $(nproc)"
  echo
  printf '%-44s %8s %8s %8s %8s\n' "series (ms)" min median p90 max
  row "docker kill -> ready again (total)" "$tmp/total.ms"
  row "total minus back-off (Crane's own part)" "$tmp/own.ms"
  row "  kill -> ContainerDied event" "$tmp/died.ms"
  row "  back-off over -> Restarted (new container)" "$tmp/create.ms"
  row "  Restarted -> Ready event" "$tmp/probe.ms"
  echo
  echo "target: total <= 2 s plus back-off: $met"
  echo
  echo "raw data: $out"
} | tee "$out/summary.txt"
