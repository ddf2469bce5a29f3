"""Saving edits into the user's file in place (ruamel.yaml round trip): on the shipped default
and on a hand-written, oddly formatted file, a changed value changes that value only; comments,
key order, quoting and layout stay; a wrong value is refused with the config check's own
message and the file is left as it was; a missing file is made from the commented default."""

from __future__ import annotations

import difflib

import pytest

from sketchd import paths
from sketchd.config.loader import parse
from sketchd.errors import ConfigError
from sketchd.settings import yamledit

DEFAULT = paths.default_config_file().read_text()


def chain_of(text: str, name: str) -> list[dict]:
    return [{"filter": s.name, "params": dict(s.params)} for s in parse(text).presets[name].steps]


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def comments(text: str) -> list[str]:
    return [line.split("#", 1)[1] for line in text.splitlines() if "#" in line and "'#" not in line]


@pytest.mark.parametrize("name", list(parse(DEFAULT).presets))
def test_the_shipped_default_comes_back_byte_for_byte(name):
    assert yamledit.edit(DEFAULT, name, chain_of(DEFAULT, name)) == DEFAULT


def test_a_value_changed_in_the_default_changes_that_one_line():
    chain = chain_of(DEFAULT, "pencil")
    chain[-1]["params"]["blur"] = 31
    out = yamledit.edit(DEFAULT, "pencil", chain)
    assert changed_lines(DEFAULT, out) == [
        "-      - pencil: {blur: 21, darkness: 1.0}",
        "+      - pencil: {blur: 31, darkness: 1.0}",
    ]
    assert comments(out) == comments(DEFAULT)
    assert parse(out).presets["pencil"].steps[-1].params["blur"] == 31
    assert list(parse(out).presets) == list(parse(DEFAULT).presets)


ODD = """\
# my own sketchd file
preset: "ink"        # double quotes, kept

camera: {device: demo, width: 640, height: 480}   # a flow mapping

presets:
    # four-space indents, dashes at the key's column
    ink:
        description: 'single-quoted: lines'
        chain:
        - stabilize                 # a bare name
        - ink:
              block_size: 11        # a block mapping, comment aligned
              style: charcoal
        - paper_tint: {colour: '#f0e8d8'}
    mine:    # another one
        chain: [pencil]             # a flow sequence
        description: >-
            folded text
            over two lines

# trailing comment
"""


def test_an_oddly_formatted_file_keeps_its_formatting():
    assert yamledit.edit(ODD, "ink", chain_of(ODD, "ink")) == ODD
    chain = chain_of(ODD, "ink")
    chain[1]["params"]["block_size"] = 15
    out = yamledit.edit(ODD, "ink", chain)
    assert changed_lines(ODD, out) == [
        "-              block_size: 11        # a block mapping, comment aligned",
        "+              block_size: 15        # a block mapping, comment aligned",
    ]
    assert parse(out).presets["ink"].steps[1].params["block_size"] == 15


def test_a_default_value_stays_out_and_a_new_one_goes_in():
    chain = chain_of(ODD, "ink")
    chain[0]["params"]["strength"] = 0.75  # the bare `- stabilize` gets a mapping
    out = yamledit.edit(ODD, "ink", chain)
    assert changed_lines(ODD, out) == [
        "-        - stabilize                 # a bare name",
        "+        - stabilize: {strength: 0.75} # a bare name",  # at its column, or just after
    ]


def test_steps_reordered_removed_and_added_keep_their_own_comments():
    chain = chain_of(ODD, "ink")
    chain = [chain[1], chain[0], {"filter": "mirror", "params": {}}]  # paper_tint removed
    out = yamledit.edit(ODD, "ink", chain)
    steps = parse(out).presets["ink"].steps
    assert [s.name for s in steps] == ["ink", "stabilize", "mirror"]
    assert "comment aligned" in out and "# a bare name" in out and "'#f0e8d8'" not in out
    assert out.startswith('# my own sketchd file\npreset: "ink"')
    assert out.endswith("# trailing comment\n")


def test_save_as_a_new_preset_goes_after_the_current_one():
    out = yamledit.edit(ODD, "soft", chain_of(ODD, "mine"), description="Soft", after="ink")
    assert list(parse(out).presets) == ["ink", "soft", "mine"]
    assert changed_lines(ODD, out) == [
        "+    soft:",
        "+        description: Soft",
        "+        chain:",
        "+        - pencil",
    ]


def test_a_wrong_value_is_refused_with_the_configs_own_message(tmp_path):
    file = tmp_path / "sketchd.yaml"
    file.write_text(ODD)
    chain = chain_of(ODD, "ink")
    chain[1]["params"]["block_size"] = 4
    with pytest.raises(ConfigError) as e:
        yamledit.save(file, "ink", chain)
    assert e.value.first == (
        "presets.ink.chain[1].ink.block_size: must be an odd integer from 3 to 255, not 4 (line 13)"
    )
    assert file.read_text() == ODD
    assert [p.name for p in tmp_path.iterdir()] == ["sketchd.yaml"]  # no temporary file left


def test_a_missing_file_is_made_from_the_commented_default(tmp_path):
    file = tmp_path / "config" / "sketchd.yaml"
    chain = chain_of(DEFAULT, "ink")
    chain[-2]["params"]["c"] = 9.5
    yamledit.save(file, "ink", chain)
    text = file.read_text()
    assert comments(text) == comments(DEFAULT)
    assert len(changed_lines(DEFAULT, text)) == 2
    assert parse(text).presets["ink"].steps[-2].params["c"] == 9.5


def test_a_file_without_presets_gets_the_default_ones(tmp_path):
    file = tmp_path / "sketchd.yaml"
    file.write_text("# just the camera\ncamera:\n  device: demo\n")
    chain = chain_of(DEFAULT, "cartoon")
    chain[-1]["params"]["levels"] = 5
    yamledit.save(file, "cartoon", chain)
    cfg = parse(file.read_text())
    assert list(cfg.presets) == list(parse(DEFAULT).presets)
    assert cfg.presets["cartoon"].steps[-1].params["levels"] == 5
    assert file.read_text().startswith("# just the camera\ncamera:\n  device: demo\n")
