"""The window's side of the preview: a reply's JPEGs made pictures, and the poller that asks
while the window is open, keeps only the newest pair and stops asking when it closes."""

from __future__ import annotations

import base64
import threading

import cv2
import numpy as np

from sketchd.control import NotRunning
from sketchd.settings.frames import Poller, pair
from tests.helpers.wait import wait_until


def reply(seq: int) -> dict:
    img = np.zeros((90, 160, 3), np.uint8)
    img[:, :80] = (0, 0, 255)
    data = base64.b64encode(cv2.imencode(".jpg", img)[1].tobytes()).decode()
    return {"camera": data, "sketch": data, "seq": seq}


def test_a_reply_becomes_two_rgb_pictures():
    p = pair(reply(3))
    assert p.seq == 3 and p.camera is not None and p.camera.size == (160, 90)
    assert p.camera.getpixel((10, 10))[0] > 200  # BGR red is RGB red
    assert pair({"camera": None, "sketch": None}).camera is None


def test_the_poller_hands_over_the_newest_pair_once_and_stops_asking():
    asked = []
    gate = threading.Event()

    def fetch() -> dict:
        asked.append(1)
        if len(asked) >= 3:
            gate.set()
        return reply(len(asked))

    poller = Poller(fetch, fps=1000).start()
    wait_until(gate.is_set, "three asks")
    poller.stop()
    n = len(asked)
    got = poller.latest()
    assert got is not None and got.seq == n  # the newest, not the first
    assert poller.latest() is None  # handed over once
    assert len(asked) == n  # stopped: no more asks


def test_a_daemon_that_went_away_is_said_and_the_asking_goes_on():
    calls = threading.Event()

    def fetch() -> dict:
        calls.set()
        raise NotRunning("sketchd is not running")

    poller = Poller(fetch, fps=1000).start()
    wait_until(lambda: poller.error == "sketchd is not running", "the error kept")
    poller.stop()
    assert poller.latest() is None
