"""The pystray adapter: the menu model on screen, clicks to the controller.

Imported only when a tray is really wanted: pystray picks and loads its backend at import time,
and its xorg backend connects to X right there. The backend is chosen first (tray/__init__.py)
and handed to pystray through PYSTRAY_BACKEND.

Threads: pystray's loop runs in the "sketchd-tray" thread, never the main one, so the main
thread keeps Python's signal handling (pystray resets SIGINT when run from the main thread).
Clicks are carried out one at a time in a worker thread so a slow snapshot never freezes the
menu; pystray's gtk/appindicator calls from other threads are queued to its loop (idle_add).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from sketchd.errors import ConfigError, SketchdError
from sketchd.platform.desktop import tray_loop_on_main_thread
from sketchd.tray import icon as icons
from sketchd.tray import model
from sketchd.tray.actions import Actions

if TYPE_CHECKING:  # at run time pystray is imported by pystray_icon only (see above)
    import pystray

log = logging.getLogger(__name__)

REFRESH = 1.0  # seconds between looks at fps and camera state
FPS_STEP = 3  # redraw the menu for an fps change of at least this much (no flicker at 29↔30)


def pystray_icon(image, title: str, items) -> pystray.Icon:
    """The tray icon: pystray's, for the backend named in PYSTRAY_BACKEND (set by the caller)."""
    import pystray

    return pystray.Icon("sketchd", image, title, pystray.Menu(items))


