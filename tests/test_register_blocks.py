"""Register blocks the reader must find, or refuse, through ``ims_xl.cli.main``: unlabelled
per-supplier subtotal rows, a two-row header whose lower labels repeat under group labels,
two registers side by side on one sheet, and the books' own voucher numbers numbered per
voucher type.

Each file holds the 23 booked documents of ``tests/registers/documents.py`` laid out as the
comment beside its builder says; read right, it reconciles exactly as the plain twin (same
status for every IMS record, same books-only rows). What stays ambiguous is refused: exit 2,
one line on stderr naming the file and the row, with the fix.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from ims_xl import cli
from registers import documents as D

xlsxwriter = pytest.importorskip("xlsxwriter")

#: Tally's purchase register columns (tests/registers/README.md, layout 1), one tax column
#: per head; the buyer's voucher types
TALLY = ["Date", "Particulars", "Voucher Type", "Voucher No.", "GSTIN/UIN of Supplier",
         "Supplier Invoice No.", "Supplier Invoice Date", "Taxable Value", "Integrated Tax",
         "Central Tax", "State/UT Tax", "Cess", "Invoice Value"]
AMOUNT_COLS = range(7, 13)
VOUCHER_TYPE = {"invoice": "Purchase", "credit_note": "Debit Note", "debit_note": "Credit Note"}
VOUCHERS = D.voucher_numbers({"invoice": "PUR/25-26/", "credit_note": "DN/25-26/",
                              "debit_note": "CN/25-26/"})


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> dict:
    """The download imported once; the plain twin's statuses."""
    folder = tmp_path_factory.mktemp("blocks")
    review = folder / "review.xlsx"
    assert cli.main(["import", str(D.write_ims_download(folder / "ims.json")), "--out",
                     str(review)]) == 0
    plain = D.write_plain(folder / "plain.csv")
    twin_wb = Path(shutil.copy(review, folder / "twin.xlsx"))
    assert cli.main(["reconcile", str(twin_wb), "--books", str(plain), "--matches",
                     str(folder / "twin.csv")]) == 0
    return {"review": review, "twin": statuses(folder / "twin.csv")}


def statuses(path: Path) -> tuple[dict, list]:
    """(status per IMS record, sorted books-only rows) of a matches.csv."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    ims = {(r["section"], r["stin"], r["doc_no"], r["doc_date"]): r["status"]
           for r in rows if r["section"]}
    only = sorted((r["stin"], r["doc_no"], r["doc_date"], r["status"]) for r in rows
                  if not r["section"])
    return ims, only


def reconcile(base: dict, tmp_path: Path, capsys, books: Path, *extra: str) -> tuple[int, str, tuple]:
    """``ims-xl reconcile REVIEW_COPY --books FILE --matches M``: exit code, stderr and, on
    exit 0, the statuses; on exit 2 exactly one line on stderr."""
    review = Path(shutil.copy(base["review"], tmp_path / "review.xlsx"))
    m = tmp_path / "m.csv"
    capsys.readouterr()
    rc = cli.main(["reconcile", str(review), "--books", str(books), "--matches", str(m), *extra])
    _, err = capsys.readouterr()
    assert rc in (0, 2) and "Traceback" not in err, (rc, err)
    if rc == 2:
        assert len(err.strip().splitlines()) == 1, err
        assert books.name in err, err
        return rc, err, ((), ())
    return rc, err, statuses(m)


def by_supplier() -> list[list[D.Doc]]:
    """The booked documents grouped by supplier GSTIN, as a register sorted on that column
    (Data > Sort) holds them; bills in booking order within a supplier."""
    groups: dict[str, list[D.Doc]] = {}
    for d in D.BOOKS:
        groups.setdefault(d.stin, []).append(d)
    return [groups[k] for k in sorted(groups)]


def tally_row(d: D.Doc, heads: dict, first: bool) -> list[object]:
    """One register line: the identity on a document's first line only (a second rate on a
    line of its own leaves the identity cells blank, as Marg prints it)."""
    ident: list[object] = ([dt.datetime.combine(d.voucher_date, dt.time()), d.supplier.name,
                            VOUCHER_TYPE[d.kind], VOUCHERS[d.key], d.stin, d.number,
                            dt.datetime.combine(d.date, dt.time())] if first else [None] * 7)
    amounts = [float(heads[h]) for h in D.HEADS]
    value = float(sum(heads[h] for h in D.HEADS))
    return [*ident, *amounts, value]


def excel_saved(path: Path) -> Path:
    """XlsxWriter asks for every formula to be calculated on opening; a file Excel saved
    carries the results and no such request (the reader refuses formulas whose results were
    never saved), so the request is taken out, the results stored being right."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as zi, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zo:
        for item in zi.infolist():
            data = zi.read(item.filename)
            if item.filename == "xl/workbook.xml":
                data = re.sub(rb"<calcPr[^>]*/>", b'<calcPr calcId="191029"/>', data)
            zo.writestr(item, data)
    tmp.replace(path)
    return path


