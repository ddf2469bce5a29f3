"""The YAML config: the shipped default, validation that reports every problem at once with its
key path and line, did-you-mean for unknown names, and the user file merged over the defaults.
Hostile YAML is in test_yaml_safety.py, the fuzz in test_config_fuzz.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sketchd import paths
from sketchd.config import loader
from sketchd.config.loader import parse
from sketchd.errors import ConfigError, UsageError

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = paths.default_config_file().read_text(encoding="utf-8")


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as e:
        parse(text)
    assert "Traceback" not in str(e.value)
    return e.value.problems


def one_problem(text: str) -> str:
    found = problems(text)
    assert len(found) == 1, found
    return found[0]


def line_of(problem: str) -> int:
    match = re.search(r"\(line (\d+)\)$", problem)
    assert match, problem
    return int(match.group(1))


# -- the shipped default -------------------------------------------------------------------


def test_the_shipped_default_is_valid_and_the_same_in_both_places():
    assert (
        ROOT / "config" / "sketchd.yaml"
    ).read_bytes() == paths.default_config_file().read_bytes()
    config = parse(DEFAULT)
    assert config.preset == "pencil"
    for name in ("pencil", "colour_pencil", "cartoon", "ink", "original"):
        assert config.presets[name].description, name
    assert config.camera.device == "auto" and config.camera.format == "auto"
    assert (config.output.width, config.output.height, config.output.mirror) == (1280, 720, False)


def test_the_shipped_default_is_commented():
    lines = DEFAULT.splitlines()
    assert sum(1 for line in lines if "#" in line) > 30
    for i, line in enumerate(lines):
        if re.match(r"^\w+:", line):  # each top-level section is introduced by a comment
            assert lines[i - 1].startswith("#") or lines[i - 2].startswith("#"), line


def test_an_empty_or_comment_only_file_means_the_defaults():
    assert parse("") == parse(DEFAULT)
    assert parse("# nothing here yet\n") == parse(DEFAULT)


# -- validation: all at once, with key path and line ---------------------------------------


def test_every_problem_at_once_sorted_by_line_with_key_path():
    text = (
        "camera:\n"
        "  width: -5\n"  # 2
        "  fsp: 30\n"  # 3
        "output:\n"
        "  mirror: maybe\n"  # 5
        "preset: pencil\n"
        "presets:\n"
        "  pencil:\n"
        "    chain:\n"
        "      - pencil: {blur: 4}\n"  # 10
        "  cartoon:\n"
        "    chain:\n"
        "      - cartoon:\n"
        "          edge_block_size: 4\n"  # 14
        "      - sparkle\n"  # 15
    )
    assert problems(text) == [
        "camera.width: must be an integer from 16 to 7680, not -5 (line 2)",
        "camera.fsp: unknown key; did you mean 'fps'? (line 3)",
        "output.mirror: must be true or false, not 'maybe' (line 5)",
        "presets.pencil.chain[0].pencil.blur: must be an odd integer from 3 to 255, not 4 "
        "(line 10)",
        "presets.cartoon.chain[0].cartoon.edge_block_size: must be an odd integer from 3 to "
        "255, not 4 (line 14)",
        "presets.cartoon.chain[1]: unknown filter 'sparkle'; known: pencil, colour_pencil, "
        "cartoon, ink, original, mirror, auto_contrast, stabilize, autoframe, face_colour, "
        "segment, paper_tint, drawing, drawing_colour (line 15)",
    ]


def test_problems_come_in_file_order_whatever_order_they_are_found_in():
    text = (
        "presets:\n"
        "  p:\n"
        "    chain: [{pencil: {darkness: 0}}]\n"  # 3
        "camera: {fps: 0}\n"  # 4
        "bogus: 1\n"  # 5
        "output: {fps: 1000}\n"  # 6
        "preset: p\n"
    )
    found = problems(text)
    assert [line_of(p) for p in found] == [3, 4, 5, 6]
    assert found[0].startswith("presets.p.chain[0].pencil.darkness: must be a number from 0.1")


def chain(*steps: str) -> str:
    """A config whose one preset ``p`` applies ``steps``."""
    return f"presets: {{p: {{chain: [{', '.join(steps)}]}}}}\npreset: p\n"


DEVICE = (
    "must be 'auto', a camera index (0, 1 …), a path, a camera's name as `sketchd devices` "
    "lists it, or 'demo'"
)
COLOUR = "must be a colour like '#f3ead8' or [243, 234, 216]"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("camera: {width: 640.5}", "camera.width: must be an integer from 16 to 7680, not 640.5"),
        ("camera: {width: true}", "camera.width: must be an integer from 16 to 7680, not True"),
        ("camera: {height: '720'}", "camera.height: must be an integer from 16 to 4320, not '720'"),
        ("camera: {fps: 241}", "camera.fps: must be an integer from 1 to 240, not 241"),
        ("camera: {format: mjpg}",
         "camera.format: must be one of 'auto', 'MJPG', 'YUYV', not 'mjpg'"),
        ("camera: {device: -1}", f"camera.device: {DEVICE}, not -1"),
        ("camera: {device: ''}", f"camera.device: {DEVICE}, not ''"),
        ("camera: 5", "camera: must be a mapping (key: value lines), not 5"),
        ("output: {backend: v4l2l}", "output.backend: must be one of 'auto', 'v4l2', 'pipewire', "
         "'v4l2loopback', 'obs', 'unitycapture', not 'v4l2l'"),
        ("output: {device: [/dev/video10, /dev/video10]}",
         "output.device: lists a device twice: ['/dev/video10', '/dev/video10']"),
        ("output: {device: [a, b, c, d, e]}", "output.device: must be 'auto', a device path, "
         "or a list of up to 4 device paths, not ['a', 'b', 'c', 'd', 'e']"),
        ("output: {device: [/dev/video10, 12]}", "output.device: must be 'auto', a device "
         "path, or a list of up to 4 device paths, not ['/dev/video10', 12]"),
        ("output: {format: NV12}",
         "output.format: must be one of 'I420', 'YUYV', 'MJPG', not 'NV12'"),
        ("output: {width: 641}", "output.width: must be even, not 641"),
        ("output: {height: 361}", "output.height: must be even, not 361"),
        ("output: {device: 7}", "output.device: must be 'auto', a device path, or a list of "
         "up to 4 device paths, not 7"),
        ("output: {mirror: 1}", "output.mirror: must be true or false, not 1"),
        ("snapshots: {folder: [a]}", "snapshots.folder: must be a non-empty string, not ['a']"),
        ("preset: [pencil]", "preset: must be the name of a preset, not ['pencil']"),
        ("presets: []", "presets: must be a mapping (key: value lines), not []"),
        ("presets: {}", "presets: must define at least one preset"),
        ("presets: {p: {description: x}}\npreset: p",
         "presets.p: has no 'chain' (the list of filters it applies)"),
        ("presets: {p: {chain: []}}\npreset: p",
         "presets.p.chain: must be a non-empty list of filters, not []"),
        ("presets: {p: {chain: pencil}}\npreset: p",
         "presets.p.chain: must be a non-empty list of filters, not 'pencil'"),
        ("presets: {p: {chain: [ink], description: 3}}\npreset: p",
         "presets.p.description: must be text, not 3"),
        (chain("7"),
         "presets.p.chain[0]: must be a filter name or {filter: {param: value}}, not 7"),
        (chain("{pencil: 3}"), "presets.p.chain[0].pencil: must be a mapping of parameters, not 3"),
        (chain("{mirror: {x: 1}}"), "presets.p.chain[0].mirror.x: unknown key; expected one of "
         "(this filter takes no parameters)"),
        (chain("{ink: {style: pen}}"),
         "presets.p.chain[0].ink.style: must be one of 'ink', 'charcoal', not 'pen'"),
        (chain("{paper_tint: {colour: '#12345g'}}"),
         f"presets.p.chain[0].paper_tint.colour: {COLOUR}, not '#12345g'"),
        (chain("{pencil: {darkness: .nan}}"),
         "presets.p.chain[0].pencil.darkness: must be a number from 0.1 to 10, not nan"),
        (chain("{cartoon: {levels: 1e3}}"),  # YAML 1.1: '1e3' without a dot is a string
         "presets.p.chain[0].cartoon.levels: must be an integer from 2 to 64, not '1e3'"),
    ],
)  # fmt: skip
def test_each_kind_of_wrong_value_is_explained(text, expected):
    problem = one_problem(text + "\n")
    assert problem.rsplit(" (line ", 1)[0] == expected
    assert line_of(problem) >= 1


def test_long_values_are_shortened_in_messages():
    problem = one_problem(f"camera: {{format: {'x' * 500}}}\n")
    assert len(problem) < 120 and "..." in problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("prests: {}\n", "prests: unknown key; did you mean 'presets'?"),
        ("camera: {widht: 640}\n", "camera.widht: unknown key; did you mean 'width'?"),
        ("output: {mirorr: true}\n", "output.mirorr: unknown key; did you mean 'mirror'?"),
        ("presets: {p: {chian: [ink]}}\npreset: p\n",
         "presets.p.chian: unknown key; did you mean 'chain'?"),
        (chain("pencl"), "presets.p.chain[0]: unknown filter 'pencl'; did you mean 'pencil'?"),
        (chain("{ink: {blok_size: 9}}"),
         "presets.p.chain[0].ink.blok_size: unknown key; did you mean 'block_size'?"),
        ("preset: carton\n", "preset: no preset named 'carton'; did you mean 'cartoon'?"),
        ("zzz: 1\n", "zzz: unknown key; expected one of camera, output, snapshots, preset, "
         "presets"),
    ],
)  # fmt: skip
def test_unknown_names_get_a_suggestion(text, expected):
    found = problems(text)
    assert any(p.rsplit(" (line ", 1)[0] == expected for p in found), found


def test_a_preset_that_fails_does_not_hide_the_others_problems():
    text = (
        "presets:\n"
        "  a: {chain: [{pencil: {blur: 2}}]}\n"
        "  b: {chain: [{ink: {c: 99}}]}\n"
        "  c: {chain: [original]}\n"
        "preset: c\n"
    )
    found = problems(text)
    assert [p.split(":")[0] for p in found] == [
        "presets.a.chain[0].pencil.blur",
        "presets.b.chain[0].ink.c",
    ]


def test_valid_values_are_kept_and_normalised():
    config = parse(
        "camera: {device: /dev/video2, width: 640.0, format: YUYV}\n"
        "output: {mirror: true, backend: obs}\n"
        "presets:\n"
        "  p:\n"
        "    chain:\n"
        "      - {pencil: {blur: 31, darkness: 2}}\n"
        "      - {paper_tint: {colour: [1, 2, 3]}}\n"
        "preset: p\n"
    )
    assert config.camera.device == "/dev/video2" and config.camera.format == "YUYV"
    assert config.camera.width == 640 and isinstance(config.camera.width, int)
    assert config.output.mirror is True and config.output.backend == "obs"
    pencil, tint = config.presets["p"].steps
    assert pencil.params == {"blur": 31, "darkness": 2.0}
    assert isinstance(pencil.params["darkness"], float)
    assert tint.params == {"colour": [1, 2, 3], "strength": 1.0}  # defaults filled in
    assert parse("camera: {device: 1}\n").camera.device == 1


# -- the user file over the defaults -------------------------------------------------------


def test_the_user_file_lives_in_the_xdg_config_folder(home):
    assert paths.config_file() == home / ".config" / "sketchd" / "sketchd.yaml"


def test_no_user_file_means_the_defaults(home):
    config, used = loader.load()
    assert used is None and config == parse(DEFAULT)


def write_user(text: str) -> Path:
    user = paths.config_file()
    user.parent.mkdir(parents=True, exist_ok=True)
    user.write_text(text, encoding="utf-8")
    return user


def test_sections_merge_key_by_key(home):
    user = write_user("camera: {width: 640}\noutput:\n  mirror: true\npreset: ink\n")
    config, used = loader.load()
    assert used == user
    assert (config.camera.width, config.camera.height, config.camera.fps) == (640, 720, 30)
    assert config.output.mirror is True and config.output.width == 1280
    assert config.preset == "ink"
    assert list(config.presets) == list(parse(DEFAULT).presets)  # untouched


def test_a_presets_section_replaces_the_default_presets_whole(home):
    write_user("presets:\n  mine:\n    chain: [pencil]\n  theirs:\n    chain: [ink]\n")
    config, _ = loader.load()
    assert list(config.presets) == ["mine", "theirs"]
    assert config.preset == "mine"  # the default 'pencil' went with the default presets
    write_user("presets:\n  ink: {chain: [ink]}\n  pencil: {chain: [pencil]}\n")
    assert loader.load()[0].preset == "pencil"  # still there, so still the default


def test_a_bad_user_file_names_the_file_and_the_line(home):
    user = write_user("camera:\n  fps: fast\n")
    with pytest.raises(ConfigError) as e:
        loader.load()
    assert e.value.source == str(user)
    assert e.value.problems == ["camera.fps: must be an integer from 1 to 240, not 'fast' (line 2)"]
    assert str(e.value).startswith(f"{user}: 1 problem\n  camera.fps")


def test_an_explicit_file_wins_over_the_user_file(home, tmp_path):
    write_user("preset: ink\n")
    other = tmp_path / "other.yaml"
    other.write_text("preset: cartoon\n")
    config, used = loader.load(other)
    assert used == other and config.preset == "cartoon"


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: None, "no such file"),
        (lambda p: p.mkdir(), "is a folder, not a file"),
        (lambda p: p.write_bytes(b"camera:\n  device: \xff\xfe\n"), "is not UTF-8 text (byte 18)"),
        (lambda p: p.write_text("- a\n- b\n"), "(top level): must be a mapping of sections"),
    ],
    ids=["missing", "folder", "not-utf8", "a-list"],
)
def test_unreadable_files_are_one_clear_problem(tmp_path, make, expected):
    path = tmp_path / "sketchd.yaml"
    make(path)
    with pytest.raises(ConfigError) as e:
        loader.load(path)
    assert e.value.source == str(path)
    assert len(e.value.problems) == 1 and e.value.first.startswith(expected), e.value.problems


def test_with_preset_overrides_the_active_preset():
    config = parse("")
    assert loader.with_preset(config, "ink").preset == "ink"
    assert loader.with_preset(config, None) is config
    with pytest.raises(UsageError, match=r"^no preset named 'inc'; did you mean 'ink'\?$"):
        loader.with_preset(config, "inc")
    with pytest.raises(UsageError, match=r"^no preset named 'zzz'; known: pencil, .*, ink"):
        loader.with_preset(config, "zzz")


def test_output_device_takes_a_list_for_several_call_apps_at_once():
    two = parse("output: {device: [/dev/video10, /dev/video12]}")
    assert two.output.devices == ("/dev/video10", "/dev/video12")
    one = parse("output: {device: [/dev/video10]}")
    assert one.output.device == "/dev/video10" and one.output.devices == ("/dev/video10",)
    assert parse("output: {format: YUYV}").output.format == "YUYV"
    assert parse("{}").output.format == "I420"
