"""The speed paths keep their meaning (issue 13): the one row writer for every sheet, the
hidden copy read in one pass, typed cells parsed once per distinct value, and export sending
exactly the records validation checked."""

from __future__ import annotations

import json
import math
import re
import zipfile
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from conftest import RTIN, download, import_new, one_per_section, record
from ims_xl import actions, bulk
from ims_xl.errors import TemplateError
from ims_xl.files.xlsx import read_review, write_review
from ims_xl.formats.schema import validate_upload
from ims_xl.model import Settings
from ims_xl.review.book import hidden_text, record_text, seal_of
from ims_xl.review.inputs import per_value
from ims_xl.review.layout import AGEING_SHEET, BOOKS_SHEET, DATA_SHEET
from ims_xl.review.upload import envelope

#: Cells as accountants' registers and suppliers' text bring them: formula-like text, XML
#: specials, edge spaces (kept only with xml:space), a control character, text that reads as
#: Excel's own _xHHHH_ escape, a carriage return, numbers, a date.
HOSTILE = ["=SUM(A1:A9)", "+91 98", "-5", "@user", "a & b < c > d", "  two spaces  ", "tab\tinside",
           "bell\x07", "₹ 1,00,000", 12, 1234.56, 0.0,
           datetime(2025, 10, 15), True, None, "INV_x0041_7", "line\r\nbreak"]


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


@pytest.mark.parametrize("chunk", [1, 2, 3, 100])
def test_the_hidden_copy_parsed_in_arrays_of_any_size_reads_the_same_and_refuses_a_forged_cell(
        workbook, tmp_path, monkeypatch, chunk) -> None:
    """The sealed hidden copy is parsed a few thousand records per json.loads: whatever the
    size, the same records; two records forged into one sealed cell of any array, refused."""
    from ims_xl.review import sheets
    whole = read_review(workbook)
    monkeypatch.setattr(sheets, "_PARSE_CHUNK", chunk)
    book = read_review(workbook)
    assert book.originals == whole.originals and list(book.originals) == list(whole.originals)
    pd.testing.assert_frame_equal(book.rows, whole.rows)
    wb = openpyxl.load_workbook(workbook)
    ws = wb[DATA_SHEET]
    last = ws.max_row  # in the last array whatever its size
    forged = ws.cell(last, 3).value + "," + ws.cell(2, 3).value
    ws.cell(last, 3).value = forged
    ws.cell(last, 4).value = seal_of(ws.cell(last, 2).value, forged)
    out = tmp_path / "forged.xlsx"
    wb.save(out)
    with pytest.raises(TemplateError, match=rf"hidden sheet _ims_data, row {last} is damaged"):
        read_review(out)


@pytest.mark.parametrize("row, col, value", [(4, 2, "b2x"), (3, 1, "abc"), (5, 3, None)])
def test_a_damaged_cell_of_the_hidden_copy_is_named_by_its_row(workbook, tmp_path, row, col, value) -> None:
    """The hidden copy is read column by column; a cell that breaks that read is then found
    row by row and named (an unknown section, a ref that is not a number, no record text)."""
    wb = openpyxl.load_workbook(workbook)
    ws = wb[DATA_SHEET]
    if value is None:  # the record's text gone: the row keeps its ref and section only
        ws.cell(row, 4).value = None
        for c in range(3, ws.max_column + 1):
            ws.cell(row, c).value = None
    else:
        ws.cell(row, col).value = value
    out = tmp_path / "damaged.xlsx"
    wb.save(out)
    with pytest.raises(TemplateError, match=rf"hidden sheet _ims_data, row {row} is damaged"):
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


_CELLS = st.one_of(st.sampled_from(["Accept", " Accept", "", "1", "15-10-2025"]), st.none(),
                   st.just(math.nan), st.just(pd.NA), st.just(pd.NaT), st.integers(-2, 2), st.booleans(),
                   st.floats(allow_nan=False, min_value=-2, max_value=2), st.text(max_size=3))


@settings(max_examples=150, deadline=None)
@given(st.lists(_CELLS, max_size=30), st.sampled_from([object, "str"]))
def test_per_value_over_texts_gives_what_the_cell_by_cell_memo_gives(cells, dtype) -> None:
    """The texts-and-blanks path (distinct texts found by hashing) against the memo read,
    with a result that is a tuple (an object, not a sequence to spread over cells)."""
    from ims_xl.review import inputs
    if dtype == "str":
        cells = [c if isinstance(c, str) else None for c in cells]
    s = pd.Series(cells, dtype=dtype)

    def fn(v):
        return (type(v).__name__, repr(v))

    memo: dict = {}
    expect = []
    for v in s.tolist():  # the memo read, keyed by type as per_value keys cells
        k = v if type(v) is str or v is None else ("nan",) if isinstance(v, float) and v != v else (type(v), v)
        expect.append(memo[k] if k in memo else memo.setdefault(k, fn(v)))
    got = inputs.per_value(s, fn)
    assert got.dtype == object and list(got.index) == list(s.index) and got.tolist() == expect


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(["Matched", " x ", "", "1", '{"status":"Matched"}']), st.none(),
                         st.just(math.nan), st.integers(-2, 2), st.booleans(), st.text(max_size=3),
                         st.floats(allow_nan=False, min_value=-2, max_value=2),
                         st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1))), max_size=30))
def test_an_output_column_reads_as_the_text_of_each_cell(cells) -> None:
    """The reader's texts-and-blanks path for output columns (no call per cell) against
    text_of cell by cell, over the cells a workbook reader gives."""
    import numpy as np
    from ims_xl.review.sheets import _output_texts, text_of
    assert _output_texts(np.array(cells, dtype=object)).tolist() == [text_of(v) for v in cells]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.none() | st.integers(-3, 3) | st.text(alphabet="=+-@\t\r\n a\uff1d", max_size=4), max_size=20))
def test_a_column_search_for_formula_starts_misses_no_text(values) -> None:
    """some_text_starts_with answers False only when no text starts with one of the
    characters; True for every column where one does (a line feed inside a text may also
    answer True: the caller then tests each cell)."""
    from ims_xl.files.safety import DANGEROUS_START
    from ims_xl.review.inputs import some_text_starts_with
    from ims_xl.review.sheets import FORMULA_START
    for starts in (FORMULA_START, DANGEROUS_START):
        any_cell = any(isinstance(v, str) and v.startswith(starts) for v in values)
        inner = any(isinstance(v, str) and any(("\n" + c) in v for c in starts) for v in values)
        assert some_text_starts_with(values, starts) == (any_cell or inner)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(min_value=-3, max_value=3) | st.just(math.nan) | st.just(0.0) | st.just(-0.0), max_size=30),
       st.sampled_from(["float64", "int64", "Int64"]))
def test_per_value_over_a_number_column_gives_what_the_cell_by_cell_read_gives(cells, dtype) -> None:
    """A float64 or int64 column (declared ITC amounts, mostly blank) takes the factorised
    path; its results equal the cell-by-cell memo read's (pandas' Int64 takes that read)."""
    from ims_xl.review import inputs
    if dtype != "float64":
        cells = [None if c != c else int(c) for c in cells]
        if dtype == "int64":
            cells = [0 if c is None else c for c in cells]
    s = pd.Series(cells, dtype=dtype, index=range(5, 5 + len(cells)))

    def fn(v):
        return (type(v).__name__, repr(v))

    memo: dict = {}  # the memo read: equal numbers (0.0 and -0.0 too) are one cell, NaN one key
    expect = [memo[k] if (k := ("nan",) if pd.isna(v) else v) in memo else memo.setdefault(k, fn(v)) for v in s.tolist()]
    got = inputs.per_value(s, fn)
    assert got.dtype == object and list(got.index) == list(s.index) and got.tolist() == expect


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


@pytest.mark.parametrize("texts, plain", [
    (["INV-1", "INV-2", None, ""], True), ([" lead", "x"], False), (["x", "trail\t"], False),
    (["a", " b"], False), (["a\n", "b"], False), (["a", "\nb"], False), (["a", "b\r"], False),
    (["two\nlines", "x"], False), (["a&b"], False), (["x\x01"], False), (["in side", "ok"], True)])
def test_a_text_column_takes_the_one_comprehension_only_when_nothing_needs_care(texts, plain) -> None:
    import numpy as np
    from ims_xl.files.sheetxml import _JOIN, _edge_space, _need_escape, rows_xml
    t = list(filter(None, texts))
    joined = _JOIN.join(t)
    assert (not _edge_space(joined, len(t)) and not _need_escape(joined)) is plain
    xml = "".join(rows_xml([texts], [np.zeros(len(texts), dtype=np.int64)], 2))
    for t in filter(None, texts):
        shown = t.replace("&", "&amp;").replace("\x01", "_x0001_").replace("\r", "_x000D_")
        edge = t[0] in " \t\n\r" or t[-1] in " \t\n\r"
        assert (f'<t xml:space="preserve">{shown}</t>' if edge else f"<t>{shown}</t>") in xml, (t, xml)


def test_a_non_character_is_written_as_excel_escapes_it_so_the_sheet_stays_well_formed_xml() -> None:
    import xml.etree.ElementTree as ET
    import numpy as np
    from ims_xl.files.sheetxml import rows_xml
    texts = ["odd\uffff", "odd\ufffe", "ok"]
    xml = "".join(rows_xml([texts], [np.zeros(3, dtype=np.int64)], 2))
    ET.fromstring(f"<sheetData>{xml}</sheetData>")  # raw U+FFFF is not an XML character
    assert "odd_xFFFF_" in xml and "odd_xFFFE_" in xml  # as Excel and XlsxWriter write it


def test_a_document_number_that_reads_as_an_excel_escape_survives_import_validate_and_export(tmp_path) -> None:
    from ims_xl.cli import main
    recs = one_per_section()
    recs["b2b"][0].update(inum="A_x0041_", tradenm="X_x0020_Y & _x00e9_ Co", action="N")
    src = tmp_path / "d.json"
    src.write_text(json.dumps(download(recs, rtin=RTIN)), encoding="utf-8")
    out = tmp_path / "r.xlsx"
    assert main(["import", str(src), "--out", str(out)]) == 0
    rows = _grid(out, "B2B")
    assert any("A_x0041_" in row for row in rows) and any("X_x0020_Y & _x00e9_ Co" in row for row in rows)
    assert main(["validate", str(out)]) == 0  # the hidden copy reads back as written: no false "edited"
    book = read_review(out)
    i = book.rows.index[book.rows["doc_no"] == "A_x0041_"][0]
    book.rows.loc[i, "action_text"] = "Accept"
    write_review(book, out)
    assert main(["export", str(out), "--out", str(tmp_path / "u.json")]) == 0
    sent = json.loads((tmp_path / "u.json").read_text(encoding="utf-8"))
    assert [r["inum"] for r in sent["invdata"]["b2b"]] == ["A_x0041_"]


def _both_paths(items, monkeypatch):
    from ims_xl.formats import ims_json
    fast = ims_json.build_records(items, "x.json")
    with monkeypatch.context() as m:
        m.setattr(ims_json, "_usual_records", lambda *_: None)
        slow = ims_json.build_records(items, "x.json")
    return fast, slow


def test_the_column_wise_import_gives_what_the_record_by_record_one_gives(monkeypatch, tmp_path) -> None:
    from ims_xl.formats.ims_json import _find_sections, _usual_records, read_json_file
    from ims_xl.model import SECTIONS
    from ims_xl.samples.download import generate_download, write_download
    write_download(tmp_path / "d.json", generate_download(records=3000, seed=7))
    obj, _ = read_json_file(tmp_path / "d.json")  # exact decimals, as a real read
    sections, _ = _find_sections(obj, "x.json")
    items = [(sec, r) for sec in SECTIONS for r in sections.get(sec.key, ())]
    items[0][1]["futureKey"] = "kept"  # an unknown key is echoed
    assert _usual_records(items, None) is not None  # the portal's shape takes the column-wise path
    (df_f, orig_f, warn_f), (df_s, orig_s, warn_s) = _both_paths(items, monkeypatch)
    pd.testing.assert_frame_equal(df_f, df_s)
    assert [json.dumps(o) for o in orig_f] == [json.dumps(o) for o in orig_s]  # key order too
    assert warn_f == warn_s == [] and df_f["unknown_keys"].iloc[0] == "futureKey"


