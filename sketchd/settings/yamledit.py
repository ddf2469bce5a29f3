"""Saving the settings window's edits into the user's config file in place: comments, key
order, quoting and layout kept; only the values that changed are touched.

ruamel.yaml's round-trip mode does this (PyYAML, which reads the config, drops comments and
order on the way in). A file that does not exist yet is made from the commented default first;
a file without a ``presets:`` section gets the default presets, comments and all (a user
``presets:`` replaces the built-in ones whole). The text is checked as ``sketchd config check``
would before it atomically replaces the old file; a wrong value is refused with the config's
own message and the file stays as it was.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from sketchd import paths
from sketchd.config.loader import parse
from sketchd.filters.registry import FILTERS

StepData = dict[str, Any]  # {"filter": name, "params": {...}}, as the daemon's "info" has it


def _yaml(text: str) -> YAML:
    """A round-trip YAML with the block-sequence indentation ``text`` uses (the default file
    indents its dashes under the key; many hand-written files put them at the key's column)."""
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap a long line
    mapping, offset = 2, 0
    lines = text.splitlines()
    for i, line in enumerate(lines[:-1]):
        key = re.match(r"^( *)[^\s#-][^:#]*:\s*(#.*)?$", line)
        if not key:
            continue
        nxt = next((n for n in lines[i + 1 :] if n.strip() and not n.lstrip().startswith("#")), "")
        dash = re.match(r"^( *)- ", nxt)
        if dash:
            offset = len(dash.group(1)) - len(key.group(1))
            break
    for i, line in enumerate(lines[:-1]):
        key = re.match(r"^( *)[^\s#-][^:#]*:\s*(#.*)?$", line)
        nxt = lines[i + 1] if key else ""
        sub = re.match(r"^( *)[^\s#-]", nxt)
        if key and sub and len(sub.group(1)) > len(key.group(1)):
            mapping = len(sub.group(1)) - len(key.group(1))
            break
    y.indent(mapping=mapping, sequence=max(offset, 0) + 2, offset=max(offset, 0))
    return y


def default_text() -> str:
    return paths.default_config_file().read_text(encoding="utf-8")


def read_text(path: Path) -> str:
    """The user's file, or the commented default when there is none yet."""
    return path.read_text(encoding="utf-8") if path.exists() else default_text()


def _flow(params: dict[str, Any]) -> CommentedMap:
    m = CommentedMap(params)
    m.fa.set_flow_style()
    return m


def _name(item: Any) -> str | None:
    if isinstance(item, str):
        return item
    if isinstance(item, dict) and len(item) == 1:
        return str(next(iter(item)))
    return None


def _wanted(step: StepData, old: dict | None) -> dict[str, Any]:
    """The parameters a step writes: those the file's step already names, and those that
    differ from the filter's defaults (a default left out stays left out)."""
    defaults = FILTERS[step["filter"]].defaults() if step["filter"] in FILTERS else {}
    old = old or {}
    return {
        k: v for k, v in step["params"].items() if k in old or k not in defaults or defaults[k] != v
    }


def _update_step(item: Any, step: StepData) -> Any:
    """The file's step ``item`` (same filter) with ``step``'s values, edited in place where
    it is a mapping; a bare name becomes a mapping only when a value is not the default."""
    name = step["filter"]
    old = item.get(name) if isinstance(item, dict) else None
    want = _wanted(step, old if isinstance(old, dict) else None)
    if isinstance(old, dict):
        for k, v in want.items():
            if k not in old or old[k] != v:
                old[k] = v
        return item
    if not want:
        return item
    if isinstance(item, dict):  # `- pencil:` with nothing after it
        item[name] = _flow(want)
        return item
    return CommentedMap({name: _flow(want)})


def _new_step(step: StepData) -> Any:
    want = _wanted(step, None)
    return CommentedMap({step["filter"]: _flow(want)}) if want else step["filter"]


def set_chain(seq: CommentedSeq, chain: Sequence[StepData]) -> None:
    """The YAML chain ``seq`` made to say ``chain``. Steps keep their node (and the comments
    on it) by filter name, in order: a moved slider edits one number, a reordered or removed
    step moves or drops its line, an added one is a new flow mapping."""
    names = [_name(item) for item in seq]
    # the comment after a bare step's name belongs to the list, by position: it moves along
    notes = {i: seq.ca.items.pop(i) for i in list(seq.ca.items) if isinstance(i, int)}
    pool = [(n, item, notes.get(i)) for i, (n, item) in enumerate(zip(names, seq, strict=True))]
    new: list[tuple[Any, Any]] = []
    for step in chain:
        j = next((j for j, (n, _, _) in enumerate(pool) if n == step["filter"]), None)
        if j is None:
            new.append((_new_step(step), None))
            continue
        _, item, note = pool.pop(j)
        updated = _update_step(item, step)
        if updated is not item and note is not None and note[0] is not None:
            # a bare name became a mapping: its comment goes to the end of that line
            updated.yaml_add_eol_comment(
                note[0].value.strip(), step["filter"], column=note[0].column
            )
            note = None
        new.append((updated, note))
    if [item for item, _ in new] != list(seq):
        seq.clear()
        seq.extend(item for item, _ in new)
    for i, (_, note) in enumerate(new):
        if note is not None:
            seq.ca.items[i] = note


def _presets(doc: CommentedMap) -> CommentedMap:
    """The file's ``presets:`` mapping; the default's, with its comments, when it has none."""
    if not isinstance(doc.get("presets"), dict):
        default = _yaml(default_text()).load(default_text())
        doc["presets"] = default["presets"]
    return doc["presets"]


def edit(
    text: str,
    name: str,
    chain: Sequence[StepData],
    *,
    description: str | None = None,
    after: str | None = None,
) -> str:
    """``text`` (a config file) with preset ``name``'s chain set to ``chain``. A preset not in
    the file is added, with ``description``, after preset ``after`` (else last)."""
    y = _yaml(text)
    doc = y.load(text)
    if doc is None:
        doc = CommentedMap()
    if not isinstance(doc, CommentedMap):
        raise ValueError("the config file is not a mapping of sections")
    presets = _presets(doc)
    if name in presets and isinstance(presets[name], dict):
        preset = presets[name]
        if not isinstance(preset.get("chain"), CommentedSeq):
            preset["chain"] = CommentedSeq()
        set_chain(preset["chain"], chain)
        if description is not None and preset.get("description") != description:
            preset["description"] = description
    else:
        body = CommentedMap()
        if description:
            body["description"] = description
        body["chain"] = CommentedSeq()
        set_chain(body["chain"], chain)
        keys = list(presets)
        at = keys.index(after) + 1 if after in keys else len(keys)
        presets.insert(at, name, body)
    out = io.StringIO()
    y.dump(doc, out)
    return out.getvalue()


def check(text: str, source: str) -> None:
    """Raise ConfigError with every problem when ``text`` would not pass `sketchd config
    check` (the same checks, the same messages)."""
    parse(text, source)


def write(path: Path, text: str) -> None:
    """``text`` checked, then put at ``path`` atomically (a temporary file beside it, synced,
    renamed over it, keeping its mode): a crash leaves the old file or the new one, whole."""
    check(text, str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(
    path: Path,
    name: str,
    chain: Sequence[StepData],
    *,
    description: str | None = None,
    after: str | None = None,
) -> str:
    """Edit preset ``name`` in the file at ``path`` (made from the default when missing),
    check and write it; returns the new text. ConfigError when the result is not valid."""
    text = edit(read_text(path), name, chain, description=description, after=after)
    write(path, text)
    return text
