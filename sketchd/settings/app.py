"""`sketchd settings` (and `sketchd preview`): the settings window of the running daemon.

It needs the daemon (one line says how to start it when none runs), a display and Tk; it
opens no camera and writes no frame: the pictures come over the control channel. A second call
brings the first window to the front instead of opening another.
"""

from __future__ import annotations

import logging
import threading

from sketchd import control
from sketchd.errors import SketchdError
from sketchd.platform import is_linux
from sketchd.settings.model import SettingsModel
from sketchd.settings.single import Single, socket_path

log = logging.getLogger(__name__)

NOT_RUNNING = "sketchd is not running, so there is nothing to set: start it with `sketchd run`"


def _tk():
    """tkinter, or a SketchdError naming what to install."""
    try:
        import tkinter

        from PIL import ImageTk  # noqa: F401  # the window needs Pillow's Tk bridge too
    except ImportError as e:
        fix = "sudo apt install python3-tk" if is_linux() else "a Python built with Tk (tkinter)"
        raise SketchdError(f"the settings window needs Tk, which this Python lacks: {fix}") from e
    return tkinter


def run_settings() -> int:
    model = SettingsModel(control.request)
    try:
        model.refresh()
    except control.NotRunning:
        raise SketchdError(NOT_RUNNING) from None
    if is_linux():
        from sketchd.platform.linux.desktop import NO_DISPLAY, has_display

        if not has_display():
            raise SketchdError(f"the settings window needs a display: {NO_DISPLAY}")
    tkinter = _tk()
    single = Single(socket_path())
    if not single.claim():
        print("sketchd: the settings window is already open; brought it to the front")
        return 0
    from sketchd.settings.view import SettingsWindow

    try:
        try:
            root = tkinter.Tk(className="sketchd")
        except tkinter.TclError as e:
            raise SketchdError(f"the settings window cannot open: {e}") from e
        window = SettingsWindow(root, model)
        asked = threading.Event()  # set by the single-instance thread; Tk is touched only here
        single.serve(asked.set)

        def check() -> None:
            if asked.is_set():
                asked.clear()
                window.raise_window()
            root.after(200, check)

        root.after(200, check)
        log.info("settings: window open")
        window.run()
    finally:
        single.close()
    return 0