@pytest.mark.parametrize("space", [" ", "\t", "\xa0", "\u2003", "\x1f"])
def test_the_hidden_copy_read_column_wise_trims_texts_as_the_import_did(space) -> None:
    """The hidden copy keeps the downloaded text; its frame holds it trimmed (any space
    str.strip removes, at either end), whether one text or none needs it."""
    from ims_xl.formats.ims_json import build_records, records_from_originals
    from ims_xl.model import SECTION_BY_KEY
    recs = [record("b2b", 1), record("b2b", 2, inum=f"{space}INV-2"), record("b2b", 3, rtnprd=f"102025{space}"),
            record("b2bcn", 4, nt_num=f"cn-4{space}"), record("b2b", 5, pos=f"{space}27")]
    items = [(SECTION_BY_KEY["b2bcn" if "nt_num" in r else "b2b"], r) for r in recs]
    for chosen in (items[:1], items):  # no text to trim, and some
        df, originals, _ = build_records(chosen, "x.json")
        fast = records_from_originals([s.key for s, _ in chosen], originals, list(df["ref"]))
        pd.testing.assert_frame_equal(fast, df)
    assert list(df["doc_no"]) == ["INV-1", "INV-2", "INV-3", "cn-4", "INV-5"]
    assert originals[1]["inum"] == f"{space}INV-2" and list(df["key"])[3] == f"b2bcn|{recs[3]['stin']}|CN-4"
    assert df["pos"].iloc[4] == "27" and df["rtnprd"].iloc[2] == "102025"


@pytest.mark.parametrize("change", [
    {"inum": 123}, {"stin": None}, {"action": "a"}, {"rtnprd": "10"}, {"rtnprd": " 102025"},
    {"txval": "1000"}, {"txval": 1000.5}, {"ispendactnallwd": "Y"}, {"ispendactblocked": "yes"},
    {"inum": "  "}, {"val": True}, {"action": ["A"]}, {"itcRedReq": {"x": 1}}, {"val": "HUGE"},
    {"txval": "1.005"}, {"txval": "-2.001"}, {"val": "1E+12"}, {"val": "-1E+12"},
    {"val": -10**13}, {"val": "NaN"}, {"val": "-Infinity"}, {"txval": 0.5}])
def test_an_unusual_record_is_read_one_by_one_with_the_same_result(change, monkeypatch) -> None:
    from decimal import Decimal
    from ims_xl.errors import InputError
    from ims_xl.formats.ims_json import _usual_records
    from ims_xl.model import SECTION_BY_KEY
    sec = SECTION_BY_KEY["b2b"]
    if change.get("val") == "HUGE":  # 1e99999999: abs() of it overflows decimal's context
        change = {"val": Decimal("1E+99999999")}
    # amounts as exact decimals (parse_float=Decimal reads them so): more than 2 places, at
    # or beyond the column-wise path's bound, not finite
    change = {k: Decimal(v) if k in ("txval", "val") and type(v) is str and v not in ("1000", "HUGE") else v
              for k, v in change.items()}
    recs = [{**record("b2b", 1), "txval": Decimal("1000.50")}, {**record("b2b", 2), **change}]
    items = [(sec, r) for r in recs]
    if "stin" not in change:  # a null GSTIN reads as blank either way
        assert _usual_records(items, None) is None
    try:
        (df_f, orig_f, warn_f), (df_s, orig_s, warn_s) = _both_paths(items, monkeypatch)
    except InputError:
        return  # refused, as the record-by-record read refuses it
    pd.testing.assert_frame_equal(df_f, df_s)
    assert orig_f == orig_s and warn_f == warn_s


@pytest.mark.parametrize("amounts", [
    {"txval": Decimal("1000.50"), "iamt": 180, "camt": None, "val": Decimal("-0.00")},
    {"txval": Decimal("999999999999.99"), "iamt": Decimal("-999999999999.99"), "val": 10**12 - 1},
    {"txval": Decimal("1.5E+3"), "iamt": Decimal("12.30"), "val": Decimal("-7.05"), "cess": Decimal("0.01")},
    {"txval": -150, "iamt": Decimal("-1.5"), "val": Decimal("1E+1"), "camt": None, "samt": None, "cess": None},
])
def test_amounts_the_column_wise_path_takes_give_what_the_record_by_record_one_gives(amounts, monkeypatch) -> None:
    """Integers, decimals of up to 2 places (as parse_float=Decimal gives them: exponents,
    trailing zeros, negative zero) up to the path's bound, nulls and absent keys: the same
    paise, the same JSON numbers in the originals, in the same key order."""
    from ims_xl.formats.ims_json import _usual_records
    from ims_xl.model import SECTION_BY_KEY
    sec = SECTION_BY_KEY["b2b"]
    recs = [record("b2b", 1), {**record("b2b", 2), **amounts}, {**record("b2b", 3)}]
    for k in ("samt", "cess"):
        recs[2].pop(k, None)  # an absent amount beside present ones
    items = [(sec, r) for r in recs]
    assert _usual_records(items, None) is not None
    (df_f, orig_f, warn_f), (df_s, orig_s, warn_s) = _both_paths(items, monkeypatch)
    pd.testing.assert_frame_equal(df_f, df_s)
    assert [json.dumps(o) for o in orig_f] == [json.dumps(o) for o in orig_s] and warn_f == warn_s == []
    assert all(type(v) is not Decimal for o in orig_f for v in o.values())


def test_repeated_texts_of_a_sheet_share_one_object_and_nothing_else_changes() -> None:
    import numpy as np
    from ims_xl.review.sheets import _shared
    texts = np.array(["No Action", "Yes", "No Action".lower().title(), None, "Yes"], dtype=object)
    out = _shared(texts)
    assert out.tolist() == texts.tolist() and out[0] is out[2] and out[1] is out[4] and out[3] is None
    mixed = np.array([1.0, True, 1, "1", None], dtype=object)  # equal in Python, different cells
    assert [type(v) for v in _shared(mixed)] == [float, bool, int, str, type(None)]


def _xlsxwriter_notes(path: Path, sheets: list[dict], every: bool) -> None:
    import xlsxwriter
    from ims_xl.files.notes import NOTE_OPTIONS
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    for spec in sheets:
        ws = wb.add_worksheet()
        for j, (width, hidden) in spec["cols"].items():
            ws.set_column(j, j, width, None, {"hidden": hidden})
        ws.set_row(0, 45)
        ws.write_row(0, 0, ["h"] * 12)
        notes = sorted(spec["notes"].items())
        for (r, c), text in (notes if every else notes[:1]):
            ws.write_comment(r, c, text, NOTE_OPTIONS)
    wb.close()


def test_cell_notes_written_in_bulk_are_the_bytes_xlsxwriter_writes_note_by_note(tmp_path) -> None:
    """Every note's text, box and anchor, and the VML ids past a block of 1,024 notes."""
    from ims_xl.files.notes import SheetNotes, col_pixels, note_parts, row_pixels
    texts = ["Books: 1,00,000.00 (Books row 7)", "a & b < c > d", "INV_x0041_", " lead", "trail\u00a0",
             "bell\x07", "₹ ok", "=SUM(A1)", "line feed\n", "\u2003em space", "mid \nx"]
    big = {(r, c): texts[(r + c) % len(texts)] for r in range(1, 1300) for c in (3, 7) if (r + c) % 3}
    big[(1, 11)] = "last column"
    sheets = [{"cols": {0: (16, False), 1: (0.5, False), 2: (30, True), 3: (12, False), 4: (8.43, False),
                        7: (20, False), 8: (14, True)}, "notes": big},
              {"cols": {}, "notes": {(0, 0): "header note", (2, 5): "x", (40, 1): "y"}}]
    full, one = tmp_path / "full.xlsx", tmp_path / "one.xlsx"
    _xlsxwriter_notes(full, sheets, every=True)
    _xlsxwriter_notes(one, sheets, every=False)
    ours = note_parts(str(one), {
        f"xl/worksheets/sheet{k}.xml": SheetNotes(
            spec["notes"], {j: 0 if hidden else col_pixels(w) for j, (w, hidden) in spec["cols"].items()},
            {0: row_pixels(45)}) for k, spec in enumerate(sheets, start=1)})
    assert sorted(ours) == ["xl/comments1.xml", "xl/comments2.xml", "xl/drawings/vmlDrawing1.vml",
                            "xl/drawings/vmlDrawing2.vml"]
    with zipfile.ZipFile(full) as z:
        for part, make in ours.items():
            assert "".join(make()).encode("utf-8") == z.read(part), part


_CELL = st.one_of(
    st.none(), st.just(""), st.just("-"), st.just("  "), st.booleans(),
    st.integers(-10**15, 10**15), st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(places=2, min_value=-10**14, max_value=10**14).map(float),
    st.decimals(places=3, min_value=-10**6, max_value=10**6).map(lambda d: f"{d:,}"),
    st.decimals(places=2, min_value=-10**14, max_value=10**14).map(lambda d: f" {d:,} "),
    st.sampled_from(["1,00,000.50", "12.5 Dr", "16,825.05-", "(500.00)", "nan", "inf", "1e3", "1_000", "₹ 12",
                     "0.125", "\u00a012.5\u00a0", "--", "abc"]))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(_CELL, min_size=1, max_size=8))
def test_a_register_amount_column_read_at_once_is_read_as_cell_by_cell(cells) -> None:
    """paise_column takes a column only when it gives what _paise gives for each cell, and
    leaves to the cell-by-cell reading every column with a cell it refuses or reads otherwise."""
    from ims_xl.formats.register.cells import _paise, paise_column
    from ims_xl.money import AmountError
    try:
        one_by_one = [0 if c is None or c == "" else _paise(c) for c in cells]
    except AmountError:
        one_by_one = None
    whole = paise_column(cells)
    if whole is not None:
        assert one_by_one is not None and whole.tolist() == one_by_one
    elif all(type(c) in (float, int, type(None)) for c in cells) and one_by_one is not None:
        assert any(abs(c) >= 1e13 for c in cells if c is not None and c == c)  # only huge numbers go one by one


def test_a_register_amount_column_of_plain_numbers_and_texts_is_read_at_once() -> None:
    from ims_xl.formats.register.cells import paise_column
    assert paise_column([1234.56, None, 7, float("nan"), -0.1]).tolist() == [123456, 0, 700, 0, -10]
    assert paise_column(["1,00,000.50", "", None, " 12 ", "-", "-3.5"]).tolist() == [10000050, 0, 0, 1200, 0, -350]
    assert paise_column(["12.5 Dr", "1"]) is None and paise_column([True]) is None
    assert paise_column([0.125]) is None  # three decimals: refused, with its row, one by one


def test_steps_that_copy_the_rows_shallowly_leave_the_book_they_were_given_unchanged(workbook) -> None:
    """annotate and apply_result replace whole columns of a shallow copy: the caller's book
    (kept by run for the log's before/after) must not see their writes."""
    from ims_xl.reconcile.matching import apply_result
    from ims_xl.reconcile.matcher import reconcile
    from ims_xl.reconcile.matching import ims_frame
    book = read_review(workbook)
    book.rows.loc[book.rows.index[0], "action_text"] = "Maybe"  # an error for validate to write
    before = book.rows.copy()
    out = actions.validate(book)
    assert out.book.rows["sheet_errors"].str.len().gt(0).any()
    pd.testing.assert_frame_equal(book.rows, before)
    books = pd.DataFrame({"books_row": [2], "stin": [book.rows["stin"].iloc[1]], "doc_no": [book.rows["doc_no"].iloc[1]],
                          "doc_date": [pd.Timestamp(2025, 10, 1)], "doc_kind": ["invoice"], "pos": [""],
                          **{h: [0] for h in ("txval", "iamt", "camt", "samt", "cess", "val")}})
    matched = apply_result(book, reconcile(ims_frame(book.rows), books))
    assert matched.rows["match_status"].ne("").all()
    pd.testing.assert_frame_equal(book.rows, before)


