# Helpers shared by deploy/image/build.sh and deploy/postgres/build.sh (sourced, not run).
# They assemble a minimal root filesystem from files of this host (no registry, no base image).

# copy_path SRC ROOTFS: copies SRC to the same absolute path under ROOTFS (following symlinks).
copy_path() {
    local src=$1 rootfs=$2
    mkdir -p "$rootfs$(dirname "$src")"
    cp -L --preserve=mode "$src" "$rootfs$src"
}

# elf_deps FILE...: prints every shared library (absolute path) the files need, plus the ELF
# interpreter, as resolved by ldd on this host. Missing optional libraries are reported on stderr.
elf_deps() {
    local f
    for f in "$@"; do
        ldd "$f" 2>/dev/null | while read -r first second third _; do
            case "$first" in
                linux-vdso.so.*|linux-gate.so.*) ;;
                /*) [[ "$second" == "("* ]] && echo "$first" ;;       # the interpreter
                *) if [[ "$second" == "=>" && "$third" == /* ]]; then echo "$third";
                   elif [[ "$second" == "=>" ]]; then echo "rootfs.sh: $f needs $first (not found; skipped)" >&2; fi ;;
            esac
        done
    done | sort -u
}

# copy_libs ROOTFS FILE...: copies the system libraries FILE... need into ROOTFS (same paths).
# Libraries that resolve inside ROOTFS itself or under $SKIP_LIB_PREFIX (e.g. a runtime directory
# copied as a whole) are left alone.
copy_libs() {
    local rootfs=$1 lib
    shift
    for lib in $(elf_deps "$@"); do
        [[ "$lib" == "$rootfs"/* ]] && continue
        [[ -n "${SKIP_LIB_PREFIX:-}" && "$lib" == "$SKIP_LIB_PREFIX"/* ]] && continue
        [[ -e "$rootfs$lib" ]] || copy_path "$lib" "$rootfs"
    done
}

# base_rootfs ROOTFS: directories every image needs, /etc files for name lookups, busybox (a shell
# for entrypoints, healthchecks and `docker exec`).
base_rootfs() {
    local rootfs=$1 busybox=${BUSYBOX:-/bin/busybox} applet
    mkdir -p "$rootfs"/{bin,etc,tmp,proc,sys,dev,root,run,var/tmp}
    chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
    if [[ ! -x "$busybox" ]]; then
        echo "rootfs.sh: $busybox not found; install busybox-static" >&2
        return 1
    fi
    install -m 0755 "$busybox" "$rootfs/bin/busybox"
    for applet in sh ash cat ls mkdir rm cp mv chmod chown id env sleep wget nc ps kill grep sed printf echo test mktemp head tail date hostname; do
        ln -sf busybox "$rootfs/bin/$applet"
    done
    printf 'hosts: files dns\n' > "$rootfs/etc/nsswitch.conf"
}

# inputs_label IMAGE LABEL: prints the value of LABEL on IMAGE (empty when the image is missing).
inputs_label() {
    "${DOCKER:-docker}" image inspect --format "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true
}
