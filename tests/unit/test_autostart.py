"""Start at login on each OS, in a temporary home with the OS boundary faked: sys.platform is
monkeypatched, systemctl and launchctl are recording stand-ins on PATH, winreg is an in-memory
registry. Nothing here touches the real home or the real service managers."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import types
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sketchd.platform import autostart
from sketchd.platform.autostart import AutostartError, launch_command, systemd_user, xdg
from sketchd.platform.autostart import windows as win

SPACED = ("/opt/my apps/venv $1/bin/python", "-m", "sketchd", "run")

FAKE_TOOL = """#!/bin/sh
echo "$(basename "$0") $*" >> "$FAKE_TOOL_LOG"
wants="$UNIT_DIR/graphical-session.target.wants"
case "$(basename "$0") $*" in
  "systemctl --user enable sketchd.service")
    mkdir -p "$wants" && ln -sf "$UNIT_DIR/sketchd.service" "$wants/sketchd.service" ;;
  "systemctl --user disable sketchd.service") rm -f "$wants/sketchd.service" ;;
esac
if [ -n "$FAKE_TOOL_FAIL" ]; then echo "Failed to connect to bus: No medium found" >&2; exit 1; fi
"""


@pytest.fixture
def tools(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """systemctl and launchctl stand-ins; ``tools()`` → the calls made so far."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("systemctl", "launchctl"):
        tool = bin_dir / name
        tool.write_text(FAKE_TOOL)
        tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "calls.log"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_TOOL_LOG", str(log))
    monkeypatch.setenv("UNIT_DIR", os.environ["XDG_CONFIG_HOME"] + "/systemd/user")

    def calls() -> list[str]:
        return log.read_text().splitlines() if log.exists() else []

    return calls


