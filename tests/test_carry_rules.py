"""Carry forward through the command line: what this month's workbook already holds wins, every
action the carry sets is logged with its source, the Carried forward sheet is read whatever
columns the accountant deleted, and carries that would bring in nonsense are refused with one
line and the target left as it was (README, "Month to month" and "Reliability and safety").

Months used: October (INV-1, INV-2, INV-4, INV-5 typed Pending; books: BK-9 missing in IMS and
INV-3 booked twice, a "Duplicate in books" row), November (INV-1..INV-4 back at No Action;
INV-5 gone)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import openpyxl
import pytest

from conftest import RTIN, SUP_KA, SUP_MH, apply_edits, cell, download, record, write_json

from ims_xl import cli


def _run(*args: object) -> int:
    return cli.main([str(a) for a in args])


def _sheet(path: Path, name: str) -> list[dict]:
    rows = list(openpyxl.load_workbook(path)[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def _log(path: Path) -> list[dict]:
    return _sheet(path, "Log")


def _copy(src: Path, dst: Path) -> Path:
    shutil.copyfile(src, dst)
    return dst


@pytest.fixture(scope="module")
def october(tmp_path_factory) -> Path:
    """The folder with oct.xlsx (reconciled, four records typed Pending) and nov.json."""
    d = tmp_path_factory.mktemp("carry_rules")
    oct_json = write_json(d / "oct.json", download({"b2b": [
        record("b2b", n, inum=f"INV-{n}") for n in (1, 2, 3, 4, 5)]}, rtin=RTIN))
    oct_ = d / "oct.xlsx"
    assert _run("import", oct_json, "--out", oct_, "--period", "102025") == 0
    row = ["27", "1000", "0", "90", "90", "0", "1180"]
    with open(d / "books.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([
            ["GSTIN of supplier", "Supplier name", "Document type", "Document number", "Document date",
             "Place of supply", "Taxable value", "IGST", "CGST", "SGST", "Cess", "Document value"],
            *([SUP_MH, "MH", "Invoice", f"INV-{n}", "15-10-2025", *row] for n in (1, 2, 3, 4, 5)),
            [SUP_MH, "MH", "Invoice", "INV-3", "15-10-2025", *row],                # booked twice
            [SUP_KA, "KA", "Invoice", "BK-9", "20-10-2025", "27", "5000", "900", "0", "0", "0", "5900"]])
    assert _run("reconcile", oct_, "--books", d / "books.csv") == 0
    apply_edits(oct_, [{"sheet": "B2B", "doc_no": f"INV-{n}", "column": "Action", "value": "Pending"}
                       for n in (1, 2, 4, 5)])
    assert _run("validate", oct_) == 0
    statuses = {r["Document number"]: r["Status"] for r in _sheet(oct_, "Missing in IMS")}
    assert statuses == {"BK-9": "Missing in IMS", "INV-3": "Duplicate in books"}  # the premise of the tests
    write_json(d / "nov.json", download({"b2b": [record("b2b", n, inum=f"INV-{n}") for n in (1, 2, 3, 4)]},
                                        rtin=RTIN))
    return d


def _november(october: Path, tmp_path: Path, carry: bool = False) -> Path:
    nov = tmp_path / "nov.xlsx"
    extra = ("--carry-from", october / "oct.xlsx") if carry else ()
    assert _run("import", october / "nov.json", "--out", nov, "--period", "112025", *extra) == 0
    return nov


# ---------------------------------------------------------------- bug 1: this month's work wins

def test_carry_forward_keeps_the_actions_typed_this_month(october, tmp_path, capsys):
    """INV-1 and INV-2 were Pending last month; this month the accountant typed Accept and
    Reject before carrying: those stay. INV-4, untouched this month, gets last month's typed
    Pending, and the Log says the carry set it (not a hand)."""
    nov = _november(october, tmp_path)
    apply_edits(nov, [{"sheet": "B2B", "doc_no": "INV-1", "column": "Action", "value": "Accept"},
                      {"sheet": "B2B", "doc_no": "INV-2", "column": "Action", "value": "Reject"}])
    assert _run("carry-forward", nov, "--from", october / "oct.xlsx") == 0
    capsys.readouterr()
    assert cell(nov, "B2B", "INV-1", "Action") == "Accept"
    assert cell(nov, "B2B", "INV-2", "Action") == "Reject"
    assert cell(nov, "B2B", "INV-4", "Action") == "Pending"
    log = [(r["Document number"], r["Old action"], r["New action"], r["Source"]) for r in _log(nov)]
    assert log == [("INV-1", "No Action", "Accept", "typed"), ("INV-2", "No Action", "Reject", "typed"),
                   ("INV-4", "No Action", "Pending", "carry-forward")]
    # the next run finds nothing typed by hand: the carried Pending is already in the Log
    assert _run("validate", nov) == 0
    assert len(_log(nov)) == 3


def test_import_carry_from_logs_the_carried_pending_with_its_source(october, tmp_path, capsys):
    nov = _november(october, tmp_path, carry=True)
    capsys.readouterr()
    carried = {r["Document number"]: r for r in _log(nov)}
    assert set(carried) == {"INV-1", "INV-2", "INV-4"}
    assert {(r["Old action"], r["New action"], r["Source"]) for r in carried.values()} == {
        ("No Action", "Pending", "carry-forward")}
    assert all("102025" in r["Note"] for r in carried.values())
    assert _run("validate", nov) == 0
    assert [r["Source"] for r in _log(nov)] == ["carry-forward"] * 3, "not logged again as typed"


def test_a_second_carry_keeps_what_was_typed_on_the_carried_sheet(october, tmp_path, capsys):
    """Owner, follow-up date and a status typed on this month's Carried forward sheet survive a
    second carry-forward from the same month; no item is listed twice."""
    nov = _november(october, tmp_path, carry=True)
    wb = openpyxl.load_workbook(nov)
    ws = wb["Carried forward"]
    head = [c.value for c in ws[1]]
    rows = {ws.cell(r, head.index("Document number") + 1).value: r for r in range(2, ws.max_row + 1)}
    assert set(rows) == {"INV-5", "BK-9"}
    ws.cell(rows["INV-5"], head.index("Owner") + 1).value = "Meena"
    ws.cell(rows["INV-5"], head.index("Follow-up date") + 1).value = "01-12-2025"
    ws.cell(rows["BK-9"], head.index("Status") + 1).value = "Closed: supplier filed in December"
    wb.save(nov)
    assert _run("carry-forward", nov, "--from", october / "oct.xlsx") == 0
    capsys.readouterr()
    carried = _sheet(nov, "Carried forward")
    assert sorted(r["Document number"] for r in carried) == ["BK-9", "INV-5"]
    by = {r["Document number"]: r for r in carried}
    assert (by["INV-5"]["Owner"], by["INV-5"]["Follow-up date"]) == ("Meena", "01-12-2025")
    assert by["INV-5"]["Status"].startswith("Open")
    assert by["BK-9"]["Status"] == "Closed: supplier filed in December"
    ageing = {a["Document number"]: a for a in _sheet(nov, "Ageing")}
    assert ageing["INV-5"]["Owner"] == "Meena" and "BK-9" not in ageing


# ---------------------------------------------------------------- bug 2: deleted columns

def test_summary_reads_a_carried_sheet_whose_last_columns_were_deleted(october, tmp_path, capsys):
    nov = _november(october, tmp_path, carry=True)
    wb = openpyxl.load_workbook(nov)
    wb["Carried forward"].delete_cols(11, 5)  # Remarks .. Status
    wb.save(nov)
    assert _run("summary", nov) == 0
    capsys.readouterr()
    ageing = {a["Document number"]: a for a in _sheet(nov, "Ageing") if a["Where"] == "Carried forward"}
    assert set(ageing) == {"INV-5", "BK-9"}
    assert ageing["INV-5"]["Owner"] in (None, "") and ageing["INV-5"]["Follow-up date"] in (None, "")


# ---------------------------------------------------------------- bug 3: refusals

def _refused(capsys, target: Path, *args: object) -> str:
    before = target.read_bytes()
    assert _run(*args) == 2
    err = capsys.readouterr().err.strip()
    assert target.read_bytes() == before, "the target workbook is left as it was"
    assert len(err.splitlines()) == 1 and err.startswith("ims-xl: error: "), err
    return err


def test_carrying_from_a_later_month_is_refused(october, tmp_path, capsys):
    nov = _november(october, tmp_path, carry=True)
    oct_ = _copy(october / "oct.xlsx", tmp_path / "oct.xlsx")
    err = _refused(capsys, oct_, "carry-forward", oct_, "--from", nov)
    assert "112025" in err and "later than" in err and "--from EARLIER.xlsx" in err


def test_carrying_a_workbook_into_itself_is_refused(october, tmp_path, capsys):
    nov = _november(october, tmp_path, carry=True)
    err = _refused(capsys, nov, "carry-forward", nov, "--from", nov)
    assert "same workbook" in err and "previous month" in err


def test_a_missing_in_ims_sheet_without_its_header_is_refused(october, tmp_path, capsys):
    prev = _copy(october / "oct.xlsx", tmp_path / "oct.xlsx")
    wb = openpyxl.load_workbook(prev)
    for c in wb["Missing in IMS"][1]:
        c.value = None
    wb.save(prev)
    nov = _november(october, tmp_path)
    err = _refused(capsys, nov, "carry-forward", nov, "--from", prev)
    assert "'Missing in IMS' sheet" in err and "reconcile" in err
    new = tmp_path / "new.xlsx"
    assert _run("import", october / "nov.json", "--out", new, "--carry-from", prev) == 2
    assert not new.exists()


@pytest.mark.parametrize("blank", ["this", "last"])
def test_a_blank_gstin_does_not_skip_the_client_check(october, tmp_path, capsys, blank):
    """Summary B3 blank on either workbook: whose it is cannot be checked, so the carry is refused
    (another client's items would otherwise come in unchecked); --force carries anyway."""
    prev = _copy(october / "oct.xlsx", tmp_path / "oct.xlsx")
    nov = _november(october, tmp_path)
    apply_edits(nov if blank == "this" else prev, [{"sheet": "Summary", "row": 3, "column": "B", "value": None}])
    err = _refused(capsys, nov, "carry-forward", nov, "--from", prev)
    assert "no GSTIN" in err and "B3" in err and "--force" in err
    assert ("this workbook" if blank == "this" else "last month's workbook") in err
    assert _run("carry-forward", nov, "--from", prev, "--force") == 0


def test_another_gstins_workbook_is_refused_naming_the_right_option(october, tmp_path, capsys):
    other_json = write_json(tmp_path / "other.json", download({"b2b": [record("b2b", 7)]}, rtin=SUP_KA))
    other = tmp_path / "other.xlsx"
    assert _run("import", other_json, "--out", other, "--period", "102025") == 0
    nov = _november(october, tmp_path)
    capsys.readouterr()
    err = _refused(capsys, nov, "carry-forward", nov, "--from", other)
    assert SUP_KA in err and RTIN in err and "same GSTIN" in err
    assert "last month's workbook other.xlsx is for GSTIN" in err and "--carry-from" not in err, err


# ---------------------------------------------------------------- bug 4: duplicates in books

def test_duplicates_in_books_are_not_carried_as_missing_documents(october, tmp_path, capsys):
    """INV-3 was booked twice: its second row is a "Duplicate in books", the accountant's to fix
    in the books, not a document missing in IMS: it is not carried (nor "closed" by the INV-3
    of November's download). BK-9, really missing, is."""
    nov = _november(october, tmp_path, carry=True)
    capsys.readouterr()
    carried = {r["Document number"]: r for r in _sheet(nov, "Carried forward")}
    assert "INV-3" not in carried
    assert carried["BK-9"]["Item"] == "In books, missing in IMS" and carried["BK-9"]["Status"].startswith("Open")


# ---------------------------------------------------------------- work parked on Removed records

def test_work_parked_on_removed_records_keeps_owner_and_is_carried(october, tmp_path, capsys):
    """October's later download drops INV-4 (typed Pending, Owner Ravi, follow-up 20-11-2025)
    and INV-5 (Owner Sita): both wait on 'Removed records' with all of it (the Owner and the
    follow-up date were lost there). November's download has INV-4 again: it comes back
    Pending with its owner, first seen in October; INV-5, still gone, is an open item."""
    oct_ = _copy(october / "oct.xlsx", tmp_path / "oct.xlsx")
    apply_edits(oct_, [{"sheet": "B2B", "doc_no": "INV-4", "column": "Owner", "value": "Ravi"},
                       {"sheet": "B2B", "doc_no": "INV-4", "column": "Follow-up date", "value": "20-11-2025"},
                       {"sheet": "B2B", "doc_no": "INV-5", "column": "Owner", "value": "Sita"}])
    later = write_json(tmp_path / "oct2.json", download({"b2b": [record("b2b", n, inum=f"INV-{n}")
                                                                  for n in (1, 2, 3)]}, rtin=RTIN))
    assert _run("import", later, "--into", oct_) == 0
    parked = {r["Document number"]: r for r in _sheet(oct_, "Removed records")}
    assert (parked["INV-4"]["Owner"], parked["INV-4"]["Follow-up date"]) == ("Ravi", "20-11-2025")
    assert parked["INV-5"]["Owner"] == "Sita" and parked["INV-4"]["Your action"] == "Pending"
    nov = tmp_path / "nov.xlsx"
    assert _run("import", october / "nov.json", "--out", nov, "--period", "112025", "--carry-from", oct_) == 0
    assert [cell(nov, "B2B", "INV-4", c) for c in ("Action", "Owner", "Follow-up date", "First seen (period)")] \
        == ["Pending", "Ravi", "20-11-2025", "102025"]
    items = {r["Document number"]: r for r in _sheet(nov, "Carried forward")}
    assert items["INV-5"]["Owner"] == "Sita" and items["INV-5"]["Status"].startswith("Open: gone from the download")
    # and the October workbook, given its full download again, has INV-4's owner back
    assert _run("import", october / "oct.json", "--into", oct_) == 0
    assert (cell(oct_, "B2B", "INV-4", "Owner"), cell(oct_, "B2B", "INV-4", "Action")) == ("Ravi", "Pending")
