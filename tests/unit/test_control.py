"""The control channel on a real Unix socket: user-only, JSON lines, and no request — garbage,
too large, half-sent, or from a client that vanishes — stops the daemon or its serving."""

from __future__ import annotations

import ast
import json
import os
import socket
import stat
import sys
import threading
from pathlib import Path

import pytest

from sketchd import control, paths
from sketchd.config.loader import parse
from sketchd.controller import Controller
from sketchd.daemon import Daemon
from sketchd.errors import SketchdError, UsageError
from sketchd.sinks.memory import RecordingSink
from sketchd.sources.demo import DemoSource
from tests.helpers.wait import wait_until

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="Unix socket channel")

CONFIG = parse(paths.default_config_file().read_text())


@pytest.fixture
def daemon(home):
    d = Daemon(CONFIG, DemoSource(160, 120, 30), [RecordingSink(keep=2)])
    d.start()
    yield d
    d.stop()


@pytest.fixture
def controller(daemon):
    return Controller(CONFIG, daemon)


@pytest.fixture
def start_server(controller):
    """Start a server for the daemon, with the options given (a short ``timeout``, say); all
    are closed at the end. One per test: they share the socket path."""
    started: list[control.Server] = []

    def start(**options) -> control.Server:
        started.append(control.Server(controller, **options).start())
        return started[-1]

    yield start
    for s in started:
        s.close()


@pytest.fixture
def server(start_server):
    return start_server()


