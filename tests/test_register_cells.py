"""Reading a register's amount and date cells where a cell-by-cell reading misreads silently:
US dates (the day/month order is a property of the column, not of one cell), decimal commas
(a European-locale CSV), Dr/Cr amounts with no document type column, and the refusal of
amounts with more than 2 decimals.

Each rule is tested on the parsing functions (``ims_xl/formats/register/cells.py``) and end
to end through ``ims_xl.cli.main`` on the booked documents of ``tests/registers/documents.py``
written as the program and locale named beside each builder writes them.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from ims_xl import cli
from ims_xl.formats.register import RegisterError, read_register_grid
from ims_xl.money import AmountError
from registers import documents as D

G1 = D.GANESH.gstin
AMOUNT_COLUMNS = ("Taxable Value", "Integrated Tax", "Central Tax", "State/UT Tax", "Cess",
                  "Invoice Value")
KIND_WORD = {"invoice": "Invoice", "credit_note": "Credit Note", "debit_note": "Debit Note"}


# --------------------------------------------------------------------------- helpers


def ims(capsys, *args: object, allowed: tuple[int, ...] = (0,)) -> tuple[int, str, str]:
    """``ims-xl ARGS`` in-process; on exit 2 exactly one line on stderr (README, "Exit codes")."""
    capsys.readouterr()
    rc = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert rc != 3 and "Traceback" not in out + err, (args, rc, err)
    assert rc in allowed, (args, rc, out[-3000:], err)
    if rc == 2:
        assert len(err.strip().splitlines()) == 1, (args, err)
    return rc, out, err


def statuses(path: Path) -> tuple[dict, list]:
    """matches.csv as (IMS record -> status, sorted books-only rows)."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    ims_side = {(r["section"], r["stin"], r["doc_no"], r["doc_date"]): r["status"]
                for r in rows if r["section"]}
    books = sorted((r["stin"], r["doc_no"], r["doc_date"], r["status"]) for r in rows if not r["section"])
    return ims_side, books


def register(date: callable, amount: callable, *, kind_column: bool = True) -> tuple[list, list]:
    """The booked documents as (header, rows): ``date(d)`` writes a document's date,
    ``amount(value, doc)`` each amount (a Decimal) of it."""
    header = list(D.PLAIN_COLUMNS)
    rows = []
    for d in D.BOOKS:
        t = d.totals()
        rows.append([d.stin, d.supplier.name, d.number, date(d.date), KIND_WORD[d.kind], D.RTIN[:2],
                     *(amount(t[h], d) for h in D.HEADS), amount(t["val"], d), d.orig_number])
    if not kind_column:
        k = header.index("Document Type")
        header.pop(k)
        for r in rows:
            r.pop(k)
    return header, rows


