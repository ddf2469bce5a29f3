"""The tray without a GUI: the menu model, the icons, the backend choice, and that pystray is
never imported unless a tray is really wanted."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from sketchd.tray import choose_backend, icon, model

PRESETS = ("pencil", "colour_pencil", "cartoon")


def view(**kw) -> model.View:
    base = dict(preset="pencil", presets=PRESETS, fps=30.0, camera="live")
    return model.View(**{**base, **kw})


def test_menu_top_to_bottom():
    items = model.items(view())
    texts = [i.text for i in items if i.kind != "separator"]
    assert texts == [
        "Pencil · 30 fps",
        "Pencil",
        "Colour pencil",
        "Cartoon",
        "Bypass (unfiltered camera)",
        "Privacy (camera off card)",
        "Mirror",
        "Snapshot",
        "Settings…",
        "Open config file",
        "Reload config",
        "Start at login",
        "Quit",
    ]
    assert items[0].kind == "label" and not items[0].enabled
    assert [i.kind for i in items].count("separator") == 4


def test_presets_are_radio_items_in_config_order_with_the_active_one_checked():
    items = [i for i in model.items(view(preset="cartoon")) if i.kind == "radio"]
    assert [i.id for i in items] == ["preset:pencil", "preset:colour_pencil", "preset:cartoon"]
    assert [i.checked for i in items] == [False, False, True]


@pytest.mark.parametrize("flag", ["bypass", "privacy", "mirror"])
def test_toggles_are_check_items_that_follow_the_state(flag):
    off = {i.id: i for i in model.items(view())}
    on = {i.id: i for i in model.items(view(**{flag: True}))}
    assert off[flag].kind == "check" and not off[flag].checked
    assert on[flag].checked


@pytest.mark.parametrize(
    ("autostart", "enabled", "checked"),
    [(None, False, False), (False, True, False), (True, True, True)],
)
def test_start_at_login_is_disabled_until_autostart_exists(autostart, enabled, checked):
    item = {i.id: i for i in model.items(view(autostart=autostart))}["autostart"]
    assert (item.enabled, item.checked) == (enabled, checked)


@pytest.mark.parametrize(
    ("kw", "line", "kind"),
    [
        ({}, "Pencil · 30 fps", "preset"),
        ({"preset": "colour_pencil", "fps": 29.6}, "Colour pencil · 30 fps", "preset"),
        ({"bypass": True}, "Bypass (unfiltered) · 30 fps", "bypass"),
        ({"privacy": True}, "Privacy · camera off", "privacy"),
        ({"privacy": True, "camera": "lost"}, "Privacy · camera off", "privacy"),
        ({"camera": "lost", "fps": 30}, "Camera unavailable · 30 fps", "lost"),
        ({"camera": "lost", "bypass": True}, "Camera unavailable · 30 fps", "lost"),
        ({"camera": "starting"}, "Starting camera…", "preset"),
    ],
)
def test_state_line_and_icon(kw, line, kind):
    v = view(**kw)
    assert model.state_line(v) == line
    assert model.icon_kind(v) == kind
    assert model.tooltip(v) == f"sketchd: {line}"


BROKEN = "writing to /dev/video10 failed: [Errno 19] No such device\nsketchd keeps reopening it"


@pytest.mark.parametrize(
    "kw", [{}, {"privacy": True}, {"camera": "lost"}, {"bypass": True}, {"camera": "starting"}]
)
def test_a_virtual_camera_taking_no_frames_shows_over_everything(kw):
    v = view(output_error=BROKEN, **kw)
    assert model.state_line(v) == "Virtual camera unavailable · retrying"
    assert model.icon_kind(v) == "output"
    reason = " ".join(BROKEN.split())  # one line under the state
    assert model.tooltip(v) == f"sketchd: Virtual camera unavailable · retrying\n{reason}"
    assert model.items(v)[0].text == "Virtual camera unavailable · retrying"


def test_a_long_output_error_is_cut_in_the_tooltip():
    v = view(output_error="cannot open the virtual camera: " + "x" * 500 + "\nIf there is none")
    tip = model.tooltip(v).split("\n")
    assert len(tip) == 2 and len(tip[1]) == 160 and tip[1].endswith("…")


def test_the_status_carries_the_output_error_into_the_view():
    status = {"preset": "ink", "presets": ["ink"], "camera": "live", "output_error": BROKEN}
    assert model.view_from_status(status).output_error == BROKEN
    assert model.view_from_status({**status, "output_error": ""}).output_error == ""


class FakeIcon:
    """What the tray touches of a pystray icon; ``run`` calls ``setup`` and blocks until
    ``stop``, as pystray's loops do."""

    def __init__(self, image, title, items):
        self.icon, self.title, self.items = image, title, items
        self.stopped = threading.Event()
        self.ran_on: threading.Thread | None = None

    def run(self, setup):
        self.ran_on = threading.current_thread()
        setup(self)
        self.stopped.wait(10)

    def stop(self):
        self.stopped.set()

    def update_menu(self):
        pass


