"""What a doctor check is (``Check``) and how the CLI words a list of them (``report``); every
check module of sketchd/doctor builds on this one and it imports none of them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    summary: str
    fix: str = ""  # the exact command (or, where there is none, the action) that fixes it
    required: bool = True  # whether `sketchd run` cannot work while this fails
    details: tuple[str, ...] = ()


def run_can_work(checks: list[Check]) -> bool:
    return all(c.ok for c in checks if c.required)


def report(checks: list[Check]) -> str:
    width = max(len(c.name) for c in checks)
    pad = " " * (width + 3)
    lines = []
    for c in checks:
        mark = "✓" if c.ok else "✗"
        summary = c.summary if c.required or c.ok else f"{c.summary} (optional)"
        first, *rest = summary.splitlines() or [""]
        lines.append(f"{mark} {c.name:<{width}} {first}")
        lines += [pad + r for r in rest]
        lines += [pad + "  " + d for d in c.details]
        if c.fix:
            fix_first, *fix_rest = c.fix.splitlines()
            lines.append(f"{pad}fix: {fix_first}")
            lines += [f"{pad}     {r}" for r in fix_rest]
    if run_can_work(checks):
        lines.append("→ `sketchd run` can work")
    else:
        failed = ", ".join(c.name for c in checks if c.required and not c.ok)
        lines.append(f"→ `sketchd run` cannot work until this is fixed: {failed}")
    return "\n".join(lines)
