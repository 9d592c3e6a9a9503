# Shared code of the end-to-end benchmarks in bench/e2e (apply-ready.sh, crash-ready.sh, failover.sh).
# Sourced right after `set -euo pipefail`, never run on its own. It defines functions and the defaults
# of the options every script has; the scripts keep their own options, rounds and reports.
#
# Globals the functions read: rounds, poll_ms, out, build, keep_data, image, replicas, cpu, memory,
# period (options), seed_bin. Globals they set: poll_s (set_poll_s), dockerd_pid (ensure_docker), id,
# label, out, data_dir, tmp (init_run), seed_pid (launch_seed), api (wait_seed_api), akka_port
# (start_all_in_one_seed).
# Each script defines cleanup_own (its processes and files), which the exit trap runs first.

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
script="${0##*/}"
seed_bin="$repo/src/Crane.Seed/bin/Release/net10.0/crane-seed"

# Defaults of the options all three scripts take.
out=""
build=true
keep_data=false
image="crane/demo:latest"
cpu="0.1"
memory="32Mi"
period=1

dockerd_pid=""
seed_pid=""
api="" # set once crane-seed is up

# ---------------------------------------------------------------- options

# usage_error MSG: print "<script>: MSG" and exit 2.
usage_error() { echo "$script: $*" >&2; exit 2; }

# common_option ARGS...: parse the option at $1 if all scripts share it (sets REPLY to the args used), else exit 2.
common_option() {
  case "$1" in
    --rounds) rounds=$2; REPLY=2 ;;
    --poll-ms) poll_ms=$2; REPLY=2 ;;
    --period) period=$2; REPLY=2 ;;
    --out) out=$2; REPLY=2 ;;
    --no-build) build=false; REPLY=1 ;;
    --keep-data) keep_data=true; REPLY=1 ;;
    *) usage_error "unknown option $1" ;;
  esac
}

# check_positive OPTION VALUE: exit 2 unless VALUE is an integer >= 1.
check_positive() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || usage_error "$1 must be a positive integer"; }

# check_non_negative OPTION VALUE: exit 2 unless VALUE is an integer >= 0.
check_non_negative() { [[ "$2" =~ ^[0-9]+$ ]] || usage_error "$1 must be a non-negative integer"; }

# set_poll_s: poll_s = the poll interval poll_ms as an argument of sleep.
set_poll_s() {
  poll_s=$(printf '0.%03d' "$poll_ms")
  if [ "$poll_ms" -ge 1000 ]; then poll_s=$((poll_ms / 1000)); fi
}

# ---------------------------------------------------------------- logging and time

# log MSG: a timestamped line on stderr.
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# die MSG: log an error and exit 1 (the exit trap cleans up).
die() { log "error: $*"; exit 1; }

