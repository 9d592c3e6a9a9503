#!/usr/bin/env bash
# Builds crane/crane:latest (crane-seed and crane-node) from this repo without any registry or base image:
#   1. dotnet publish crane-seed and crane-node (Release, framework-dependent) into one /app,
#   2. copy the host's .NET runtime (dotnet host, hostfxr, Microsoft.NETCore.App, Microsoft.AspNetCore.App),
#      NGINX (the seed's load balancer), busybox, and every shared library they need (ldd) into a rootfs,
#   3. `docker build` deploy/image/Dockerfile (FROM scratch + COPY rootfs/ /; legacy builder).
# The staged rootfs stays in deploy/image/rootfs/ (git-ignored), so `docker-compose build` works afterwards.
# Idempotent: the image carries a hash of its inputs and is rebuilt only when they change.
# Usage: deploy/image/build.sh [--force]     env: CRANE_IMAGE (default crane/crane:latest), DOCKER
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
image="${CRANE_IMAGE:-crane/crane:latest}"
docker="${DOCKER:-docker}"
label=crane.image.inputs
force=0
[[ "${1:-}" == "--force" ]] && force=1
# shellcheck source=../lib/rootfs.sh
source "$here/../lib/rootfs.sh"

dotnet_bin="$(readlink -f "$(command -v dotnet)")"
dotnet_root="$(dirname "$dotnet_bin")"
nginx="$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)"
[[ -x "$nginx" ]] || { echo "build.sh: nginx not found; apt-get install nginx-light" >&2; exit 1; }
# The seed runs its own Prometheus for the autoscaler (checked with promtool) unless --prometheus-url says otherwise.
prometheus="$(command -v prometheus 2>/dev/null || true)"
promtool="$(command -v promtool 2>/dev/null || true)"
[[ -x "$prometheus" && -x "$promtool" ]] || { echo "build.sh: prometheus/promtool not found; apt-get install prometheus" >&2; exit 1; }
alertmanager="$(command -v prometheus-alertmanager 2>/dev/null || true)"
amtool="$(command -v amtool 2>/dev/null || true)"
[[ -x "$alertmanager" && -x "$amtool" ]] || { echo "build.sh: prometheus-alertmanager/amtool not found; apt-get install prometheus-alertmanager" >&2; exit 1; }
latest() { ls -d "$1"/*/ 2>/dev/null | sort -V | tail -1 | sed 's:/$::'; }
netcore="$(latest "$dotnet_root/shared/Microsoft.NETCore.App")"
aspnet="$(latest "$dotnet_root/shared/Microsoft.AspNetCore.App")"
fxr="$(latest "$dotnet_root/host/fxr")"
[[ -n "$netcore" && -n "$aspnet" && -n "$fxr" ]] || { echo "build.sh: no .NET runtime under $dotnet_root" >&2; exit 1; }
case "$(uname -m)" in
    x86_64) rid=linux-x64 ;;
    aarch64) rid=linux-arm64 ;;
    *) echo "build.sh: unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac

inputs_hash() {
    {
        cd "$repo"
        find src hocon -type f -not -path '*/bin/*' -not -path '*/obj/*' | LC_ALL=C sort | xargs sha256sum
        sha256sum Directory.Build.props Directory.Packages.props global.json deploy/image/build.sh deploy/image/Dockerfile deploy/lib/rootfs.sh
        sha256sum "$nginx" "$prometheus" "$promtool" "$alertmanager" "$amtool" "$dotnet_bin" "${BUSYBOX:-/bin/busybox}"
        echo "$netcore $aspnet $fxr $rid"
    } | sha256sum | cut -c1-32
}
hash="$(inputs_hash)"

if [[ $force == 0 && "$(inputs_label "$image" $label)" == "$hash" ]]; then
    echo "build.sh: $image is up to date ($hash)"
    exit 0
fi

# Parallel callers: build under a lock, then check again.
exec 9>"${TMPDIR:-/tmp}/crane-image-build.lock"
flock 9
if [[ $force == 0 && "$(inputs_label "$image" $label)" == "$hash" ]]; then
    echo "build.sh: $image is up to date ($hash)"
    exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
echo "build.sh: publishing crane-seed and crane-node ($rid, framework-dependent)"
for project in Crane.Seed Crane.Node; do
    # --artifacts-path keeps bin/obj of this publish apart from the developer's build output.
    dotnet publish "$repo/src/$project" -c Release -r "$rid" --self-contained false -nologo -v quiet \
        --artifacts-path "$work/artifacts" -o "$rootfs/app" -p:DebugType=none >"$work/publish.log" 2>&1 \
        || { grep -E "error|Error" "$work/publish.log" | sort -u | head -40; exit 1; }
done
rm -f "$rootfs"/app/*.staticwebassets.endpoints.json

echo "build.sh: staging the .NET runtime ($(basename "$netcore")), nginx and their libraries"
base_rootfs "$rootfs"
dr="$rootfs/usr/share/dotnet"
mkdir -p "$dr/host/fxr" "$dr/shared/Microsoft.NETCore.App" "$dr/shared/Microsoft.AspNetCore.App"
install -m 0755 "$dotnet_bin" "$dr/dotnet"
cp -a "$fxr" "$dr/host/fxr/"
cp -a "$netcore" "$dr/shared/Microsoft.NETCore.App/"
cp -a "$aspnet" "$dr/shared/Microsoft.AspNetCore.App/"
# LTTng tracing provider: optional (the runtime skips it when it cannot load) and liblttng-ust is not installed.
rm -f "$dr"/shared/Microsoft.NETCore.App/*/libcoreclrtraceptprovider.so
mkdir -p "$rootfs/usr/bin"
ln -s ../share/dotnet/dotnet "$rootfs/usr/bin/dotnet"

copy_path "$nginx" "$rootfs"
copy_path "$prometheus" "$rootfs"
copy_path "$promtool" "$rootfs"
copy_path "$alertmanager" "$rootfs"
copy_path "$amtool" "$rootfs"
# NGINX checks its compiled-in paths at start; Crane passes -p/-c/-e and sets every temp path.
mkdir -p "$rootfs/var/lib/nginx" "$rootfs/var/log/nginx" "$rootfs/etc/nginx" "$rootfs/run/lock"
ln -s ../run/lock "$rootfs/var/lock"

# OpenSSL is loaded with dlopen by System.Security.Cryptography.Native (SCRAM auth to PostgreSQL needs it).
extra=()
for lib in libssl.so.3 libcrypto.so.3; do
    path="$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64|aarch64|AArch64/ {print $NF; exit}')"
    [[ -n "$path" ]] && extra+=("$path")
done
mapfile -t elves < <(find "$dr" "$rootfs/app" -type f \( -name '*.so' -o -name dotnet \) ; echo "$nginx"; echo "$prometheus"; echo "$promtool"; echo "$alertmanager"; echo "$amtool")
SKIP_LIB_PREFIX="$dotnet_root" copy_libs "$rootfs" "${elves[@]}" "${extra[@]}"
for lib in "${extra[@]}"; do [[ -e "$rootfs$lib" ]] || copy_path "$lib" "$rootfs"; done
ldconfig -r "$rootfs" 2>/dev/null || true

printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/data:/bin/false\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$rootfs/etc/group"
printf '%s\n' "$hash" > "$rootfs/etc/crane-image-inputs"

# Replace the build context's rootfs (kept for docker-compose build) and build the image.
rm -rf "$here/rootfs" "$here/data"
mv "$rootfs" "$here/rootfs"
mkdir -p "$here/data"
echo "build.sh: docker build $image"
previous="$("$docker" image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
"$docker" build -q --label "$label=$hash" -t "$image" "$here" >"$work/docker-build.log" 2>&1 \
    || { cat "$work/docker-build.log" >&2; exit 1; }
# The image this one replaces is left untagged: remove it unless a container still uses it.
if [[ -n "$previous" && "$previous" != "$("$docker" image inspect --format '{{.Id}}' "$image")" ]]; then
    "$docker" rmi "$previous" >/dev/null 2>&1 || true
fi
echo "build.sh: built $image ($hash, $("$docker" image inspect --format '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}'))"
