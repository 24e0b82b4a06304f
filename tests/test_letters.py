"""Supplier follow-up letters: the core (review/letters) on books reconciled through the real
CLI and on books built in memory, and the file shell (files/letters) read back with openpyxl
and the standard library's e-mail parser (independent readers)."""

from __future__ import annotations

import csv
import email.parser
import email.policy
import io
import re
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest

from conftest import (RTIN, SUP_GJ, SUP_KA, SUP_MH, apply_edits, download, gstin, import_new, record, run,
                      typed_book, unsafe_cells)
from ims_xl.errors import InputError
from ims_xl.files.letters import read_contacts, safe_file_name, write_letters
from ims_xl.files.xlsx import read_review
from ims_xl.review.letters import (DIFFERS, MISSING_IN_IMS, NOT_IN_BOOKS, PENDING, REJECT, STATEMENT_HEADER,
                                   eml_bytes, statement_grid, supplier_letters)

SUP_DL = gstin("07AAACR5055K1Z")   # a supplier only in the books
DL_NAME = "दिल्ली Traders ₹"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADS = ("txval", "iamt", "camt", "samt", "cess", "itc")


def parse_eml(path_or_bytes) -> email.message.EmailMessage:
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
    return email.parser.BytesParser(policy=email.policy.default).parsebytes(data)


def statement_rows(source) -> tuple[list[tuple], dict[str, dict], tuple]:
    """(title rows, {document number: item as a dict of header -> value}, total row) of a
    statement workbook read back with openpyxl."""
    wb = openpyxl.load_workbook(source)
    rows = list(wb.active.iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if r[0] == "What")
    assert list(rows[head][:len(STATEMENT_HEADER)]) == list(STATEMENT_HEADER)
    items = {}
    for r in rows[head + 1:-1]:
        d = dict(zip(STATEMENT_HEADER, r))
        assert d["Document number"] not in items
        items[d["Document number"]] = d
    return rows[:head], items, rows[-1]


# ---------------------------------------------------------------- a month reconciled for real

BOOKS_HEADER = ["Supplier GSTIN", "Supplier Name", "Invoice No", "Invoice Date", "Taxable Value", "IGST",
                "CGST", "SGST", "Cess", "Invoice Value"]

