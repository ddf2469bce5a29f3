"""`sketchd doctor` on Linux: the v4l2loopback module and its release, its devices and their
state (free, busy, stuck), the one sketchd publishes to, exclusive_caps, the card label, and the
second device for two call apps at once. The facts and the release-dependent commands come from
platform/linux/v4l2 and platform/linux/loopback; this module only words them as checks.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from sketchd.doctor.report import Check
from sketchd.platform import CARD_LABEL
from sketchd.platform.linux import loopback as loop
from sketchd.platform.linux import v4l2 as v4l2
from sketchd.platform.linux.loopback import Release
from sketchd.platform.linux.module import why_not_loaded
from sketchd.platform.linux.v4l2 import VideoDevice

LOAD_FIRST = "load v4l2loopback first: the v4l2loopback check above says how"


def checks(configured: Sequence[str]) -> list[Check]:
    """Every Linux virtual-camera check for the output devices ``configured`` (each "auto" or a
    path: output.device may list several, one per call app)."""
    release = loop.loaded_release()
    if release is None:
        cause = why_not_loaded()
        out = [Check("v4l2loopback", False, cause.problem, cause.fix)]
    else:
        out = [Check("v4l2loopback", True, _loaded(release))]
    found = v4l2.list_devices()
    loopbacks = [d for d in found if d.loopback]
    taken = {d.number for d in found}
    states = {d.path: loop.loopback_state(d.path) for d in loopbacks}
    if release is None:
        pass  # no module, no loopback devices: the check above says what to do
    elif loopbacks:
        listed = ", ".join(f'{d.path} "{d.name}"' for d in loopbacks)
        out.append(
            Check(
                "loopback devices",
                True,
                listed,
                details=tuple(_state_line(states[d.path]) for d in loopbacks),
            )
        )
    else:
        fix = loop.make_fix(release, loop.free_number(taken, 10))
        out.append(Check("loopback devices", False, "the module is loaded but made no device", fix))
    for device in configured:
        out += _output_device(device, found, loopbacks, release, states)
    if release is not None and any(d.name == CARD_LABEL for d in loopbacks):
        out.append(_second_device(loopbacks, release, taken))
    return out


def _loaded(release: Release) -> str:
    params = v4l2.module_params()
    shown = {k: params[k] for k in ("devices", "exclusive_caps", "card_label") if k in params}
    opts = " (" + ", ".join(f"{k}={v}" for k, v in shown.items()) + ")" if shown else ""
    if release.text:
        return f"loaded, release {release}{opts}"
    return f"loaded, release 0.12 or older{opts}: it has no /sys/module/v4l2loopback/version"


def _state_line(state: loop.LoopbackState) -> str:
    held = ", ".join(map(str, state.holders))
    if state.state == "busy":
        fmt = f" {state.format}" if state.format else ""
        return f"{state.path}: busy, publishing{fmt}; open in {held}"
    if state.state == "stuck":
        return f"{state.path}: STUCK, no program can publish to it" + (
            f"; open in {held}" if held else ""
        )
    if state.state == "unknown":
        return f"{state.path}: cannot be opened to tell its state"
    return f"{state.path}: free" + (f"; open in {held}" if held else "")


def _output_device(
    configured: str,
    found: Sequence[VideoDevice],
    loopbacks: Sequence[VideoDevice],
    release: Release | None,
    states: dict[str, loop.LoopbackState],
) -> list[Check]:
    labelled = [d for d in loopbacks if d.name == CARD_LABEL]
    taken = {d.number for d in found}
    # without the module, the v4l2loopback check's own fix comes first: do not repeat it
    make = LOAD_FIRST if release is None else loop.make_fix(release, loop.free_number(taken, 10))
    if configured != "auto":
        dev = next((d for d in found if d.path == configured), None)
        use = labelled[0].path if labelled else (loopbacks[0].path if loopbacks else None)
        number = loop.number_of(configured)
        free = release is not None and number is not None and number not in taken
        here = loop.make_fix(release, number) if free and number is not None else make
        fix = f"sketchd run --output {use}" if use else here
        if dev is None and not os.path.exists(configured):
            return [Check("virtual camera", False, f"{configured}: no such device", fix)]
        if dev is None or not dev.loopback:
            what = f"driver {dev.driver!r}" if dev and dev.driver else "not a video device"
            if dev and not dev.driver:
                what = f'"{dev.name}"' if dev.name else "unknown driver"
            return [
                Check(
                    "virtual camera",
                    False,
                    f"{configured} is not a v4l2loopback device ({what}): "
                    "sketchd can only publish to one",
                    fix,
                )
            ]
        chosen = dev
    elif labelled:
        chosen = labelled[0]
    elif len(loopbacks) == 1:
        chosen = loopbacks[0]
    elif loopbacks:
        listed = ", ".join(f'{d.path} "{d.name}"' for d in loopbacks)
        fix = f"sketchd run --output {loopbacks[0].path}   (or output.device in the config)"
        if release is not None and release.dynamic:
            fix += f"\nor make one: {make}"
        return [
            Check("virtual camera", False, f'none is labelled "{CARD_LABEL}" among {listed}', fix)
        ]
    else:
        return [Check("virtual camera", False, "no virtual camera to publish to", make)]
    state = states.get(chosen.path) or loop.loopback_state(chosen.path)
    out = [_publish_here(chosen, state, release, loopbacks, states)]
    out.append(_exclusive_caps(chosen, state, release))
    if chosen.name != CARD_LABEL:
        fix = loop.make_fix(release, loop.free_number(taken, 10))
        out.append(
            Check(
                "card label",
                False,
                f'{chosen.path} is "{chosen.name}", not "{CARD_LABEL}": call apps list it so',
                fix,
                required=False,
            )
        )
    return out


def _publish_here(
    chosen: VideoDevice,
    state: loop.LoopbackState,
    release: Release | None,
    loopbacks: Sequence[VideoDevice],
    states: dict[str, loop.LoopbackState],
) -> Check:
    where = f'{chosen.path} "{chosen.name}"'
    held = ", ".join(map(str, state.holders))
    if state.state == "stuck":
        others = {p: s.holders for p, s in states.items()}
        return Check(
            "virtual camera",
            False,
            f"{where} is stuck: no program can publish to it (VIDIOC_S_FMT fails with EINVAL)",
            loop.stuck_fix(state, release, chosen.name or CARD_LABEL, others),
            details=(f"why: {loop.stuck_why(release)}",)
            + ((f"still open in: {held}",) if held else ()),
        )
    if state.state == "busy":
        mine = [h for h in state.holders if _is_sketchd(h)]
        if mine:
            return Check("virtual camera", True, f"{where}: sketchd ({mine[0]}) publishes here now")
        spare = [
            d.path
            for d in loopbacks
            if d.path != chosen.path and getattr(states.get(d.path), "state", "") == "free"
        ]
        fix = f"close the program publishing to it ({held})"
        if spare:
            fix += f"\nor publish to another device: sketchd run --output {spare[0]}"
        return Check(
            "virtual camera",
            False,
            f"{where} is in use: another program publishes to it"
            + (f" ({state.format})" if state.format else ""),
            fix,
            details=(f"open in: {held}",),
        )
    if state.state == "unknown" and not os.access(chosen.path, os.R_OK | os.W_OK):
        return Check(
            "virtual camera",
            False,
            f"{where}: this user may not open it",
            "sudo usermod -aG video $USER   # then log out and in again",
        )
    return Check("virtual camera", True, f"{where}: sketchd publishes here")


def _exclusive_caps(
    chosen: VideoDevice, state: loop.LoopbackState, release: Release | None
) -> Check:
    excl = v4l2.exclusive_caps_for(chosen)
    if excl is None and state.caps is not None:
        # without it a device advertises CAPTURE and OUTPUT at once; with it, one at a time
        both = v4l2.CAP_VIDEO_CAPTURE | v4l2.CAP_VIDEO_OUTPUT
        if state.caps & both:
            excl = state.caps & both != both
    if excl is False:
        return Check(
            "exclusive_caps",
            False,
            f"off for {chosen.path}: Chrome, Zoom and other WebRTC apps will not list it",
            loop.remake_fix(release, chosen.path, chosen.name or CARD_LABEL),
            required=False,
        )
    said = "on" if excl else "cannot be told from the module's parameters"
    return Check("exclusive_caps", True, f"{said} for {chosen.path}", required=False)


def _second_device(loopbacks: Sequence[VideoDevice], release: Release, taken: set[int]) -> Check:
    second = [d for d in loopbacks if d.name == loop.SECOND_LABEL]
    if second:
        return Check(
            "second device",
            True,
            f'{second[0].path} "{loop.SECOND_LABEL}": for a second call app at once',
            required=False,
        )
    return Check(
        "second device",
        True,
        f'no "{loop.SECOND_LABEL}": {loop.SECOND_WHY}',
        required=False,
        details=(f"to make it: {loop.second_device_fix(release, taken)}",),
    )


def _is_sketchd(holder: loop.Holder) -> bool:
    """Whether a holder is a sketchd process (`sketchd run`, `python -m sketchd run`)."""
    return holder.comm == "sketchd" or any(
        os.path.basename(a) == "sketchd" for a in holder.argv[:3]
    )
