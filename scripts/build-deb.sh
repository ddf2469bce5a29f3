#!/usr/bin/env bash
# Build sketchd's Debian package from this checkout:
#
#     scripts/build-deb.sh [--out DIR] [--fast]   # DIR: build/deb (gitignored) unless given
#
# --fast packs with gzip -1 instead of xz -0: 7 s instead of 37 s, 101 MiB instead of 79.
# It prints the .deb's path: DIR/sketchd_VERSION_amd64.deb. One package installs on Debian 12
# (Python 3.11) and Debian 13 (Python 3.13), amd64. Needs: python3 with venv (python3-venv),
# help2man, dpkg-deb, and PyPI through pip (the wheels below); root is not needed.
#
# How, and why this way: the package tree is written by hand and packed by dpkg-deb
# (--root-owner-group), not by debhelper or dh-virtualenv. Nearly everything in it is PyPI's
# binary wheels that Debian lacks or has too old (opencv-python-headless >= 4.12, pystray,
# pyvirtualcam, simplejpeg, sv-ttk; Debian 12's platformdirs, ruamel.yaml and Pillow are
# older than sketchd needs), so dh_python3/pybuild would have nothing to build, and
# dh-virtualenv's venv is tied to one Python (Debian 12's 3.11 venv breaks on 13's 3.13). Here
# pip installs the wheels into private folders under /usr/lib/sketchd, once per Python ABI
# (cp311, cp312, cp313; what is the same in all moves to common/), and /usr/bin/sketchd picks the
# one for the python3 it runs on. The build needs no build-dependencies from Debian beyond
# dpkg, python3-venv and help2man, takes about a minute, and lintian checks the result
# (packaging/linux/deb/ci-test.sh).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
here=$root/packaging/linux
deb=$here/deb
out=$root/build/deb
compress=(-Zxz -z0)
while [ $# -gt 0 ]; do
    case "$1" in
        --out)
            out=$2
            shift 2
            ;;
        --fast)
            compress=(-Zgzip -z1)
            shift
            ;;
        -h | --help)
            sed -n '2,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
            exit 0
            ;;
        *)
            echo "build-deb: unknown option $1 (try --help)" >&2
            exit 2
            ;;
    esac
done
mkdir -p "$out"
out=$(cd "$out" && pwd)

# the Python ABIs the package carries compiled modules for: Debian 12's (3.11), Ubuntu
# 24.04's (3.12) and Debian 13's (3.13)
ABIS=(3.11 3.12 3.13)
# manylinux tags a Debian 12 system (glibc 2.36) runs; pip needs each one named
PLATFORMS=(--platform manylinux2014_x86_64)
for minor in $(seq 17 36); do
    PLATFORMS+=(--platform "manylinux_2_${minor}_x86_64")
done

t0=$SECONDS
step() {
    echo "build-deb: $* ($((SECONDS - t0)) s)"
}

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/pyproject.toml" | head -n 1)
[ -n "$version" ] || {
    echo "build-deb: no version in pyproject.toml" >&2
    exit 1
}
stage=$out/root
work=$out/work
rm -rf "$stage" "$work"
mkdir -p "$stage/DEBIAN" "$work"

# a pip: the checkout's .venv has one (scripts/setup.sh made it; pip only downloads and
# unpacks here, into --target, and changes nothing in it); else a venv of the build's own
# (Debian's python3 has no pip without python3-pip)
py=$root/.venv/bin/python
# BUILD_DEB_OWN_VENV=1: never the checkout's .venv (CI builds while setup.sh is making it)
if [ -n "${BUILD_DEB_OWN_VENV:-}" ] || ! "$py" -m pip --version >/dev/null 2>&1; then
    py=$out/venv/bin/python
    [ -x "$out/venv/bin/pip" ] || python3 -m venv "$out/venv"
fi
pip=("$py" -m pip --disable-pip-version-check -q --cache-dir "$out/pip-cache")
quiet_pip() {  # pip, without the warnings about a local package folder this machine lacks
    "${pip[@]}" "$@" 2> >(grep -v "^WARNING: Location 'file:" >&2)
}

step "building sketchd's wheel"
quiet_pip wheel --no-deps -w "$work/wheel" "$root"
wheel=$(ls "$work"/wheel/sketchd-*.whl)

