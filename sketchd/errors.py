"""The few exception types a user sees. Each carries the exit code the CLI uses."""

from __future__ import annotations


class SketchdError(Exception):
    """Base class: a problem we can explain in one line, never with a traceback."""

    exit_code = 1


class UsageError(SketchdError):
    """Bad input from the user: a missing file, an unknown preset, a wrong argument."""

    exit_code = 2


class ConfigError(SketchdError):
    """A config that cannot be used. ``problems`` holds every problem found, one line each."""

    exit_code = 2

    def __init__(self, problems: list[str], source: str = "config"):
        self.problems = list(problems)
        self.source = source
        n = len(self.problems)
        head = f"{source}: {n} problem{'s' if n != 1 else ''}"
        super().__init__(head + "\n" + "\n".join(f"  {p}" for p in self.problems))

    @property
    def first(self) -> str:
        return self.problems[0] if self.problems else ""


class CameraError(SketchdError):
    """The physical camera cannot be opened or read."""


class OutputError(SketchdError):
    """The virtual camera cannot be opened or written."""


def and_then(message: str, what: str) -> str:
    """``message`` followed by what happens next, punctuated either way: "no camera; retrying"
    or, after a message that ends a sentence, "... try --camera demo. Retrying." """
    message = message.rstrip()
    if message.endswith((".", "?", "!")):
        return f"{message} {what[:1].upper()}{what[1:]}."
    return f"{message}; {what}"


def did_you_mean(name: object, known, otherwise: str = "known: ") -> str:
    """The tip after "unknown X": the closest known name, or the whole list."""
    import difflib

    names = [str(k) for k in known]
    hint = difflib.get_close_matches(str(name), names, n=1, cutoff=0.6)
    return f"did you mean {hint[0]!r}?" if hint else otherwise + ", ".join(names)


def no_preset(name: object, known) -> str:
    """The one wording of "no preset named X" (the config check, --preset, the tray, `sketchd
    preset X`)."""
    return f"no preset named {name!r}; {did_you_mean(name, known)}"
