"""No typed work is ever lost, and the hidden copy is tamper-evident: re-import sequences
and edits of ``_ims_data``, through the command line as the accountant runs it."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import openpyxl
import pytest

from conftest import apply_edits, cell, run

RTIN = "27AAPFU0939F1ZV"
OTHER_RTIN = "29AAFCC9980M1ZR"
SUP = "27AABCS1429B1ZU"


def inv(n: int, **kw) -> dict:
    r = {"stin": SUP, "tradenm": "Supplier AABCS", "inum": f"INV-{n}", "inv_typ": "R", "idt": "15-10-2025",
         "val": 1180, "action": "N", "pos": "27", "txval": 1000, "iamt": 0, "camt": 90, "samt": 90, "cess": 0,
         "srcform": "R1", "rtnprd": "102025", "srcfilstatus": "Filed", "ispendactblocked": "N",
         "isRemarksBlocked": "N"}
    r.update(kw)
    return r


def cn(n: int, **kw) -> dict:
    r = {"stin": SUP, "nt_num": f"CN-{n}", "inv_typ": "R", "nt_dt": "16-10-2025", "val": 1180, "action": "N",
         "pos": "27", "txval": 1000, "iamt": 0, "camt": 90, "samt": 90, "cess": 0, "srcform": "R1",
         "rtnprd": "102025", "ispendactblocked": "N", "isRemarksBlocked": "N", "isItcRedReqBlocked": "N"}
    r.update(kw)
    return r


def write(path: Path, sections: dict, rtin: str = RTIN) -> Path:
    path.write_text(json.dumps({"rtin": rtin, "imsDetails": sections}), encoding="utf-8")
    return path


def upload_of(tmp: Path, wb: Path, ims: Path) -> dict:
    out = tmp / "upload.json"
    assert run("export", wb, "--out", out) == 0
    assert run("check-upload", out, "--against", ims) == 0
    return json.loads(out.read_bytes())


def removed_rows(wb: Path) -> list[tuple]:
    book = openpyxl.load_workbook(wb)
    if "Removed records" not in book.sheetnames:
        return []
    return [r for r in book["Removed records"].iter_rows(min_row=2, values_only=True) if any(r)]


@pytest.fixture
def reviewed(tmp_path: Path) -> tuple[Path, Path]:
    """A workbook with a Reject + remark on INV-2 and an accepted credit note with a partial
    ITC reduction on CN-1."""
    full = write(tmp_path / "full.json", {"b2b": [inv(1), inv(2), inv(3)], "b2bcn": [cn(1)]})
    wb = tmp_path / "review.xlsx"
    assert run("import", full, "--out", wb) == 0
    apply_edits(wb, [{"sheet": "B2B", "doc_no": "INV-2", "column": "Action", "value": "Reject"},
                     {"sheet": "B2B", "doc_no": "INV-2", "column": "Remarks", "value": "Not our purchase"},
                     {"sheet": "B2B-CN", "doc_no": "CN-1", "column": "Action", "value": "Accept"},
                     {"sheet": "B2B-CN", "doc_no": "CN-1", "column": "Whether ITC to be reduced", "value": "Yes"},
                     {"sheet": "B2B-CN", "doc_no": "CN-1", "column": "ITC reduction CGST", "value": 45},
                     {"sheet": "B2B-CN", "doc_no": "CN-1", "column": "ITC reduction SGST", "value": 45}])
    return full, wb


def test_work_parked_by_a_partial_download_comes_back_with_the_record(tmp_path, reviewed, capsys) -> None:
    full, wb = reviewed
    partial = write(tmp_path / "partial.json", {"b2b": [inv(1), inv(3)]})
    assert run("import", partial, "--into", wb) == 0
    assert {r[3] for r in removed_rows(wb)} == {"INV-2", "CN-1"}
    capsys.readouterr()
    assert run("import", full, "--into", wb) == 0
    out = capsys.readouterr().out
    assert "restored from 'Removed records': 2" in out and "INV-2" in out
    assert cell(wb, "B2B", "INV-2", "Action") == "Reject"
    assert cell(wb, "B2B", "INV-2", "Remarks") == "Not our purchase"
    assert removed_rows(wb) == []
    doc = upload_of(tmp_path, wb, full)
    b2b = {r["inum"]: r for r in doc["invdata"]["b2b"]}
    assert b2b["INV-2"]["action"] == "R" and b2b["INV-2"]["remarks"] == "Not our purchase"
    note = doc["invdata"]["b2bcn"][0]
    assert (note["action"], note["itcRedReq"], note["declCgst"], note["declSgst"]) == ("A", "Y", 45, 45)


def test_a_record_withdrawn_then_filed_again_gets_its_work_back_and_is_marked(tmp_path, reviewed, capsys) -> None:
    full, wb = reviewed
    without = write(tmp_path / "without.json", {"b2b": [inv(1), inv(3)], "b2bcn": [cn(1)]})
    assert run("import", without, "--into", wb) == 0
    refiled = write(tmp_path / "refiled.json", {"b2b": [inv(1), inv(2, val=2360, txval=2000, camt=180, samt=180),
                                                       inv(3)], "b2bcn": [cn(1)]})
    assert run("import", refiled, "--into", wb) == 0
    assert cell(wb, "B2B", "INV-2", "Action") == "Reject"
    assert "restored" in cell(wb, "B2B", "INV-2", "Re-import note")
    assert upload_of(tmp_path, wb, refiled)["invdata"]["b2b"][0]["val"] == 2360


def test_a_download_of_another_gstin_is_refused_unless_forced(tmp_path, reviewed, capsys) -> None:
    _, wb = reviewed
    other = write(tmp_path / "other.json", {"b2b": [inv(1)]}, rtin=OTHER_RTIN)
    before = wb.read_bytes()
    capsys.readouterr()
    assert run("import", other, "--into", wb) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and OTHER_RTIN in err and RTIN in err and "--force" in err
    assert wb.read_bytes() == before
    assert run("import", other, "--into", wb, "--force") == 0


def test_an_older_download_after_a_newer_one_is_warned_about(tmp_path, reviewed, capsys) -> None:
    full, wb = reviewed
    old = write(tmp_path / "old.json", {"b2b": [inv(1, idt="01-09-2025")]})
    past = time.time() - 86400 * 30
    os.utime(old, (past, past))
    os.utime(full, None)
    assert run("import", full, "--into", wb) == 0
    capsys.readouterr()
    assert run("import", old, "--into", wb) == 0
    out = capsys.readouterr().out
    assert "older download" in out and "old.json" in out
    # the same file again is not older than itself
    capsys.readouterr()
    assert run("import", old, "--into", wb) == 0
    assert "older download" not in capsys.readouterr().out


def _edit_hidden(wb: Path, doc_no: str, **changes) -> None:
    book = openpyxl.load_workbook(wb)
    ws = book["_ims_data"]
    for row in ws.iter_rows(min_row=2):
        rec = json.loads(row[2].value)
        if rec.get("inum") == doc_no or rec.get("nt_num") == doc_no:
            rec.update(changes)
            row[2].value = json.dumps(rec, ensure_ascii=False)
    book.save(wb)


@pytest.mark.parametrize("changes", [{"txval": 100000, "val": 118000}, {"pos": "29"}, {"action": "A"},
                                     {"ispendactblocked": "Y"}])
def test_an_edited_hidden_record_is_an_error_and_reimport_restores_it(tmp_path, reviewed, capsys, changes) -> None:
    full, wb = reviewed
    _edit_hidden(wb, "INV-1", **changes)
    capsys.readouterr()
    assert run("validate", wb, "--json") == 1
    found = [f for f in json.loads(capsys.readouterr().out) if f["code"] == "hidden-record-edited"]
    assert [(f["sheet"], f["row"]) for f in found] == [("B2B", 2)] and "_ims_data" in found[0]["message"]
    assert run("export", wb, "--out", tmp_path / "up.json") == 1 and not (tmp_path / "up.json").exists()
    # a rewrite of the workbook (validate above) must not re-seal the edited record
    assert run("validate", wb) == 1
    assert run("import", full, "--into", wb) == 0
    capsys.readouterr()
    assert run("validate", wb, "--json") == 0
    assert not [f for f in json.loads(capsys.readouterr().out) if f["code"] == "hidden-record-edited"]
    assert {r["inum"]: r for r in upload_of(tmp_path, wb, full)["invdata"]["b2b"]}["INV-2"]["action"] == "R"


def _sort_visible(wb: Path, sheet: str, with_ref: bool) -> None:
    """Sort a section sheet's rows by document number descending as Excel does when the
    selection is only the visible columns (``with_ref`` False: the hidden IMS ref column,
    the last, stays where it was) or the whole rows."""
    book = openpyxl.load_workbook(wb)
    ws = book[sheet]
    head = [c.value for c in ws[1]]
    width = len(head) if with_ref else head.index("IMS ref (do not edit)")
    num = head.index("Invoice number")
    rows = [[c.value for c in r[:width]] for r in ws.iter_rows(min_row=2, max_row=ws.max_row)]
    rows.sort(key=lambda r: str(r[num]), reverse=True)
    for i, r in enumerate(rows, start=2):
        for j, v in enumerate(r, start=1):
            ws.cell(i, j).value = v
    book.save(wb)


def test_rows_sorted_without_their_ims_ref_are_refused_before_any_write(tmp_path, reviewed, capsys) -> None:
    """Visible columns sorted apart from the hidden IMS ref: the Reject typed beside INV-2
    now sits on the row whose ref is another invoice. No command may write the workbook
    (each would restore the shown values from the hidden copy and keep the Reject on the
    other invoice) and export must not send it; validate --dry-run names every such row.
    Sorting whole rows is fine, and the Reject stays with INV-2."""
    full, wb = reviewed
    _sort_visible(wb, "B2B", with_ref=False)
    before = wb.read_bytes()
    capsys.readouterr()
    for cmd in (["summary", wb], ["apply-suggestions", wb], ["import", full, "--into", wb],
                ["export", wb, "--out", tmp_path / "up.json"], ["run", full, "--out-dir", wb.parent]):
        assert run(*cmd) == 2, cmd
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "sheet 'B2B', row 2 shows INV-3" in err, (cmd, err)
        assert "sorted or moved without the hidden IMS ref" in err and "nothing was changed" in err, err
        assert wb.read_bytes() == before and not (tmp_path / "up.json").exists(), cmd
    for dry in ([], ["--dry-run"]):  # validate names each row and leaves the workbook as it is
        assert run("validate", wb, *dry) == 1
        out = capsys.readouterr().out
        assert out.count("row-out-of-step") == 2, out  # INV-3 and INV-1 moved; INV-2 stayed in the middle
        assert ("The workbook was not rewritten" in out) == (not dry) and wb.read_bytes() == before

    wb2 = tmp_path / "whole.xlsx"
    assert run("import", full, "--out", wb2) == 0
    apply_edits(wb2, [{"sheet": "B2B", "doc_no": "INV-2", "column": "Action", "value": "Reject"}])
    _sort_visible(wb2, "B2B", with_ref=True)
    assert run("summary", wb2) == 0
    assert cell(wb2, "B2B", "INV-2", "Action") == "Reject"


def test_one_identity_typed_over_by_hand_is_a_warning_not_a_refusal(tmp_path, reviewed, capsys) -> None:
    """A GSTIN and number typed over on one row, naming no other record: an edit the upload
    ignores (downloaded-value-edited), as before, not rows out of step."""
    _, wb = reviewed
    apply_edits(wb, [{"sheet": "B2B", "doc_no": "INV-1", "column": "Invoice number", "value": "INV-99"},
                     {"sheet": "B2B", "doc_no": "INV-99", "column": "GSTIN of supplier", "value": "29AAFCC9980M1ZR"}])
    capsys.readouterr()
    assert run("validate", wb, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "downloaded-value-edited" in out and "row-out-of-step" not in out
    assert run("summary", wb) == 0


def _insert_column(wb: Path, sheet: str, at: int, header: str, values: dict[str, object]) -> None:
    """Insert a column before column ``at`` (1-based) as Excel's Insert > Sheet Columns does,
    with ``values`` typed beside the given invoice numbers."""
    book = openpyxl.load_workbook(wb)
    ws = book[sheet]
    ws.insert_cols(at)
    ws.cell(1, at).value = header
    num = [c.value for c in ws[1]].index("Invoice number") + 1
    for r in range(2, ws.max_row + 1):
        if ws.cell(r, num).value in values:
            ws.cell(r, at).value = values[ws.cell(r, num).value]
    book.save(wb)


def _grid(wb: Path, sheet: str) -> list[list[object]]:
    book = openpyxl.load_workbook(wb)
    return [list(r) for r in book[sheet].iter_rows(values_only=True)] if sheet in book.sheetnames else []


@pytest.mark.parametrize("cmd", ["summary", "export typed", "import --into"])
def test_a_column_inserted_on_a_section_sheet_is_kept_on_a_sheet_of_its_own(tmp_path, reviewed, capsys, cmd) -> None:
    """A column of the accountant's own on a section sheet is not one ims-xl writes there;
    its cells move to 'B2B your columns' by IMS ref and number (they were dropped without a
    word), and the command says so. A second such column later is stacked below."""
    full, wb = reviewed
    _insert_column(wb, "B2B", 3, "My notes", {"INV-1": "call Ravi", "INV-3": 42})
    if cmd == "export typed":
        apply_edits(wb, [{"sheet": "B2B", "doc_no": "INV-1", "column": "Action", "value": "Accept"}])
    args = {"summary": ["summary", wb], "import --into": ["import", full, "--into", wb],
            "export typed": ["export", wb, "--out", tmp_path / "up.json"]}[cmd]
    capsys.readouterr()
    assert run(*args) == 0
    out = capsys.readouterr().out
    assert "your column(s) 'My notes' are not ims-xl's" in out and "'B2B your columns'" in out, out
    kept = _grid(wb, "B2B your columns")
    assert kept[0] == ["IMS ref", "Invoice number", "My notes"]
    assert sorted((r[1], r[2]) for r in kept[1:]) == [("INV-1", "call Ravi"), ("INV-3", 42)]
    assert "My notes" not in _grid(wb, "B2B")[0]
    assert cell(wb, "B2B", "INV-2", "Action") == "Reject"  # the sheet's own cells read as before
    _insert_column(wb, "B2B", 1, "Second", {"INV-2": "x"})
    assert run("summary", wb) == 0
    kept = _grid(wb, "B2B your columns")
    assert kept[-2:] == [["IMS ref", "Invoice number", "Second"], [kept[-1][0], "INV-2", "x"]], kept
    assert ("INV-1", "call Ravi") in {(r[1], r[2]) for r in kept[1:3]}


@pytest.mark.parametrize("column", ["ITC reduction IGST", "Whether ITC to be reduced", "Action"])
def test_a_date_excel_made_of_a_typed_entry_stays_an_error(tmp_path, reviewed, capsys, column) -> None:
    """Excel makes "1/2" typed in a cell the date 01-Feb: validate names it, and the workbook
    it writes back keeps the text the person saw; as a date serial (45689) it read back as a
    valid ITC-reduction amount at the next validate, and export sent it."""
    from datetime import datetime
    full, wb = reviewed
    apply_edits(wb, [{"sheet": "B2B-CN", "doc_no": "CN-1", "column": column, "value": datetime(2025, 2, 1)}])
    for _ in range(2):
        assert run("validate", wb) == 1
        out = capsys.readouterr().out
        assert "01-02-2025" in out or "2025-02-01" in out, out
    assert cell(wb, "B2B-CN", "CN-1", column) == "01-02-2025"
    assert run("export", wb, "--out", tmp_path / "up.json") == 1 and not (tmp_path / "up.json").exists()