#: What each letter must hold: GSTIN -> {document number: (what, taxable, IGST, CGST, SGST,
#: cess, ITC at stake) in paise}.
EXPECTED: dict[str, dict[str, tuple]] = {
    SUP_MH: {"INV-2": (DIFFERS, 110000, 0, 9900, 9900, 0, 19800),
             "INV-5": (REJECT, 100000, 0, 9000, 9000, 0, 18000),
             "CN-1": (NOT_IN_BOOKS, 100000, 0, 9000, 9000, 0, -18000)},
    SUP_KA: {"INV-9": (MISSING_IN_IMS, 200000, 36000, 0, 0, 0, 36000),
             "INV-3": (PENDING, 100000, 18000, 0, 0, 0, 18000),
             "INV-4": (NOT_IN_BOOKS, 100000, 18000, 0, 0, 0, 18000)},
    SUP_DL: {"INV-77": (MISSING_IN_IMS, 500050, 90009, 0, 0, 0, 90009)},
}


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    """Import, type two actions, reconcile with a books CSV, read the workbook back, write the
    letters with a contacts file."""
    d = tmp_path_factory.mktemp("letters")
    recs = {"b2b": [record("b2b", 1), record("b2b", 2, txval=1100, val=1298, camt=99, samt=99),
                    record("b2b", 5),
                    record("b2b", 3, stin=SUP_KA), record("b2b", 4, stin=SUP_KA),
                    record("b2b", 7, stin=SUP_GJ), record("b2b", 8, stin=SUP_GJ)],
            "b2bcn": [record("b2bcn", 1)]}
    wb = import_new(d, download(recs, rtin=RTIN))
    apply_edits(wb, [
        {"sheet": "B2B", "doc_no": "INV-5", "column": "Action", "value": "Reject"},
        {"sheet": "B2B", "doc_no": "INV-5", "column": "Remarks", "value": "Goods returned"},
        {"sheet": "B2B", "doc_no": "INV-3", "column": "Action", "value": "Pending"},
        {"sheet": "B2B", "doc_no": "INV-3", "column": "Remarks", "value": "Awaiting delivery"},
        {"sheet": "B2B", "doc_no": "INV-8", "column": "Action", "value": "Accept"},
    ])
    with open(d / "books.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(BOOKS_HEADER)
        for stin, name, no, date, tx, ig, cg, sg, val in (
                (SUP_MH, "Supp MH", "INV-1", "15-10-2025", 1000, 0, 90, 90, 1180),
                (SUP_MH, "Supp MH", "INV-2", "15-10-2025", 1000, 0, 90, 90, 1180),
                (SUP_MH, "Supp MH", "INV-5", "15-10-2025", 1000, 0, 90, 90, 1180),
                (SUP_KA, "Supp KA", "INV-3", "15-10-2025", 1000, 180, 0, 0, 1180),
                (SUP_KA, "Supp KA", "INV-9", "16-10-2025", 2000, 360, 0, 0, 2360),
                (SUP_GJ, "Supp GJ", "INV-7", "15-10-2025", 1000, 180, 0, 0, 1180),
                (SUP_GJ, "Supp GJ", "INV-8", "15-10-2025", 1000, 180, 0, 0, 1180),
                (SUP_DL, DL_NAME, "INV-77", "17-10-2025", "5000.50", "900.09", 0, 0, "5900.59")):
            w.writerow([stin, name, no, date, tx, ig, cg, sg, 0, val])
    assert run("reconcile", wb, "--books", d / "books.csv") == 0
    with open(d / "suppliers.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Supplier GSTIN", "  E-Mail ID ", "Party Name"])
        w.writerow([SUP_KA, "ka@example.com", "KA Co"])
        w.writerow([SUP_DL.lower(), "dl@example.in; accounts@example.in", ""])
        w.writerow([SUP_GJ, "gj@example.com", "GJ Co"])
    book = read_review(wb)
    contacts = read_contacts(d / "suppliers.csv")
    letters = supplier_letters(book, contacts)
    paths = write_letters(letters, d / "letters", sender="Accounts <accounts@ourfirm.in>")
    return {"dir": d, "book": book, "contacts": contacts, "letters": letters, "paths": paths}


def test_one_letter_per_supplier_with_something_to_fix_largest_itc_first(month):
    letters = month["letters"]
    assert [lt.stin for lt in letters] == [SUP_DL, SUP_KA, SUP_MH]   # 900.09, 720.00, 198.00
    assert SUP_GJ not in {lt.stin for lt in letters}                 # all matched, nothing to fix
    assert not [p for p in month["paths"] if p.name.startswith(SUP_GJ)]
    assert len(month["paths"]) == 2 * len(letters)
    assert all(p.exists() for p in month["paths"])
    by = {lt.stin: lt for lt in letters}
    assert by[SUP_MH].name == "Supplier AABCS"       # the IMS trade name
    assert by[SUP_DL].name == DL_NAME                # from the books when IMS has none


def test_every_discrepancy_is_in_the_statement_with_exact_amounts(month):
    for lt in month["letters"]:
        want = EXPECTED[lt.stin]
        got = {it.doc_no: (it.what, it.txval, it.iamt, it.camt, it.samt, it.cess, it.itc) for it in lt.items}
        assert got == want, lt.stin
        # items by kind, then document number
        assert [it.what for it in lt.items] == sorted((it.what for it in lt.items),
                                                      key=[DIFFERS, MISSING_IN_IMS, REJECT, PENDING,
                                                           NOT_IN_BOOKS].index)
        assert lt.itc_at_stake == sum(it.itc for it in lt.items) == sum(w[-1] for w in want.values())
        xlsx = month["dir"] / "letters" / f"{safe_file_name(lt.stin + ' ' + lt.name)}.xlsx"
        titles, items, total = statement_rows(xlsx)
        assert set(items) == set(want)
        for doc, (what, *amounts) in want.items():
            row = items[doc]
            assert row["What"] == what
            assert [row[h] for h in STATEMENT_HEADER[6:12]] == [a / 100 for a in amounts], (lt.stin, doc)
        assert list(total[6:12]) == [sum(w[1 + k] for w in want.values()) / 100 for k in range(6)]
        assert ("ITC at stake (₹)", lt.itc_at_stake / 100) in [r[:2] for r in titles]
        assert ("GSTIN of supplier", lt.stin) in [r[:2] for r in titles]
        assert not unsafe_cells(xlsx)


