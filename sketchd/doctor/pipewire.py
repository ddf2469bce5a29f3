"""`sketchd doctor` on Linux, the PipeWire side: is PipeWire running, can sketchd publish its own
PipeWire camera, and which cameras PipeWire lists — so a user knows which apps will see Sketch
Camera: apps that open /dev/video* themselves (Zoom, Chromium, Teams) read the v4l2loopback
device; apps that find cameras through PipeWire (Flatpak apps, Firefox on Fedora 41+, OBS's
PipeWire source, GNOME Snapshot) see a PipeWire node. The facts come from
platform/linux/pipewire; this module only words them.
"""

from __future__ import annotations

from sketchd.doctor.report import Check
from sketchd.platform.linux import pipewire as pw

PIPEWIRE_APPS = "Flatpak apps, Firefox on Fedora, OBS's PipeWire source, GNOME Snapshot"
V4L2_APPS = "Zoom, Chromium, Teams and other apps that open /dev/video* themselves"
BOTH = "set output.device: [auto, pipewire] in the config (sketchd config path)"


def checks(uses_node: bool, uses_loopback: bool, objects: list[dict] | None = None) -> list[Check]:
    """The PipeWire checks. ``uses_node``: the config publishes sketchd's own node (then they
    are required); ``uses_loopback``: it publishes a v4l2loopback device. ``objects``: pw-dump's
    output (None: ask pw-dump now)."""
    if not pw.running():
        return [
            Check(
                "PipeWire",
                False,
                "not running for this user: apps that find cameras through PipeWire "
                f"({PIPEWIRE_APPS}) see no camera",
                "log in to a desktop session that runs it, or: systemctl --user enable --now "
                "pipewire wireplumber",
                required=uses_node,
            )
        ]
    if objects is None:
        objects = pw.dump() or []
    version = pw.server_version(objects)
    shown = ".".join(map(str, version)) if version else "version unknown (pw-dump missing?)"
    out = [Check("PipeWire", True, f"running ({shown})")]
    missing = pw.gst_missing()
    out.append(
        Check(
            "PipeWire camera",
            not missing,
            missing or "sketchd can publish its own PipeWire camera (output.device: pipewire)",
            missing.split(": ", 1)[-1] if missing else "",
            required=uses_node,
        )
    )
    out.append(_listed(pw.video_sources(objects), version, uses_node, uses_loopback))
    return out


def _listed(nodes: list[pw.Node], version, uses_node: bool, uses_loopback: bool) -> Check:
    """Which cameras PipeWire lists, and whether PipeWire apps will see Sketch Camera."""
    ours = [n for n in nodes if n.name == pw.NODE_NAME]
    loop = [n for n in nodes if n.device and n.description.startswith("Sketch Camera")]
    details = tuple(
        f'node {n.id}: "{n.description}"'
        + (f" ({n.device})" if n.device else " (sketchd's own)" if n in ours else "")
        + ("" if n.portal_visible else ", not handed to sandboxed apps (no media.role Camera)")
        for n in nodes
    )
    name = "PipeWire cameras"
    if ours:
        return Check(name, True, f"Sketch Camera is listed (node {ours[0].id}): "
                     f"{PIPEWIRE_APPS} see it", details=details)  # fmt: skip
    if loop and pw.reads_loopback(version):
        return Check(name, True, f"the v4l2loopback Sketch Camera is listed (node {loop[0].id})",
                     details=details)  # fmt: skip
    if loop:
        return Check(
            name,
            False,
            "PipeWire lists the v4l2loopback Sketch Camera but this PipeWire (before 1.1.81) "
            "cannot read a v4l2loopback device: apps through PipeWire get no picture",
            BOTH,
            required=False,
            details=details,
        )
    if uses_node:
        why = "not listed yet: it is listed while `sketchd run` publishes it"
        return Check(name, True, f"Sketch Camera {why}", details=details)
    summary = "Sketch Camera is not listed: " + (
        f"{PIPEWIRE_APPS} do not see it (only {V4L2_APPS} do)"
        if uses_loopback
        else "sketchd publishes no camera"
    )
    return Check(name, False, summary, BOTH, required=False, details=details)
