"""What a new user meets before anything works: a missing system library, no
XDG_RUNTIME_DIR, messages chained into one line."""

from __future__ import annotations

import warnings

import pytest

from sketchd import cli, paths
from sketchd.errors import and_then
from sketchd.platform.missing_lib import explain, missing_library

LIBGL = ImportError("libGL.so.1: cannot open shared object file: No such file or directory")


def test_a_missing_library_is_named_with_its_package():
    assert missing_library(LIBGL) == "libGL.so.1"
    line = explain(LIBGL, "render", has_apt=True)
    assert line == (
        "`sketchd render` needs the system library libGL.so.1, which is missing: "
        "sudo apt install libgl1"
    )
    xcb = ImportError("libxcb.so.1: cannot open shared object file: No such file or directory")
    assert explain(xcb, "doctor", has_apt=False).endswith(
        "install your distribution's package for libxcb.so.1 (Debian/Ubuntu: libxcb1)"
    )
    odd = ImportError("libfoo.so.3: cannot open shared object file: No such file or directory")
    assert explain(odd, "run", has_apt=True).endswith(
        "install the package that provides libfoo.so.3"
    )


def test_an_import_error_about_a_python_module_is_not_a_missing_library():
    assert explain(ModuleNotFoundError("No module named 'yaml'"), "run") is None


def test_the_cli_turns_a_missing_library_into_one_line_and_exit_1(monkeypatch, capsys):
    def presets(args):
        raise LIBGL

    handler = cli._COMMANDS["presets"]
    monkeypatch.setitem(cli._COMMANDS, "presets", (*handler[:2], presets))
    assert cli.main(["presets"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "libGL.so.1" in err and "Traceback" not in err


def test_the_cli_lets_other_import_errors_through(monkeypatch):
    def presets(args):
        raise ModuleNotFoundError("No module named 'sketchd.nothing'")

    handler = cli._COMMANDS["presets"]
    monkeypatch.setitem(cli._COMMANDS, "presets", (*handler[:2], presets))
    with pytest.raises(ModuleNotFoundError):  # a bug of ours: the traceback is what helps
        cli.main(["presets"])


def test_no_xdg_runtime_dir_gives_a_private_folder_and_no_warning(monkeypatch):
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        folder = paths.runtime_dir()
    assert folder.name == "sketchd" and folder.is_absolute()


@pytest.mark.parametrize(
    ("message", "then", "expected"),
    [
        ("no camera at 'auto'", "retrying", "no camera at 'auto'; retrying"),
        ("... or try --camera demo.", "retrying", "... or try --camera demo. Retrying."),
        ("Did you mean 'Cam'?\n", "reopening", "Did you mean 'Cam'? Reopening."),
    ],
)
def test_and_then_never_leaves_stray_punctuation(message, then, expected):
    assert and_then(message, then) == expected
