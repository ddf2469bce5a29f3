"""`sketchd preview`: the camera and its sketch side by side in one window.

q or Esc quits, s saves a snapshot, 1-9 switch presets. Uses the same capture thread and
processing as the daemon, so what you see is what the call sees. The window is Tk's (with
Pillow's ImageTk): OpenCV here is the headless build, which has no windows and needs no libGL.
"""

from __future__ import annotations

import logging
import threading

import cv2
import numpy as np

from sketchd import snapshots
from sketchd.config.schema import Config
from sketchd.errors import SketchdError
from sketchd.pipeline.capture import Capture
from sketchd.pipeline.engine import process
from sketchd.pipeline.frames import DecodeError, decode, fit
from sketchd.pipeline.mailbox import Mailbox
from sketchd.pipeline.state import Stats
from sketchd.platform import is_linux
from sketchd.presets import settings_for
from sketchd.sources import make_source

log = logging.getLogger(__name__)
WINDOW = "sketchd preview - q quits, s saves, 1-9 switch presets"


def side_by_side(original: np.ndarray, sketch: np.ndarray, height: int = 480) -> np.ndarray:
    """Original | sketch, both BGR at ``height`` px high."""
    panels = []
    for img in (original, sketch):
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR) if img.ndim == 2 else img
        h, w = img.shape[:2]
        panels.append(fit(img, max(1, round(w * height / h)), height))
    return np.hstack(panels)


def key_action(char: str, presets: int) -> str | int | None:
    """What a key press in the window asks for: "quit", "save", a preset index, or None."""
    if char in ("q", "Q", "\x1b"):
        return "quit"
    if char in ("s", "S"):
        return "save"
    if len(char) == 1 and "1" <= char <= "9" and int(char) <= presets:
        return int(char) - 1
    return None


def _tk():
    """tkinter and Pillow's bridge to it, or a SketchdError naming what to install."""
    try:
        import tkinter

        from PIL import ImageTk
    except ImportError as e:
        fix = "sudo apt install python3-tk" if is_linux() else "a Python built with Tk (tkinter)"
        raise SketchdError(f"the preview window needs Tk, which this Python lacks: {fix}") from e
    return tkinter, ImageTk


def run_preview(config: Config) -> int:
    if is_linux():
        from sketchd.platform.linux.desktop import NO_DISPLAY, has_display

        if not has_display():
            raise SketchdError(f"preview needs a display: {NO_DISPLAY}")
    tkinter, image_tk = _tk()
    from PIL import Image

    names = list(config.presets)
    settings = settings_for(config, config.preset)
    stop = threading.Event()
    mailbox: Mailbox = Mailbox()
    capture = Capture(make_source(config.camera), mailbox, stop, Stats())
    try:
        root = tkinter.Tk(className="sketchd")
    except tkinter.TclError as e:
        raise SketchdError(f"preview cannot open a window: {e}") from e
    root.title(WINDOW)
    label = tkinter.Label(root, background="black")
    label.pack(fill="both", expand=True)
    latest: dict = {"version": 0, "frame": None, "photo": None}

    def show() -> None:  # the Tk thread polls the mailbox: Tk must only be touched here
        frame, version = mailbox.latest()
        if frame is not None and version != latest["version"]:
            latest["version"], latest["frame"] = version, frame
            try:
                view = side_by_side(decode(frame, gray=False), process(frame, settings))
            except DecodeError:
                view = None
            if view is not None:
                rgb = Image.fromarray(cv2.cvtColor(view, cv2.COLOR_BGR2RGB))
                latest["photo"] = image_tk.PhotoImage(rgb, master=root)  # keep a reference
                label.configure(image=latest["photo"])
        root.after(10, show)

    def on_key(event) -> None:
        nonlocal settings
        action = key_action(event.char, len(names))
        if action == "quit":
            root.destroy()
        elif action == "save" and latest["frame"] is not None:
            path = snapshots.save(process(latest["frame"], settings), config.snapshots.folder)
            log.info("snapshot: %s", path)
        elif isinstance(action, int):
            settings = settings_for(config, names[action])
            log.info("preset: %s", settings.preset)

    root.bind("<Key>", on_key)
    capture.start()
    try:
        root.after(0, show)
        root.mainloop()
    finally:
        stop.set()
        capture.join(1.0)
    return 0
