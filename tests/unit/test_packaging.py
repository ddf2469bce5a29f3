"""Shipped and generated login entries, checked by each platform's own validator:
desktop-file-validate, systemd-analyze verify, plistlib; and the shell scripts by shellcheck."""

from __future__ import annotations

import os
import plistlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from sketchd.platform.autostart import launch_command, launchagent, systemd_user, xdg
from sketchd.platform.autostart import windows as win

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "packaging" / "linux"


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} is not installed (CI must install it)")
        pytest.skip(f"{tool} is not installed")
    return path


@pytest.fixture
def spaced_python(tmp_path: Path) -> Path:
    """A python reachable only through a path with spaces and a $, as a user's venv might be."""
    where = tmp_path / "My Apps" / "venv $HOME" / "bin"
    where.mkdir(parents=True)
    (where / "python").symlink_to(Path(shutil.which("python3") or "/usr/bin/python3"))
    return where / "python"


def desktop_file_validate(path: Path) -> None:
    done = subprocess.run(
        [need("desktop-file-validate"), str(path)], capture_output=True, text=True
    )
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def systemd_verify(path: Path) -> None:
    """systemd-analyze verify --user: parses the unit and checks ExecStart's program exists, so
    a wrongly quoted path with spaces fails. In a container the user manager needs a runtime
    folder of its own, which is all it lacks."""
    tool = need("systemd-analyze")
    with tempfile.TemporaryDirectory(prefix="sd-run-") as run:
        env = dict(os.environ, XDG_RUNTIME_DIR=run, SYSTEMD_LOG_LEVEL="notice")
        done = subprocess.run(
            [tool, "verify", "--user", str(path)], capture_output=True, text=True, env=env
        )
    assert done.returncode == 0 and "sketchd.service" not in done.stderr, done.stderr


def test_shipped_desktop_file_is_valid():
    desktop_file_validate(LINUX / "sketchd.desktop")


def test_generated_autostart_entry_is_valid(home, spaced_python):
    mech = xdg.XdgAutostart((str(spaced_python), "-m", "sketchd", "run"))
    mech.enable()
    desktop_file_validate(mech.path)


def test_generated_entry_for_this_process_is_valid(home):
    mech = xdg.XdgAutostart()
    mech.enable()
    desktop_file_validate(mech.path)


def test_shipped_systemd_unit_verifies():
    systemd_verify(LINUX / "sketchd.service")


def test_generated_systemd_unit_verifies_with_spaces_in_the_path(tmp_path, spaced_python):
    unit = tmp_path / "sketchd.service"
    unit.write_text(systemd_user.unit((str(spaced_python), "-m", "sketchd", "run")))
    systemd_verify(unit)


def test_a_wrongly_quoted_unit_fails_verify(tmp_path, spaced_python):
    """The validator really catches the mistake the quoting prevents."""
    unit = tmp_path / "sketchd.service"
    text = systemd_user.unit((str(spaced_python), "run"))
    unit.write_text(text.replace(f'"{spaced_python}"', str(spaced_python)))
    tool = need("systemd-analyze")
    with tempfile.TemporaryDirectory(prefix="sd-run-") as run:
        done = subprocess.run(
            [tool, "verify", "--user", str(unit)],
            capture_output=True,
            text=True,
            env=dict(os.environ, XDG_RUNTIME_DIR=run),
        )
    assert done.returncode != 0 and "is not executable" in done.stderr


def test_generated_launchagent_round_trips(tmp_path):
    argv = ("/Users/a b/.local/bin/sketchd", "run")
    data = plistlib.loads(launchagent.plist(argv, tmp_path))
    assert data["ProgramArguments"] == list(argv) and data["Label"] == launchagent.LABEL
    assert plistlib.loads(plistlib.dumps(data)) == data


def test_shipped_launchagent_template_round_trips():
    raw = (ROOT / "packaging" / "macos" / "io.github.sketchd.plist").read_bytes()
    data = plistlib.loads(raw)
    assert data["Label"] == launchagent.LABEL and data["RunAtLoad"] is True
    assert data["ProgramArguments"][-1] == "exec sketchd run"
    assert plistlib.loads(plistlib.dumps(data)) == data


def test_shipped_windows_template_matches_what_enable_writes():
    text = (ROOT / "packaging" / "windows" / "sketchd-autostart.reg").read_text()
    assert text.startswith("Windows Registry Editor Version 5.00")
    assert f"[HKEY_CURRENT_USER\\{win.RUN_KEY}]" in text
    value = next(x for x in text.splitlines() if x.startswith('"sketchd"='))
    # .reg strings escape \ and " with a backslash
    raw = value.removeprefix('"sketchd"="').removesuffix('"')
    unescaped = raw.replace('\\"', '"').replace("\\\\", "\\")
    # quoted although this path has no space: a real user name may have one
    spaced = win.command_line([r"C:\Users\Y OU\.local\bin\sketchd.exe", "run"])
    assert unescaped == spaced.replace("Y OU", "YOU")


