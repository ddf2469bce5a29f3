"""Hostile or broken YAML: syntax errors with line and column, tags that build Python objects,
alias bombs, huge files and strings, deep nesting, duplicate and non-scalar keys. Each is one
clear ConfigError line, never a traceback and never the work the file asks for."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from sketchd.config import loader, yamlsafe
from sketchd.config.loader import parse
from sketchd.errors import ConfigError


def refused(text: str) -> str:
    with pytest.raises(ConfigError) as e:
        parse(text)
    assert len(e.value.problems) == 1, e.value.problems
    return e.value.first


@pytest.mark.parametrize(
    ("text", "line", "column", "what"),
    [
        ("camera:\n  width: 640\n   height: 720\n", 3, 10, "mapping values are not allowed"),
        ("camera: {width: 640\noutput: {}\n", 2, 7, "expected ',' or '}'"),
        ("presets:\n  p:\n    chain: [pencil\n", 4, 1, "expected ',' or ']'"),
        ("camera:\n\twidth: 640\n", 2, 1, "found character '\\t'"),
        ("camera: 'unterminated\n", 2, 1, "found unexpected end of stream"),
        ("a: *nowhere\n", 1, 4, "found undefined alias"),
    ],
)
def test_a_syntax_error_gives_line_and_column(text, line, column, what):
    problem = refused(text)
    assert problem.startswith(f"line {line}, column {column}: "), problem
    assert what in problem


@pytest.mark.parametrize(
    "text",
    [
        "camera: !!python/object/apply:os.system ['touch {marker}']\n",
        "camera: !!python/object/new:os.system ['touch {marker}']\n",
        "camera: !!python/object:pathlib.Path {{}}\n",
        "x: !!python/name:os.system\n",
        "x: !!python/module:os\n",
        "presets:\n  p: !mine {{chain: [pencil]}}\n",
    ],
)
def test_tags_that_build_objects_are_refused_and_never_run(text, tmp_path):
    marker = tmp_path / "pwned"
    problem = refused(text.format(marker=marker))
    assert "is not allowed: a config holds plain data only" in problem
    assert problem.startswith("line ") and ", column " in problem
    assert not marker.exists()


def test_plain_yaml_tags_are_fine():
    assert parse("camera: {width: !!int '640'}\n").camera.width == 640


def laughs(levels: int, fan_out: int = 9) -> str:
    """The billion laughs: each level a list of ``fan_out`` aliases of the level before."""
    lines = ["n0: &n0 [" + ", ".join(['"lol"'] * fan_out) + "]"]
    for i in range(1, levels):
        lines.append(f"n{i}: &n{i} [" + ", ".join([f"*n{i - 1}"] * fan_out) + "]")
    return "\n".join(lines) + "\n"


def run_isolated(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a child with 1 GiB of memory, so a regression fails this test instead of
    exhausting the machine; the timeout only guards against a hang."""
    prelude = "import resource; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("levels", "fan_out"),
    [(10, 9), (12, 9), (40, 2)],  # 81, 99 and 39 aliases: under the alias count limit
)
def test_alias_bombs_under_the_alias_limit_are_refused(levels, fan_out):
    """Few aliases can still expand to billions of values (9**12 for the second one)."""
    done = run_isolated(
        f"""
        from sketchd.config.loader import parse
        from sketchd.errors import ConfigError
        try:
            parse({laughs(levels, fan_out)!r})
        except ConfigError as e:
            print(e.first)
        """
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "aliases (*name) expand to more than 100,000 values: refused" in done.stdout
    assert done.stdout.startswith("line ")


def test_too_many_aliases_are_refused():
    text = "a: &a 1\nb: [" + ", ".join(["*a"] * (yamlsafe.MAX_ALIASES + 1)) + "]\n"
    problem = refused(text)
    assert "more than 100 aliases" in problem and problem.startswith("line 2, column ")


def test_a_few_aliases_are_plain_yaml_and_allowed():
    text = (
        "presets:\n"
        "  a: {chain: &steps [auto_contrast, {pencil: {blur: 31}}]}\n"
        "  b: {chain: *steps}\n"
        "preset: b\n"
    )
    config = parse(text)
    assert config.presets["a"].steps == config.presets["b"].steps


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 200 + "]" * 200 + "\n",
        "a: " + "{x: " * 60 + "1" + "}" * 60 + "\n",
        "".join("  " * i + "k:\n" for i in range(60)) + "  " * 60 + "v\n",
        "a: " + "[" * 100_000 + "\n",  # unbalanced too: refused before the parser gets lost
    ],
    ids=["lists", "flow-maps", "block-maps", "100k-brackets"],
)
def test_deep_nesting_is_refused(text):
    problem = refused(text)
    assert problem.startswith("line ") and "nested more than 40 levels deep" in problem, problem


def test_nesting_within_the_limit_is_fine():
    data, _ = yamlsafe.load("x: " + "[" * 30 + "]" * 30 + "\n")
    for _ in range(30):
        assert data and isinstance(data, (dict, list))
        data = data["x"] if isinstance(data, dict) else data[0]
    assert data == []


def test_huge_files_are_refused_by_size_before_parsing(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("presets:\n  p:\n    description: '" + "x" * (2 << 20) + "'\n")
    with pytest.raises(ConfigError) as e:
        loader.load(big)
    assert e.value.problems == [
        f"is {big.stat().st_size:,} bytes; a sketchd config is a few KB (limit 1,048,576)"
    ]
    problem = refused("# " + "x" * (yamlsafe.MAX_BYTES + 1) + "\n")
    assert "characters; a config is at most 1,048,576" in problem


def test_a_long_string_under_the_limit_is_shortened_in_messages():
    problem = refused("camera: {format: '" + "é" * 500_000 + "'}\n")
    assert problem.startswith("camera.format: must be one of") and len(problem) < 150


def test_duplicate_keys_are_refused_with_both_lines():
    problem = refused("camera:\n  width: 640\n  height: 480\n  width: 800\n")
    assert problem == "line 4: camera.width: duplicate key (first given on line 2)"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("? [a, b]\n: 1\n", "line 1, column 3: (top level)"),
        ("presets:\n  ? {a: 1}\n  : {chain: [pencil]}\n", "line 2, column 5: presets"),
    ],
)
def test_lists_or_mappings_as_keys_are_refused(text, where):
    assert refused(text) == f"{where}: a key must be a plain name, not a list or mapping"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x00\x01\x02", "line 1, column 1: character #x0000 is not allowed"),
        (b"camera:\n  width: 6\x0740\n", "line 2, column 11: character #x0007 is not allowed"),
        (b"%YAML 9.0\n---\na: 1\n", "line 1, column 1: found incompatible YAML document"),
        (b"\xef\xbb\xbfcamera: {widht: 1}\n", "camera.widht: unknown key"),
        (b"a: 1\n---\nb: 2\n", "line 2, column 1: expected a single document"),
    ],
)
def test_odd_bytes_are_one_clear_problem(tmp_path, data, expected):
    path = tmp_path / "odd.yaml"
    path.write_bytes(data)
    with pytest.raises(ConfigError) as e:
        loader.load(path)
    assert len(e.value.problems) == 1 and e.value.first.startswith(expected), e.value.problems
