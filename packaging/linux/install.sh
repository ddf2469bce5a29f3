#!/usr/bin/env bash
# One-time system set-up for sketchd on Debian/Ubuntu. Run it once with sudo:
#
#     sudo packaging/linux/install.sh            # packages, files, and load the module now
#     sudo packaging/linux/install.sh --no-apt   # files and module only (other distributions)
#
# It installs v4l2loopback (the virtual camera, built for your kernel by DKMS), the tray's
# system libraries, and sketchd's system files:
#   /etc/modprobe.d/sketchd-v4l2loopback.conf  options: "Sketch Camera" /dev/video10 and
#                                              "Sketch Camera 2" /dev/video12 (a 2nd call app)
#   /etc/modules-load.d/sketchd.conf           load v4l2loopback at every boot
#   /etc/udev/rules.d/70-sketchd.rules         lets sketchd tell PipeWire its device streams
#   /usr/share/applications/sketchd.desktop    sketchd in the applications menu, with its
#   /usr/share/icons/hicolor/scalable/apps/sketchd.svg   icon
#   /usr/lib/systemd/user/sketchd.service      a user unit (not enabled for anyone)
# If v4l2loopback is already loaded: on 0.13 and later it adds the missing devices at once
# (v4l2loopback-ctl add); on 0.12 it prints the reload that makes them (it never unloads it).
# Running it again changes nothing that is already in place. sketchd itself is installed as
# your user from this checkout: `pipx install .`, then `sketchd doctor` and
# `sketchd autostart enable`.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
apt=1
for arg in "$@"; do
    case "$arg" in
        --no-apt) apt=0 ;;
        -h | --help)
            sed -n '2,20s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
            exit 0
            ;;
        *)
            echo "install.sh: unknown option $arg (try --help)" >&2
            exit 2
            ;;
    esac
done

if [ "$(id -u)" -ne 0 ]; then
    echo "install.sh: run it with sudo: sudo $0 $*" >&2
    exit 1
fi

if [ "$apt" -eq 1 ]; then
    if ! command -v apt-get >/dev/null; then
        echo "install.sh: no apt-get here; install v4l2loopback and AppIndicator's GObject" \
            "introspection data with your package manager, then run: sudo $0 --no-apt" >&2
        exit 1
    fi
    packages=(
        v4l2loopback-dkms          # the virtual camera kernel module
        v4l2loopback-utils         # v4l2loopback-ctl, handy for checking it
        v4l-utils                  # v4l2-ctl --list-devices
        python3-gi                 # the tray: PyGObject ...
        gir1.2-gtk-3.0             # ... GTK 3 ...
        gir1.2-ayatanaappindicator3-0.1  # ... and the AppIndicator (StatusNotifierItem) icon
        python3-tk                 # the preview window (OpenCV is headless: no libGL)
    )
    # DKMS builds the module against the running kernel's headers
    if apt-cache show "linux-headers-$(uname -r)" >/dev/null 2>&1; then
        packages+=("linux-headers-$(uname -r)")
    else
        echo "install.sh: apt has no linux-headers-$(uname -r) for the running kernel, so" \
            "DKMS may not build v4l2loopback for it (a kernel updated since boot: reboot" \
            "into the new one and run this again; a custom kernel: install its headers)" >&2
    fi
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"
fi

install -D -m 0644 "$here/modprobe.d/sketchd-v4l2loopback.conf" \
    /etc/modprobe.d/sketchd-v4l2loopback.conf
install -D -m 0644 "$here/modules-load.d/sketchd.conf" /etc/modules-load.d/sketchd.conf
install -D -m 0644 "$here/udev/70-sketchd.rules" /etc/udev/rules.d/70-sketchd.rules
# for devices made before the rule existed (no udev in a container: nothing to do there)
{ udevadm control --reload && udevadm trigger --subsystem-match=video4linux --action=add; } \
  2>/dev/null || true
install -D -m 0644 "$here/sketchd.desktop" /usr/share/applications/sketchd.desktop
install -D -m 0644 "$here/icons/sketchd.svg" /usr/share/icons/hicolor/scalable/apps/sketchd.svg
install -D -m 0644 "$here/sketchd.service" /usr/lib/systemd/user/sketchd.service
echo "install.sh: installed the modprobe, modules-load, udev, desktop, icon and systemd user files"

has_device() {  # label: whether a video device of that name exists
    local f
    for f in /sys/class/video4linux/video*/name; do
        [ -e "$f" ] && [ "$(cat "$f")" = "$1" ] && return 0
    done
    return 1
}

add_device() {  # number label: make a device at run time (v4l2loopback 0.13 and later)
    local dev="/dev/video$1"
    [ -e "$dev" ] && dev=""  # the number is taken: let v4l2loopback-ctl pick a free one
    echo "install.sh: v4l2loopback-ctl add -n \"$2\" -x 1 $dev"
    command -v v4l2loopback-ctl >/dev/null && v4l2loopback-ctl add -n "$2" -x 1 ${dev:+"$dev"}
}

# Devices "Sketch Camera" (/dev/video10) and "Sketch Camera 2" (/dev/video12, for a second call
# app at once). 0.13 and later add a device at run time (v4l2loopback-ctl add); 0.12 and older
# (no /sys/module/v4l2loopback/version) make devices only when the module loads.
reload_hint="close apps using a camera, then: sudo modprobe -r v4l2loopback && sudo modprobe v4l2loopback"
if [ -d /sys/module/v4l2loopback ]; then
    release=$(cat /sys/module/v4l2loopback/version 2>/dev/null || true)
    echo "install.sh: v4l2loopback ${release:-0.12 or older} is loaded"
    for nr_label in "10:Sketch Camera" "12:Sketch Camera 2"; do
        nr=${nr_label%%:*}
        label=${nr_label#*:}
        if has_device "$label"; then
            echo "install.sh: it has a \"$label\""
        elif [ -n "$release" ]; then
            # adding a device disturbs no app already using a camera
            add_device "$nr" "$label" || echo "install.sh: could not add \"$label\";" \
                "run: sudo v4l2loopback-ctl add -n \"$label\" -x 1 /dev/video$nr" >&2
        else
            # unloading it could pull a camera from under a running app: leave that to the user
            echo "install.sh: it has no \"$label\" (0.12 makes devices only when it loads):" \
                "$reload_hint" >&2
        fi
    done
elif said=$(modprobe v4l2loopback 2>&1); then
    echo "install.sh: loaded v4l2loopback (it loads at every boot from now on)"
else
    # the cause, told apart (a container, no headers so never built, a failed build, Secure
    # Boot refusing the module's key, ...) by the same code as `sketchd doctor`, given
    # modprobe's message: stdlib only, run from this checkout
    echo "install.sh: could not load v4l2loopback: ${said:-modprobe failed}" >&2
    if command -v python3 >/dev/null && [ -d "$here/../../sketchd/platform" ]; then
        PYTHONPATH="$here/../.." python3 -m sketchd.platform.linux.module "$said" |
            sed 's/^/install.sh: /' >&2
    fi
    exit 1
fi
echo "install.sh: done. As your user, in this checkout: pipx install . (or ./scripts/setup.sh run);" \
    "then sketchd doctor; sketchd autostart enable"
