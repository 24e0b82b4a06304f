"""The purchase-register features end to end, as the user runs them: ``ims_xl.cli.main``.

One IMS download and one list of booked documents (``tests/registers/documents.py``): the
plain twin (a CSV with the columns the reader has always known) gives the reference
statuses; every other way of handing the same documents over (two files, a whole workbook,
unknown headers with ``--map``, voucher types with ``--voucher-kind``, Tally's purchase
register through ``run``, hostile text) must give what the twin gives, or exactly the
difference the option asks for. Refusals are exit 2 with one line on stderr naming the file,
and write nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from conftest import unsafe_cells
from ims_xl import cli
from registers import documents as D
from registers.results import books_only, ims_statuses, matches, read_csv
from registers.layouts import LAYOUTS

FORMULA_START = ("=", "+", "-", "@")
SHEET_OF_SECTION = {"b2b": "B2B", "b2bcn": "B2B-CN", "b2bdn": "B2B-DN"}
KIND_OF_SECTION = {"b2b": "invoice", "b2bcn": "credit_note", "b2bdn": "debit_note"}
#: the IMS number of every document in both -> the number it was booked under
BOOKED_NUMBER = {(d.ims or {}).get("number", d.number): d.number for d in D.IMS if d.in_books}
KIND_OF_BOOKED = {d.number: d.kind for d in D.BOOKS}
PLAIN_HEADER = list(D.PLAIN_COLUMNS)
ODD = {"GSTIN of Supplier": "Tax ID", "Supplier Name": "Party", "Invoice Number": "Vendor Ref",
       "Invoice Date": "Dt", "Document Type": "Kind", "Place Of Supply": "Region",
       "Taxable Value": "Amt Before Tax", "Integrated Tax": "I Tax", "Central Tax": "C Tax",
       "State/UT Tax": "S Tax", "Cess": "Levy", "Invoice Value": "Gross",
       "Original Invoice Number": "Against"}
ODD_MAP = ("stin=Tax ID,doc_no=Vendor Ref,doc_date=Dt,doc_type=Kind,pos=Region,"
           "txval=Amt Before Tax,iamt=I Tax,camt=C Tax,samt=S Tax,cess=Levy,val=Gross,"
           "orig_doc_no=Against")


# --------------------------------------------------------------------------- helpers


def ims(capsys, *args: object, allowed: tuple[int, ...] = (0,)) -> tuple[int, str, str]:
    """``ims-xl ARGS`` in-process: the exit code is one of ``allowed``; never an internal
    error or a traceback; on exit 2 exactly one line on stderr (README, "Exit codes")."""
    capsys.readouterr()
    rc = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert rc != 3 and "Traceback" not in out + err and "internal error" not in err, (args, rc, err)
    assert rc in allowed, (args, rc, out[-3000:], err)
    if rc == 2:
        assert len(err.strip().splitlines()) == 1, (args, err)
    return rc, out, err


def write_csv(path: Path, rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return path


def sheet(workbook: Path, name: str) -> list[list[str]]:
    """A sheet of a workbook as rows of stripped texts (numbers as calamine gives them)."""
    wb = CalamineWorkbook.from_path(str(workbook))
    if name not in wb.sheet_names:
        return []
    grid = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    return [["" if c is None else str(c).strip() for c in row] for row in grid]


def as_row(v: str) -> int | None:
    """A books-row cell ('12', '12.0' or '') as an int."""
    return int(float(v)) if str(v).strip() else None


def header_rows(books: list[list[str]]) -> list[int]:
    """1-based rows of the Books sheet that are the plain twin's header."""
    return [i for i, r in enumerate(books, 1) if r[:3] == PLAIN_HEADER[:3]]


