#!/usr/bin/env bash
# Set up sketchd from this checkout on Debian/Ubuntu, then run it or its tests.
#
#   ./scripts/setup.sh run [SKETCHD ARGS...]   system packages, .venv, then `sketchd run ...`
#   ./scripts/setup.sh test [PYTEST ARGS...]   the same plus test tools, then the test suite
#   ./scripts/setup.sh deps                    only install (used by CI and packaging)
#
# Idempotent: packages already installed are skipped, and the virtual camera's set-up (sudo)
# runs once, so a second run needs no sudo.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The tray (pystray's appindicator backend) needs PyGObject, which pip builds against
# girepository/cairo; gir1.2-* are the typelibs it loads at run time. python3-tk draws the
# settings window. OpenCV is the headless wheel: no libGL or X libraries needed. GStreamer's
# PipeWire plugin and typelibs publish the PipeWire camera (the same PyGObject drives them).
RUN_PKGS=(python3 python3-venv python3-dev python3-tk gcc pkg-config
  libgirepository1.0-dev libcairo2-dev gir1.2-gtk-3.0 gir1.2-ayatanaappindicator3-0.1
  v4l-utils gstreamer1.0-pipewire gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0)
# desktop-file-validate and systemd-analyze check the login items, shellcheck the packaging
# scripts; ffmpeg makes test videos; PipeWire, WirePlumber, D-Bus and gst-launch are the real
# PipeWire session and camera app of the PipeWire tests (tests/pipewire).
TEST_PKGS=(desktop-file-utils systemd shellcheck ffmpeg pipewire pipewire-bin wireplumber
  dbus gstreamer1.0-tools gstreamer1.0-plugins-base)

apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "setup: installing ${#missing[@]} system packages with apt-get (about a minute):" \
    "${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  local t0=$SECONDS
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
  echo "setup: system packages installed ($((SECONDS - t0)) s)"
}

make_venv() {
  local extras=$1
  if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv"
    python3 -m venv .venv
  fi
  local t0=$SECONDS
  if [ ! -e .venv/.sketchd-pip-upgraded ]; then
    .venv/bin/python -m pip install -q --upgrade pip && touch .venv/.sketchd-pip-upgraded
  fi
  # a .venv from before sketchd took the headless OpenCV: both wheels write cv2/, so the
  # GUI one goes first and the headless one is installed whole
  if .venv/bin/python -m pip show -q opencv-python >/dev/null 2>&1; then
    echo "setup: replacing opencv-python with opencv-python-headless in .venv"
    .venv/bin/python -m pip uninstall -y -q opencv-python opencv-python-headless
  fi
  # the editable install follows the checkout by itself: pip runs again only when what it
  # installs from (pyproject.toml, the extras) changed
  local stamp=.venv/.sketchd-installed want
  want="$extras $(sha256sum pyproject.toml | cut -d' ' -f1)"
  if [ -e "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && .venv/bin/python -c "import sketchd" 2>/dev/null; then
    return 0
  fi
  echo "setup: installing sketchd[$extras] and its Python packages into .venv" \
    "(pip; 1-3 minutes the first time)"
  # PyGObject < 3.51: newer releases need girepository-2.0, which Debian 12 does not have.
  # setuptools warns, on every editable install, that a folder named like the package in
  # the working directory may shadow it: that folder is this checkout, on purpose
  PYTHONWARNINGS="ignore:Editable installation" .venv/bin/python -m pip install -q -e ".[$extras]"
  echo "$want" >"$stamp"
  echo "setup: Python packages ready ($((SECONDS - t0)) s)"
}

# The virtual camera's system set-up (packaging/linux/install.sh: v4l2loopback through apt
# and DKMS) needs sudo; it runs once. Later runs only say what is still missing, without sudo.
SYSTEM_DONE=.venv/.sketchd-system-setup
LOOPBACK=/sys/module/v4l2loopback
INSTALL_SH=packaging/linux/install.sh
system_setup() {
  [ -e "$LOOPBACK" ] && return 0
  [ -x "$INSTALL_SH" ] || return 0
  if [ -e "$SYSTEM_DONE" ]; then
    echo "setup: the virtual camera is still missing (v4l2loopback is not loaded): see" \
      "\`.venv/bin/sketchd doctor\`; \`sudo packaging/linux/install.sh\` runs its set-up again" >&2
    return 0
  fi
  echo "setup: no virtual camera yet; installing v4l2loopback (needs sudo, this once)"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  local rc=0
  "${sudo[@]}" "$INSTALL_SH" || rc=$?
  date -u +%FT%TZ >"$SYSTEM_DONE"  # done or failed with its reason printed: not every start
  if [ $rc -ne 0 ]; then
    # sketchd still starts: its tray shows what is missing and retries; doctor explains
    echo "setup: the virtual camera is not set up yet (the reason is above); starting" \
      "sketchd anyway: \`.venv/bin/sketchd doctor\` says what is missing" >&2
  fi
}

main() {
  local mode=${1:-run}
  [ $# -gt 0 ] && shift
  case "$mode" in
    run)
      apt_install "${RUN_PKGS[@]}"
      make_venv tray
      system_setup
      exec .venv/bin/sketchd run "$@"
      ;;
    test)
      apt_install "${RUN_PKGS[@]}" "${TEST_PKGS[@]}"
      make_venv tray,test
      set +e
      # one pytest worker per core (pytest-xdist): the unit suite is CPU-bound, ~40 % shorter on
      # two cores; `./scripts/setup.sh test -n 0` runs it in one process
      .venv/bin/python -m pytest -n auto "$@"
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
}

# sourced (by the tests), it only defines the functions above
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
