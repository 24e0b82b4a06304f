"""The speed paths keep their meaning (issue 13): the one row writer for every sheet, the
hidden copy read in one pass, typed cells parsed once per distinct value, and export sending
exactly the records validation checked."""

from __future__ import annotations

import json
import math
import zipfile
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from conftest import RTIN, download, import_new, one_per_section, record
from ims_xl import actions
from ims_xl.errors import TemplateError
from ims_xl.files.xlsx import read_review, write_review
from ims_xl.formats.schema import validate_upload
from ims_xl.model import Settings
from ims_xl.review.book import hidden_text, record_text, seal_of
from ims_xl.review.inputs import per_value
from ims_xl.review.layout import AGEING_SHEET, BOOKS_SHEET, DATA_SHEET
from ims_xl.review.upload import envelope

#: Cells as accountants' registers and suppliers' text bring them: formula-like text, XML
#: specials, edge spaces (kept only with xml:space), a control character, numbers, a date.
HOSTILE = ["=SUM(A1:A9)", "+91 98", "-5", "@user", "a & b < c > d", "  two spaces  ", "tab\tinside",
           "bell\x07", "₹ 1,00,000", 12, 1234.56, 0.0, datetime(2025, 10, 15), True, None]


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("fast")
    recs = one_per_section()
    recs["b2b"] += [record("b2b", n) for n in range(2, 6)]
    return import_new(d, download(recs, rtin=RTIN))


def _grid(path: Path, sheet: str) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def test_books_reports_and_added_sheets_keep_every_value(workbook, tmp_path) -> None:
    book = read_review(workbook)
    header = ["GSTIN", "Bill No", "Amount", "Note"]
    body = [HOSTILE[i:i + 4] for i in range(0, len(HOSTILE), 4)]
    body[-1] = body[-1][:2]  # a ragged last row
    added = [["=not a formula", 7], ["x", None], [None, 2.5]]
    out = tmp_path / "w.xlsx"
    write_review(replace(book, books=[header, *body], reports={**book.reports, AGEING_SHEET: [header, *body]},
                         extra_sheets={"My notes": added}), out)
    for sheet in (BOOKS_SHEET, AGEING_SHEET):
        got = _grid(out, sheet)
        assert got[0] == header
        for want, row in zip(body, got[1:]):
            for w, g in zip(want, row):
                if w is None:
                    assert g == ""
                elif isinstance(w, bool):
                    assert g is w
                elif isinstance(w, (int, float)):
                    assert g == w
                elif isinstance(w, datetime):
                    assert g in (w, w.date())
                else:
                    assert g == w, (sheet, w, g)
    assert _grid(out, "My notes") == [["=not a formula", 7.0], ["x", ""], ["", 2.5]]
    ws = openpyxl.load_workbook(out)[BOOKS_SHEET]
    assert ws["A2"].value == "=SUM(A1:A9)" and ws["A2"].data_type == "s"
    assert ws["A5"].number_format == "dd-mm-yyyy"        # the date: shown as a date
    assert ws["C4"].number_format.endswith("##,##0.00")  # 1234.56: an amount, Indian grouping
    with zipfile.ZipFile(out) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/sheet"):
                xml = z.read(name)
                assert b"<f>" not in xml and b"<f " not in xml, name


def test_a_read_workbook_rewritten_unchanged_keeps_its_hidden_copy_and_seals(workbook, tmp_path) -> None:
    book = read_review(workbook)
    assert set(book.texts) == set(book.originals)
    out = tmp_path / "again.xlsx"
    write_review(book, out)
    again = read_review(out)
    assert again.seals == book.seals and again.originals == book.originals
    assert not (again.rows["hidden_row"] > 0).any()
    assert _grid(out, DATA_SHEET) == _grid(workbook, DATA_SHEET)


def test_a_changed_record_is_written_from_itself_not_from_the_text_it_was_read_with(workbook) -> None:
    book = read_review(workbook)
    ref = min(book.originals)
    assert hidden_text(book, ref) == book.texts[ref][1]
    changed = dict(book.originals[ref], txval=1.5)
    book2 = replace(book, originals={**book.originals, ref: changed})
    assert hidden_text(book2, ref) == record_text(changed) != book.texts[ref][1]


def test_two_records_forged_into_one_sealed_cell_are_refused_by_row(workbook, tmp_path) -> None:
    wb = openpyxl.load_workbook(workbook)
    ws = wb[DATA_SHEET]
    text = ws.cell(2, 3).value
    forged = text + "," + ws.cell(3, 3).value  # two JSON objects: one extra record if read as an array
    ws.cell(2, 3).value = forged
    ws.cell(2, 4).value = seal_of(ws.cell(2, 2).value, forged)  # the seal made to match
    out = tmp_path / "forged.xlsx"
    wb.save(out)
    with pytest.raises(TemplateError, match=r"hidden sheet _ims_data, row 2 is damaged"):
        read_review(out)


def test_per_value_parses_each_distinct_cell_once_and_keeps_types_apart() -> None:
    calls: list[object] = []

    def fn(v):
        calls.append(v)
        return repr(v)

    s = pd.Series(["Accept", "Accept", 1, 1.0, True, "1", None, math.nan, math.nan, ["x"]], dtype=object)
    got = per_value(s, fn).tolist()
    assert got == ["'Accept'", "'Accept'", "1", "1.0", "True", "'1'", "None", "nan", "nan", "['x']"]
    assert calls.count("Accept") == 1 and sum(1 for c in calls if isinstance(c, float) and c != c) == 1


def test_export_sends_exactly_the_records_validation_checked(workbook) -> None:
    book = read_review(workbook)
    rows = book.rows.copy()
    rows["action_text"] = ["Accept" if i % 2 == 0 else "Reject" for i in range(len(rows))]
    rows["itc_red_text"] = "No"
    book = replace(book, rows=rows)
    val = actions.validate(book, Settings())
    assert not [f for f in val.findings if f.severity.value == "error"], val.findings
    parts, out = actions.export(book, Settings(), validated=val)
    sent = [r for p in parts for recs in json.loads(p)["invdata"].values() for r in recs]
    checked = {json.dumps(r, sort_keys=True) for r in val.upload.values()}
    assert len(sent) == len(val.upload) == len(rows)
    assert {json.dumps(r, sort_keys=True) for r in sent} == checked
    # validating again from nothing gives the same files
    assert actions.export(book, Settings())[0] == parts


def test_the_gate_still_reads_the_envelope_when_the_records_were_checked() -> None:
    doc = envelope("27AAPFU0939F1ZX", {"b2b": [record("b2b", 1)]})  # a wrong check character
    assert validate_upload(json.loads(json.dumps(doc)), records_checked=True)
    bad = envelope(RTIN, {"b2b": [record("b2b", 1, inum="X" * 40)]})
    assert validate_upload(json.loads(json.dumps(bad)))  # every record looked at when not checked


def test_error_cells_are_found_also_across_two_unpacked_chunks() -> None:
    from ims_xl.files.safety import _finding
    for chunks, hit in (([b'<c r="A2" t="', b'e"><v>#N/A</v>'], True), ([b'<c t="e">'], True),
                        ([b'<c r="A2" t="', b'n"><v>1</v>'], False), ([b't="', b'x', b'e"'], False)):
        found: set[str] = set()
        assert b"".join(_finding(iter(chunks), b't="e"', found, "xl/worksheets/sheet3.xml")) == b"".join(chunks)
        assert (found == {"xl/worksheets/sheet3.xml"}) is hit, chunks
