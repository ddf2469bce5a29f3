"""Fixtures shared by every test suite. Keep this small; suite-specific ones live beside them."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.env import private_dirs


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh, empty private home for this test (HOME and XDG_* point into it)."""
    env = private_dirs(tmp_path / "home")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    yield Path(env["HOME"])
    shutil.rmtree(env["XDG_RUNTIME_DIR"], ignore_errors=True)


@pytest.fixture
def sketchd_env(home: Path) -> dict[str, str]:
    """The environment for a ``python -m sketchd`` subprocess living in ``home``."""
    return dict(os.environ)  # os.environ already points into ``home`` here
