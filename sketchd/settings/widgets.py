"""The Tk widgets of the settings window that know nothing of the daemon: a tooltip, and a
chain step's card with one control per parameter, drawn from controls.py's description."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from sketchd.settings.controls import CHECKBOX, DROPDOWN, SLIDER, Control, controls, filter_help

LABEL_CHARS = 13  # a parameter's name column ("Edge block size" wraps to a tooltip at worst)


class Tooltip:
    """``text`` in a small borderless window under ``widget`` while the pointer rests on it."""

    DELAY_MS = 500

    def __init__(self, widget: tk.Misc, text: str):
        self.widget, self.text = widget, text
        self._tip: tk.Toplevel | None = None
        self._job: str | None = None
        widget.bind("<Enter>", self._schedule, add="+")
        widget.bind("<Leave>", self._hide, add="+")
        widget.bind("<ButtonPress>", self._hide, add="+")

    def _schedule(self, _event=None) -> None:
        self._job = self.widget.after(self.DELAY_MS, self._show)

    def _show(self) -> None:
        x = self.widget.winfo_rootx() + 8
        y = self.widget.winfo_rooty() + self.widget.winfo_height() + 4
        self._tip = tip = tk.Toplevel(self.widget)
        tip.wm_title("tooltip")
        tip.wm_overrideredirect(True)
        tip.wm_geometry(f"+{x}+{y}")
        ttk.Label(tip, text=self.text, padding=(8, 4), wraplength=320, style="Tip.TLabel").pack()

    def _hide(self, _event=None) -> None:
        if self._job is not None:
            self.widget.after_cancel(self._job)
            self._job = None
        if self._tip is not None:
            self._tip.destroy()
            self._tip = None


def _show(c: Control, value: Any) -> str:
    if c.integer:
        return str(int(value))
    return f"{value:.{max(0, len(repr(c.step).split('.')[-1]) if c.step < 1 else 0)}f}"


class StepCard(ttk.Frame):
    """One step of the chain: its title with move/remove buttons, then a control per
    parameter. ``on_change(param, value)`` is called with a value the parameter accepts;
    ``on_move(delta)`` and ``on_remove()`` for the buttons."""

    def __init__(
        self,
        master: tk.Misc,
        index: int,
        step: dict[str, Any],
        on_change: Callable[[str, Any], None],
        on_move: Callable[[int], None],
        on_remove: Callable[[], None],
        last: bool,
    ):
        super().__init__(master, style="Card.TFrame", padding=(14, 10))
        self._on_change = on_change
        name = step["filter"]
        head = ttk.Frame(self)
        head.pack(fill="x", pady=(0, 6))
        title = ttk.Label(head, text=f"{index + 1}  {name.replace('_', ' ').capitalize()}",
                          style="Step.TLabel")  # fmt: skip
        title.pack(side="left")
        Tooltip(title, filter_help(name))
        remove = ttk.Button(head, text="✕", width=2, command=on_remove)
        remove.pack(side="right")
        Tooltip(remove, "Remove this step")
        down = ttk.Button(head, text="→", width=2, command=lambda: on_move(1))
        down.pack(side="right", padx=(0, 4))
        Tooltip(down, "Move later in the chain")
        up = ttk.Button(head, text="←", width=2, command=lambda: on_move(-1))
        up.pack(side="right", padx=(0, 4))
        Tooltip(up, "Move earlier in the chain")
        if index == 0:
            up.state(["disabled"])
        if last:
            down.state(["disabled"])
        self.sliders: dict[str, ttk.Scale] = {}
        params = step["params"]
        cs = controls(name)
        if not cs:
            ttk.Label(self, text="No settings", style="Dim.TLabel").pack(anchor="w")
        for c in cs:
            self._control(c, params.get(c.param, c.default))

    def _control(self, c: Control, value: Any) -> None:
        row = ttk.Frame(self)
        row.pack(fill="x", pady=2)
        if c.kind == CHECKBOX:
            var = tk.BooleanVar(value=bool(value))
            box = ttk.Checkbutton(row, text=c.label, variable=var,
                                  command=lambda: self._on_change(c.param, var.get()))  # fmt: skip
            box.pack(anchor="w")
            Tooltip(box, c.tooltip)
            return
        # one line per parameter: its name, its control, its value
        label = ttk.Label(row, text=c.label, width=LABEL_CHARS)
        label.pack(side="left")
        Tooltip(label, c.tooltip)
        if c.kind == SLIDER:
            shown = ttk.Label(row, text=_show(c, value), width=5, anchor="e")
            shown.pack(side="right")
            scale = ttk.Scale(row, from_=c.low, to=c.high, value=float(value))
            scale.pack(side="left", fill="x", expand=True, padx=(0, 6))
            Tooltip(scale, c.tooltip)
            self.sliders[c.param] = scale
            state = {"value": value, "job": None}

            def moved(raw: str) -> None:
                v = c.snap(float(raw))
                shown.configure(text=_show(c, v))
                if v != state["value"]:
                    state["value"] = v
                    if state["job"] is None:  # at most one change every 100 ms while dragging
                        state["job"] = scale.after(100, send)

            def send() -> None:
                state["job"] = None
                self._on_change(c.param, state["value"])

            scale.configure(command=moved)
        elif c.kind == DROPDOWN:
            choice = tk.StringVar(value=str(value))
            drop = ttk.Combobox(
                row, values=c.choices, textvariable=choice, state="readonly", width=12
            )
            drop.pack(side="left", fill="x", expand=True)
            drop.bind("<<ComboboxSelected>>", lambda _e: self._on_change(c.param, choice.get()))
            Tooltip(drop, c.tooltip)
        else:
            text = tk.StringVar(value=value if isinstance(value, str) else str(value))
            entry = ttk.Entry(row, textvariable=text, width=12)
            entry.pack(side="left", fill="x", expand=True)
            done = lambda _e: self._on_change(c.param, c.parse(text.get()))  # noqa: E731
            entry.bind("<Return>", done)
            entry.bind("<FocusOut>", done)
            Tooltip(entry, c.tooltip)
