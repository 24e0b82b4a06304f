"""The review workbook as Excel sees it, read back with openpyxl (README, "The review workbook")."""

from __future__ import annotations

import zipfile
from collections import Counter
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from conftest import (ITC_SECTIONS, RTIN, SECTION_KEYS, SHEET_OF, SUP_GJ, SUP_KA, SUP_MH,
                      apply_edits, download, header_map, record, run, write_json)

SHEETS = ["Read me", "Summary", "B2B", "B2BA", "B2B-DN", "B2B-DNA", "B2B-CN", "B2B-CNA", "ECO", "ECOA",
          "Books", "_ims_data", "_ims_meta"]

# IMS_FORMAT §1.3: the offline tool's B2B columns, in order ("Status" is our "Action").
B2B_TOOL_ORDER = ["GSTIN of supplier", "Trade/Legal name", "Invoice number", "Invoice type", "Invoice date",
                  "Invoice value", "Action", "Place of supply", "Taxable value", "IGST", "CGST", "SGST", "Cess",
                  "Remarks", "Source", "Source return period", "Source filing status",
                  "Sheet validation errors", "GST portal validation errors", "Previous status"]
ITC_HEADERS = ["Whether ITC to be reduced", "ITC reduction IGST", "ITC reduction CGST", "ITC reduction SGST",
               "ITC reduction Cess"]
TEXT_HEADERS = ("GSTIN of supplier", "Trade/Legal name", "Invoice number", "Note number", "Invoice type",
                "Note type", "Place of supply", "Source", "Source return period", "Original invoice number",
                "Original note number")
AMOUNT_HEADERS = ("Invoice value", "Note value", "Taxable value", "IGST", "CGST", "SGST", "Cess")
TRICKY_NAMES = ["=HYPERLINK(\"http://x\",\"y\")", "+91 Traders", "-Minus Ltd", "@Home Decor", "=1+1"]


def _download() -> dict:
    recs = {k: [record(k, 1), record(k, 2, stin=SUP_KA, action="A"), record(k, 3, stin=SUP_GJ, action="R")]
            for k in SECTION_KEYS}
    for i, name in enumerate(TRICKY_NAMES):
        recs["b2b"].append(record("b2b", 10 + i, tradenm=name, inum=f"00{i}45", remarks=name))
    recs["b2b"].append(record("b2b", 20, inum="0001234567890123", val=12345678.91, txval=10462439.75,
                              camt=941619.58, samt=941619.58, action="P"))
    return download(recs, rtin=RTIN)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, dict]:
    tmp = tmp_path_factory.mktemp("wb")
    data = _download()
    src = write_json(tmp / "ims.json", data)
    wb = tmp / "review.xlsx"
    assert run("import", src, "--out", wb, "--period", "102025") == 0
    return wb, data


@pytest.fixture(scope="module")
def book(built) -> openpyxl.Workbook:
    return openpyxl.load_workbook(built[0])


def headers(ws) -> list[str]:
    return [c.value for c in ws[1]]


def test_sheet_names_and_order(book) -> None:
    # the Ageing sheet (open items) follows the Books sheet in every imported workbook
    assert book.sheetnames == [*SHEETS[:11], "Ageing", *SHEETS[11:]]


def test_hidden_data_sheets(book, built) -> None:
    assert book["_ims_data"].sheet_state == "hidden"
    assert book["_ims_meta"].sheet_state == "hidden"
    assert [c.value for c in book["_ims_data"][1]] == ["ref", "section", "record", "seal"]
    n = sum(len(v) for v in built[1]["imsDetails"].values())
    assert book["_ims_data"].max_row == n + 1
    for s in SHEETS[:11]:
        assert book[s].sheet_state == "visible"


def test_single_header_row(book) -> None:
    for key in SECTION_KEYS:
        ws = book[SHEET_OF[key]]
        h = headers(ws)
        assert all(isinstance(v, str) and v for v in h)
        assert len(set(h)) == len(h)
        row2 = [c.value for c in ws[2]]
        assert not set(h) & {v for v in row2 if isinstance(v, str)} - {"Yes", "No"}, "a second header row"
        assert not ws.merged_cells.ranges
        assert ws.cell(2, h.index("IMS ref (do not edit)") + 1).value is not None