def test_items_say_where_why_and_our_action(month):
    by = {lt.stin: {it.doc_no: it for it in lt.items} for lt in month["letters"]}
    rej = by[SUP_MH]["INV-5"]
    assert (rej.action, rej.reason, rej.sheet) == ("Reject", "Goods returned", "B2B")
    assert rej.where.startswith("B2B row ") and "Books row" in rej.where
    assert by[SUP_KA]["INV-3"].reason == "Awaiting delivery"
    assert "Taxable value" in by[SUP_MH]["INV-2"].reason                 # the match reasons
    assert by[SUP_MH]["CN-1"].doc_type == "Credit note"
    miss = by[SUP_KA]["INV-9"]
    assert miss.sheet == "" and miss.books_row == 6 and miss.where == "Books row 6" and miss.action == ""
    assert miss.doc_date == "16-10-2025"


def test_body_is_specific_and_polite(month):
    lt = next(x for x in month["letters"] if x.stin == SUP_KA)
    assert lt.body.startswith("Dear Supplier AAFCC,")
    assert "3 documents" in lt.body and "₹ 720.00" in lt.body
    assert "GSTR-1/IFF" in lt.body and "credit or debit note" in lt.body and "attached" in lt.body
    for it in lt.items:
        assert it.doc_no in lt.body
    big = next(x for x in month["letters"] if x.stin == SUP_DL)
    assert "₹ 900.09" in big.body and RTIN in big.body
    assert SUP_KA in lt.subject and "\n" not in lt.subject


def test_eml_is_a_draft_with_the_statement_attached(month):
    for lt in month["letters"]:
        stem = safe_file_name(lt.stin + " " + lt.name)
        xlsx = month["dir"] / "letters" / f"{stem}.xlsx"
        msg = parse_eml(month["dir"] / "letters" / f"{stem}.eml")
        assert msg["Subject"] == lt.subject
        assert msg["X-Unsent"] == "1"
        assert msg["From"].addresses[0].addr_spec == "accounts@ourfirm.in"
        atts = list(msg.iter_attachments())
        assert len(atts) == 1
        assert atts[0].get_content_type() == XLSX
        assert atts[0].get_filename() == f"{stem}.xlsx"
        data = atts[0].get_content()
        assert data == xlsx.read_bytes()
        assert statement_rows(io.BytesIO(data)) == statement_rows(xlsx)
        assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == lt.body
    to = {lt.stin: parse_eml(month["dir"] / "letters" / f"{safe_file_name(lt.stin + ' ' + lt.name)}.eml")["To"]
          for lt in month["letters"]}
    assert [a.addr_spec for a in to[SUP_KA].addresses] == ["ka@example.com"]
    assert [a.addr_spec for a in to[SUP_DL].addresses] == ["dl@example.in", "accounts@example.in"]
    assert to[SUP_MH] is None                      # not in the contacts: the accountant fills it


def test_letters_are_deterministic(month):
    again = supplier_letters(month["book"], month["contacts"])
    assert again == month["letters"]
    lt = again[0]
    assert eml_bytes(lt, b"x", "a.xlsx") == eml_bytes(lt, b"x", "a.xlsx")
    assert statement_grid(lt) == statement_grid(month["letters"][0])


# ---------------------------------------------------------------- books built in memory

