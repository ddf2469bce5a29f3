"""Choosing and checking the camera before anything opens (Linux device nodes faked)."""

from __future__ import annotations

import logging
import sys

import pytest

from sketchd.config.schema import CameraConfig
from sketchd.errors import CameraError
from sketchd.sources import camera


@pytest.fixture
def no_cameras(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr("sketchd.devices.cameras", lambda: [])


def test_a_named_camera_that_is_not_there_is_an_error_with_what_to_do(no_cameras):
    with pytest.raises(CameraError) as e:
        camera.check_exists(CameraConfig(device="/dev/video99"))
    text = str(e.value)
    assert "no camera at '/dev/video99'" in text
    assert "--camera" in text and "sketchd devices" in text and "--camera demo" in text


def test_auto_with_no_camera_yet_waits_for_one(no_cameras, caplog):
    with caplog.at_level(logging.WARNING):
        camera.check_exists(CameraConfig(device="auto"))  # no exception: keep running
    # the hint's sentence ends, then what happens next: no ".;" between them
    assert "or try --camera demo. Waiting for one to be plugged in." in caplog.text
    with pytest.raises(CameraError):  # and each open attempt says so, for the retry loop
        camera.CameraSource(CameraConfig(device="auto")).open()


def test_auto_mjpg_from_720p():
    assert camera.wanted_format(CameraConfig(width=1280, height=720)) == "MJPG"
    assert camera.wanted_format(CameraConfig(width=640, height=480)) == "YUYV"
    assert camera.wanted_format(CameraConfig(width=1920, height=1080, format="YUYV")) == "YUYV"
