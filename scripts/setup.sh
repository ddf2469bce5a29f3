#!/usr/bin/env bash
# Set up sketchd from this checkout on Debian/Ubuntu, then run it or its tests.
#
#   ./scripts/setup.sh run [SKETCHD ARGS...]   system packages, .venv, then `sketchd run ...`
#   ./scripts/setup.sh test [PYTEST ARGS...]   the same plus test tools, then the test suite
#   ./scripts/setup.sh deps                    only install (used by CI and packaging)
#
# Idempotent: packages already installed are skipped, so a second run needs no sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-run}
[ $# -gt 0 ] && shift

# opencv-python needs libGL/glib; the tray (pystray's appindicator backend) needs PyGObject,
# which pip builds against girepository/cairo; gir1.2-* are the typelibs it loads at run time.
RUN_PKGS=(python3 python3-venv python3-dev gcc pkg-config libgl1 libglib2.0-0
  libgirepository1.0-dev libcairo2-dev gir1.2-gtk-3.0 gir1.2-ayatanaappindicator3-0.1
  v4l-utils)
# desktop-file-validate and systemd-analyze check the login items, shellcheck the packaging
# scripts; ffmpeg makes test videos.
TEST_PKGS=(desktop-file-utils systemd shellcheck ffmpeg)

apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "setup: installing system packages: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

make_venv() {
  local extras=$1
  if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv"
    python3 -m venv .venv
  fi
  .venv/bin/python -m pip install -q --upgrade pip
  echo "setup: installing sketchd[$extras] into .venv"
  # PyGObject < 3.51: newer releases need girepository-2.0, which Debian 12 does not have
  .venv/bin/python -m pip install -q -e ".[$extras]"
}

case "$mode" in
  run)
    apt_install "${RUN_PKGS[@]}"
    make_venv tray
    if [ ! -e /sys/module/v4l2loopback ] && [ -x packaging/linux/install.sh ]; then
      echo "setup: no virtual camera yet; installing v4l2loopback (needs sudo once)"
      sudo=()
      [ "$(id -u)" -eq 0 ] || sudo=(sudo)
      if ! "${sudo[@]}" packaging/linux/install.sh; then
        # sketchd still starts: its tray shows what is missing and retries; doctor explains
        echo "setup: the virtual camera is not set up yet (see above); starting sketchd" \
          "anyway: \`.venv/bin/sketchd doctor\` says what is missing" >&2
      fi
    fi
    exec .venv/bin/sketchd run "$@"
    ;;
  test)
    apt_install "${RUN_PKGS[@]}" "${TEST_PKGS[@]}"
    make_venv tray,test
    set +e
    .venv/bin/python -m pytest "$@"
    rc=$?
    set -e
    if [ $rc -eq 5 ]; then
      echo "setup: pytest collected no tests: that is a failure here" >&2
      exit 1
    fi
    exit $rc
    ;;
  deps)
    apt_install "${RUN_PKGS[@]}" "${TEST_PKGS[@]}"
    make_venv tray,test
    ;;
  *)
    echo "usage: $0 run [sketchd args] | test [pytest args] | deps" >&2
    exit 2
    ;;
esac
