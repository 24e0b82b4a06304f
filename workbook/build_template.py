"""Build the blank review workbook ``workbook/dist/ims_review_template.xlsx``, reproducibly.

The template is the review workbook ims-xl writes, with no records: the same writer and the
same layout (``ims_xl/layout.py``), so the template and the CLI's workbooks cannot drift.
The installers copy it into the user's Documents; the Excel ribbon's "Import IMS JSON" fills it.

    python workbook/build_template.py [--out PATH]
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from ims_xl.review.book import empty_book  # noqa: E402
from ims_xl.files.xlsx import write_review  # noqa: E402

#: A fixed creation time keeps the file byte-identical from build to build.
FIXED_TIME = datetime(2025, 1, 1, tzinfo=timezone.utc)
DEFAULT_OUT = HERE / "dist" / "ims_review_template.xlsx"


def build(out: Path = DEFAULT_OUT) -> Path:
    """Write the blank template to ``out`` and return its path."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        out.unlink()  # a build product: no backup of the previous build
    book = empty_book()
    write_review(book, out, created=FIXED_TIME)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    a = p.parse_args(argv)
    path = build(a.out)
    print(f"built {path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