def test_cell_marks_of_match_details_parsed_or_skipped_are_the_same() -> None:
    """A detail with no differing field is not parsed unless the record is missing in the
    books; a detail in any other JSON spelling is parsed, so it is never skipped wrongly."""
    from conftest import typed_book
    from ims_xl.model import SECTION_BY_KEY
    from ims_xl.review.sheets import section_block
    details = ['{"status":"Matched","fields":[],"codes":[],"books":{},"row":"7"}',
               '{"status":"Missing in books","fields":[],"codes":["not-in-books"],"books":{},"row":""}',
               '{"status": "Missing in books", "fields": [], "codes": [], "books": {}, "row": ""}',
               '{"status":"Value mismatch","fields":["txval"],"codes":["value"],"books":{"txval":"1,000.50"},"row":"9"}',
               '{"status":"Matched","fields":[],' + '"codes":[],"books":{},"row":"3",', ""]  # damaged, blank
    book = typed_book({"b2b": [record("b2b", n) for n in range(len(details))]})
    rows = book.rows.assign(match_detail=details, portal_errors="")
    block = section_block(rows, SECTION_BY_KEY["b2b"], {})
    j = {c.field: k for k, c in enumerate(block.columns)}
    assert {(i, c): m for (i, c), m in block.marks.items() if m != ""} == {
        (1, j["doc_no"]): "missing", (2, j["doc_no"]): "missing", (3, j["txval"]): "diff_amount"}
    assert block.notes == {(3, j["txval"]): "Books: 1,000.50 (Books row 9)"}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(["", "x", " ", "=1"]), st.none(), st.just(math.nan),
                          st.integers(-3, 3), st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
                          st.just(datetime(2025, 10, 15)), st.text(max_size=3)), max_size=25))
def test_a_text_column_cell_values_at_once_are_the_cell_by_cell_ones(cells) -> None:
    """column_values of a plain column: blanks ("", None, NaN) found at once when the cells
    are texts, numbers and blanks, cell by cell otherwise; the same values either way."""
    from ims_xl.review.layout import Column
    from ims_xl.review.sheets import column_values
    rows = pd.DataFrame({"tradenm": pd.Series(cells, dtype=object)})
    expect = [v if type(v) is str and v else
              None if v is None or v == "" or (isinstance(v, float) and math.isnan(v)) else v for v in cells]
    got = column_values(rows, Column("tradenm", "Trade name", "text", 10))
    assert [(type(v), repr(v)) for v in got] == [(type(v), repr(v)) for v in expect]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(["15-10-2025", "1-2-2025", "31-02-2025", "15/10/2025", " 15-10-2025",
                                           "01-01-1600", "01-01-2300", "29-02-2024", "", "x"]),
                          st.none(), st.just(math.nan), st.just(datetime(2025, 10, 15)), st.integers(0, 3)),
                max_size=20))
def test_shown_dates_converted_together_are_those_converted_one_by_one(cells) -> None:
    """shown_dates converts the distinct texts in one call; each is what a call per text
    gives (odd days, other separators, spaces, years pandas cannot hold)."""
    from ims_xl.review.book import shown_dates

    def one(t):
        d = pd.to_datetime(t, format="%d-%m-%Y", errors="coerce") if isinstance(t, str) else pd.NaT
        return d.to_pydatetime() if not pd.isna(d) else (t or None)
    got = shown_dates(pd.Series(cells, dtype=object))
    assert [(type(v), repr(v)) for v in got] == [(type(v), repr(v)) for v in map(one, cells)]


def _reference_cells(col: list, styles: list[int], usual: int, letter: str, first: int) -> list[str]:
    """A column's cells written one at a time through the general cell writer: what every
    column fast path must give."""
    from ims_xl.files.sheetxml import _cell
    out = []
    for r, (v, s) in enumerate(zip(col, styles), start=first):
        if v is None or (type(v) is str and not v):
            out.append(f'<c r="{letter}{r}" s="{s}"/>' if s != usual else "")
        else:
            out.append(_cell(v, f"{letter}{r}", s))
    return out


_TEXTS = st.one_of(st.none(), st.just(""), st.sampled_from([h for h in HOSTILE if isinstance(h, str)]),
                   st.text(alphabet=st.sampled_from("aZ9 _x0041&<>\n\r\t\x01\ufffe-="), max_size=12))
_COLUMNS = st.one_of(
    st.lists(_TEXTS, min_size=1, max_size=30),
    st.lists(st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=False)), min_size=1, max_size=30),
    st.lists(st.one_of(st.none(), st.integers(-10**15, 10**15)), min_size=1, max_size=30),
    st.lists(st.one_of(st.none(), st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2100, 1, 1)),
                       st.dates(min_value=datetime(1950, 1, 1).date())), min_size=1, max_size=30),
    st.lists(st.sampled_from(HOSTILE), min_size=1, max_size=30),
)


@settings(max_examples=300, deadline=None)
@given(col=_COLUMNS, marked=st.sets(st.integers(0, 29), max_size=4))
def test_every_column_fast_path_writes_what_the_cell_by_cell_writer_writes(col, marked) -> None:
    import numpy as np
    from ims_xl.files.sheetxml import _column_xml
    styles = np.array([7 if i in marked else 3 for i in range(len(col))], dtype=np.int32)
    rows = [str(r) for r in range(5, 5 + len(col))]
    assert _column_xml(list(col), styles, 3, "AB", rows) == _reference_cells(col, styles.tolist(), 3, "AB", 5)


def test_a_column_escaped_in_one_pass_keeps_each_text_in_its_row() -> None:
    import numpy as np
    from ims_xl.files.sheetxml import _column_xml
    col = ["A & B", None, "", "C<D", "plain", "E_x0041_", "F\x01G", "H>I & J"]
    got = _column_xml(col, np.zeros(len(col), dtype=np.int32), 0, "A", [str(r) for r in range(2, 10)])
    assert got == _reference_cells(col, [0] * len(col), 0, "A", 2)
    assert got[0].endswith("<t>A &amp; B</t></is></c>") and got[1] == got[2] == ""
    assert "<t>E_x005F_x0041_</t>" in got[5] and "<t>F_x0001_G</t>" in got[6]
    # a text holding a line feed cannot be split back out of the joined column: each alone
    col2 = ["x & y", "two\nlines & more", "z"]
    assert _column_xml(col2, np.zeros(3, dtype=np.int32), 0, "A", ["2", "3", "4"]) == \
        _reference_cells(col2, [0] * 3, 0, "A", 2)


@pytest.mark.parametrize("flag", ["itcRedReq", "ispendactblocked", "isRemarksBlocked", "isItcRedReqBlocked"])
@pytest.mark.parametrize("value", [["Y"], {"a": 1}, 1])
def test_a_hidden_record_whose_flag_is_not_text_is_read_and_reported_as_edited(workbook, tmp_path, flag, value) -> None:
    """Found by the review-workbook fuzz test: a flag edited into a list in the hidden copy
    made the column-wise read crash; such a record takes the record-by-record reading."""
    from ims_xl.review.checks import run_checks
    wb = openpyxl.load_workbook(workbook)
    ws = wb[DATA_SHEET]
    rec = json.loads(ws.cell(2, 3).value)
    rec[flag] = value
    ws.cell(2, 3).value = json.dumps(rec)
    out = tmp_path / "flag.xlsx"
    wb.save(out)
    book = read_review(out)
    assert all(type(v) is str for v in book.rows["itc_red_req"])
    assert "hidden-record-edited" in {f.code for f in run_checks(book)}


@pytest.mark.parametrize("ref", [float("inf"), float("-inf"), float("nan")])
def test_a_hidden_ref_that_is_no_finite_number_names_its_row(workbook, ref) -> None:
    """Found by the review-workbook fuzz test: a ref cell holding infinity crashed the read."""
    from ims_xl.review.sheets import book_from_grids
    wb = CalamineWorkbook.from_path(str(workbook))
    grids = {n: wb.get_sheet_by_name(n).to_python() for n in wb.sheet_names}
    grids[DATA_SHEET][2][0] = ref
    with pytest.raises(TemplateError, match=r"hidden sheet _ims_data, row 3 is damaged"):
        book_from_grids(grids, "review.xlsx", list(grids))


@pytest.mark.parametrize("ref, alone", [(float("inf"), False), (1e300, False), (10**20, False),
                                        (-(10**30), True), (False, True), (True, True)])
def test_a_section_ref_that_no_record_can_have_names_its_row(workbook, ref, alone) -> None:
    """Infinity in a sheet's IMS ref column crashed the read; 1e300 was named as a wrapped
    integer; a column of booleans (FALSE typed over the ref of a one-row sheet) or of whole
    numbers beyond int64 overflowed the bound test (the fuzz test found it). Each is named as
    it is, at its row. ``alone``: the sheet holds that row only, so the column is all of it."""
    from ims_xl.review.sheets import book_from_grids
    wb = CalamineWorkbook.from_path(str(workbook))
    grids = {n: wb.get_sheet_by_name(n).to_python() for n in wb.sheet_names}
    if alone:
        grids["B2B"] = grids["B2B"][:2]
    grids["B2B"][1][len(grids["B2B"][0]) - 1] = ref
    with pytest.raises(TemplateError, match=re.escape(f"sheet 'B2B', row 2: IMS ref '{ref}' is not a number")):
        book_from_grids(grids, "review.xlsx", list(grids))


@pytest.mark.parametrize("key", ["txval", "declIgst"])
@pytest.mark.parametrize("value", ['"1000.5"', "Infinity", "-Infinity", "NaN", "1000.505", "[1]", '{"a": 1}', "true",
                                   "null", "1e400", "12.5", "-0.0", "1" + "0" * 400, "-" + "9" * 30,
                                   "9999999999999.99", "10000000000000", "-10000000000000.5"])
def test_an_amount_changed_in_the_sealed_hidden_copy_reads_as_the_record_by_record_read_or_is_refused(
        workbook, tmp_path, key, value) -> None:
    """The hidden copy's amounts are read column-wise (float of each number); whatever JSON an
    amount holds, the workbook reads as the record-by-record normaliser reads that record, or
    is refused naming the hidden sheet: never an amount the record does not hold."""
    from ims_xl.formats.ims_json import build_records
    wb = openpyxl.load_workbook(workbook)
    ws = wb[DATA_SHEET]
    rec = json.loads(ws.cell(2, 3).value)
    if key == "txval":
        text = json.dumps(rec, ensure_ascii=False).replace(f'"txval": {json.dumps(rec["txval"])}', f'"txval": {value}')
    else:  # a declared amount (V6 caps it by IGST: the record is given one to be read whatever it is)
        text = json.dumps({**rec, "iamt": 10**6}, ensure_ascii=False)[:-1] + f', "{key}": {value}}}'
    assert f'"{key}": {value}' in text
    ws.cell(2, 3).value = text
    ws.cell(2, 4).value = seal_of(ws.cell(2, 2).value, text)  # sealed, so the copy is trusted
    out = tmp_path / "amount.xlsx"
    wb.save(out)
    try:
        book = read_review(out)
    except TemplateError as exc:
        assert "_ims_data" in str(exc)
        return
    from decimal import Decimal as D
    from ims_xl.model import SECTION_BY_KEY
    ref = int(ws.cell(2, 1).value)
    sec = SECTION_BY_KEY[ws.cell(2, 2).value]
    expected, _, _ = build_records([(sec, json.loads(text, parse_float=D))], "x", [ref])
    got = book.rows.set_index("ref").loc[ref]
    col = "txval" if key == "txval" else "decl_igst"
    assert col in expected
    assert (pd.isna(got[col]) and pd.isna(expected[col].iloc[0])) or got[col] == expected[col].iloc[0]


