#!/usr/bin/env bash
# Builds crane/demo:latest from the host's busybox-static without any registry: a rootfs with
# /bin/busybox, its applet links and the app under /app, loaded with `docker import`.
# Idempotent: the image carries a hash of its inputs and is rebuilt only when they change.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
image="${CRANE_DEMO_IMAGE:-crane/demo:latest}"
busybox="${BUSYBOX:-/bin/busybox}"
docker="${DOCKER:-docker}"

if [[ ! -x "$busybox" ]]; then
    echo "build.sh: $busybox not found; install busybox-static" >&2
    exit 1
fi

inputs_hash="$(cat "$here/build.sh" "$here/app/serve" "$here/app/handle" "$busybox" | sha256sum | cut -c1-32)"

current_hash() {
    "$docker" image inspect --format '{{ index .Config.Labels "crane.demo.inputs" }}' "$image" 2>/dev/null || true
}

if [[ "$(current_hash)" == "$inputs_hash" ]]; then
    echo "build.sh: $image is up to date ($inputs_hash)"
    exit 0
fi

# Parallel test runs may call this at once: build under a lock, then check again.
exec 9>"${TMPDIR:-/tmp}/crane-demo-build.lock"
flock 9
if [[ "$(current_hash)" == "$inputs_hash" ]]; then
    echo "build.sh: $image is up to date ($inputs_hash)"
    exit 0
fi

rootfs="$(mktemp -d)"
trap 'rm -rf "$rootfs"' EXIT

mkdir -p "$rootfs"/{bin,etc,app,tmp,proc,sys,dev,root}
chmod 1777 "$rootfs/tmp"
install -m 0755 "$busybox" "$rootfs/bin/busybox"
for applet in $("$busybox" --list); do
    [[ "$applet" == busybox ]] || ln -s busybox "$rootfs/bin/$applet"
done
ln -s bin "$rootfs/sbin"
mkdir -p "$rootfs/usr"
ln -s ../bin "$rootfs/usr/bin"
ln -s ../bin "$rootfs/usr/sbin"
install -m 0755 "$here/app/serve" "$here/app/handle" "$rootfs/app/"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/tmp:/bin/false\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$rootfs/etc/group"

tar --numeric-owner --owner=0 --group=0 -C "$rootfs" -cf - . |
    "$docker" import \
        --change 'ENV PATH=/bin' \
        --change 'ENV PORT=8080' \
        --change 'EXPOSE 8080/tcp' \
        --change 'USER 65534:65534' \
        --change 'WORKDIR /tmp' \
        --change "LABEL crane.demo.inputs=$inputs_hash" \
        --change 'CMD ["/app/serve"]' \
        --message "crane demo app ($inputs_hash)" \
        - "$image" > /dev/null

echo "build.sh: built $image ($inputs_hash)"
