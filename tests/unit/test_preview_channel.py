"""The preview over the real control socket: served only when asked, refused when oversized
or from another user, and nothing written to disk for it."""

from __future__ import annotations

import base64
import os
import socket
import sys

import cv2
import numpy as np
import pytest

from sketchd import control, paths
from sketchd.config.loader import parse
from sketchd.controller import Controller
from sketchd.daemon import Daemon
from sketchd.errors import UsageError
from sketchd.pipeline.preview import PreviewTap
from sketchd.sinks.memory import RecordingSink
from sketchd.sources.demo import DemoSource
from tests.helpers.wait import wait_until

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="Unix socket channel")

CONFIG = parse(paths.default_config_file().read_text())


@pytest.fixture
def served(home):
    d = Daemon(CONFIG, DemoSource(640, 360, 30), [RecordingSink(keep=2)])
    tap = PreviewTap(d.mailbox.latest, d.publisher)
    server = control.Server(Controller(CONFIG, d, preview=tap)).start()
    d.start()
    yield tap, home
    server.close()
    d.stop()


def test_a_preview_pair_over_the_socket(served):
    tap, home = served
    assert tap.served == 0  # nothing is made while nobody asks
    before = {p for p in home.rglob("*") if p.is_file()}
    wait_until(lambda: control.request("preview", width=320)["sketch"], "a published frame")
    got = control.request("preview", width=320)
    for key in ("camera", "sketch"):
        img = cv2.imdecode(np.frombuffer(base64.b64decode(got[key]), np.uint8), 1)
        assert img.shape == (180, 320, 3)
    assert {p for p in home.rglob("*") if p.is_file()} == before  # no frame on disk


def test_an_oversized_preview_is_refused(served):
    with pytest.raises(UsageError, match="preview width must be from 64 to 960 px, not 4096"):
        control.request("preview", width=4096)
    with pytest.raises(UsageError, match="'width' must be an integer"):
        control.request("preview", width="huge")
    with pytest.raises(UsageError, match="request too large"):
        control.request("preview", width=320, pad="x" * control.MAX_REQUEST)
    assert served[0].served == 0


def test_another_user_is_refused(served, monkeypatch):
    # the socket is 0600 in a 0700 folder; behind that, the peer's uid is checked: here the
    # daemon takes itself for another user than the one connecting
    monkeypatch.setattr(os, "getuid", lambda: os.geteuid() + 1)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(str(control.socket_path()))
        s.sendall(b'{"cmd": "preview", "width": 320}\n')
        reply = s.recv(4096)
    assert b"refused: another user" in reply
    assert served[0].served == 0
