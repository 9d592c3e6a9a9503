#!/usr/bin/env bash
# Validates the compose files with `docker-compose config -q` (no engine or image needed).
# Usage: deploy/check-compose.sh          validate docker-compose.yml and deploy/docker-compose.host-network.yml
#        deploy/check-compose.sh --up     also build the images, start the root topology under a throwaway
#                                         project (random 127.0.0.1 ports), wait until the seed lists
#                                         node1..node3 as Ready, then `down -v` (needs a running Docker engine)
# Exit code 0 when everything passed.
set -euo pipefail
cd "$(dirname "$0")/.."

compose=(docker-compose)
if ! command -v docker-compose >/dev/null 2>&1; then
    echo "check-compose: docker-compose is not installed (apt-get install docker-compose)" >&2
    exit 1
fi

for file in docker-compose.yml deploy/docker-compose.host-network.yml; do
    # Ports may be given empty (random host port): validate that form too.
    "${compose[@]}" -f "$file" config -q
    CRANE_COMPOSE_HTTP_PORT= CRANE_COMPOSE_LB_PORT= "${compose[@]}" -f "$file" config -q
    echo "check-compose: $file is valid"
done

[[ "${1:-}" == "--up" ]] || exit 0

deploy/image/build.sh
deploy/postgres/build.sh
project="crane-compose-check-$$"
export CRANE_COMPOSE_HTTP_PORT= CRANE_COMPOSE_LB_PORT=
dc=("${compose[@]}" -f docker-compose.yml -p "$project")
cleanup() {
    # Replica containers would be started by the nodes on the host engine, outside the project; none
    # are created here because no workload is applied.
    "${dc[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
}
trap cleanup EXIT
"${dc[@]}" up -d >/dev/null 2>&1 || { "${dc[@]}" logs --tail 30; exit 1; }
port="$("${dc[@]}" port seed 8080 | cut -d: -f2)"
for _ in $(seq 1 90); do
    token="$("${dc[@]}" exec -T seed cat /data/admin.token 2>/dev/null || true)"
    ready="$(curl -fs -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/nodes" 2>/dev/null | grep -o '"status":"Ready"' | wc -l || true)"
    [[ "$ready" -ge 3 ]] && break
    sleep 1
done
if [[ "${ready:-0}" -lt 3 ]]; then
    echo "check-compose: the seed lists ${ready:-0} ready nodes, expected 3" >&2
    "${dc[@]}" logs --tail 30 >&2
    exit 1
fi
echo "check-compose: $project is up: the seed on 127.0.0.1:$port lists 3 ready nodes"