def assert_books_rows_point(rows: list[dict[str, str]], books: list[list[str]]) -> None:
    """Each paired IMS record's books row, and each books-only row, is the Books-sheet row
    holding that document's booked number."""
    bad = []
    for r in rows:
        row = as_row(r["books_row"])
        if row is None:
            continue
        number = BOOKED_NUMBER.get(r["doc_no"], r["doc_no"]) if r["section"] else r["doc_no"]
        cells = books[row - 1] if 1 <= row <= len(books) else []
        if number not in cells:
            bad.append(f"{r['section'] or 'books-only'} {r['doc_no']}: books row {row} holds {cells[:6]}")
    assert not bad, "books_row does not point at the document on the Books sheet:\n  " + "\n  ".join(bad)


def assert_matches_neutralised(path: Path) -> int:
    """No matches.csv cell starts a formula (a plain signed number aside); returns how many
    cells were neutralised with a leading ' (tests/test_hostile_e2e.py asserts the same)."""
    seen = 0
    for row in read_csv(path):
        for v in row:
            if v.startswith("'") and v[1:].startswith(FORMULA_START):
                seen += 1
            if v.startswith(FORMULA_START):
                try:
                    Decimal(v)
                except ArithmeticError:
                    raise AssertionError(f"{path.name} cell {v!r} starts a formula") from None
    return seen


def plain_rows() -> list[list[str]]:
    """The twin's data rows (without its header)."""
    out = io.StringIO()
    w = csv.writer(out)
    for d in D.BOOKS:
        t = d.totals()
        w.writerow([d.stin, d.supplier.name, d.number, d.date.strftime("%d-%m-%Y"),
                    {"invoice": "Invoice", "credit_note": "Credit Note", "debit_note": "Debit Note"}[d.kind],
                    D.RTIN[:2], *(f"{t[h]:.2f}" for h in D.HEADS), f"{t['val']:.2f}", d.orig_number])
    return list(csv.reader(io.StringIO(out.getvalue())))


def col(name: str) -> int:
    return PLAIN_HEADER.index(name)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> dict:
    """The download imported once; the twin, and the twin split by kind; the twin's matches."""
    folder = tmp_path_factory.mktemp("base")
    download = D.write_ims_download(folder / "ims_download.json")
    review = folder / "review.xlsx"
    assert cli.main(["import", str(download), "--out", str(review)]) == 0
    plain = D.write_plain(folder / "plain.csv")
    rows = read_csv(plain)
    assert rows[0] == PLAIN_HEADER and rows[1:] == plain_rows(), "the twin changed shape"
    kind = col("Document Type")
    inv = write_csv(folder / "invoices.csv", [rows[0]] + [r for r in rows[1:] if r[kind] == "Invoice"])
    notes = write_csv(folder / "notes.csv", [rows[0]] + [r for r in rows[1:] if r[kind] != "Invoice"])
    twin_wb = folder / "twin.xlsx"
    shutil.copy(review, twin_wb)
    assert cli.main(["reconcile", str(twin_wb), "--books", str(plain), "--matches",
                     str(folder / "twin.csv")]) == 0
    twin = matches(folder / "twin.csv")
    assert len(set(ims_statuses(twin).values())) >= 5 and books_only(twin), "the twin lost its variety"
    return {"dir": folder, "download": download, "review": review, "plain": plain,
            "invoices": inv, "notes": notes, "twin": twin}


def fresh(base: dict, tmp_path: Path, name: str = "review.xlsx") -> Path:
    """A copy of the imported, never reconciled review workbook."""
    return Path(shutil.copy(base["review"], tmp_path / name))


def notes_xlsx(base: dict, folder: Path) -> Path:
    """The notes as a workbook with two title rows, real numbers and dates: its rows on the
    Books sheet are not its rows in the file once another register sits above it."""
    rows = read_csv(base["notes"])
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Notes"
    ws.append([D.COMPANY])
    ws.append(["Credit and debit notes, October 2025"])
    ws.append(rows[0])
    amounts = {col(h) for h in ("Taxable Value", "Integrated Tax", "Central Tax", "State/UT Tax",
                                "Cess", "Invoice Value")}
    for r in rows[1:]:
        cells: list[object] = list(r)
        for i in amounts:
            cells[i] = float(r[i])
        cells[col("Invoice Date")] = dt.datetime.strptime(r[col("Invoice Date")], "%d-%m-%Y")
        ws.append(cells)
    p = folder / "notes.xlsx"
    wb.save(p)
    return p


