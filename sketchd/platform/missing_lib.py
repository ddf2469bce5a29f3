"""A system library a compiled module could not load, named with the package that has it.

``import cv2`` (or PyGObject, or Pillow's Tk bridge) fails with an ImportError such as
"libGL.so.1: cannot open shared object file" on a machine that lacks the library. sketchd
turns that into one line naming the library, the package that provides it and the command
that needs it, instead of a traceback.
"""

from __future__ import annotations

import re
import shutil

# library → Debian/Ubuntu package (the same names on both)
APT = {
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libgobject-2.0.so.0": "libglib2.0-0",
    "libxcb.so.1": "libxcb1",
    "libX11.so.6": "libx11-6",
    "libXext.so.6": "libxext6",
    "libSM.so.6": "libsm6",
    "libICE.so.6": "libice6",
    "libgirepository-1.0.so.1": "libgirepository-1.0-1",
    "libcairo.so.2": "libcairo2",
    "libtk8.6.so": "libtk8.6",
    "libtcl8.6.so": "libtcl8.6",
}
_LIB = re.compile(r"(lib[\w.+-]+?\.so(?:\.\d+)*): cannot open shared object file")


def missing_library(error: BaseException) -> str | None:
    """The shared library an ImportError says is missing, or None if it is about something
    else (a Python module that is not installed, say)."""
    m = _LIB.search(str(error))
    return m.group(1) if m else None


def explain(error: BaseException, command: str, has_apt: bool | None = None) -> str | None:
    """One line for the user, or None when the error is not a missing system library."""
    lib = missing_library(error)
    if lib is None:
        return None
    if has_apt is None:
        has_apt = shutil.which("apt-get") is not None
    pkg = APT.get(lib)
    if pkg and has_apt:
        fix = f"sudo apt install {pkg}"
    elif pkg:
        fix = f"install your distribution's package for {lib} (Debian/Ubuntu: {pkg})"
    else:
        fix = f"install the package that provides {lib}"
    return f"`sketchd {command}` needs the system library {lib}, which is missing: {fix}"