def test_b2b_columns_follow_the_offline_tool(book) -> None:
    h = headers(book["B2B"])
    assert h[:len(B2B_TOOL_ORDER)] == B2B_TOOL_ORDER
    for extra in ("Remarks saved on portal", "Pending blocked", "Remarks blocked", "Re-import note",
                  "IMS ref (do not edit)"):
        assert extra in h
    assert h[-1] == "IMS ref (do not edit)"


@pytest.mark.parametrize("key", SECTION_KEYS)
def test_columns_per_section(book, key: str) -> None:
    h = headers(book[SHEET_OF[key]])
    word = "Note" if ("dn" in key or "cn" in key) else "Invoice"
    if key in ("b2ba", "b2bdna", "b2bcna", "ecoma"):
        assert h[:2] == [f"Original {word.lower()} number", f"Original {word.lower()} date"]
        assert h[2] == "GSTIN of supplier"
    else:
        assert h[0] == "GSTIN of supplier"
        assert not any(x.startswith("Original") for x in h)
    assert f"{word} number" in h and f"{word} date" in h and f"{word} value" in h
    assert (f"{word} type" in h) == (key not in ("ecom", "ecoma"))
    if key in ITC_SECTIONS:
        i = h.index(ITC_HEADERS[0])
        assert h[i:i + 5] == ITC_HEADERS
        assert h.index("Remarks") == i - 1
        assert "ITC reduction blocked" in h
    else:
        assert not set(ITC_HEADERS) & set(h) and "ITC reduction blocked" not in h
    for must in ("Action", "Remarks", "Sheet validation errors", "GST portal validation errors",
                 "Pending blocked", "Remarks blocked", "Previous status"):
        assert must in h


def test_itc_block_only_on_specified_sections(book) -> None:
    with_block = {k for k in SECTION_KEYS if "Whether ITC to be reduced" in headers(book[SHEET_OF[k]])}
    assert with_block == {"b2ba", "b2bdna", "b2bcn", "b2bcna", "ecoma"}


@pytest.mark.parametrize("key", SECTION_KEYS)
def test_action_dropdown(book, key: str) -> None:
    ws = book[SHEET_OF[key]]
    col = openpyxl.utils.get_column_letter(header_map(ws)["Action"])
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"
             and any(str(r).startswith(f"{col}2:") for r in dv.sqref.ranges)]
    assert len(lists) == 1
    assert lists[0].formula1 == '"Accept,Reject,Pending,No Action"'
    last_row = int(str(next(iter(lists[0].sqref.ranges))).split(":")[1][len(col):])
    assert last_row >= ws.max_row
    if key in ITC_SECTIONS:
        yc = openpyxl.utils.get_column_letter(header_map(ws)["Whether ITC to be reduced"])
        assert any(dv.formula1 == '"Yes,No"' and str(dv.sqref).startswith(f"{yc}2:")
                   for dv in ws.data_validations.dataValidation)


@pytest.mark.parametrize("key", SECTION_KEYS)
def test_frozen_header_and_filter(book, key: str) -> None:
    ws = book[SHEET_OF[key]]
    assert ws.freeze_panes == "A2"
    last = openpyxl.utils.get_column_letter(len(headers(ws)))
    assert ws.auto_filter.ref == f"A1:{last}{ws.max_row}"


@pytest.mark.parametrize("key", SECTION_KEYS)
def test_identifier_columns_are_text(book, key: str) -> None:
    ws = book[SHEET_OF[key]]
    hm = header_map(ws)
    for h in TEXT_HEADERS:
        if h not in hm:
            continue
        for r in range(2, ws.max_row + 1):
            c = ws.cell(r, hm[h])
            assert c.number_format == "@", (ws.title, h, r)
            assert c.value is None or c.data_type == "s", (ws.title, h, r, c.value)
    assert ws.cell(2, hm["Place of supply"]).value == "27"