@pytest.mark.parametrize("sealed", [True, False])
def test_a_hidden_record_holding_a_lone_surrogate_is_named_as_damaged_at_its_row(workbook, tmp_path, sealed) -> None:
    """A hidden cell edited to hold "\\ud800" (valid JSON, no character) was read, then every
    command that writes the workbook back failed with an internal error (UnicodeEncodeError).
    An escaped pair (a real character) is read as that character."""
    wb = openpyxl.load_workbook(workbook)
    ws = wb[DATA_SHEET]
    good = ws.cell(4, 3).value.replace('"tradenm":"', '"tradenm":"\\ud83d\\ude00', 1)
    bad = ws.cell(3, 3).value.replace('"tradenm":"', '"tradenm":"\\ud800', 1)
    assert "\\ud800" in bad and "\\ude00" in good
    ws.cell(3, 3).value, ws.cell(4, 3).value = bad, good
    if sealed:
        ws.cell(3, 4).value = seal_of(ws.cell(3, 2).value, bad)
        ws.cell(4, 4).value = seal_of(ws.cell(4, 2).value, good)
    out = tmp_path / "surrogate.xlsx"
    wb.save(out)
    for work_only in (False, True):
        with pytest.raises(TemplateError, match=re.escape(f"hidden sheet {DATA_SHEET}, row 3 is damaged")):
            read_review(out, work_only=work_only)
    ws.cell(3, 3).value = bad.replace("\\ud800", "")
    if sealed:
        ws.cell(3, 4).value = seal_of(ws.cell(3, 2).value, ws.cell(3, 3).value)
    wb.save(out)
    book = read_review(out)
    assert book.originals[int(ws.cell(4, 1).value)]["tradenm"].startswith("\U0001F600")


@pytest.mark.parametrize("sealed", [True, False])
def test_a_hidden_record_nested_too_deeply_is_named_as_damaged_at_its_row(workbook, tmp_path, sealed) -> None:
    """A hidden cell holding JSON nested deeper than the parser goes (it fits in a cell's
    32,767 characters) was an internal error (RecursionError), sealed or not."""
    wb = openpyxl.load_workbook(workbook)
    ws = wb[DATA_SHEET]
    text = ws.cell(3, 3).value[:-1] + ', "x": ' + "[" * 16_000 + "]" * 16_000 + "}"
    ws.cell(3, 3).value = text
    if sealed:
        ws.cell(3, 4).value = seal_of(ws.cell(3, 2).value, text)
    out = tmp_path / "deep.xlsx"
    wb.save(out)
    with pytest.raises(TemplateError, match=re.escape(f"hidden sheet {DATA_SHEET}, row 3 is damaged")):
        read_review(out)
    with pytest.raises(TemplateError, match="row 3 is damaged"):
        read_review(out, work_only=True)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.one_of(st.none(), st.just(float("nan")), st.text(max_size=6), st.integers(-10**6, 10**6),
                          st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([" a\u00a0", "\u2003", "\t7 "])),
                max_size=12))
def test_matching_texts_are_stripped_as_pandas_strips_them(values) -> None:
    """The matcher's identifiers: each value as text, stripped, a missing one blank, as
    ``astype(object).fillna("").astype(str).str.strip()`` gives them (in one pass)."""
    from ims_xl.reconcile.prepare import _stripped
    s = pd.Series(values, dtype=object)
    assert list(_stripped(s)) == list(s.astype(object).fillna("").astype(str).str.strip())


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.text(alphabet="ab|#12 \n", max_size=8), st.text(alphabet="01 \t2", max_size=7)),
                max_size=10))
@example([("#2", " 102025 "), ("a#1", "x"), ("b#12\n", ""), ("c#", "1"), ("d#3#4", "2")])
def test_a_rows_record_on_the_portal_is_its_key_without_the_occurrence_and_its_period(pairs) -> None:
    """upload_plan's identity of a row (a record downloaded twice is uploaded once): what the
    pandas expression gives, in one pass over the texts."""
    from ims_xl.review.upload import record_idents
    keys = pd.Series([k for k, _ in pairs], dtype=object)
    periods = pd.Series([p for _, p in pairs], dtype=object)
    expected = keys.astype(str).str.replace(r"#\d+$", "", regex=True) + "|" + periods.astype(str).str.strip()
    assert record_idents(keys, periods) == list(expected)


_JSON_VALUE = st.one_of(
    st.none(), st.booleans(), st.integers(-10**20, 10**20), st.sampled_from([10**400, -(10**30), 10**13, 10**13 - 1]),
    st.floats(allow_nan=False, allow_infinity=False), st.decimals(places=2, min_value=-10**6, max_value=10**6).map(float),
    st.text(max_size=6), st.sampled_from([" 27 ", "Y", "N", "A", "R", "P", "", "10-10-2025", "x\u00a0"]),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=2), st.integers(), max_size=1))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.sampled_from(["stin", "tradenm", "inum", "idt", "val", "pos", "txval", "iamt", "camt", "samt", "cess",
                        "inv_typ", "srcform", "rtnprd", "action", "ispendactblocked", "itcRedReq", "declIgst",
                        "remarks", "hash", "srcfilstatus", "newKey"]), _JSON_VALUE)
def test_a_sealed_hidden_record_with_any_value_in_any_field_reads_as_the_normaliser_reads_it(key, value) -> None:
    """The hidden copy's column-wise read takes a record only as build_records would read it;
    anything else it leaves to build_records (by raising), which normalises it or refuses it:
    never a record read otherwise."""
    from decimal import Decimal as D
    from ims_xl.errors import InputError
    from ims_xl.formats.ims_json import build_records, records_from_originals
    from ims_xl.model import SECTION_BY_KEY
    _, (base,), _ = build_records([(SECTION_BY_KEY["b2b"], record("b2b", 1))], "x", [1])
    rec = {**base, key: value}
    try:
        fast = records_from_originals(["b2b"], [rec], [1])
    except (ValueError, TypeError, KeyError):
        return  # the record-by-record read takes it
    try:
        slow, _, _ = build_records([(SECTION_BY_KEY["b2b"], json.loads(json.dumps(rec), parse_float=D))], "x", [1])
    except InputError as exc:
        raise AssertionError(f"read column-wise, refused record by record: {exc}") from None
    pd.testing.assert_frame_equal(fast, slow)


def test_every_amount_of_two_decimals_reads_column_wise_to_its_exact_paise() -> None:
    """The hidden copy's column-wise read refuses more than 2 decimals exactly, and takes
    every amount of Decimal(15, 2) (a float as json.loads reads its text), at any size."""
    import numpy as np
    from ims_xl.formats.ims_json import MAX_PAISE, _paise_of
    rng = np.random.default_rng(5)
    for hi in (10**3, 10**7, 10**11, MAX_PAISE):
        paise = [int(p) for p in rng.integers(-hi, hi, 5000)] + [hi, -hi, 0, 1, -1, 7, 10, 99]
        floats = np.array([float(str(Decimal(p).scaleb(-2))) for p in paise])
        assert _paise_of(floats, np.zeros(len(paise), dtype=bool), "txval").tolist() == paise
    for odd in (1e-14, 5000000000000.125, 0.005, 2.675, 1000.001):
        with pytest.raises(ValueError, match="more than 2 decimals"):
            _paise_of(np.array([1.0, odd]), np.zeros(2, dtype=bool), "txval")


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.sampled_from(["stin", "tradenm", "inum", "idt", "val", "pos", "txval", "iamt", "camt", "samt", "cess",
                        "inv_typ", "srcform", "rtnprd", "action", "ispendactblocked", "isRemarksBlocked",
                        "itcRedReq", "declIgst", "remarks", "hash", "srcfilstatus", "newKey"]), _JSON_VALUE)
def test_a_downloaded_record_with_any_value_in_any_field_imports_as_the_record_by_record_read(key, value) -> None:
    """The download's column-wise import takes a record only as the record-by-record read
    takes it: the same frame, originals and warnings, or both refuse it."""
    from decimal import Decimal as D
    from ims_xl.errors import InputError
    from ims_xl.formats import ims_json
    from ims_xl.model import SECTION_BY_KEY
    rec = json.loads(json.dumps({**record("b2b", 1), key: value}), parse_float=D)  # as a real read gives it
    items = [(SECTION_BY_KEY["b2b"], json.loads(json.dumps(record("b2b", 2)), parse_float=D)),
             (SECTION_BY_KEY["b2b"], rec)]

    def read(usual: bool):
        saved = ims_json._usual_records
        if not usual:
            ims_json._usual_records = lambda *_: None
        try:
            return ims_json.build_records(items, "x.json")
        except InputError as exc:
            return str(exc)
        finally:
            ims_json._usual_records = saved
    fast, slow = read(True), read(False)
    if isinstance(fast, str) or isinstance(slow, str):
        assert fast == slow
        return
    pd.testing.assert_frame_equal(fast[0], slow[0])
    assert [json.dumps(o, default=repr) for o in fast[1]] == [json.dumps(o, default=repr) for o in slow[1]]
    assert fast[2] == slow[2]


def test_a_re_import_serialises_each_downloaded_record_once_and_writes_the_fresh_hidden_copy(
        tmp_path, monkeypatch) -> None:
    """`import --into` keeps the texts the new download was serialised to (to seal it) for
    the hidden copy, instead of serialising 100,000 records a second time to write it; the
    copy written is the one a first import of that download writes."""
    from conftest import run, write_json
    from ims_xl.review import book as book_module
    recs = one_per_section()
    recs["b2b"] += [record("b2b", n) for n in range(2, 6)]
    wb = import_new(tmp_path, download(recs, rtin=RTIN))
    recs["b2b"][1] = {**recs["b2b"][1], "txval": 777.5, "tradenm": 'A "quoted" =name'}  # an amendment
    recs["b2b"].append(record("b2b", 9))  # a new record
    src = write_json(tmp_path / "again.json", download(recs, rtin=RTIN))
    calls: list[int] = []
    counted = book_module.record_text

    def counting(original: dict) -> str:
        calls.append(1)
        return counted(original)
    monkeypatch.setattr(book_module, "record_text", counting)
    assert run("import", src, "--into", wb) == 0
    total = sum(len(v) for v in recs.values())
    assert len(calls) == total  # once each, when the new download is sealed
    monkeypatch.undo()
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    assert run("import", src, "--out", fresh / "review.xlsx") == 0
    assert _grid(wb, DATA_SHEET) == _grid(fresh / "review.xlsx", DATA_SHEET)
    assert run("validate", wb) == 0  # the seals hold over the texts written


