"""Reconcile on a review book: the IMS frame for the matcher, its results onto the rows,
the suggested actions, and the report tables. Pure core (pandas); no workbook I/O.

The matcher itself is :mod:`ims_xl.reconcile.matcher`; the register reader :mod:`ims_xl.formats.register`.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ..review.checks import typed_actions
from ..review.inputs import per_value
from ..model import ACTION_LABELS, ACTION_WORDS, ITC_SIGN, Action
from ..money import rupees
from .matcher import IMS_COLUMNS, MatchStatus, ReconcileResult
from ..review.book import ReviewBook, cell_text
from ..jsontext import brief, encoder

#: Human names of the IMS fields the matcher reports as differing.
FIELD_NAMES: dict[str, str] = {"txval": "Taxable value", "iamt": "IGST", "camt": "CGST", "samt": "SGST",
                               "cess": "Cess", "val": "Value", "doc_date": "Date", "doc_no": "Number",
                               "stin": "GSTIN", "orig_doc_no": "Original number",
                               "orig_doc_date": "Original date"}
#: Statuses whose pair is trusted (counted as matched in reports).
MATCHED = (MatchStatus.MATCHED.value, MatchStatus.WITHIN_TOLERANCE.value)
#: Sections where accepting asks "Whether ITC to be reduced" and ims-xl can't answer for you:
#: an amendment may be upward or downward (IMS_FORMAT V3). Credit notes always reduce ITC.
# amended records (a credit note's amendment too: the reduction already taken on its original
# is not the amended note's full tax) wait for the accountant's ITC answer; an original credit
# note's full tax is the answer a plain acceptance gives
_ASK_ITC = frozenset({"b2ba", "b2bdna", "b2bcna", "ecoma"})
_CREDIT = frozenset({"b2bcn"})


def ims_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The matcher's IMS input (``reconcile.IMS_COLUMNS``) from review rows."""
    f = rows.rename(columns={"pend_blocked": "ispendactblocked"})
    return f[list(IMS_COLUMNS)].reset_index(drop=True)


#: The hidden match detail of a row, compact (one encoder, not one per row).
_DETAIL = encoder(ensure_ascii=False, separators=(",", ":"))


def apply_result(book: ReviewBook, result: ReconcileResult) -> ReviewBook:
    """Write the matcher's results into the rows' reconcile columns (one status per row)."""
    r = result.ims.set_index("ref")
    rows = book.rows.copy(deep=False)  # every column below is replaced whole, none changed in place
    refs = rows["ref"].to_numpy()
    sub = r.reindex(refs)
    rows["match_status"] = sub["status"].astype(object).fillna("").to_numpy()
    rows["books_row"] = ["" if na else str(int(v))  # blank: no pair
                         for v, na in zip(sub["books_row"].tolist(), sub["books_row"].isna().tolist())]
    rows["match_reasons"] = sub["reasons"].astype(object).fillna("").to_numpy()
    rows["suggested_action"] = [ACTION_WORDS.get(a, "") for a in sub["suggested_action"].fillna("").tolist()]
    rows["suggested_remarks"] = sub["suggested_remarks"].astype(object).fillna("").to_numpy()
    fields = sub["diff_fields"].fillna("").to_numpy()
    names = {f: ", ".join(FIELD_NAMES.get(x, x) for x in f.split("|") if x) for f in set(fields.tolist())}
    rows["match_fields"] = [names[f] for f in fields.tolist()]
    # a detail is its record's status, fields, codes and books values, then its books row
    # last: everything before the row is made once for each such combination (a month has
    # few of them besides the records whose books values differ)
    # (the object encoded piece by piece: its status, fields and codes once per combination,
    # and the books row, digits or blank, needs no escaping: 0.25 -> 0.18 s at 100,000 rows)
    heads: dict[tuple, str] = {}
    starts: dict[tuple, str] = {}
    details = []
    for st, f, c, bv, br in zip(rows["match_status"].tolist(), fields.tolist(),
                                sub["reason_codes"].fillna("").tolist(), sub["books_values"].fillna("").tolist(),
                                rows["books_row"].tolist()):
        head = heads.get((st, f, c, bv))
        if head is None:
            try:
                books = brief(bv) if bv and bv != "{}" else {}
            except ValueError:
                books = {}
            start = starts.get((st, f, c))
            if start is None:
                start = starts[(st, f, c)] = _DETAIL(
                    {"status": st, "fields": [x for x in f.split("|") if x],
                     "codes": [x for x in c.split("|") if x]})[:-1] + ',"books":'
            head = start + _DETAIL(books) + ',"row":'
            if not books:  # books values are mostly one record's own: not worth keeping
                heads[(st, f, c, bv)] = head
        details.append(head + '"' + br + '"}')
    rows["match_detail"] = details
    return replace(book, rows=rows)