# --------------------------------------------------------------------------- 1. subtotals


def subtotalled(path: Path, groups: list[list[D.Doc]], *, blank_after: bool, rate_lines: bool,
                subtotals: bool = True, equal_halves: tuple[str, ...] = ()) -> Path:
    """Imitates an accountant's working copy of the TallyPrime Purchase Register (title rows,
    the columns of TALLY): rows sorted by supplier GSTIN, and under each supplier's bills the
    amount cells selected and summed with AutoSum (Alt+=), which in a filtered list writes
    ``=SUBTOTAL(9,H6:H8)`` and leaves the label cells blank (Data > Subtotal would write a
    "... Total" label, which the reader already skips); optionally a blank row after each.
    ``rate_lines``: a document at two rates on two lines, the second with blank identity
    cells and no value (Marg's rate-wise lines). ``equal_halves``: documents (keys) printed
    as two equal item lines, the second without identity. Excel stores every result."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Purchase Register")
    day = wb.add_format({"num_format": "dd-mm-yyyy"})
    for i, t in enumerate([D.COMPANY, "Purchase Register", "1-Oct-2025 to 31-Oct-2025"]):
        ws.write_string(i, 0, t)
    ws.write_row(4, 0, TALLY)
    r = 5
    for group in groups:
        top = r
        sums = {j: D.D0 for j in AMOUNT_COLS}
        for d in group:
            if d.key in equal_halves:
                half = {h: v / 2 for h, v in d.totals().items() if h in D.HEADS}
                lines = [half, half]
            elif rate_lines:
                lines = d.line_heads()
            else:
                lines = [d.totals()]
            for k, heads in enumerate(lines):
                cells = [*(heads[h] for h in D.HEADS), sum(heads[h] for h in D.HEADS)]
                if d.key not in equal_halves and len(lines) > 1:
                    # Marg: the bill amount on the document's first line only
                    cells[-1] = D.D0 if k else d.totals()["val"]
                for j, v in zip(AMOUNT_COLS, cells):
                    sums[j] += v
                    if v:
                        ws.write_number(r, j, float(v))
                if k == 0:
                    ws.write_datetime(r, 0, dt.datetime.combine(d.voucher_date, dt.time()), day)
                    ws.write_row(r, 1, [d.supplier.name, VOUCHER_TYPE[d.kind], VOUCHERS[d.key],
                                        d.stin, d.number])
                    ws.write_datetime(r, 6, dt.datetime.combine(d.date, dt.time()), day)
                r += 1
        if subtotals:
            for j in AMOUNT_COLS:
                col = xlsxwriter.utility.xl_col_to_name(j)
                ws.write_formula(r, j, f"=SUBTOTAL(9,{col}{top + 1}:{col}{r})", None,
                                 float(sums[j]))
            r += 1
        if blank_after:
            r += 1
    wb.close()
    return excel_saved(path)


@pytest.mark.parametrize("rate_lines", [False, True], ids=["one_line_per_bill", "rate_lines"])
@pytest.mark.parametrize("blank_after", [False, True], ids=["packed", "blank_after"])
def test_unlabelled_subtotals_are_left_out(base, tmp_path, capsys, blank_after, rate_lines):
    """Every supplier's unlabelled subtotal (four suppliers with one bill, whose subtotal
    repeats that bill) is a total, not a second rate added to the supplier's last bill."""
    books = subtotalled(tmp_path / "subtotalled.xlsx", by_supplier(), blank_after=blank_after,
                        rate_lines=rate_lines)
    rc, err, got = reconcile(base, tmp_path, capsys, books)
    assert rc == 0, err
    assert got == base["twin"]