def test_a_sheet_whose_making_fails_is_closed_only_after_its_handed_over_writes(tmp_path, monkeypatch) -> None:
    """The deflate worker may still be writing a chunk when making the next one fails: the
    entry is closed (and the error raised) only once that write is done, never beside it;
    no worker is left and the switch interval is put back."""
    import sys
    import threading
    import time
    import zipfile as zf
    from ims_xl.files import sheetxml
    src = tmp_path / "pkg.xlsx"
    with zf.ZipFile(src, "w") as z:
        z.writestr("xl/worksheets/sheet1.xml", '<worksheet><dimension ref="A1"/><sheetData></sheetData></worksheet>')
    events: list[tuple[str, float]] = []
    real_write, real_close = zf._ZipWriteFile.write, zf._ZipWriteFile.close

    def slow_write(self, data):
        if threading.current_thread() is not threading.main_thread():
            time.sleep(0.3)
        out = real_write(self, data)
        events.append(("written", time.perf_counter()))
        return out

    def close(self):
        events.append(("closing", time.perf_counter()))
        return real_close(self)
    monkeypatch.setattr(zf._ZipWriteFile, "write", slow_write)
    monkeypatch.setattr(zf._ZipWriteFile, "close", close)

    def rows():
        yield '<row r="2"><c r="A2"><v>1</v></c></row>'
        raise RuntimeError("making the next chunk failed")
    switch = sys.getswitchinterval()
    with pytest.raises(RuntimeError, match="next chunk failed"):
        sheetxml.inject_rows(str(src), str(tmp_path / "out.xlsx"), {"xl/worksheets/sheet1.xml": (rows, "A1:A2")})
    kinds = [k for k, _ in events]
    assert kinds.count("written") == 2 and kinds.index("closing") > max(i for i, k in enumerate(kinds) if k == "written")
    assert sys.getswitchinterval() == switch
    assert not [t for t in threading.enumerate() if t.name.startswith("ims-xl-deflate")]


@pytest.fixture(scope="module")
def worked(tmp_path_factory) -> Path:
    """A month run with its register, then worked in Excel: an action and a remark typed, a
    sheet added (every kind of sheet a read takes)."""
    from conftest import run
    d = tmp_path_factory.mktemp("worked")
    assert run("sample", "--out-dir", d, "--records", 80, "--seed", 5) == 0
    assert run("run", d / "ims_download.json", "--books", d / "purchase_register.csv", "--out-dir", d / "job",
               "--apply-suggestions") in (0, 1)
    wb = openpyxl.load_workbook(d / "job" / "review.xlsx")
    ws = wb["B2B"]
    col = {c.value: c.column for c in ws[1]}
    ws.cell(2, col["Action"]).value = "Reject"
    ws.cell(3, col["Remarks"]).value = "call the supplier"
    wb.create_sheet("My notes")["A1"] = "kept"
    wb.save(d / "job" / "review.xlsx")
    return d / "job" / "review.xlsx"


def _same_books(a, b) -> None:
    pd.testing.assert_frame_equal(a.rows, b.rows)
    assert a.books == b.books and a.reports == b.reports and a.log == b.log
    assert a.extra_sheets == b.extra_sheets and a.meta == b.meta and a.seals == b.seals
    assert a.originals == b.originals and a.texts == b.texts
    pd.testing.assert_frame_equal(a.removed, b.removed)


def test_reading_sheets_ahead_gives_the_book_a_read_in_turn_gives(worked, monkeypatch) -> None:
    from ims_xl.files import xlsx
    ahead, lean = read_review(worked), read_review(worked, lean=True)
    monkeypatch.setattr(xlsx, "_read_order", lambda names: [])  # no sheet read ahead
    _same_books(ahead, read_review(worked))
    _same_books(lean, read_review(worked, lean=True))
    assert ahead.extra_sheets == {"My notes": [["kept"]]}


def test_a_workbook_is_never_read_by_two_threads_at_once(worked, monkeypatch) -> None:
    """python-calamine refuses a second use of a workbook while one is under way: the read
    ahead and the sheet asked for take turns, every sheet is read ahead but the first, and
    no worker is left once the read is done, nor after a read that fails."""
    import threading
    import time
    from ims_xl.errors import ImsXlError
    from ims_xl.files import xlsx
    busy, most, by_worker = [0], [0], []
    real_open = xlsx.open_workbook

    class Watched:
        def __init__(self, wb):
            self._wb = wb

        def __getattr__(self, attr):
            return getattr(self._wb, attr)

        def get_sheet_by_name(self, name):
            busy[0] += 1
            most[0] = max(most[0], busy[0])
            try:
                time.sleep(0.02)  # widens the window two reads would overlap in
                return self._wb.get_sheet_by_name(name)
            finally:
                busy[0] -= 1
                by_worker.append((name, threading.current_thread() is not threading.main_thread()))
    monkeypatch.setattr(xlsx, "open_workbook", lambda *a, **k: Watched(real_open(*a, **k)))
    read_review(worked)
    assert most[0] == 1
    names = [n for n, _ in by_worker]
    assert len(names) == len(set(names)) and {"B2B", "Books", "Log", "_ims_data", "My notes"} <= set(names)
    assert [n for n, w in by_worker if not w] == [names[0]]  # only the first sheet waited for
    assert not [t for t in threading.enumerate() if t.name.startswith("ims-xl-read")]

    def broken(grids, *a, **k):  # a read that fails while the next sheet is read ahead
        grids["_ims_meta"]
        raise TemplateError("x")
    monkeypatch.setattr("ims_xl.files.xlsx.book_from_grids", broken)
    with pytest.raises(ImsXlError):
        read_review(worked)
    assert not [t for t in threading.enumerate() if t.name.startswith("ims-xl-read")]


def test_without_helper_threads_the_same_workbook_is_written_and_read(worked, tmp_path, monkeypatch) -> None:
    """A batch's workers, as many as the cores, run without helper threads: the same cells
    are written and the same book read, all on the command's own thread."""
    import threading
    import zipfile as zf
    from ims_xl.files import sheetxml
    book = read_review(worked)
    write_review(book, tmp_path / "with.xlsx")
    threads: set[str] = set()
    real = zf._ZipWriteFile.write

    def noted(self, data):
        threads.add(threading.current_thread().name)
        return real(self, data)
    monkeypatch.setattr(zf._ZipWriteFile, "write", noted)
    monkeypatch.setattr(sheetxml, "HELPER_THREADS", False)

    def no_pool(*a, **k):
        raise AssertionError("a helper thread was started")
    from ims_xl.files import xlsx
    monkeypatch.setattr(sheetxml, "ThreadPoolExecutor", no_pool)
    monkeypatch.setattr(xlsx, "ThreadPoolExecutor", no_pool)
    _same_books(book, read_review(worked))
    write_review(book, tmp_path / "without.xlsx")
    assert threads == {threading.main_thread().name}
    a, b = CalamineWorkbook.from_path(str(tmp_path / "with.xlsx")), CalamineWorkbook.from_path(str(tmp_path / "without.xlsx"))
    assert a.sheet_names == b.sheet_names
    for name in a.sheet_names:
        assert a.get_sheet_by_name(name).to_python() == b.get_sheet_by_name(name).to_python(), name


@pytest.mark.parametrize("jobs, helpers", [(1, True), (64, False)])
def test_a_batch_with_a_process_per_core_runs_its_clients_without_helper_threads(jobs, helpers, monkeypatch,
                                                                                  tmp_path) -> None:
    from ims_xl import batch
    seen = {}

    class Pool:  # the executor as _run_pool makes it (no client is run)
        def __init__(self, **kw):
            seen.update(kw)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def submit(self, *a):
            raise AssertionError("no client in this test")
    monkeypatch.setattr(batch, "ProcessPoolExecutor", Pool)
    monkeypatch.setattr(batch.os, "cpu_count", lambda: 2 if jobs == 1 else 64)
    assert batch._run_pool([], jobs, None, {}) == []
    assert seen["initializer"] is batch._init_worker and seen["initargs"][0] is helpers
    # the worker's start sets its helper threads so (and ignores Ctrl-C between clients)
    import signal
    from ims_xl.files import sheetxml
    got = []
    monkeypatch.setattr(sheetxml, "use_helper_threads", got.append)
    monkeypatch.setattr(signal, "signal", lambda *a: got.append(a))
    monkeypatch.setattr(batch, "_STOP", None)
    batch._init_worker(*seen["initargs"])
    assert got == [helpers, (signal.SIGINT, signal.SIG_IGN)]


def _documents_by_pandas_aggregations(lines: pd.DataFrame, *, has_val: bool, has_vch: bool,
                                      has_kind: bool, warnings: list[str]) -> pd.DataFrame:
    """The register's grouping of line rows into documents as pandas aggregations over every
    line and every document: what ``documents._group_documents`` computes by position."""
    from ims_xl.formats.register.documents import _empty_books
    from ims_xl.formats.register.vocabulary import _AMOUNTS, BOOKS_COLUMNS, HEAD_KEYS, RegisterError
    if lines.empty:
        return _empty_books()
    lines = lines.sort_values("_line", kind="stable").reset_index(drop=True)
    keys = ["stin", "doc_kind", "doc_no", "doc_date"] + (["_vch"] if has_vch else [])
    lines = lines.assign(_gid=lines.groupby(keys, sort=False, dropna=False).ngroup().to_numpy())
    sig = ["_gid", *_AMOUNTS] if has_val else ["_gid", *HEAD_KEYS]
    if not has_vch:
        sig_n = lines.groupby(sig, sort=False)["_line"].transform("size")
        g_min = sig_n.groupby(lines["_gid"]).transform("min")
        g_max = sig_n.groupby(lines["_gid"]).transform("max")
        copies = (g_min == g_max) & (g_min >= 2)
        if has_val and copies.any():
            g_heads = lines[list(HEAD_KEYS)].sum(axis=1).groupby(lines["_gid"]).transform("sum")
            val = lines["val"]
            copies = copies & ~((val - g_heads).abs() < (val - g_heads / g_min.clip(lower=1)).abs())
        copy_idx = lines.groupby(sig, sort=False).cumcount().where(copies, 0)
        lines = lines.assign(_gid=lines.groupby(["_gid", copy_idx], sort=False).ngroup())
    g = lines.groupby("_gid", sort=False)
    first = g.first()
    out = pd.DataFrame(index=first.index)
    out["books_row"] = g["_line"].min()
    size = g["_line"].size()
    out["source_rows"] = g["_line"].agg(lambda s: ",".join(map(str, s)))
    for c in ("stin", "doc_kind", "doc_no", "doc_date"):
        out[c] = first[c]
    for c in ("tradenm", "pos", "orig_doc_no"):
        nonblank = lines[c].where(lines[c] != "")
        out[c] = nonblank.groupby(lines["_gid"], sort=False).first().reindex(out.index).fillna("")
    sums, firsts = g[list(HEAD_KEYS)].sum(), g[list(HEAD_KEYS)].first()
    multi = size[size > 1].index
    for c in HEAD_KEYS:
        lo, hi = g[c].min().loc[multi], g[c].max().loc[multi]
        others = [o for o in HEAD_KEYS if o != c]
        once = (len(multi) >= 2 and (lo == hi).all() and (lo != 0).any()
                and bool((g[others].min().loc[multi] != g[others].max().loc[multi]).any().any()))
        out[c] = (firsts[c] if once else sums[c]).astype("int64")
    heads = sums.sum(axis=1).astype("int64")
    if has_val:
        vsum, vmin, vmax = g["val"].sum(), g["val"].min(), g["val"].max()
        once = (size > 1) & (vmin == vmax) & ((vmin - heads).abs() < (vsum - heads).abs())
        out["val"] = vsum.where(~once, vmin).astype("int64")
    else:
        out["val"] = heads
    neg = (out["txval"] + out["val"]) < 0
    if not has_kind and len(out) >= 2 and neg.all():
        raise RegisterError("every document is negative")
    if neg.any():
        for c in _AMOUNTS:
            out[c] = out[c].where(~neg, -out[c])
        if not has_kind:
            out["doc_kind"] = out["doc_kind"].where(~neg, "credit_note")
            warnings.append(f"{int(neg.sum())} negative")
    out = out.sort_values("books_row", kind="stable").reset_index(drop=True)
    out["books_row"] = out["books_row"].astype("int64")
    out["doc_date"] = out["doc_date"].astype("datetime64[ns]")
    for c in ("source_rows", "stin", "tradenm", "doc_kind", "doc_no", "pos", "orig_doc_no"):
        out[c] = out[c].astype(object)
    return out[list(BOOKS_COLUMNS)]