def test_nothing_to_fix_gives_no_letter():
    book = typed_book({"b2b": [record("b2b", 1), record("b2b", 2, stin=SUP_KA)]},
                      {("b2b", "INV-1"): {"match_status": "Matched"},
                       ("b2b", "INV-2"): {"action_text": "Accept", "match_status": "Matched within tolerance"}})
    assert supplier_letters(book) == []
    # never reconciled (blank status): only the action counts
    assert supplier_letters(typed_book({"b2b": [record("b2b", 1)]})) == []
    rej = supplier_letters(typed_book({"b2b": [record("b2b", 1)]}, {("b2b", "INV-1"): {"action_text": "r"}}))
    assert [(lt.stin, [it.what for it in lt.items]) for lt in rej] == [(SUP_MH, [REJECT])]


def test_every_unmatched_status_is_listed_and_ties_go_by_gstin():
    statuses = ["Value mismatch", "Tax-head mismatch", "Date mismatch", "Suggested", "GSTIN mismatch (same PAN)",
                "Duplicate in IMS", "Missing in books"]
    recs = [record("b2b", i + 1, stin=SUP_KA) for i in range(len(statuses))]
    recs += [record("b2b", 20, stin=SUP_GJ)]
    typed = {("b2b", f"INV-{i + 1}"): {"match_status": s} for i, s in enumerate(statuses)}
    typed[("b2b", "INV-20")] = {"match_status": "Value mismatch", "action_text": "Pending"}
    typed[("b2b", "INV-4")]["match_reasons"] = "Number similar (95%), not equal: books 4, IMS INV-4; check before accepting"
    book = typed_book({"b2b": recs}, typed)
    letters = supplier_letters(book)
    ka = next(lt for lt in letters if lt.stin == SUP_KA)
    assert len(ka.items) == len(statuses)
    assert [it.what for it in ka.items] == [DIFFERS] * 6 + [NOT_IN_BOOKS]
    assert [it.doc_no for it in ka.items[:6]] == sorted(it.doc_no for it in ka.items[:6])
    # reconcile's advice to the accountant is not repeated to the supplier; a bare status is the reason
    reasons = {it.doc_no: it.reason for it in ka.items}
    assert reasons["INV-4"] == "Number similar (95%), not equal: books 4, IMS INV-4"
    assert reasons["INV-1"] == "Value mismatch"
    # equal ITC at stake: by GSTIN
    one = supplier_letters(typed_book({"b2b": [record("b2b", 1, stin=SUP_KA), record("b2b", 2, stin=SUP_GJ)]},
                                      {("b2b", "INV-1"): {"action_text": "Reject"},
                                       ("b2b", "INV-2"): {"action_text": "Reject"}}))
    assert [lt.stin for lt in one] == sorted([SUP_KA, SUP_GJ])
    gj = next(lt for lt in letters if lt.stin == SUP_GJ)
    assert gj.items[0].what == PENDING and gj.items[0].reason == "Value mismatch"


MISSING_HEADER = ["Books row", "Status", "GSTIN of supplier", "Supplier name", "Document type", "Document number",
                  "Document date", "Taxable value", "IGST", "CGST", "SGST", "Cess", "ITC", "Reasons"]


def test_missing_in_ims_report_read_by_header_duplicates_left_out():
    book = typed_book({"b2b": []})
    grid = [MISSING_HEADER,
            [4.0, "Missing in IMS", SUP_KA.lower(), "KA books", "Credit note", "BCN-1", "16-10-2025",
             1000.0, 180.0, 0.0, 0.0, 0.0, 180.0, "x"],
            [5.0, "Duplicate in books", SUP_KA, "KA books", "Invoice", "B-2", "16-10-2025",
             1000.0, 180.0, 0.0, 0.0, 0.0, 180.0, "Same document as books row 3"],
            [None] * 14]
    letters = supplier_letters(replace(book, reports={"Missing in IMS": grid}),
                               {SUP_KA.lower(): {"email": "x@example.com"}})
    assert len(letters) == 1
    lt = letters[0]
    assert (lt.stin, lt.name, lt.email) == (SUP_KA, "KA books", "x@example.com")
    assert [(it.doc_no, it.books_row, it.itc) for it in lt.items] == [("BCN-1", 4, -18000)]
    assert lt.itc_at_stake == -18000
    with pytest.raises(InputError, match="Missing in IMS.*'GSTIN of supplier'"):
        supplier_letters(replace(book, reports={"Missing in IMS": [["Books row", "Document number"], [1, "X"]]}))
    bad = [MISSING_HEADER, [4, "Missing in IMS", SUP_KA, "", "Invoice", "B-1", "", "lots", 0, 0, 0, 0, 0, ""]]
    with pytest.raises(InputError, match="row 2.*Taxable value.*not an amount"):
        supplier_letters(replace(book, reports={"Missing in IMS": bad}))


