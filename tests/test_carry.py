"""Month to month through the command line: three consecutive months, open items carried,
paired with their history, closed when they arrive, aged against their deadlines; nothing open
is ever dropped. Expected values are worked out by hand in the comments."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from conftest import RTIN, SUP_KA, SUP_MH, apply_edits, cell, download, record, run, write_json

from ims_xl.review.carry import _deadline, periods_between


def _download(path: Path, records: dict) -> Path:
    return write_json(path, download(records, rtin=RTIN))


def _sheet(path: Path, name: str) -> list[dict]:
    rows = list(openpyxl.load_workbook(path)[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


@pytest.fixture(scope="module")
def months(tmp_path_factory):
    """Three months: October (typed work, one books document missing in IMS), November (carried
    from October), December (carried from November; the missing document arrives). Built once
    for the module: the tests only read these workbooks (or change a copy)."""
    tmp_path = tmp_path_factory.mktemp("months")
    # October: INV-1 and CN-1 will be kept Pending, INV-2 accepted
    oct_ = _download(tmp_path / "oct.json", {
        "b2b": [record("b2b", 1, inum="INV-1"), record("b2b", 2, inum="INV-2")],
        "b2bcn": [record("b2bcn", 1, nt_num="CN-1")]})
    m1 = tmp_path / "oct.xlsx"
    assert run("import", oct_, "--out", m1, "--period", "102025") == 0
    books = tmp_path / "books.csv"
    with open(books, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([
            ["GSTIN of supplier", "Supplier name", "Document type", "Document number", "Document date",
             "Place of supply", "Taxable value", "IGST", "CGST", "SGST", "Cess", "Document value"],
            [SUP_MH, "MH", "Invoice", "INV-1", "15-10-2025", "27", "1000", "0", "90", "90", "0", "1180"],
            [SUP_MH, "MH", "Invoice", "INV-2", "15-10-2025", "27", "1000", "0", "90", "90", "0", "1180"],
            [SUP_MH, "MH", "Credit Note", "CN-1", "15-10-2025", "27", "1000", "0", "90", "90", "0", "1180"],
            [SUP_KA, "KA", "Invoice", "BK-9", "20-10-2025", "27", "5000", "900", "0", "0", "0", "5900"]])
    assert run("reconcile", m1, "--books", books) == 0
    apply_edits(m1, [
        {"sheet": "B2B", "doc_no": "INV-1", "column": "Action", "value": "Pending"},
        {"sheet": "B2B", "doc_no": "INV-1", "column": "Remarks", "value": "rate to be confirmed"},
        {"sheet": "B2B", "doc_no": "INV-1", "column": "Owner", "value": "Ravi"},
        {"sheet": "B2B", "doc_no": "INV-1", "column": "Follow-up date", "value": "15-11-2025"},
        {"sheet": "B2B", "doc_no": "INV-2", "column": "Action", "value": "Accept"},
        {"sheet": "B2B-CN", "doc_no": "CN-1", "column": "Action", "value": "Pending"}])
    assert run("validate", m1) == 0
    # November: the pending records come back at P; INV-2 is gone (accepted, 3B filed)
    nov = _download(tmp_path / "nov.json", {
        "b2b": [record("b2b", 1, inum="INV-1", action="P"), record("b2b", 3, inum="INV-3")],
        "b2bcn": [record("b2bcn", 1, nt_num="CN-1", action="P")]})
    m2 = tmp_path / "nov.xlsx"
    assert run("import", nov, "--out", m2, "--period", "112025", "--carry-from", m1) == 0
    # December: INV-1 still pending; CN-1 gone (deemed accepted); BK-9 filed at last
    dec = _download(tmp_path / "dec.json", {
        "b2b": [record("b2b", 1, inum="INV-1", action="P"),
                record("b2b", 9, stin=SUP_KA, inum="BK-9", iamt=900, camt=0, samt=0)]})
    m3 = tmp_path / "dec.xlsx"
    assert run("import", dec, "--out", m3, "--period", "122025", "--carry-from", m2) == 0
    return m1, m2, m3


def test_november_pairs_open_records_with_their_history(months):
    _, m2, _ = months
    assert cell(m2, "B2B", "INV-1", "Remarks") == "rate to be confirmed"
    assert cell(m2, "B2B", "INV-1", "Owner") == "Ravi"
    assert cell(m2, "B2B", "INV-1", "Follow-up date") == "15-11-2025"
    assert cell(m2, "B2B", "INV-1", "First seen (period)") == "102025"
    assert cell(m2, "B2B-CN", "CN-1", "First seen (period)") == "102025"
    assert cell(m2, "B2B", "INV-3", "First seen (period)") == "112025"      # new this month
    carried = _sheet(m2, "Carried forward")
    bk9 = [c for c in carried if c["Document number"] == "BK-9"]
    assert len(bk9) == 1 and bk9[0]["Status"].startswith("Open") and bk9[0]["First seen (period)"] == "102025"
    assert bk9[0]["ITC"] == pytest.approx(900.0)


def test_a_lean_read_keeps_the_carried_items_the_batch_figures_count(months):
    """The batch dashboard's figures come from a lean read (no Books sheet, none of the
    reports worked out from it): the items carried from earlier months stay in it, so the
    overdue count is the whole workbook's."""
    from ims_xl import batch
    from ims_xl.files.xlsx import read_review
    from ims_xl.review.carry import ageing_grid, overdue_items
    from ims_xl.review.layout import AGEING_SHEET, CARRIED_SHEET
    _, m2, _ = months
    lean, whole = read_review(m2, lean=True), read_review(m2)
    assert AGEING_SHEET in whole.reports and AGEING_SHEET not in lean.reports
    assert lean.reports[CARRIED_SHEET] == whole.reports[CARRIED_SHEET]
    today = date(2026, 12, 4)  # every item of October 2025 overdue: BK-9, carried, among them
    carried = [r for r in ageing_grid(whole, today)[1:] if r[5] == CARRIED_SHEET]
    assert [(r[0], r[8]) for r in carried] == [("Yes", "BK-9")]
    assert overdue_items(lean, today) == overdue_items(whole, today) == 3  # BK-9, INV-1, CN-1
    res = {"gstin": "", "notes": []}
    batch._figures(m2, res)
    assert res["overdue"] == overdue_items(whole)


