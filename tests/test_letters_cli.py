"""``ims-xl letters`` end to end: the command reads the reconciled workbook, writes a statement
and an e-mail draft per supplier, and lists each letter on the Log sheet (README, "Month to
month"); the letters' content is tested in test_letters.py."""

from __future__ import annotations

import csv
import email
import email.policy

import openpyxl

from conftest import RTIN, SUP_KA, SUP_MH, download, import_new, record, run


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