# --------------------------------------------------------------------------- 1. two registers


@pytest.mark.parametrize("order", ["invoices_csv+notes_csv", "notes_xlsx+invoices_csv"])
def test_two_registers_reconcile_as_the_twin(base, tmp_path, capsys, order):
    """Invoices in one file and notes in another, given as --books A --books B: the statuses
    of the single twin; the Books sheet holds both registers one below the other, and every
    books row (matches.csv, section sheets, Missing in IMS) is the Books-sheet row holding
    that document's number."""
    wb = fresh(base, tmp_path)
    first, second = ((base["invoices"], base["notes"]) if order.startswith("invoices")
                     else (notes_xlsx(base, tmp_path), base["invoices"]))
    _, out, _ = ims(capsys, "reconcile", wb, "--books", first, "--books", second,
                    "--matches", tmp_path / "m.csv")
    assert first.name in out and second.name in out, out
    rows = matches(tmp_path / "m.csv")
    assert ims_statuses(rows) == ims_statuses(base["twin"])
    assert books_only(rows) == books_only(base["twin"])

    books = sheet(wb, "Books")
    heads = header_rows(books)
    assert len(heads) == 2, f"the Books sheet should hold both registers, headers on rows {heads}"
    number = col("Invoice Number")
    at = {}
    for i, r in enumerate(books, 1):
        if i not in heads and len(r) > number and r[number] in KIND_OF_BOOKED:
            assert r[number] not in at, f"{r[number]} twice on the Books sheet"
            at[r[number]] = i
    assert set(at) == set(KIND_OF_BOOKED), "a booked document is missing from the Books sheet"
    # the first file's documents above the second header, the second's below it
    first_kinds = {"invoice"} if order.startswith("invoices") else {"credit_note", "debit_note"}
    for num, row in at.items():
        assert (row < heads[1]) == (KIND_OF_BOOKED[num] in first_kinds), (num, row, heads)
    assert_books_rows_point(rows, books)

    # the section sheets show the same books row as matches.csv
    want = {(r["section"], r["doc_no"]): as_row(r["books_row"]) for r in rows if r["section"]}
    for section, name in SHEET_OF_SECTION.items():
        grid = sheet(wb, name)
        head = grid[0]
        num_col = head.index("Invoice number" if section == "b2b" else "Note number")
        row_col = head.index("Books row")
        for r in grid[1:]:
            if r[num_col]:
                assert as_row(r[row_col]) == want[(section, r[num_col])], (name, r[num_col], r[row_col])
    # the 'Missing in IMS' sheet points at the Books sheet too
    missing = sheet(wb, "Missing in IMS")
    mh = missing[0]
    listed = [r for r in missing[1:] if any(r)]
    assert len(listed) == len(books_only(base["twin"]))
    for r in listed:
        row = as_row(r[mh.index("Books row")])
        assert r[mh.index("Document number")] in books[row - 1], (r, books[row - 1][:4])


# --------------------------------------------------------------------------- 2. add / replace


