"""Documents the matcher must keep apart, through the command line: numbers restart every
financial year (CGST rule 46(b) asks a number unique for the year only), so the same
supplier's invoice ``1`` of two years, or ``INV/24-25/001`` and ``INV/25-26/001``, are two
documents; and a books note's "Original Invoice Number" is the invoice it was issued
against, never the note itself. Each case was an Accept suggested (and applied) on a
document the books do not hold, or a genuine invoice marked "reject after confirming".
The register has the columns of the sample register (Tally-style headers)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from conftest import run

RTIN = "32AMUCK0792C1ZT"
SUP = "32ACHCM1487R1ZS"
HEADER = ["Party GSTIN", "Supplier Name", "Bill No", "Bill Date", "Document Type", "POS", "Taxable Amount",
          "IGST", "CGST", "SGST/UTGST", "Cess Amount", "Total Amount", "Original Invoice Number"]


def _rec(num: str, date: str, txval: int = 10000, key: str = "inum", kind_date: str = "idt", **kw) -> dict:
    tax = txval * 9 // 100
    r = {"stin": SUP, "tradenm": "SUPP ACHCM", key: num, "inv_typ": "R", kind_date: date, "val": txval + 2 * tax,
         "action": "N", "pos": "32", "txval": txval, "iamt": 0, "camt": tax, "samt": tax, "cess": 0,
         "srcform": "R1", "rtnprd": "102025", "srcfilstatus": "Filed", "ispendactblocked": "N", "isRemarksBlocked": "N"}
    r.update(kw)
    return r


def _book(num: str, date: str, txval: int = 10000, kind: str = "Invoice", orig: str = "") -> list[object]:
    tax = txval * 9 // 100
    return [SUP, "SUPP ACHCM", num, date, kind, "32", txval, 0, tax, tax, 0, txval + 2 * tax, orig]


def _job(tmp: Path, sections: dict, books: list[list[object]]) -> dict[str, dict]:
    """import + reconcile + apply-suggestions; the matches.csv row of each IMS number and
    each books-only number."""
    (tmp / "ims.json").write_text(json.dumps({"rtin": RTIN, "imsDetails": sections}), encoding="utf-8")
    with open(tmp / "books.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([HEADER, *books])
    wb = tmp / "r.xlsx"
    assert run("import", tmp / "ims.json", "--out", wb) == 0
    assert run("reconcile", wb, "--books", tmp / "books.csv", "--matches", tmp / "m.csv") == 0
    with open(tmp / "m.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    if any(r["suggested_action"] for r in rows):  # (the command refuses a workbook with none)
        assert run("apply-suggestions", wb) == 0
    return {(r["doc_no"] if r["section"] else "books " + r["doc_no"]).lstrip("'"): r for r in rows}


def test_two_financial_years_tokens_are_two_documents(tmp_path):
    got = _job(tmp_path, {"b2b": [_rec("INV/25-26/001", "01-04-2025")]}, [_book("INV/24-25/001", "30/03/2025")])
    assert got["INV/25-26/001"]["status"] == "Missing in books", got
    assert got["INV/25-26/001"]["suggested_action"] != "Accept"
    assert got["books INV/24-25/001"]["status"] == "Missing in IMS"


def test_a_serial_that_looks_like_a_year_pair_is_not_another_years(tmp_path):
    """BR1/2122 and BR1/2021 both read as 'BR1' plus a year pair, of different years: apart.
    1/2122 beside FY25-26/1/2122 shares its 2122 with the other side: still one document."""
    got = _job(tmp_path, {"b2b": [_rec("BR1/2122", "15-10-2025"), _rec("1/2122", "16-10-2025", 20000)]},
               [_book("BR1/2021", "14/10/2025"), _book("FY25-26/1/2122", "16/10/2025", 20000)])
    assert got["BR1/2122"]["status"] == "Missing in books", got
    assert got["1/2122"]["status"] in ("Matched", "Matched within tolerance"), got


def test_a_number_reused_a_year_later_is_no_duplicate(tmp_path):
    """The supplier's rent invoice 1 of 2024 (filed late, still claimable) and invoice 1 of
    2025: two documents, not a 'Duplicate in IMS' to reject; likewise in the books."""
    a, b = tmp_path / "ims_side", tmp_path / "books_side"
    a.mkdir(), b.mkdir()
    _job(a, {"b2b": [_rec("1", "05-05-2024"), _rec("1", "05-05-2025")]}, [_book("1", "05/05/2025")])
    with open(a / "m.csv", encoding="utf-8", newline="") as f:
        ims = sorted((r["doc_date"][-4:], r["status"], r["reasons"]) for r in csv.DictReader(f) if r["section"])
    assert [s for _, s, _ in ims] == ["Missing in books", "Matched"], ims
    assert "reject" not in ims[0][2].lower()
    _job(b, {"b2b": [_rec("1", "05-05-2025")]}, [_book("1", "05/05/2025"), _book("1", "05/05/2024")])
    with open(b / "m.csv", encoding="utf-8", newline="") as f:
        books = sorted((r["doc_date"], r["status"]) for r in csv.DictReader(f) if not r["section"])
    assert books == [("05-05-2024", "Missing in IMS")], books


def test_a_books_notes_original_invoice_number_is_not_the_note(tmp_path):
    """IMS holds credit note 45 (not booked); the books hold credit note CN-12 issued against
    invoice 45. Pairing them suggested Accept on a note the books do not have and hid CN-12
    from the Missing in IMS chase."""
    got = _job(tmp_path, {"b2bcn": [_rec("45", "08-10-2025", 2000, key="nt_num", kind_date="nt_dt")]},
               [_book("CN-12", "08/10/2025", -2000, "Credit Note", "45")])
    # (paired by amounts alone it may be "Suggested": a pair to confirm, never an Accept)
    assert got["45"]["status"] in ("Missing in books", "Suggested"), got
    assert got["45"]["suggested_action"] != "Accept"


def test_an_amended_credit_notes_accept_waits_for_the_itc_answer(tmp_path):
    """An amended credit note matched in the books is suggested Accept, but apply-suggestions
    leaves it at No Action: the reduction already taken on the original note is not the
    amended note's full tax, so the ITC answer is the accountant's (README, Suggested
    actions). An original credit note is accepted with Yes, its full tax."""
    from conftest import SUP_MH, cell, record, write_json
    src = write_json(tmp_path / "ims.json", {"rtin": "27AAPFU0939F1ZV", "imsDetails": {
        "b2bcna": [record("b2bcna", 1)], "b2bcn": [record("b2bcn", 2)]}})
    with open(tmp_path / "books.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([HEADER, [SUP_MH, "S", "CNA-1", "15/10/2025", "Credit Note", "27", 1000, 0, 90, 90,
                                          0, 1180, "OCNA-1"],
                                 [SUP_MH, "S", "CN-2", "15/10/2025", "Credit Note", "27", 1000, 0, 90, 90, 0, 1180, ""]])
    wb = tmp_path / "r.xlsx"
    assert run("import", src, "--out", wb) == 0
    assert run("reconcile", wb, "--books", tmp_path / "books.csv") == 0
    assert cell(wb, "B2B-CNA", "CNA-1", "Suggested action") == "Accept"
    assert run("apply-suggestions", wb) == 0
    assert (cell(wb, "B2B-CNA", "CNA-1", "Action"), cell(wb, "B2B-CNA", "CNA-1", "Whether ITC to be reduced")) \
        in (("No Action", None), (None, None))
    assert (cell(wb, "B2B-CN", "CN-2", "Action"), cell(wb, "B2B-CN", "CN-2", "Whether ITC to be reduced")) \
        == ("Accept", "Yes")