def fake_icons() -> tuple[list[FakeIcon], object]:
    """The icons a Tray made, and the ``make_icon`` that makes them."""
    made: list[FakeIcon] = []

    def make(image, title, items):
        made.append(FakeIcon(image, title, items))
        return made[-1]

    return made, make


def test_the_tray_tells_when_the_virtual_camera_breaks_and_comes_back():
    from sketchd.tray.backend import Tray

    class Controller:
        def __init__(self):
            self.listeners, self.notices = [], []
            self.state = {"preset": "pencil", "presets": ["pencil"], "camera": "live"}

        def status(self):
            return dict(self.state)

    c = Controller()
    made, make = fake_icons()
    tray = Tray(c, "gtk", actions=FakeActions(), make_icon=make)
    told: list[tuple[str, str]] = []
    tray.notify = lambda title, message: told.append((title, message))
    assert tray.start(timeout=10)
    try:
        (shown,) = made
        tray.refresh()
        assert told == [] and "Pencil" in shown.title
        c.state["output_error"] = BROKEN
        tray.refresh(periodic=True)
        c.state["output_error"] = "cannot open /dev/video10\nsketchd keeps reopening it"
        tray.refresh(periodic=True)  # still broken, for another reason: no second notification
        assert told == [("Virtual camera unavailable", BROKEN)]
        assert shown.title.startswith("sketchd: Virtual camera unavailable")
        assert shown.icon.tobytes() == icon.draw("output").tobytes()
        c.state["output_error"] = ""
        tray.refresh(periodic=True)
        assert told[1:] == [("Virtual camera back", "sketchd is publishing again")]
        assert shown.icon.tobytes() == icon.draw("preset").tobytes()
    finally:
        tray.stop()
    assert shown.stopped.is_set()


@pytest.mark.parametrize(
    ("name", "shown"), [("pencil", "Pencil"), ("colour_pencil", "Colour pencil"), ("a-b", "A b")]
)
def test_preset_titles(name, shown):
    assert model.title(name) == shown


def test_view_from_a_controller_status():
    status = {
        "preset": "ink",
        "presets": ["pencil", "ink"],
        "fps": 24.9,
        "camera": "lost",
        "bypass": False,
        "privacy": True,
        "mirror": True,
    }
    v = model.view_from_status(status, autostart=False)
    assert v == model.View("ink", ("pencil", "ink"), 24.9, "lost", False, True, True, False)


class FakeController:
    def __init__(self):
        self.calls: list[tuple] = []

    def __getattr__(self, name):
        def call(*args):
            self.calls.append((name, *args))
            if name == "snapshot":
                return "/pics/s.png"
            if name == "reload":
                return {"changed": ["presets"], "preset": "pencil"}
            return None

        return call


class FakeActions:
    def __init__(self):
        self.calls: list[tuple] = []

    def settings(self):
        self.calls.append(("settings",))

    def open_config(self):
        self.calls.append(("open_config",))
        return "Created /c.yaml with the defaults"

    def set_autostart(self, on):
        self.calls.append(("autostart", on))

    def autostart_enabled(self):
        return False


