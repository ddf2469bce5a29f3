"""Print the Debian package's copyright file (machine-readable format 1.0): sketchd's own
licence, then one paragraph for each Python distribution bundled under /usr/lib/sketchd, with
the name, version and licence its own metadata declares and where its licence text lies.

    python3 packaging/linux/deb/copyright.py STAGED_USR_LIB_SKETCHD

Run by scripts/build-deb.sh; stdlib only.
"""

from __future__ import annotations

import sys
from email.parser import HeaderParser
from pathlib import Path

HEAD = """\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: sketchd
Source: https://github.com/sketchd/sketchd
Comment: /usr/lib/sketchd holds PyPI's wheels of the Python packages sketchd needs, for
 each Python release the package supports (cp311, cp312, cp313; common/ what they all share). Each
 one's licence text is in its *.dist-info folder there; the paragraphs below name each one
 with the licence its metadata declares.

Files: *
Copyright: 2026 sketchd developers
License: MIT

Files: usr/share/icons/hicolor/scalable/apps/sketchd.svg
Copyright: 2026 sketchd developers
License: MIT
"""

MIT = """\
License: MIT
 Permission is hereby granted, free of charge, to any person obtaining a copy of this
 software and associated documentation files (the "Software"), to deal in the Software
 without restriction, including without limitation the rights to use, copy, modify, merge,
 publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons
 to whom the Software is furnished to do so, subject to the following conditions:
 .
 The above copyright notice and this permission notice shall be included in all copies or
 substantial portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,
 INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR
 PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE
 FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
 OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER
 DEALINGS IN THE SOFTWARE.
"""

# metadata that names no licence in a short form, by distribution name
KNOWN = {"opencv-python-headless": "Apache-2.0", "numpy": "BSD-3-Clause"}


def licence(meta) -> str:
    name = (meta.get("Name") or "").lower()
    value = meta.get("License-Expression") or ""
    if not value:
        short = (meta.get("License") or "").strip()
        if short and "\n" not in short and len(short) < 60:
            value = short
    if not value:
        classifiers = [c for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
        value = classifiers[-1].split("::")[-1].strip() if classifiers else ""
    value = KNOWN.get(name, value) or "see-license-file"
    # a licence name in a copyright file is one word: "MIT License" -> "MIT-License"
    return "-".join(value.replace(",", " ").split())


def main(lib: Path) -> None:
    out = [HEAD]
    for meta_path in sorted(lib.glob("*/*.dist-info/METADATA")):
        dist = meta_path.parent
        meta = HeaderParser().parsestr(meta_path.read_text(encoding="utf-8", errors="replace"))
        if (meta.get("Name") or "").lower() == "sketchd":
            continue
        files = sorted(
            p.relative_to(dist)
            for p in dist.rglob("*")
            if any(w in p.name.upper() for w in ("LICEN", "COPYING", "NOTICE"))
        )
        where = ", ".join(str(f) for f in files) or "its METADATA"
        name = dist.name.split("-")[0]
        folder = dist.parent.name
        out.append(
            f"Files: usr/lib/sketchd/{folder}/{name}*\n"
            f"Copyright: the authors of {meta.get('Name')} {meta.get('Version')}\n"
            f"License: {licence(meta)}\n"
            f"Comment: bundled from PyPI's wheel; licence text in "
            f"usr/lib/sketchd/{folder}/{dist.name}/: {where}\n"
        )
    out.append(MIT)
    sys.stdout.write("\n".join(out))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