def test_november_ageing_deadlines(months):
    _, m2, _ = months
    ageing = {(a["Item"], a["Document number"]): a for a in _sheet(m2, "Ageing")}
    inv1 = ageing[("IMS record kept Pending", "INV-1")]
    # an invoice: Section 16(4) of FY 2025-26 -> 30-11-2026; seen in October, now November: 1 period
    assert inv1["Deadline"] == "30-11-2026" and inv1["Age (periods)"] == 1 and inv1["Owner"] == "Ravi"
    assert inv1["Age (days)"] == (date.today() - date(2025, 10, 15)).days
    assert inv1["Overdue"] == ("Yes" if date.today() > date(2026, 11, 30) else "No")
    cn1 = ageing[("IMS record kept Pending", "CN-1")]
    # a credit note (specified record) first seen in October 2025: one period of Pending, so act
    # before November's GSTR-3B, due 20-12-2025
    assert cn1["Deadline"] == "20-12-2025" and cn1["Overdue"] == "Yes"
    assert ("In books, missing in IMS", "BK-9") in ageing
    rows = list(ageing.values())
    overdue = [r["Overdue"] for r in rows]
    assert overdue == sorted(overdue, key=lambda o: o != "Yes"), "overdue items first"


def test_december_closes_what_arrived_and_drops_nothing_open(months):
    _, m2, m3 = months
    carried = {c["Document number"]: c for c in _sheet(m3, "Carried forward")}
    assert carried["BK-9"]["Status"].startswith("Closed: now in IMS (B2B row")
    # CN-1 was open in November and is not in December's download: carried, still open
    assert carried["CN-1"]["Status"].startswith("Open") and carried["CN-1"]["First seen (period)"] == "102025"
    assert cell(m3, "B2B", "INV-1", "Owner") == "Ravi" and cell(m3, "B2B", "INV-1", "First seen (period)") == "102025"
    ageing = {(a["Item"], a["Document number"]): a for a in _sheet(m3, "Ageing")}
    assert ageing[("IMS record kept Pending", "INV-1")]["Age (periods)"] == 2
    assert ("In books, missing in IMS", "BK-9") not in ageing
    # every item open in November is open, paired or closed in December
    open_nov = {a["Document number"] for a in _sheet(m2, "Ageing")}
    on_sheets = {"INV-1", "BK-9"}
    assert open_nov <= set(carried) | on_sheets


def test_carry_from_another_gstin_is_refused(tmp_path, months):
    m1, _, _ = months
    other = write_json(tmp_path / "other.json", download({"b2b": [record("b2b", 1)]}, rtin=SUP_KA))
    assert run("import", other, "--out", tmp_path / "x.xlsx", "--carry-from", m1) == 2
    assert not (tmp_path / "x.xlsx").exists()


@pytest.mark.parametrize("section, first, doc_date, want", [
    ("b2bcn", "112025", "01-11-2025", date(2026, 1, 20)),     # across the year: December's 3B
    ("b2bcn", "122025", "01-12-2025", date(2026, 2, 20)),
    ("b2bcn", "092025", "01-09-2025", date(2026, 11, 30)),    # before Oct-2025: no one-period limit
    ("b2b", "112025", "31-03-2026", date(2026, 11, 30)),      # FY 2025-26
    ("b2b", "042026", "01-04-2026", date(2027, 11, 30)),      # FY 2026-27
])
def test_deadlines_at_month_and_year_boundaries(section, first, doc_date, want):
    assert _deadline(section, first, doc_date)[0] == want
    assert _deadline(section, first, datetime.strptime(doc_date, "%d-%m-%Y"))[0] == want


def test_periods_between_years():
    assert periods_between("112025", "022026") == 3 and periods_between("122025", "122025") == 0
    assert periods_between("", "122025") is None


def test_reconciling_after_carrying_keeps_the_carried_items(months, tmp_path):
    """Reconcile rewrites its own report sheets only: the Carried forward and Ageing sheets stay."""
    m2 = tmp_path / "nov.xlsx"
    m2.write_bytes(months[1].read_bytes())
    before = _sheet(m2, "Carried forward")
    assert run("reconcile", m2, "--books", months[1].parent / "books.csv") == 0
    assert _sheet(m2, "Carried forward") == before
    assert any(a["Document number"] == "INV-1" for a in _sheet(m2, "Ageing"))
