#!/usr/bin/env bash
# Installs what is missing (scripts/setup: apt, as root), starts the Docker engine if needed, builds, runs every
# test project and ends with the line "N passed, N failed".
# Usage: ./test.sh            everything (what CI runs)
#        ./test.sh --quick    unit tests only (no Docker), for the inner loop
set -uo pipefail
cd "$(dirname "$0")"
root=$(pwd)
quick=0
[ "${1:-}" = "--quick" ] && quick=1
log_dir="$root/.test-output"
mkdir -p "$log_dir"

say() { echo "test.sh: $*"; }

setup_failed=0
if [ $quick = 0 ]; then
  # The same setup step as ./run.sh, plus what the tests need (hey, docker-compose, postgresql, chromium, openssl).
  scripts/setup --for test --log-dir "$log_dir" || setup_failed=1
  if docker info >/dev/null 2>&1; then
    images/demo/build.sh >"$log_dir/demo-image.log" 2>&1 || { say "demo image build failed:"; tail -20 "$log_dir/demo-image.log"; setup_failed=1; }
  fi
fi

say "building"
if ! dotnet build Crane.sln -c Release -nologo -v quiet >"$log_dir/build.log" 2>&1; then
  grep -E "error" "$log_dir/build.log" | sort -u | head -40
  echo "0 passed, 1 failed"
  exit 1
fi

export CRANE_SEED_BIN="$root/src/Crane.Seed/bin/Release/net10.0/crane-seed"
export CRANE_NODE_BIN="$root/src/Crane.Node/bin/Release/net10.0/crane-node"
export CRANE_CLI_BIN="$root/src/Crane.Cli/bin/Release/net10.0/crane"
export CRANE_REPO_ROOT="$root"

# Every test project runs: the Docker-backed ones one after another (one engine), the rest in parallel.
slow=(tests/Crane.Runtime.Tests tests/Crane.IntegrationTests tests/Crane.UiTests)
unit=()
for dir in tests/*/; do
  dir=${dir%/}
  [[ " ${slow[*]} " == *" $dir "* ]] || unit+=("$dir")
done
passed=0; failed=0

run_project() {
  local project=$1 name
  name=$(basename "$project")
  dotnet test "$project" -c Release --no-build -nologo --logger "console;verbosity=normal" >"$log_dir/$name.log" 2>&1
  echo $? >"$log_dir/$name.rc"
}

pids=()
for p in "${unit[@]}"; do run_project "$p" & pids+=($!); done
wait "${pids[@]}"
if [ $quick = 0 ]; then
  for p in "${slow[@]}"; do run_project "$p"; done
  projects=("${unit[@]}" "${slow[@]}")
else
  projects=("${unit[@]}")
fi

for p in "${projects[@]}"; do
  name=$(basename "$p")
  # The console logger ends with "Total tests: N" and indented "Passed: N" / "Failed: N" lines.
  rc=$(cat "$log_dir/$name.rc" 2>/dev/null || echo 1)
  ps=$(grep -E '^\s+Passed: [0-9]+$' "$log_dir/$name.log" | tail -1 | grep -oE '[0-9]+' || true)
  f=$(grep -E '^\s+Failed: [0-9]+$' "$log_dir/$name.log" | tail -1 | grep -oE '[0-9]+' || true)
  ps=${ps:-0}; f=${f:-0}
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
  if [ "$ps" = 0 ] && [ "$f" = 0 ]; then say "$name ran no test"; f=1; fi
  passed=$((passed + ps)); failed=$((failed + f))
  say "$name: $ps passed, $f failed (log: .test-output/$name.log)"
  if [ "$f" != 0 ]; then
    grep -E "^\s+Failed [A-Z]|Error Message" -A2 "$log_dir/$name.log" | head -40
  fi
done

if [ $setup_failed = 1 ]; then failed=$((failed + 1)); say "setup failed (see above)"; fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