def test_eml_without_contact_or_sender_has_neither_header():
    lt = supplier_letters(typed_book({"b2b": [record("b2b", 1)]}, {("b2b", "INV-1"): {"action_text": "Pending"}}))[0]
    msg = parse_eml(eml_bytes(lt, b"PK\x03\x04data", "s.xlsx"))
    assert msg["To"] is None and msg["From"] is None and msg["X-Unsent"] == "1"
    assert [a.get_content() for a in msg.iter_attachments()] == [b"PK\x03\x04data"]
    assert eml_bytes(lt, b"x", "s.xlsx").count(b"\r\n") > 5          # RFC 5322 line ends


# ---------------------------------------------------------------- hostile text

HOSTILE_NAME = '=HYPERLINK("http://evil")\r\nBcc: evil@example.com ' + "क" * 300 + ' /\\:*?"<>|\x07'


def test_hostile_text_breaks_nothing(tmp_path):
    recs = {"b2b": [record("b2b", 1, tradenm=HOSTILE_NAME, inum="=1+2"),
                    record("b2b", 2, stin=SUP_KA, tradenm="@SUM(A1)", inum="-2+3"),
                    record("b2b", 3, stin=SUP_GJ, tradenm="+cmd|' /C calc'!A0", inum="@x")]}
    typed = {("b2b", "=1+2"): {"action_text": "Reject", "remarks_text": "+cmd\r\nSubject: hijack\n=2+2"},
             ("b2b", "-2+3"): {"match_status": "Value mismatch", "match_reasons": "-" + "x" * 5000},
             ("b2b", "@x"): {"action_text": "Pending", "remarks_text": "\u2028Bcc: a@b.c\u2029"}}
    book = typed_book(recs, typed)
    contacts = {SUP_MH: {"email": "ok@example.com\r\nBcc: evil@example.com"},
                SUP_KA: {"email": "राम@उदाहरण.भारत, good@example.com"},
                SUP_GJ: {"email": "not an address"}}
    letters = supplier_letters(book, contacts)
    assert len(letters) == 3
    for lt in letters:
        for text in (lt.name, lt.email, lt.subject, *(it.reason for it in lt.items), *(it.doc_no for it in lt.items)):
            assert not re.search(r"[\r\n\x00-\x1f\u2028\u2029]", text)
        assert "\r" not in lt.body
    paths = write_letters(letters, tmp_path / "out", sender="Me\r\nBcc: x@example.com <me@example.com>")
    assert len(paths) == 6
    for p in paths:
        assert not re.search(r'[\\/:*?"<>|\x00-\x1f]', p.name)
        assert len(p.stem) <= 80 and len(p.name.encode("utf-8")) <= 200
        assert p.parent == tmp_path / "out"
    for p in paths:
        if p.suffix == ".xlsx":
            assert not unsafe_cells(p), unsafe_cells(p)
            continue
        msg = parse_eml(p)
        assert set(k.lower() for k in msg.keys()) <= {"from", "to", "subject", "x-unsent", "mime-version",
                                                      "content-type"}
        assert not msg.defects
        for k, v in msg.items():
            assert "\n" not in str(v) and "\r" not in str(v), (k, v)
        for a in (msg["To"].addresses if msg["To"] else ()):
            assert a.addr_spec.endswith("@example.com") and "evil" not in a.addr_spec
        assert len(list(msg.iter_attachments())) == 1
    mh = next(lt for lt in letters if lt.stin == SUP_MH)
    mh_eml = parse_eml(next(p for p in paths if p.name.startswith(SUP_MH) and p.suffix == ".eml"))
    assert "क" in mh_eml["Subject"] and mh_eml["Subject"] == mh.subject         # UTF-8 survives
    assert [a.addr_spec for a in mh_eml["To"].addresses] == ["ok@example.com"]
    assert mh_eml["From"] is None          # "Me" and "Bcc: x@example.com <me@...>" are not addresses
    ka_eml = parse_eml(next(p for p in paths if p.name.startswith(SUP_KA) and p.suffix == ".eml"))
    assert [a.addr_spec for a in ka_eml["To"].addresses] == ["good@example.com"]
    gj_eml = parse_eml(next(p for p in paths if p.name.startswith(SUP_GJ) and p.suffix == ".eml"))
    assert gj_eml["To"] is None
    titles, items, _ = statement_rows(next(p for p in paths if p.name.startswith(SUP_MH) and p.suffix == ".xlsx"))
    assert items["=1+2"]["Reason / remarks"] == "+cmd Subject: hijack =2+2"
    assert "क" * 50 in titles[1][1]
    ka_items = statement_rows(next(p for p in paths if p.name.startswith(SUP_KA) and p.suffix == ".xlsx"))[1]
    assert ka_items["-2+3"]["Reason / remarks"].startswith("-x") and len(ka_items["-2+3"]["Reason / remarks"]) <= 1000


