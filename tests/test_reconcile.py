"""Tests for ims_xl.reconcile.matcher: one test per tier and per reason code, actions, properties."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import budget
from ims_xl.gstin import check_char
from ims_xl.reconcile.matcher import (MATCHES_COLUMNS, MatchSettings, MatchStatus, REASON_CODES,
                              apply_suggestions, matches_frame, normalise_doc_no, reconcile)


def gstin(state: str = "27", pan: str = "AAPFU0939F") -> str:
    first14 = f"{state}{pan}1Z"
    return first14 + check_char(first14)


G1 = gstin()
G1_OTHER_STATE = gstin("29")  # same PAN, Karnataka
G2 = gstin("27", "AAACB1234C")
L = 100  # paise per rupee


def ims_rec(ref=1, section="b2b", stin=G1, doc_no="INV-1", doc_date="05-11-2024",
            txval=100000 * L, iamt=0, camt=9000 * L, samt=9000 * L, cess=0, val=None,
            orig_doc_no="", blocked=False, action="N"):
    val = txval + iamt + camt + samt + cess if val is None else val
    return dict(ref=ref, section=section, stin=stin, tradenm="Alpha", doc_no=doc_no,
                doc_date=doc_date, orig_doc_no=orig_doc_no, orig_doc_date="", pos="27",
                txval=txval, iamt=iamt, camt=camt, samt=samt, cess=cess, val=val,
                action=action, ispendactblocked=blocked, rtnprd="112024")


def book(row=2, stin=G1, doc_no="INV-1", doc_date="2024-11-05", kind="invoice",
         txval=100000 * L, iamt=0, camt=9000 * L, samt=9000 * L, cess=0, val=None,
         orig_doc_no=""):
    val = txval + iamt + camt + samt + cess if val is None else val
    return dict(books_row=row, source_rows=str(row), stin=stin, tradenm="Alpha", doc_kind=kind,
                doc_no=doc_no, doc_date=pd.Timestamp(doc_date), pos="27", txval=txval,
                iamt=iamt, camt=camt, samt=samt, cess=cess, val=val, orig_doc_no=orig_doc_no)


def frames(ims_rows, books_rows):
    ims = pd.DataFrame(ims_rows, columns=list(ims_rec().keys()))
    books = pd.DataFrame(books_rows)
    if books.empty:
        books = pd.DataFrame(columns=list(book().keys()))
        books["doc_date"] = books["doc_date"].astype("datetime64[ns]")
    return ims, books


def one(ims_rows, books_rows, s=MatchSettings()):
    """Reconcile and return the first IMS result row as a dict."""
    res = reconcile(*frames(ims_rows, books_rows), s)
    return res.ims.iloc[0].to_dict()


def codes(row):
    return set(filter(None, row["reason_codes"].split("|")))


# ------------------------------------------------------------------ normalisation


@pytest.mark.parametrize("a, b", [
    ("INV/2024/0891", "INV-2024-891"), ("INV/2024-25/0891", "inv 891"), ("TRI/18-19/2186", "TRI2186"),
    ("FY24-25/0012", "12"), ("A/1003", "A1003"), ("INV/0891/A", "inv-891-a"),
    ("2024/2025/7", "7"), ("000123", "123"),
    # every written form of the financial year (README, "Registers as accounting software exports them"): 2025-26, 25-26, 2526,
    # 2025/26, FY25-26, FY2526
    ("INV/2025-26/42", "INV/25-26/0042"), ("INV/2526/42", "INV/25-26/42"), ("INV/2025/26/42", "INV-42"),
    ("FY25-26/42", "FY2526/42"), ("GST-2526-118", "GST/25-26/118"),
])
def test_normalise_equal(a, b):
    assert normalise_doc_no(a) == normalise_doc_no(b)


@pytest.mark.parametrize("a, b", [
    ("1/2025", "1/2026"), ("1", "11"), ("BILL-23-00040", "BILL-23-00045"), ("A-10-05", "A-1005"),
    ("06-17/LKO/1052", "LKO/1052"),  # 06-17 is not a financial year
    ("A2526B/3", "AB/3"),  # four digits inside a word are not a year pair
    ("INV/2527/42", "INV/42"),  # 25 and 27 are not consecutive
])
def test_normalise_different(a, b):
    assert normalise_doc_no(a) != normalise_doc_no(b)


# ------------------------------------------------------------------ tiers


def test_exact_match_is_accepted():
    r = one([ims_rec()], [book(row=7)])
    assert (r["status"], r["books_row"], r["score"], r["suggested_action"]) == (
        "Matched", 7, 100.0, "A")
    assert (r["reasons"], r["reason_codes"], r["diff_fields"], r["books_values"]) == (
        "", "", "", "{}")


def test_number_format_only_is_matched_with_a_reason():
    r = one([ims_rec(doc_no="INV/2024-25/0891")], [book(doc_no="inv-891")])
    assert r["status"] == "Matched" and r["books_row"] == 2
    assert codes(r) == {"number-format"}
    assert r["diff_fields"] == "doc_no"
    assert json.loads(r["books_values"]) == {"doc_no": "inv-891"}
    assert "books inv-891, IMS INV/2024-25/0891" in r["reasons"]


def test_within_tolerance_amount_with_formatted_difference():
    r = one([ims_rec(txval=100001 * L)], [book()])
    assert r["status"] == "Matched within tolerance" and r["suggested_action"] == "A"
    assert "Taxable value: books 1,00,000.00, IMS 1,00,001.00, +1.00" in r["reasons"]
    assert codes(r) == {"taxable-diff", "value-diff"}
    assert r["diff_fields"] == "txval|val"


def test_within_tolerance_date():
    r = one([ims_rec(doc_date="07-11-2024")], [book()])
    assert r["status"] == "Matched within tolerance"
    assert codes(r) == {"date-diff"}
    assert "Date: books 05-11-2024, IMS 07-11-2024, +2 days" in r["reasons"]
    assert json.loads(r["books_values"]) == {"doc_date": "05-11-2024"}


def test_tolerance_is_a_setting():
    s = MatchSettings(tol_txval=500 * L, tol_val=500 * L)
    assert one([ims_rec(txval=100300 * L)], [book()], s)["status"] == "Matched within tolerance"
    assert one([ims_rec(txval=100300 * L)], [book()])["status"] == "Value mismatch"


def test_value_mismatch_suggests_pending_with_a_remark():
    r = one([ims_rec(txval=100002 * L, val=118000 * L)], [book()])
    assert r["status"] == "Value mismatch"
    assert codes(r) == {"taxable-diff"}
    assert "Taxable value: books 1,00,000.00, IMS 1,00,002.00, +2.00" in r["reasons"]
    assert r["suggested_action"] == "P"
    assert r["suggested_remarks"] == "Incorrect taxable value: books 1,00,000.00"


@pytest.mark.parametrize("head, code", [("iamt", "igst-diff"), ("camt", "cgst-diff"),
                                        ("samt", "sgst-diff"), ("cess", "cess-diff"),
                                        ("val", "value-diff")])
def test_reason_code_per_head(head, code):
    kw = {head: {"iamt": 500 * L, "camt": 9500 * L, "samt": 9500 * L, "cess": 500 * L,
                 "val": 120000 * L}[head]}
    base = ims_rec()
    if head != "val":
        kw["val"] = base["val"]  # only the head differs
    r = one([ims_rec(**kw)], [book()])
    assert code in codes(r)
    assert head in r["diff_fields"].split("|")
    assert r["status"] == "Value mismatch"


def test_tax_head_swap():
    r = one([ims_rec(iamt=18000 * L, camt=0, samt=0)], [book()])
    assert r["status"] == "Tax-head mismatch"
    assert codes(r) == {"tax-head-swapped"}
    assert set(r["diff_fields"].split("|")) == {"iamt", "camt", "samt"}
    assert r["suggested_action"] == "P"
    assert "Incorrect tax head" in r["suggested_remarks"]


def test_date_mismatch():
    r = one([ims_rec(doc_date="20-11-2024")], [book()])
    assert r["status"] == "Date mismatch" and codes(r) == {"date-diff"}
    assert r["suggested_remarks"] == "Incorrect invoice date: books 05-11-2024"


def test_fuzzy_number_is_only_suggested():
    r = one([ims_rec(doc_no="INV-45871")], [book(doc_no="INV-45817")])
    assert r["status"] == "Suggested" and r["books_row"] == 2
    assert codes(r) == {"fuzzy-number"}
    assert r["suggested_action"] == ""


def test_buyer_prefix_is_suggested():
    r = one([ims_rec(doc_no="4587")], [book(doc_no="PUR/INV-4587")])
    assert r["status"] == "Suggested" and "fuzzy-number" in codes(r)


def test_number_ignored_same_supplier_amounts_month():
    r = one([ims_rec(doc_no="77", doc_date="20-11-2024")], [book(doc_no="X12", doc_date="2024-11-19")])
    assert r["status"] == "Suggested" and codes(r) == {"number-ignored", "date-diff"}
    assert r["suggested_action"] == ""


def test_number_ignored_needs_the_same_month():
    r = one([ims_rec(doc_no="77", doc_date="02-12-2024")], [book(doc_no="X12", doc_date="2024-11-20")])
    assert r["status"] == "Missing in books"


def test_pan_level():
    r = one([ims_rec(stin=G1_OTHER_STATE)], [book(stin=G1)])
    assert r["status"] == "GSTIN mismatch (same PAN)"
    assert codes(r) == {"gstin-same-pan"}
    assert r["diff_fields"] == "stin"
    assert json.loads(r["books_values"]) == {"stin": G1}
    assert r["suggested_action"] == "P"
    assert r["suggested_remarks"].startswith("GSTIN mismatch")


def test_amendment_matches_through_its_original_number():
    r = one([ims_rec(section="b2ba", doc_no="INV-9", orig_doc_no="INV-1")], [book(doc_no="INV-1")])
    assert r["status"] == "Matched within tolerance" and r["books_row"] == 2
    assert codes(r) == {"amended-original"}


def test_only_same_kind_pairs():
    r = one([ims_rec(section="b2bcn", doc_no="1")], [book(doc_no="1", kind="invoice")])
    assert r["status"] == "Missing in books"
    r = one([ims_rec(section="b2bcn", doc_no="1")], [book(doc_no="1", kind="credit_note")])
    assert r["status"] == "Matched"


def test_missing_in_books_pending_unless_blocked():
    r = one([ims_rec(section="b2bcn", doc_no="CN-1")], [])
    assert (r["status"], r["reason_codes"], r["suggested_action"]) == (
        "Missing in books", "not-in-books", "P")
    assert r["suggested_remarks"] == "Credit note not found in our books"
    r = one([ims_rec(blocked=True)], [])
    assert r["suggested_action"] == "" and r["suggested_remarks"] == "Invoice not found in our books"


def test_pending_never_suggested_where_blocked():
    r = one([ims_rec(txval=100500 * L, blocked=True)], [book()])
    assert r["status"] == "Value mismatch" and r["suggested_action"] == ""
    assert r["suggested_remarks"].startswith("Incorrect taxable value")


def test_duplicate_in_ims_is_never_auto_rejected():
    res = reconcile(*frames([ims_rec(ref=1, doc_no="INV/1"), ims_rec(ref=2, doc_no="INV-01")],
                            [book(doc_no="INV-1")]))
    a, b = res.ims.to_dict("records")
    assert a["status"] == "Matched" and a["books_row"] == 2
    assert b["status"] == "Duplicate in IMS" and pd.isna(b["books_row"])
    assert b["reason_codes"] == "duplicate-in-ims"
    assert "ref 1" in b["reasons"]
    assert b["suggested_action"] == ""
    assert b["suggested_remarks"] == "Duplicate record: reject after confirming"


def test_duplicate_and_missing_in_books_side():
    res = reconcile(*frames([ims_rec()], [book(row=2), book(row=3), book(row=4, doc_no="Z-9")]))
    b = res.books.set_index("books_row")
    assert b.loc[2, "status"] == "Matched" and b.loc[2, "ref"] == 1
    assert b.loc[3, "status"] == "Duplicate in books" and b.loc[3, "reason_codes"] == "duplicate-in-books"
    assert b.loc[4, "status"] == "Missing in IMS" and b.loc[4, "reason_codes"] == "not-in-ims"
    assert pd.isna(b.loc[4, "ref"])


def test_never_pair_1_with_11_when_amounts_differ():
    r = one([ims_rec(doc_no="1")], [book(doc_no="11", txval=5000 * L)])
    assert r["status"] == "Missing in books"


def test_never_pair_near_numbers_when_amounts_differ():
    r = one([ims_rec(doc_no="BILL-23-00040")], [book(doc_no="BILL-23-00045", txval=70000 * L)])
    assert r["status"] == "Missing in books" and pd.isna(r["books_row"])


def test_normalisation_clash_is_resolved_by_amounts_not_order():
    rows = [book(row=2, doc_no="A/1003", txval=5000 * L), book(row=3, doc_no="A1003")]
    for order in (rows, rows[::-1]):
        r = one([ims_rec(doc_no="A-1003")], order)
        assert r["books_row"] == 3 and r["status"] == "Matched"


def test_two_candidates_resolved_by_date_not_position():
    rows = [book(row=2, doc_date="2024-11-02"), book(row=3, doc_date="2024-11-04")]
    for order in (rows, rows[::-1]):
        res = reconcile(*frames([ims_rec()], order))
        assert res.ims["books_row"].iloc[0] == 3


def test_same_number_a_year_earlier_is_another_document():
    r = one([ims_rec(doc_no="INV/2024-25/1")], [book(doc_no="INV/2023-24/1", doc_date="2023-11-05")])
    assert r["status"] == "Missing in books"


def test_remarks_are_capped():
    r = one([ims_rec(txval=1, iamt=2, camt=3, samt=4, cess=5, val=6, doc_date="25-11-2024",
                     stin=G1_OTHER_STATE)], [book()], MatchSettings(remarks_max_len=40))
    assert len(r["suggested_remarks"]) <= 40


def test_every_reason_code_is_documented():
    res = reconcile(*frames(
        [ims_rec(ref=1), ims_rec(ref=2, doc_no="INV/0002", txval=100001 * L),
         ims_rec(ref=3, doc_no="3", iamt=18000 * L, camt=0, samt=0, doc_date="09-11-2024"),
         ims_rec(ref=4, doc_no="nope"), ims_rec(ref=5, doc_no="INV-1/")],
        [book(row=2), book(row=3, doc_no="INV-2"), book(row=4, doc_no="3"), book(row=5, doc_no="X")]))
    seen = {c for v in res.ims["reason_codes"] for c in v.split("|") if c}
    seen |= {c for v in res.books["reason_codes"] for c in v.split("|") if c}
    assert seen <= set(REASON_CODES)
    assert set(res.ims["status"]) <= {s.value for s in MatchStatus}


def test_inputs_are_not_modified():
    ims, books = frames([ims_rec(), ims_rec(ref=2, doc_no="X")], [book(), book(row=3, doc_no="Y")])
    i0, b0 = ims.copy(deep=True), books.copy(deep=True)
    reconcile(ims, books)
    pd.testing.assert_frame_equal(ims, i0)
    pd.testing.assert_frame_equal(books, b0)


def test_empty_inputs():
    ims, books = frames([ims_rec()], [])
    res = reconcile(ims, books)
    assert res.ims["status"].tolist() == ["Missing in books"]
    res = reconcile(ims.iloc[:0], pd.DataFrame([book()]))
    assert res.ims.empty and res.books["status"].tolist() == ["Missing in IMS"]


# ------------------------------------------------------------------ helpers


def test_apply_suggestions_only_on_no_action():
    cur = pd.Series(["N", "A", "R", "P", "N", "No Action", "N"], index=list("abcdefg"))
    sug = pd.Series(["A", "P", "A", "A", "", "P", "P"], index=list("abcdefg"))
    out = apply_suggestions(cur, sug)
    assert out.tolist() == ["A", "A", "R", "P", "N", "P", "P"]
    assert cur.tolist() == ["N", "A", "R", "P", "N", "No Action", "N"]  # not mutated
    statuses = pd.Series(["Matched", "Matched", "Matched", "Matched", "Matched", "Value mismatch",
                          "Missing in books"], index=list("abcdefg"))
    out = apply_suggestions(cur, sug, statuses, only_status={"Matched"})
    assert out.tolist() == ["A", "A", "R", "P", "N", "No Action", "N"]


def test_matches_frame_columns_and_books_only_rows():
    ims, books = frames([ims_rec(ref=1), ims_rec(ref=2, doc_no="Q")],
                        [book(row=5), book(row=9, doc_no="Z-1", doc_date="2024-10-01")])
    res = reconcile(ims, books)
    m = matches_frame(res, ims, books)
    assert tuple(m.columns) == MATCHES_COLUMNS
    assert m["section"].tolist() == ["b2b", "b2b", ""]
    assert m["books_row"].tolist()[0] == 5 and pd.isna(m["books_row"].iloc[1])
    last = m.iloc[2].to_dict()
    assert (last["stin"], last["doc_no"], last["doc_date"], last["books_row"], last["status"]) == (
        G1, "Z-1", "01-10-2024", 9, "Missing in IMS")


# ------------------------------------------------------------------ properties

_NUMBERS = ["1", "11", "A/1003", "A1003", "INV-0891", "INV/891", "BILL-23-00040",
            "BILL-23-00045", "X7"]
_AMOUNTS = [100000, 100100, 100250, 118000, 5000]
_STINS = [G1, G1_OTHER_STATE, G2]
_DAYS = ["03-11-2024", "05-11-2024", "06-11-2024", "25-11-2024", "03-12-2024"]


@st.composite
def cases(draw):
    n = draw(st.integers(0, 9))
    m = draw(st.integers(0, 9))
    ims_rows, books_rows = [], []
    for k in range(n):
        tx = draw(st.sampled_from(_AMOUNTS)) * L
        igst = draw(st.booleans())
        tax = tx * 18 // 100
        ims_rows.append(ims_rec(
            ref=10 + 3 * k, section=draw(st.sampled_from(["b2b", "b2b", "b2bcn", "b2ba"])),
            stin=draw(st.sampled_from(_STINS)), doc_no=draw(st.sampled_from(_NUMBERS)),
            doc_date=draw(st.sampled_from(_DAYS)), txval=tx, iamt=tax if igst else 0,
            camt=0 if igst else tax // 2, samt=0 if igst else tax - tax // 2,
            orig_doc_no=draw(st.sampled_from(["", "1", "A1003"])),
            blocked=draw(st.booleans()), action=draw(st.sampled_from(["N", "A", "R", "P"]))))
    for k in range(m):
        tx = draw(st.sampled_from(_AMOUNTS)) * L
        igst = draw(st.booleans())
        tax = tx * 18 // 100
        d, mo, y = draw(st.sampled_from(_DAYS)).split("-")
        books_rows.append(book(
            row=2 + 2 * k, stin=draw(st.sampled_from(_STINS)),
            doc_no=draw(st.sampled_from(_NUMBERS)), doc_date=f"{y}-{mo}-{d}",
            kind=draw(st.sampled_from(["invoice", "invoice", "credit_note"])), txval=tx,
            iamt=tax if igst else 0, camt=0 if igst else tax // 2,
            samt=0 if igst else tax - tax // 2))
    seed = draw(st.integers(0, 2**32 - 1))
    return ims_rows, books_rows, seed


_PROP = settings(max_examples=budget(15, 60), deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@_PROP
@given(cases())
def test_property_order_independence(case):
    ims_rows, books_rows, seed = case
    ims, books = frames(ims_rows, books_rows)
    rng = np.random.default_rng(seed)
    a = reconcile(ims, books)
    b = reconcile(ims.iloc[rng.permutation(len(ims))], books.iloc[rng.permutation(len(books))])
    pd.testing.assert_frame_equal(a.ims, b.ims)
    pd.testing.assert_frame_equal(a.books, b.books)


@_PROP
@given(cases())
def test_property_one_status_per_ims_row_and_one_to_one(case):
    ims_rows, books_rows, _ = case
    ims, books = frames(ims_rows, books_rows)
    res = reconcile(ims, books)
    r = res.ims
    assert sorted(r["ref"]) == sorted(ims["ref"]) and r["ref"].is_unique
    assert set(r["status"]) <= {s.value for s in MatchStatus} - {"Missing in IMS",
                                                                 "Duplicate in books"}
    paired = r["books_row"].dropna()
    assert paired.is_unique  # no books row paired twice
    assert set(paired) <= set(books["books_row"])
    # paired exactly when the status names a pair
    unpaired_statuses = {"Missing in books", "Duplicate in IMS"}
    assert (r["books_row"].isna() == r["status"].isin(unpaired_statuses)).all()
    # the books side agrees with the IMS side
    b = res.books.dropna(subset=["ref"])
    assert dict(zip(b["books_row"], b["ref"])) == dict(zip(paired, r.loc[paired.index, "ref"]))
    # only documents of the same kind are paired
    kinds = {"b2b": "invoice", "b2ba": "invoice", "b2bcn": "credit_note"}
    ik = dict(zip(ims["ref"], ims["section"].map(kinds)))
    bk = dict(zip(books["books_row"], books["doc_kind"]))
    assert all(ik[ref] == bk[row] for ref, row in zip(r.loc[paired.index, "ref"], paired))


@_PROP
@given(cases())
def test_property_suggestions_are_safe(case):
    ims_rows, books_rows, _ = case
    ims, books = frames(ims_rows, books_rows)
    res = reconcile(ims, books)
    r = res.ims.merge(ims[["ref", "ispendactblocked", "action"]], on="ref")
    # fuzzy / number-ignored pairs are never auto-matched
    loose = r["reason_codes"].str.contains("fuzzy-number|number-ignored")
    assert (r.loc[loose, "status"] == "Suggested").all()
    assert (r.loc[loose, "suggested_action"] == "").all()
    # never Pending where blocked, never an automatic Reject
    assert not ((r["suggested_action"] == "P") & r["ispendactblocked"]).any()
    assert not (r["suggested_action"] == "R").any()
    assert set(r["suggested_action"]) <= {"A", "P", ""}
    assert (r["suggested_action"].eq("A") == r["status"].isin(
        ["Matched", "Matched within tolerance"])).all()
    assert (r["suggested_remarks"].str.len() <= 250).all()
    # applying suggestions never overwrites an action the accountant entered
    new = apply_suggestions(r["action"], r["suggested_action"])
    entered = r["action"] != "N"
    assert (new[entered] == r.loc[entered, "action"]).all()
    changed = new != r["action"]
    assert (r.loc[changed, "action"] == "N").all()


def test_pending_flag_alias_and_safe_default():
    ims, books = frames([ims_rec(doc_no="nope")], [])
    alias = ims.rename(columns={"ispendactblocked": "pend_blocked"}).assign(pend_blocked=True)
    assert reconcile(alias, books).ims["suggested_action"].tolist() == [""]
    absent = ims.drop(columns=["ispendactblocked"])
    assert reconcile(absent, books).ims["suggested_action"].tolist() == [""]
    assert reconcile(ims, books).ims["suggested_action"].tolist() == ["P"]


# ------------------------------------------------------------------ end to end on the sample


def test_sample_register_end_to_end(tmp_path):
    import csv

    from ims_xl.formats.register import read_register_grid
    from ims_xl.samples.download import generate_download
    from ims_xl.samples.register import (EXPECTED_STATUS, add_ims_duplicates, generate_register,
                                     ims_frame_from_download, write_ground_truth_csv,
                                     write_register_csv)

    for seed in (2, 3):  # both register layouts (Tally text, sheet of numbers)
        download = add_ims_duplicates(generate_download(400, seed), seed, share=0.05)
        grid, truth = generate_register(download, seed)
        assert generate_register(download, seed) == (grid, truth)  # deterministic
        write_register_csv(tmp_path / "r.csv", grid)
        write_ground_truth_csv(tmp_path / "t.csv", truth)
        with open(tmp_path / "r.csv", newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        with open(tmp_path / "t.csv", newline="", encoding="utf-8") as fh:
            assert len(list(csv.DictReader(fh))) == len(truth)
        ims = ims_frame_from_download(download)
        res = reconcile(ims, read_register_grid(rows, "r.csv").books)
        t = pd.DataFrame([x for x in truth if x["section"]])
        r = res.ims.sort_values("ref").reset_index(drop=True)
        exp = pd.to_numeric(t["books_row"]).astype(float)
        got = r["books_row"].astype("Float64").astype(float)
        auto = r["status"].isin(["Matched", "Matched within tolerance"])
        assert auto.sum() > 250
        assert (got[auto] == exp[auto]).all()  # no wrong pair auto-matched
        pairs = exp.notna()
        assert (got[pairs] == exp[pairs]).mean() >= 0.98
        ok = r["status"] == t["perturbation"].map(EXPECTED_STATUS)
        assert ok.mean() >= 0.98
        assert set(t["perturbation"]) >= {"none", "number-format", "missing-in-books",
                                          "duplicate-in-ims", "split-rate"}


def test_reasons_are_joined_across_columns_skipping_the_empty_ones() -> None:
    import numpy as np
    from ims_xl.reconcile.explain import _join
    cols = [np.array(["a", "", None, "d", ""], dtype=object), ["", "b", "c", "", ""],
            np.array(["x", "y", "", None, ""], dtype=object)]
    assert _join(cols, "; ", 5) == ["; ".join(t for t in row if t) for row in zip(*cols)] \
        == ["a; x", "b; y", "c", "d", ""]
    assert _join([], "|", 2) == ["", ""]