def test_a_later_register_is_added_and_replace_books_replaces(base, tmp_path, capsys):
    wb = fresh(base, tmp_path)
    m = tmp_path / "m.csv"
    inv, notes = base["invoices"], base["notes"]
    n_inv = sum(1 for d in D.BOOKS if d.kind == "invoice")

    ims(capsys, "reconcile", wb, "--books", inv, "--matches", m)
    only_inv = matches(m)
    assert len(header_rows(sheet(wb, "Books"))) == 1
    # the notes in the IMS find nothing without the notes register
    assert {s for (sec, *_), s in ims_statuses(only_inv).items() if sec != "b2b"} == {"Missing in books"}

    # A again: replaced (same name), not doubled
    _, out, _ = ims(capsys, "reconcile", wb, "--books", inv, "--matches", m)
    assert "already held" not in out, out
    books = sheet(wb, "Books")
    assert len(header_rows(books)) == 1 and len(books) == n_inv + 1, len(books)
    again = matches(m)
    assert ims_statuses(again) == ims_statuses(only_inv) and books_only(again) == books_only(only_inv)
    assert "Duplicate in books" not in {r["status"] for r in again}

    # B after A: added, and the message says A was kept
    _, out, _ = ims(capsys, "reconcile", wb, "--books", notes, "--matches", m)
    said = [ln for ln in out.splitlines() if "already held" in ln]
    assert len(said) == 1 and inv.name in said[0] and "kept" in said[0], out
    assert notes.name not in said[0], said
    both = matches(m)
    assert ims_statuses(both) == ims_statuses(base["twin"])
    assert books_only(both) == books_only(base["twin"])
    books = sheet(wb, "Books")
    assert len(header_rows(books)) == 2
    assert_books_rows_point(both, books)

    # B again: still A + B once each
    ims(capsys, "reconcile", wb, "--books", notes, "--matches", m)
    books = sheet(wb, "Books")
    assert len(header_rows(books)) == 2
    numbers = [r[col("Invoice Number")] for r in books if r and r[col("Invoice Number")] in KIND_OF_BOOKED]
    assert sorted(numbers) == sorted(KIND_OF_BOOKED), "a register was doubled"
    assert ims_statuses(matches(m)) == ims_statuses(base["twin"])

    # --replace-books: only B remains
    _, out, _ = ims(capsys, "reconcile", wb, "--books", notes, "--replace-books", "--matches", m)
    assert "already held" not in out, out
    books = sheet(wb, "Books")
    assert len(header_rows(books)) == 1
    assert {r[col("Invoice Number")] for r in books[1:] if any(r)} == \
        {d.number for d in D.BOOKS if d.kind != "invoice"}
    replaced = matches(m)
    for (sec, _s, num, _d), status in ims_statuses(replaced).items():
        if sec == "b2b":
            assert status == "Missing in books", (num, status)
        else:
            assert status == ims_statuses(base["twin"])[(sec, _s, num, _d)], (num, status)
    assert_books_rows_point(replaced, books)


def test_a_different_register_of_the_same_file_name_is_not_dropped_silently(base, tmp_path, capsys):
    (tmp_path / "oct").mkdir()
    (tmp_path / "nov").mkdir()
    first = Path(shutil.copy(base["invoices"], tmp_path / "oct" / "purchases.csv"))
    second = Path(shutil.copy(base["notes"], tmp_path / "nov" / "purchases.csv"))
    wb = fresh(base, tmp_path)
    ims(capsys, "reconcile", wb, "--books", first)
    _, out, _ = ims(capsys, "reconcile", wb, "--books", second, "--matches", tmp_path / "m.csv")
    kept = ims_statuses(matches(tmp_path / "m.csv")) == ims_statuses(base["twin"])
    assert kept or "replac" in out.lower(), out


# --------------------------------------------------------------------------- 3. whole workbook


WORKBOOKS = {
    # layout: (the invoices' sheet, the notes' sheet, the sheets without register rows)
    "tally_gstr2": ("b2b", "cdnr", ["b2bur", "hsnsum"]),
    "gstr2b_excel": ("B2B", "B2B-CDNR", ["Read me", "ITC Available", "B2BA", "B2B-CDNRA"]),
}


