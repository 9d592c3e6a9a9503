#!/usr/bin/env bash
# End-to-end benchmark: a replica's /metrics stops answering (the demo's /fail/metrics); how long until Crane acts on
# the InstanceDown alert that fires through its real Prometheus and Alertmanager, and until the restarted replica is
# ready. Scrape and rule evaluation every 1 s, --rules.alert.resend-delay 1s, the rule's `for: 1s`, Alertmanager
# group_wait 1 s (Crane's own config), stated in the report.
#
# Usage: bench/e2e/alert-action.sh [--rounds N] [--poll-ms MS] [--out DIR] [--no-build] [--keep-data]
#   --rounds N     measured faults, each on a fresh workload (default 5)
#   --poll-ms MS   poll interval of the API (default 100)
#   --out DIR      where results, events and the crane-seed log go (default: a new /tmp dir, kept)
#   --no-build     use the existing Release build of crane-seed
#   --keep-data    keep crane-seed's data directory
#
# One crane-seed (all-in-one, docker runtime, its own Prometheus and Alertmanager on free ports) on loopback, ended
# by PID at exit with the servers it owns. Containers are removed only when they carry this run's label.
set -euo pipefail
export LC_ALL=C

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

rounds=5
poll_ms=100
replicas=1

while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) common_option "$@"; shift "$REPLY" ;;
  esac
done
check_positive --rounds "$rounds"
check_positive --poll-ms "$poll_ms"
set_poll_s

ensure_tools nginx
ensure_docker
build_demo_image
if $build; then build_release src/Crane.Seed crane-seed; fi
require_bin "$seed_bin"
command -v prometheus-alertmanager >/dev/null || die "prometheus-alertmanager not found (apt-get install prometheus-alertmanager)"

init_run alert
cleanup_own() { stop_seed; stop_owned_servers; }
install_cleanup

start_all_in_one_seed --lb-port 0 --prometheus-port 0 --alertmanager-port 0 --scrape-interval-seconds 1 --alert-resend-delay-seconds 1
prom="http://127.0.0.1:$(cat "$data_dir/prometheus.port")"

rules() {
  cat <<EOF
groups:
  - name: bench
    rules:
      - alert: InstanceDown
        expr: up{job="replicas"} == 0
        for: 1s
        labels: {severity: critical, crane_action: restart}
EOF
}
code=$(curl -s -o "$tmp/rules.json" -w '%{http_code}' -X PUT --data-binary "$(rules)" "$api/api/v1/rules")
[ "$code" = 200 ] || { cat "$tmp/rules.json" >&2; die "PUT /api/v1/rules answered $code"; }

csv="$out/alert.csv"
echo "round,name,acted_ms,ready_ms" >"$csv"
: >"$tmp/acted.ms"; : >"$tmp/ready.ms"

# first NAME -> "port restarts ready" of the only replica
first() {
  curl -s --max-time 2 "$api/api/v1/workloads/$1" | jq -r '.replicas[0] | "\(.hostPort) \(.restarts) \(.ready)"' 2>/dev/null || true
}

round() { # round NAME N
  local name=$1 n=$2 port restarts ready t0 t_acted="" t_ready=""
  spec "$name" >"$tmp/spec.yaml"
  curl -fs -o /dev/null -X POST --data-binary @"$tmp/spec.yaml" "$api/api/v1/workloads" || die "apply of $name failed"
  for _ in $(seq 1 600); do
    read -r port restarts ready <<<"$(first "$name")"
    [ "${ready:-}" = true ] && [ "$(curl -s "$prom/api/v1/query" --data-urlencode "query=up{workload=\"$name\"}" | jq -r '.data.result[0].value[1] // "0"')" = 1 ] && break
    sleep 0.1
  done
  [ "${ready:-}" = true ] || die "$name not ready and scraped within 60 s"
  now_us; t0=$REPLY
  curl -fs -o /dev/null "http://127.0.0.1:$port/fail/metrics" || die "/fail/metrics on $name failed"
  local deadline=$(( t0 + 120000000 ))
  while :; do
    now_us
    if [ -z "$t_acted" ] && [ "$(curl -s "$api/api/v1/events?workload=$name&reason=AlertActed" | jq length)" -ge 1 ]; then t_acted=$REPLY; fi
    read -r _ restarts ready <<<"$(first "$name")"
    if [ "${restarts:-0}" -ge 1 ] && [ "${ready:-}" = true ]; then t_ready=$REPLY; [ -n "$t_acted" ] || t_acted=$REPLY; break; fi
    [ "$REPLY" -lt "$deadline" ] || die "$name: no restart 120 s after /fail/metrics"
    sleep "$poll_s"
  done
  echo "$(( (t_acted - t0) / 1000 ))" >>"$tmp/acted.ms"
  echo "$(( (t_ready - t0) / 1000 ))" >>"$tmp/ready.ms"
  echo "$n,$name,$(( (t_acted - t0) / 1000 )),$(( (t_ready - t0) / 1000 ))" >>"$csv"
  log "round $n: AlertActed after $(( (t_acted - t0) / 1000 )) ms, restarted replica ready after $(( (t_ready - t0) / 1000 )) ms"
  delete_workload "$name"
}

load_before="$(load_avg)"
for r in $(seq 1 "$rounds"); do round "bench-$id-$r" "$r"; done
load_after="$(load_avg)"

{
  echo
  echo "Fault (/fail/metrics) -> alert action, $rounds rounds; scrape and evaluation 1s, rule for: 1s, resend delay 1s, Alertmanager group_wait 1s, poll every $poll_ms ms"
  load_line
  echo
  stats_header 40
  stats_row 40 "fault -> AlertActed event" "$tmp/acted.ms"
  stats_row 40 "fault -> restarted replica ready" "$tmp/ready.ms"
  echo
  read -r _ med _ _ < <(stats "$tmp/acted.ms")
  echo "target: fault -> action <= 20 s: $(awk -v m="$med" 'BEGIN { print (m <= 20000) ? "MET (median)" : "NOT MET" }')"
  echo
  echo "raw data: $out"
} | tee "$out/summary.txt"
