"""``sketchd status`` as text: the running daemon's status reply, one aligned line a field."""

from __future__ import annotations


def show(s: dict) -> None:
    """Print the status reply ``s`` (what the control socket's ``status`` answers)."""
    flags = [name for name in ("bypass", "privacy", "mirror") if s.get(name)]
    up = int(s["uptime"])
    if s["camera"] == "standby":
        off = s.get("standby_for")
        camera = "standby, closed: no app is using Sketch Camera" + (
            f" (off for {_duration(off)})" if off is not None else ""
        )
    else:
        camera = s["camera"] + (f" ({s['camera_desc']})" if s.get("camera_desc") else "")
        if s.get("camera_error") and s["camera"] != "live":
            camera += f": {s['camera_error']}"
    print(f"sketchd running (pid {s['pid']})")
    print(f"  preset:    {s['preset']}" + (f" ({', '.join(flags)} on)" if flags else ""))
    print(f"  camera:    {_indented(camera)}")
    print(f"  readers:   {_readers(s)}")
    error = s.get("output_error")
    if error and not s["fps"]:
        print(f"  output:    nothing goes out: {_indented(error)}")
    else:  # with several devices, one may fail while the others take frames
        print(f"  output:    {s['fps']:g} fps, {s['published']} frames published")
        if error:
            print(f"  output error: {_indented(error, 16)}")
    if s["camera"] == "live" and s["fps"]:
        print(
            f"  latency:   {s['latency_ms']:.0f} ms camera → virtual camera, "
            f"{s['behind']} frame(s) behind the newest (worst since start: {s['behind_max']})"
        )
    print(f"  uptime:    {up // 3600}:{up // 60 % 60:02d}:{up % 60:02d}")
    print(f"  config:    {s.get('config') or 'built-in defaults'}")
    print(f"  log:       {s['log']}")


def _readers(s: dict) -> str:
    """Who reads Sketch Camera, and so whether the camera is on demand."""
    if not s.get("on_demand"):
        return "not watched: the camera stays on (camera.on_demand is off, or --always-on)"
    n = s.get("readers")
    if n is None:
        return "cannot be told here: the camera stays on"
    apps = f"{n} app{'s' if n != 1 else ''} reading Sketch Camera"
    return apps + (f" (seen through {s['readers_how']})" if s.get("readers_how") else "")


def _duration(seconds: float) -> str:
    s = int(seconds)
    return f"{s} s" if s < 60 else f"{s // 60} min {s % 60} s" if s < 3600 else f"{s // 3600} h"


def _indented(text: str, by: int = 13) -> str:
    """A message's continuation lines lined up under its first (status's value column)."""
    return text.replace("\n", "\n" + " " * by)
