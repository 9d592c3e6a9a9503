#!/usr/bin/env bash
# Builds crane/postgres:latest from the host's PostgreSQL (Debian package `postgresql`, /usr/lib/postgresql/<ver>)
# without any registry or base image: server and client binaries, the extension libraries (no LLVM JIT),
# the share directory, tzdata, busybox for the entrypoint, and every shared library they need (ldd);
# then `docker build` deploy/postgres/Dockerfile (FROM scratch + COPY rootfs/ /; legacy builder).
# The server runs as uid 999 (postgres); entrypoint.sh initializes the data directory on first start.
# Idempotent: the image carries a hash of its inputs and is rebuilt only when they change.
# Usage: deploy/postgres/build.sh [--force]     env: CRANE_POSTGRES_IMAGE (default crane/postgres:latest), DOCKER
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
image="${CRANE_POSTGRES_IMAGE:-crane/postgres:latest}"
docker="${DOCKER:-docker}"
label=crane.image.inputs
force=0
[[ "${1:-}" == "--force" ]] && force=1
# shellcheck source=../lib/rootfs.sh
source "$here/../lib/rootfs.sh"

pgdir="$(ls -d /usr/lib/postgresql/*/ 2>/dev/null | sort -V | tail -1 | sed 's:/$::')"
[[ -n "$pgdir" && -x "$pgdir/bin/postgres" ]] || { echo "build.sh: PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
version="$(basename "$pgdir")"
share="/usr/share/postgresql/$version"
tools=(postgres initdb pg_ctl pg_isready psql createdb pg_dump pg_restore)

hash="$({
    sha256sum "$here/build.sh" "$here/Dockerfile" "$here/entrypoint.sh" "$here/../lib/rootfs.sh" "${BUSYBOX:-/bin/busybox}"
    for t in "${tools[@]}"; do sha256sum "$pgdir/bin/$t"; done
} | sha256sum | cut -c1-32)"

if [[ $force == 0 && "$(inputs_label "$image" $label)" == "$hash" ]]; then
    echo "build.sh: $image is up to date ($hash)"
    exit 0
fi
exec 9>"${TMPDIR:-/tmp}/crane-postgres-image-build.lock"
flock 9
if [[ $force == 0 && "$(inputs_label "$image" $label)" == "$hash" ]]; then
    echo "build.sh: $image is up to date ($hash)"
    exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
echo "build.sh: staging PostgreSQL $version and its libraries"
base_rootfs "$rootfs"
mkdir -p "$rootfs$pgdir/bin" "$rootfs$pgdir/lib" "$rootfs/usr/share/postgresql"
for t in "${tools[@]}"; do install -m 0755 "$pgdir/bin/$t" "$rootfs$pgdir/bin/$t"; done
# Extension and encoding-conversion modules; the LLVM JIT (llvmjit.so pulls in libLLVM, ~100 MB) stays out.
find "$pgdir/lib" -maxdepth 1 -type f -name '*.so' ! -name 'llvmjit*' -exec cp {} "$rootfs$pgdir/lib/" \;
cp -a "$share" "$rootfs/usr/share/postgresql/"
mkdir -p "$rootfs/usr/share"
cp -a /usr/share/zoneinfo "$rootfs/usr/share/"
ln -s "$version" "$rootfs/usr/lib/postgresql/current"
copy_libs "$rootfs" "$rootfs$pgdir"/bin/* "$rootfs$pgdir"/lib/*.so
ldconfig -r "$rootfs" 2>/dev/null || true
install -m 0755 "$here/entrypoint.sh" "$rootfs/entrypoint.sh"
printf 'root:x:0:0:root:/root:/bin/sh\npostgres:x:999:999:PostgreSQL:/var/lib/postgresql:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\npostgres:x:999:\nnogroup:x:65534:\n' > "$rootfs/etc/group"
# A writable home for the server (psql history, .pgpass); the data directory comes from data/ (Dockerfile).
mkdir -p "$rootfs/var/lib/postgresql"
chown 999:999 "$rootfs/var/lib/postgresql"

rm -rf "$here/rootfs" "$here/data"
mv "$rootfs" "$here/rootfs"
mkdir -p "$here/data"
chmod 700 "$here/data"
echo "build.sh: docker build $image"
previous="$("$docker" image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
"$docker" build -q --label "$label=$hash" -t "$image" "$here" >"$work/docker-build.log" 2>&1 \
    || { cat "$work/docker-build.log" >&2; exit 1; }
if [[ -n "$previous" && "$previous" != "$("$docker" image inspect --format '{{.Id}}' "$image")" ]]; then
    "$docker" rmi "$previous" >/dev/null 2>&1 || true
fi
echo "build.sh: built $image ($hash, $("$docker" image inspect --format '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}'))"