@pytest.mark.parametrize("layout", sorted(WORKBOOKS))
def test_a_whole_workbook_is_read_sheet_by_sheet(base, tmp_path, capsys, layout):
    inv_sheet, note_sheet, empty = WORKBOOKS[layout]
    path = LAYOUTS[layout](tmp_path)
    wb = fresh(base, tmp_path)
    _, out, _ = ims(capsys, "reconcile", wb, "--books", path, "--matches", tmp_path / "m.csv")
    rows = matches(tmp_path / "m.csv")
    assert ims_statuses(rows) == ims_statuses(base["twin"])
    assert books_only(rows) == books_only(base["twin"])
    assert_books_rows_point(rows, sheet(wb, "Books"))
    left = [ln for ln in out.splitlines() if "left out" in ln]
    assert len(left) == 1 and path.name in left[0], out
    for s in empty:
        assert f"'{s}'" in left[0], (s, left[0])
    for s in (inv_sheet, note_sheet):
        assert f"'{s}'" not in left[0], (s, left[0])

    # --sheet: only that sheet, so only invoices
    wb2 = fresh(base, tmp_path, "review2.xlsx")
    _, out, _ = ims(capsys, "reconcile", wb2, "--books", path, "--sheet", inv_sheet,
                    "--matches", tmp_path / "m2.csv")
    assert "left out" not in out and note_sheet not in out, out
    rows = matches(tmp_path / "m2.csv")
    twin = ims_statuses(base["twin"])
    for key, status in ims_statuses(rows).items():
        if key[0] == "b2b":
            assert status == twin[key], (key, status)
        else:
            assert status == "Missing in books", (key, status)
    assert books_only(rows) == [b for b in books_only(base["twin"]) if KIND_OF_BOOKED[b[1]] == "invoice"]
    notes = {d.number for d in D.BOOKS if d.kind != "invoice"}
    assert not notes & {c for r in sheet(wb2, "Books") for c in r}, "a note reached the Books sheet"


def test_a_whole_workbook_with_a_mapping_still_leaves_out_empty_sheets(base, tmp_path, capsys):
    path = LAYOUTS["tally_gstr2"](tmp_path)
    wb = fresh(base, tmp_path)
    _, out, _ = ims(capsys, "reconcile", wb, "--books", path, "--map", "stin=GSTIN of Supplier",
                    "--matches", tmp_path / "m.csv")
    rows = matches(tmp_path / "m.csv")
    assert ims_statuses(rows) == ims_statuses(base["twin"])
    assert any("left out" in ln and "'b2bur'" in ln for ln in out.splitlines()), out


# --------------------------------------------------------------------------- 4. --map


def test_map_reads_unknown_headers_and_is_saved(base, tmp_path, capsys):
    rows = read_csv(base["plain"])
    odd = write_csv(tmp_path / "odd_headers.csv", [[ODD[h] for h in rows[0]]] + rows[1:])
    wb = fresh(base, tmp_path)
    m = tmp_path / "m.csv"
    before = wb.read_bytes()

    _, _, err = ims(capsys, "reconcile", wb, "--books", odd, "--matches", m, allowed=(2,))
    assert odd.name in err and "--map" in err, err
    assert wb.read_bytes() == before and not m.exists()

    _, out, _ = ims(capsys, "reconcile", wb, "--books", odd, "--map", ODD_MAP, "--matches", m)
    assert ims_statuses(matches(m)) == ims_statuses(base["twin"])
    assert books_only(matches(m)) == books_only(base["twin"])

    # a later run without --map uses the saved mapping, and says so
    m.unlink()
    _, out, _ = ims(capsys, "reconcile", wb, "--books", odd, "--matches", m)
    said = [ln for ln in out.splitlines() if "mapping" in ln.lower() and "stin=Tax ID" in ln]
    assert said and "doc_no=Vendor Ref" in said[0], out
    assert ims_statuses(matches(m)) == ims_statuses(base["twin"])

    # --map "" clears it: the odd register is refused again, and nothing is written
    before = wb.read_bytes()
    _, _, err = ims(capsys, "reconcile", wb, "--books", odd, "--map", "", allowed=(2,))
    assert odd.name in err and "--map" in err, err
    assert wb.read_bytes() == before
    # cleared for good once a run with --map "" succeeds
    ims(capsys, "reconcile", wb, "--books", base["plain"], "--map", "", "--replace-books")
    before = wb.read_bytes()
    _, _, err = ims(capsys, "reconcile", wb, "--books", odd, "--replace-books", allowed=(2,))
    assert odd.name in err and wb.read_bytes() == before


