"""Build every Excel artefact the installers ship, with one command::

    python workbook/build_all.py

1. ``workbook/build_addin.py``: the "GST IMS" ribbon add-in ``workbook/dist/ims_xl.xlam``.
2. ``workbook/build_template.py`` (when present): the blank review workbook
   ``workbook/dist/ims_review_template.xlsx``.

Each builder runs in its own process with this interpreter, so one cannot leak state into
the other; the first failure stops the build with that builder's exit code.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUILDERS = ("build_addin.py", "build_template.py")


def main() -> int:
    """Run each builder that exists; return the first non-zero exit code, else 0."""
    for name in BUILDERS:
        script = HERE / name
        if not script.is_file():
            print(f"skip {name}: not present")
            continue
        print(f"== {name}", flush=True)
        code = subprocess.call([sys.executable, str(script)], cwd=HERE.parent)
        if code:
            print(f"{name} failed with exit code {code}", file=sys.stderr)
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
