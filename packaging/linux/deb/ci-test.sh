#!/usr/bin/env bash
# CI for sketchd's Debian package, on a clean Debian 12 host as root:
#
#     packaging/linux/deb/ci-test.sh
#
# 1. builds the .deb (scripts/build-deb.sh --fast) and runs lintian on it: no errors allowed,
#    the warnings are listed;
# 2. makes a fresh Debian 12 (bookworm) and a fresh Debian 13 (trixie) minbase root, side by
#    side, and in each: `apt-get install ./sketchd_*.deb` must pull the dependencies and succeed
#    although no kernel module can be built or loaded there (postinst says why); as a normal
#    user `sketchd --version`, `presets`, `render`, `doctor` (exit 1 with the module's fix, no
#    traceback) and `devices`; then `apt-get remove` and `apt-get purge`, each compared with the
#    file list from before the install: remove leaves only the conffiles, purge nothing of the
#    package, and the user's own files stay.
#
# Both install without Recommends (--no-install-recommends, what a minimal system does): no
# v4l2loopback, so the postinst must say so and doctor give that fix. DEB_CI_RECOMMENDS=1
# installs Debian 12's with them, as a plain `apt install` does: v4l2loopback-dkms, DKMS, a
# compiler and kernel headers (337 packages instead of 141, about 3 minutes more), and then
# the message must be that DKMS could not build the module for this kernel.
#
# Nothing is cached from one run to the next: the roots are made from the mirror each time
# (mmdebstrap: apt's parallel downloads, about twice as fast as debootstrap's one at a time).
# DEB_MIRROR overrides the mirror; DEB_CI_KEEP=DIR leaves the package's files unpacked in
# DIR/tree (the device suite's tests/device/test_package.py mounts them in the guest). Prints how long each step took. Exit 0 pass, 1 fail.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
mirror=${DEB_MIRROR:-http://deb.debian.org/debian}
work=$(mktemp -d /tmp/sketchd-deb-ci.XXXXXX)
t0=$SECONDS
failed=0

log() {
    echo "deb-ci: [$((SECONDS - t0)) s] $*"
}
fail() {
    echo "deb-ci: FAIL: $*" >&2
    failed=1
}

unmount_all() {
    awk -v w="$work/" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r |
        while read -r m; do umount -l "$m" 2>/dev/null || true; done
}
# shellcheck disable=SC2317  # run by the trap
cleanup() {
    local rc=$?
    jobs -p | xargs -r kill 2>/dev/null || true
    unmount_all
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT

[ "$(id -u)" -eq 0 ] || {
    echo "deb-ci: run as root (it makes chroots)" >&2
    exit 2
}

log "installing mmdebstrap"
# DEB_CI_HOST_TOOLS=1: the caller installed this script's host tools (mmdebstrap,
# ca-certificates, lintian, help2man; python3 -m venv works) and may be using the host's apt meanwhile
[ -n "${DEB_CI_HOST_TOOLS:-}" ] || apt-get update -qq
apt_install() {
    [ -n "${DEB_CI_HOST_TOOLS:-}" ] && return 0
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
apt_install mmdebstrap ca-certificates
log "mmdebstrap installed"

# A root of `suite`, minbase, with its package lists kept so apt-get install works at once.
bootstrap() {
    local name=$1 suite=$2 s=$SECONDS
    mmdebstrap --variant=minbase --quiet --skip=cleanup/apt/lists \
        --include=ca-certificates "$suite" "$work/$name" "$mirror" >"$work/$name.bootstrap.log" 2>&1
    echo "deb-ci: $name: minbase root made in $((SECONDS - s)) s"
}

log "making the two roots, and meanwhile installing the build's tools and building the .deb"
bootstrap bookworm bookworm &
boot_bw=$!
bootstrap trixie trixie &
boot_tx=$!
# the roots' apt works in the roots' own folders: the host's apt may run meanwhile
apt_install lintian help2man python3-venv
log "lintian, help2man and python3-venv installed"
s=$SECONDS
"$root/scripts/build-deb.sh" --fast --out "$work/build" >"$work/build.log" 2>&1 || {
    cat "$work/build.log" >&2
    fail "scripts/build-deb.sh failed"
    exit 1
}
deb=$(tail -n 1 "$work/build.log")
log "built $(basename "$deb") in $((SECONDS - s)) s: $(du -h "$deb" | cut -f1)," \
    "installs $(dpkg-deb -f "$deb" Installed-Size | awk '{printf "%d MiB", $1 / 1024}')"
if [ -n "${DEB_CI_KEEP:-}" ]; then  # the package's files for the device suite's test_package.py
    mkdir -p "$DEB_CI_KEEP"
    dpkg-deb -x "$deb" "$DEB_CI_KEEP/tree"
    log "unpacked into $DEB_CI_KEEP/tree for tests/device/test_package.py"
fi
(
    s=$SECONDS
    lintian --info "$deb" >"$work/lintian.txt" 2>&1 || true
    echo "deb-ci: lintian took $((SECONDS - s)) s"
) >"$work/lintian.log" 2>&1 &
lint=$!
ok=1
wait "$boot_bw" || ok=0
wait "$boot_tx" || ok=0
[ "$ok" -eq 1 ] || {
    tail -n 20 "$work"/*.bootstrap.log >&2
    fail "could not make the roots"
    exit 1
}
log "roots ready"

# The file list of a root, without what changes by itself (apt's and dpkg's state, logs,
# caches, /tmp) and the user's home, which is compared on its own.
snapshot() {
    local r=$1
    (cd "$r" && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./run \
        -o -path ./tmp -o -path ./var/cache -o -path ./var/lib/apt -o -path ./var/lib/dpkg \
        -o -path ./var/log -o -path ./home \) -prune -o -print | cut -c2- | LC_ALL=C sort)
}

# as the normal user "tester": the command's output, and its exit status in $work/$name.rc
as_user() {
    local name=$1
    shift
    local rc=0
    chroot --userspec=1000:1000 "$work/$name" env -i HOME=/home/tester USER=tester \
        PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 XDG_RUNTIME_DIR=/nonexistent \
        sh -c 'cd && "$@"' sh "$@" 2>&1 || rc=$?
    echo "$rc" >"$work/$name.rc"
}

test_root() {
    # every step's result is checked below, and a failure is reported, not fatal: the rest
    # still runs and says what else is wrong
    set +e
    local name=$1
    shift
    local r=$work/$name s
    local install_opts=("$@")
    mount -t proc proc "$r/proc"
    mount -t sysfs sysfs "$r/sys"
    mount --bind /dev "$r/dev"
    cp "$deb" "$r/tmp/"
    chroot "$r" useradd -m -u 1000 -s /bin/sh tester
    snapshot "$r" >"$work/$name.before"

    s=$SECONDS
    if ! chroot "$r" sh -c "cd /tmp && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            ${install_opts[*]} ./sketchd_*.deb" >"$work/$name.install.log" 2>&1; then
        tail -n 40 "$work/$name.install.log"
        fail "$name: apt-get install ./sketchd_*.deb failed"
        return
    fi
    local pulled
    pulled=$(grep -Eo '[0-9]+ newly installed' "$work/$name.install.log" | cut -d' ' -f1 || true)
    echo "deb-ci: $name: apt-get install ./sketchd_*.deb ${install_opts[*]}: ok in" \
        "$((SECONDS - s)) s ($pulled packages); what the postinst said:"
    grep '^sketchd: ' "$work/$name.install.log" | sed 's/^/    /'
    grep -q '^sketchd: .*\(chroot\|v4l2loopback\)' "$work/$name.install.log" ||
        fail "$name: the postinst did not say why v4l2loopback is not loaded"
    chroot "$r" dpkg-query -L sketchd | LC_ALL=C sort >"$work/$name.files"
    snapshot "$r" >"$work/$name.installed"

    s=$SECONDS
    local out
    out=$(as_user "$name" sketchd --version)
    if ! { [ "$(cat "$work/$name.rc")" = 0 ] && [[ "$out" == "sketchd "* ]]; }; then
        fail "$name: sketchd --version: $out"
    fi
    echo "deb-ci: $name: sketchd --version: $out"
    out=$(as_user "$name" sketchd presets)
    if ! { [ "$(cat "$work/$name.rc")" = 0 ] && grep -q pencil <<<"$out"; }; then
        fail "$name: sketchd presets: $out"
    fi
    echo "deb-ci: $name: sketchd presets: $(grep -c . <<<"$out") lines, exit $(cat "$work/$name.rc")"
    # a 96x64 colour picture as a BMP, made with the python3 the package depends on
    # shellcheck disable=SC2016  # a Python program, not shell
    as_user "$name" python3 -c 'import os, struct; w, h = 96, 64; px = os.urandom(w * 3 * h)
open("in.bmp", "wb").write(b"BM" + struct.pack("<IHHI", 54 + len(px), 0, 0, 54)
    + struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(px), 2835, 2835, 0, 0) + px)'
    out=$(as_user "$name" sketchd render in.bmp out.png --preset pencil)
    if ! { [ "$(cat "$work/$name.rc")" = 0 ] && [ -s "$r/home/tester/out.png" ]; }; then
        fail "$name: sketchd render: $out"
    fi
    echo "deb-ci: $name: sketchd render in.bmp out.png: exit $(cat "$work/$name.rc")," \
        "$(stat -c %s "$r/home/tester/out.png" 2>/dev/null || echo no) bytes written"
    out=$(as_user "$name" sketchd doctor)
    local rc
    rc=$(cat "$work/$name.rc")
    echo "deb-ci: $name: sketchd doctor: exit $rc; its v4l2loopback check:"
    grep -A2 -i 'v4l2loopback' <<<"$out" | head -n 4 | sed 's/^/    /'
    [ "$rc" = 1 ] || fail "$name: sketchd doctor exited $rc, not 1"
    if ! { grep -qi 'fix' <<<"$out" && grep -q 'v4l2loopback' <<<"$out"; }; then
        fail "$name: sketchd doctor gave no v4l2loopback fix: $out"
    fi
    ! grep -q Traceback <<<"$out" || fail "$name: sketchd doctor printed a traceback: $out"
    out=$(as_user "$name" sketchd devices)
    rc=$(cat "$work/$name.rc")
    echo "deb-ci: $name: sketchd devices: exit $rc"
    if [ "$rc" != 0 ] || grep -q Traceback <<<"$out"; then
        fail "$name: sketchd devices: $out"
    fi
    as_user "$name" sketchd config init >/dev/null
    [ -f "$r/home/tester/.config/sketchd/sketchd.yaml" ] || fail "$name: sketchd config init"
    echo "deb-ci: $name: the commands as a user took $((SECONDS - s)) s"

    s=$SECONDS
    chroot "$r" env DEBIAN_FRONTEND=noninteractive apt-get remove -y -q sketchd \
        >"$work/$name.remove.log" 2>&1 || fail "$name: apt-get remove sketchd failed"
    snapshot "$r" >"$work/$name.removed"
    # what is left of the package's own files: only its conffiles (as dpkg keeps them)
    local left
    left=$(LC_ALL=C comm -12 "$work/$name.removed" "$work/$name.files" |
        while read -r f; do [ -d "$r$f" ] || echo "$f"; done)
    local conffiles
    conffiles=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | LC_ALL=C sort)
    [ "$left" = "$conffiles" ] || fail "$name: after remove, left: $left"
    [ ! -e "$r/usr/lib/sketchd" ] || fail "$name: /usr/lib/sketchd is still there after remove"
    echo "deb-ci: $name: apt-get remove: ok in $((SECONDS - s)) s; left: the conffiles" \
        "($(wc -w <<<"$conffiles"))"

    s=$SECONDS
    chroot "$r" env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q sketchd \
        >"$work/$name.purge.log" 2>&1 || fail "$name: apt-get purge sketchd failed"
    snapshot "$r" >"$work/$name.purged"
    left=$(LC_ALL=C comm -12 "$work/$name.purged" "$work/$name.files" |
        while read -r f; do [ -d "$r$f" ] || echo "$f"; done)
    [ -z "$left" ] || fail "$name: after purge, left: $left"
    # nothing new with sketchd in its name, against the root before the install (the
    # dependencies' own files stay: apt-get autoremove is theirs)
    left=$(LC_ALL=C comm -13 "$work/$name.before" "$work/$name.purged" | grep -i sketchd || true)
    [ -z "$left" ] || fail "$name: after purge, new files named sketchd: $left"
    if ! [ -f "$r/home/tester/.config/sketchd/sketchd.yaml" ] || ! [ -f "$r/home/tester/out.png" ]; then
        fail "$name: purge removed the user's own files"
    fi
    echo "deb-ci: $name: apt-get purge: ok in $((SECONDS - s)) s; none of the package's" \
        "$(grep -c . "$work/$name.files") paths left, the user's config stays"
}

log "installing, running and removing the package in both roots, side by side"
bookworm_opts=(--no-install-recommends)
[ "${DEB_CI_RECOMMENDS:-0}" = 1 ] && bookworm_opts=()
test_root bookworm "${bookworm_opts[@]}" >"$work/bookworm.out" 2>&1 &
test_bw=$!
test_root trixie --no-install-recommends >"$work/trixie.out" 2>&1 &
test_tx=$!
wait "$test_bw" || failed=1
wait "$test_tx" || failed=1
cat "$work/bookworm.out" "$work/trixie.out"
grep -q FAIL "$work/bookworm.out" "$work/trixie.out" && failed=1

wait "$lint" || true
cat "$work/lintian.log"
errors=$(grep -c '^E: ' "$work/lintian.txt" || true)
warnings=$(grep -c '^W: ' "$work/lintian.txt" || true)
echo "deb-ci: lintian: $errors errors, $warnings warnings"
grep -E '^(E|W): ' "$work/lintian.txt" | sed 's/^/    /' || true
[ "$errors" -eq 0 ] || fail "lintian reports errors"

unmount_all
if [ "$failed" -eq 0 ]; then
    log "PASS: the package builds, installs, runs and is removed cleanly on Debian 12 and 13"
    exit 0
fi
log "FAIL (see above)"
exit 1
