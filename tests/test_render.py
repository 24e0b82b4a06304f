"""Rendering check: a validated review workbook, printed by LibreOffice, shows its colours.

The workbook is made the way an accountant's would be, through the CLI (``sample``,
``import``, a few actions typed with openpyxl, ``validate``). A temporary copy, reduced to
the B2B sheet with a landscape, fit-to-width print setup (the product's workbook is not
changed), is converted to PDF by LibreOffice headless, and the first page to PNG with
``pdftoppm`` (poppler), or by LibreOffice itself when poppler is absent. The PNG must be a
real page and contain the error fill (#F8CBAD) and the warning fill (#FFE699).

``IMS_XL_UPDATE_IMAGES=1 pytest tests/test_render.py`` also refreshes the README's picture
``docs/img/review_b2b.png``; it is never rewritten silently.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from ims_xl import cli
from ims_xl.layout import COLOURS

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOPPM = shutil.which("pdftoppm")
IMAGE = Path(__file__).resolve().parent.parent / "docs" / "img" / "review_b2b.png"

needs_soffice = pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice (soffice) is not installed; .ci/run installs "
    "libreoffice-calc-nogui and poppler-utils where apt-get is available")


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def read_png(path: Path) -> tuple[int, int, list[bytes]]:
    """A minimal PNG reader (8-bit greyscale, RGB, RGBA or palette; no interlace):
    (width, height, rows of RGB bytes). No image library is needed."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, palette = 8, b"", b""
    width = height = depth = ctype = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0, f"unsupported PNG (depth {depth}, interlace {interlace})"
        elif kind == b"PLTE":
            palette = body
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 0xFF
            elif f == 2:
                line[i] = (line[i] + b) & 0xFF
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        prev = line
        if ctype == 2:
            rgb = bytes(line)
        elif ctype == 6:
            rgb = bytes(v for k in range(width) for v in line[4 * k:4 * k + 3])
        elif ctype == 3:
            rgb = b"".join(palette[3 * v:3 * v + 3] for v in line)
        elif ctype == 0:
            rgb = bytes(v for g in line for v in (g, g, g))
        else:
            rgb = bytes(v for k in range(width) for v in (line[2 * k],) * 3)
        rows.append(rgb)
    return width, height, rows


def count_colour(rows: list[bytes], colour: tuple[int, int, int]) -> int:
    target = bytes(colour)
    return sum(sum(1 for k in range(0, len(r), 3) if r[k:k + 3] == target) for r in rows)


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


def write_png(path: Path, width: int, rows: list[bytes]) -> None:
    """An 8-bit RGB PNG (no filtering), for the cropped picture."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    raw = b"".join(b"\x00" + r for r in rows)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, len(rows), 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def crop(width: int, rows: list[bytes], margin: int = 12) -> tuple[int, list[bytes]]:
    """The page cut down to what is printed on it (white margins removed)."""
    white = b"\xff\xff\xff"
    used = [y for y, r in enumerate(rows) if r != white * width]
    left = min(next(k for k in range(width) if r[3 * k:3 * k + 3] != white) for r in (rows[y] for y in used))
    right = max(max(k for k in range(width) if r[3 * k:3 * k + 3] != white) for r in (rows[y] for y in used))
    x0, x1 = max(left - margin, 0), min(right + margin, width - 1)
    y0, y1 = max(used[0] - margin, 0), min(used[-1] + margin, len(rows) - 1)
    return x1 - x0 + 1, [r[3 * x0:3 * (x1 + 1)] for r in rows[y0:y1 + 1]]


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
    width, height, rows = read_png(png)
    assert width >= 1000 and height >= 600, (width, height)
    errors = count_colour(rows, _rgb(COLOURS["error"]))
    warnings = count_colour(rows, _rgb(COLOURS["warning"]))
    inputs = count_colour(rows, _rgb(COLOURS["input"]))
    assert errors > 200, f"{errors} pixels of the error fill {COLOURS['error']}"
    assert warnings > 200, f"{warnings} pixels of the warning fill {COLOURS['warning']}"
    assert inputs > 1_000, f"{inputs} pixels of the input fill {COLOURS['input']}"
    if os.environ.get("IMS_XL_UPDATE_IMAGES") == "1":
        IMAGE.parent.mkdir(parents=True, exist_ok=True)
        write_png(IMAGE, *crop(width, rows))


def test_readme_image_is_a_rendered_page():
    """The committed picture is such a page (refresh it with IMS_XL_UPDATE_IMAGES=1)."""
    if not IMAGE.exists():
        pytest.skip(f"{IMAGE} not generated yet")
    width, height, rows = read_png(IMAGE)
    assert width >= 1000 and height >= 200
    assert count_colour(rows, _rgb(COLOURS["error"])) > 200
