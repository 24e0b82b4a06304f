"""Reading a review workbook made cheaper keeps its meaning: the hidden copy's column-wise
read looks for null cells only in a column that is not all text, and the rows are made once
the section sheets are read, taking the columns read for every row instead of working out
fresh ones only to replace them."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from conftest import RTIN, download, import_new, one_per_section, record, run
from ims_xl.files.xlsx import read_review
from ims_xl.formats.ims_json import build_records, load_download, records_from_originals
from ims_xl.model import SECTION_BY_KEY
from ims_xl.review import book as book_module
from ims_xl.review import sheets
from ims_xl.review.book import _default_inputs, as_displayed, fresh_rows

_SECTIONS = ["b2b", "b2b", "b2bcn", "b2ba", "ecom", "b2bdna", "b2b"]
_TEXT_KEYS = ["stin", "tradenm", "inum", "nt_num", "idt", "oinum", "ont_num", "ont_dt", "inv_typ", "pos", "srcform",
              "rtnprd", "srcfilstatus", "hash", "remarks", "action", "ispendactblocked", "isRemarksBlocked",
              "isItcRedReqBlocked", "itcRedReq"]


def _normalised() -> tuple[list, list[dict]]:
    items = [(SECTION_BY_KEY[s], record(s, n)) for n, s in enumerate(_SECTIONS, start=1)]
    _, originals, _ = build_records(items, "x", list(range(1, len(items) + 1)))
    return items, originals


@pytest.mark.parametrize("how", ["null", "absent", "null and absent", "spaces and a null"])
@pytest.mark.parametrize("key", _TEXT_KEYS)
def test_null_or_absent_fields_of_the_hidden_copy_read_column_wise_as_record_by_record(key, how) -> None:
    """A field null in one record and absent from others (a column of texts with gaps, the
    gaps looked for only once the column is found not all text) reads as build_records
    reads it, or is left to it (by raising)."""
    items, base = _normalised()
    origs = [dict(r) for r in base]
    if how in ("null", "null and absent"):
        origs[1][key] = None
    if how in ("absent", "null and absent"):
        origs[3].pop(key, None)
        origs[6].pop(key, None)
    if how == "spaces and a null":
        origs[3][key] = " Y " if key.startswith("is") else "  x "
        origs[2][key] = None
    refs = list(range(1, len(origs) + 1))
    try:
        fast = records_from_originals([s.key for s, _ in items], origs, refs)
    except (ValueError, TypeError, KeyError):
        # the record-by-record read takes it: a blank document number, a flag or an action
        # that is no code, a bare month
        assert key in ("inum", "nt_num") or how == "spaces and a null" and key in (
            "rtnprd", "action", "ispendactblocked", "isRemarksBlocked", "isItcRedReqBlocked", "itcRedReq")
        return
    slow, _, _ = build_records([(s, json.loads(json.dumps(r), parse_float=Decimal)) for (s, _), r in zip(items, origs)],
                               "x", refs)
    pd.testing.assert_frame_equal(fast, slow, check_dtype=True)
    for c in fast.columns:
        if fast[c].dtype == object:
            assert [type(v) for v in fast[c]] == [type(v) for v in slow[c]], c


def test_fresh_rows_take_the_columns_read_for_every_row_as_they_would_replace_the_made_ones() -> None:
    """A part of the fresh columns (the shown values, or the entries and outputs) wholly read
    from the sheets is taken out of ``read``, as objects; a part with one column not read is
    worked out as before, and its columns read stay in ``read`` (to be put in place after)."""
    items, originals = _normalised()
    records, _, _ = build_records(items, "x", list(range(1, len(items) + 1)))
    made = fresh_rows(records)
    shown, entries = list(as_displayed(records).columns), list(_default_inputs(records).columns)
    n = len(records)
    cells = {c: np.array([f"{c}-{i}" if i % 3 else None for i in range(n)], dtype=object) for c in shown + entries}
    cells["not_made"] = np.array([1.5] * n, dtype=object)
    for missing in (None, shown[-1], entries[0]):
        read = {c: v for c, v in cells.items() if c != missing}
        rows = fresh_rows(records, read)
        taken = [c for part in (shown, entries) if missing not in part for c in part]
        expected = made.copy()
        for c in taken:
            expected[c] = pd.Series(cells[c], index=expected.index, dtype=object)
        pd.testing.assert_frame_equal(rows, expected, check_dtype=True)
        assert list(read) == [c for c in cells if c != missing and c not in taken]
    assert fresh_rows(records, {}).equals(made) and fresh_rows(records, None).equals(made)


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("readspeed")
    recs = one_per_section()
    recs["b2b"] += [record("b2b", n) for n in range(2, 7)]
    return import_new(d, download(recs, rtin=RTIN))


def _grids(path: Path) -> dict[str, list[list]]:
    wb = CalamineWorkbook.from_path(str(path))
    return {n: wb.get_sheet_by_name(n).to_python() for n in wb.sheet_names}


@pytest.mark.parametrize("change", ["none", "rows moved", "row deleted"])
@pytest.mark.parametrize("kw", [{}, {"share": False}, {"copies": False}, {"copies": False, "out_of_step_ok": True}])
def test_rows_made_after_the_sheets_are_read_equal_fresh_rows_replaced_column_by_column(
        workbook, monkeypatch, change, kw) -> None:
    """Whether every row is read from a sheet in the hidden copy's order, in another (whole
    rows moved), or not every row (one deleted), the book's rows are those every fresh column
    worked out, then replaced by the cells read, gave."""
    grids = _grids(workbook)
    b2b = grids["B2B"]
    if change == "rows moved":
        grids["B2B"] = [b2b[0], *b2b[:0:-1]]
    elif change == "row deleted":
        grids["B2B"] = b2b[:2] + b2b[3:]
    names = list(grids)
    book = sheets.book_from_grids(grids, "review.xlsx", names, **kw)
    # every fresh column worked out (nothing taken from what was read), then replaced
    monkeypatch.setattr(sheets, "fresh_rows", lambda records, read=None: book_module.fresh_rows(records))
    reference = sheets.book_from_grids(grids, "review.xlsx", names, **kw)
    pd.testing.assert_frame_equal(book.rows, reference.rows, check_dtype=True)
    for c in book.rows.columns:
        if book.rows[c].dtype == object:
            assert [type(v) for v in book.rows[c]] == [type(v) for v in reference.rows[c]], c
    assert (book.rows["excel_row"] == 0).sum() == (change == "row deleted")
    if change == "rows moved":
        in_order = sheets.book_from_grids(_grids(workbook), "review.xlsx", names, **kw).rows
        pd.testing.assert_frame_equal(book.rows.drop(columns="excel_row"), in_order.drop(columns="excel_row"),
                                      check_dtype=True)


def test_original_document_keys_on_a_record_that_amends_nothing_are_read_as_the_import_read_them(tmp_path) -> None:
    """An invoice (b2b) or a credit note (b2bcn) whose download carries an original
    document's keys (``oinum``, ``ont_num``: fields of amendments only) has no original
    document at import; read back from the workbook it has none either, so the Log, the
    matcher and every sheet see the record the import saw."""
    recs = one_per_section()
    recs["b2b"] = [record("b2b", 1, ont_num="X-1", ont_dt="01-09-2025"), record("b2b", 2, oinum="Y-2", oidt="02-09-2025")]
    recs["b2bcn"] = [record("b2bcn", 1, oinum="Z-3", oidt="03-09-2025")]
    wb = import_new(tmp_path, download(recs, rtin=RTIN))
    imported = load_download(tmp_path / "review.json").records.set_index("key")
    read = read_review(wb).rows.set_index("key")
    for col in ("orig_doc_no", "orig_doc_date", "doc_no", "doc_date"):
        assert read.loc[imported.index, col].tolist() == imported[col].tolist(), col
    assert (read.loc[read["section"].isin(["b2b", "b2bcn"]), "orig_doc_no"] == "").all()
    assert (read.loc[read["section"] == "b2ba", "orig_doc_no"] != "").all()  # an amendment keeps its own
    assert run("validate", wb) in (0, 1)
