"""Register workbooks whose cells hold no value a reader can take: formulas never calculated
and Excel errors, as the programs that write registers leave them.

python-calamine (like every reader that does not calculate) reads a formula cell's stored
result, and an error cell as empty. So a register whose ``Invoice Value`` column was written
as ``=SUM(G2:K2)`` by a program that never calculated it read as 0 on every row, and a
``#N/A`` GSTIN from a VLOOKUP read as a blank GSTIN: a reconcile full of false mismatches,
with exit 0. Each file below is built the way its writer writes it (sources beside each
builder); the refusal must name the file, the row and the column, say what the cell holds
and how to fix it, and write nothing. Files whose formulas carry their results (Excel's and
LibreOffice's saves, XlsxWriter given the values) must read exactly as the plain CSV twin.
"""

from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from ims_xl import cli
from ims_xl.files.read import cells_without_value
from registers import documents as D

HEADER = list(D.PLAIN_COLUMNS)
AMOUNTS = ("Taxable Value", "Integrated Tax", "Central Tax", "State/UT Tax", "Cess")
VALUE = HEADER.index("Invoice Value")
GSTIN = HEADER.index("GSTIN of Supplier")
LETTER = {i: chr(65 + i) for i in range(len(HEADER) + 1)}


def ims(capsys, *args: object) -> tuple[int, str, str]:
    """``ims-xl ARGS`` in-process; never a traceback; exit 2 is one line on stderr."""
    capsys.readouterr()
    rc = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert rc in (0, 2) and "Traceback" not in out + err and "internal error" not in err, (args, rc, err)
    if rc == 2:
        assert len(err.strip().splitlines()) == 1, err
    return rc, out, err


def statuses(path: Path) -> dict[tuple, str]:
    with path.open(encoding="utf-8", newline="") as f:
        return {(r["section"], r["stin"], r["doc_no"]): r["status"] for r in csv.DictReader(f)}


