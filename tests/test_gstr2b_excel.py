"""The portal's GSTR-2B Excel download read as its JSON is (formats/gstr2b_excel).

``gstr2b_excel/gstr2b_portal_layout.xlsx`` holds the documents of ``test_gstr2b.gstr2b_json()``
in the portal's Excel layout (``gstr2b_excel/README.md`` names the public sources and what is
inferred; ``make_fixture.py`` writes it). Read through :func:`files.read.read_register_file`
and :func:`parse_gstr2b_workbook`, it must give the frame :func:`parse_gstr2b` gives for the
JSON. The refusals name the file, sheet, row and column.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from conftest import RTIN, download, import_new
from registers import documents as D
from registers.layouts import write_gstr2b_excel, write_tally_gstr2
from test_gstr2b import BOOKS, RECORDS, gstr2b_json

from ims_xl.errors import InputError
from ims_xl.files.read import read_register_file
from ims_xl.formats.gstr2b import REJECTED, parse_gstr2b
from ims_xl.formats.gstr2b_excel import parse_gstr2b_workbook

HERE = Path(__file__).resolve().parent / "gstr2b_excel"
FIXTURE = HERE / "gstr2b_portal_layout.xlsx"
NAME = FIXTURE.name


def grids(path: Path = FIXTURE) -> dict[str, list[list[object]]]:
    return {name: grid for grid, name, _ in read_register_file(path)}


def comparable(docs: pd.DataFrame) -> pd.DataFrame:
    """The documents without their place in the file; ``diffprcnt`` 1 (the full rate) shows
    as a blank ``Applicable % of Tax Rate`` in the Excel, so it is compared as blank."""
    d = docs.drop(columns=["where", "doc_id"]).assign(diffprcnt=docs["diffprcnt"].replace("1", ""))
    return d.sort_values(["section2b", "doc_no"]).reset_index(drop=True)


def refused(sheets: dict, source: str = NAME) -> str:
    with pytest.raises(InputError) as exc:
        parse_gstr2b_workbook(sheets, source)
    msg = str(exc.value)
    assert msg.startswith(source) and "\n" not in msg and "Traceback" not in msg
    return msg


def test_the_portal_layout_reads_as_its_json():
    g = parse_gstr2b_workbook(grids(), NAME)
    j = parse_gstr2b(gstr2b_json(), "g.json")
    assert (g.gstin, g.period, g.generated) == (j.gstin, j.period, j.generated) == (RTIN, "102025", "14-11-2025")
    pd.testing.assert_frame_equal(comparable(g.docs), comparable(j.docs))
    assert list(g.docs.columns) == list(j.docs.columns)
    assert g.warnings == []
    where = dict(zip(g.docs["doc_no"], g.docs["where"]))
    assert where["INV-1"] == f"{NAME}: sheet 'B2B', row 7"
    assert where["CN-2"] == f"{NAME}: sheet 'B2B-CDNR', row 8"
    assert where["1234567"] == f"{NAME}: sheet 'IMPG', row 7"
    assert where["INV-A1"] == f"{NAME}: sheet 'B2BA(Rejected)', row 8"
    a1 = g.docs.set_index("doc_no").loc["INV-A1"]
    assert (a1["part"], a1["orig_doc_no"], a1["orig_doc_date"]) == (REJECTED, "OB2BA-1", "01-09-2025")


def test_the_fixture_is_what_make_fixture_writes(tmp_path):
    spec = importlib.util.spec_from_file_location("make_fixture", HERE / "make_fixture.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert grids(mod.write(tmp_path / "again.xlsx")) == grids()


def _col(grid: list[list[object]], label: str, nth: int = 0) -> int:
    """The 0-based column of the ``nth`` header cell reading ``label`` (rows 5-7)."""
    hits = [c for r in range(4, 7) for c, v in enumerate(grid[r]) if v == label]
    return hits[nth]


def test_excel_dates_text_amounts_and_untidy_labels_read_the_same():
    sheets = grids()
    b2b = sheets["B2B"]
    row = b2b[6]  # INV-1
    row[_col(b2b, "Invoice Date")] = dt.datetime(2025, 10, 15)
    row[_col(b2b, "Invoice Value(₹)")] = "1,180.00"
    row[_col(b2b, "Central Tax(₹)")] = "₹ 90"
    row[_col(b2b, "Place of supply")] = "27-Maharashtra"
    row[_col(b2b, "ITC Availability")] = "Y"
    b2b[4][_col(b2b, "GSTIN of supplier")] = "GSTIN of\nSupplier"
    b2b[5][_col(b2b, "Integrated Tax(₹)")] = "INTEGRATED  TAX (₹)"
    b2b[4][_col(b2b, "GSTR-1/IFF/GSTR-5 Period")] = "GSTR-1/IFF/GSTR-1A/5\nPeriod"
    b2b[6][_col(b2b, "GSTR-1/IFF/GSTR-5 Filing Date")] = dt.datetime(2025, 11, 11)
    g = parse_gstr2b_workbook(sheets, NAME)
    pd.testing.assert_frame_equal(comparable(g.docs), comparable(parse_gstr2b(gstr2b_json(), "g.json").docs))


def test_the_ims_itc_reduction_block_is_not_the_notes_tax():
    """B2B-CDNR carries a second IGST..Cess block under "Amount declared by taxpayer for ITC
    reduction": the recipient's figure, never the note's tax."""
    sheets = grids()
    cdnr = sheets["B2B-CDNR"]
    cdnr[7][_col(cdnr, "Whether ITC to be reduced (Taxpayer's Input)")] = "Yes"
    cdnr[7][_col(cdnr, "Integrated Tax(₹)", nth=1)] = 50.0  # CN-2 declares 50 of its 100
    cn2 = parse_gstr2b_workbook(sheets, NAME).docs.set_index("doc_no").loc["CN-2"]
    assert (cn2["iamt"], cn2["sign"]) == (10000, -1)