_LINE = st.fixed_dictionaries({
    "stin": st.sampled_from(["27AAKFR5247M1ZL", "24AABCS1429B1ZX", ""]),
    "tradenm": st.sampled_from(["", "Vora Chemicals", "Om Sai"]),
    "doc_kind": st.sampled_from(["invoice", "credit_note"]),
    "doc_no": st.sampled_from(["INV/1", "2", "", "Total"]),
    "doc_date": st.sampled_from([None, "2025-10-01", "2025-10-02"]),
    "pos": st.sampled_from(["", "27", "07"]),
    "orig_doc_no": st.sampled_from(["", "INV/0"]),
    "_vch": st.sampled_from(["", "V1", "V2"]),
    **{f: st.sampled_from([0, 100, 250, -100, 350]) for f in ("txval", "iamt", "camt", "samt", "cess", "val")},
})


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.tuples(_LINE, st.integers(0, 2)), min_size=1, max_size=14), st.booleans(), st.booleans(),
       st.booleans(), st.randoms(use_true_random=False))
def test_documents_grouped_by_position_are_those_pandas_aggregations_give(rows, has_val, has_vch, has_kind,
                                                                          rnd) -> None:
    """Lines grouped into documents by the first line's position, with copies compared only
    on documents of several lines, give what aggregations over every line and document give:
    duplicate bookings, item lines under a repeated total, blank names on a document's first
    line, dates missing, negative notes, lines out of order."""
    from ims_xl.formats.register.documents import _group_documents
    from ims_xl.formats.register.vocabulary import RegisterError
    lines_list = []
    for line, repeat in rows:  # a line repeated: a duplicate booking or a second equal item
        lines_list += [line] * (1 + repeat)
    order = list(range(len(lines_list)))
    rnd.shuffle(order)
    frame = pd.DataFrame({
        "_line": [2 + 3 * k for k in order],
        **{c: [ln[c] for ln in lines_list] for c in ("stin", "tradenm", "doc_kind", "doc_no")},
        "doc_date": pd.to_datetime([ln["doc_date"] for ln in lines_list]).astype("datetime64[ns]"),
        **{c: [ln[c] for ln in lines_list] for c in ("pos", "orig_doc_no", "_vch")},
        **{c: pd.array([ln[c] for ln in lines_list], dtype="int64")
           for c in ("txval", "iamt", "camt", "samt", "cess", "val")},
    })
    outcome = []
    for group in (_group_documents, _documents_by_pandas_aggregations):
        warnings: list[str] = []
        kw = {"warnings": warnings, "has_val": has_val, "has_vch": has_vch, "has_kind": has_kind}
        try:
            extra = {"where": "w", "header": None} if group is _group_documents else {}
            books = group(frame.copy(), **kw, **extra)
        except RegisterError:
            outcome.append("refused")
            continue
        outcome.append((books, len(warnings)))
    if "refused" in outcome:
        assert outcome == ["refused", "refused"]
        return
    (fast, n_fast), (slow, n_slow) = outcome
    assert n_fast == n_slow
    pd.testing.assert_frame_equal(fast, slow)
    for c in fast.columns:  # the same Python types, not only equal values
        assert list(map(type, fast[c])) == list(map(type, slow[c])), c


def _more_headers_row_by_row(grid: list[list], first, wanted: dict) -> list:
    """``reader._more_headers`` testing the GSTIN cell of every row one by one."""
    from ims_xl.formats.register.reader import _SYN_CELLS, _header_at
    si = first.cols["stin"][0]
    out, taken = [], -1
    for r, row in enumerate(grid[first.row + 1:], first.row + 1):
        c = row[si] if si < len(row) else None
        if (isinstance(c, str) and len(c.strip()) == 15 and c.strip()[:2].isdigit()) or r <= taken:
            continue
        if sum(1 for c in row if isinstance(c, str) and c.strip().lower() in _SYN_CELLS) >= 1:
            h = _header_at(grid, r, {})
            if h is None and wanted:
                h = _header_at(grid, r, wanted)
            if h is None and r + 1 < len(grid):
                h2 = _header_at(grid, r + 1, {})
                if h2 is not None and h2.two:
                    h, taken = h2, r + 1
            if h is not None:
                out.append(h)
    return out


_GSTIN_CELL = st.sampled_from(["27AAKFR5247M1ZL", " 27aakfr5247m1zl ", "27AAKFR5247M1Z", "AB27AKFR5247M1ZL", "", None,
                               27, 27.0, True, datetime(2025, 10, 1), "GSTIN", "Total", ("a", "tuple"), ["a list"]])


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.tuples(_GSTIN_CELL, st.sampled_from(["line", "short", "header", "labels", "blank"])),
                max_size=10))
def test_header_rows_below_the_first_are_found_as_row_by_row(rows) -> None:
    """The rows below the header whose GSTIN cell is no GSTIN, found once per distinct cell,
    are those a test of every row finds (numbers, dates, unhashable cells, short rows)."""
    from ims_xl.formats.register.headers import _find_header
    from ims_xl.formats.register.reader import _more_headers
    header = ["Bill No", "Supplier GSTIN", "Taxable Value"]
    grid: list[list] = [["Purchases"], header]
    for cell, kind in rows:
        grid.append({"line": ["B1", cell, "100"], "short": ["B1"], "header": list(header),
                     "labels": ["Bill No", cell, "Taxable Value"], "blank": []}[kind])
    first = _find_header(grid, "w", {})
    assert [h.row for h in _more_headers(grid, first, {})] == \
        [h.row for h in _more_headers_row_by_row(grid, first, {})]


# the matcher keys document numbers all at once, in arrays (reconcile.numbers._doc_no_keys)
_NUMBER_PIECES = ["0", "00", "7", "1", "12", "123", "12345", "20", "24", "25", "26", "99", "2024", "2025", "2425", "2526",
                  "9900", "0910", "2099", "2100", "2122", "-", "/", " ", "\t", "\x1f", " - ", " / ", "--", "-/", ".",
                  "_", "FY", "fy", "F", "Y", "FY ", "FY-", "INV", "a", "\xa0", "\u2003", "ß", "ı", "é", "٢٤",
                  "٢٥٢٦", "²³⁴⁵"]
_NUMBERS = st.lists(st.sampled_from(_NUMBER_PIECES), max_size=8).map("".join)


def _keys_one_by_one(texts: list[str]) -> list[tuple[str, str]] | Exception:
    from ims_xl.reconcile.numbers import doc_no_key
    try:
        return [doc_no_key(t) for t in texts]
    except Exception as exc:  # ``_consecutive_years`` cannot read a year of digits like "²³"
        return exc


@settings(max_examples=600, deadline=None, derandomize=True)
@given(st.lists(_NUMBERS, max_size=12), st.lists(_NUMBERS, max_size=12))
@example(["FY24-25/001", "INV/2024-25/0891", "24-25-26", "2024-2025-26", "FY 24-25/1", "FY2425/7", "1/2025",
          "000", "2024-25", "FY25-26/CN/25-26/319", "si/2526/0342", " \xa0INV/24-25/1", "", "0 / 0"],
         ["INV/2024-25/0891", "FY 2425", "2425-26", "1/24-25-26", "2024-2025-26/7", "2526/24-25/3"])
@example(["12-34A²³⁴⁵"], [])
@example(["INV/24-25/1", "x\x00y"], ["a\x00", "INV/24-25/1"])  # a NUL: keyed one by one
def test_document_numbers_keyed_in_arrays_are_keyed_as_one_by_one(first, second) -> None:
    """Keys and year tokens of numbers keyed together (a memo shared by two calls, as the
    IMS and books sides share it) are doc_no_key's, number by number: year tokens dropped
    with their FY, leading zeros, chains of year pairs, NUL, white space and letters beyond
    ASCII (and a NUL, which the join would take for the end of a number), and the error a
    number doc_no_key cannot read raises."""
    from ims_xl.reconcile.numbers import _normalise_texts
    memo: dict = {}
    for texts in (first, second):
        expected = _keys_one_by_one(texts)
        arr = np.array(texts, dtype=object)
        if isinstance(expected, Exception):
            with pytest.raises(type(expected), match=re.escape(str(expected))):
                _normalise_texts(arr, memo)
            return
        keys, fys = _normalise_texts(arr, memo)
        assert list(zip(keys.tolist(), fys.tolist())) == expected


def _duplicates_reference(frame: pd.DataFrame, paired: np.ndarray, key_cols: list[str],
                          order_col: str) -> tuple[np.ndarray, np.ndarray]:
    """assign._duplicates as it was: sort, then group by the keys, at every call."""
    from ims_xl.reconcile.base import _NO_DAY
    n = len(frame)
    dup = np.zeros(n, dtype=bool)
    primary = np.full(n, -1, dtype=np.int64)
    has_no = frame["norm"].to_numpy() != ""
    if not has_no.any():
        return dup, primary
    f = frame.loc[has_no, key_cols + ["day", order_col]].copy()
    f["pos"] = np.flatnonzero(has_no)
    f["unpaired"] = ~paired[f["pos"].to_numpy()]
    day = f["day"].to_numpy()
    f["day_k"] = np.where(day == _NO_DAY, np.iinfo(np.int64).max, day)
    f = f.sort_values(["unpaired", "day_k", order_col], kind="stable")
    g = f.groupby(key_cols, sort=False)
    rank = g.cumcount().to_numpy()
    first_pos = g["pos"].transform("first").to_numpy()
    is_dup = (rank > 0) & f["unpaired"].to_numpy()
    dup[f["pos"].to_numpy()[is_dup]] = True
    primary[f["pos"].to_numpy()[is_dup]] = first_pos[is_dup]
    return dup, primary


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1), st.integers(-1, 0), st.integers(0, 1),
                          st.sampled_from(["", "K"]), st.booleans(), st.integers(0, 3), st.integers(0, 2)), max_size=25),
       st.sampled_from(["ref", "books_row"]))
@example([(0, 0, 0, 0, "K", False, 1, 2), (0, 0, 0, 0, "K", False, 1, 0), (0, 0, 0, 0, "K", True, 3, 1),
          (0, 0, 0, 0, "K", True, 2, 1)], "ref")
def test_duplicates_from_one_sort_per_frame_are_those_of_a_sort_per_call(rows, order_col) -> None:
    """Duplicates and the rows they repeat, from the frame's rows sorted once (assign._dup_order)
    and reused by each call, are those sorting and grouping at every call gives: equal keys,
    unknown dates, equal order values, rows without a number, paired rows first."""
    from ims_xl.reconcile.assign import _dup_order, _duplicates
    from ims_xl.reconcile.base import _NO_DAY
    keys = ["kind", "stin_c", "dfy", "txval"]
    frame = pd.DataFrame({"kind": [r[0] for r in rows], "stin_c": [r[1] for r in rows],
                          "dfy": [r[2] * 10**6 for r in rows], "txval": [r[3] * 10**12 for r in rows],
                          "norm": pd.array([r[4] for r in rows], dtype="str"),
                          "day": [_NO_DAY if r[6] == 3 else r[6] for r in rows],
                          order_col: [r[7] for r in rows]}, dtype=object).astype(
        {"kind": "int64", "stin_c": "int64", "dfy": "int64", "txval": "int64", "day": "int64", order_col: "int64"})
    for paired in (np.array([r[5] for r in rows], dtype=bool), np.zeros(len(rows), dtype=bool)):
        want = _duplicates_reference(frame, paired, keys, order_col)
        for got in (_duplicates(frame, paired, keys, order_col),
                    _duplicates(frame, paired, keys, order_col, _dup_order(frame, keys, order_col))):
            assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.lists(st.sampled_from(["", "a", "bc", None]), min_size=4, max_size=4), max_size=5),
       st.sampled_from(["; ", "|"]))