def test_sixteen_digit_number_is_text(book) -> None:
    ws = book["B2B"]
    hm = header_map(ws)
    vals = [ws.cell(r, hm["Invoice number"]).value for r in range(2, ws.max_row + 1)]
    assert "0001234567890123" in vals and "00045" in vals


@pytest.mark.parametrize("key", SECTION_KEYS)
def test_amounts_use_indian_grouping(book, key: str) -> None:
    ws = book[SHEET_OF[key]]
    hm = header_map(ws)
    for h in AMOUNT_HEADERS:
        if h not in hm:
            continue
        c = ws.cell(2, hm[h])
        assert c.data_type == "n" and isinstance(c.value, (int, float))
        fmt = c.number_format
        # crore, lakh and thousand groups: 1,23,45,678.00 (Excel allows two conditions)
        assert fmt.startswith("[>=10000000]##\\,##\\,##\\,##0.00;[>=100000]##\\,##\\,##0.00;"), fmt
        assert fmt.endswith("##,##0.00")


def test_amount_values_are_exact(book) -> None:
    ws = book["B2B"]
    hm = header_map(ws)
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, hm["Invoice number"]).value == "0001234567890123")
    assert [ws.cell(row, hm[h]).value for h in ("Invoice value", "Taxable value", "CGST", "SGST")] == \
        [12345678.91, 10462439.75, 941619.58, 941619.58]


def test_dates_are_dates(book) -> None:
    ws = book["B2BA"]
    hm = header_map(ws)
    for h in ("Invoice date", "Original invoice date"):
        c = ws.cell(2, hm[h])
        assert isinstance(c.value, datetime) and c.number_format == "dd-mm-yyyy"
    assert ws.cell(2, hm["Invoice date"]).value == datetime(2025, 10, 15)


def test_flags_and_status_are_visible(book) -> None:
    ws = book["B2B-CN"]
    hm = header_map(ws)
    assert [ws.cell(r, hm["Previous status"]).value for r in (2, 3, 4)] == ["No Action", "Accept", "Reject"]
    assert [ws.cell(r, hm["Action"]).value for r in (2, 3, 4)] == ["No Action", "Accept", "Reject"]
    for h in ("Pending blocked", "Remarks blocked", "ITC reduction blocked"):
        assert ws.cell(2, hm[h]).value == "No"


def test_ims_ref_column_is_hidden(book) -> None:
    ws = book["B2B"]
    col = openpyxl.utils.get_column_letter(header_map(ws)["IMS ref (do not edit)"])
    assert ws.column_dimensions[col].hidden


def test_widths_are_readable(book) -> None:
    ws = book["B2B"]
    for h in ("GSTIN of supplier", "Trade/Legal name", "Invoice number", "Sheet validation errors"):
        col = openpyxl.utils.get_column_letter(header_map(ws)[h])
        assert ws.column_dimensions[col].width >= 15


def _check_formula_text(path: Path) -> None:
    book = openpyxl.load_workbook(path)
    ws = book["B2B"]
    hm = header_map(ws)
    names = {}
    for r in range(2, ws.max_row + 1):
        c = ws.cell(r, hm["Trade/Legal name"])
        names[c.value] = c.data_type
    for n in TRICKY_NAMES:
        assert names[n] == "s", (n, names.get(n))
    for r in range(2, ws.max_row + 1):
        c = ws.cell(r, hm["Remarks saved on portal"])
        assert c.value is None or c.data_type == "s"
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name


def test_supplier_text_starting_like_a_formula_is_text(built) -> None:
    _check_formula_text(built[0])