@pytest.mark.parametrize(
    ("item", "v", "call", "message"),
    [
        ("preset:cartoon", {}, ("set_preset", "cartoon"), None),
        ("bypass", {}, ("set_bypass", True), None),
        ("bypass", {"bypass": True}, ("set_bypass", False), None),
        ("privacy", {}, ("set_privacy", True), None),
        ("mirror", {"mirror": True}, ("set_mirror", False), None),
        ("snapshot", {}, ("snapshot",), "Snapshot saved: /pics/s.png"),
        ("reload", {}, ("reload",), "Config reloaded (presets)"),
        ("quit", {}, ("quit",), None),
    ],
)
def test_each_item_calls_the_controller(item, v, call, message):
    c, a = FakeController(), FakeActions()
    assert model.activate(item, c, view(**v), a) == message
    assert c.calls == [call] and a.calls == []


@pytest.mark.parametrize(
    ("item", "v", "call"),
    [
        ("settings", {}, ("settings",)),
        ("open_config", {}, ("open_config",)),
        ("autostart", {"autostart": False}, ("autostart", True)),
        ("autostart", {"autostart": True}, ("autostart", False)),
    ],
)
def test_desktop_items_go_to_the_actions(item, v, call):
    c, a = FakeController(), FakeActions()
    model.activate(item, c, view(**v), a)
    assert a.calls == [call] and c.calls == []


def test_an_unknown_item_is_a_bug_not_a_silent_no_op():
    with pytest.raises(ValueError, match="unknown menu item"):
        model.activate("nope", FakeController(), view(), FakeActions())


# -- icons


def test_each_state_has_its_own_icon():
    kinds = ("preset", "bypass", "privacy", "lost", "output", "standby")
    imgs = {k: icon.draw(k).tobytes() for k in kinds} | {
        f"preset{i}": icon.draw("preset", i).tobytes() for i in range(1, 4)
    }
    assert len(set(imgs.values())) == len(imgs)
    img = icon.draw("privacy", size=22)
    assert img.size == (22, 22) and img.mode == "RGBA"
    with pytest.raises(ValueError, match="unknown icon kind"):
        icon.draw("sad")


# -- backend choice


def typelibs(*present):
    return lambda ns, version: ns in present


DESKTOP = {"DISPLAY": ":1", "DBUS_SESSION_BUS_ADDRESS": "unix:path=/x"}


@pytest.mark.parametrize(
    ("env", "libs", "platform", "backend", "why"),
    [
        (DESKTOP, ("Gtk", "AyatanaAppIndicator3"), "linux", "appindicator", "AppIndicator"),
        (DESKTOP, ("Gtk", "AppIndicator3"), "linux", "appindicator", "AppIndicator"),
        (DESKTOP, ("Gtk",), "linux", "gtk", "no AppIndicator typelib"),
        (DESKTOP, (), "linux", None, "PyGObject"),
        ({"DBUS_SESSION_BUS_ADDRESS": "x"}, ("Gtk",), "linux", None, "no display"),
        ({"DISPLAY": ":1"}, ("Gtk",), "linux", None, "no D-Bus session bus"),
        ({**DESKTOP, "PYSTRAY_BACKEND": "xorg"}, ("Gtk",), "linux", "gtk", ""),
        (
            {**DESKTOP, "PYSTRAY_BACKEND": "gtk"},
            ("Gtk", "AyatanaAppIndicator3"),
            "linux",
            "gtk",
            "PYSTRAY_BACKEND",
        ),
        ({}, (), "win32", "win32", ""),
        ({}, (), "darwin", "darwin", ""),
    ],
)
def test_backend_choice(env, libs, platform, backend, why):
    got, reason = choose_backend(env, platform, typelibs(*libs))
    assert got == backend
    assert why in reason


def test_the_bus_may_be_found_by_its_socket(tmp_path):
    (tmp_path / "bus").touch()
    env = {"DISPLAY": ":1", "XDG_RUNTIME_DIR": str(tmp_path)}
    assert choose_backend(env, "linux", typelibs("Gtk"))[0] == "gtk"


