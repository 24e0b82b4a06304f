"""Reconcile through the workbook: statuses, colours, notes, report sheets, matches.csv,
apply-suggestions and the main `run` job, read back with openpyxl (an independent reader)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest

from ims_xl.cli import main
from ims_xl.review.layout import COLOURS, columns_for
from ims_xl.model import SECTION_BY_SHEET, SECTIONS
from ims_xl.reconcile.matcher import MATCHES_COLUMNS, MatchStatus
from ims_xl.samples.download import generate_download, write_download
from ims_xl.samples.register import generate_register, write_register_csv

STATUSES = {s.value for s in MatchStatus}


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    d = tmp_path_factory.mktemp("recon")
    data = generate_download(records=300, seed=11)
    write_download(d / "ims.json", data)
    grid, truth = generate_register(data, 11)
    write_register_csv(d / "register.csv", grid)
    assert main(["import", str(d / "ims.json"), "--out", str(d / "review.xlsx")]) == 0
    assert main(["reconcile", str(d / "review.xlsx"), "--books", str(d / "register.csv"),
                 "--matches", str(d / "matches.csv")]) == 0
    return d


def _sheet_rows(ws):
    hdr = [c.value for c in ws[1]]
    return hdr, list(ws.iter_rows(min_row=2))


def test_every_record_has_exactly_one_known_status(job):
    wb = openpyxl.load_workbook(job / "review.xlsx")
    n = 0
    for sec in SECTIONS:
        hdr, rows = _sheet_rows(wb[sec.sheet])
        j = hdr.index("Match status")
        for r in rows:
            assert r[j].value in STATUSES - {"Missing in IMS", "Duplicate in books"}
            n += 1
    assert n == 300


def _hex(cell) -> str:
    return ("#" + cell.fill.fgColor.rgb[-6:]).upper() if cell.fill and cell.fill.fill_type == "solid" else ""


def test_differing_cells_are_coloured_by_kind_with_books_value_in_note(job):
    wb = openpyxl.load_workbook(job / "review.xlsx")
    checked = {"diff_amount": 0, "diff_taxhead": 0, "diff_date": 0, "missing": 0}
    for sec in SECTIONS:
        cols = columns_for(sec)
        hdr, rows = _sheet_rows(wb[sec.sheet])
        jdet = hdr.index("Match detail (ims-xl)")
        pos = {c.field: hdr.index(c.header) for c in cols}
        for r in rows:
            d = json.loads(r[jdet].value)
            codes = set(d["codes"])
            for f in d["fields"]:
                if f not in pos:
                    continue
                cell = r[pos[f]]
                if f in ("txval", "cess", "val") or (f in ("iamt", "camt", "samt") and "tax-head-swapped" not in codes):
                    want = "diff_amount"
                elif f in ("iamt", "camt", "samt"):
                    want = "diff_taxhead"
                elif f == "doc_date":
                    want = "diff_date"
                else:
                    continue
                assert _hex(cell) == COLOURS[want].upper(), (sec.sheet, cell.coordinate, f)
                assert cell.comment is not None and cell.comment.text.startswith("Books: ")
                assert cell.comment.text.split("Books: ")[1].split(" (")[0] == d["books"][f]
                checked[want] += 1
            if d["status"] == "Missing in books":
                assert _hex(r[pos["doc_no"]]) == COLOURS["missing"].upper()
                checked["missing"] += 1
    # the sample register carries every perturbation, so each colour kind must occur
    assert all(v > 0 for v in checked.values()), checked


def test_matches_csv_has_exact_columns_and_one_row_per_record(job):
    with open(job / "matches.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == list(MATCHES_COLUMNS)
    body = rows[1:]
    ims_rows = [r for r in body if r[0]]
    books_only = [r for r in body if not r[0]]
    assert len(ims_rows) == 300
    assert all(r[5] in ("Missing in IMS", "Duplicate in books") for r in books_only)
    assert all(r[5] in STATUSES for r in body)
    paired = [r[4] for r in ims_rows if r[4]]
    assert len(paired) == len(set(paired)), "a books row is paired twice"


def test_missing_in_ims_sheet_lists_every_unpaired_books_row(job):
    wb = openpyxl.load_workbook(job / "review.xlsx")
    with open(job / "matches.csv", newline="", encoding="utf-8") as f:
        only = {int(r["books_row"]) for r in csv.DictReader(f) if not r["section"]}
    ws = wb["Missing in IMS"]
    listed = {int(r[0].value) for r in ws.iter_rows(min_row=2)}
    assert listed == only and only


def test_suppliers_sheet_is_ranked_by_itc_at_risk(job):
    ws = openpyxl.load_workbook(job / "review.xlsx")["Suppliers"]
    hdr = [c.value for c in ws[1]]
    risk = [r[hdr.index("ITC at risk")].value for r in ws.iter_rows(min_row=2)]
    assert risk == sorted(risk, reverse=True) and risk[0] > 0


def test_summary_has_gstr2b_preview_and_status_table(job):
    ws = openpyxl.load_workbook(job / "review.xlsx")["Summary"]
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "ITC that flows to GSTR-2B (Accepted + No Action)" in texts
    assert "Match status" in texts and "Matched" in texts


def test_apply_suggestions_never_overwrites_typed_actions_nor_sets_blocked_pending(job, tmp_path):
    src = job / "review.xlsx"
    wb = openpyxl.load_workbook(src)
    typed = {}
    for sec in SECTIONS:
        hdr, rows = _sheet_rows(wb[sec.sheet])
        ja, jref = hdr.index("Action"), hdr.index("IMS ref (do not edit)")
        for r in rows[:3]:
            r[ja].value = "Reject"
            typed[r[jref].value] = "Reject"
    p = tmp_path / "r.xlsx"
    wb.save(p)
    assert main(["apply-suggestions", str(p)]) == 0
    wb = openpyxl.load_workbook(p)
    applied = 0
    for sec in SECTIONS:
        hdr, rows = _sheet_rows(wb[sec.sheet])
        ja, jref = hdr.index("Action"), hdr.index("IMS ref (do not edit)")
        js, jpb = hdr.index("Suggested action"), hdr.index("Pending blocked")
        jprev = hdr.index("Previous status")
        for r in rows:
            ref = r[jref].value
            if ref in typed:
                assert r[ja].value == "Reject"
            if r[ja].value == "Pending" and r[jprev].value != "Pending":
                assert r[jpb].value == "No"
            if r[js].value and r[ja].value == r[js].value and r[jprev].value == "No Action":
                applied += 1
            assert not (r[js].value == "Reject" and r[ja].value == "Reject" and ref not in typed)
    assert applied > 0
    assert main(["validate", str(p)]) in (0, 1)


def test_apply_suggestions_keeps_typed_actions_it_does_not_understand(job, tmp_path, capsys):
    """A typo ("Rejct"), a word ims-xl does not know ("Hold") or a decorated word is still
    the accountant's: validate names it (action-unknown); a suggestion must not replace it
    (a meant Reject would become Accept)."""
    wb = openpyxl.load_workbook(job / "review.xlsx")
    words = ["Rejct", "Hold", "Reject.", "Accept \u2713"]
    typed = {}
    for sec in SECTIONS:
        hdr, rows = _sheet_rows(wb[sec.sheet])
        ja, jref, js = hdr.index("Action"), hdr.index("IMS ref (do not edit)"), hdr.index("Suggested action")
        for r in rows:
            if r[js].value == "Accept" and r[ja].value in (None, "", "No Action") and len(typed) < len(words):
                r[ja].value = words[len(typed)]
                typed[r[jref].value] = r[ja].value
    assert len(typed) == len(words), "the sample lost its suggested Accepts"
    p = tmp_path / "r.xlsx"
    wb.save(p)
    assert main(["apply-suggestions", str(p)]) == 0
    wb = openpyxl.load_workbook(p)
    seen = {}
    for sec in SECTIONS:
        hdr, rows = _sheet_rows(wb[sec.sheet])
        ja, jref = hdr.index("Action"), hdr.index("IMS ref (do not edit)")
        seen.update({r[jref].value: r[ja].value for r in rows if r[jref].value in typed})
    assert seen == typed
    capsys.readouterr()
    assert main(["validate", str(p), "--dry-run"]) == 1
    assert capsys.readouterr().out.count("action-unknown") >= len(words)


def test_run_writes_review_matches_and_upload(tmp_path):
    data = generate_download(records=120, seed=3)
    write_download(tmp_path / "ims.json", data)
    grid, _ = generate_register(data, 3)
    write_register_csv(tmp_path / "reg.csv", grid)
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "ims.json"), "--books", str(tmp_path / "reg.csv"),
                 "--out-dir", str(out), "--apply-suggestions"]) == 0
    up = json.loads((out / "upload.json").read_text(encoding="utf-8"))
    assert up["reqtyp"] == "SAVE" and up["invdata"]
    assert all(rec["action"] in ("A", "P") for recs in up["invdata"].values() for rec in recs)
    assert (out / "matches.csv").exists() and (out / "review.xlsx").exists()


def _pending_places(path: Path) -> tuple[set[str], set[str]]:
    """(each section-sheet row whose Action reads Pending, each Ageing row's Where) of a
    workbook, as openpyxl reads them: "B2B row 7"."""
    wb = openpyxl.load_workbook(path, read_only=True)
    pending = set()
    for sec in SECTIONS:
        rows = list(wb[sec.sheet].iter_rows(values_only=True))
        ja = rows[0].index("Action")
        pending |= {f"{sec.sheet} row {k}" for k, r in enumerate(rows[1:], start=2) if r[ja] == "Pending"}
    ageing = list(wb["Ageing"].iter_rows(values_only=True))
    jw, ji = ageing[0].index("Where"), ageing[0].index("Item")
    listed = {r[jw] for r in ageing[1:] if r[ji] == "IMS record kept Pending"}
    return pending, listed


def test_the_ageing_sheet_lists_the_records_a_suggestion_set_to_pending(tmp_path, job):
    """A suggestion applied that sets Pending makes an open item: the Ageing sheet of the
    workbook written lists it (README "Ageing": every open item), with `run` as with
    `apply-suggestions` (it was built before the suggestions were applied, and listed only
    the records downloaded Pending)."""
    data = generate_download(records=300, seed=11)
    write_download(tmp_path / "ims.json", data)
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "ims.json"), "--books", str(job / "register.csv"),
                 "--out-dir", str(out), "--apply-suggestions"]) in (0, 1)
    downloaded = sum(r.get("action") == "P" for recs in data["imsDetails"].values() for r in recs)
    pending, listed = _pending_places(out / "review.xlsx")
    assert len(pending) > downloaded  # suggestions set some records Pending
    assert listed == pending
    p = tmp_path / "r.xlsx"
    p.write_bytes((job / "review.xlsx").read_bytes())
    assert main(["apply-suggestions", str(p)]) == 0
    pending, listed = _pending_places(p)
    assert len(pending) > downloaded and listed == pending


def test_run_applying_suggestions_on_a_month_no_supplier_reported_anything(tmp_path, job, capsys):
    """An empty download (no supplier reported anything this month) with books: the job
    runs through (it said "run Reconcile with books first" and wrote nothing, though it had
    just reconciled); the books documents are all Missing in IMS."""
    (tmp_path / "e.json").write_text(json.dumps({"rtin": "27BZYCE1034I1ZX", "imsDetails": {}}), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "e.json"), "--books", str(job / "register.csv"),
                 "--out-dir", str(out), "--apply-suggestions"]) == 0
    said = capsys.readouterr().out
    assert "Applied 0 suggested action(s)" in said and "Reconcile with books first" not in said
    with open(out / "matches.csv", newline="", encoding="utf-8") as f:
        statuses = {r["status"] for r in csv.DictReader(f)}
    assert statuses == {"Missing in IMS"} or statuses == {"Missing in IMS", "Duplicate in books"}
    assert json.loads((out / "upload.json").read_text(encoding="utf-8"))["invdata"] == {}


def test_bad_register_is_refused_and_nothing_written(tmp_path, capsys):
    data = generate_download(records=30, seed=5)
    write_download(tmp_path / "ims.json", data)
    assert main(["import", str(tmp_path / "ims.json"), "--out", str(tmp_path / "r.xlsx")]) == 0
    before = (tmp_path / "r.xlsx").read_bytes()
    (tmp_path / "bad.csv").write_text("Party,Amount\nAcme Traders,abc\n", encoding="utf-8")
    rc = main(["reconcile", str(tmp_path / "r.xlsx"), "--books", str(tmp_path / "bad.csv"),
               "--matches", str(tmp_path / "m.csv")])
    err = capsys.readouterr().err
    assert rc == 2 and "bad.csv" in err and "Traceback" not in err
    assert (tmp_path / "r.xlsx").read_bytes() == before
    assert not (tmp_path / "m.csv").exists()


def test_reconcile_without_books_uses_the_books_sheet(job, tmp_path):
    # the Books sheet now holds the register reconcile read; reconciling again from it
    # must give the same statuses
    p = tmp_path / "again.xlsx"
    p.write_bytes((job / "review.xlsx").read_bytes())
    assert main(["reconcile", str(p), "--matches", str(tmp_path / "m2.csv")]) == 0
    a = (job / "matches.csv").read_text(encoding="utf-8").splitlines()
    b = (tmp_path / "m2.csv").read_text(encoding="utf-8").splitlines()
    assert [r.split(",")[5] for r in a] == [r.split(",")[5] for r in b]


def test_sections_sheets_keep_order(job):
    wb = openpyxl.load_workbook(job / "review.xlsx")
    names = wb.sheetnames
    idx = [names.index(s.sheet) for s in SECTIONS]
    assert idx == sorted(idx)
    assert SECTION_BY_SHEET["B2B"].key == "b2b"


def test_a_reconcile_that_writes_no_matches_csv_makes_the_same_workbook(tmp_path) -> None:
    """The matches table is built only for a caller that writes it (``--matches``, run's
    matches.csv): without it, the same book, and no table."""
    import pandas as pd
    from ims_xl import actions
    from ims_xl.files.xlsx import read_review
    data = generate_download(records=120, seed=5)
    write_download(tmp_path / "ims.json", data)
    grid, _ = generate_register(data, 5)
    write_register_csv(tmp_path / "register.csv", grid)
    assert main(["import", str(tmp_path / "ims.json"), "--out", str(tmp_path / "review.xlsx")]) == 0
    book = read_review(tmp_path / "review.xlsx")
    files = [actions.RegisterFile(grid, "register.csv")]
    full = actions.reconcile(book, files)
    lean = actions.reconcile(book, files, matches=False)
    assert lean.table is None and list(full.table.columns) == list(MATCHES_COLUMNS) and len(full.table) >= 120
    pd.testing.assert_frame_equal(lean.book.rows, full.book.rows)
    assert lean.book.books == full.book.books and lean.book.reports == full.book.reports
    assert lean.messages == full.messages


_DEEP = "[" * 16_000 + "]" * 16_000  # fits in a cell (32,767 characters), too deep for json.loads


@pytest.mark.parametrize("detail", ["5", "[1, 2]", '"x"', '{"books": 5, "fields": 7}',
                                    '{"fields": [["val"]], "codes": [{}]}', '{"fields": ["val"], "books": [1]}',
                                    _DEEP, "not json", '{"fields": ["val"], "books": {"val": NaN}}',
                                    '{"fields": ["val"], "row": 1e999}', "\ufeff{}"])
def test_a_hidden_match_detail_pasted_over_only_loses_its_colours(job, tmp_path, capsys, detail) -> None:
    """The hidden match-detail cell of a reconciled record, edited by hand or pasted over:
    validate read it as a detail and failed with an internal error (AttributeError,
    TypeError, RecursionError); now that record's cells go uncoloured, nothing else changes."""
    src = tmp_path / "review.xlsx"
    wb = openpyxl.load_workbook(job / "review.xlsx")
    ws = wb["B2B"]
    head = {c.value: c.column for c in ws[1]}
    ws.cell(2, head["Match detail (ims-xl)"]).value = detail
    wb.save(src)
    capsys.readouterr()
    assert main(["validate", str(src)]) in (0, 1)
    err = capsys.readouterr().err
    assert "internal error" not in err and "Traceback" not in err, err
    assert openpyxl.load_workbook(src)["B2B"].cell(2, head["Match detail (ims-xl)"]).value == detail


def test_a_hidden_books_blocks_fact_nested_too_deeply_reads_the_books_sheet_as_one_block(job, tmp_path, capsys) -> None:
    src = tmp_path / "review.xlsx"
    wb = openpyxl.load_workbook(job / "review.xlsx")
    ws = wb["_ims_meta"]
    rows = [r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "books_blocks"]
    assert rows
    ws.cell(rows[0], 2).value = _DEEP
    wb.save(src)
    capsys.readouterr()
    assert main(["reconcile", str(src)]) == 0
    assert "internal error" not in capsys.readouterr().err
