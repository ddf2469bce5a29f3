#!/usr/bin/python3
"""/usr/bin/sketchd as the Debian package installs it.

The Python packages sketchd needs that Debian lacks (or has too old) live in /usr/lib/sketchd,
built from PyPI's wheels when the package was built: compiled ones once per Python release
the package supports (cp311 Debian 12, cp312 Ubuntu 24.04, cp313 Debian 13), pure ones and
sketchd itself once in common/. They come first on the path, so Debian's own copies never mix
in; what Debian provides (python3-gi for the tray and GStreamer, python3-tk) is found as usual.
PYTHONPATH is set too, for the processes sketchd starts as ``python3 -m sketchd``.
"""

import os
import sys

LIB = "/usr/lib/sketchd"
abi = f"cp{sys.version_info[0]}{sys.version_info[1]}"
if not os.path.isdir(os.path.join(LIB, abi)):
    built = sorted(d for d in os.listdir(LIB) if d.startswith("cp")) if os.path.isdir(LIB) else []
    sys.exit(
        f"sketchd: this package has its compiled Python modules for {', '.join(built) or 'no'}"
        f" Python, and {sys.executable} is {sys.version.split()[0]}: install the sketchd"
        " package built for this release of the distribution (scripts/build-deb.sh)"
    )
paths = [os.path.join(LIB, abi), os.path.join(LIB, "common")]
sys.path[:0] = paths
os.environ["PYTHONPATH"] = os.pathsep.join(
    paths + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
)

from sketchd.cli import main  # noqa: E402  (the path above first)

sys.exit(main())