@pytest.mark.parametrize("bad", ["bill=X", "doc_no", "doc_no="])
def test_a_bad_map_is_one_line(base, tmp_path, capsys, bad):
    wb = fresh(base, tmp_path)
    before = wb.read_bytes()
    _, _, err = ims(capsys, "reconcile", wb, "--books", base["plain"], "--map", bad,
                    "--matches", tmp_path / "m.csv", allowed=(2,))
    assert ("'bill'" if bad.startswith("bill") else "doc_no") in err, err
    assert wb.read_bytes() == before and not (tmp_path / "m.csv").exists()


def test_a_bad_map_is_not_blamed_on_the_settings_sheet(base, tmp_path, capsys):
    wb = fresh(base, tmp_path)
    _, _, err = ims(capsys, "reconcile", wb, "--books", base["plain"], "--map", "bill=X", allowed=(2,))
    assert "Books settings" not in err, err


# --------------------------------------------------------------------------- 5. --voucher-kind


def test_voucher_kind_reads_a_debit_note_voucher_as_the_suppliers_debit_note(base, tmp_path, capsys):
    """A Tally voucher-register style CSV (Voucher Type: Purchase, Debit Note for the
    supplier's credit note, Credit Note for the supplier's debit note) reads as the twin; with
    --voucher-kind "Debit Note=debit_note" the Debit Note vouchers become debit notes, so the
    supplier's credit notes in the IMS find nothing and those vouchers are Missing in IMS."""
    rows = read_csv(base["plain"])
    kind = col("Document Type")
    vch = {"Invoice": "Purchase", "Credit Note": "Debit Note", "Debit Note": "Credit Note"}
    path = write_csv(tmp_path / "vouchers.csv",
                     [[("Voucher Type" if i == kind else h) for i, h in enumerate(rows[0])]]
                     + [[vch[c] if i == kind else c for i, c in enumerate(r)] for r in rows[1:]])
    twin = ims_statuses(base["twin"])

    wb = fresh(base, tmp_path)
    ims(capsys, "reconcile", wb, "--books", path, "--matches", tmp_path / "m.csv")
    default = matches(tmp_path / "m.csv")
    assert ims_statuses(default) == twin and books_only(default) == books_only(base["twin"])

    wb2 = fresh(base, tmp_path, "review2.xlsx")
    ims(capsys, "reconcile", wb2, "--books", path, "--voucher-kind", "Debit Note=debit_note",
        "--matches", tmp_path / "m2.csv")
    got = matches(tmp_path / "m2.csv")
    credit_notes = {d.number for d in D.BOOKS if d.kind == "credit_note"}
    for key, status in ims_statuses(got).items():
        if key[0] == "b2bcn":
            assert status == "Missing in books", (key, status)
        else:  # invoices and the supplier's debit notes (Credit Note vouchers) as before
            assert status == twin[key], (key, status)
    only = {b[1]: b[3] for b in books_only(got)}
    assert credit_notes <= set(only) and {only[n] for n in credit_notes} == {"Missing in IMS"}, only
    missing = sheet(wb2, "Missing in IMS")
    mh = missing[0]
    types = {r[mh.index("Document number")]: r[mh.index("Document type")] for r in missing[1:] if any(r)}
    for n in credit_notes:
        assert types.get(n, "").lower() == "debit note", (n, types)
    types_default = {r[mh.index("Document number")]: r[mh.index("Document type")]
                     for r in sheet(wb, "Missing in IMS")[1:] if any(r)}
    assert all(t.lower() != "debit note" for t in types_default.values()), types_default

    # saved in the workbook: a later run without the option reads the same way, and says so
    _, out, _ = ims(capsys, "reconcile", wb2, "--books", path, "--matches", tmp_path / "m3.csv")
    assert any("voucher kinds" in ln.lower() and "Debit Note=debit_note" in ln for ln in out.splitlines()), out
    assert ims_statuses(matches(tmp_path / "m3.csv")) == ims_statuses(got)