@pytest.mark.parametrize(("platform", "backend"), [("win32", "win32"), ("darwin", "darwin")])
def test_the_platform_defaults_to_this_os(monkeypatch, platform, backend):
    monkeypatch.setattr(sys, "platform", platform)
    assert choose_backend({}, has_typelib=typelibs())[0] == backend
    monkeypatch.setattr(sys, "platform", "linux")
    assert choose_backend({}, has_typelib=typelibs())[0] is None


def test_pystray_is_not_imported_without_a_tray():
    # pystray picks its backend at import and its xorg backend connects to X there
    code = (
        "import sys, threading, sketchd.cli, sketchd.app, sketchd.tray, sketchd.tray.model\n"
        "from sketchd.tray import start\n"
        "class C:\n"
        "    listeners = []\n"
        "assert start(C()) is None\n"
        "assert 'pystray' not in sys.modules, 'pystray imported'\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "running headless" in r.stderr and "no display" in r.stderr


class FakeAutostart:
    def __init__(self, fail: Exception | None = None):
        self.on, self.fail = False, fail

    def is_enabled(self):
        if self.fail is not None:
            raise self.fail
        return self.on

    def enable(self):
        self.on = True

    def disable(self):
        self.on = False


def test_start_at_login_that_cannot_be_told_shows_the_item_disabled():
    from sketchd.platform.autostart import AutostartError
    from sketchd.tray.actions import Actions

    a = Actions(FakeController(), autostart=FakeAutostart(AutostartError("systemctl hangs")))
    assert a.autostart_enabled() is None
    item = {i.id: i for i in model.items(view(autostart=a.autostart_enabled()))}["autostart"]
    assert not item.enabled


def test_open_config_creates_the_file_from_the_defaults(home, monkeypatch):
    from sketchd import paths
    from sketchd.platform import desktop
    from sketchd.tray import actions

    opened = []
    monkeypatch.setattr(desktop, "open_with_default_app", opened.append)
    c = FakeController()
    c.config_path = None
    a = actions.Actions(c, autostart=FakeAutostart())
    assert "Created" in a.open_config()
    assert paths.config_file().read_bytes() == paths.default_config_file().read_bytes()
    assert opened == [paths.config_file()]
    assert a.open_config() is None  # exists now: opened, not rewritten


def test_start_at_login_goes_to_the_autostart_module():
    from sketchd.tray.actions import Actions

    auto = FakeAutostart()
    a = Actions(FakeController(), autostart=auto)
    assert a.autostart_enabled() is False
    assert a.set_autostart(True) == "sketchd will start at login"
    assert auto.on and a.autostart_enabled() is True
    assert a.set_autostart(False) == "sketchd will no longer start at login"
    assert not auto.on and a.autostart_enabled() is False


def test_the_real_autostart_module_is_the_default():
    from sketchd.platform import autostart
    from sketchd.tray.actions import Actions

    a = Actions(FakeController())
    assert a.autostart is autostart
    assert callable(a.autostart.is_enabled)
    assert callable(a.autostart.enable) and callable(a.autostart.disable)


def test_on_macos_the_tray_loop_runs_on_the_callers_thread_until_stop():
    from sketchd.tray.backend import Tray

    class Controller:
        def __init__(self):
            self.listeners: list = []
            self.notices: list = []
            self.state = {"preset": "pencil", "presets": ["pencil"], "camera": "live"}

        def status(self):
            return dict(self.state)

    c = Controller()
    made, make = fake_icons()
    tray = Tray(c, "darwin", actions=FakeActions(), make_icon=make)
    assert tray.main_thread
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    assert tray.run_in_main_thread(stop) is True
    (shown,) = made
    assert shown.ran_on is threading.current_thread() and shown.stopped.is_set()
    assert c.notices == []  # stop() unhooked it again
    assert not Tray(c, "appindicator", actions=FakeActions()).main_thread


def test_standby_has_its_line_and_icon_under_privacy():
    v = view(camera="standby")
    assert model.state_line(v) == "Standby · no app is using Sketch Camera"
    assert model.icon_kind(v) == "standby" and model.items(v)[0].text == model.state_line(v)
    assert model.state_line(view(camera="standby", privacy=True)) == "Privacy · camera off"