def raw(data: bytes, *, shut: bool = True, timeout: float = 5.0) -> dict:
    """Send raw bytes; return the reply line as JSON."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(control.socket_path()))
        try:
            s.sendall(data)
            if shut:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading (too large): its reply is still there
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
    return json.loads(reply)


def assert_still_serving(daemon) -> None:
    n = daemon.stats.published
    assert control.request("status")["preset"] == daemon.publisher.settings.preset
    assert not daemon.stop_event.is_set()
    wait_until(lambda: daemon.stats.published > n, "frames keep flowing")


def test_the_folder_is_0700_and_the_socket_0600(server):
    assert stat.S_IMODE(control.socket_path().parent.stat().st_mode) == 0o700
    st = control.socket_path().stat()
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o600


def test_a_loose_runtime_folder_is_tightened(home):
    d = paths.runtime_dir()
    d.mkdir(parents=True)
    d.chmod(0o755)
    control.runtime_dir()
    assert stat.S_IMODE(d.stat().st_mode) == 0o700


def test_commands_reach_the_controller(server, daemon, controller):
    assert control.request("preset", name="ink")["preset"] == "ink"
    assert controller.settings.preset == "ink"
    assert control.request("next")["preset"] == list(CONFIG.presets)[4]
    assert control.request("bypass", on=True)["bypass"] is True
    assert control.request("privacy", on="on")["privacy"] is True
    assert control.request("mirror", on=False)["mirror"] is False
    st = control.request("status")
    assert st["pid"] == os.getpid() and st["log"].endswith("sketchd.log")
    assert {"preset", "fps", "camera", "published", "uptime"} <= set(st)
    wait_until(lambda: daemon.publisher.last_published is not None, "a frame")
    assert control.request("snapshot")["path"].endswith(".png")


def test_a_refused_command_is_an_error_reply_with_the_reason(server):
    with pytest.raises(UsageError, match=r"no preset named 'nope'; known.*: pencil"):
        control.request("preset", name="nope")
    with pytest.raises(UsageError, match="'on' must be true/false"):
        control.request("bypass", on="maybe")
    with pytest.raises(UsageError, match="unknown command 'dance'"):
        control.request("dance")


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"\xff\xfe garbage\n", "not a JSON line"),
        (b"{not json\n", "not a JSON line"),
        (b"[1, 2]\n", "expected a JSON object"),
        (b'{"cmd": 5}\n', "expected a JSON object"),
        (b'{"cmd": "preset", "name": ["x"]}\n', "'name' must be a string"),
        (b"\n", "not a JSON line"),
        (b"", "empty request"),
        (b'{"cmd": "status"}', None),  # no newline, but the client closed its side: complete
    ],
)
def test_malformed_requests_get_error_replies(server, daemon, data, error):
    reply = raw(data)
    if error is None:
        assert reply["ok"] is True
    else:
        assert reply["ok"] is False and error in reply["error"]
    assert_still_serving(daemon)


def test_an_oversized_request_is_refused(server, daemon):
    reply = raw(b'{"cmd": "status", "pad": "' + b"x" * (control.MAX_REQUEST * 4) + b'"}\n')
    assert reply == {"ok": False, "error": f"request too large (limit {control.MAX_REQUEST} bytes)"}
    assert_still_serving(daemon)


def test_a_half_sent_request_times_out_with_an_error_reply(start_server, daemon):
    start_server(timeout=0.3)
    # the server's timeout, not the client's (5 s, which raises), ends the wait
    reply = raw(b'{"cmd": "sta', shut=False, timeout=5.0)
    assert reply == {"ok": False, "error": "incomplete request: no newline within 0.3 s"}
    assert raw(b"", shut=False)["error"] == "no request within 0.3 s"
    assert_still_serving(daemon)


def test_clients_that_vanish_and_many_at_once(start_server, daemon):
    start_server(timeout=0.5)  # a silent client holds its slot this long
    for _ in range(20):  # connect and go away at once
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(str(control.socket_path()))
    silent = []
    for _ in range(control.MAX_CLIENTS + 4):  # more silent clients than slots
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(str(control.socket_path()))
        silent.append(s)
    replies: list = []

    def ask():
        replies.append(control.request("status")["preset"])

    threads = [threading.Thread(target=ask) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    for s in silent:
        s.close()
    assert replies == ["pencil"] * 16
    assert_still_serving(daemon)


def test_quit_over_the_channel_stops_the_daemon(server, daemon):
    control.request("quit")
    assert daemon.stop_event.wait(10)


def test_no_daemon_is_a_clear_error(home):
    with pytest.raises(control.NotRunning, match="sketchd is not running"):
        control.request("status")
    # a socket file left by a killed daemon: nobody listens
    control.runtime_dir()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.bind(str(control.socket_path()))
    with pytest.raises(control.NotRunning):
        control.request("status")


def test_a_stale_socket_file_is_replaced(start_server):
    control.runtime_dir()
    control.socket_path().write_text("left over")
    s = start_server()
    assert control.request("ping")["pid"] == os.getpid()
    s.close()
    assert not control.socket_path().exists()


def test_a_socket_path_too_long_is_a_clear_error(controller, tmp_path):
    long = tmp_path / ("x" * 120) / "control.sock"
    with pytest.raises(SketchdError, match="too long for a Unix socket"):
        control.Server(controller, long).start()


def test_one_instance_lock(home):
    first = control.InstanceLock().acquire()
    try:
        with pytest.raises(control.AlreadyRunning, match=rf"already running \(pid {os.getpid()}\)"):
            control.InstanceLock().acquire()
    finally:
        first.release()
    with control.InstanceLock():  # free again
        pass


def test_the_transport_is_chosen_by_the_platform(monkeypatch):
    from sketchd.control import unix, windows

    monkeypatch.setattr(control, "is_windows", lambda: True)
    assert control.choose_transport() is windows
    monkeypatch.setattr(control, "is_windows", lambda: False)
    assert control.choose_transport() is unix


def _imports(module: str) -> set[str]:
    """The modules ``sketchd/control/<module>.py`` imports (``from a import b``: a.b when b is
    a module of this package)."""
    tree = ast.parse(Path(control.__file__).with_name(f"{module}.py").read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module == "sketchd.control":
            found |= {f"sketchd.control.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize(
    ("module", "may_use"),
    [
        ("protocol", set()),
        ("runtime", set()),
        ("lock", {"runtime"}),
        ("unix", {"protocol", "runtime"}),
        ("windows", {"protocol"}),
    ],
)
def test_no_module_of_the_package_imports_a_transport_or_the_package(module, may_use):
    own = {m for m in _imports(module) if m.startswith("sketchd.control")}
    assert own <= {f"sketchd.control.{m}" for m in may_use}
    if module == "protocol":  # no sockets, no pipes, no OS
        assert not _imports(module) & {"socket", "multiprocessing.connection", "sketchd.platform"}