# --------------------------------------------------------------------------- 6. refusals


def _negative_without_type(rows):
    keep = [i for i, h in enumerate(PLAIN_HEADER) if h != "Document Type"]
    amounts = {col(h) for h in ("Taxable Value", "Integrated Tax", "Central Tax", "State/UT Tax",
                                "Cess", "Invoice Value")}
    invoices = [r for r in rows if r[col("Document Type")] == "Invoice"]
    return [[PLAIN_HEADER[i] for i in keep]] + [
        [("-" + r[i] if i in amounts and float(r[i]) else r[i]) for i in keep] for r in invoices]


def _sequence_numbers(rows):
    invoices = [r for r in rows if r[col("Document Type")] == "Invoice"]
    assert len({r[0] for r in invoices}) >= 3 and len(invoices) >= 10
    return [PLAIN_HEADER] + [[str(k) if i == col("Invoice Number") else c for i, c in enumerate(r)]
                             for k, r in enumerate(invoices, 1)]


def _blank_taxable_value(rows):
    return [PLAIN_HEADER] + [["" if i == col("Taxable Value") else c for i, c in enumerate(r)] for r in rows]


def _combined_tax_without_name_or_pos(rows):
    out = [["GSTIN of Supplier", "Supplier Name", "Invoice Number", "Invoice Date", "Taxable Value",
            "Tax Amount", "Invoice Value"]]
    for r in rows:
        if r[col("Document Type")] != "Invoice":
            continue
        tax = sum(Decimal(r[col(h)]) for h in ("Integrated Tax", "Central Tax", "State/UT Tax"))
        out.append([r[0], r[1], r[2], r[3], r[col("Taxable Value")], f"{tax:.2f}", r[col("Invoice Value")]])
    return out


REFUSALS = {
    # name: (builder, words the one line must hold besides the file name)
    "all_negative_no_type": (_negative_without_type, ["negative", "doc_type"]),
    "sequence_numbers": (_sequence_numbers, ["sequence", "Invoice Number"]),
    "blank_taxable_value": (_blank_taxable_value, ["Taxable Value", "txval"]),
    "combined_tax_no_name_no_pos": (_combined_tax_without_name_or_pos, ["Tax Amount", "IGST"]),
}


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_implausible_register_is_refused_and_nothing_written(base, tmp_path, capsys, name):
    build, words = REFUSALS[name]
    path = write_csv(tmp_path / f"{name}.csv", build(plain_rows()))
    wb = fresh(base, tmp_path)
    before = wb.read_bytes()
    m = tmp_path / "m.csv"
    _, _, err = ims(capsys, "reconcile", wb, "--books", path, "--matches", m, allowed=(2,))
    assert path.name in err, err
    for w in words:
        assert w in err, (w, err)
    assert wb.read_bytes() == before and not m.exists()

    out_dir = tmp_path / "out"
    _, _, err = ims(capsys, "run", base["download"], "--books", path, "--out-dir", out_dir,
                    "--apply-suggestions", allowed=(2,))
    assert path.name in err, err
    assert not out_dir.exists() or not any(out_dir.iterdir()), sorted(out_dir.iterdir())


# --------------------------------------------------------------------------- 7. TallyPrime run


