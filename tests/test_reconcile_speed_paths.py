"""The register reader's speed paths read what the slow paths read: amount texts read as
bytes in arrays (cells._plain_paise) give the paise ``float`` gives, and identity columns of
text stripped at once give the texts ``_ident`` gives cell by cell."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ims_xl.formats.register import read_register_grid
from ims_xl.formats.register.cells import _at_once, _ident, _plain_paise, paise_column

_PLAIN = re.compile(r"-?[0-9]{1,12}(?:\.[0-9]{0,2})?")


def _by_float(texts: list[str]) -> np.ndarray | None:
    """The paise ``_at_once`` reads from texts through ``float`` (its route before the bytes)."""
    try:
        a = np.fromiter(map(float, texts), dtype=np.float64, count=len(texts))
    except ValueError:
        return None
    if not (np.abs(a) < 1e13).all():
        return None
    scaled = a * 100
    rounded = np.rint(scaled)
    if (np.abs(scaled - rounded) > np.maximum(1e-6, np.abs(scaled) * 1e-14)).any():
        return None
    return rounded.astype(np.int64)


_AMOUNT = st.builds(lambda sign, whole, point, frac: sign + whole + (point + frac if point else ""),
                    st.sampled_from(["", "-"]), st.text("0123456789", min_size=1, max_size=13),
                    st.sampled_from(["", "."]), st.text("0123456789", max_size=3))
_ODD = st.sampled_from(["", "-", ".5", "5.", "-0", "-0.00", "+5", " 5", "5 ", "1e3", "1_000", "--5", "5-",
                        "1.2.3", "-1-2", "\u0661\u0662", "0x10", "nan", "inf", "5\n6", "\n", "1,000.50",
                        "999999999999.99", "9999999999999.99", "000000000000001.5", "12.345", "7.10"])


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.lists(st.one_of(_AMOUNT, _ODD), min_size=1, max_size=8))
@example(["-16825.05", "0.0", "7.", "-0.00", "000123.4"])
@example(["999999999999.99", "-999999999999.99", "0.29", "0.57", "1.15"])
def test_amount_texts_read_as_bytes_are_the_paise_float_reads(texts) -> None:
    """_plain_paise takes exactly the plain texts (a minus, 1 to 12 digits, a point and up
    to 2 decimals) and gives for them the integers float() times 100, rounded, gives."""
    got = _plain_paise(texts)
    if all(_PLAIN.fullmatch(t) for t in texts):
        assert got is not None
    if got is not None:
        want = _by_float(texts)
        assert want is not None and got.dtype == np.int64 and got.tolist() == want.tolist()
        assert _at_once(texts).tolist() == want.tolist()


def test_plain_amount_texts_are_read_at_once_and_others_as_before() -> None:
    assert paise_column(["-14290.93", "0.0", "3940.97", "5."]).tolist() == [-1429093, 0, 394097, 500]
    # digit-group commas and blanks go first, then the texts are plain
    assert paise_column(["1,00,000.50", "", " 12 ", "-", "-3.5"]).tolist() == [10000050, 0, 1200, 0, -350]
    assert _plain_paise(["1.005"]) is None and paise_column(["1.005"]) is None  # a third decimal: refused
    assert _plain_paise(["1e3"]) is None and paise_column(["1e3"]).tolist() == [100000]
    assert _plain_paise(["9999999999999.99"]) is None  # 13 digits: left to float
    assert paise_column(["9999999999999.99"]).tolist() == [999999999999999]


_GSTINS = ["27ETKPL6184L1ZV", "24ALAPS6136B1ZH", "27AAKFR5247M1ZL"]
_NAME = st.one_of(st.none(), st.text(alphabet="ab \t", max_size=4), st.integers(0, 99), st.just(4.0))


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.sampled_from(_GSTINS), st.sampled_from(["", " ", "\t"]), _NAME,
                          st.sampled_from(["text", " padded ", "int", "float"])), min_size=1, max_size=6))
def test_identity_columns_read_at_once_are_the_cells_read_one_by_one(rows) -> None:
    """A GSTIN, name or number column of text only is stripped at once (the GSTIN column
    as _has_filled_identity read it); one holding numbers or blanks is read cell by cell: the
    documents carry what _ident reads from each cell, and numbers are warned of alike."""
    grid: list[list[object]] = [["GSTIN", "Supplier Name", "Invoice No", "Invoice Date", "Taxable Value",
                                 "IGST", "CGST", "SGST"]]
    numbers = []
    for k, (gstin, pad, name, how) in enumerate(rows):
        no = {"text": f"A{k}", " padded ": f" A{k} ", "int": 100 + k, "float": float(200 + k)}[how]
        if how in ("int", "float"):
            numbers.append(k + 2)
        grid.append([pad + gstin + pad, name, no, "01/04/2025", "100.00", "0", "9", "9"])
    r = read_register_grid(grid, "x.csv")
    books = r.books.sort_values("books_row")
    assert books["books_row"].tolist() == list(range(2, len(rows) + 2))
    assert books["stin"].tolist() == [g for g, _, _, _ in rows]
    assert books["tradenm"].tolist() == [_ident(row[1])[0] for row in grid[1:]]
    assert books["doc_no"].tolist() == [_ident(row[2])[0] for row in grid[1:]]
    held = [w for w in r.warnings if "instead of text" in w]
    assert len(held) == (1 if numbers else 0)
    if numbers:
        assert f"held {len(numbers)} number(s)" in held[0]


_DAYS = st.sampled_from([None, "2025-04-01", "2025-04-30", "1999-12-31"])
_BOOKED = st.tuples(st.sampled_from(["invoice", "credit_note", "debit_note", "voucher"]), _DAYS,
                    st.lists(st.integers(-10**14, 10**14), min_size=5, max_size=5),
                    st.sampled_from(["27ETKPL6184L1ZV", "", None]), st.sampled_from(["Acme", "", None]),
                    st.sampled_from(["Missing in IMS", "Duplicate in books"]))


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(_BOOKED, min_size=1, max_size=8), st.booleans())
# 2**53 + 1 paise: numpy's division of the int64 (made a float first) gives 90071992547409.92,
# rupees() 90071992547409.94
@example([("invoice", "2025-04-01", [2**53 + 1, -(2**53 + 1), 0, 0, 0], "27ETKPL6184L1ZV", "Acme",
           "Missing in IMS")], False)
def test_missing_in_ims_rows_made_a_column_at_a_time_are_the_rows_made_one_by_one(rows, huge) -> None:
    """missing_in_ims_grid's rows made a column at a time (dates written once, amounts divided
    in an array) are the rows made one by one, value for value and type for type: blank and
    repeated dates, kinds without a label, negative amounts, blank names; amounts beyond
    2**53 paise (not exact as floats in an array) divided one by one."""
    import pandas as pd

    import ims_xl.reconcile.matching as matching
    from ims_xl.money import rupees
    from ims_xl.reconcile.base import MatchSettings, ReconcileResult
    heads = ("txval", "iamt", "camt", "samt", "cess")
    books = pd.DataFrame({
        "books_row": [k + 2 for k in range(len(rows))],
        "stin": [r[3] for r in rows], "tradenm": [r[4] for r in rows], "doc_kind": [r[0] for r in rows],
        "doc_no": [f"N{k}" for k in range(len(rows))],
        "doc_date": pd.to_datetime([r[1] for r in rows]).astype("datetime64[ns]"),
        **{h: [r[2][j] * (10**4 if huge and j == 0 else 1) for r in rows] for j, h in enumerate(heads)},
    })
    result = ReconcileResult(ims=pd.DataFrame(), settings=MatchSettings(), books=pd.DataFrame({
        "books_row": books["books_row"], "status": [r[5] for r in rows], "ref": pd.array([None] * len(rows), dtype="Int64"),
        "reasons": [f"reason {k}" for k in range(len(rows))], "reason_codes": ""}))
    def one_by_one(b: pd.DataFrame, kinds: dict[str, str]) -> list[list[object]]:
        """The rows made one by one, each amount through rupees(): the reference."""
        out = []
        for r in b.itertuples(index=False):
            d = r.doc_date
            out.append([int(r.books_row), r.status, r.stin, r.tradenm, kinds.get(r.doc_kind, r.doc_kind),
                        r.doc_no, "" if pd.isna(d) else pd.Timestamp(d).strftime("%d-%m-%Y"),
                        *[rupees(int(getattr(r, c))) for c in matching._MISSING_AMOUNTS], r.reasons])
        return out

    fast = matching.missing_in_ims_grid(result, books)
    original = matching._missing_rows
    try:
        matching._missing_rows = one_by_one
        slow = matching.missing_in_ims_grid(result, books)
    finally:
        matching._missing_rows = original
    assert len(fast) == len(rows) + 1 and fast[0] == slow[0]
    assert fast == slow
    assert [[type(v) for v in r] for r in fast] == [[type(v) for v in r] for r in slow]