def test_single_bill_subtotals_alone_are_refused(base, tmp_path, capsys):
    """One bill per supplier, each followed by a line repeating it: subtotals of one-bill
    suppliers, or every bill on two equal lines? Nothing in the file tells: refused."""
    groups = [g[:1] for g in by_supplier()]
    books = subtotalled(tmp_path / "one_each.xlsx", groups, blank_after=False, rate_lines=False)
    rc, err, _ = reconcile(base, tmp_path, capsys, books)
    assert rc == 2, "read without a word although each bill may be counted twice"
    assert "sheet 'Purchase Register': row 7 has no document number and repeats" in err, err
    assert "subtotal" in err and "label" in err, err


def test_equal_item_lines_without_subtotals_stay_one_bill(base, tmp_path, capsys):
    """No subtotal anywhere: a bill printed as two equal item lines (the second without
    identity) is one bill of both lines, as before."""
    books = subtotalled(tmp_path / "halves.xlsx", by_supplier(), blank_after=False,
                        rate_lines=True, subtotals=False, equal_halves=("D06",))
    rc, err, got = reconcile(base, tmp_path, capsys, books)
    assert rc == 0, err
    assert got == base["twin"]


# --------------------------------------------------------------------------- 2. two-row header


def grouped_header(path: Path, groups: list[tuple[str, list[str]]], numeric_vouchers: bool) -> Path:
    """Imitates a CA firm's register laid out like the GSTR-2B Excel (group labels merged
    over their columns: "Invoice Details" over "Invoice number", "Invoice Date"), with the
    books' voucher and the supplier's invoice each under a group: ``Voucher`` over ``No.``,
    ``Date``, ``Type`` and ``Invoice`` over ``No.``, ``Date``, so ``No.`` and ``Date`` stand
    twice in the lower row. Voucher numbers as text (PUR/25-26/0001) or as Tally's plain
    numbers (1, 2 ...)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Register"
    c = 1
    for group, subs in groups:
        ws.cell(1, c, group)
        if len(subs) > 1:
            ws.merge_cells(start_row=1, start_column=c, end_row=1, end_column=c + len(subs) - 1)
        for k, sub in enumerate(subs):
            ws.cell(2, c + k, sub)
        c += len(subs)
    for d in D.BOOKS:
        t = d.totals()
        # Tally numbers each voucher type on its own
        vch: object = int(VOUCHERS[d.key].rsplit("/", 1)[1]) if numeric_vouchers else VOUCHERS[d.key]
        ws.append([vch, dt.datetime.combine(d.voucher_date, dt.time()), VOUCHER_TYPE[d.kind],
                   d.supplier.name, d.stin, d.number, dt.datetime.combine(d.date, dt.time()),
                   *(float(t[h]) for h in D.HEADS), float(t["val"])])
    wb.save(path)
    return path


VOUCHER_INVOICE = [("Voucher", ["No.", "Date", "Type"]), ("Supplier", ["Name", "GSTIN"]),
                   ("Invoice", ["No.", "Date"]),
                   ("Amount", ["Taxable Value", "IGST", "CGST", "SGST", "Cess", "Total"])]


@pytest.mark.parametrize("numeric_vouchers", [False, True], ids=["PUR_0001", "plain_numbers"])
def test_repeated_sub_labels_read_with_their_groups(base, tmp_path, capsys, numeric_vouchers):
    """``Invoice`` + ``No.`` is the supplier's number and ``Voucher`` + ``No.`` the books'
    own: the two header rows are read together."""
    books = grouped_header(tmp_path / "grouped.xlsx", VOUCHER_INVOICE, numeric_vouchers)
    rc, err, got = reconcile(base, tmp_path, capsys, books)
    assert rc == 0, err
    assert got == base["twin"]


def test_repeated_sub_labels_under_unnamed_groups_are_refused_then_mapped(base, tmp_path, capsys):
    """``Book`` and ``Party`` over ``No.`` and ``Date`` do not say which number is the
    supplier's: refused, naming the columns; the --map the message gives reads it."""
    groups = [("Book", ["No.", "Date", "Type"]), ("Party", ["Name", "GSTIN", "No.", "Date"]),
              ("Amount", ["Taxable Value", "IGST", "CGST", "SGST", "Cess", "Total"])]
    books = grouped_header(tmp_path / "book_party.xlsx", groups, numeric_vouchers=False)
    rc, err, _ = reconcile(base, tmp_path, capsys, books)
    assert rc == 2, "the voucher's own number read as the supplier's"
    assert "sheet 'Register': row 2 repeats headers" in err and "columns A, F" in err, err
    assert '--map "doc_no=<group> <header>,doc_date=<group> <header>"' in err, err
    rc, err, got = reconcile(base, tmp_path, capsys, books, "--map",
                             "doc_no=Party No.,doc_date=Party Date")
    assert rc == 0, err
    assert got == base["twin"]