class Tray:
    """The tray icon and its menu over a controller: a thin view of the controller's status.

    ``make_icon(image, title, items)`` makes the icon (``items``: a callable giving the menu's
    items, asked again at every ``update_menu``); it must offer pystray's ``run(setup)``,
    ``stop()``, ``update_menu()``, ``notify()`` and its ``icon`` and ``title`` attributes."""

    def __init__(
        self,
        controller,
        backend: str,
        actions: Actions | None = None,
        make_icon: Callable[..., Any] = pystray_icon,
    ):
        self.controller = controller
        self.backend = backend
        self.actions = actions or Actions(controller)
        self._make_icon = make_icon
        self._icon: pystray.Icon | None = None
        self._view: model.View | None = None
        self._autostart: bool | None = None  # asked on start and after each change only
        self._icon_key: tuple | None = None
        self._ready = threading.Event()
        self._failed: str | None = None
        self._stop = threading.Event()
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="sketchd-tray-action")
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="sketchd-tray", daemon=True)

    # -- life
    @property
    def main_thread(self) -> bool:
        """macOS: AppKit's loop must run on the main thread (see ``run_in_main_thread``)."""
        return tray_loop_on_main_thread(self.backend)

    def start(self, timeout: float = 10.0) -> bool:
        """Show the icon from the tray thread. False (logged) when this desktop cannot."""
        self._thread.start()
        return self._connect(timeout)

    def _connect(self, timeout: float) -> bool:
        if not self._ready.wait(timeout):
            self._failed = self._failed or f"the tray did not come up within {timeout:g} s"
        if self._failed:
            log.warning("tray: %s; running without a tray icon", self._failed)
            return False
        self.controller.listeners.append(self.refresh)
        self.controller.notices.append(self.notify)
        threading.Thread(target=self._poll, name="sketchd-tray-poll", daemon=True).start()
        return True

    def run_in_main_thread(self, stop: threading.Event, timeout: float = 10.0) -> bool:
        """Run the tray loop on the calling (main) thread until ``stop`` is set. False when no
        tray could be shown: the caller then waits for ``stop`` itself.
        Not exercised by CI (which has no macOS); the Linux path is ``start``."""

        def connect() -> None:
            if self._connect(timeout):
                stop.wait()
                self.stop()

        threading.Thread(target=connect, name="sketchd-tray-connect", daemon=True).start()
        self._run()
        return self._failed is None

    def _run(self) -> None:
        os.environ["PYSTRAY_BACKEND"] = self.backend
        try:
            self._autostart = self.actions.autostart_enabled()
            self._view = self._current_view()
            self._icon = self._make_icon(
                self._image(self._view), model.tooltip(self._view), self._menu_items
            )
            log.info("tray: %s backend", self.backend)
            self._icon.run(setup=self._setup)
        except Exception as e:  # no X, no bus, a missing typelib …
            self._failed = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
            log.debug("tray: failed", exc_info=True)
        finally:
            self._ready.set()

    def _setup(self, icon) -> None:
        icon.visible = True
        self._ready.set()
        if self._view is not None:  # a virtual camera already failing at start is told too
            self._tell_output_change(None, self._view)

    def stop(self) -> None:
        self._stop.set()
        if self.refresh in self.controller.listeners:
            self.controller.listeners.remove(self.refresh)
        if self.notify in self.controller.notices:
            self.controller.notices.remove(self.notify)
        if self._icon is not None:
            try:
                self._icon.stop()
            except Exception:
                log.debug("tray: stop failed", exc_info=True)
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(2.0)
        self._worker.shutdown(wait=False, cancel_futures=True)

    # -- state → screen
    def _current_view(self) -> model.View:
        return model.view_from_status(self.controller.status(), self._autostart)

    def _image(self, v: model.View):
        index = v.presets.index(v.preset) if v.preset in v.presets else 0
        return icons.draw(model.icon_kind(v), index)

    def _menu_items(self):
        import pystray

        v = self._view or self._current_view()
        out = []
        for it in model.items(v):
            if it.kind == "separator":
                out.append(pystray.Menu.SEPARATOR)
                continue
            out.append(
                pystray.MenuItem(
                    it.text,
                    self._on_click(it.id),
                    checked=(lambda _i, c=it.checked: c) if it.kind in ("check", "radio") else None,
                    radio=it.kind == "radio",
                    enabled=it.enabled,
                    default=it.default,
                )
            )
        return out

    def refresh(self, periodic: bool = False) -> None:
        """Redraw icon, tooltip and menu if what they show changed."""
        if self._icon is None:
            return
        with self._lock:
            v = self._current_view()
            old = self._view
            if old is not None and periodic:
                same_but_fps = v == model.View(**{**vars(old), "fps": v.fps})
                if same_but_fps and abs(v.fps - old.fps) < FPS_STEP:
                    return
            if v == old:
                return
            self._view = v
            self._tell_output_change(old, v)
            key = (model.icon_kind(v), v.preset)
            if key != self._icon_key:
                self._icon_key = key
                self._icon.icon = self._image(v)
            self._icon.title = model.tooltip(v)
            self._icon.update_menu()

    def _tell_output_change(self, old: model.View | None, v: model.View) -> None:
        """A notification when the virtual camera stops taking frames and when it is back:
        the call app shows nothing then, and the person in the call would not know why."""
        was = bool(old and old.output_error)
        if v.output_error and not was:
            self.notify("Virtual camera unavailable", v.output_error)
        elif was and not v.output_error:
            self.notify("Virtual camera back", "sketchd is publishing again")

    def _poll(self) -> None:
        while not self._stop.wait(REFRESH):
            try:
                self.refresh(periodic=True)
            except Exception:
                log.exception("tray: refresh failed")

    # -- clicks
    def _on_click(self, item_id: str):
        def action(_icon, _item) -> None:
            self._worker.submit(self._activate, item_id)

        return action

    def _activate(self, item_id: str) -> None:
        log.info("tray: %s", item_id)
        try:
            view = self._view
            assert view is not None  # _run makes the view before the icon, so before any click
            message = model.activate(item_id, self.controller, view, self.actions)
        except ConfigError:
            return  # the reload already logged every problem and showed the first
        except SketchdError as e:
            log.warning("tray: %s: %s", item_id, e)
            message = str(e)
        except Exception as e:
            log.exception("tray: %s failed", item_id)
            message = f"{item_id} failed: {e}"
        if item_id == "autostart":
            self._autostart = self.actions.autostart_enabled()
            self.refresh()
        if message:
            self.notify("sketchd", message)

    def notify(self, title: str, message: str) -> None:
        """A desktop notification; never fatal (no notification daemon is common)."""
        log.info("notification: %s: %s", title, message)
        icon = self._icon
        if icon is None or not getattr(icon, "HAS_NOTIFICATION", False):
            return
        try:
            icon.notify(message, title)
        except Exception as e:
            log.warning("tray: notification failed (%s): %s", e, message)
