"""Rendering check: a validated review workbook, printed by LibreOffice, shows its colours.

The workbook is made the way an accountant's would be, through the CLI (``sample``,
``import``, a few actions typed with openpyxl, ``validate``). A temporary copy, reduced to
the B2B sheet with a landscape, fit-to-width print setup (the product's workbook is not
changed), is converted to PDF by LibreOffice headless, and the first page to PNG with
``pdftoppm`` (poppler), or by LibreOffice itself when poppler is absent. The PNG must be a
real page and contain the error fill (#F8CBAD) and the warning fill (#FFE699); Pillow reads it.

``IMS_XL_UPDATE_IMAGES=1 pytest tests/test_render.py`` also refreshes the README's picture
``docs/img/review_b2b.png``; it is never rewritten silently.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from ims_xl import cli
from ims_xl.review.layout import COLOURS

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOPPM = shutil.which("pdftoppm")
IMAGE = Path(__file__).resolve().parent.parent / "docs" / "img" / "review_b2b.png"

needs_soffice = pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice (soffice) is not installed; .ci/run installs "
    "libreoffice-calc-nogui and poppler-utils where apt-get is available")


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def read_png(path: Path) -> "Image.Image":
    """The picture as RGB (Pillow decodes every PNG flavour LibreOffice and poppler write)."""
    with Image.open(path) as im:
        return im.convert("RGB")


def count_colour(image: "Image.Image", colour: tuple[int, int, int]) -> int:
    """How many pixels have exactly this colour."""
    return sum(n for n, c in image.getcolors(maxcolors=1 << 24) if c == colour)


def _soffice(args: list[str], workdir: Path) -> None:
    profile = workdir / "lo-profile"  # a profile of its own: runs in parallel do not collide
    cmd = [SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore", *args]
    done = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr


def validated_workbook(tmp_path: Path) -> Path:
    """A review workbook with two errors and two warnings on B2B, validated by the CLI."""
    import openpyxl
    assert cli.main(["sample", "--out-dir", str(tmp_path / "sample"), "--records", "60"]) == 0
    review = tmp_path / "review.xlsx"
    assert cli.main(["import", str(tmp_path / "sample" / "ims_download.json"), "--out", str(review)]) == 0
    wb = openpyxl.load_workbook(review)
    ws = wb["B2B"]
    h = {c.value: c.column for c in ws[1]}
    blocked = [r for r in range(2, ws.max_row + 1) if ws.cell(r, h["Pending blocked"]).value == "Yes"]
    free = [r for r in range(2, ws.max_row + 1) if r not in blocked]
    ws.cell(free[0], h["Action"], "Accept")
    ws.cell(free[1], h["Action"], "Reject")
    ws.cell(free[1], h["Remarks"], "Goods not received")
    ws.cell(free[2], h["Action"], "Reject")
    ws.cell(free[2], h["Remarks"], "Rate differs from the purchase order; " * 8)    # error: too long
    ws.cell(free[3], h["Action"], "Accept")
    ws.cell(free[3], h["Remarks"], "check the rate")                                 # warning
    ws.cell(free[4], h["Taxable value"], 12345.0)                                    # warning: edited
    if blocked:
        ws.cell(blocked[0], h["Action"], "Pending")                                  # error: blocked
    wb.save(review)
    assert cli.main(["validate", str(review)]) == 1   # errors found and written into the workbook
    return review


#: Columns left out of the picture so the rest stays legible on one page.
HIDDEN_IN_PRINT = ("Invoice type", "Place of supply", "Cess", "Source", "Source return period",
                   "Source filing status")


def print_copy(review: Path, out: Path, rows: int = 16) -> Path:
    """A copy with only B2B, landscape, one page wide, the first ``rows`` rows and the columns
    up to 'Sheet validation errors' (the product's workbook keeps its own setup)."""
    import openpyxl
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter
    wb = openpyxl.load_workbook(review)
    for name in wb.sheetnames:
        if name != "B2B":
            del wb[name]
    ws = wb["B2B"]
    h = {c.value: c.column for c in ws[1]}
    last = h["Sheet validation errors"]
    for name in HIDDEN_IN_PRINT:
        ws.column_dimensions[get_column_letter(h[name])].hidden = True
    ws.column_dimensions[get_column_letter(last)].width = 95
    ws.column_dimensions[get_column_letter(h["Remarks"])].width = 24
    for r in range(2, rows + 1):
        cell = ws.cell(r, last)
        if cell.value:
            lines = str(cell.value).count("\n") + 1
            ws.row_dimensions[r].height = 15 * lines
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.print_area = f"A1:{get_column_letter(last)}{rows}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = True
    wb.save(out)
    return out


def crop(image: "Image.Image", margin: int = 12) -> "Image.Image":
    """The page cut down to what is printed on it (white margins removed)."""
    inverted = ImageOps.invert(image)  # getbbox finds the box of what is not black
    x0, y0, x1, y1 = inverted.getbbox()
    return image.crop((max(x0 - margin, 0), max(y0 - margin, 0),
                       min(x1 + margin, image.width), min(y1 + margin, image.height)))


@needs_soffice
def test_validated_workbook_renders_with_its_colours(tmp_path):
    review = validated_workbook(tmp_path)
    copy = print_copy(review, tmp_path / "print_b2b.xlsx")
    _soffice(["--convert-to", "pdf", "--outdir", str(tmp_path), str(copy)], tmp_path)
    pdf = tmp_path / "print_b2b.pdf"
    assert pdf.exists() and pdf.stat().st_size > 5_000
    if PDFTOPPM:
        subprocess.run([PDFTOPPM, "-png", "-r", "170", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                        str(tmp_path / "page")], check=True, timeout=120)
        png = tmp_path / "page.png"
    else:  # LibreOffice renders the first page itself
        _soffice(["--convert-to", "png", "--outdir", str(tmp_path / "png"), str(copy)], tmp_path)
        png = tmp_path / "png" / "print_b2b.png"
    assert png.stat().st_size > 20_000
    page = read_png(png)
    assert page.width >= 1000 and page.height >= 600, page.size
    errors = count_colour(page, _rgb(COLOURS["error"]))
    warnings = count_colour(page, _rgb(COLOURS["warning"]))
    inputs = count_colour(page, _rgb(COLOURS["input"]))
    assert errors > 200, f"{errors} pixels of the error fill {COLOURS['error']}"
    assert warnings > 200, f"{warnings} pixels of the warning fill {COLOURS['warning']}"
    assert inputs > 1_000, f"{inputs} pixels of the input fill {COLOURS['input']}"
    if os.environ.get("IMS_XL_UPDATE_IMAGES") == "1":
        IMAGE.parent.mkdir(parents=True, exist_ok=True)
        crop(page).save(IMAGE, optimize=True)


def test_readme_image_is_a_rendered_page():
    """The committed picture is such a page (refresh it with IMS_XL_UPDATE_IMAGES=1)."""
    if not IMAGE.exists():
        pytest.skip(f"{IMAGE} not generated yet")
    picture = read_png(IMAGE)
    assert picture.width >= 1000 and picture.height >= 200
    assert count_colour(picture, _rgb(COLOURS["error"])) > 200
