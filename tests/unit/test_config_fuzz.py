"""Config fuzz: thousands of random, mutated and broken configs through the loader and the
validator. The only exception allowed out is ConfigError; each of its problems names a key path
(or, for a file that is not YAML at all, a line and column); a config that passes builds
presets that run. sketchd's config hot reload relies on exactly this."""

from __future__ import annotations

import contextlib
import copy
import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sketchd import paths
from sketchd.config import loader
from sketchd.config.loader import parse
from sketchd.config.schema import Config
from sketchd.errors import ConfigError
from sketchd.filters import FILTERS
from sketchd.filters.registry import compose

DEFAULT_TEXT = paths.default_config_file().read_text(encoding="utf-8")
DEFAULT = yaml.safe_load(DEFAULT_TEXT)
TOP = ["camera", "output", "snapshots", "preset", "presets"]
FUZZ = settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
FRAME = np.random.default_rng(7).integers(0, 256, (12, 16, 3), dtype=np.uint8)

# -- values of every kind a hand-written (or damaged) file may hold ------------------------

names = st.sampled_from(
    [*TOP, "camera ", "Camera", "presest", "width", "fps", "device", "mirror", "chain", "blur",
     "description", "", " ", "é", "漢字", "🙂", "null", "0", "-1", "a.b", "x[0]", "<<"]
)  # fmt: skip
filter_names = st.sampled_from([*FILTERS, "pencl", "sparkle", "Pencil", "ink ", "", "漢字"])
numbers = st.one_of(
    st.integers(-(10**30), 10**30),
    st.sampled_from([0, 1, 2, 3, 4, 9, 21, 255, 256, -1, 2**63, -(2**63), 10**100]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 0.5, 1e-300, 1e300, float("inf"), float("nan")]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    numbers,
    st.text(max_size=24),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=2000),  # huge-ish
    st.sampled_from(["auto", "demo", "MJPG", "YUYV", "pencil", "ink", "#f3ead8", "#zzz", ""]),
)


def deep(depth: int, leaf: Any = 1) -> Any:
    node = leaf
    for i in range(depth):
        node = [node] if i % 2 else {"k": node}
    return node


values = st.one_of(
    st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.one_of(names, st.text()), inner, max_size=4),
        ),
        max_leaves=10,
    ),
    st.integers(1, 80).map(deep),  # deep nesting, beyond the limit of 40 too
)
params = st.dictionaries(
    st.one_of(st.sampled_from(sorted({k for s in FILTERS.values() for k in s.params})), names),
    st.one_of(numbers, scalars, values),
    max_size=4,
)
steps = st.one_of(
    filter_names,
    st.builds(lambda n, p: {n: p}, filter_names, st.one_of(params, st.none(), values)),
    values,
)
presets = st.dictionaries(
    st.one_of(st.sampled_from(["pencil", "ink", "mine"]), st.text(max_size=8), numbers),
    st.one_of(
        st.fixed_dictionaries(
            {"chain": st.one_of(st.lists(steps, max_size=4), values)},
            optional={"description": st.one_of(st.text(max_size=20), values), "x": values},
        ),
        values,
    ),
    max_size=4,
)


# -- the check every example goes through --------------------------------------------------

PATH_START = re.compile(r"^(\(top level\)|line \d+(, column \d+)?)")


