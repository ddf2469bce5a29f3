"""The settings window's model against a real Controller, through the control protocol (the
window's only way to the daemon): edits apply live in the daemon's memory, a wrong value is
refused with the config check's own message, Save writes the file in place and the reload
applies it, Revert drops what was not saved."""

from __future__ import annotations

import pytest

from sketchd import paths
from sketchd.config.loader import parse
from sketchd.controller import Controller
from sketchd.daemon import Daemon
from sketchd.settings.model import SettingsModel
from sketchd.sinks.memory import RecordingSink
from sketchd.sources.demo import DemoSource
from tests.helpers.link import requester

CONFIG = parse(paths.default_config_file().read_text())
PENCIL = [s.name for s in CONFIG.presets["pencil"].steps].index("pencil")


@pytest.fixture
def controller(home):
    d = Daemon(CONFIG, DemoSource(160, 120, 30), [RecordingSink(keep=2)])
    return Controller(CONFIG, d)


@pytest.fixture
def model(controller):
    m = SettingsModel(requester(controller))
    m.refresh()
    return m


def running_blur(controller) -> int:
    return controller.config.presets["pencil"].steps[PENCIL].params["blur"]


def test_presets_in_config_order_and_the_active_chain(model):
    assert model.names == list(CONFIG.presets)
    assert model.info.preset == "pencil" and model.info.output == "1280x720"
    assert [s["filter"] for s in model.chain] == [s.name for s in CONFIG.presets["pencil"].steps]


def test_a_value_applies_live_in_the_daemons_memory(model, controller):
    before = controller.settings.chain
    assert model.set_param(PENCIL, "blur", 31)
    assert running_blur(controller) == 31 and controller.settings.chain is not before
    assert model.dirty and "pencil" in model.edited
    assert not paths.config_file().exists()  # nothing saved yet


def test_a_wrong_value_is_refused_with_the_configs_message(model, controller):
    assert not model.set_param(PENCIL, "blur", 4)
    assert model.message == (
        f"presets.pencil.chain[{PENCIL}].pencil.blur: must be an odd integer from 3 to 255, not 4"
    )
    assert model.chain[PENCIL]["params"]["blur"] == 21 and running_blur(controller) == 21
    assert not model.dirty


def test_steps_added_moved_and_removed(model, controller):
    n = len(model.chain)
    assert model.add_step("mirror")
    assert [s.name for s in controller.config.presets["pencil"].steps][-1] == "mirror"
    assert model.move_step(n, -1)
    assert [s["filter"] for s in model.chain][n - 1 : n + 1] == ["mirror", "pencil"]
    assert not model.move_step(0, -1)
    assert model.remove_step(n - 1)
    assert len(controller.config.presets["pencil"].steps) == n


def test_save_writes_the_file_and_the_reload_applies_it(model, controller):
    model.set_param(PENCIL, "blur", 31)
    assert model.save(), model.message
    text = paths.config_file().read_text()
    assert text.startswith("# sketchd configuration") and "pencil: {blur: 31, darkness" in text
    assert running_blur(controller) == 31 and controller.config_path is None
    assert not model.dirty and model.message.startswith("Saved to ")


def test_a_file_the_check_refuses_is_not_written(model, controller):
    paths.config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.config_file().write_text("camera: {device: demo}\noutput: {fsp: 3}\n")
    model.set_param(PENCIL, "blur", 31)
    assert not model.save()
    assert model.message.startswith("Not saved: output.fsp: unknown key; did you mean 'fps'?")
    assert paths.config_file().read_text() == "camera: {device: demo}\noutput: {fsp: 3}\n"


def test_save_as_a_new_preset_after_the_active_one(model, controller):
    model.set_param(PENCIL, "darkness", 2.0)
    assert model.save_as("dark_pencil", "Darker lines")
    names = list(controller.config.presets)
    assert names[names.index("pencil") + 1] == "dark_pencil"
    assert controller.settings.preset == "dark_pencil" and model.info.preset == "dark_pencil"
    assert controller.config.presets["pencil"].steps[PENCIL].params["darkness"] == 1.0
    assert not model.save_as("pencil") and "already a preset" in model.message


def test_revert_drops_what_was_not_saved(model, controller):
    model.set_param(PENCIL, "blur", 41)
    model.revert()
    assert running_blur(controller) == 21 and model.chain[PENCIL]["params"]["blur"] == 21
    assert not model.dirty


def test_presets_and_toggles_switch_the_daemon(model, controller):
    model.select("ink")
    assert controller.settings.preset == "ink" and model.chain[-2]["filter"] == "ink"
    model.toggle("mirror", True)
    assert controller.settings.mirror and model.info.mirror