def test_modprobe_options_are_the_ones_doctor_suggests():
    from sketchd import doctor

    conf = (LINUX / "modprobe.d" / "sketchd-v4l2loopback.conf").read_text()
    line = next(x for x in conf.splitlines() if x.startswith("options v4l2loopback "))
    assert line.removeprefix("options ") == doctor.MODPROBE.removeprefix("sudo modprobe ")
    loads = (LINUX / "modules-load.d" / "sketchd.conf").read_text().split()
    assert "v4l2loopback" in loads


@pytest.mark.parametrize(
    "script",
    [
        "packaging/linux/install.sh",
        "packaging/linux/check-modprobe-options.sh",
        "packaging/linux/deb/ci-test.sh",
        "scripts/build-deb.sh",
    ],
)
def test_shell_scripts_are_shellcheck_clean_and_strict(script):
    path = ROOT / script
    assert os.access(path, os.X_OK), f"{path} is not executable"
    assert "set -euo pipefail" in path.read_text()
    done = subprocess.run([need("shellcheck"), str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


def test_install_sh_refuses_to_run_without_root():
    if os.geteuid() == 0:
        pytest.skip("running as root: install.sh would really install")
    done = subprocess.run([str(LINUX / "install.sh")], capture_output=True, text=True)
    assert done.returncode == 1 and "sudo" in done.stderr


def test_launch_command_is_absolute():
    assert os.path.isabs(launch_command()[0])


DEB = LINUX / "deb"


@pytest.mark.parametrize("script", ["postinst", "prerm", "postrm"])
def test_maintainer_scripts_are_posix_sh_shellcheck_clean_and_end_in_success(script):
    """dpkg runs them with /bin/sh; a failure in one fails the install or removal, so each
    exits 0 at its end whatever the kernel module did."""
    path = DEB / script
    text = path.read_text()
    assert os.access(path, os.X_OK), f"{path} is not executable"
    assert text.startswith("#!/bin/sh\n") and "\nset -e\n" in text
    assert text.rstrip().endswith("exit 0")
    done = subprocess.run([need("shellcheck"), str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


def test_packaged_autostart_entry_is_valid_off_and_yields_to_the_users_own():
    """/etc/xdg/autostart/sketchd.desktop is off (Hidden=true) and has the file name that
    `sketchd autostart enable` writes in ~/.config/autostart, which takes its place for that
    user; a desktop that copies it there to tick it must not carry a GNOME 'off' key along."""
    entry = DEB / "sketchd-autostart.desktop"
    desktop_file_validate(entry)
    text = entry.read_text()
    assert "\nHidden=true\n" in text and "\nX-GNOME-Autostart-enabled" not in text
    conffiles = (DEB / "conffiles").read_text().split()
    assert f"/etc/xdg/autostart/{xdg.FILE_NAME}" in conffiles
    build = (ROOT / "scripts" / "build-deb.sh").read_text()
    assert f'"$stage/etc/xdg/autostart/{xdg.FILE_NAME}"' in build


def test_a_copy_of_the_packaged_entry_reads_as_off_and_enable_turns_it_on(tmp_path):
    mech = xdg.XdgAutostart(("/usr/bin/sketchd", "run"), config_root=tmp_path)
    mech.path.parent.mkdir(parents=True)
    mech.path.write_bytes((DEB / "sketchd-autostart.desktop").read_bytes())
    assert not mech.status().enabled
    assert mech.enable().enabled and mech.status().command == "/usr/bin/sketchd run"
    assert not mech.disable().enabled and not mech.path.exists()


def test_the_packages_launcher_says_which_python_it_lacks_modules_for():
    """/usr/bin/sketchd, where /usr/lib/sketchd has no folder for this Python: one line that
    says so, never a traceback."""
    if Path("/usr/lib/sketchd").exists():
        pytest.skip("the sketchd package is installed here")
    done = subprocess.run(
        [sys.executable, str(DEB / "sketchd.py"), "--version"], capture_output=True, text=True
    )
    assert done.returncode == 1
    assert done.stderr.startswith("sketchd: this package has its compiled Python modules for")
    assert "Traceback" not in done.stderr


def test_copyright_names_each_bundled_wheel_and_its_licence(tmp_path):
    dist = tmp_path / "common" / "pystray-0.19.5.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: pystray\nVersion: 0.19.5\nLicense: LGPLv3\n"
    )
    (dist / "COPYING").write_text("...")
    done = subprocess.run(
        [sys.executable, str(DEB / "copyright.py"), str(tmp_path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Format: https://www.debian.org/doc/packaging-manuals/")
    assert (
        "Files: usr/lib/sketchd/common/pystray*\n"
        "Copyright: the authors of pystray 0.19.5\n"
        "License: LGPLv3\n"
    ) in done.stdout
    assert "text in usr/lib/sketchd/common/pystray-0.19.5.dist-info/: COPYING" in done.stdout
