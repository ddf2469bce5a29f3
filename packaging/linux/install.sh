#!/usr/bin/env bash
# One-time system set-up for sketchd on Debian/Ubuntu. Run it once with sudo:
#
#     sudo packaging/linux/install.sh            # packages, files, and load the module now
#     sudo packaging/linux/install.sh --no-apt   # files and module only (other distributions)
#
# It installs v4l2loopback (the virtual camera, built for your kernel by DKMS), the tray's
# system libraries, and sketchd's system files:
#   /etc/modprobe.d/sketchd-v4l2loopback.conf  the "Sketch Camera" device's options
#   /etc/modules-load.d/sketchd.conf           load v4l2loopback at every boot
#   /usr/share/applications/sketchd.desktop    sketchd in the applications menu
#   /usr/lib/systemd/user/sketchd.service      a user unit (not enabled for anyone)
# Running it again changes nothing that is already in place. sketchd itself is installed as
# your user: `pipx install sketchd`, then `sketchd autostart enable` and `sketchd doctor`.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
apt=1
for arg in "$@"; do
    case "$arg" in
        --no-apt) apt=0 ;;
        -h | --help)
            sed -n '2,15s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
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
        libgl1                     # OpenCV's runtime libraries
        libglib2.0-0
    )
    # DKMS builds the module against the running kernel's headers
    if apt-cache show "linux-headers-$(uname -r)" >/dev/null 2>&1; then
        packages+=("linux-headers-$(uname -r)")
    fi
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"
fi

install -D -m 0644 "$here/modprobe.d/sketchd-v4l2loopback.conf" \
    /etc/modprobe.d/sketchd-v4l2loopback.conf
install -D -m 0644 "$here/modules-load.d/sketchd.conf" /etc/modules-load.d/sketchd.conf
install -D -m 0644 "$here/sketchd.desktop" /usr/share/applications/sketchd.desktop
install -D -m 0644 "$here/sketchd.service" /usr/lib/systemd/user/sketchd.service
echo "install.sh: installed the modprobe, modules-load, desktop and systemd user files"

if [ -d /sys/module/v4l2loopback ]; then
    label=$(cat /sys/module/v4l2loopback/parameters/card_label 2>/dev/null || true)
    case "$label" in
        *"Sketch Camera"*) echo "install.sh: v4l2loopback is loaded with a \"Sketch Camera\"" ;;
        *)
            # unloading it could pull a camera from under a running app: leave that to the user
            echo "install.sh: v4l2loopback is loaded with other options; to use sketchd's:" \
                "close apps using a camera, then: sudo modprobe -r v4l2loopback &&" \
                "sudo modprobe v4l2loopback" >&2
            ;;
    esac
elif modprobe v4l2loopback; then
    echo "install.sh: loaded v4l2loopback (it loads at every boot from now on)"
else
    echo "install.sh: could not load v4l2loopback (above: why). With Secure Boot on, the" \
        "DKMS-built module must be signed: sudo mokutil --import /var/lib/dkms/mok.pub," \
        "reboot and enroll the key; in a container or VM without modules, load it on the host" >&2
    exit 1
fi
echo "install.sh: done. As your user: pipx install sketchd; sketchd doctor; sketchd autostart enable"
