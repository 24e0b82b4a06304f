"""Re-import when a record key repeats (README, "Re-import without losing work").

Suppliers restart their numbering every financial year (rule 46(b) of the CGST Rules asks
only for a number unique for the year), so IMS can list the same supplier's ``INV-1`` of
March 2025 and of October 2025. The ``#2`` a download gives the second of them follows the
file's order, which changes between downloads: the accountant's work must follow the
document (return period, date, then taxes), and so must the upload.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl

from conftest import (RTIN, apply_edits, download, export, header_map, import_new, record, removed_sheet, run,
                      write_json)

MARCH = dict(rtnprd="032025", idt="05-03-2025")                       # last year's INV-1
SEPT = dict(rtnprd="092025", idt="10-09-2025")
OCT = dict(rtnprd="102025", idt="05-10-2025", val=5900, txval=5000, camt=450, samt=450)


def inv(n: int = 1, **over) -> dict:
    return record("b2b", n, **over)


def reimport(tmp_path: Path, wb: Path, recs: list[dict], capsys, name: str) -> str:
    src = write_json(tmp_path / name, download({"b2b": recs}, rtin=RTIN))
    capsys.readouterr()
    assert run("import", src, "--into", wb) == 0
    return capsys.readouterr().out


def b2b_rows(wb: Path) -> list[dict]:
    """Every B2B row: its Excel row and the cells the tests look at."""
    ws = openpyxl.load_workbook(wb)["B2B"]
    hm = header_map(ws)
    cols = ("Invoice number", "Source return period", "Invoice value", "Action", "Remarks", "Re-import note")
    return [{"row": r, **{c: ws.cell(r, hm[c]).value for c in cols}}
            for r in range(2, ws.max_row + 1) if ws.cell(r, hm["Invoice number"]).value is not None]


def row_of(wb: Path, doc_no: str, period: str) -> dict:
    hits = [r for r in b2b_rows(wb) if r["Invoice number"] == doc_no and r["Source return period"] == period]
    assert len(hits) == 1, (doc_no, period, b2b_rows(wb))
    return hits[0]


def type_work(wb: Path, doc_no: str, period: str, **cells: str) -> None:
    r = row_of(wb, doc_no, period)["row"]
    apply_edits(wb, [{"sheet": "B2B", "row": r, "column": c, "value": v} for c, v in cells.items()])


def uploaded(tmp_path: Path, wb: Path) -> dict[tuple[str, str], tuple]:
    """(document number, return period) -> (action, remarks) of each uploaded B2B record."""
    rc, up = export(wb, tmp_path / "upload.json")
    assert rc == 0 and up is not None
    recs = up["invdata"].get("b2b", [])
    out = {(r["inum"], r["rtnprd"]): (r["action"], r.get("remarks")) for r in recs}
    assert len(out) == len(recs)
    return out


def test_last_years_invoice_listed_first_does_not_take_this_years_work(tmp_path: Path, capsys) -> None:
    wb = import_new(tmp_path, download({"b2b": [inv(**OCT)]}, rtin=RTIN))
    type_work(wb, "INV-1", "102025", Action="Reject", Remarks="goods returned")
    out = reimport(tmp_path, wb, [inv(**MARCH), inv(**OCT)], capsys, "d2.json")
    assert "1 new, 0 changed, 1 unchanged, 0 no longer in the download" in out
    octo, march = row_of(wb, "INV-1", "102025"), row_of(wb, "INV-1", "032025")
    assert (octo["Action"], octo["Remarks"], octo["Re-import note"]) == ("Reject", "goods returned", None)
    assert (march["Action"], march["Remarks"], march["Re-import note"]) == ("No Action", None, None)
    assert octo["row"] == 2 and march["row"] == 3      # the reviewed row keeps its place
    assert uploaded(tmp_path, wb) == {("INV-1", "102025"): ("R", "goods returned")}


def test_repeated_key_listed_in_another_order_keeps_each_documents_work(tmp_path: Path, capsys) -> None:
    sept, octo, other = inv(**SEPT), inv(**OCT), inv(2)
    wb = import_new(tmp_path, download({"b2b": [sept, octo, other]}, rtin=RTIN))
    type_work(wb, "INV-1", "092025", Action="Accept")
    type_work(wb, "INV-1", "102025", Action="Reject", Remarks="not ours (Oct)")
    out = reimport(tmp_path, wb, [octo, sept, other], capsys, "d2.json")
    assert "0 new, 0 changed, 3 unchanged, 0 no longer in the download; your entries kept on 2 records" in out
    assert "Changed by the supplier" not in out
    s, o = row_of(wb, "INV-1", "092025"), row_of(wb, "INV-1", "102025")
    assert (s["Action"], s["Remarks"], s["Re-import note"], s["row"]) == ("Accept", None, None, 2)
    assert (o["Action"], o["Remarks"], o["Re-import note"], o["row"]) == ("Reject", "not ours (Oct)", None, 3)
    assert uploaded(tmp_path, wb) == {("INV-1", "092025"): ("A", None),
                                      ("INV-1", "102025"): ("R", "not ours (Oct)")}


def test_repeated_key_one_gone_parks_its_work_and_the_survivor_keeps_its_own(tmp_path: Path, capsys) -> None:
    sept, octo = inv(**SEPT), inv(**OCT, srcform="R1A")
    wb = import_new(tmp_path, download({"b2b": [sept, octo]}, rtin=RTIN))
    type_work(wb, "INV-1", "092025", Action="Accept")
    type_work(wb, "INV-1", "102025", Action="Reject", Remarks="R1A copy, reject")
    out = reimport(tmp_path, wb, [octo], capsys, "d2.json")
    assert "0 new, 0 changed, 1 unchanged, 1 no longer in the download" in out
    assert "Changed by the supplier" not in out
    o = row_of(wb, "INV-1", "102025")
    assert (o["Action"], o["Remarks"], o["Re-import note"]) == ("Reject", "R1A copy, reject", None)
    removed = removed_sheet(wb)
    assert [(r["Document number"], r["Document date"], r["Your action"], r["Your remarks"]) for r in removed] == \
        [("INV-1", "10-09-2025", "Accept", None)]
    assert uploaded(tmp_path, wb) == {("INV-1", "102025"): ("R", "R1A copy, reject")}
    # the September invoice comes back, listed after October's: its own work returns to it
    out = reimport(tmp_path, wb, [octo, sept], capsys, "d3.json")
    assert "Back in the download: your entries restored from 'Removed records': 1" in out
    s = row_of(wb, "INV-1", "092025")
    assert s["Action"] == "Accept" and "Back in the download" in s["Re-import note"]
    assert row_of(wb, "INV-1", "102025")["Action"] == "Reject"
    assert removed_sheet(wb) == []
    assert uploaded(tmp_path, wb) == {("INV-1", "092025"): ("A", None),
                                      ("INV-1", "102025"): ("R", "R1A copy, reject")}


def test_parked_work_of_a_repeated_key_returns_only_to_its_own_document(tmp_path: Path, capsys) -> None:
    march, octo, other = inv(**MARCH), inv(**OCT), inv(2)
    wb = import_new(tmp_path, download({"b2b": [march, octo, other]}, rtin=RTIN))
    type_work(wb, "INV-1", "032025", Action="Accept", Remarks="March: received")
    type_work(wb, "INV-1", "102025", Action="Reject", Remarks="October: not ours")
    reimport(tmp_path, wb, [other], capsys, "d2.json")          # both withdrawn
    assert sorted(r["Your remarks"] for r in removed_sheet(wb)) == ["March: received", "October: not ours"]
    out = reimport(tmp_path, wb, [other, octo], capsys, "d3.json")   # October's filed again
    assert "Back in the download: your entries restored from 'Removed records': 1" in out
    o = row_of(wb, "INV-1", "102025")
    assert (o["Action"], o["Remarks"]) == ("Reject", "October: not ours")
    # March's entries stay parked: not dropped, not given to October's invoice
    assert [(r["Document date"], r["Your action"], r["Your remarks"]) for r in removed_sheet(wb)] == \
        [("05-03-2025", "Accept", "March: received")]
    assert uploaded(tmp_path, wb) == {("INV-1", "102025"): ("R", "October: not ours")}


def test_same_date_and_period_are_told_apart_by_their_taxes(tmp_path: Path, capsys) -> None:
    small = inv(**SEPT)
    big = inv(**SEPT, val=2360, txval=2000, camt=180, samt=180, srcform="R1A")
    wb = import_new(tmp_path, download({"b2b": [small, big]}, rtin=RTIN))
    # one upload identity (key and period): one action for both (check_duplicates), own remarks
    apply_edits(wb, [e for r in b2b_rows(wb) for e in (
        {"sheet": "B2B", "row": r["row"], "column": "Action", "value": "Reject"},
        {"sheet": "B2B", "row": r["row"], "column": "Remarks", "value": f"copy of {int(r['Invoice value'])}"})])
    out = reimport(tmp_path, wb, [big, small], capsys, "d2.json")
    assert "0 changed, 2 unchanged" in out
    assert {r["Invoice value"]: (r["Action"], r["Remarks"], r["Re-import note"]) for r in b2b_rows(wb)} == \
        {1180: ("Reject", "copy of 1180", None), 2360: ("Reject", "copy of 2360", None)}
    rc, up = export(wb, tmp_path / "upload.json")
    assert rc == 0
    # the portal holds one record per identity: the upload sends the first listed (upload_plan)
    assert [(r["val"], r["action"], r["remarks"]) for r in up["invdata"]["b2b"]] == [(2360, "R", "copy of 2360")]


def test_records_alike_in_every_fact_follow_their_order_after_a_new_repeat(tmp_path: Path, capsys) -> None:
    first, second = inv(**SEPT, hash="aa" * 32), inv(**SEPT, hash="bb" * 32)   # alike but for the hash
    wb = import_new(tmp_path, download({"b2b": [first, second]}, rtin=RTIN))
    rows = b2b_rows(wb)
    apply_edits(wb, [{"sheet": "B2B", "row": rows[0]["row"], "column": "Action", "value": "Reject"},
                     {"sheet": "B2B", "row": rows[0]["row"], "column": "Remarks", "value": "first copy"},
                     {"sheet": "B2B", "row": rows[1]["row"], "column": "Action", "value": "Reject"},
                     {"sheet": "B2B", "row": rows[1]["row"], "column": "Remarks", "value": "second copy"}])
    out = reimport(tmp_path, wb, [inv(**MARCH), first, second], capsys, "d2.json")
    assert "1 new, 0 changed, 2 unchanged" in out
    assert [(r["Source return period"], r["Action"], r["Remarks"]) for r in b2b_rows(wb)] == \
        [("092025", "Reject", "first copy"), ("092025", "Reject", "second copy"), ("032025", "No Action", None)]
    rc, up = export(wb, tmp_path / "upload.json")
    assert rc == 0
    # one identity (key and period), sent once from the first listed (upload_plan)
    assert [(r["rtnprd"], r["action"], r.get("remarks")) for r in up["invdata"]["b2b"]] == \
        [("092025", "R", "first copy")]


def log_rows(wb: Path) -> list[tuple]:
    """(document number, old action, new action, source) of every Log row."""
    ws = openpyxl.load_workbook(wb)["Log"]
    hm = header_map(ws)
    return [tuple(ws.cell(r, hm[c]).value for c in ("Document number", "Old action", "New action", "Source"))
            for r in range(2, ws.max_row + 1)]


def test_a_repeated_key_listed_in_another_order_logs_no_change_of_action(tmp_path: Path, capsys) -> None:
    """The Log is the accountant's audit trail: a re-import that moved no action must not
    record September's Accept as changed to Reject because the download listed October first
    (the ``#2`` follows file order; the merge pairs by period, date and taxes, and so must the Log)."""
    sept, octo, other = inv(**SEPT), inv(**OCT), inv(2)
    wb = import_new(tmp_path, download({"b2b": [sept, octo, other]}, rtin=RTIN))
    type_work(wb, "INV-1", "092025", Action="Accept")
    type_work(wb, "INV-1", "102025", Action="Reject")
    reimport(tmp_path, wb, [octo, sept, other], capsys, "d2.json")
    rows = log_rows(wb)
    assert sorted(r[1:] for r in rows if r[3] == "typed") == [("No Action", "Accept", "typed"),
                                                              ("No Action", "Reject", "typed")]
    assert [r for r in rows if r[3] == "re-import"] == []
    # a real change of portal status is still logged (the untyped INV-2 rejected on the
    # portal), with the repeated key listed in the first order again
    # (the same keys on both sides, each naming the other year's document this time)
    reimport(tmp_path, wb, [sept, octo, {**other, "action": "R"}], capsys, "d3.json")
    assert [r for r in log_rows(wb) if r[3] == "re-import"] == [("INV-2", "No Action", "Reject", "re-import")]
    # and the Log's last word on each document is still the accountant's: nothing was typed since
    assert [r for r in log_rows(wb) if r[3] == "typed"] == [("INV-1", "No Action", "Accept", "typed"),
                                                            ("INV-1", "No Action", "Reject", "typed")]


def test_a_repeated_keys_occurrences_are_counted_by_period_then_date_in_any_file_order() -> None:
    """The key a record has is the same whatever order the portal lists the documents in (the
    Log and carry-forward follow records by key), counted by return period, then date."""
    from ims_xl.formats.ims_json import build_records
    from ims_xl.model import SECTION_BY_KEY
    sec = SECTION_BY_KEY["b2b"]
    docs = [inv(**OCT), inv(**MARCH), inv(**SEPT), inv(2), inv(**{**OCT, "idt": "01-10-2025"})]
    keyed = {}
    for order in ([0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [2, 0, 4, 1, 3]):
        df, _, _ = build_records([(sec, docs[i]) for i in order], "x.json")
        keyed[tuple(order)] = {(p, d): k for p, d, k in zip(df["rtnprd"], df["doc_date"], df["key"])}
    assert len({tuple(sorted(v.items())) for v in keyed.values()}) == 1
    k = next(iter(keyed.values()))
    base = f"b2b|{docs[0]['stin']}|INV-1"
    assert [k[("032025", "05-03-2025")], k[("092025", "10-09-2025")], k[("102025", "01-10-2025")],
            k[("102025", "05-10-2025")]] == [base, base + "#2", base + "#3", base + "#4"]