def write(path: Path, header: list, rows: list, delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow(header)
        w.writerows(rows)
    return path


def excel_us_date(d: dt.date) -> str:
    """Excel with Windows regional format English (United States) saves a date cell in a CSV
    as its short date, ``M/d/yyyy`` (no leading zeros): 3 October 2025 is ``10/3/2025``."""
    return f"{d.month}/{d.day}/{d.year}"


def excel_general_decimal_comma(x: Decimal, _doc=None) -> str:
    """Excel with a German or French regional format saves a number formatted General in a
    CSV (which it separates with semicolons there) with a decimal comma and no grouping:
    ``31096,25``, ``1000``, ``121902,6``."""
    s = format(x.normalize(), "f") if x != x.to_integral_value() else str(int(x))
    return s.replace(".", ",")


def tally_drcr(x: Decimal, doc) -> str:
    """TallyPrime prints a ledger amount with the side: the purchase ledger is debited for a
    bill and a supplier's debit note and credited for a purchase return (the supplier's
    credit note), with Indian grouping: ``1,52,340.50 Dr``."""
    if not x:
        return ""
    return f"{_indian(x)} {'Cr' if doc.kind == 'credit_note' else 'Dr'}"


def _indian(x: Decimal) -> str:
    whole, frac = f"{x:.2f}".split(".")
    if len(whole) > 3:
        head, groups = whole[:-3], [whole[-3:]]
        while len(head) > 2:
            groups.insert(0, head[-2:])
            head = head[:-2]
        whole = ",".join([head, *groups] if head else groups)
    return f"{whole}.{frac}"


def indian_date(d: dt.date) -> str:
    return d.strftime("%d/%m/%Y")


def plain_amount(x: Decimal, _doc=None) -> str:
    return f"{x:.2f}"


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> dict:
    """The IMS download imported once, and the statuses of the plain twin."""
    folder = tmp_path_factory.mktemp("cells")
    download = D.write_ims_download(folder / "ims_download.json")
    review = folder / "review.xlsx"
    assert cli.main(["import", str(download), "--out", str(review)]) == 0
    twin = D.write_plain(folder / "plain.csv")
    wb = Path(shutil.copy(review, folder / "twin.xlsx"))
    assert cli.main(["reconcile", str(wb), "--books", str(twin), "--matches", str(folder / "twin.csv")]) == 0
    return {"review": review, "twin": statuses(folder / "twin.csv")}


def reconcile(base: dict, tmp_path: Path, capsys, books: Path, allowed=(0,)) -> tuple[int, str, str, Path]:
    wb = Path(shutil.copy(base["review"], tmp_path / "review.xlsx"))
    before = wb.read_bytes()
    rc, out, err = ims(capsys, "reconcile", wb, "--books", books, "--matches", tmp_path / "m.csv",
                       allowed=allowed)
    if rc == 2:
        assert wb.read_bytes() == before and not (tmp_path / "m.csv").exists(), "a refusal wrote something"
    return rc, out, err, tmp_path / "m.csv"


# --------------------------------------------------------------------------- 1. dates


def test_a_column_of_us_dates_is_read_month_first_whole() -> None:
    from ims_xl.formats.register.cells import _parse_date, date_order
    us = ["10/3/2025", "10/25/2025", None, "", "10/12/2025", dt.datetime(2025, 10, 4), 45936.0]
    assert date_order(us) == 1  # the first text that can only be month first
    assert _parse_date("10/3/2025", month_first=True) == np.datetime64("2025-10-03", "ns")
    assert _parse_date("10/3/2025") == np.datetime64("2025-03-10", "ns")  # day first by default
    # Indian dates: day first, as before
    assert date_order(["03/10/2025", "25/10/2025", "12/10/2025"]) is None
    assert date_order(["03/10/2025", "04/10/2025"]) is None  # nothing decides: day first
    assert date_order(["2025-10-25", "25-Oct-2025", "Oct 25, 2025"]) is None  # not a/b/y dates


def test_a_column_of_dates_in_both_orders_is_refused_by_position() -> None:
    from ims_xl.formats.register.cells import DateOrderError, date_order
    with pytest.raises(DateOrderError) as e:
        date_order(["03/10/2025", "10/25/2025", "25/10/2025", "10/26/2025"])
    assert (e.value.day_first, e.value.month_first) == (2, 1)


def test_real_dates_and_serials_do_not_turn_a_column_month_first() -> None:
    grid = [["GSTIN", "Invoice No", "Invoice Date", "Taxable Value"],
            [G1, "1", dt.datetime(2025, 10, 25), "10"], [G1, "2", 45933, "10"], [G1, "3", "03/10/2025", "10"]]
    r = read_register_grid(grid, "reg.xlsx")
    assert sorted(r.books["doc_date"].dt.strftime("%Y-%m-%d")) == ["2025-10-03", "2025-10-03", "2025-10-25"]
    assert not any("month first" in w for w in r.warnings)


def test_us_dates_from_excel_reconcile_as_the_twin_and_say_so(base, tmp_path, capsys) -> None:
    """A register saved as CSV by Excel set to English (United States): every date read month
    first (cell by cell, those with a day up to 12 were read with day and month swapped)."""
    books = write(tmp_path / "purchases_us.csv", *register(excel_us_date, plain_amount))
    _, out, err, m = reconcile(base, tmp_path, capsys, books)
    assert statuses(m) == base["twin"]
    assert "read month first" in out + err and "'10/13/2025'" in out + err


def test_dates_in_both_orders_are_refused_naming_the_column_and_two_rows(base, tmp_path, capsys) -> None:
    """Indian dates (dd/mm/yyyy) with two rows pasted from a US-locale export below them."""
    header, rows = register(indian_date, plain_amount)
    k = header.index("Invoice Date")
    rows[-1][k], rows[-2][k] = "10/30/2025", "10/29/2025"
    books = write(tmp_path / "purchases.csv", header, rows)
    _, _, err, _ = reconcile(base, tmp_path, capsys, books, allowed=(2,))
    assert "column 'Invoice Date'" in err and "both orders" in err
    first_day_only = next(i for i, r in enumerate(rows) if int(r[k][:2]) > 12) + 2
    assert f"row {first_day_only} (" in err and f"row {len(rows)} ('10/29/2025')" in err


# --------------------------------------------------------------------------- 2. decimal commas


@pytest.mark.parametrize("text", ["31096,25", "121902,6", "31.096,25", "1,2345", "12,5.00", "-0,5",
                                  "31096,25 Dr", "(31096,25)", "31096,25-", "1,23,4567.00"])
def test_a_decimal_comma_is_refused(text) -> None:
    from ims_xl.formats.register.cells import _has_decimal_comma, _paise, paise_column
    with pytest.raises(AmountError, match="decimal comma"):
        _paise(text)
    assert paise_column([text, "1,000.00"]) is None
    assert _has_decimal_comma(f"1\0{text}\0x")


@pytest.mark.parametrize("text,paise", [
    ("1,23,456.78", 12345678), ("123,456.78", 12345678), ("1,234,567", 123456700),
    ("(1,234.00)", -123400), ("₹ 1,234", 123400), ("Rs. 1,234", 123400), ("1234-", -123400),
    ("1,234 Cr", 123400), ("1,52,340.50 Dr", 15234050), ("16,825.05-", -1682505), ("12,34,567", 123456700)])
def test_digit_grouping_still_reads(text, paise) -> None:
    from ims_xl.formats.register.cells import _paise, paise_column
    assert _paise(text) == paise
    whole = paise_column([text, text])
    assert whole is None or whole.tolist() == [paise, paise]


def test_the_column_test_and_the_cell_test_agree() -> None:
    from ims_xl.formats.register.cells import _DECIMAL_COMMA, _has_decimal_comma
    texts = ["1,2", "1,23", "1,234", "1,2345", "1,23,", "1,2,", ",5", "1,", "a,bc", "1,२३",
             "x,12", "12,34,567.5", "1,234.5,6", "₹1,23", "Rs,1", "1,0\u00a0",
             "1,23,456.78", "(1,234.00)", "₹ 1,234", "1,234 Cr", "16,825.05-", "1,234,567"]
    for t in texts:
        assert _has_decimal_comma(t) == bool(_DECIMAL_COMMA.search(t)), t


def test_a_decimal_comma_column_is_refused_naming_row_and_column() -> None:
    grid = [["GSTIN", "Invoice No", "Taxable Value"], [G1, "1", "1000"], [G1, "2", "31096,25"]]
    with pytest.raises(RegisterError) as e:
        read_register_grid(grid, "reg.csv")
    msg = str(e.value)
    assert msg.startswith("reg.csv: row 3, column 'Taxable Value'") and "'31096,25'" in msg
    assert "decimal comma" in msg and "point as the decimal separator" in msg and ".xlsx" in msg


def test_a_european_excel_csv_is_refused_not_read_100_times_over(base, tmp_path, capsys) -> None:
    """A semicolon CSV saved by Excel set to German (Germany): General numbers with a
    decimal comma. Dropping the comma as grouping read 1,00,000 times the paise."""
    books = write(tmp_path / "einkauf.csv", *register(indian_date, excel_general_decimal_comma),
                  delimiter=";")
    _, _, err, _ = reconcile(base, tmp_path, capsys, books, allowed=(2,))
    first = next(i for i, d in enumerate(D.BOOKS, 2) if d.totals()["txval"] % 1)
    assert "einkauf.csv" in err and "decimal comma" in err
    assert f"row {first}, column 'Taxable Value'" in err


# --------------------------------------------------------------------------- 3. Dr / Cr


def test_dr_and_cr_in_one_column_without_a_type_column_are_refused() -> None:
    from ims_xl.formats.register.cells import paise_column
    cells = ["1,000.00 Dr", "", "250.00 Cr", "500.00 Dr"]
    with pytest.raises(RegisterError) as e:
        paise_column(cells, "reg.csv", "'Amount' (taxable value)", lambda j: j + 6, False)
    msg = str(e.value)
    assert "column 'Amount' (taxable value)" in msg and "Dr (rows 6, 9)" in msg and "Cr (rows 8)" in msg
    assert "document type" in msg and "signed amounts" in msg
    # with a type column the type decides; one side alone is read as today
    assert paise_column(cells, "reg.csv", "'Amount'", lambda j: j + 6, True).tolist() == [100000, 0, 25000, 50000]
    assert paise_column(["1.00 Cr", "2.00 Cr"], "reg.csv", "'Amount'", None, False).tolist() == [100, 200]
    assert paise_column(cells) is None  # without a reading context: the caller reads cell by cell


def test_a_tally_export_without_voucher_types_is_refused(base, tmp_path, capsys) -> None:
    """A TallyPrime ledger export (Dr/Cr amounts) with the voucher type column switched off:
    the returns' 'Cr' was read as a ledger side, every return an invoice, silently."""
    header, rows = register(indian_date, tally_drcr, kind_column=False)
    books = write(tmp_path / "purchase_ledger.csv", header, rows)
    _, _, err, _ = reconcile(base, tmp_path, capsys, books, allowed=(2,))
    cr_rows = [i for i, d in enumerate(D.BOOKS, 2) if d.kind == "credit_note"]
    assert "column 'Taxable Value'" in err and "Dr (rows 2, 3" in err
    assert f"Cr (rows {', '.join(map(str, cr_rows))})" in err
    assert "document type" in err and "signed amounts" in err


def test_a_tally_export_with_its_type_column_reads_dr_cr_as_the_twin(base, tmp_path, capsys) -> None:
    books = write(tmp_path / "purchase_ledger.csv", *register(indian_date, tally_drcr))
    _, _, _, m = reconcile(base, tmp_path, capsys, books)
    assert statuses(m) == base["twin"]


# --------------------------------------------------------------------------- 4. decimals


def test_three_decimals_are_refused_as_such() -> None:
    for cell in ("10.005", 10.005, "1,41,811.907"):
        grid = [["GSTIN", "Invoice No", "Taxable Value"], [G1, "1", "10"], [G1, "2", cell]]
        with pytest.raises(RegisterError) as e:
            read_register_grid(grid, "reg.csv")
        msg = str(e.value)
        assert msg.startswith("reg.csv: row 3, column 'Taxable Value'"), msg
        assert "has more than 2 decimals" in msg and "is not an amount" not in msg, msg
    grid = [["GSTIN", "Invoice No", "Taxable Value"], [G1, "1", "see bill"]]
    with pytest.raises(RegisterError, match="'see bill' is not an amount"):
        read_register_grid(grid, "reg.csv")


def test_an_unrounded_tax_is_refused_as_more_than_2_decimals(base, tmp_path, capsys) -> None:
    """A CA's sheet whose CGST column is a formula (taxable x 9%) saved to CSV unrounded."""
    header, rows = register(indian_date, plain_amount)
    k = header.index("Central Tax")
    rows[0][k] = f"{Decimal(rows[0][header.index('Taxable Value')]) * Decimal('0.09') + Decimal('0.005'):f}"
    books = write(tmp_path / "register.csv", header, rows)
    _, _, err, _ = reconcile(base, tmp_path, capsys, books, allowed=(2,))
    assert "row 2, column 'Central Tax'" in err and "has more than 2 decimals" in err


@pytest.mark.parametrize("text", ["1" * 40, "9" * 25, "-" + "1" * 30])
def test_an_amount_beyond_any_column_of_paise_is_refused_naming_row_and_column(text) -> None:
    """A 40-digit number typed in an amount cell (found by the heavy tier's fuzz test): its
    paise do not fit the int64 an amount column is kept in, and the read crashed."""
    grid = [["GSTIN", "Invoice No", "Taxable Value"], [G1, "1", "1000"], [G1, "2", text]]
    with pytest.raises(RegisterError) as e:
        read_register_grid(grid, "reg.csv")
    assert "row 3" in str(e.value) and "not a realistic amount" in str(e.value) and "Taxable Value" in str(e.value)