def escaped(key: Any) -> str:
    """A key as a problem shows it: non-printable characters escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(key))


def check_problems(problems: list[str], data: Any) -> None:
    assert problems, "a ConfigError with no problem in it"
    for problem in problems:
        assert isinstance(problem, str) and problem.strip(), problems
        assert "Traceback" not in problem and "\n" not in problem, problem
        if PATH_START.match(problem):
            continue  # the file is not YAML (or not a mapping): the position is all there is
        # otherwise the problem starts with its key path, rooted at a key of the file
        roots = {escaped(k) for k in data} if isinstance(data, dict) else set()
        starts = tuple(f"{root}{sep}" for root in roots | set(TOP) for sep in (":", ".", "["))
        assert problem.startswith(starts), (problem, roots)
        head = problem.split(": ", 1)
        assert len(head) == 2 and head[1], problem


def check_config(config: Config) -> None:
    assert config.preset in config.presets
    for preset in config.presets.values():
        out = compose(preset.steps)(FRAME)
        assert out.dtype == np.uint8 and out.shape[:2] == FRAME.shape[:2]


def check_text(text: str, data: Any = None) -> None:
    try:
        config = parse(text)
    except ConfigError as e:
        event("refused")  # --hypothesis-show-statistics shows the share of each outcome
        check_problems(e.problems, data if data is not None else {})
    else:
        event("accepted")
        check_config(config)


def dump(data: Any) -> str:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml when there: 10x faster
    return yaml.dump(data, Dumper=dumper, allow_unicode=True, sort_keys=False)


@pytest.fixture(scope="module", autouse=True)
def _defaults_parsed_once():
    """parse() re-reads the bundled defaults every time; here that would be half the run."""
    cached = loader.defaults_data()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(loader, "defaults_data", lambda: copy.deepcopy(cached))
        yield


# -- the fuzz ------------------------------------------------------------------------------


@FUZZ
@given(data=st.dictionaries(st.one_of(names, st.sampled_from(TOP)), values, max_size=6))
def test_random_configs(data):
    check_text(dump(data), data)


@FUZZ
@given(
    data=st.fixed_dictionaries(
        {}, optional={"preset": st.one_of(names, values), "presets": presets}
    )
)
def test_random_presets_and_chains(data):
    check_text(dump(data), data)


def mutate(base: dict, path: list, action: str, value: Any) -> dict:
    """``base`` with the node at ``path`` replaced, deleted or given an extra key."""
    data = copy.deepcopy(base)
    node: Any = data
    for key in path[:-1]:
        child = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, list) and node:
            child = node[key % len(node)] if isinstance(key, int) else node[0]
        if not isinstance(child, (dict, list)):
            break
        node = child
    key = path[-1]
    if isinstance(node, list):
        if not node:
            node.append(value)
            return data
        key = key % len(node) if isinstance(key, int) else 0
    elif isinstance(key, int):
        key = list(node)[key % len(node)] if node else "x"
    if action == "delete":
        if isinstance(node, list):
            node.pop(key)
        else:
            node.pop(key, None)
    elif action == "add" and isinstance(node, dict):
        node[f"{key}_extra"] = value
    else:
        node[key] = value
    return data


@FUZZ
@given(
    path=st.lists(
        st.one_of(st.sampled_from(TOP), names, st.integers(0, 7)), min_size=1, max_size=6
    ),
    action=st.sampled_from(["replace", "delete", "add"]),
    value=st.one_of(values, numbers, steps, presets),
)
def test_mutated_default_config(path, action, value):
    data = mutate(DEFAULT, path, action, value)
    check_text(dump(data), data)


_TMP = Path(tempfile.mkdtemp(prefix="sketchd-fuzz-"))


@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    edits=st.lists(
        st.tuples(st.integers(0, len(DEFAULT_TEXT)), st.integers(0, 3), st.text(max_size=3)),
        min_size=1,
        max_size=4,
    )
)
def test_damaged_default_file(edits):
    """The commented default with characters deleted or inserted, read as a file."""
    text = DEFAULT_TEXT
    for at, cut, insert in edits:
        text = text[:at] + insert + text[at + cut :]
    file = _TMP / "sketchd.yaml"
    file.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        config, used = loader.load(file)
    except ConfigError as e:
        event("refused")
        assert e.source == str(file)
        data = None
        with contextlib.suppress(yaml.YAMLError):
            data = yaml.safe_load(text)
        check_problems(e.problems, data if isinstance(data, dict) else {})
    else:
        event("accepted")
        assert used == file
        check_config(config)


def test_the_fuzz_reaches_both_outcomes():
    """The strategies produce valid configs as well as broken ones (a fuzz that only ever
    fails validation would not notice a crash in building presets)."""
    check_config(parse(dump(mutate(DEFAULT, ["camera", "width"], "replace", 640))))
    try:
        parse(dump(mutate(DEFAULT, ["camera", "width"], "replace", -1)))
    except ConfigError as e:
        check_problems(e.problems, DEFAULT)
    else:
        raise AssertionError("camera.width -1 passed validation")
