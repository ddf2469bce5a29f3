"""The settings window, drawn with Tk/ttk in the Sun Valley theme (sv-ttk): a thin view of
model.py. Every click calls the model; the model talks to the daemon.

    ┌ presets ┐┌ camera │ sketch (the daemon's own frames) ──────────────┐
    │ Pencil  ││                                                        │
    │ Ink …   │├ chain: step cards, controls generated from the registry ┤
    │ toggles ││ + Add step · Revert · Save as new preset… · Save        │
    └─────────┘└ camera and output in use, fps, the last message ───────┘
"""

from __future__ import annotations

import functools
import logging
import tkinter as tk
from pathlib import Path
from tkinter import simpledialog, ttk
from typing import Any

from PIL import Image, ImageTk

from sketchd.errors import SketchdError
from sketchd.settings.controls import filter_names
from sketchd.settings.frames import Pair, Poller
from sketchd.settings.model import SettingsModel
from sketchd.settings.widgets import StepCard, Tooltip

log = logging.getLogger(__name__)

TITLE = "sketchd settings"
PREVIEW_MAX = 480  # px per panel asked of the daemon
CARD_W = 320  # px a step's card takes, its gap included
INFO_EVERY_MS = 1000
FRAME_EVERY_MS = 40


def _title(name: str) -> str:
    return name.replace("_", " ").capitalize()