lib=$stage/usr/lib/sketchd
for abi in "${ABIS[@]}"; do
    tag=cp${abi/./}
    step "installing sketchd and its wheels for Python $abi into /usr/lib/sketchd/$tag"
    quiet_pip install --target "$lib/$tag" --no-compile --only-binary=:all: \
        --python-version "$abi" --implementation cp --abi "$tag" "${PLATFORMS[@]}" "$wheel"
    rm -rf "${lib:?}/$tag/bin"  # console scripts with the build's python in their #! line
done

step "moving what every Python shares to /usr/lib/sketchd/common"
# by distribution, never file by file: a wheel's compiled modules find its bundled libraries
# (numpy.libs, pillow.libs) next to them through their RPATH, so a distribution moves whole
# (what its RECORD lists) and only when every one of its files is the same for each Python
first=cp${ABIS[0]/./}
mkdir -p "$lib/common"
for record in "$lib/$first"/*.dist-info/RECORD; do
    mapfile -t tops < <(cut -d, -f1 "$record" | grep -v '^\.\./' | cut -d/ -f1 | sort -u)
    same=1
    for abi in "${ABIS[@]:1}"; do
        for top in "${tops[@]}"; do
            diff -rq "$lib/$first/$top" "$lib/cp${abi/./}/$top" >/dev/null 2>&1 || same=0
        done
    done
    [ "$same" -eq 1 ] || continue
    for top in "${tops[@]}"; do
        [ -e "$lib/common/$top" ] && continue  # a namespace folder another one moved
        mv "$lib/$first/$top" "$lib/common/"
        for abi in "${ABIS[@]:1}"; do
            rm -rf "${lib:?}/cp${abi/./}/${top:?}"
        done
    done
done
# what stays per Python but is the same file (numpy.libs, pillow.libs: the same libraries in
# both wheels) becomes one file with two names: the .deb stores it once, the disk too
for abi in "${ABIS[@]:1}"; do
    (cd "$lib/$first" && find . -type f -printf '%P\n') | while read -r f; do
        other=$lib/cp${abi/./}/$f
        if [ -f "$other" ] && cmp -s "$lib/$first/$f" "$other"; then
            ln -f "$lib/$first/$f" "$other"
        fi
    done
done
[ -d "$lib/common/sketchd" ] || {
    echo "build-deb: sketchd itself differs between the Python builds" >&2
    exit 1
}
# pip's records of where the build ran; nothing reads them in the package
find "$lib" -name direct_url.json -delete

step "system files"
install -D -m 0755 "$deb/sketchd.py" "$stage/usr/bin/sketchd"
install -D -m 0644 "$here/modprobe.d/sketchd-v4l2loopback.conf" \
    "$stage/etc/modprobe.d/sketchd-v4l2loopback.conf"
install -D -m 0644 "$here/modules-load.d/sketchd.conf" "$stage/etc/modules-load.d/sketchd.conf"
install -D -m 0644 "$deb/sketchd-autostart.desktop" "$stage/etc/xdg/autostart/sketchd.desktop"
install -D -m 0644 "$here/udev/70-sketchd.rules" "$stage/usr/lib/udev/rules.d/70-sketchd.rules"
install -D -m 0644 "$here/sketchd.desktop" "$stage/usr/share/applications/sketchd.desktop"
install -D -m 0644 "$here/icons/sketchd.svg" \
    "$stage/usr/share/icons/hicolor/scalable/apps/sketchd.svg"
install -D -m 0644 "$here/sketchd.service" "$stage/usr/lib/systemd/user/sketchd.service"
install -D -m 0644 "$deb/lintian-overrides" "$stage/usr/share/lintian/overrides/sketchd"
doc=$stage/usr/share/doc/sketchd
install -d "$doc"

step "the man page, from --help"
# the staged sketchd, run with this build's python (help2man runs it for --help/--version)
pyabi=cp$(python3 -c 'import sys; print("%d%d" % sys.version_info[:2])')
[ -d "$lib/$pyabi" ] || {
    echo "build-deb: $(python3 --version) has no modules in the package (${ABIS[*]})" >&2
    exit 1
}
cat >"$work/sketchd" <<EOF
#!/bin/sh
PYTHONPATH="$lib/$pyabi:$lib/common" exec python3 -c \
    'import sys; from sketchd.cli import main; sys.argv[0] = "sketchd"; sys.exit(main())' "\$@"
EOF
chmod 755 "$work/sketchd"
{
    printf '%s\n' "[COMMANDS]" 'Each command has its own \fB--help\fR:'
    commands=$("$work/sketchd" --help | awk '/^positional arguments:/{p=1; next}
        /^options:/{p=0} p && /^    [a-z]/{print $1}')
    for cmd in $commands; do
        printf '%s\n' ".SS sketchd $cmd" ".nf"
        COLUMNS=80 "$work/sketchd" "$cmd" --help | sed 's/\\/\\e/g; s/^\./\\\&./'
        printf '%s\n' ".fi"
    done
    printf '%s\n' "[FILES]" \
        ".TP" '\fI~/.config/sketchd/sketchd.yaml\fR' \
        'your config (\fBsketchd config init\fR makes it); without one the default applies' \
        ".TP" '\fI/etc/modprobe.d/sketchd-v4l2loopback.conf\fR, \fI/etc/modules-load.d/sketchd.conf\fR' \
        'the options of v4l2loopback ("Sketch Camera" at /dev/video10), and loading it at boot' \
        ".TP" '\fI~/.config/autostart/sketchd.desktop\fR' \
        'starts sketchd at login: \fBsketchd autostart enable\fR or the tray'"'"'s Start at login' \
        "[SEE ALSO]" '\fBsketchd doctor\fR checks everything and prints each fix.' \
        "/usr/share/doc/sketchd/README.md"
} >"$work/man.include"
mkdir -p "$stage/usr/share/man/man1"
COLUMNS=80 help2man --no-info --no-discard-stderr --section=1 \
    --name="pencil-sketch virtual webcam in the system tray" \
    --include="$work/man.include" "$work/sketchd" >"$work/sketchd.1"
gzip -9n <"$work/sketchd.1" >"$stage/usr/share/man/man1/sketchd.1.gz"

step "docs, copyright and control"
install -m 0644 "$root/README.md" "$doc/README.md"
date=$(date -R -d "@$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)")
cat >"$work/changelog" <<EOF
sketchd ($version) unstable; urgency=medium

  * Built from the sketchd checkout by scripts/build-deb.sh
    ($(git -C "$root" describe --always --dirty 2>/dev/null || echo "no git")).

 -- sketchd developers <sketchd@users.noreply.github.com>  $date
EOF
gzip -9n <"$work/changelog" >"$doc/changelog.gz"
# the bundled wheels' names, versions and licences, from their own metadata
python3 "$deb/copyright.py" "$lib" >"$doc/copyright"

# the tree as dpkg wants it: no group/other write bits, nothing executable that is no program
find "$stage" -type d -exec chmod 0755 {} +
find "$stage" -type f ! -path "$stage/DEBIAN/*" -exec chmod go-w {} +
find "$lib" -type f \( -name '*.py' -o -name '*.so' -o -name '*.so.*' \) -exec chmod 0644 {} +

installed_kb=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@INSTALLED_SIZE@/$installed_kb/" \
    -e "s/@SHLIBS@/libc6 (>= 2.28), libgcc-s1, libstdc++6, zlib1g/" \
    "$deb/control.in" >"$stage/DEBIAN/control"
install -m 0644 "$deb/conffiles" "$stage/DEBIAN/conffiles"
install -m 0755 "$deb/postinst" "$deb/prerm" "$deb/postrm" "$stage/DEBIAN/"
(cd "$stage" && find . -type f ! -path './DEBIAN/*' ! -path './etc/*' -printf '%P\0' |
    LC_ALL=C sort -z | xargs -0 md5sum) >"$stage/DEBIAN/md5sums"

step "packing"
target=$out/sketchd_${version}_amd64.deb
rm -f "$target"
# xz at level 0: lintian accepts only gzip and xz members (Debian 12's dpkg would read zstd),
# and for these 280 MiB on a 2-core machine xz -6 took 260 s (62 MiB), xz -0 37 s (79 MiB),
# gzip -1 7 s (101 MiB). --fast (CI) takes gzip -1.
dpkg-deb --root-owner-group "${compress[@]}" --build "$stage" "$target" >/dev/null
step "built $target ($(du -h "$target" | cut -f1), installs $((installed_kb / 1024)) MiB)"
echo "$target"