def test_texts_joined_from_their_non_empty_cells_are_joined_as_row_by_row(cols, sep) -> None:
    """explain._join walks only the non-empty cells of an object column: the texts of a
    join over every row, whatever the first column and the column kinds."""
    from ims_xl.reconcile.explain import _join
    n = 4
    lists = [c for c in cols]
    want = [t or "" for t in lists[0]] if lists else [""] * n
    for col in lists[1:]:
        want = [(a + sep + b if a else b) if b else a for a, b in zip(want, col)]
    kinds = [np.array(c, dtype=object) if k % 2 == 0 else list(c) for k, c in enumerate(cols)]
    assert _join(kinds, sep, n) == want


def test_a_match_detail_written_piece_by_piece_is_the_detail_encoded_whole(workbook) -> None:
    """apply_result's hidden match detail, its status, fields and codes encoded once per
    combination and its books row appended, is the whole object encoded (odd books values:
    quotes, letters beyond ASCII, text that is no JSON; no books row)."""
    from ims_xl.reconcile.base import MatchSettings, ReconcileResult
    from ims_xl.reconcile.matching import apply_result
    book = read_review(workbook)
    refs = book.rows["ref"].tolist()
    values = ['{"doc_no": "A\\"1\u00e9", "txval": "1,000.00"}', "{}", "", "not json", '{"stin": "27\u2003X"}']
    ims = pd.DataFrame({
        "ref": refs, "status": ["Matched" if k % 2 else "Value mismatch" for k in range(len(refs))],
        "books_row": pd.array([None if k % 3 == 0 else k + 4 for k in range(len(refs))], dtype="Int64"),
        "score": 0.0, "reasons": "", "reason_codes": ["taxable-diff|date-diff" if k % 2 else "" for k in range(len(refs))],
        "diff_fields": ["txval|doc_date" if k % 2 else "" for k in range(len(refs))],
        "books_values": [values[k % len(values)] for k in range(len(refs))],
        "suggested_action": "", "suggested_remarks": ""})
    rows = apply_result(book, ReconcileResult(ims=ims, books=pd.DataFrame(), settings=MatchSettings())).rows
    want = []
    for st_, f, c, bv, br in zip(ims["status"], ims["diff_fields"], ims["reason_codes"], ims["books_values"],
                                 ims["books_row"]):
        try:
            books = json.loads(bv) if bv and bv != "{}" else {}
        except ValueError:
            books = {}
        want.append(json.dumps({"status": st_, "fields": [x for x in f.split("|") if x],
                                "codes": [x for x in c.split("|") if x], "books": books,
                                "row": "" if pd.isna(br) else str(int(br))}, ensure_ascii=False, separators=(",", ":")))
    assert rows["match_detail"].tolist() == want


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(["27AAKFR5247M1ZL", "29AAKFR5247M1ZK", "27AAKFR5247M2ZL", "27ABCDE1234F1Z5", "27AB",
                                 "", "X", "27aakfr5247m1zl", "2\u00e9AAKFR5247M1ZL"]), max_size=12),
       st.integers(0, 12))
def test_pan_codes_of_the_distinct_gstins_are_those_of_every_row(stins, cut) -> None:
    """candidates._supplier_codes: GSTIN and PAN codes, the PAN sliced once per distinct
    GSTIN, are the codes of the str columns concatenated and of every row's PAN (short
    GSTINs too); and _codes of object arrays are those of the str columns."""
    from ims_xl.reconcile.candidates import _codes, _supplier_codes
    a, b = pd.Series(stins[:cut], dtype="str"), pd.Series(stins[cut:], dtype="str")

    def codes_of_columns(x: pd.Series, y: pd.Series) -> list[list[int]]:
        codes = pd.factorize(pd.concat([x, y], ignore_index=True))[0]
        return [codes[: len(x)].tolist(), codes[len(x):].tolist()]

    got = _supplier_codes(a.to_numpy(dtype=object), b.to_numpy(dtype=object))
    want = codes_of_columns(a, b) + codes_of_columns(a.str.slice(2, 12), b.str.slice(2, 12))
    assert [g.tolist() for g in got] == want
    assert [g.tolist() for g in _codes(a.to_numpy(dtype=object), b.to_numpy(dtype=object))] == want[:2]


# ---------------------------------------------------------------- validation's column paths

#: Values an upload record's keys may hold that test every edge of the column checks: amounts
#: at and past the limits and the 0.01 grid, numbers of every type, texts that look right.
_ODD_VALUES = [0.001, 1e-05, 1e16, 1e15, 9999999999999.99, 10000000000000.0, -9999999999999.99, -0.0,
               0.1 + 0.2, 4049.76, 12.345, 1e-300, 5e-324, float("inf"), float("-inf"), float("nan"),
               True, False, None, Decimal("1.10"), Decimal("0.005"), 10**400, 2**53 + 1, -5, 7,
               np.float64(1.5), np.int64(3), "100", "", "A", "R", "N", "P", "Y", "X", np.str_("A"),
               "27aakfr5247m1zl", "27AAPFU0939F1ZV", "2025-10-15", "15-10-2025", "x" * 17, "x" * 16,
               "102025", "132025", "27", "R1", "R1234567", [], {}, ["A"], {"a": 1}]


@pytest.fixture(scope="module")
def sample_book(tmp_path_factory):
    """A 600-record sample month, imported, with varied decisions typed in (tests/test_schema.py)."""
    from ims_xl.formats.ims_json import load_download
    from ims_xl.samples.download import generate_download, write_download
    from test_schema import _decide
    d = tmp_path_factory.mktemp("columns")
    write_download(d / "ims.json", generate_download(records=600, seed=11))
    out, _ = actions.import_download(load_download(d / "ims.json"))
    return replace(out.book, rows=_decide(out.book.rows))


def _mutated(recs: list[dict], seed: int) -> list:
    """``recs`` with some keys set to odd values, some deleted or moved, some records not dicts."""
    import random
    from ims_xl.formats.schema import UPLOAD_SCHEMA
    keys = sorted({k for s in UPLOAD_SCHEMA["$defs"].values() for k in s["properties"]} | {"zz"})
    rnd = random.Random(seed)
    out: list = []
    for rec in recs:
        rec = dict(rec)
        roll = rnd.random()
        if roll < 0.3:
            for _ in range(rnd.randint(1, 3)):
                k = rnd.choice(keys if rnd.random() < 0.5 else list(rec) or keys)
                what = rnd.random()
                if what < 0.15 and k in rec:
                    del rec[k]
                elif what < 0.25 and k in rec:
                    rec[k] = rec.pop(k)  # the same keys in another order
                else:
                    rec[k] = rnd.choice(_ODD_VALUES)
        elif roll < 0.32:
            rec = rnd.choice([[rec], None, "rec", type("Sub", (dict,), {})(rec)])
        out.append(rec)
    return out