def test_safe_file_names():
    assert safe_file_name('27AAA a/b\\c:d*e?f"g<h>i|j\x00k\r\nl') == "27AAA a b c d e f g h i j k l"
    assert safe_file_name("...  ") == "supplier"
    assert safe_file_name("CON") == "_CON"
    assert len(safe_file_name("x" * 300)) == 80
    assert len(safe_file_name("क" * 300).encode("utf-8")) <= 180


def test_same_file_name_twice_gets_a_number(tmp_path):
    lt = supplier_letters(typed_book({"b2b": [record("b2b", 1)]}, {("b2b", "INV-1"): {"action_text": "Reject"}}))[0]
    paths = write_letters([lt, replace(lt, name=lt.name.upper())], tmp_path)
    assert len({p.name.casefold() for p in paths}) == 4
    assert any(p.stem.endswith("(2)") for p in paths)


# ---------------------------------------------------------------- the contacts list

def test_read_contacts_csv_and_xlsx(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("Suppliers of M/s Us\n\ngst in,EMAIL,name\n"
                 f" {SUP_KA.lower()} ,a@x.in,KA Co\n{SUP_KA},b@x.in; a@x.in,\n,c@x.in,blank\n{SUP_MH},,MH\n",
                 encoding="utf-8")
    # title rows above the header; "gst in" is GSTIN (case and spaces ignored); a GSTIN listed twice
    # gets both rows' addresses; a row without a GSTIN is left out
    c = read_contacts(p)
    assert c == {SUP_KA: {"email": "a@x.in; b@x.in", "name": "KA Co"}, SUP_MH: {"email": "", "name": "MH"}}
    x = tmp_path / "s.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["GSTIN of Supplier", "Trade Name", "E-mail"])
    ws.append([SUP_GJ, "GJ Co", "gj@example.com"])
    wb.save(x)
    assert read_contacts(x) == {SUP_GJ: {"email": "gj@example.com", "name": "GJ Co"}}


def test_read_contacts_refusals_name_the_file(tmp_path):
    p = tmp_path / "vendors.csv"
    p.write_text("Name,Email\nA,a@x.in\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"vendors\.csv: no GSTIN column.*GSTIN, E-mail"):
        read_contacts(p)
    p.write_text(f"GSTIN,Phone\n{SUP_KA},123\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"vendors\.csv: no e-mail column beside 'GSTIN'"):
        read_contacts(p)
    with pytest.raises(InputError, match="nope.csv"):
        read_contacts(tmp_path / "nope.csv")
