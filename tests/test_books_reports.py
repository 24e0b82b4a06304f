"""The Books sheet edited by hand, and the report sheets (Missing in IMS, Suppliers, Ageing)
worked out by hand on small cases, through the command line as an accountant uses it.
Expected values are worked out in the comments."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl

from conftest import RTIN, SUP_KA, SUP_MH, apply_edits, download, record, run, write_json

HEAD = ["GSTIN of supplier", "Supplier name", "Document type", "Document number", "Document date",
        "Place of supply", "Taxable value", "IGST", "CGST", "SGST", "Cess", "Document value"]


def _mh(no: str, tx: int = 1000, kind: str = "Invoice") -> list[object]:
    s = -1 if kind == "Credit Note" else 1
    return [SUP_MH, "MH", kind, no, "15-10-2025", "27", s * tx, 0, s * tx * 9 // 100, s * tx * 9 // 100, 0,
            s * tx * 118 // 100]


def _ka(no: str, tx: int = 1000, kind: str = "Invoice") -> list[object]:
    s = -1 if kind == "Credit Note" else 1
    return [SUP_KA, "KA", kind, no, "20-10-2025", "27", s * tx, s * tx * 18 // 100, 0, 0, 0, s * tx * 118 // 100]


def _csv(path: Path, rows: list[list[object]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([HEAD, *rows])
    return path


def _sheet(path: Path, name: str) -> list[dict]:
    rows = list(openpyxl.load_workbook(path)[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:] if any(v not in (None, "") for v in r)]


def _books_numbers(path: Path) -> list[object]:
    """Document numbers on the Books sheet, in sheet order (headers and blank rows left out)."""
    return [r[3] for r in openpyxl.load_workbook(path)["Books"].iter_rows(values_only=True)
            if r and r[3] not in (None, "", "Document number")]


def _month(tmp_path: Path, records: dict, name: str = "review.xlsx", period: str = "102025") -> Path:
    src = write_json(tmp_path / (Path(name).stem + ".json"), download(records, rtin=RTIN))
    wb = tmp_path / name
    assert run("import", src, "--out", wb, "--period", period) == 0
    return wb


def _two_registers(tmp_path: Path) -> Path:
    """IMS: INV-1..INV-3 of MH. Books: invoices.csv (INV-1..INV-3, BK-9 of KA), then notes.csv
    (CN-7, CN-8 of MH, neither in IMS), given with --books twice. The Books sheet then holds:
    row 1 header, 2-5 the invoices, 6 blank, 7 header, 8-9 the notes."""
    wb = _month(tmp_path, {"b2b": [record("b2b", n, inum=f"INV-{n}") for n in (1, 2, 3)]})
    inv = _csv(tmp_path / "invoices.csv", [_mh("INV-1"), _mh("INV-2"), _mh("INV-3"), _ka("BK-9", 5000)])
    notes = _csv(tmp_path / "notes.csv", [_mh("CN-7", 100, "Credit Note"), _mh("CN-8", 200, "Credit Note")])
    assert run("reconcile", wb, "--books", inv, "--books", notes) == 0
    assert _books_numbers(wb) == ["INV-1", "INV-2", "INV-3", "BK-9", "CN-7", "CN-8"]
    return wb


def test_two_registers_a_row_inserted_in_the_first_and_the_last_deleted_drops_no_other_document(tmp_path):
    """Two registers on the Books sheet; the accountant inserts a document into the first one
    and deletes the last row of the second, so the sheet keeps its length. Reconcile from the
    sheet read the blocks where they used to be: the first register's last document (BK-9) fell
    out of the read, out of 'Missing in IMS', and off the Books sheet itself (gone for good)."""
    wb = _two_registers(tmp_path)
    book = openpyxl.load_workbook(wb)
    ws = book["Books"]
    ws.insert_rows(3)
    for j, v in enumerate(_mh("INV-4"), 1):
        ws.cell(3, j).value = v
    ws.delete_rows(ws.max_row)  # CN-8
    book.save(wb)
    assert run("reconcile", wb) == 0
    assert _books_numbers(wb) == ["INV-1", "INV-4", "INV-2", "INV-3", "BK-9", "CN-7"]
    missing = {r["Document number"] for r in _sheet(wb, "Missing in IMS")}
    assert missing == {"INV-4", "BK-9", "CN-7"}


def test_two_registers_a_row_deleted_in_the_first_and_one_added_at_the_end(tmp_path, capsys):
    """A row deleted in the first register and a document added at the end: the sheet keeps
    its length, and reconcile refused the second register ('notes.csv: no header row found'),
    naming a file the accountant never touched. Every document on the sheet is read."""
    wb = _two_registers(tmp_path)
    book = openpyxl.load_workbook(wb)
    ws = book["Books"]
    ws.delete_rows(3)  # INV-2
    ws.append(_mh("CN-9", 300, "Credit Note"))
    book.save(wb)
    capsys.readouterr()
    assert run("reconcile", wb) == 0, capsys.readouterr().err
    assert sorted(_books_numbers(wb)) == sorted(["INV-1", "INV-3", "BK-9", "CN-7", "CN-8", "CN-9"])
    missing = {r["Document number"] for r in _sheet(wb, "Missing in IMS")}
    assert missing == {"BK-9", "CN-7", "CN-8", "CN-9"}


def test_the_same_register_given_again_after_a_row_added_by_hand_is_not_counted_twice(tmp_path):
    """One register; the accountant adds a row at the end of the Books sheet, then re-exports
    the register and reconciles with it again ('a register of the same file name is replaced,
    so re-running is safe'). The edited sheet was kept as a register called 'Books sheet' and
    the file added below it: every document twice, 'Duplicate in books' for each."""
    wb = _month(tmp_path, {"b2b": [record("b2b", 1, inum="INV-1")]})
    reg = _csv(tmp_path / "register.csv", [_mh("INV-1"), _ka("BK-9", 5000)])
    assert run("reconcile", wb, "--books", reg) == 0
    book = openpyxl.load_workbook(wb)
    book["Books"].append(_ka("BK-10", 2000))
    book.save(wb)
    assert run("reconcile", wb, "--books", reg) == 0
    statuses = [r["Status"] for r in _sheet(wb, "Missing in IMS")]
    assert "Duplicate in books" not in statuses
    assert _books_numbers(wb).count("INV-1") == 1


def test_suppliers_missing_in_ims_counts_only_documents_missing_in_ims(tmp_path):
    """IMS: INV-1 of MH. Books: INV-1 booked twice (one pairs, the other is 'Duplicate in
    books'), BK-9 of KA (missing in IMS). The Suppliers sheet counted the duplicate as
    'Missing in IMS' (MH: 1), though the Missing in IMS sheet and the letters say it is the
    accountant's own double entry, not a document to chase the supplier for."""
    wb = _month(tmp_path, {"b2b": [record("b2b", 1, inum="INV-1")]})
    reg = _csv(tmp_path / "register.csv", [_mh("INV-1"), _mh("INV-1"), _ka("BK-9", 5000)])
    assert run("reconcile", wb, "--books", reg) == 0
    listed = {(r["Document number"], r["Status"]) for r in _sheet(wb, "Missing in IMS")}
    assert listed == {("INV-1", "Duplicate in books"), ("BK-9", "Missing in IMS")}
    sup = {r["GSTIN of supplier"]: r for r in _sheet(wb, "Suppliers")}
    # MH: 1 IMS record, matched; nothing missing in IMS; ITC in IMS 90 + 90 = 180; the
    # duplicate's 180 booked a second time will not reach GSTR-2B: at risk
    assert (sup[SUP_MH]["IMS records"], sup[SUP_MH]["Matched"], sup[SUP_MH]["Missing in IMS"]) == (1, 1, 0)
    assert sup[SUP_MH]["ITC in IMS"] == 180 and sup[SUP_MH]["ITC at risk"] == 180
    # KA: no IMS record; BK-9 missing in IMS, IGST 900 at risk
    assert (sup[SUP_KA]["IMS records"], sup[SUP_KA]["Missing in IMS"], sup[SUP_KA]["ITC at risk"]) == (0, 1, 900)


def test_a_credit_note_missing_in_ims_has_negative_itc_in_every_report(tmp_path):
    """Books: invoice BK-9 (IGST 900) and credit note BCN-1 (IGST 180) of KA, neither in IMS.
    The Missing in IMS sheet gave the credit note ITC +180 (the Suppliers sheet nets it as
    -180), carried forward as +180, so the Ageing sheet showed a books credit note at +180
    beside a Pending IMS credit note at -180. A credit note's ITC is negative everywhere
    (Summary, Suppliers, Carried forward); its amounts stay as booked, without sign."""
    oct_ = _month(tmp_path, {"b2b": [record("b2b", 1, inum="INV-1")],
                             "b2bcn": [record("b2bcn", 1, nt_num="CN-1")]}, "oct.xlsx")
    reg = _csv(tmp_path / "register.csv", [_mh("INV-1"), _ka("BK-9", 5000), _ka("BCN-1", 1000, "Credit Note")])
    assert run("reconcile", oct_, "--books", reg) == 0
    missing = {r["Document number"]: r for r in _sheet(oct_, "Missing in IMS")}
    assert missing["BCN-1"]["Document type"] == "Credit note"
    assert (missing["BCN-1"]["Taxable value"], missing["BCN-1"]["IGST"], missing["BCN-1"]["ITC"]) == (1000, 180, -180)
    assert missing["BK-9"]["ITC"] == 900
    assert [r["Document number"] for r in _sheet(oct_, "Missing in IMS")] == ["BK-9", "BCN-1"]  # largest ITC first
    # Suppliers, KA: 900 - 180 booked and not in IMS
    assert {r["GSTIN of supplier"]: r["ITC at risk"] for r in _sheet(oct_, "Suppliers")}[SUP_KA] == 720
    apply_edits(oct_, [{"sheet": "B2B-CN", "doc_no": "CN-1", "column": "Action", "value": "Pending"}])
    nov = write_json(tmp_path / "nov.json", download({"b2b": [record("b2b", 2, inum="INV-2", rtnprd="112025")]},
                                                     rtin=RTIN))
    assert run("import", nov, "--out", tmp_path / "nov.xlsx", "--period", "112025", "--carry-from", oct_) == 0
    carried = {r["Document number"]: r for r in _sheet(tmp_path / "nov.xlsx", "Carried forward")}
    assert carried["BCN-1"]["ITC"] == -180 and carried["CN-1"]["ITC"] == -180
    ageing = {r["Document number"]: r for r in _sheet(tmp_path / "nov.xlsx", "Ageing")}
    assert ageing["BCN-1"]["ITC at risk"] == ageing["CN-1"]["ITC at risk"] == -180
    assert ageing["BK-9"]["ITC at risk"] == 900


def test_a_carried_pending_credit_note_keeps_its_one_period_deadline(tmp_path):
    """October: credit note CN-1 (a specified record) kept Pending, first seen 102025: the
    Ageing sheet gives it until November's GSTR-3B, 20-12-2025. November's download does not
    list it, so it is carried on the 'Carried forward' sheet (Section 'B2B-CN'); the Ageing
    sheet then gave it the Section 16(4) limit (30-11-2026) as if it were an invoice."""
    oct_ = _month(tmp_path, {"b2bcn": [record("b2bcn", 1, nt_num="CN-1")]}, "oct.xlsx")
    apply_edits(oct_, [{"sheet": "B2B-CN", "doc_no": "CN-1", "column": "Action", "value": "Pending"}])
    assert run("summary", oct_) == 0
    before = {r["Document number"]: r for r in _sheet(oct_, "Ageing")}["CN-1"]
    assert before["Deadline"] == "20-12-2025"
    nov = write_json(tmp_path / "nov.json", download({"b2b": [record("b2b", 2, inum="INV-2", rtnprd="112025")]},
                                                     rtin=RTIN))
    assert run("import", nov, "--out", tmp_path / "nov.xlsx", "--period", "112025", "--carry-from", oct_) == 0
    carried = {r["Document number"]: r for r in _sheet(tmp_path / "nov.xlsx", "Carried forward")}["CN-1"]
    assert carried["Section"] == "B2B-CN" and carried["Status"].startswith("Open")
    after = {r["Document number"]: r for r in _sheet(tmp_path / "nov.xlsx", "Ageing")}["CN-1"]
    assert (after["Deadline"], after["Deadline rule"]) == (before["Deadline"], before["Deadline rule"])
    assert after["Age (periods)"] == 1


def test_a_bad_cell_in_the_second_register_is_named_by_its_books_sheet_row(tmp_path, capsys):
    """Text typed into an amount of the second register on the Books sheet (CN-7's taxable
    value, sheet row 8): the refusal said 'notes.csv: row 2', the row in a file the accountant
    did not touch, not the Books sheet row to correct."""
    wb = _two_registers(tmp_path)
    book = openpyxl.load_workbook(wb)
    ws = book["Books"]
    assert ws.cell(8, 4).value == "CN-7"
    ws.cell(8, 7).value = "abc"
    book.save(wb)
    capsys.readouterr()
    assert run("reconcile", wb) == 2
    err = capsys.readouterr().err
    assert "row 8" in err and "Traceback" not in err, err


def _add_column(path: Path, sheet: str, header: str, values: dict[str, object], key: str) -> None:
    """Type a column right of ``sheet``'s last one: ``values`` by the row's ``key`` cell."""
    book = openpyxl.load_workbook(path)
    ws = book[sheet]
    heads = [c.value for c in ws[1]]
    j, k = len(heads) + 1, heads.index(key) + 1
    ws.cell(1, j).value = header
    for r in range(2, ws.max_row + 1):
        if ws.cell(r, k).value in values:
            ws.cell(r, j).value = values[ws.cell(r, k).value]
    book.save(path)


def test_columns_typed_on_the_report_sheets_survive_their_rebuild(tmp_path, capsys):
    """'Chased on' typed on Missing in IMS and 'Contact' on Suppliers: reconcile makes both
    sheets afresh and dropped the columns without a word. They stay beside their document
    (supplier); a document no longer missing keeps its cell on 'Missing in IMS your columns'."""
    wb = _month(tmp_path, {"b2b": [record("b2b", 1, inum="INV-1")]})
    reg = _csv(tmp_path / "register.csv", [_mh("INV-1"), _mh("INV-5", 3000), _ka("BK-9", 5000)])
    assert run("reconcile", wb, "--books", reg) == 0
    _add_column(wb, "Missing in IMS", "Chased on", {"BK-9": "02-11-2025 by mail", "INV-5": "called"},
                "Document number")
    _add_column(wb, "Suppliers", "Contact", {SUP_KA: "ravi@ka.example"}, "GSTIN of supplier")
    capsys.readouterr()
    assert run("reconcile", wb) == 0
    out = capsys.readouterr().out
    assert "your column(s) 'Chased on' kept beside their rows" in out and "'Contact'" in out
    chased = {r["Document number"]: r["Chased on"] for r in _sheet(wb, "Missing in IMS")}
    assert chased == {"BK-9": "02-11-2025 by mail", "INV-5": "called"}
    assert {r["GSTIN of supplier"]: r["Contact"] for r in _sheet(wb, "Suppliers")}[SUP_KA] == "ravi@ka.example"
    # INV-5 reaches IMS: no longer missing, its note moves to a sheet of its own
    later = write_json(tmp_path / "d2.json", download({"b2b": [record("b2b", 1, inum="INV-1"),
                                                               record("b2b", 5, inum="INV-5", txval=3000,
                                                                      camt=270, samt=270, val=3540)]}, rtin=RTIN))
    assert run("import", later, "--into", wb) == 0
    capsys.readouterr()
    assert run("reconcile", wb) == 0
    assert "1 row(s) no longer on it are on sheet 'Missing in IMS your columns'" in capsys.readouterr().out
    assert {r["Document number"]: r["Chased on"] for r in _sheet(wb, "Missing in IMS")} == {"BK-9": "02-11-2025 by mail"}
    kept = _sheet(wb, "Missing in IMS your columns")
    assert [(r["Document number"], r["Chased on"]) for r in kept] == [("INV-5", "called")]


def test_registers_kept_on_the_books_sheet_are_read_however_far_down_they_sit(tmp_path, capsys):
    """A month's run with a.csv (60 documents), then b.csv, then c.csv: each run keeps the
    registers before it on the Books sheet. The third read b.csv's block below a.csv's and
    refused it ('no header row found in the first 50 rows'): the block's header sat on sheet
    row 63, past the scan, counted from the top of the sheet."""
    wb = _month(tmp_path, {"b2b": [record("b2b", 1, inum="INV-1")]})
    a = _csv(tmp_path / "a.csv", [_mh(f"A-{n}") for n in range(1, 61)])
    b = _csv(tmp_path / "b.csv", [_ka("B-1", 2000), _ka("B-2", 3000)])
    c = _csv(tmp_path / "c.csv", [_mh("INV-1")])
    for reg in (a, b, c):
        capsys.readouterr()
        assert run("reconcile", wb, "--books", reg) == 0, capsys.readouterr().err
    assert len(_books_numbers(wb)) == 63
    assert {r["Document number"] for r in _sheet(wb, "Missing in IMS")} == \
        {*(f"A-{n}" for n in range(1, 61)), "B-1", "B-2"}


def test_a_register_read_from_a_moved_folder_replaces_its_block(tmp_path, capsys):
    """The clients' folder moved (a new drive, a colleague's path): the same register, read
    from its new place, was added beside its old copy and every document became 'Duplicate
    in books'. A file of the same name replaces its block; a second file of that name given
    together with it is still added."""
    wb = _month(tmp_path, {"b2b": [record("b2b", 1, inum="INV-1")]})
    old, new = tmp_path / "2025" / "Client A", tmp_path / "moved" / "Client A"
    old.mkdir(parents=True)
    new.mkdir(parents=True)
    rows = [_mh("INV-1"), _ka("BK-9", 5000)]
    assert run("reconcile", wb, "--books", _csv(old / "register.csv", rows)) == 0
    (old / "register.csv").unlink()
    capsys.readouterr()
    assert run("reconcile", wb, "--books", _csv(new / "register.csv", rows)) == 0
    assert "Read again, replacing the earlier copy" in capsys.readouterr().out
    assert _books_numbers(wb) == ["INV-1", "BK-9"]
    assert "Duplicate in books" not in {r["Status"] for r in _sheet(wb, "Missing in IMS")}
    other = tmp_path / "branch"
    other.mkdir()
    assert run("reconcile", wb, "--books", new / "register.csv",
               "--books", _csv(other / "register.csv", [_ka("BK-10", 100)])) == 0
    assert _books_numbers(wb) == ["INV-1", "BK-9", "BK-10"]
