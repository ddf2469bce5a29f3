"""``settings`` and ``preview``: the settings window of the running daemon (its preview is
the daemon's own picture; no command opens the camera beside the daemon)."""

from __future__ import annotations

from sketchd.cli.registry import command


@command("settings", "open the settings window: live preview, presets, every filter's settings")
def _settings_args(p):
    pass


@_settings_args.handler
def _settings(args) -> int:
    from sketchd.settings.app import run_settings

    return run_settings()


@command("preview", "the settings window's preview: camera | sketch from the running daemon")
def _preview_args(p):
    pass


@_preview_args.handler
def _preview(args) -> int:
    from sketchd.settings.app import run_settings

    return run_settings()
