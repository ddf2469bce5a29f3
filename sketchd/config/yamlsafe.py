"""Safe YAML for user files: plain data only, every value's line remembered, hostile input
refused before it costs anything.

``yaml.safe_load`` already refuses tags that build Python objects; on top of it this refuses
alias bombs ("billion laughs"), oversized files, duplicate keys and absurd nesting, and turns
each into one clear line instead of a traceback.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_BYTES = 1 << 20  # a sketchd config is a few KB; 1 MiB is generous
MAX_ALIASES = 100
MAX_DEPTH = 40
MAX_VALUES = 100_000  # values once aliases are expanded; the default config has a few hundred


class YamlProblem(Exception):
    """A file that cannot be read as a config, with the line and column when known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        self.line, self.column = line, column
        where = f"line {line}, column {column}: " if line is not None and column is not None else ""
        where = where or (f"line {line}: " if line is not None else "")
        super().__init__(where + message)


class _Loader(yaml.SafeLoader):
    def __init__(self, stream):
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise YamlProblem(
                    f"more than {MAX_ALIASES} aliases (*name): refused, as an alias bomb would be",
                    mark.line + 1,
                    mark.column + 1,
                )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise YamlProblem(
                    f"nested more than {MAX_DEPTH} levels deep", mark.line + 1, mark.column + 1
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _walk(
    node: yaml.Node,
    path: str,
    lines: dict[str, int],
    problems: list[YamlProblem],
    budget: list[int],
):
    # each alias is walked again under its new path, so few aliases can mean billions of paths
    budget[0] -= 1
    if budget[0] < 0:
        mark = node.start_mark
        raise YamlProblem(
            f"aliases (*name) expand to more than {MAX_VALUES:,} values: refused, as an alias "
            "bomb would be",
            mark.line + 1,
            mark.column + 1,
        )
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):  # `? [a, b]`: no key path names it
                mark = key_node.start_mark
                where = path or "(top level)"
                raise YamlProblem(
                    f"{where}: a key must be a plain name, not a list or mapping",
                    mark.line + 1,
                    mark.column + 1,
                )
            key = key_node.value
            sub = f"{path}.{key}" if path else str(key)
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(
                    YamlProblem(f"{sub}: duplicate key (first given on line {seen[key]})", line)
                )
            seen[key] = line
            lines[sub] = line
            _walk(value_node, sub, lines, problems, budget)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, f"{path}[{i}]", lines, problems, budget)


def load(text: str) -> tuple[Any, dict[str, int]]:
    """Parse ``text`` → (plain data, {key path: line}). Raises YamlProblem."""
    if len(text) > MAX_BYTES:
        raise YamlProblem(f"is {len(text):,} characters; a config is at most {MAX_BYTES:,}")
    try:
        loader = _Loader(text)  # the reader checks every character here, before parsing
    except yaml.reader.ReaderError as e:
        line = text.count("\n", 0, e.position) + 1
        column = e.position - (text.rfind("\n", 0, e.position) + 1) + 1
        raise YamlProblem(f"character #x{e.character:04x} is not allowed", line, column) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return {}, {}
        lines: dict[str, int] = {}
        problems: list[YamlProblem] = []
        _walk(node, "", lines, problems, [MAX_VALUES])
        if problems:
            raise problems[0]
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        msg = " ".join(x for x in (e.context, e.problem) if x) or "not valid YAML"
        if "could not determine a constructor" in msg:
            tag = (e.problem or "").split()[-1].strip("'").replace("tag:yaml.org,2002:", "!!")
            msg = f"tag {tag} is not allowed: a config holds plain data only"
        if mark is None:
            raise YamlProblem(msg) from None
        raise YamlProblem(msg, mark.line + 1, mark.column + 1) from None
    except yaml.YAMLError as e:
        raise YamlProblem(f"not valid YAML: {e}") from None
    except RecursionError:
        raise YamlProblem("nested too deeply") from None
    finally:
        loader.dispose()
    return data, lines