@pytest.fixture
def config_home(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """XDG_CONFIG_HOME somewhere other than ~/.config, to show it is honoured."""
    where = tmp_path / "elsewhere config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(where))
    return where


def files_under(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*")) if path.exists() else []


# ---------------------------------------------------------------- the command written


def test_a_frozen_build_runs_its_own_executable():
    cmd = launch_command(argv0="whatever", executable="/opt/sketchd/sketchd", frozen=True)
    assert cmd == ("/opt/sketchd/sketchd", "run")


def test_a_console_script_runs_itself_by_the_path_it_was_started_with(tmp_path):
    venv_script = tmp_path / "pipx" / "venvs" / "sketchd" / "bin" / "sketchd"
    venv_script.parent.mkdir(parents=True)
    venv_script.write_text("#!/bin/sh\n")
    link = tmp_path / "local bin" / "sketchd"  # pipx's ~/.local/bin link: kept, not resolved
    link.parent.mkdir()
    link.symlink_to(venv_script)
    cmd = launch_command(argv0=str(link), executable="/usr/bin/python3", frozen=False)
    assert cmd == (str(link), "run")


def test_python_dash_m_keeps_the_venv_interpreter(tmp_path):
    main = str(tmp_path / "sketchd" / "__main__.py")
    cmd = launch_command(argv0=main, executable="/home/a b/.venv/bin/python", frozen=False)
    assert cmd == ("/home/a b/.venv/bin/python", "-m", "sketchd", "run")


def test_windows_prefers_the_windowless_python(tmp_path):
    for name in ("python.exe", "pythonw.exe"):
        (tmp_path / name).write_text("")
    cmd = launch_command(
        argv0="-m", executable=str(tmp_path / "python.exe"), frozen=False, platform="win32"
    )
    assert cmd == (str(tmp_path / "pythonw.exe"), "-m", "sketchd", "run")


def test_this_process_command_is_this_interpreter():
    assert launch_command()[0] in (os.path.abspath(sys.executable), os.path.abspath(sys.argv[0]))


# ---------------------------------------------------------------- nothing on import


def test_importing_and_constructing_writes_nothing(home, config_home, tools, monkeypatch):
    for platform in ("linux", "darwin", "win32"):
        monkeypatch.setattr(sys, "platform", platform)
        for name in autostart.mechanisms():
            autostart.get(name)
    assert files_under(home) == []
    assert files_under(config_home) == []
    assert not (home / "Library").exists()
    assert tools() == []


def test_an_os_without_a_mechanism_says_so(monkeypatch):
    monkeypatch.setattr(sys, "platform", "sunos5")
    with pytest.raises(AutostartError, match="not supported on sunos5"):
        autostart.enable()


def test_an_unknown_mechanism_lists_the_known_ones(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    with pytest.raises(AutostartError, match="it has: xdg, systemd"):
        autostart.get("launchagent")


# ---------------------------------------------------------------- Linux: XDG


def test_xdg_enable_disable_status_in_xdg_config_home(config_home, tools, monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    entry = config_home / "autostart" / "sketchd.desktop"
    assert [s.enabled for s in autostart.status()] == [False, False]

    first = autostart.enable()
    assert first[0].mechanism == "xdg" and first[0].enabled and first[0].changed
    assert entry.exists() and first[0].location == str(entry)
    assert xdg.parse_exec(_key(entry, "Exec")) == list(launch_command())
    mtime = entry.stat().st_mtime_ns

    again = autostart.enable()[0]
    assert again.enabled and not again.changed and again.detail == "already enabled"
    assert entry.stat().st_mtime_ns == mtime
    assert autostart.is_enabled()

    off = autostart.disable("xdg")[0]
    assert not off.enabled and off.changed and not entry.exists()
    assert not autostart.disable("xdg")[0].changed
    assert tools() == []  # XDG needs no command


def test_xdg_entry_switched_off_by_the_desktop_is_reported(config_home, monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    mech = xdg.XdgAutostart(SPACED)
    mech.enable()
    text = mech.path.read_text().replace("Autostart-enabled=true", "Autostart-enabled=false")
    mech.path.write_text(text)
    s = mech.status()
    assert not s.enabled and "switched off" in s.detail
    assert mech.enable().enabled  # enabling rewrites it


def test_xdg_exec_quotes_paths_with_spaces_and_specials(config_home):
    mech = xdg.XdgAutostart(SPACED)
    mech.enable()
    value = _key(mech.path, "Exec")
    assert value == '"/opt/my apps/venv \\\\$1/bin/python" -m sketchd run'
    assert xdg.parse_exec(value) == list(SPACED)
    assert mech.status().command == "'/opt/my apps/venv $1/bin/python' -m sketchd run"


@given(st.lists(st.text(st.characters(min_codepoint=32, exclude_characters="\x7f")), min_size=1))
def test_xdg_exec_round_trips_any_printable_argv(argv):
    assert xdg.parse_exec(xdg.exec_value(argv)) == argv


def test_a_newline_in_the_command_is_refused_with_the_file_named(config_home):
    with pytest.raises(AutostartError, match=r"an autostart entry.*control character"):
        xdg.XdgAutostart(("/opt/a\nb/python", "-m", "sketchd")).enable()


def test_an_unwritable_autostart_folder_names_the_file(config_home):
    config_home.mkdir(parents=True)
    (config_home / "autostart").write_text("a file where the folder should be")
    with pytest.raises(
        AutostartError, match=r"cannot (read|write) .*autostart/sketchd\.desktop: Not a directory"
    ):
        xdg.XdgAutostart(SPACED).enable()


# ---------------------------------------------------------------- Linux: systemd


def test_systemd_enable_disable_with_systemctl_recorded(config_home, tools, monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("UNIT_DIR", str(config_home / "systemd" / "user"))
    unit = config_home / "systemd" / "user" / "sketchd.service"

    on = autostart.enable("systemd")[0]
    assert on.mechanism == "systemd" and on.enabled and on.changed
    assert unit.exists()
    assert tools() == [
        "systemctl --user daemon-reload",
        "systemctl --user enable sketchd.service",
    ]
    assert "WantedBy=graphical-session.target" in unit.read_text()

    assert not autostart.enable("systemd")[0].changed
    assert len(tools()) == 2  # idempotent: no more calls

    off = autostart.disable()
    assert [(s.mechanism, s.enabled) for s in off] == [("xdg", False), ("systemd", False)]
    assert not unit.exists()
    assert tools()[2:] == [
        "systemctl --user disable sketchd.service",
        "systemctl --user daemon-reload",
    ]


def test_enabling_one_linux_mechanism_turns_the_other_off(config_home, tools, monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("UNIT_DIR", str(config_home / "systemd" / "user"))
    autostart.enable("xdg")
    result = autostart.enable("systemd")
    assert [(s.mechanism, s.enabled) for s in result] == [("systemd", True), ("xdg", False)]
    active = [s.mechanism for s in autostart.status() if s.enabled]
    assert active == ["systemd"]


def test_a_failing_systemctl_says_which_command_and_what_it_printed(
    config_home, tools, monkeypatch
):
    monkeypatch.setenv("FAKE_TOOL_FAIL", "1")
    with pytest.raises(AutostartError) as err:
        systemd_user.SystemdUserAutostart(SPACED).enable()
    text = str(err.value)
    assert "`systemctl --user daemon-reload` failed with exit status 1" in text
    assert "Failed to connect to bus" in text
    assert "systemctl --user enable sketchd.service" in text  # what to run by hand


def test_systemctl_missing_is_a_clear_error(config_home, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(AutostartError, match="systemctl is not installed"):
        systemd_user.SystemdUserAutostart(SPACED).enable()


def test_systemd_exec_start_quoting():
    line = systemd_user.exec_start(("/opt/my apps/py", "-m", "50%", "$HOME", 'a"b\\c', ""))
    assert line == '"/opt/my apps/py" "-m" 50%% $$HOME "a\\"b\\\\c" ""'


# ---------------------------------------------------------------- macOS


def test_launchagent_on_macos(home, tools, monkeypatch):
    import plistlib

    monkeypatch.setattr(sys, "platform", "darwin")
    assert autostart.mechanisms() == ["launchagent"]
    plist = home / "Library" / "LaunchAgents" / "io.github.sketchd.plist"

    on = autostart.enable()[0]
    assert on.mechanism == "launchagent" and on.enabled and on.location == str(plist)
    data = plistlib.loads(plist.read_bytes())
    assert data["Label"] == "io.github.sketchd"
    assert data["ProgramArguments"] == list(launch_command())
    assert data["RunAtLoad"] is True
    assert tools() == [f"launchctl enable gui/{os.getuid()}/io.github.sketchd"]
    assert not autostart.enable()[0].changed

    off = autostart.disable()[0]
    assert not off.enabled and not plist.exists()
    assert not autostart.disable()[0].changed


# ---------------------------------------------------------------- Windows


class FakeWinreg(types.ModuleType):
    """The part of winreg the Run key needs: one in-memory registry, every call recorded."""

    HKEY_CURRENT_USER = "HKCU"
    KEY_SET_VALUE = 2
    REG_SZ = 1

    def __init__(self):
        super().__init__("winreg")
        self.values: dict[tuple[str, str], str] = {}
        self.calls: list[tuple] = []

    class _Key:
        def __init__(self, path):
            self.path = path

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def OpenKey(self, root, path, reserved=0, access=0):
        self.calls.append(("OpenKey", path))
        return self._Key(path)

    def CreateKeyEx(self, root, path, reserved=0, access=0):
        self.calls.append(("CreateKeyEx", path))
        return self._Key(path)

    def QueryValueEx(self, key, name):
        if (key.path, name) not in self.values:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        return self.values[(key.path, name)], self.REG_SZ

    def SetValueEx(self, key, name, reserved, kind, value):
        self.calls.append(("SetValueEx", name, value))
        self.values[(key.path, name)] = value

    def DeleteValue(self, key, name):
        self.calls.append(("DeleteValue", name))
        del self.values[(key.path, name)]


def test_windows_run_key(monkeypatch):
    reg = FakeWinreg()
    monkeypatch.setitem(sys.modules, "winreg", reg)
    monkeypatch.setattr(sys, "platform", "win32")
    assert autostart.mechanisms() == ["windows"]
    mech = win.WindowsRunKeyAutostart((r"C:\Program Files\sketchd\sketchd.exe", "run"))

    on = mech.enable()
    line = r'"C:\Program Files\sketchd\sketchd.exe" run'
    assert on.enabled and on.command == line
    assert reg.values == {(win.RUN_KEY, "sketchd"): line}
    assert ("SetValueEx", "sketchd", line) in reg.calls
    writes = len(reg.calls)
    assert not mech.enable().changed
    assert [c[0] for c in reg.calls[writes:]] == ["OpenKey", "OpenKey"]  # reads only
    assert autostart.status()[0].enabled

    assert not mech.disable().enabled
    assert reg.values == {} and ("DeleteValue", "sketchd") in reg.calls
    assert not mech.disable().changed


def test_windows_module_imports_without_winreg():
    assert "winreg" not in sys.modules or sys.platform == "win32"
    assert win.command_line(["C:\\a b\\py.exe", "-m", "sketchd"]) == '"C:\\a b\\py.exe" -m sketchd'


# ---------------------------------------------------------------- CLI


def test_cli_enable_status_disable(sketchd_env, tmp_path):
    def cli(*args):
        return subprocess.run(
            [sys.executable, "-m", "sketchd", "autostart", *args],
            capture_output=True,
            text=True,
            env=sketchd_env,
            timeout=60,
        )

    assert cli("status").stdout.splitlines()[-1] == "active: none"
    done = cli("enable", "--xdg")
    assert done.returncode == 0 and done.stdout.startswith("xdg: enabled"), done.stderr
    assert cli("status").stdout.splitlines()[-1] == "active: xdg"
    assert "already enabled" in cli("enable").stdout
    assert cli("disable").returncode == 0
    assert cli("status").stdout.splitlines()[-1] == "active: none"
    bad = cli("enable", "--xdg", "--systemd")
    assert bad.returncode == 2 and "not allowed with" in bad.stderr


def _key(path: Path, key: str) -> str:
    for line in path.read_text().splitlines():
        if line.startswith(f"{key}="):
            return line.removeprefix(f"{key}=")
    raise AssertionError(f"no {key}= in {path}")