@pytest.mark.parametrize("seed", range(6))
def test_records_checked_by_columns_have_the_problems_of_each_record_checked_alone(sample_book, seed) -> None:
    """schema.records_problems (distinct texts once, amounts with numpy, key rules once per
    shape) finds exactly record_problems' problems, record by record, odd values included."""
    from ims_xl.formats import schema
    from ims_xl.review.upload import upload_records
    recs = upload_records(sample_book)
    by_section: dict[str, list] = {}
    for i, rec in recs.items():
        by_section.setdefault(sample_book.rows.at[i, "section"], []).append(rec)
    for sec, base in by_section.items():
        base = (base * (1 + schema.COLUMN_MIN_RECORDS // len(base)))  # enough for the column path
        for batch in (base, _mutated(base, seed)):
            want = {j: p for j, r in enumerate(batch) if (p := schema.record_problems(sec, r))}
            assert schema.records_problems(sec, batch) == want, sec
    assert sum(len(v) for v in by_section.values()) > 300


def test_the_contract_check_by_columns_reports_what_the_record_by_record_check_does(sample_book,
                                                                                      monkeypatch) -> None:
    """check_upload_contract gives the same findings, in the same order, whether the records
    are checked by columns or one by one (downloaded values the upload cannot carry included)."""
    from ims_xl.formats import schema
    from ims_xl.review.checks import check_upload_contract
    book = sample_book
    bad = {0: {"inum": "X" * 17}, 3: {"stin": "27aakfr5247m1zl"}, 5: {"idt": "2025-10-15"}, 8: {"val": None},
           11: {"iamt": 0.001}, 13: {"camt": 1e16}, 17: {"zz": "y" * 6_000_000}}
    originals = dict(book.originals)
    refs = book.rows["ref"].astype("int64").tolist()
    for n, change in bad.items():
        ref = refs[n * 7]
        originals[ref] = {**originals[ref], **change}
    if "unknown_keys" in book.rows:
        rows = book.rows.copy()
        rows.loc[rows.index[17 * 7], "unknown_keys"] = "zz"
        book = replace(book, rows=rows)
    book = replace(book, originals=originals)
    fast = check_upload_contract(book, Settings())
    monkeypatch.setattr(schema, "COLUMN_MIN_RECORDS", 10**9)
    slow = check_upload_contract(book, Settings())
    assert fast == slow
    assert {f.code for f in fast} >= {"download-value-unsendable"}


def test_upload_records_built_by_columns_are_those_built_row_by_row(sample_book) -> None:
    """upload.upload_records equals upload_record of each row sent (remarks of every cell
    type, ITC answers, blocked remarks), key order included."""
    from ims_xl.review.upload import _RECORD_FIELDS, upload_plan, upload_record, upload_records
    rows = sample_book.rows.copy()
    rows["remarks_text"] = rows["remarks_text"].astype(object)
    odd = ["  spaced  ", 12345.0, 12.5, datetime(2025, 10, 15), True, None, float("nan"), "", "=A1", 7]
    for n, i in enumerate(rows.index[::5]):
        rows.at[i, "remarks_text"] = odd[n % len(odd)]
    rows.loc[rows.index[::9], "remarks_blocked"] = True
    book = replace(sample_book, rows=rows)
    plan = upload_plan(rows)
    sel = rows.loc[plan["send"].to_numpy(dtype=bool), list(_RECORD_FIELDS)]
    acts = plan.loc[sel.index, "act"].tolist()
    cells = (dict(zip(_RECORD_FIELDS, v)) for v in zip(*(sel[f].tolist() for f in _RECORD_FIELDS)))
    want = {i: upload_record(r, book.originals[int(r["ref"])], a) for i, r, a in zip(sel.index, cells, acts)}
    got = upload_records(book, plan)
    assert list(got) == list(want) and len(got) > 300
    assert all(list(got[i].items()) == list(want[i].items()) for i in want)
    assert any("remarks" in r for r in got.values()) and any("itcRedReq" in r for r in got.values())


@settings(max_examples=300, deadline=None)
@given(col=_COLUMNS, marked=st.sets(st.integers(0, 29), max_size=30), other=st.sampled_from([3, 7, 9]))
def test_a_column_with_few_or_many_marked_cells_writes_what_the_cell_by_cell_writer_writes(col, marked, other) -> None:
    """sheetxml._column_xml writes a column with up to half its cells marked in the usual
    style's branch and makes the marked ones again; one more marked, cell by cell."""
    import numpy as np
    from ims_xl.files.sheetxml import _column_xml
    styles = np.array([other if i in marked else 3 for i in range(len(col))], dtype=np.int32)
    rows = [str(r) for r in range(5, 5 + len(col))]
    assert _column_xml(list(col), styles, 3, "AB", rows) == _reference_cells(col, styles.tolist(), 3, "AB", 5)


def test_marked_blank_nan_and_text_cells_keep_their_own_style() -> None:
    import numpy as np
    from ims_xl.files.sheetxml import _column_xml
    rows = ["2", "3", "4", "5", "6"]
    for col in (["a & b", None, "", " c", "d"], [1.5, None, float("nan"), -0.0, 2.0], [1, None, 3, 4, 5],
                [datetime(2025, 1, 2), None, datetime(2025, 1, 2, 12), datetime(2025, 3, 1), None]):
        for marked in ({1}, {1, 2}, {0, 1, 2}, {0, 1, 2, 3, 4}):
            styles = np.array([9 if i in marked else 3 for i in range(5)], dtype=np.int32)
            assert _column_xml(list(col), styles, 3, "C", rows) == _reference_cells(col, styles.tolist(), 3, "C", 2)


@pytest.mark.parametrize("rows", [
    [["a", 1, 2.5], [None, True, float("nan")], [datetime(2025, 1, 2), "", -0.0]],
    [["a", [1, 2]], ["b", [3, 4]]],  # a cell numpy would read as two values
    [["a", [1, 2]], ["b", [3]]],  # cells that are sequences of different lengths
    [[(1, 2), "x"], [(3, 4), "y"]],
    [("t", {"k": 1}), ("u", None)],  # rows as tuples, a dict cell
    [["only"]],
])
@pytest.mark.parametrize("chunk", [1, 2, 5000])
def test_grid_columns_taken_a_chunk_at_a_time_are_zips_columns(rows, chunk, monkeypatch) -> None:
    """xlsx._columns takes a grid's columns a chunk of rows at a time: the same values (the
    very objects) as ``zip(*rows)``, whatever the cells hold, wherever the chunks end."""
    import numpy as np
    from ims_xl.files import xlsx
    monkeypatch.setattr(bulk, "AT_ONCE", chunk)
    rows = rows + [[np.float64(1.5)] + [None] * (len(rows[0]) - 1)]  # a numpy number, kept as it is
    got = xlsx._columns(rows, len(rows[0]))
    want = [list(c) for c in zip(*rows)]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert type(g) is list and len(g) == len(w) and all(a is b for a, b in zip(g, w))


@settings(max_examples=100, deadline=None)
@given(cols=st.lists(st.lists(_TEXTS, min_size=1, max_size=12), min_size=1, max_size=5), chunk=st.integers(1, 7))
def test_rows_xml_joins_rows_as_zip_did(cols, chunk) -> None:
    """sheetxml.rows_xml puts each column's cells in place by slice assignment: the rows
    come out as a zip over the columns gave them, columns of different lengths included."""
    from itertools import chain, repeat
    import numpy as np
    from ims_xl.files.sheetxml import _column_xml, rows_xml
    from ims_xl.model import col_letter
    styles = [np.zeros(len(c), dtype=np.int32) for c in cols]
    got = "".join(rows_xml([list(c) for c in cols], styles, 2, chunk=chunk))
    want = []
    n = len(cols[0])
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        rows = [str(r) for r in range(2 + a, 2 + b)]
        cells = [_column_xml(list(c[a:b]), st[a:b], 0, col_letter(j), rows) for j, (c, st) in enumerate(zip(cols, styles))]
        want.append("".join(chain.from_iterable(zip([f'<row r="{r}">' for r in rows], *cells, repeat("</row>", b - a)))))
    assert got == "".join(want)


def _edge_space_by_searches(joined: str, count: int) -> bool:
    """sheetxml._edge_space by substring searches alone (its path for text of wider characters)."""
    if not joined:
        return False
    if joined[0] in " \t\n\r" or joined[-1] in " \t\n\r" or joined.count("\n") != count - 1:
        return True
    return any(c in joined and ("\n" + c in joined or c + "\n" in joined) for c in " \t\r")


@settings(max_examples=400, deadline=None)
@given(texts=st.lists(st.text(alphabet=st.sampled_from("ab \t\r\n\x00\x1f!é\xff\u20b9"), min_size=1, max_size=6),
                      max_size=12))
def test_edge_space_over_the_bytes_answers_as_the_substring_searches(texts) -> None:
    """sheetxml._edge_space asks its questions over a one-byte-a-character text's bytes with
    numpy: the same answer as the searches (text with wider characters takes them)."""
    from ims_xl.files.sheetxml import _JOIN, _edge_space
    joined = _JOIN.join(texts)
    assert _edge_space(joined, len(texts)) is _edge_space_by_searches(joined, len(texts))


@pytest.mark.parametrize("owner_dtype", ["object", "datetime64[ns]", "float64"])
def test_the_ageing_sheet_reads_the_pending_rows_cells_as_typed(sample_book, owner_dtype) -> None:
    """Ageing's cells of the Pending rows, taken column by column, are what each row holds
    (as to_dict("records") gave them): an owner or follow-up date typed as a date, a number,
    text or nothing, in a column pandas holds as objects, dates or floats."""
    from datetime import date, datetime
    from ims_xl.review.carry import AGEING_HEADER, ageing_grid
    from ims_xl.review.inputs import cell_text
    rows = sample_book.rows.copy()
    at = rows.index[:6]
    rows["action_text"] = rows["action_text"].astype(object)
    rows.loc[at, "action_text"] = "Pending"
    typed = {"object": ["Ravi", datetime(2026, 1, 5), 12345.0, None, "=1+1", 7],
             "datetime64[ns]": [datetime(2026, 1, d) for d in range(1, 7)],
             "float64": [1.5, 2.0, float("nan"), 3.25, 100.0, -1.0]}[owner_dtype]
    owners = pd.Series(rows["owner_text"].astype(object).to_numpy(), index=rows.index, dtype=object)
    if owner_dtype != "object":
        owners[:] = None
    owners.loc[at] = typed
    rows["owner_text"] = owners.astype(owner_dtype)
    rows["follow_up_text"] = pd.Series([date(2026, 2, 1)] * len(rows), index=rows.index, dtype=object)
    book = replace(sample_book, rows=rows)
    grid = ageing_grid(book, date(2026, 1, 15))
    where, owner, follow = (AGEING_HEADER.index(h) for h in ("Where", "Owner", "Follow-up date"))
    got = {r[where]: (r[owner], r[follow]) for r in grid[1:]}
    want = {f"{r['sheet']} row {int(r['excel_row'])}": (cell_text(r["owner_text"]), cell_text(r["follow_up_text"]))
            for r in rows.loc[at].to_dict("records")}
    assert {k: got[k] for k in want} == want


def test_the_section_sheets_cells_from_their_own_columns_are_those_from_every_column(worked) -> None:
    """section_parts takes each section's rows from the columns section_block reads alone:
    the cells, colours and notes of every section sheet of a reconciled, worked month (with a
    portal error and a re-import note placed) are those made from the rows whole."""
    from ims_xl.review.book import positioned
    from ims_xl.review.sheets import index_marks, section_block, section_parts
    from ims_xl.model import SECTIONS
    book = read_review(worked)
    rows = positioned(book.rows).copy()
    rows.loc[rows.index[0], "portal_errors"] = "RET191106: invalid"
    rows.loc[rows.index[-1], "reimport_note"] = "amount changed by the supplier"
    out = actions.validate(replace(book, rows=rows))
    by_ref = index_marks(out.marks)
    parts = section_parts(rows)
    assert [len(p) for p in parts] == [int((rows["section"] == s.key).sum()) for s in SECTIONS]
    marked = 0
    for sec, part in zip(SECTIONS, parts):
        whole = section_block(rows[rows["section"] == sec.key], sec, by_ref)
        own = section_block(part, sec, by_ref)
        assert own.values == whole.values and own.marks == whole.marks and own.notes == whole.notes, sec.key
        marked += len(own.marks)
    assert marked > 0


def test_the_upload_read_back_is_the_records_validation_checked(sample_book, monkeypatch) -> None:
    """Export reads each file it wrote back (msgspec's decoder) and finds there, record for
    record, what validation checked: the gate then looks at the envelope only. Were a number
    read back otherwise (a float parsed to another value), the file would be checked whole."""
    from ims_xl.formats import schema
    val = actions.validate(sample_book, Settings())
    assert not [f for f in val.findings if f.severity.value == "error"]
    seen: list[bool] = []
    real = schema.validate_upload
    monkeypatch.setattr(schema, "validate_upload", lambda doc, records_checked=False: (
        seen.append(records_checked), real(doc, records_checked=records_checked))[1])
    parts, _ = actions.export(sample_book, Settings(upload_max_bytes=60_000), validated=val)
    sent = [r for p in parts for recs in json.loads(p)["invdata"].values() for r in recs]
    assert len(parts) > 1 and seen == [True] * len(parts)
    assert any(type(v) is float for r in sent for v in r.values())  # amounts with paise among them
    # a record read back otherwise than it was built: that file is checked whole
    seen.clear()
    from ims_xl import actions as acts
    monkeypatch.setattr(acts, "brief", lambda b: json.loads(b.replace(b'"action":"A"', b'"action":"R"', 1)))
    actions.export(sample_book, Settings(upload_max_bytes=60_000), validated=val)
    assert False in seen


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.dictionaries(st.sampled_from(["stin", "inum", "nt_num", "rtnprd", "txval", "action", "itcRedReq",
                                                 "remarks", "zz", "isRemarksBlocked"]),
                                st.one_of(st.none(), st.text(max_size=3), st.integers(), st.just([1])), max_size=6),
                max_size=40), st.integers(1, 7))
def test_the_keys_read_together_are_each_key_read_alone(recs, chunk) -> None:
    """_values (every record's keys read together, a chunk of records at a time) gives for
    each key what reading that key alone from every record gives: dict.get's None for an
    absent text, _MISSING for anything else absent; records of any shape, chunks of any size."""
    from ims_xl.formats import ims_json as m
    saved = bulk.AT_ONCE
    bulk.AT_ONCE = chunk
    try:
        got = m._values(recs)
    finally:
        bulk.AT_ONCE = saved
    assert not set(m._READ_TEXT) & set(m._READ_OTHER)
    for k in m._READ_TEXT:
        assert got[k] == [r.get(k) for r in recs]
    for k in m._READ_OTHER:
        assert got[k] == [r.get(k, m._MISSING) for r in recs]


def test_records_of_sections_in_any_order_read_column_wise_as_one_by_one(monkeypatch) -> None:
    """Sections interleaved (a b2b record, then a credit note, then b2b again ...): each
    record's number and dates are read from its own section's keys, as one by one."""
    import random
    from ims_xl.formats.ims_json import _usual_records
    from ims_xl.model import SECTION_BY_KEY
    keys = ["b2b", "b2bcn", "b2ba", "b2bdna", "ecoma", "b2b", "b2bcna", "b2bdn", "ecom"]
    rnd = random.Random(3)
    items = [(SECTION_BY_KEY[k], record(k, n)) for n, k in enumerate(rnd.choices(keys, k=60), start=1)]
    assert _usual_records(items, None) is not None
    (df_f, orig_f, warn_f), (df_s, orig_s, warn_s) = _both_paths(items, monkeypatch)
    pd.testing.assert_frame_equal(df_f, df_s)
    assert [json.dumps(o) for o in orig_f] == [json.dumps(o) for o in orig_s] and warn_f == warn_s == []
    assert df_f["orig_doc_no"].astype(bool).any() and df_f["doc_no"].astype(bool).all()


@pytest.mark.parametrize("chunk", [1, 2, 3, 5000])
@pytest.mark.parametrize("keys", [(), ("a",), ("a", "b"), ("b", "a", "c")])
def test_cells_picked_together_are_each_read_alone(keys, chunk, monkeypatch) -> None:
    """bulk.picked (the upload contract check's records, the register's rows): each key's
    cells are what reading that key alone gives, for dicts and lists, any chunk."""
    recs = [{"a": i, "b": [i], "c": None if i % 2 else str(i)} for i in range(7)]
    monkeypatch.setattr(bulk, "AT_ONCE", chunk)
    assert bulk.picked(recs, keys) == [[r[k] for r in recs] for k in keys]
    rows = [[r["a"], r["b"], r["c"]] for r in recs]
    at = ["abc".index(k) for k in keys]
    assert bulk.picked(rows, at) == [[r[i] for r in rows] for i in at]