def _upload(folder: Path) -> dict[tuple, dict]:
    parts = sorted(folder.glob("upload*.json"))
    assert parts, f"no upload in {folder}"
    out = {}
    for p in parts:
        for section, recs in json.loads(p.read_text(encoding="utf-8"))["invdata"].items():
            for r in recs:
                key = (section, r["stin"], r.get("inum") or r.get("nt_num"))
                assert key not in out, key
                out[key] = r
    return out


def test_tally_purchase_register_run_uploads_as_the_twin(base, tmp_path, capsys):
    """The case that made TallyPrime registers unusable: ims-xl run DOWNLOAD --books <TallyPrime purchase register> --out-dir D
    --apply-suggestions gives the upload the plain twin gives, record by record: Accept for
    the documents that match, and never a Pending whose remark says the books hold 0.00."""
    tally = LAYOUTS["tally_purchase_register"](tmp_path)
    ims(capsys, "run", base["download"], "--books", tally, "--out-dir", tmp_path / "tally",
        "--apply-suggestions")
    ims(capsys, "run", base["download"], "--books", base["plain"], "--out-dir", tmp_path / "plain",
        "--apply-suggestions")
    got, want = _upload(tmp_path / "tally"), _upload(tmp_path / "plain")
    assert set(got) == set(want)
    for key, rec in want.items():
        assert got[key] == rec, (key, got[key], rec)
    accepted = {(r["section"], r["stin"], r["doc_no"]) for r in base["twin"] if r["suggested_action"] == "A"}
    assert accepted and {k for k, r in got.items() if r["action"] == "A"} == accepted
    zero = [(k, r.get("remarks")) for k, r in got.items() if "books 0.00" in (r.get("remarks") or "")]
    assert not zero, zero
    assert ims_statuses(matches(tmp_path / "tally" / "matches.csv")) == ims_statuses(base["twin"])


# --------------------------------------------------------------------------- 8. hostile text


def _hostile(rows: list[list[str]]) -> list[list[str]]:
    """Every text field behind = + - @, upper-cased, with stray spaces; GSTINs in lower case
    with spaces."""
    text = {col(h) for h in ("Supplier Name", "Invoice Number", "Document Type", "Original Invoice Number")}
    out = [[f" {h.upper()} " for h in PLAIN_HEADER]]
    for k, r in enumerate(rows):
        new = []
        for i, c in enumerate(r):
            if i in text and c:
                new.append(f"{' ' * (k % 2)}{FORMULA_START[(k + i) % 4]}{c.upper()}  ")
            elif i == col("GSTIN of Supplier"):
                new.append(f" {c.lower()} ")
            else:
                new.append(c)
        out.append(new)
    return out


def test_hostile_register_text_is_read_and_never_a_formula(base, tmp_path, capsys):
    path = write_csv(tmp_path / "hostile.csv", _hostile(plain_rows()))
    wb = fresh(base, tmp_path)
    m = tmp_path / "m.csv"
    rc, _, _ = ims(capsys, "reconcile", wb, "--books", path, "--matches", m, allowed=(0, 2))
    if rc == 0:
        rows = matches(m)
        assert assert_matches_neutralised(m) >= len(books_only(base["twin"])), \
            "the books-only rows carry the register's hostile numbers: they must be neutralised"
        # the marks and case do not lose the documents: each record pairs as with the twin
        twin_rows = {(r["section"], r["doc_no"]): r["books_row"] for r in base["twin"] if r["section"]}
        assert {(r["section"], r["doc_no"]): r["books_row"] for r in rows if r["section"]} == twin_rows
        bad = unsafe_cells(wb)
        assert not bad, bad[:10]
    out_dir = tmp_path / "out"
    # run may stop at validation (exit 1) like any run; never an internal error
    rc, _, _ = ims(capsys, "run", base["download"], "--books", path, "--out-dir", out_dir,
                   "--apply-suggestions", allowed=(0, 1, 2))
    if rc != 2:
        assert assert_matches_neutralised(out_dir / "matches.csv") >= 1
        bad = unsafe_cells(out_dir / "review.xlsx")
        assert not bad, bad[:10]
