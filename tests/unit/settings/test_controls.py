"""Every filter's controls come from the registry's typed parameters: a slider with the
parameter's limits for a number, a drop-down for a choice, a checkbox for a bool, the help as
the tooltip; and whatever position a slider is dragged to gives a value the config accepts."""

from __future__ import annotations

import pytest

from sketchd.filters.registry import FILTERS, Param
from sketchd.settings import controls as ctl


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_every_parameter_of_every_filter_gets_its_control(name):
    spec = FILTERS[name]
    got = ctl.controls(name)
    assert [c.param for c in got] == list(spec.params)
    for c in got:
        p = spec.params[c.param]
        assert p.help in c.tooltip
        assert c.default == spec.defaults()[c.param]
        if p.kind == "choice":
            assert c.kind == ctl.DROPDOWN and c.choices == p.choices
        elif p.kind == "bool":
            assert c.kind == ctl.CHECKBOX
        elif p.kind in ("int", "float") and p.min is not None and p.max is not None:
            assert c.kind == ctl.SLIDER
            assert (c.low, c.high) == (p.min, p.max) and c.integer == (p.kind == "int")
            assert c.step == (2 if p.odd else 1) if p.kind == "int" else 0 < c.step < c.high
        else:
            assert c.kind == ctl.ENTRY


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_any_slider_position_is_a_value_the_config_accepts(name):
    spec = FILTERS[name]
    for c in ctl.controls(name):
        if c.kind != ctl.SLIDER:
            continue
        for i in range(101):
            pos = c.low + (c.high - c.low) * i / 100
            _, err = spec.params[c.param].check(c.snap(pos))
            assert err is None, (name, c.param, pos, err)
        assert c.snap(c.default) == c.default  # the default stays put


def test_a_bool_parameter_is_a_checkbox_and_a_colour_a_text_field():
    box = ctl.control("sharp", Param("bool", "crisp edges"), False)
    assert box.kind == ctl.CHECKBOX and box.tooltip == "crisp edges"
    colour = ctl.control("colour", Param("colour", "paper colour"), "#f3ead8")
    assert colour.kind == ctl.ENTRY and "colour like" in colour.tooltip
    assert colour.parse("[1, 2, 3]") == [1, 2, 3] and colour.parse(" #fff ") == "#fff"
    assert ctl.control("n", Param("int", "count", 1), 3).kind == ctl.ENTRY  # no upper limit


def test_snap_keeps_odd_integers_odd_and_within_limits():
    blur = ctl.control("blur", Param("int", "blur", 3, 255, True), 21)
    assert [blur.snap(v) for v in (3, 3.9, 4, 22, 22.6, 254, 255, 400, -5)] == [
        3, 3, 5, 23, 23, 255, 255, 255, 3,
    ]  # fmt: skip
    dark = ctl.control("darkness", Param("float", "dark", 0.1, 10.0), 1.0)
    assert dark.snap(1.23456) == 1.24 and dark.step == 0.02