def test_voucher_numbers_per_voucher_type_are_refused(base, tmp_path, capsys):
    """Imitates a Tally Day Book export whose only number column, ``Vch/Bill No``, holds the
    books' voucher numbers, numbered per voucher type (Purchase 1..18, Debit Note 1..3,
    Credit Note 1..2): the documented refusal of the books' own sequence numbers."""
    path = tmp_path / "daybook.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Date", "Particulars", "Vch Type", "Vch/Bill No", "GSTIN/UIN",
                    "Taxable Value", "IGST", "CGST", "SGST", "Cess", "Amount"])
        for d in D.BOOKS:
            t = d.totals()
            w.writerow([d.voucher_date.strftime("%d-%m-%Y"), d.supplier.name, VOUCHER_TYPE[d.kind],
                        int(VOUCHERS[d.key].rsplit("/", 1)[1]), d.stin,
                        *(f"{t[h]:.2f}" for h in D.HEADS), f"{t['val']:.2f}"])
    rc, err, _ = reconcile(base, tmp_path, capsys, path)
    assert rc == 2, "voucher numbers read as the suppliers' invoice numbers"
    assert "the books' own sequence numbers" in err and "doc_no=<header>" in err, err


# --------------------------------------------------------------------------- 3. side by side


def side_by_side(path: Path, gap: int) -> Path:
    """Imitates an accountant's sheet with the month's invoices on the left and the credit
    and debit notes on the right, under the same header (the plain twin's columns), ``gap``
    blank columns between them; real numbers and dates."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "October"
    width = len(D.PLAIN_COLUMNS) + gap
    inv = [d for d in D.BOOKS if d.kind == "invoice"]
    notes = [d for d in D.BOOKS if d.kind != "invoice"]
    words = {"invoice": "Invoice", "credit_note": "Credit Note", "debit_note": "Debit Note"}

    def cells(d: D.Doc) -> list[object]:
        t = d.totals()
        return [d.stin, d.supplier.name, d.number, dt.datetime.combine(d.date, dt.time()),
                words[d.kind], D.RTIN[:2], *(float(t[h]) for h in D.HEADS), float(t["val"]),
                d.orig_number or None]

    for j, h in enumerate(D.PLAIN_COLUMNS):
        ws.cell(1, 1 + j, h)
        ws.cell(1, 1 + width + j, h)
    for k, d in enumerate(inv):
        for j, v in enumerate(cells(d)):
            ws.cell(2 + k, 1 + j, v)
    for k, d in enumerate(notes):
        for j, v in enumerate(cells(d)):
            ws.cell(2 + k, 1 + width + j, v)
    wb.save(path)
    return path


@pytest.mark.parametrize("gap", [1, 0], ids=["blank_column", "touching"])
def test_registers_side_by_side_are_refused(base, tmp_path, capsys, gap):
    """The notes beside the invoices would be left out without a word; read as a second
    block, a note and an invoice would share one Books row (README: a document's books row
    is the row of its first line). Refused, naming the row and the columns, with the fix."""
    rc, err, _ = reconcile(base, tmp_path, capsys, side_by_side(tmp_path / "beside.xlsx", gap))
    assert rc == 2, "the right-hand register left out without a word"
    where = ("columns A-M and O-AA, each under its own header" if gap else
             "'GSTIN of Supplier' in columns A and N")
    assert f"sheet 'October': row 1 holds the register's headers twice ({where})" in err, err
    assert "two registers side by side" in err and "one below the other" in err, err
