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

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds=10
warmup=1
poll_ms=20
out=""
limited=false
build=true
keep_data=false
image="crane/demo:latest"
replicas=3
cpu="0.1"
memory="32Mi"
memory_docker="32m"
period=1

while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --poll-ms) poll_ms=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --limited-baseline) limited=true; shift ;;
    --period) period=$2; shift 2 ;;
    --no-build) build=false; shift ;;
    --keep-data) keep_data=true; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "apply-ready.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "apply-ready.sh: --rounds must be a positive integer" >&2; exit 2; }
[[ "$warmup" =~ ^[0-9]+$ ]] || { echo "apply-ready.sh: --warmup must be a non-negative integer" >&2; exit 2; }
[[ "$poll_ms" =~ ^[1-9][0-9]*$ ]] || { echo "apply-ready.sh: --poll-ms must be a positive integer" >&2; exit 2; }
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
[ -n "$out" ] || out="$(mktemp -d "/tmp/crane-bench-e2e.XXXXXX")"
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
"$seed_bin" --all-in-one --http-port 0 --akka-port "$akka_port" --data-dir "$data_dir" \
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
# The node must have registered with the scheduler before the first apply.
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
replicas: $replicas
port: 8080
resources: {cpu: $cpu, memory: $memory}
health:
  readiness: {type: http, path: /ready, periodSeconds: $period}
EOF
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

# Event times (ISO 8601 with 7 fractional digits and an offset) as microseconds since the epoch.
events_us() { # events_us NAME -> lines "reason replica us"; the raw JSON is kept in $out
  curl -fs --max-time 5 "$api/api/v1/events?workload=$1" >"$out/events-$1.json"
  jq -r <"$out/events-$1.json" '
    def us: capture("^(?<s>[^.]+?)(\\.(?<f>[0-9]+))?(?<z>Z|[+-][0-9:]+)$") as $c
      | ($c.s + "Z" | fromdateiso8601) as $sec
      | (($c.f // "0") + "000000")[0:6] as $frac
      | (if $c.z == "Z" then 0 else ($c.z | capture("(?<sg>[+-])(?<h>[0-9]{2}):(?<m>[0-9]{2})") | ((.h|tonumber) * 3600 + (.m|tonumber) * 60) * (if .sg == "+" then 1 else -1 end)) end) as $off
      | (($sec - $off) * 1000000 + ($frac | tonumber));
    .[] | "\(.reason) \(.object.name) \(.time | us)"'
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
  curl -fs -o /dev/null --max-time 15 -X DELETE "$api/api/v1/workloads/$name" || log "warning: delete of $name failed"
  wait_gone "label=$label" "label=crane.workload=$name" || true

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
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
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

load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------- report
read -r c_min c_med c_p90 c_max < <(stats "$tmp/crane.ms")
read -r d_min d_med d_p90 d_max < <(stats "$tmp/docker.ms")
ratio=$(awk -v a="$c_med" -v b="$d_med" 'BEGIN { printf "%.2f", a / b }')
met=$(awk -v r="$ratio" 'BEGIN { print (r <= 1.5) ? "MET" : "NOT MET" }')

# Median of each breakdown column over the measured Crane rounds (relative to the POST).
col_median() { tail -n +2 "$crane_csv" | cut -d, -f"$1" | grep -v '^$' | sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit } print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

{
  echo
  echo "Apply -> ready, $replicas replicas of $image, $rounds rounds (+$warmup warm-up), poll every $poll_ms ms, readiness periodSeconds $period"
  echo "load average before: $load_before   after: $load_after   cores: $(nproc)"
  echo
  printf '%-26s %8s %8s %8s %8s\n' "series (ms)" min median p90 max
  printf '%-26s %8s %8s %8s %8s\n' "crane apply->ready" "$c_min" "$c_med" "$c_p90" "$c_max"
  printf '%-26s %8s %8s %8s %8s\n' "docker run x$replicas ->ready" "$d_min" "$d_med" "$d_p90" "$d_max"
  if $limited; then
    read -r l_min l_med l_p90 l_max < <(stats "$tmp/docker-limited.ms")
    printf '%-26s %8s %8s %8s %8s\n' "docker run limited" "$l_min" "$l_med" "$l_p90" "$l_max"
  fi
  echo
  echo "ratio of medians (crane / docker): $ratio   target <= 1.5: $met"
  echo
  echo "crane breakdown, median over rounds, ms after the POST was sent (last replica to reach each step):"
  echo "  POST answered $(col_median 4) | Applied $(col_median 5) | Scheduled $(col_median 6) | Pulling (RunAsync begins) $(col_median 7)"
  echo "  Started $(col_median 8) | Ready $(col_median 9) | seen by poll $(col_median 10) | failed readiness probes per round $(col_median 11)"
  echo "  slowest replica: Pulling -> Started (container create+start) $(col_median 13) | Started -> Ready (probing) $(col_median 14)"
  echo "  rounds with a failed first readiness probe: $(tail -n +2 "$crane_csv" | awk -F, '$11 > 0' | wc -l) of $rounds"
  echo
  echo "raw data: $out"
} | tee "$out/summary.txt"