def twin_rows() -> list[list[object]]:
    """The plain twin's rows with amounts as numbers, as a workbook holds them."""
    with D.write_plain(Path(_tmp) / "twin_rows.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    out = [rows[0]]
    for r in rows[1:]:
        out.append([float(v) if HEADER[i] in AMOUNTS or i == VALUE else v for i, v in enumerate(r)])
    return out


_tmp = ""


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> dict:
    global _tmp
    folder = tmp_path_factory.mktemp("values")
    _tmp = str(folder)
    download = D.write_ims_download(folder / "ims_download.json")
    review = folder / "review.xlsx"
    assert cli.main(["import", str(download), "--out", str(review)]) == 0
    plain = D.write_plain(folder / "plain.csv")
    wb = folder / "twin.xlsx"
    wb.write_bytes(review.read_bytes())
    assert cli.main(["reconcile", str(wb), "--books", str(plain), "--matches", str(folder / "twin.csv")]) == 0
    twin = statuses(folder / "twin.csv")
    assert len(set(twin.values())) >= 5
    return {"download": download, "review": review, "twin": twin, "rows": twin_rows()}


def total_formula(r: int) -> str:
    """The invoice value as a register template computes it (row ``r``, 1-based)."""
    return f"=SUM({LETTER[HEADER.index(AMOUNTS[0])]}{r}:{LETTER[HEADER.index(AMOUNTS[-1])]}{r})"


def openpyxl_register(rows: list[list[object]], path: Path) -> Path:
    """openpyxl never calculates: a formula is written as ``<f>`` with an empty ``<v/>``
    (openpyxl docs, "Simple usage: Using formulae": "openpyxl never evaluates formula"),
    and the workbook asks for a full calculation on load."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(rows[0])
    for k, r in enumerate(rows[1:], start=2):
        ws.append([total_formula(k) if i == VALUE else v for i, v in enumerate(r)])
    wb.save(path)
    return path


def xlsxwriter_register(rows: list[list[object]], path: Path, with_results: bool) -> Path:
    """XlsxWriter stores 0 as every formula's result unless given one, and sets
    ``fullCalcOnLoad`` (XlsxWriter docs, "Formula Results"; libxlsxwriter FAQ, "Why do my
    formulas show a zero result in some, non-Excel applications?")."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Purchases")
    ws.write_row(0, 0, rows[0])
    for k, r in enumerate(rows[1:], start=1):
        for i, v in enumerate(r):
            if i == VALUE:
                ws.write_formula(k, i, total_formula(k + 1), None, v if with_results else 0)
            else:
                ws.write(k, i, v)
    wb.close()
    return path


def _rewrite(path: Path, part: str, edit) -> None:
    with zipfile.ZipFile(path) as z:
        items = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for i, data in items:
            z.writestr(i, edit(data) if i.filename == part else data)


def excel_saved_register(rows: list[list[object]], path: Path) -> Path:
    """What Excel writes on saving: each formula with its result in ``<v>`` (ECMA-376 Part 1
    §18.3.1.40 ``f``, §18.3.1.96 ``v``), a column of like formulas as one shared formula
    (``t="shared"``, §18.17.2.5), and no ``fullCalcOnLoad`` in ``calcPr`` (§18.2.2)."""
    openpyxl_register(rows, path)
    values = {k: r[VALUE] for k, r in enumerate(rows[1:], start=2)}
    col = LETTER[VALUE]

    def with_results(data: bytes) -> bytes:
        def cell(m: re.Match) -> bytes:
            k = int(m.group(1))
            f = (f'<f t="shared" ref="{col}2:{col}{len(rows)}" si="0">{total_formula(2)[1:]}</f>' if k == 2
                 else '<f t="shared" si="0"/>')
            return f'<c r="{col}{k}">{f}<v>{values[k]!r}</v></c>'.encode()
        return re.sub(rb'<c r="' + col.encode() + rb'([0-9]+)"><f>[^<]*</f><v\s*/></c>', cell, data)

    _rewrite(path, "xl/worksheets/sheet1.xml", with_results)
    _rewrite(path, "xl/workbook.xml", lambda d: re.sub(rb'<calcPr[^>]*/>', b'<calcPr calcId="191029"/>', d))
    return path


def lookup_error_register(rows: list[list[object]], path: Path, column: int, row: int) -> Path:
    """An Excel-saved register whose cell (``row``, 1-based) in ``column`` is a VLOOKUP
    that found nothing: Excel stores ``<c t="e"><f>...</f><v>#N/A</v></c>`` (§18.18.11
    ST_CellType ``e``)."""
    excel_saved_register(rows, path)
    ref = f"{LETTER[column]}{row}"

    def error(data: bytes) -> bytes:
        new = (f'<c r="{ref}" t="e"><f>VLOOKUP(B{row},Suppliers!A:B,2,FALSE)</f><v>#N/A</v></c>').encode()
        out, n = re.subn(rb'<c r="' + ref.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', new, data, count=1)
        assert n == 1
        return out

    _rewrite(path, "xl/worksheets/sheet1.xml", error)
    return path


def refused(capsys, base, tmp_path, register: Path) -> str:
    out_dir = tmp_path / "job"
    rc, _, err = ims(capsys, "run", base["download"], "--books", register, "--out-dir", out_dir)
    assert rc == 2, err
    assert not out_dir.exists() or not any(out_dir.iterdir()), "a refused run wrote files"
    wb = tmp_path / "r.xlsx"
    wb.write_bytes(base["review"].read_bytes())
    before = wb.read_bytes()
    rc, _, err2 = ims(capsys, "reconcile", wb, "--books", register)
    assert rc == 2 and wb.read_bytes() == before
    assert err2 == err or err2.split(": ", 1)[1] == err.split(": ", 1)[1]
    return err


def test_formulas_openpyxl_wrote_are_refused_with_the_row_and_column(base, tmp_path, capsys):
    err = refused(capsys, base, tmp_path, openpyxl_register(base["rows"], tmp_path / "openpyxl.xlsx"))
    assert "openpyxl.xlsx" in err and "row 2, column 'Invoice Value'" in err, err
    assert "never saved" in err and "=SUM(G2:K2)" in err and "save it" in err, err
    assert f"{len(base['rows']) - 2} more" in err, err


def test_formulas_xlsxwriter_stored_as_zero_are_refused(base, tmp_path, capsys):
    err = refused(capsys, base, tmp_path, xlsxwriter_register(base["rows"], tmp_path / "xw.xlsx", False))
    assert "sheet 'Purchases': row 2, column 'Invoice Value'" in err and "saved as 0" in err, err


@pytest.mark.parametrize("shape", ["excel", "xlsxwriter with results"])
def test_formulas_with_their_results_read_as_the_twin(base, tmp_path, capsys, shape):
    path = (excel_saved_register(base["rows"], tmp_path / "excel.xlsx") if shape == "excel"
            else xlsxwriter_register(base["rows"], tmp_path / "xw.xlsx", True))
    wb = tmp_path / "r.xlsx"
    wb.write_bytes(base["review"].read_bytes())
    rc, out, err = ims(capsys, "reconcile", wb, "--books", path, "--matches", tmp_path / "m.csv")
    assert rc == 0, err
    assert statuses(tmp_path / "m.csv") == base["twin"]


def test_a_lookup_error_in_the_gstin_column_is_refused(base, tmp_path, capsys):
    err = refused(capsys, base, tmp_path, lookup_error_register(base["rows"], tmp_path / "na.xlsx", GSTIN, 5))
    assert "row 5, column 'GSTIN of Supplier'" in err and "#N/A" in err and "VLOOKUP" in err, err
    assert "more such" not in err and "lookup that found nothing" in err, err


def test_errors_and_formulas_outside_the_columns_read_are_left_alone(base, tmp_path, capsys):
    """A Narration column the reader does not use, holding #REF! and an uncalculated formula."""
    rows = [r + [v] for r, v in zip(base["rows"], ["Narration", "ok", "=B3&\"x\"", "#REF!"]
                                    + ["n"] * len(base["rows"]))]
    path = excel_saved_register(rows, tmp_path / "narr.xlsx")
    n = LETTER[len(HEADER)]

    def damage(data: bytes) -> bytes:
        data = re.sub(rb'<c r="' + n.encode() + rb'4"[^>]*?(?:/>|>.*?</c>)',
                      f'<c r="{n}4" t="e"><v>#REF!</v></c>'.encode(), data, count=1)
        return data

    _rewrite(path, "xl/worksheets/sheet1.xml", damage)
    found = cells_without_value(zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml"), False)
    assert set(found) == {(2, len(HEADER)), (3, len(HEADER))}, found  # both seen, neither read
    wb = tmp_path / "r.xlsx"
    wb.write_bytes(base["review"].read_bytes())
    rc, _, err = ims(capsys, "reconcile", wb, "--books", path, "--matches", tmp_path / "m.csv")
    assert rc == 0, err
    assert statuses(tmp_path / "m.csv") == base["twin"]


def test_cells_without_references_are_placed_by_their_order(base, tmp_path, capsys):
    """``r`` is optional on rows and cells (ECMA-376 Part 1 §18.3.1.4; Power BI's exports
    leave it out): the refusal still names the right row and column."""
    path = openpyxl_register(base["rows"], tmp_path / "nor.xlsx")
    _rewrite(path, "xl/worksheets/sheet1.xml", lambda d: re.sub(rb' r="[A-Z]*[0-9]+"', b"", d))
    assert b' r="' not in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    err = refused(capsys, base, tmp_path, path)
    assert "row 2, column 'Invoice Value'" in err, err


@pytest.mark.parametrize("cell, expected", [
    ('<c r="B2" t="str"><f>IF(A2="","",A2)</f><v></v></c>', None),  # a calculated empty text
    ('<c r="B2"><f>A2*2</f><v>0</v></c>', None),  # a real 0 where nothing asks for recalculation
    ('<c r="B2"><f>A2*2</f></c>', "never saved"),  # Apache POI and others: no <v> at all
    ('<x:c r="B2"><x:f>A2*2</x:f><x:v/></x:c>', "never saved"),  # a namespace prefix
    ('<c r="B2" t="e"><v>#DIV/0!</v></c>', "#DIV/0!"),
    ('<c r="B2" s="3"/>', None),
])
def test_what_counts_as_a_cell_without_value(cell, expected):
    data = f'<worksheet><sheetData><row r="2"><c r="A2"><v>1</v></c>{cell}</row></sheetData></worksheet>'.encode()
    found = cells_without_value(data, False)
    if expected is None:
        assert found == {}
    else:
        assert list(found) == [(1, 1)] and expected in found[(1, 1)], found
