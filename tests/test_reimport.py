"""Re-import without losing work (README, "Re-import without losing work") and the portal's error files."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from conftest import (RTIN, SUP_KA, SUP_MH, apply_edits, cell, download, export, find_row, header_map,
                      import_new, record, removed_sheet, run, write_json)


def reimport(tmp_path: Path, wb: Path, data: dict, capsys=None, name: str = "new.json") -> str:
    src = write_json(tmp_path / name, data)
    if capsys:
        capsys.readouterr()
    assert run("import", src, "--into", wb) == 0
    return capsys.readouterr().out if capsys else ""


def sheet_docs(wb: Path, sheet: str) -> list[str]:
    ws = openpyxl.load_workbook(wb)[sheet]
    col = header_map(ws)["Invoice number" if "Invoice number" in header_map(ws) else "Note number"]
    return [ws.cell(r, col).value for r in range(2, ws.max_row + 1) if ws.cell(r, col).value is not None]


FIRST = {"b2b": [record("b2b", i) for i in range(1, 6)], "b2bcn": [record("b2bcn", 1), record("b2bcn", 2)]}
WORK = [
    {"sheet": "B2B", "doc_no": "INV-1", "column": "Action", "value": "Accept"},
    {"sheet": "B2B", "doc_no": "INV-2", "column": "Action", "value": "Reject"},
    {"sheet": "B2B", "doc_no": "INV-2", "column": "Remarks", "value": "Not our order"},
    {"sheet": "B2B", "doc_no": "INV-3", "column": "Remarks", "value": "Note only"},
    {"sheet": "B2B", "doc_no": "INV-4", "column": "Action", "value": "Pending"},
    {"sheet": "B2B-CN", "doc_no": "CN-1", "column": "Action", "value": "Accept"},
    {"sheet": "B2B-CN", "doc_no": "CN-1", "column": "Whether ITC to be reduced", "value": "Yes"},
    {"sheet": "B2B-CN", "doc_no": "CN-1", "column": "ITC reduction CGST", "value": 40},
    {"sheet": "B2B-CN", "doc_no": "CN-1", "column": "ITC reduction SGST", "value": 40},
]


@pytest.fixture
def reviewed(tmp_path: Path) -> Path:
    wb = import_new(tmp_path, download(FIRST, rtin=RTIN))
    apply_edits(wb, WORK)
    return wb


def work_of(wb: Path) -> dict[tuple[str, str], tuple]:
    book = openpyxl.load_workbook(wb)
    out = {}
    for sheet in ("B2B", "B2B-CN"):
        ws = book[sheet]
        hm = header_map(ws)
        num = hm.get("Invoice number") or hm["Note number"]
        cols = [hm[h] for h in ("Action", "Remarks", "Whether ITC to be reduced", "ITC reduction CGST") if h in hm]
        for r in range(2, ws.max_row + 1):
            out[(sheet, ws.cell(r, num).value)] = tuple(ws.cell(r, c).value for c in cols)
    return out


def test_reimport_of_the_same_download_keeps_everything(tmp_path: Path, reviewed: Path, capsys) -> None:
    before = work_of(reviewed)
    rc, up_before = export(reviewed, tmp_path / "a.json")
    assert rc == 0
    out = reimport(tmp_path, reviewed, download(FIRST, rtin=RTIN), capsys)
    assert "0 new, 0 changed, 7 unchanged, 0 no longer in the download; your entries kept on " in out
    assert work_of(reviewed) == before
    rc, up_after = export(reviewed, tmp_path / "b.json")
    assert rc == 0 and up_after == up_before
    assert removed_sheet(reviewed) == []


def test_new_records_are_appended_and_work_kept(tmp_path: Path, reviewed: Path, capsys) -> None:
    before = work_of(reviewed)
    new = {"b2b": [record("b2b", 6)] + FIRST["b2b"], "b2bcn": FIRST["b2bcn"] + [record("b2bcn", 3)],
           "ecom": [record("ecom", 1)]}
    out = reimport(tmp_path, reviewed, download(new, rtin=RTIN), capsys)
    assert "3 new" in out
    assert sheet_docs(reviewed, "B2B") == ["INV-1", "INV-2", "INV-3", "INV-4", "INV-5", "INV-6"]
    assert sheet_docs(reviewed, "B2B-CN") == ["CN-1", "CN-2", "CN-3"]
    assert sheet_docs(reviewed, "ECO") == ["ECO-1"]
    after = work_of(reviewed)
    assert {k: after[k] for k in before} == before
    assert after[("B2B", "INV-6")][:2] == ("No Action", None)


def test_accountants_row_order_is_kept(tmp_path: Path, reviewed: Path) -> None:
    book = openpyxl.load_workbook(reviewed)
    ws = book["B2B"]
    # the accountant sorts the sheet: rows 2 and 6 change places (every cell, hidden ref included)
    for c in range(1, ws.max_column + 1):
        a, b = ws.cell(2, c), ws.cell(6, c)
        (a.value, a.data_type), (b.value, b.data_type) = (b.value, b.data_type), (a.value, a.data_type)
    book.save(reviewed)
    assert sheet_docs(reviewed, "B2B") == ["INV-5", "INV-2", "INV-3", "INV-4", "INV-1"]
    reimport(tmp_path, reviewed, download(FIRST, rtin=RTIN))
    assert sheet_docs(reviewed, "B2B") == ["INV-5", "INV-2", "INV-3", "INV-4", "INV-1"]
    assert cell(reviewed, "B2B", "INV-1", "Action") == "Accept"


def test_removed_records_with_work_move_to_removed_sheet(tmp_path: Path, reviewed: Path, capsys) -> None:
    new = {"b2b": [r for r in FIRST["b2b"] if r["inum"] not in ("INV-2", "INV-5")],
           "b2bcn": FIRST["b2bcn"][1:]}
    out = reimport(tmp_path, reviewed, download(new, rtin=RTIN), capsys)
    assert "3 no longer in the download" in out
    assert "Gone from the download; your entries kept on the 'Removed records' sheet: " in out
    assert "B2B INV-2 of " + SUP_MH in out and "B2B-CN CN-1 of " + SUP_MH in out
    assert sheet_docs(reviewed, "B2B") == ["INV-1", "INV-3", "INV-4"]
    removed = {r["Document number"]: r for r in removed_sheet(reviewed)}
    assert (removed["INV-2"]["Section"], removed["INV-2"]["Your action"], removed["INV-2"]["Your remarks"]) == \
        ("b2b", "Reject", "Not our order")
    assert (removed["CN-1"]["Section"], removed["CN-1"]["Your action"]) == ("b2bcn", "Accept")
    assert removed["INV-2"]["GSTIN of supplier"] == SUP_MH and removed["INV-2"]["Missing from download"] == "new.json"
    assert removed["CN-1"]["Whether ITC to be reduced"] == "Yes"
    # a later re-import keeps the sheet without repeating its rows
    reimport(tmp_path, reviewed, download(new, rtin=RTIN), name="newer.json")
    again = [r["Document number"] for r in removed_sheet(reviewed)]
    assert sorted(again) == sorted(removed) and len(again) == len(set(again))
    rc, up = export(reviewed, tmp_path / "up.json")
    assert rc == 0 and [r["inum"] for r in up["invdata"]["b2b"]] == ["INV-1", "INV-4"]


def test_supplier_change_after_review_is_marked(tmp_path: Path, reviewed: Path, capsys) -> None:
    new = json.loads(json.dumps(FIRST))
    new["b2b"][0].update(txval=900, camt=81, samt=81, val=1062)     # INV-1: accepted, then amended
    new["b2b"][4].update(txval=900, camt=81, samt=81, val=1062)     # INV-5: no work on it
    out = reimport(tmp_path, reviewed, download(new, rtin=RTIN), capsys)
    assert "Changed by the supplier after your review (marked in 'Re-import note'): " in out
    assert "B2B INV-1 of " + SUP_MH in out
    note = cell(reviewed, "B2B", "INV-1", "Re-import note")
    assert note == "Changed by supplier since your review (val, txval, camt, samt): check your action"
    assert cell(reviewed, "B2B", "INV-1", "Action") == "Accept"
    assert cell(reviewed, "B2B", "INV-1", "Taxable value") == 900
    ws = openpyxl.load_workbook(reviewed)["B2B"]
    c = ws.cell(find_row(ws, "b2b", "INV-1"), header_map(ws)["Re-import note"])
    assert c.fill.patternType == "solid" and c.fill.fgColor.rgb.upper().endswith("BDD7EE")
    rc, up = export(reviewed, tmp_path / "up.json")
    assert rc == 0
    inv1 = next(r for r in up["invdata"]["b2b"] if r["inum"] == "INV-1")
    assert (inv1["txval"], inv1["val"]) == (900, 1062)       # the upload echoes the newest download


def test_a_supplier_change_note_stands_until_cleared(tmp_path: Path, reviewed: Path, capsys) -> None:
    """The same download fetched again the next morning and re-imported must not wipe the
    'Changed by supplier' note before anyone has seen it (the upload then sent the Accept on
    the amended amount without a word); the accountant clearing the cell acknowledges it."""
    new = json.loads(json.dumps(FIRST))
    new["b2b"][0].update(txval=900, camt=81, samt=81, val=1062)     # INV-1: accepted, then amended
    reimport(tmp_path, reviewed, download(new, rtin=RTIN))
    reimport(tmp_path, reviewed, download(new, rtin=RTIN), name="again.json")
    assert cell(reviewed, "B2B", "INV-1", "Re-import note").startswith("Changed by supplier since your review")
    apply_edits(reviewed, [{"sheet": "B2B", "doc_no": "INV-1", "column": "Re-import note", "value": None}])
    reimport(tmp_path, reviewed, download(new, rtin=RTIN), name="third.json")
    assert cell(reviewed, "B2B", "INV-1", "Re-import note") in (None, "")


def test_status_changed_on_portal_is_reported(tmp_path: Path, reviewed: Path, capsys) -> None:
    new = json.loads(json.dumps(FIRST))
    new["b2b"][0]["action"] = "R"          # INV-1: accountant typed Accept; portal now shows Reject
    out = reimport(tmp_path, reviewed, download(new, rtin=RTIN), capsys)
    assert "Portal status changed since the last download: 1: B2B INV-1" in out
    assert "from No Action to Reject" in cell(reviewed, "B2B", "INV-1", "Re-import note")
    assert cell(reviewed, "B2B", "INV-1", "Action") == "Accept"
    rc, up = export(reviewed, tmp_path / "up.json")
    inv1 = next(r for r in up["invdata"]["b2b"] if r["inum"] == "INV-1")
    assert (inv1["action"], inv1["prev_status"]) == ("A", "R")


def test_untouched_records_are_not_treated_as_reviewed(tmp_path: Path, reviewed: Path, capsys) -> None:
    new = json.loads(json.dumps(FIRST))
    new["b2b"][2].update(txval=900, camt=81, samt=81, val=1062)     # INV-3: remarks typed on it
    new["b2b"][4].update(txval=900, camt=81, samt=81, val=1062)     # INV-5: untouched
    del new["b2b"][3]                                               # INV-4: Pending typed
    del new["b2bcn"][1]                                             # CN-2: untouched
    out = reimport(tmp_path, reviewed, download(new, rtin=RTIN), capsys)
    assert "your entries kept on 4 records" in out                  # INV-1, INV-2, INV-3, CN-1
    assert [r["Document number"] for r in removed_sheet(reviewed)] == ["INV-4"]
    assert cell(reviewed, "B2B", "INV-5", "Re-import note") in (None, "")
    assert cell(reviewed, "B2B", "INV-3", "Re-import note").startswith("Changed by supplier")


def test_status_change_without_work_is_not_uploaded(tmp_path: Path) -> None:
    wb = import_new(tmp_path, download({"b2b": [record("b2b", 1), record("b2b", 2, action="A")]}, rtin=RTIN))
    new = download({"b2b": [record("b2b", 1, action="A"), record("b2b", 2, action="R")]}, rtin=RTIN)
    reimport(tmp_path, wb, new)
    assert cell(wb, "B2B", "INV-1", "Action") == "Accept"
    rc, up = export(wb, tmp_path / "up.json")
    assert (rc, up["invdata"]) == (0, {})


def test_reimport_keeps_typed_rtin_and_portal_errors(tmp_path: Path) -> None:
    wb = import_new(tmp_path, download({"b2b": [record("b2b", 1)]}))
    apply_edits(wb, [{"sheet": "Summary", "row": 3, "column": "B", "value": RTIN}])
    err = write_json(tmp_path / "err.json", {"imsDetailsErr": {"b2b": [record("b2b", 1, error_msg="Bad")]}})
    assert run("import-errors", err, wb) == 0
    reimport(tmp_path, wb, download({"b2b": [record("b2b", 1)]}))
    assert openpyxl.load_workbook(wb)["Summary"]["B3"].value == RTIN
    assert cell(wb, "B2B", "INV-1", "GST portal validation errors") == "Bad"


def test_reimport_into_needs_an_existing_review_workbook(tmp_path: Path, capsys) -> None:
    src = write_json(tmp_path / "ims.json", download({"b2b": [record("b2b", 1)]}))
    capsys.readouterr()
    assert run("import", src, "--into", tmp_path / "missing.xlsx") == 2
    assert "missing.xlsx" in capsys.readouterr().err
    assert not (tmp_path / "missing.xlsx").exists()


# ---------------------------------------------------------------- portal error files

ERR_DOWNLOAD = {"b2b": [record("b2b", 1), record("b2b", 2), record("b2b", 3, stin=SUP_KA)],
                "b2bdn": [record("b2bdn", 1)], "b2bcna": [record("b2bcna", 1)], "ecoma": [record("ecoma", 1)]}


@pytest.fixture
def err_wb(tmp_path: Path) -> Path:
    return import_new(tmp_path, download(ERR_DOWNLOAD, rtin=RTIN))


def portal_messages(wb: Path) -> dict[tuple[str, str], str]:
    book = openpyxl.load_workbook(wb)
    out = {}
    for sheet in ("B2B", "B2B-DN", "B2B-CNA", "ECOA"):
        ws = book[sheet]
        hm = header_map(ws)
        num = hm.get("Invoice number") or hm["Note number"]
        for r in range(2, ws.max_row + 1):
            v = ws.cell(r, hm["GST portal validation errors"]).value
            if v:
                out[(sheet, ws.cell(r, num).value)] = v
    return out


def test_request_status_error_report(tmp_path: Path, err_wb: Path, capsys) -> None:
    doc = {"status_cd": "PE", "error_report": {
        "b2b": [{"stin": SUP_MH, "error_cd": "IMSSAV0010",
                 "error_msg": "Either previous action is incorrect/ invoice might have edited by supplier",
                 "inv": [{"inum": "INV-2", "rtnprd": "102025"}]},
                {"stin": SUP_KA, "error_cd": "IMSSAV005", "error_msg": "Schema validation failure",
                 "inv": [{"inum": "INV-3", "rtnprd": "102025"}, {"inum": "INV-99", "rtnprd": "102025"}]}],
        "dn": [{"stin": SUP_MH, "error_cd": "E1", "error_msg": "debit note error",
                "inv": [{"inum": "DN-1", "rtnprd": "102025"}]}],
        "cna": [{"stin": SUP_MH, "error_cd": "E2", "error_msg": "wrong period",
                 "inv": [{"nt_num": "CNA-1", "rtnprd": "092025"}]}]}}
    src = write_json(tmp_path / "status.json", doc)
    capsys.readouterr()
    assert run("import-errors", src, err_wb) == 0
    out = capsys.readouterr().out
    assert portal_messages(err_wb) == {
        ("B2B", "INV-2"): "IMSSAV0010: Either previous action is incorrect/ invoice might have edited by supplier",
        ("B2B", "INV-3"): "IMSSAV005: Schema validation failure",
        ("B2B-DN", "DN-1"): "E1: debit note error"}
    assert "3 portal error(s) placed on their records" in out
    assert "2 error(s) match no record in this workbook:" in out
    assert "download the IMS JSON again and re-import it" in out  # the saved ones' status is stale
    assert "b2b INV-99 of " + SUP_KA in out and "b2bcna CNA-1 of " + SUP_MH in out
    ws = openpyxl.load_workbook(err_wb)["B2B"]
    c = ws.cell(find_row(ws, "b2b", "INV-2"), header_map(ws)["GST portal validation errors"])
    assert c.fill.patternType == "solid" and c.fill.fgColor.rgb.upper().endswith("F4B183")


def test_offline_error_file(tmp_path: Path, err_wb: Path, capsys) -> None:
    doc = {"imsDetailsErr": {
        "b2b": [record("b2b", 1, error_msg="Invalid previous status"),
                record("b2b", 7, error_msg="Record not found")],
        "b2bcna": [record("b2bcna", 1, error_msg="Declared amount exceeds")],
        "ecoma": [record("ecoma", 1, error_msg="Remarks not allowed")]}}
    src = write_json(tmp_path / "offline_err.json", doc)
    capsys.readouterr()
    assert run("import-errors", src, err_wb) == 0
    out = capsys.readouterr().out
    assert portal_messages(err_wb) == {("B2B", "INV-1"): "Invalid previous status",
                                       ("B2B-CNA", "CNA-1"): "Declared amount exceeds",
                                       ("ECOA", "ECOA-1"): "Remarks not allowed"}
    assert "1 error(s) match no record" in out and "INV-7" in out


def test_error_files_as_other_writers_shape_them(tmp_path: Path, err_wb: Path, capsys) -> None:
    """The offline error file may carry a bare month as rtnprd, as the offline download may
    (IMS_FORMAT.md §5): made MMYYYY from the record's date as import does. A request-status
    file may carry a bare month too (then the month alone is compared), and a writer that
    puts both number keys leaves the other null."""
    doc = {"imsDetailsErr": {"b2b": [record("b2b", 1, rtnprd="10", error_msg="bare month")]}}
    assert run("import-errors", write_json(tmp_path / "mm.json", doc), err_wb) == 0
    assert portal_messages(err_wb) == {("B2B", "INV-1"): "bare month"}
    doc = {"error_report": {"dn": [{"stin": SUP_MH, "error_cd": "E1", "error_msg": "null inum",
                                    "inv": [{"inum": None, "nt_num": "DN-1", "rtnprd": "10"}]}],
                            "b2b": [{"stin": SUP_MH, "error_cd": "E2", "error_msg": "other month",
                                     "inv": [{"inum": "INV-2", "rtnprd": "9"}]}]}}
    capsys.readouterr()
    assert run("import-errors", write_json(tmp_path / "st.json", doc), err_wb) == 0
    assert portal_messages(err_wb) == {("B2B-DN", "DN-1"): "E1: null inum"}
    assert "b2b INV-2 of " + SUP_MH in capsys.readouterr().out  # its month is not the record's


@pytest.mark.parametrize("entry, named", [
    ("not an entry", "error_report.b2b[0] is not an object"),
    ({"stin": SUP_MH, "error_cd": "E", "error_msg": "m", "inv": "INV-1"}, "error_report.b2b[0].inv is not a list"),
    ({"error_cd": "IMSSAV0010", "error_msg": "m", "inv": [{"rtnprd": "102025"}]},
     "error_report.b2b[0].inv[0] has no supplier GSTIN (stin) and no document number"),
    ({"stin": SUP_MH, "error_cd": "E", "error_msg": "m", "inv": [{"inum": "", "rtnprd": "102025"}]},
     "error_report.b2b[0].inv[0] has no document number")])
def test_an_error_entry_naming_no_record_is_refused_by_its_place(tmp_path: Path, err_wb: Path, capsys,
                                                               entry, named) -> None:
    before = err_wb.read_bytes()
    src = write_json(tmp_path / "bad.json", {"error_report": {"b2b": [entry]}})
    capsys.readouterr()
    assert run("import-errors", src, err_wb) == 2
    err = capsys.readouterr().err
    assert named in err and "bad.json" in err and len(err.strip().splitlines()) == 1, err
    assert err_wb.read_bytes() == before


def test_a_second_error_file_replaces_the_first(tmp_path: Path, err_wb: Path) -> None:
    first = write_json(tmp_path / "e1.json", {"imsDetailsErr": {"b2b": [record("b2b", 1, error_msg="one")]}})
    second = write_json(tmp_path / "e2.json", {"imsDetailsErr": {"b2b": [record("b2b", 2, error_msg="two")]}})
    assert run("import-errors", first, err_wb) == 0
    assert run("import-errors", second, err_wb) == 0
    assert portal_messages(err_wb) == {("B2B", "INV-2"): "two"}


def test_error_file_refusals_leave_the_workbook_alone(tmp_path: Path, err_wb: Path, capsys) -> None:
    before = err_wb.read_bytes()
    for name, text in (("dl.json", json.dumps(download(ERR_DOWNLOAD))), ("cut.json", '{"error_report": {"b2b": [')):
        src = tmp_path / name
        src.write_text(text)
        capsys.readouterr()
        assert run("import-errors", src, err_wb) == 2
        err = capsys.readouterr().err
        assert name in err and len(err.strip().splitlines()) == 1
    assert err_wb.read_bytes() == before


@pytest.mark.parametrize("typed, downloaded, worked", [
    (None, None, False), ("  ", None, False), (float("nan"), None, False), ("100", None, True),
    (100.0, 10000, False), ("100.00", 10000, False), (100, 10000, False), (None, 10000, True),
    ("99.99", 10000, True), ("abc", None, True), (-5, None, True), (True, None, True)])
def test_a_declared_itc_amount_is_work_only_where_it_differs_from_the_download(typed, downloaded, worked) -> None:
    """has_work reads a typed ITC-reduction amount against the downloaded one in paise (blank
    equals absent); a row with neither is no work, and one row's entry marks that row alone."""
    import pandas as pd
    from ims_xl.formats.ims_json import parse_download
    from ims_xl.review.book import has_work, new_book
    from ims_xl.samples.download import generate_download
    rows = new_book(parse_download(generate_download(records=30, seed=3), "ims.json")).rows.copy()
    assert not has_work(rows).any(), "a fresh import holds no work"
    k = rows.index[7]
    typed_col = pd.Series([None] * len(rows), index=rows.index, dtype=object)
    typed_col[k] = typed
    rows["decl_cgst_in"] = typed_col
    down = pd.array([None] * len(rows), dtype="Int64")
    down[7] = downloaded
    rows["decl_cgst"] = down
    work = has_work(rows)
    assert bool(work[k]) == worked
    assert not work.drop(k).any()