def test_formula_like_text_stays_text_after_validate(built, tmp_path: Path) -> None:
    wb = tmp_path / "copy.xlsx"
    wb.write_bytes(built[0].read_bytes())
    # Excel stores '=text typed with an apostrophe as a string cell; openpyxl needs data_type set
    book = openpyxl.load_workbook(wb)
    ws = book["B2B"]
    c = ws.cell(next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 3).value == "00045"),
                header_map(ws)["Remarks"])
    c.value = "=not a formula"
    c.data_type = "s"
    book.save(wb)
    run("validate", wb)
    _check_formula_text(wb)
    ws = openpyxl.load_workbook(wb)["B2B"]
    c = ws.cell(next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 3).value == "00045"),
                header_map(ws)["Remarks"])
    assert (c.value, c.data_type) == ("=not a formula", "s")


def test_a_sheet_whose_first_row_is_empty_is_kept(built, tmp_path: Path) -> None:
    """A sheet of the accountant's own whose first row holds nothing (notes starting at A3)
    is written back as it was: its first row gives XlsxWriter no cell, so the part it
    writes has an empty <sheetData/> element (every rewriting command failed on it)."""
    wb = tmp_path / "copy.xlsx"
    wb.write_bytes(built[0].read_bytes())
    book = openpyxl.load_workbook(wb)
    book.create_sheet("Notes")["A3"] = "call the supplier"
    book["Notes"]["B5"] = 42
    book.save(wb)
    for cmd in (["summary", wb], ["import", built[0].parent / "ims.json", "--into", wb]):
        assert run(*cmd) == 0
        ws = openpyxl.load_workbook(wb)["Notes"]
        assert (ws["A1"].value, ws["A3"].value, ws["B5"].value) == (None, "call the supplier", 42)


def test_read_me(book) -> None:
    text = "\n".join(str(c.value) for c in book["Read me"]["A"] if c.value)
    assert "Accept, Reject, Pending or No Action" in text
    assert "ims-xl export" in text and "ims-xl validate" in text
    assert "Pending blocked" in text


def test_books_sheet_header(book) -> None:
    assert [c.value for c in book["Books"][1]][:4] == ["GSTIN of supplier", "Supplier name", "Document type",
                                                       "Document number"]


def summary_rows(ws) -> tuple[list[tuple], list[tuple]]:
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == "Section")
    by_section = []
    i = start + 1
    while i < len(rows) and rows[i][0]:
        by_section.append(rows[i][:8])
        i += 1
    itc_start = next(j for j, r in enumerate(rows) if r[0] and "ITC by action" in str(r[0]))
    itc = []
    for r in rows[itc_start + 1:]:
        if r[0] not in ITC_LABELS:
            break
        itc.append(r[:6])
    return by_section, itc


ITC_LABELS = ("Accepted", "No Action (deemed accepted)", "Pending", "Rejected")


LABEL = {"A": "Accept", "R": "Reject", "P": "Pending", "N": "No Action"}


def test_summary_counts_equal_the_data(book, built) -> None:
    ws = book["Summary"]
    assert ws["B3"].value == RTIN and ws["B4"].value == "102025"
    by_section, itc = summary_rows(ws)
    expected: Counter = Counter()
    txval: Counter = Counter()
    for key, recs in built[1]["imsDetails"].items():
        for r in recs:
            expected[(SHEET_OF[key], LABEL[r["action"]])] += 1
            txval[(SHEET_OF[key], LABEL[r["action"]])] += round(r["txval"] * 100)
    assert {(s, a): n for s, a, n, *_ in by_section} == dict(expected)
    assert {(s, a): round(t * 100) for s, a, _, t, *_ in by_section} == dict(txval)
    assert sum(n for _, _, n, *_ in by_section) == sum(len(v) for v in built[1]["imsDetails"].values())
    assert [r[0] for r in itc] == list(ITC_LABELS)
    # intra-state suppliers (27) charge CGST+SGST 90 each, the others IGST 180; credit notes count negative
    itc_expected: Counter = Counter()
    for key, recs in built[1]["imsDetails"].items():
        sign = -1 if key in ("b2bcn", "b2bcna") else 1
        for r in recs:
            itc_expected[r["action"]] += sign * round((r["iamt"] + r["camt"] + r["samt"] + r["cess"]) * 100)
    got = {r[0]: round(r[5] * 100) for r in itc}
    assert got == {"Accepted": itc_expected["A"], "No Action (deemed accepted)": itc_expected["N"],
                   "Pending": itc_expected["P"], "Rejected": itc_expected["R"]}


