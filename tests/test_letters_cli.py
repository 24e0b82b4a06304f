"""``ims-xl letters`` end to end: the command reads the reconciled workbook, writes a statement
and an e-mail draft per supplier, and lists each letter on the Log sheet (README, "Month to
month"); the letters' content is tested in test_letters.py."""

from __future__ import annotations

import csv
import email
import email.policy

import openpyxl

from conftest import RTIN, SUP_GJ, SUP_KA, SUP_MH, download, import_new, record, run


def test_letters_command_writes_drafts_and_logs_them(tmp_path, capsys):
    wb = import_new(tmp_path, download({"b2b": [record("b2b", 1, inum="A-1"),
                                                record("b2b", 2, stin=SUP_KA, inum="=cmd|x", iamt=500)]},
                                       rtin=RTIN))
    books = tmp_path / "books.csv"
    with open(books, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([
            ["GSTIN of supplier", "Supplier name", "Document type", "Document number", "Document date",
             "Taxable value", "IGST", "CGST", "SGST", "Cess", "Document value"],
            [SUP_MH, "MH", "Invoice", "A-1", "15-10-2025", "1000", "0", "90", "90", "0", "1180"],
            [SUP_MH, "MH", "Invoice", "A-7", "16-10-2025", "2000", "0", "180", "180", "0", "2360"]])
    assert run("reconcile", wb, "--books", books) == 0
    contacts = tmp_path / "suppliers.csv"
    contacts.write_text(f"GSTIN,E-mail\n{SUP_KA},accounts@ka.example\n", encoding="utf-8")
    capsys.readouterr()
    assert run("letters", wb, "--out-dir", tmp_path / "letters", "--suppliers", contacts,
               "--from", "me@firm.example") == 0
    said = capsys.readouterr().out
    assert "2 supplier(s) with something to fix" in said
    drafts = {p.name.split(" ")[0]: p for p in (tmp_path / "letters").glob("*.eml")}
    assert set(drafts) == {SUP_MH, SUP_KA}
    ka = email.message_from_bytes(drafts[SUP_KA].read_bytes(), policy=email.policy.default)
    assert ka["To"] == "accounts@ka.example" and ka["From"] == "me@firm.example"
    mh = email.message_from_bytes(drafts[SUP_MH].read_bytes(), policy=email.policy.default)
    assert mh["To"] is None                       # not in the suppliers list: the accountant fills it
    log = list(openpyxl.load_workbook(wb)["Log"].iter_rows(values_only=True))
    letters = [r for r in log[1:] if r[7] == "letter"]
    assert sorted(r[3] for r in letters) == sorted([SUP_MH, SUP_KA])
    # a later run still verifies the Log: letter rows are part of the sealed trail
    capsys.readouterr()
    assert run("validate", wb) == 0
    assert "Log sheet:" not in capsys.readouterr().out


def _books_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["GSTIN of supplier", "Supplier name", "Document type", "Document number",
                                  "Document date", "Taxable value", "IGST", "CGST", "SGST", "Cess",
                                  "Document value"], *rows])
    return path