def test_a_match_made_with_the_suppliers_earlier_figures_is_not_applied_after_they_change(tmp_path, capsys) -> None:
    """INV-1 matched the books at 1,000 (suggested Accept); the supplier then amended it to
    5,000 in IMS. The re-import kept the old match and its suggestion, and apply-suggestions
    accepted INV-1 at 5,000 against books of 1,000 (ITC claimed on 4,000 never booked). The
    changed record's match is cleared, the message says to reconcile again, and only the
    unchanged INV-2 is accepted."""
    import csv
    wb = import_new(tmp_path, download({"b2b": [record("b2b", 1), record("b2b", 2)]}, rtin=RTIN))
    reg = tmp_path / "books.csv"
    with open(reg, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["GSTIN of supplier", "Document type", "Document number", "Document date", "Place of supply",
                    "Taxable value", "IGST", "CGST", "SGST", "Cess", "Document value"])
        for r in (record("b2b", 1), record("b2b", 2)):
            w.writerow([r["stin"], "Invoice", r["inum"], r["idt"], r["pos"], r["txval"], r["iamt"], r["camt"],
                        r["samt"], r["cess"], r["val"]])
    assert run("reconcile", wb, "--books", reg) == 0
    assert cell(wb, "B2B", "INV-1", "Suggested action") == "Accept"
    amended = {**record("b2b", 1), "txval": 5000, "camt": 450, "samt": 450, "val": 5900}
    out = reimport(tmp_path, wb, download({"b2b": [amended, record("b2b", 2)]}, rtin=RTIN), capsys)
    assert "1 record(s) the supplier changed lost their match with your books" in out
    assert "The Suppliers sheet(s) are from the last reconcile" in out  # (nothing missing in IMS here)
    assert cell(wb, "B2B", "INV-1", "Suggested action") in (None, "")
    assert cell(wb, "B2B", "INV-1", "Match status") in (None, "")
    assert run("apply-suggestions", wb) == 0
    rc, up = export(wb, tmp_path / "u.json")
    assert rc == 0 and [(r["inum"], r["action"]) for r in up["invdata"]["b2b"]] == [("INV-2", "A")]
    # reconciled again, the new figures meet the books' and say so
    assert run("reconcile", wb, "--books", reg) == 0
    assert cell(wb, "B2B", "INV-1", "Match status") not in (None, "", "Matched")