def apply_suggestions(book: ReviewBook, refs: set[int] | None = None,
                      statuses: set[str] | None = None) -> tuple[ReviewBook, dict[str, int]]:
    """Copy suggested actions into rows still at No Action; never overwrite the accountant.

    A suggested Reject is never applied automatically (never auto-reject). Pending is never
    set where the portal blocks it. Accepting a credit note also answers "Whether ITC to be
    reduced" with Yes (the note's full tax) when unanswered: a credit note reduces ITC. On
    amended invoices, debit notes and e-commerce documents the answer depends on whether the
    amendment is downward, so those stay at No Action for the accountant ("needs ITC answer").
    Suggested remarks fill blank Remarks on Pending.

    Returns the new book and counts: ``applied``, ``kept`` (the accountant's own action),
    ``needs_itc_answer``, ``skipped`` (blocked or filtered out).
    """
    rows = book.rows.copy(deep=False)  # three columns replaced whole below, none changed in place
    typed = typed_actions(rows)
    # a cell typed but not understood ("?": "Rejct", "Hold") is the accountant's too: validate
    # names it (action-unknown); a suggestion over it could turn a meant Reject into Accept
    final = typed.where(typed != "", rows["action"])
    codes = {ACTION_LABELS[a]: a.value for a in Action}
    sug = pd.Series([codes.get(v, "") for v in rows["suggested_action"].tolist()], index=rows.index, dtype=object)
    sel = sug.isin(["A", "P"])
    if refs is not None:
        sel &= rows["ref"].isin(refs)
    if statuses is not None:
        sel &= rows["match_status"].isin(statuses)
    at_no_action = final == "N"
    blocked_pending = (sug == "P") & rows["pend_blocked"]
    ans = per_value(rows["itc_red_text"], cell_text)  # few distinct cells: each read once
    needs_itc = (sug == "A") & rows["section"].isin(_ASK_ITC) & ~rows["itc_blocked"] & (ans == "")
    go = sel & at_no_action & ~blocked_pending & ~needs_itc
    rows["action_text"] = rows["action_text"].mask(go, sug.map(ACTION_WORDS))
    credit = go & (sug == "A") & rows["section"].isin(_CREDIT) & ~rows["itc_blocked"] & (ans == "")
    rows["itc_red_text"] = rows["itc_red_text"].mask(credit, "Yes")
    rem_blank = per_value(rows["remarks_text"], cell_text) == ""
    pend = go & (sug == "P") & rem_blank & ~rows["remarks_blocked"]
    rows["remarks_text"] = rows["remarks_text"].mask(pend, rows["suggested_remarks"])
    counts = {"applied": int(go.sum()), "kept": int((sel & ~at_no_action).sum()),
              "needs_itc_answer": int((sel & at_no_action & needs_itc).sum()),
              "skipped": int((sel & at_no_action & blocked_pending).sum())}
    return replace(book, rows=rows), counts


def _tax(df: pd.DataFrame) -> pd.Series:
    return df["iamt"] + df["camt"] + df["samt"] + df["cess"]


def _book_sign(df: pd.DataFrame) -> pd.Series:
    """-1 for the books' credit notes (their ITC is negative), else 1."""
    return df["doc_kind"].map(lambda k: -1 if k == "credit_note" else 1)


def missing_in_ims_grid(result: ReconcileResult, books: pd.DataFrame) -> list[list[object]]:
    """The ``Missing in IMS`` sheet: booked documents no IMS record pairs with (chase the supplier).

    Amounts as booked, without sign; the ITC of a credit note is negative, as on the Summary,
    the Suppliers and the Carried forward sheets (carried from here to the Ageing sheet).
    """
    only = result.books[result.books["ref"].isna()][["books_row", "status", "reasons"]]
    b = only.merge(books, on="books_row", how="left")
    b = b.assign(itc=_tax(b) * _book_sign(b)).sort_values(["itc", "books_row"], ascending=[False, True])
    grid: list[list[object]] = [["Books row", "Status", "GSTIN of supplier", "Supplier name", "Document type",
                                 "Document number", "Document date", "Taxable value", "IGST", "CGST", "SGST",
                                 "Cess", "ITC", "Reasons"]]
    kinds = {"invoice": "Invoice", "credit_note": "Credit note", "debit_note": "Debit note"}
    return grid + _missing_rows(b, kinds)


