#!/usr/bin/env bash
# Boots the v4l2vm rig with exactly the options that packaging/linux/modprobe.d ships and checks
# that the kernel makes the device sketchd looks for: /dev/video10, "Sketch Camera",
# exclusive_caps on. Run from anywhere; CI runs it as is. Exit 0 pass, 1 fail, other: rig error.
#
#     packaging/linux/check-modprobe-options.sh
#
# V4L2VM overrides the rig's path (default: ../shared/tools/v4l2vm/v4l2vm from the project root).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
conf="$root/packaging/linux/modprobe.d/sketchd-v4l2loopback.conf"
vm=${V4L2VM:-$root/../shared/tools/v4l2vm/v4l2vm}

opts=$(sed -n 's/^[[:space:]]*options[[:space:]]\{1,\}v4l2loopback[[:space:]]\{1,\}//p' "$conf")
if [ -z "$opts" ]; then
    echo "check-modprobe-options: no 'options v4l2loopback ...' line in $conf" >&2
    exit 1
fi
case "$opts" in
    *"'"*)
        echo "check-modprobe-options: a single quote in the options cannot be passed on" >&2
        exit 1
        ;;
esac
echo "check-modprobe-options: options from $conf: $opts"

# modprobe hands the options line to the kernel as one string, quotes included, and the
# kernel's parameter parser reads card_label="Sketch Camera" as one value. The rig evals its
# --v4l2-opts into insmod's arguments, so keep the line one single-quoted word to match.
cd "$root"
# shellcheck disable=SC2016  # the $(...) below runs inside the VM, not here
out=$("$vm" --timeout 300 --v4l2-opts "'$opts'" -- sh -c '
    v4l2-ctl --list-devices
    echo "video10 name: $(cat /sys/class/video4linux/video10/name)"
    echo "exclusive_caps: $(cat /sys/module/v4l2loopback/parameters/exclusive_caps)"
' 2>&1) || {
    status=$?
    printf '%s\n' "$out"
    echo "check-modprobe-options: the VM run failed (exit status $status)" >&2
    exit "$status"
}
printf '%s\n' "$out"

fail=0
grep -q '^Sketch Camera' <<<"$out" || {
    echo 'check-modprobe-options: FAIL: v4l2-ctl lists no "Sketch Camera"' >&2
    fail=1
}
grep -q '^video10 name: Sketch Camera$' <<<"$out" || {
    echo 'check-modprobe-options: FAIL: /dev/video10 is not "Sketch Camera"' >&2
    fail=1
}
grep -Eq '^exclusive_caps: (Y|1)' <<<"$out" || {
    echo 'check-modprobe-options: FAIL: exclusive_caps is not on for the first device' >&2
    fail=1
}
[ "$fail" -eq 0 ] && echo 'check-modprobe-options: PASS: "Sketch Camera" at /dev/video10, exclusive_caps on'
exit "$fail"