def test_older_layout_lists_a_document_once_per_rate(tmp_path):
    """tests/registers' GSTR-2B layout (with ``Rate(%)``, one row per rate, invoice value
    repeated): the rows of a document add up to it."""
    path = write_gstr2b_excel(tmp_path)
    g = parse_gstr2b_workbook(grids(path), path.name)
    assert (g.gstin, g.period, g.generated) == (D.RTIN, "102025", "14-11-2025")
    assert len(g.docs) == len(D.BOOKS)
    docs = g.docs.set_index(["stin", "doc_no"])
    for d in D.BOOKS:
        t = d.totals()
        got = docs.loc[(d.stin, d.number)]
        assert [int(got[h]) for h in ("val", "txval", "iamt", "camt", "samt", "cess")] == [
            int(t[h] * 100) for h in ("val", "txval", "iamt", "camt", "samt", "cess")], d.number
        assert got["sign"] == (-1 if d.kind == "credit_note" else 1)
    assert any(", " in w for w in g.docs["where"])  # "rows 10, 11": both rows named


def test_readme_facts_are_optional_and_a_quarter_is_not_a_month():
    sheets = grids()
    del sheets["Read me"]
    g = parse_gstr2b_workbook(sheets, NAME)
    assert (g.gstin, g.period, g.generated) == ("", "", "") and len(g.docs) == 10
    sheets = grids()
    readme = sheets["Read me"]
    r = next(i for i, row in enumerate(readme) if row[0] == "Tax Period")
    readme[r][2] = "Quarter-3 (Oct-Dec)"
    g = parse_gstr2b_workbook(sheets, NAME)
    assert g.period == "" and g.gstin == RTIN
    assert any("Quarter-3" in w and "left blank" in w for w in g.warnings)


def test_rows_on_sheets_ims_xl_does_not_read_are_counted_in_a_warning():
    sheets = grids()
    rev = sheets["B2B (ITC Reversal)"]
    rev.append(list(sheets["B2B"][6]) + [""] * (len(rev[5]) - len(sheets["B2B"][6])))
    g = parse_gstr2b_workbook(sheets, NAME)
    assert any("sheet 'B2B (ITC Reversal)' has 1 row(s) ims-xl does not read" in w for w in g.warnings)
    assert len(g.docs) == 10


def test_a_document_number_that_arrived_as_a_number_is_warned():
    sheets = grids()
    sheets["B2B"][6][_col(sheets["B2B"], "Invoice number")] = 1001.0
    g = parse_gstr2b_workbook(sheets, NAME)
    assert "1001" in set(g.docs["doc_no"])
    assert any("sheet 'B2B'" in w and "leading zeros" in w for w in g.warnings)


# ---------------------------------------------------------------- refusals


def test_refuses_an_ims_workbook(tmp_path):
    wb = import_new(tmp_path, download(RECORDS, rtin=RTIN))
    msg = refused(grids(wb), wb.name)
    assert "this is an IMS workbook" in msg and "B2B-CN" in msg and "Download Excel" in msg