def test_summary_follows_typed_actions_after_validate(tmp_path: Path) -> None:
    data = download({"b2b": [record("b2b", 1), record("b2b", 2), record("b2b", 3)],
                     "b2bcn": [record("b2bcn", 1)]}, rtin=RTIN)
    src = write_json(tmp_path / "ims.json", data)
    wb = tmp_path / "r.xlsx"
    assert run("import", src, "--out", wb) == 0
    apply_edits(wb, [{"sheet": "B2B", "doc_no": "INV-1", "column": "Action", "value": "Accept"},
                     {"sheet": "B2B", "doc_no": "INV-2", "column": "Action", "value": "Reject"},
                     {"sheet": "B2B-CN", "doc_no": "CN-1", "column": "Action", "value": "Accept"},
                     {"sheet": "B2B-CN", "doc_no": "CN-1", "column": "Whether ITC to be reduced", "value": "No"}])
    assert run("validate", wb) == 0
    by_section, itc = summary_rows(openpyxl.load_workbook(wb)["Summary"])
    assert [(s, a, n) for s, a, n, *_ in by_section] == [
        ("B2B", "Accept", 1), ("B2B", "No Action", 1), ("B2B", "Reject", 1), ("B2B-CN", "Accept", 1)]
    accepted = dict((r[0], r[1:]) for r in itc)["Accepted"]
    # B2B INV-1 adds 90 + 90; the credit note takes 90 + 90 away
    assert accepted == (0, 0, 0, 0, 0)


def _validated(tmp_path: Path, edits: list[dict]):
    data = download({"b2bcn": [record("b2bcn", 1, ispendactblocked="Y")]}, rtin=RTIN)
    src = write_json(tmp_path / "ims.json", data)
    wb = tmp_path / "r.xlsx"
    assert run("import", src, "--out", wb) == 0
    apply_edits(wb, edits)
    assert run("validate", wb) == 1
    ws = openpyxl.load_workbook(wb)["B2B-CN"]
    return ws, header_map(ws)


def _fill(c) -> str:
    return (c.fill.fgColor.rgb or "").upper() if c.fill.patternType == "solid" else ""


def test_validation_fills_errors_column_and_colours_cells(tmp_path: Path) -> None:
    ws, hm = _validated(tmp_path, [{"sheet": "B2B-CN", "doc_no": "CN-1", "column": "Action", "value": "Pending"}])
    text = ws.cell(2, hm["Sheet validation errors"]).value
    assert text.startswith("ERROR pending-blocked: Action:")
    assert _fill(ws.cell(2, hm["Action"])).endswith("F8CBAD")
    assert not _fill(ws.cell(2, hm["Remarks"])).endswith("F8CBAD")


def test_validation_colours_an_empty_offending_cell(tmp_path: Path) -> None:
    ws, hm = _validated(tmp_path, [{"sheet": "B2B-CN", "doc_no": "CN-1", "column": "Action", "value": "Accept"}])
    assert "itc-reduction-answer-missing" in ws.cell(2, hm["Sheet validation errors"]).value
    assert _fill(ws.cell(2, hm["Whether ITC to be reduced"])).endswith("F8CBAD")


def test_missing_rtin_is_blank_and_editable(tmp_path: Path) -> None:
    src = write_json(tmp_path / "ims.json", download({"b2b": [record("b2b", 1)]}))
    wb = tmp_path / "r.xlsx"
    assert run("import", src, "--out", wb) == 0
    ws = openpyxl.load_workbook(wb)["Summary"]
    assert ws["A3"].value.startswith("Recipient GSTIN") and ws["B3"].value in (None, "")
    assert ws["A4"].value.startswith("Return period")