def test_letters_again_leave_no_stale_letter_of_the_same_month(tmp_path, capsys):
    """A supplier whose documents were fixed since the last run keeps no letter in the folder
    (the accountant would send last run's draft); another month's letters and the accountant's
    own files stay."""
    wb = import_new(tmp_path, download({"b2b": [record("b2b", 1), record("b2b", 3, stin=SUP_KA)]}, rtin=RTIN))
    gj_missing = [SUP_GJ, "GJ", "Debit note", "BDN-1", "16-10-2025", "100", "18", "0", "0", "0", "118"]
    mh = [SUP_MH, "MH", "Invoice", "INV-1", "15-10-2025", "1000", "0", "90", "90", "0", "1180"]
    assert run("reconcile", wb, "--books", _books_csv(tmp_path / "books.csv", [mh, gj_missing])) == 0
    out = tmp_path / "letters"
    assert run("letters", wb, "--out-dir", out) == 0
    first = sorted(p.name for p in out.iterdir())
    assert len(first) == 4 and any(n.startswith(SUP_GJ) for n in first)
    (out / "notes.xlsx").write_bytes(b"mine")
    other = out / f"{SUP_GJ} GJ (2).eml"            # a draft of another month: not this run's to remove
    other.write_bytes((out / f"{SUP_GJ} GJ.eml").read_bytes().replace(b"our GSTIN", b"their GSTIN"))
    ka = [SUP_KA, "KA", "Invoice", "INV-3", "15-10-2025", "1000", "180", "0", "0", "0", "1180"]
    ka_missing = [SUP_KA, "KA", "Invoice", "INV-30", "16-10-2025", "500", "90", "0", "0", "0", "590"]
    assert run("reconcile", wb, "--books", _books_csv(tmp_path / "books.csv", [mh, ka, ka_missing])) == 0
    capsys.readouterr()
    assert run("letters", wb, "--out-dir", out) == 0
    assert "1 supplier(s)" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{SUP_KA} Supplier AAFCC.eml", f"{SUP_KA} Supplier AAFCC.xlsx", "notes.xlsx", other.name])


def test_suppliers_list_under_a_title_block_with_our_gstin(tmp_path, capsys):
    """A party list exported from Tally opens with the company's name, address and GSTIN above
    the header; a GSTIN copied from a web page may hold a zero-width space or hyphens."""
    wb = import_new(tmp_path, download({"b2b": [record("b2b", 1, action="R"),
                                                record("b2b", 2, stin=SUP_KA, action="R")]}, rtin=RTIN))
    contacts = tmp_path / "ledgers.csv"
    contacts.write_text(f"Our Firm Pvt Ltd\nGSTIN/UIN: {RTIN}\nList of Ledgers\n\n"
                        f"Name of Ledger,GSTIN/UIN,E-Mail\nShah,\u200b{SUP_MH},a@shah.example\n"
                        f"KA,{SUP_KA[:2]}-{SUP_KA[2:12]}-{SUP_KA[12:]},k@ka.example\n", encoding="utf-8-sig")
    capsys.readouterr()
    assert run("letters", wb, "--out-dir", tmp_path / "letters", "--suppliers", contacts) == 0
    assert "(2 addressed from the suppliers list)" in capsys.readouterr().out
    to = {p.name[:15]: email.message_from_bytes(p.read_bytes(), policy=email.policy.default)["To"]
          for p in (tmp_path / "letters").glob("*.eml")}
    assert {k: str(v) for k, v in to.items()} == {SUP_MH: "a@shah.example", SUP_KA: "k@ka.example"}



def test_letters_when_no_supplier_is_left_remove_the_earlier_runs_letters(tmp_path, capsys):
    """Every supplier's documents fixed since the last run: 'No supplier has anything to fix',
    and the earlier run's drafts for this return, left in the folder, were still there to send."""
    wb = import_new(tmp_path, download({"b2b": [record("b2b", 1)]}, rtin=RTIN))
    mh = [SUP_MH, "MH", "Invoice", "INV-1", "15-10-2025", "1000", "0", "90", "90", "0", "1180"]
    gj_missing = [SUP_GJ, "GJ", "Debit note", "BDN-1", "16-10-2025", "100", "18", "0", "0", "0", "118"]
    assert run("reconcile", wb, "--books", _books_csv(tmp_path / "books.csv", [mh, gj_missing])) == 0
    out = tmp_path / "letters"
    assert run("letters", wb, "--out-dir", out) == 0
    assert len(list(out.iterdir())) == 2
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    assert run("reconcile", wb, "--books", _books_csv(tmp_path / "books.csv", [mh])) == 0
    capsys.readouterr()
    assert run("letters", wb, "--out-dir", out) == 0
    assert "No supplier has anything to fix" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