def test_refuses_a_purchase_register(tmp_path):
    path = write_tally_gstr2(tmp_path)  # sheets b2b, cdnr: the names, not the columns, of a 2B
    msg = refused(grids(path), path.name)
    assert "not a GSTR-2B Excel" in msg and "'b2b'" in msg and "use the GSTR-2B JSON" in msg
    books = tmp_path / "books.csv"
    with open(books, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(BOOKS)
    msg = refused({name: grid for grid, name, _ in read_register_file(books)}, books.name)
    assert "not a GSTR-2B Excel: no sheet B2B, B2B-CDNR" in msg


def test_refuses_a_document_sheet_without_its_tax_columns():
    sheets = grids()
    b2b = sheets["B2B"]
    first, last = _col(b2b, "Tax Amount"), _col(b2b, "Cess(₹)")
    sheets["B2B"] = [row[:first] + row[last + 1:] for row in b2b]
    msg = refused(sheets)
    assert "sheet 'B2B', row 6: no column 'Integrated Tax'" in msg and "4 row(s)" in msg


def test_an_empty_document_sheet_needs_no_columns():
    sheets = grids()
    b2ba = sheets["B2BA"]
    sheets["B2BA"] = [row[:3] for row in b2ba]  # header cut short, but no rows to read
    assert len(parse_gstr2b_workbook(sheets, NAME).docs) == 10


@pytest.mark.parametrize("sheet, row, label, value, said", [
    ("B2B", 6, "Central Tax(₹)", "90 rupees",
     "sheet 'B2B', row 7, column K (Central Tax(₹)): '90 rupees' is not a number"),
    ("B2B", 7, "Invoice Value(₹)", 1180.005,
     "sheet 'B2B', row 8, column F (Invoice Value(₹)): 1180.005 has more than 2 decimals"),
    ("B2B", 7, "ITC Availability", "Maybe",
     "sheet 'B2B', row 8, column P (ITC Availability): 'Maybe' is not Yes or No"),
    ("B2B", 7, "ITC Availability", "", "sheet 'B2B', row 8, column P (ITC Availability): empty"),
    ("B2B", 8, "Invoice Date", "31/31/2025", "sheet 'B2B', row 9, column E (Invoice Date): '31/31/2025' is not a date"),
    ("B2B", 6, "Invoice number", "", "sheet 'B2B', row 7, column C (Invoice number): the document number is empty"),
    ("B2B", 6, "GSTIN of supplier", None, "sheet 'B2B', row 7, column A (GSTIN of supplier): the GSTIN is empty"),
    ("B2B-CDNR", 6, "Note type", "Refund", "sheet 'B2B-CDNR', row 7, column D (Note type): the note type 'Refund'"),
    ("IMPG", 6, "Cess(₹)", True, "sheet 'IMPG', row 7, column G (Cess(₹)): True is not an amount"),
    ("B2BA(Rejected)", 7, "Integrated Tax(₹)", dt.datetime(2025, 1, 1), "sheet 'B2BA(Rejected)', row 8, column K"),
])
def test_refusals_name_sheet_row_and_column(sheet, row, label, value, said):
    sheets = grids()
    sheets[sheet][row][_col(sheets[sheet], label)] = value
    msg = refused(sheets)
    assert said in msg, msg
    assert "download GSTR-2B again" in msg or "use the GSTR-2B JSON" in msg


def test_refuses_a_workbook_without_document_sheets():
    msg = refused({"Read me": grids()["Read me"], "Sheet1": [["x"]]})
    assert "not a GSTR-2B Excel: no sheet B2B" in msg and "'Sheet1'" in msg


def test_refuses_two_columns_it_cannot_tell_apart():
    sheets = grids()
    b2b = sheets["B2B"]
    c = _col(b2b, "Source")
    b2b[4][c] = "Integrated Tax"  # a stray second IGST column outside any group
    msg = refused(sheets)
    assert ("sheet 'B2B', row 6: columns J (Integrated Tax(₹)) and S (Integrated Tax) both read as "
            "Integrated Tax") in msg


def test_amounts_are_exact_paise():
    sheets = grids()
    b2b = sheets["B2B"]
    b2b[9][_col(b2b, "Taxable Value (₹)")] = 2777.78  # RC-1, a float Excel stores inexactly
    b2b[9][_col(b2b, "Invoice Value(₹)")] = "3,277.78"
    rc1 = parse_gstr2b_workbook(sheets, NAME).docs.set_index("doc_no").loc["RC-1"]
    assert (rc1["txval"], rc1["val"]) == (277778, 327778)
    assert Decimal(int(rc1["txval"])) / 100 == Decimal("2777.78")
