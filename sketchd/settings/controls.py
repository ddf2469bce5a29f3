"""Each filter parameter as a control, generated from the registry's typed Params: a new filter
gets its controls with no GUI code.

int and float with both limits → a slider (an odd int steps by 2); a choice → a drop-down; a
bool → a checkbox; anything else (a colour, a number without limits) → a text field. The
Param's help line is the tooltip. Pure data: the Tk view (view.py) draws what this says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sketchd.filters.registry import FILTERS, Param

SLIDER, DROPDOWN, CHECKBOX, ENTRY = "slider", "dropdown", "checkbox", "entry"


@dataclass(frozen=True)
class Control:
    """One parameter's control: ``kind`` one of SLIDER, DROPDOWN, CHECKBOX, ENTRY."""

    param: str
    kind: str
    label: str
    tooltip: str
    default: Any
    low: float = 0.0
    high: float = 0.0
    step: float = 0.0  # a slider's resolution: 1 (int), 2 (odd int), range/200 (float)
    integer: bool = False
    choices: tuple[str, ...] = ()

    def snap(self, value: float) -> int | float:
        """A slider position → the nearest value the parameter accepts (odd for an odd int;
        a float on the step's grid, so the file gets 1.24, not 1.2399999)."""
        value = min(max(value, self.low), self.high)
        if self.integer:
            n = round(value)
            if self.step == 2 and n % 2 == 0:  # odd: the nearer odd neighbour within limits
                n = n + 1 if value >= n else n - 1
                n = n - 2 if n > self.high else n + 2 if n < self.low else n
            return int(n)
        digits = max(0, -int(f"{self.step:e}".split("e")[1]))
        steps = round((value - self.low) / self.step)
        return min(max(round(self.low + steps * self.step, digits), self.low), self.high)

    def parse(self, text: str) -> Any:
        """What a text field's ``text`` stands for: a number when it reads as one, a list for
        "[1, 2, 3]", else the text (the config check says whether it is right)."""
        text = text.strip()
        for convert in (int, float):
            try:
                return convert(text)
            except ValueError:
                pass
        if text.startswith("[") and text.endswith("]"):
            try:
                return [int(x) for x in text[1:-1].split(",")]
            except ValueError:
                return text
        return text


def label(name: str) -> str:
    """``edge_block_size`` → ``Edge block size``."""
    return name.replace("_", " ").capitalize()


def control(name: str, param: Param, default: Any) -> Control:
    """The control for parameter ``name`` described by ``param``."""
    tip = param.help or label(name)
    tip = f"{tip} ({param.describe()})" if param.kind != "bool" else tip
    if param.kind == "choice":
        return Control(name, DROPDOWN, label(name), tip, default, choices=param.choices)
    if param.kind == "bool":
        return Control(name, CHECKBOX, label(name), tip, default)
    if param.kind in ("int", "float") and param.min is not None and param.max is not None:
        low, high = float(param.min), float(param.max)
        odd_step = 2.0 if param.odd else 1.0
        step = odd_step if param.kind == "int" else _nice((high - low) / 200)
        return Control(
            name, SLIDER, label(name), tip, default, low, high, step, param.kind == "int"
        )
    return Control(name, ENTRY, label(name), tip, default)


def _nice(x: float) -> float:
    """The 1, 2 or 5 × 10^n at or below ``x`` (a float slider's step)."""
    exp = f"{x:e}".split("e")[1]
    base = 10.0 ** int(exp)
    for m in (5, 2, 1):
        if m * base <= x:
            return m * base
    return base


def controls(filter_name: str) -> list[Control]:
    """Every parameter of filter ``filter_name``, in the registry's order."""
    spec = FILTERS[filter_name]
    defaults = spec.defaults()
    return [control(name, p, defaults[name]) for name, p in spec.params.items()]


def filter_names() -> list[str]:
    """The filters a step can be, in the registry's order."""
    return list(FILTERS)


def filter_help(filter_name: str) -> str:
    return FILTERS[filter_name].help