#: The amounts of a Missing in IMS row, in its order.
_MISSING_AMOUNTS = ("txval", "iamt", "camt", "samt", "cess", "itc")


def _missing_rows(b: pd.DataFrame, kinds: dict[str, str]) -> list[list[object]]:
    """The Missing in IMS rows of ``b``, made a column at a time: each date written once (a
    few hundred distinct days), the amounts of an int64 column below 2**53 paise divided in
    an array, exactly as :func:`rupees` divides each (0.076 -> 0.018 s for the 8,500 such
    rows of 100,000 records)."""
    codes, days = pd.factorize(b["doc_date"])  # a missing date is -1: the blank put last
    dates = np.array([pd.Timestamp(d).strftime("%d-%m-%Y") for d in days] + [""], dtype=object)[codes]
    cols = [list(map(int, b["books_row"].tolist())), b["status"].tolist(), b["stin"].tolist(),
            b["tradenm"].tolist(), [kinds.get(k, k) for k in b["doc_kind"].tolist()], b["doc_no"].tolist(),
            dates.tolist(), *[_rupees_of(b[c]) for c in _MISSING_AMOUNTS], b["reasons"].tolist()]
    return list(map(list, zip(*cols)))


def _rupees_of(paise: pd.Series) -> list[float]:
    """:func:`rupees` of each amount: divided in an array where that is exact (int64 below
    2**53 paise, whose floats are the integers themselves), else one by one."""
    a = paise.to_numpy()
    if a.dtype == np.int64 and ((a > -2**53) & (a < 2**53)).all():
        return (a / 100).tolist()
    return [rupees(int(v)) for v in paise.tolist()]


def suppliers_grid(rows: pd.DataFrame, result: ReconcileResult, books: pd.DataFrame) -> list[list[object]]:
    """Supplier-wise summary ranked by ITC at risk (largest first).

    ITC at risk = tax on IMS records not matched to the books (mismatches, suggestions,
    missing in books, duplicates) + tax booked on documents missing in IMS or booked twice
    (ITC you booked that will not reach GSTR-2B). ``Missing in IMS`` counts only the former.
    """
    sign = rows["section"].map(ITC_SIGN)
    ims = pd.DataFrame({"stin": rows["stin"], "tradenm": rows["tradenm"], "status": rows["match_status"],
                        "tax": _tax(rows) * sign})
    ims["matched"] = ims["status"].isin(MATCHED)
    ims["missing"] = ims["status"] == MatchStatus.MISSING_IN_BOOKS.value
    ims["risk"] = ims["tax"].where(~ims["matched"], 0)
    g = ims.groupby("stin").agg(name=("tradenm", "first"), records=("status", "size"),
                                matched=("matched", "sum"), missing=("missing", "sum"),
                                itc=("tax", "sum"), risk=("risk", "sum"))
    only = result.books[result.books["ref"].isna()][["books_row", "status"]].merge(books, on="books_row")
    # a duplicate in the books is counted at risk (booked twice, in GSTR-2B once) but is not
    # missing in IMS: it is the accountant's double entry, not a document to chase
    ob = pd.DataFrame({"stin": only["stin"], "name": only["tradenm"], "tax": _tax(only) * _book_sign(only),
                       "missing_ims": only["status"] == MatchStatus.MISSING_IN_IMS.value})
    bg = ob.groupby("stin").agg(bname=("name", "first"), n_missing_ims=("missing_ims", "sum"),
                                tax_missing_ims=("tax", "sum"))
    t = g.join(bg, how="outer")
    t["name"] = t["name"].fillna(t["bname"]).fillna("")
    for c in ("records", "matched", "missing", "itc", "risk", "n_missing_ims", "tax_missing_ims"):
        t[c] = t[c].fillna(0).astype("int64")
    t["mismatched"] = t["records"] - t["matched"] - t["missing"]
    t["at_risk"] = t["risk"].abs() + t["tax_missing_ims"].abs()
    t = t.reset_index().sort_values(["at_risk", "stin"], ascending=[False, True])
    grid: list[list[object]] = [["GSTIN of supplier", "Supplier name", "IMS records", "Matched", "Mismatched / to review",
                                 "Missing in books", "Missing in IMS", "ITC in IMS", "ITC at risk"]]
    for r in t.itertuples(index=False):
        grid.append([r.stin, r.name, int(r.records), int(r.matched), int(r.mismatched), int(r.missing),
                     int(r.n_missing_ims), rupees(int(r.itc)), rupees(int(r.at_risk))])
    return grid