class SettingsWindow:
    def __init__(self, root: tk.Tk, model: SettingsModel, poller_fps: float = 15.0):
        self.root, self.model = root, model
        root.title(TITLE)
        sw, sh = root.winfo_screenwidth(), root.winfo_screenheight()
        w, h = min(1240, sw - 40), min(760, sh - 70)
        root.geometry(f"{w}x{h}+{(sw - w) // 2}+{max(0, (sh - h) // 2 - 10)}")
        root.minsize(900, 600)
        self._style()
        self.panel_w = PREVIEW_MAX
        self._photos: dict[str, Any] = {}
        self._build()
        self.poller = Poller(lambda: model.preview(self.panel_w), poller_fps)
        root.bind("<Control-w>", lambda _e: self.close())
        root.bind("<Control-s>", lambda _e: self.save())
        root.protocol("WM_DELETE_WINDOW", self.close)

    # -- look
    def _style(self) -> None:
        try:
            import sv_ttk

            sv_ttk.set_theme("light", self.root)
        except Exception as e:  # the window still works in ttk's own theme
            log.warning("settings: the Sun Valley theme did not load (%s)", e)
        s = ttk.Style(self.root)
        base = ("Segoe UI", "Cantarell", "Noto Sans", "DejaVu Sans")
        family = next(
            (f for f in base if f in self.root.tk.call("font", "families")), "TkDefaultFont"
        )
        s.configure("Head.TLabel", font=(family, 15, "bold"))
        s.configure("Section.TLabel", font=(family, 10, "bold"), foreground="#5f5f5f")
        s.configure("Step.TLabel", font=(family, 10, "bold"))
        s.configure("Dim.TLabel", foreground="#6b6b6b")
        s.configure("Caption.TLabel", foreground="#5f5f5f")
        s.configure("Tip.TLabel", background="#fbfbfb", relief="solid", borderwidth=1)
        s.configure("Preset.Toggle.TButton", anchor="w", padding=(12, 6))

    # -- layout
    def _build(self) -> None:
        root = self.root
        self.status = ttk.Label(root, padding=(16, 6, 16, 8), style="Dim.TLabel", anchor="w")
        self.status.pack(fill="x", side="bottom")
        ttk.Separator(root).pack(fill="x", side="bottom")
        outer = ttk.Frame(root, padding=(16, 12))
        outer.pack(fill="both", expand=True)
        side = ttk.Frame(outer, width=210)
        side.pack(side="left", fill="y", padx=(0, 16))
        ttk.Label(side, text="sketchd", style="Head.TLabel").pack(anchor="w")
        ttk.Label(side, text="Sketch Camera settings", style="Dim.TLabel").pack(
            anchor="w", pady=(0, 14)
        )
        ttk.Label(side, text="PRESETS", style="Section.TLabel").pack(anchor="w", pady=(0, 4))
        self.presets = ttk.Frame(side)
        self.presets.pack(fill="x")
        self.preset_var = tk.StringVar()

        main = ttk.Frame(outer)
        main.pack(side="left", fill="both", expand=True)
        tools = ttk.Frame(main)
        tools.pack(fill="x", pady=(0, 10))
        snap = ttk.Button(tools, text="Snapshot", command=self.snapshot)
        snap.pack(side="right")
        Tooltip(snap, "Save the picture going out now as a PNG")
        self.toggles: dict[str, tk.BooleanVar] = {}
        for key, text, tip in (
            ("bypass", "Bypass", "The camera unfiltered"),
            ("privacy", "Privacy", "A 'camera off' card; the virtual camera stays open"),
            ("mirror", "Mirror", "Flip what the call sees left-right"),
        ):
            var = self.toggles[key] = tk.BooleanVar()
            box = ttk.Checkbutton(tools, text=text, variable=var, style="Switch.TCheckbutton",
                                  command=functools.partial(self._toggle, key))  # fmt: skip
            box.pack(side="left", padx=(0, 18))
            Tooltip(box, tip)
        view = ttk.Frame(main)
        view.pack(fill="x")
        self.canvas: dict[str, tk.Label] = {}
        for i, (key, caption) in enumerate(
            (("camera", "Camera"), ("sketch", "Sketch Camera · what the call sees"))
        ):
            col = ttk.Frame(view)
            col.grid(row=0, column=i, sticky="nw", padx=(0, 12) if i == 0 else 0)
            ttk.Label(col, text=caption, style="Caption.TLabel").pack(anchor="w", pady=(0, 4))
            label = tk.Label(col, background="#1f1f1f", width=1, height=1, borderwidth=0)
            label.pack(anchor="w")
            self.canvas[key] = label
        self._size_panels(self.root.winfo_reqwidth())
        main.bind("<Configure>", lambda e: self._size_panels(e.width))

        bar = ttk.Frame(main)
        bar.pack(fill="x", pady=(14, 8))
        self.chain_title = ttk.Label(bar, style="Step.TLabel")
        self.chain_title.pack(side="left")
        self.save_btn = ttk.Button(bar, text="Save", style="Accent.TButton", command=self.save)
        self.save_btn.pack(side="right")
        Tooltip(self.save_btn, "Write the changed presets into your config file (comments kept)")
        ttk.Button(bar, text="Save as new preset…", command=self.save_as).pack(side="right", padx=6)
        self.revert_btn = ttk.Button(bar, text="Revert", command=self.revert)
        self.revert_btn.pack(side="right")
        Tooltip(self.revert_btn, "Drop the changes not saved yet")
        self.add_var = tk.StringVar(value="+ Add step")
        add = ttk.Combobox(
            bar, textvariable=self.add_var, values=filter_names(), state="readonly", width=16
        )
        add.pack(side="right", padx=(0, 12))
        add.bind("<<ComboboxSelected>>", lambda _e: self._add(self.add_var.get()))
        Tooltip(add, "Add a filter at the end of the chain")

        holder = ttk.Frame(main)
        holder.pack(fill="both", expand=True)
        self.steps_canvas = tk.Canvas(holder, highlightthickness=0, borderwidth=0, height=200)
        self.scroll = ttk.Scrollbar(holder, orient="vertical", command=self.steps_canvas.yview)
        self.steps_canvas.configure(
            yscrollcommand=self.scroll.set,
            background=ttk.Style().lookup(".", "background") or "#fafafa",
        )
        self.steps_canvas.pack(side="left", fill="both", expand=True)
        self.steps = ttk.Frame(self.steps_canvas)
        self._steps_item = self.steps_canvas.create_window((0, 0), window=self.steps, anchor="nw")
        self._columns = 0
        self.steps.bind("<Configure>", lambda _e: self._scrollable())
        self.steps_canvas.bind("<Configure>", self._resized)
        for wheel, units in (("<Button-4>", -1), ("<Button-5>", 1)):  # X11's wheel
            self.root.bind_all(wheel, functools.partial(self._wheel, units), add="+")
        self.root.bind_all("<MouseWheel>", lambda e: self._wheel(-1 if e.delta > 0 else 1, e))

    def _wheel(self, units: int, _event=None) -> None:
        if self.scroll.winfo_ismapped():
            self.steps_canvas.yview_scroll(units, "units")

    def _resized(self, event) -> None:
        """Cards wrap to as many columns as fit; a new count lays them out again."""
        self.steps_canvas.itemconfigure(self._steps_item, width=event.width)
        if max(1, event.width // CARD_W) != self._columns:
            self._redraw_chain()
        self._scrollable()

    def _scrollable(self) -> None:
        """The scroll bar only while the steps are taller than the room they have."""
        c = self.steps_canvas
        c.configure(scrollregion=c.bbox("all"))
        if self.steps.winfo_reqheight() > c.winfo_height() > 1:
            self.scroll.pack(side="right", fill="y", before=c)
        else:
            self.scroll.pack_forget()
            c.yview_moveto(0)

    def _size_panels(self, width: int) -> None:
        w = max(160, min(PREVIEW_MAX, (width - 12) // 2))
        self.panel_w = w
        h = w * 9 // 16
        for label in self.canvas.values():
            label.configure(width=w, height=h)

    # -- drawing the model
    def redraw(self) -> None:
        m, info = self.model, self.model.info
        for child in self.presets.winfo_children():
            child.destroy()
        self.preset_var.set(info.preset)
        for name in m.names:
            text = _title(name) + ("  •" if name in m.edited else "")
            b = ttk.Radiobutton(
                self.presets,
                text=text,
                value=name,
                variable=self.preset_var,
                style="Toggle.TButton",
                command=functools.partial(self._select, name),
            )
            b.pack(fill="x", pady=1)
            desc = next((p["description"] for p in info.presets if p["name"] == name), "")
            if desc:
                Tooltip(b, desc)
        for key, var in self.toggles.items():
            var.set(getattr(info, key))
        self._redraw_chain()
        self._redraw_status()

    def _redraw_chain(self) -> None:
        m = self.model
        for child in self.steps.winfo_children():
            child.destroy()
        edited = " · not saved" if m.info.preset in m.edited else ""
        self.chain_title.configure(text=f"{_title(m.info.preset)}: {len(m.chain)} steps{edited}")
        for i in range(self.steps.grid_size()[0]):
            self.steps.grid_columnconfigure(i, minsize=0, weight=0)
        self._columns = cols = max(1, self.steps_canvas.winfo_width() // CARD_W)
        for i, step in enumerate(m.chain):
            card = StepCard(
                self.steps, i, step,
                on_change=functools.partial(self._change, i),
                on_move=functools.partial(self._do, m.move_step, i),
                on_remove=functools.partial(self._do, m.remove_step, i),
                last=i == len(m.chain) - 1,
            )  # fmt: skip
            card.grid(row=i // cols, column=i % cols, sticky="nsew", padx=(0, 10), pady=(0, 10))
        for i in range(min(cols, len(m.chain))):
            self.steps.grid_columnconfigure(i, minsize=CARD_W - 10, weight=1)
        for b in (self.save_btn, self.revert_btn):
            b.state(["!disabled"] if m.dirty else ["disabled"])

    def _redraw_status(self) -> None:
        info, m = self.model.info, self.model
        cam = (info.camera_desc or "starting").split(" (")[0]
        where = str(m.config_file).replace(str(Path.home()), "~", 1)
        state = {
            "live": "● Live",
            "standby": "Standby",
            "lost": "Camera lost",
            "starting": "Starting",
        }
        text = "  ·  ".join(
            (
                state.get(info.camera, info.camera),
                f"Camera {cam}",
                f"Sketch Camera {info.output} at {info.fps:g} fps",
                where,
            )
        )
        if self.poller.error:
            text = self.poller.error
        if m.message:
            text += "   —   " + m.message.replace(str(Path.home()), "~")
        self.status.configure(text=text)

    # -- actions (each: the model, then a redraw)
    def _do(self, action, *args) -> Any:
        try:
            result = action(*args)
        except SketchdError as e:
            self.model.message = str(e)
            result = None
        self.redraw()
        return result

    def _select(self, name: str) -> None:
        self._do(self.model.select, name)

    def _toggle(self, key: str) -> None:
        self._do(self.model.toggle, key, self.toggles[key].get())

    def _change(self, index: int, param: str, value: Any) -> None:
        first = self.model.info.preset not in self.model.edited
        if self.model.set_param(index, param, value) and not first:
            self._redraw_status()  # the slider already shows it: leave the cards alone
        else:
            self.redraw()  # newly marked as edited, or refused: the controls show what runs

    def _add(self, name: str) -> None:
        self.add_var.set("+ Add step")
        if name in filter_names():
            self._do(self.model.add_step, name)

    def snapshot(self) -> None:
        self._do(self.model.snapshot)

    def save(self) -> None:
        if self.model.dirty:
            self._do(self.model.save)

    def save_as(self) -> None:
        name = simpledialog.askstring(
            "Save as new preset", "Name of the new preset:", parent=self.root
        )
        if name:
            self._do(self.model.save_as, name.strip().replace(" ", "_").lower())

    def revert(self) -> None:
        self._do(self.model.revert)

    # -- the loop
    def _frames(self) -> None:
        got = self.poller.latest()
        if got is not None:
            self._show(got)
        self.root.after(FRAME_EVERY_MS, self._frames)

    def _show(self, pair: Pair) -> None:
        for key in ("camera", "sketch"):
            img: Image.Image | None = getattr(pair, key)
            if img is None:
                continue
            photo = ImageTk.PhotoImage(img, master=self.root)
            self._photos[key] = photo  # Tk keeps no reference of its own
            self.canvas[key].configure(image=photo, width=img.width, height=img.height)

    def _info(self) -> None:
        try:
            before = (self.model.info.preset, [p["name"] for p in self.model.info.presets])
            chain = self.model.chain
            self.model.refresh()
            after = (self.model.info.preset, [p["name"] for p in self.model.info.presets])
            if before != after or chain != self.model.chain:
                self.redraw()  # changed from elsewhere: the tray, the CLI, a reload
            else:
                self._redraw_status()
        except SketchdError as e:
            self.status.configure(text=str(e))
        self.root.after(INFO_EVERY_MS, self._info)

    def raise_window(self) -> None:
        """Bring the window to the front (a second `sketchd settings`); call in the Tk thread."""
        self.root.deiconify()
        self.root.lift()
        self.root.attributes("-topmost", True)
        self.root.after(200, lambda: self.root.attributes("-topmost", False))
        self.root.focus_force()

    def run(self) -> None:
        self.redraw()
        self.poller.start()
        self.root.after(0, self._frames)
        self.root.after(INFO_EVERY_MS, self._info)
        self.root.mainloop()

    def close(self) -> None:
        self.poller.stop()
        self.root.destroy()