# now_us: REPLY = microseconds since the epoch, without forking (bash 5 $EPOCHREALTIME).
now_us() { local t=$EPOCHREALTIME; REPLY=$(( 10#${t/./} )); }

# ms US: microseconds printed as whole milliseconds.
ms() { awk -v us="$1" 'BEGIN { printf "%.0f\n", us / 1000 }'; }

# load_avg: the 1, 5 and 15 minute load averages.
load_avg() { cut -d' ' -f1-3 /proc/loadavg; }

# ---------------------------------------------------------------- prerequisites

# ensure_tools [nginx]: apt-get install what is missing of jq, curl, docker (, nginx) and busybox (root only).
ensure_tools() {
  local need_apt=()
  command -v jq >/dev/null || need_apt+=(jq)
  command -v curl >/dev/null || need_apt+=(curl)
  command -v docker >/dev/null || need_apt+=(docker.io)
  if [ "${1:-}" = nginx ]; then [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || need_apt+=(nginx-light); fi
  [ -x /bin/busybox ] || need_apt+=(busybox-static)
  if [ ${#need_apt[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "missing ${need_apt[*]} and not root to install them"
    log "installing ${need_apt[*]}"
    apt-get update -qq >/dev/null && apt-get install -y -qq "${need_apt[@]}" >/dev/null
  fi
}

# ensure_docker: start dockerd if the engine does not answer (dockerd_pid, ended at exit); create network crane.
ensure_docker() {
  if ! docker info >/dev/null 2>&1; then
    command -v dockerd >/dev/null && [ "$(id -u)" = 0 ] || die "the Docker engine does not answer"
    log "starting dockerd (ended again at exit)"
    dockerd >/tmp/crane-bench-dockerd.log 2>&1 &
    dockerd_pid=$!
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
    docker info >/dev/null 2>&1 || die "dockerd did not come up (see /tmp/crane-bench-dockerd.log)"
  fi
  docker network inspect crane >/dev/null 2>&1 || docker network create --label crane.managed=true crane >/dev/null
}

# build_demo_image: build the demo image locally (never pulled) and check that $image is there.
build_demo_image() {
  "$repo/images/demo/build.sh" >&2
  docker image inspect "$image" >/dev/null 2>&1 || die "$image is missing"
}

# build_release PROJECT [NAME]: dotnet build PROJECT (path in the repo) in Release, logged as NAME.
build_release() {
  log "building ${2:-$1} (Release)"
  dotnet build "$repo/$1" -c Release -v quiet -nologo >/tmp/crane-bench-build.$$.log 2>&1 ||
    { cat /tmp/crane-bench-build.$$.log >&2; die "build failed"; }
  rm -f /tmp/crane-bench-build.$$.log
}

# require_bin FILE: exit 1 unless the built executable FILE exists.
require_bin() { [ -x "$1" ] || die "$1 not found (build it or drop --no-build)"; }

# ---------------------------------------------------------------- run state and cleanup

# init_run KIND: run id, label crane.test=bench-<id>, out (default a new /tmp/crane-bench-KIND.*), data_dir, tmp.
init_run() {
  id="$(printf '%06x' $(( ((RANDOM << 15) | RANDOM) & 0xffffff )))"
  label="crane.test=bench-$id"
  [ -n "$out" ] || out="$(mktemp -d "/tmp/crane-bench-$1.XXXXXX")"
  mkdir -p "$out"
  data_dir="$(mktemp -d "/tmp/crane-bench-data.XXXXXX")"
  tmp="$(mktemp -d "/tmp/crane-bench-tmp.XXXXXX")"
}

# remove_labelled: remove the containers that carry this run's label, and no others.
remove_labelled() {
  local ids
  ids="$(docker ps -aq --filter "label=$label")"
  [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
}

# end_pid PID: SIGCONT (in case it was paused), SIGTERM, then SIGKILL after 10 s.
end_pid() {
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill -CONT "$pid" 2>/dev/null || true
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

# stop_owned_servers: end the Prometheus and Alertmanager crane-seed runs under data_dir, if one was left behind
# (found by its pid file, and only if its command line names our data dir).
stop_owned_servers() {
  local tool pidfile
  for tool in prometheus alertmanager; do
    pidfile="$data_dir/$tool/$tool.pid"
    if [ -s "$pidfile" ] && grep -qF -- "--config.file=$data_dir/$tool/" "/proc/$(cat "$pidfile")/cmdline" 2>/dev/null; then
      end_pid "$(cat "$pidfile")"
    fi
  done
}

# stop_seed: end crane-seed (seed_pid, a child of this shell) and reap it.
stop_seed() {
  [ -n "$seed_pid" ] || return 0
  end_pid "$seed_pid"
  wait "$seed_pid" 2>/dev/null || true
}

# cleanup: exit trap; cleanup_own, then labelled containers, tmp, data_dir (unless kept), our dockerd.
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  cleanup_own
  remove_labelled
  rm -rf "$tmp"
  if $keep_data; then log "crane data kept in $data_dir"; else rm -rf "$data_dir"; fi
  if [ -n "$dockerd_pid" ]; then kill -TERM "$dockerd_pid" 2>/dev/null || true; wait "$dockerd_pid" 2>/dev/null || true; fi
  exit "$rc"
}

# install_cleanup: run cleanup at exit; SIGINT and SIGTERM exit with 130 (through cleanup).
install_cleanup() {
  trap cleanup EXIT
  trap 'exit 130' INT TERM
}

# ---------------------------------------------------------------- crane-seed

# free_port: a TCP port nothing listens on, picked at random in 20000-59999.
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$(( 20000 + RANDOM % 40000 ))
    [ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ] && { echo "$p"; return; }
  done
  die "no free port found"
}

# launch_seed LOG ARGS...: start crane-seed ARGS in the background, output to LOG (sets seed_pid).
launch_seed() {
  local log_file=$1; shift
  "$seed_bin" "$@" >"$log_file" 2>&1 &
  seed_pid=$!
}

# curl with the seed's admin token (set by wait_seed_api) and a YAML content type for bodies sent without one:
# the API needs a bearer token and refuses form-encoded POST bodies (curl's default).
curl() {
  local extra=()
  [ -n "${CRANE_TOKEN:-}" ] && extra+=(-H "Authorization: Bearer $CRANE_TOKEN")
  [[ "$*" == *"--data"* && "$*" != *"Content-Type"* ]] && extra+=(-H 'Content-Type: application/yaml')
  command curl "${extra[@]}" "$@"
}

# wait_seed_api DIR LOG: wait (60 s at most) until crane-seed answers /readyz on DIR/http.port (sets api and CRANE_TOKEN).
wait_seed_api() {
  local dir=$1 log_file=$2
  for _ in $(seq 1 600); do
    kill -0 "$seed_pid" 2>/dev/null || { tail -20 "$log_file" >&2; die "crane-seed exited"; }
    if [ -s "$dir/http.port" ]; then
      api="http://127.0.0.1:$(cat "$dir/http.port")"
      CRANE_TOKEN=$(cat "$dir/admin.token" 2>/dev/null || true)
      curl -fs -o /dev/null --max-time 1 "$api/readyz" && break
    fi
    sleep 0.1
  done
  curl -fs -o /dev/null --max-time 1 "$api/readyz" || die "crane-seed is not ready after 60 s"
}

# node_is_ready NAME: succeed if GET /api/v1/nodes shows node NAME Ready.
node_is_ready() {
  [ "$(curl -fs --max-time 1 "$api/api/v1/nodes" | jq --arg n "$1" '[.[] | select(.name == $n and .status == "Ready")] | length' 2>/dev/null)" = 1 ]
}

# start_all_in_one_seed [ARGS...]: crane-seed --all-in-one as node bench-<id> (ARGS after --http-port 0), ready.
start_all_in_one_seed() {
  akka_port="$(free_port)"
  log "starting crane-seed: node bench-$id, akka port $akka_port, data $data_dir, output $out"
  launch_seed "$out/crane-seed.log" --all-in-one --http-port 0 "$@" --akka-port "$akka_port" --data-dir "$data_dir" \
    --node-name "bench-$id" --container-labels "$label"
  wait_seed_api "$data_dir" "$out/crane-seed.log"
  # The node must have registered with the scheduler before the first apply.
  for _ in $(seq 1 300); do node_is_ready "bench-$id" && break; sleep 0.1; done
  node_is_ready "bench-$id" || die "node bench-$id did not register"
  log "crane-seed up at $api (pid $seed_pid)"
}

# ---------------------------------------------------------------- workloads and events

# spec NAME: the benchmark workload's YAML ($replicas of $image, readiness on /ready every $period s).
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

# wait_gone FILTER...: wait until no container matches the docker ps filters (60 s at most).
wait_gone() {
  local args=() f
  for f in "$@"; do args+=(--filter "$f"); done
  for _ in $(seq 1 600); do
    [ -z "$(docker ps -aq "${args[@]}")" ] && return 0
    sleep 0.1
  done
  log "warning: containers matching $* still present after 60 s"
  return 1
}

# delete_workload NAME: DELETE the workload and wait until this run's containers of it are gone.
delete_workload() {
  curl -fs -o /dev/null --max-time 15 -X DELETE "$api/api/v1/workloads/$1" || log "warning: delete of $1 failed"
  wait_gone "label=$label" "label=crane.workload=$1" || true
}

# fetch_events QUERY FILE FORMAT: GET /api/v1/events?QUERY into FILE, print jq FORMAT per event (`us`: time in µs).
# Event times are ISO 8601 with 7 fractional digits and an offset; `us` makes them microseconds since the epoch.
fetch_events() {
  curl -fs --max-time 5 "$api/api/v1/events?$1" >"$2"
  jq -r <"$2" '
    def us: capture("^(?<s>[^.]+?)(\\.(?<f>[0-9]+))?(?<z>Z|[+-][0-9:]+)$") as $c
      | ($c.s + "Z" | fromdateiso8601) as $sec
      | (($c.f // "0") + "000000")[0:6] as $frac
      | (if $c.z == "Z" then 0 else ($c.z | capture("(?<sg>[+-])(?<h>[0-9]{2}):(?<m>[0-9]{2})") | ((.h|tonumber) * 3600 + (.m|tonumber) * 60) * (if .sg == "+" then 1 else -1 end)) end) as $off
      | (($sec - $off) * 1000000 + ($frac | tonumber));
    .[] | '"$3"
}

# ---------------------------------------------------------------- statistics

# stats FILE: "min median p90 max" of the numbers in FILE; nearest-rank p90, median averages the middle pair.
stats() {
  sort -n "$1" | awk '{ v[NR] = $1 } END {
    n = NR; med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    r = int(0.9 * n); if (r < 0.9 * n) r++; if (r < 1) r = 1
    printf "%d %d %d %d\n", v[1], med, v[r], v[n] }'
}

# stats_header WIDTH: the header of a stats table whose first column is WIDTH wide.
stats_header() { printf "%-${1}s %8s %8s %8s %8s\n" "series (ms)" min median p90 max; }

# stats_row WIDTH LABEL FILE: a table row "LABEL min median p90 max" of FILE; nothing if FILE is empty.
stats_row() {
  local a b c d
  [ -s "$3" ] || return 0
  read -r a b c d < <(stats "$3")
  printf "%-${1}s %8s %8s %8s %8s\n" "$2" "$a" "$b" "$c" "$d"
}

# col_median CSV COL: median of column COL over the CSV's data rows (empty cells skipped; "-" if none).
col_median() { tail -n +2 "$1" | cut -d, -f"$2" | grep -v '^$' | sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit } print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# col_range CSV COL: "min-max" of column COL over the CSV's data rows (empty cells skipped; "-" if none).
col_range() { tail -n +2 "$1" | cut -d, -f"$2" | grep -v '^$' | sort -n | awk 'NR == 1 { a = $1 } { b = $1 } END { if (NR) printf "%s-%s", a, b; else printf "-" }'; }

# load_line: the report line with the load averages before and after the rounds and the number of cores.
load_line() { echo "load average before: $load_before   after: $load_after   cores: $(nproc)"; }
