"""The validation speed paths give exactly what the slow forms they replaced gave.

Each check of ``review.checks`` that reads a column once for several rules, compares texts in
numpy, or reads only the cells that hold something is run beside the code it replaced (kept
below as the oracle, ``slow_*``) on books whose typed and shown cells hold odd values in every
dtype a reader gives: each finding (code, severity, sheet, row, field, message, value), the
annotated rows and the cells to colour must be the same.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, timedelta
from itertools import repeat

import numpy as np
import pandas as pd
import pytest

from conftest import SUP_KA, SUP_MH, record, typed_book

from ims_xl.gstin import POS_CODES, gstin_problem, state_of
from ims_xl.model import (ACTION_LABELS, AMOUNT_KEYS, REMARKS_MAX_LEN, SECTION_BY_KEY, SECTIONS, TEXT_OR_NONE,
                          Action, Finding, Settings)
from ims_xl.money import AmountError, format_inr, paise_from_cell, parse_amount
from ims_xl.review import checks
from ims_xl.review.book import SHOWN_FIELDS, ReviewBook, shown_values
from ims_xl.review.checks import (_CONTROL, _HEADERS, E, EXCEL_ERRORS, _emit, _parse_date, _shown_text,
                                  final_actions, typed_actions)
from ims_xl.review.inputs import cell_text, declared, joined_texts, per_value, texts, yes_nos
from ims_xl.review.layout import columns_for
from ims_xl.review.upload import upload_plan, upload_records


# ---------------------------------------------------------------- the slow forms (the oracle)


def slow_check_actions(rows: pd.DataFrame, meta: dict, s: Settings) -> list[Finding]:
    t = typed_actions(rows)
    is_error = per_value(rows["action_text"], lambda v: isinstance(v, str) and v.strip() in EXCEL_ERRORS).astype(bool)
    out = _emit(rows, (t == "?") & ~is_error, "action-unknown", "action_text",
                lambda r: f"'{r['action_text']}' is not an action: choose Accept, Reject, Pending or No Action")
    out += _emit(rows, t == "", "action-blank", "action_text",
                 lambda r: f"Action is blank: the record stays {ACTION_LABELS[Action(r['action'])]} on the portal")
    # only a change is uploaded: a record already Pending on the portal is not re-sent
    out += _emit(rows, (t == "P") & (rows["action"] != "P") & rows["pend_blocked"], "pending-blocked", "action_text",
                 "Pending is blocked for this record: choose Accept, Reject or No Action")
    out += _emit(rows, (t == "N") & (rows["action"] != "N"), "no-action-reset", "action_text",
                 lambda r: f"No Action on a record that is {ACTION_LABELS[Action(r['action'])]} on the portal "
                           "is sent as action N; if the portal refuses it, reset the record on the portal")
    return out


def slow_check_itc_reduction(rows: pd.DataFrame, meta: dict, s: Settings) -> list[Finding]:
    allowed = rows["section"].isin([k for k, sec in SECTION_BY_KEY.items() if sec.itc_reduction])
    r = rows[allowed]
    if r.empty:
        return []
    act = final_actions(r)
    ans = yes_nos(r["itc_red_text"])
    decl = {c: declared(r[c + "_in"]) for c in ("decl_igst", "decl_cgst", "decl_sgst", "decl_cess")}
    any_amount = pd.Series(False, index=r.index)
    for paise, _ in decl.values():
        any_amount |= pd.Series([p is not None and p > 0 for p in paise], index=r.index, dtype=bool)
    downloaded_ans = r["itc_red_req"].astype(str)
    entered = (ans != "") | any_amount
    changed = (ans != downloaded_ans) | any_amount
    blocked = r["itc_blocked"].astype(bool)
    # only records whose action changes are uploaded, so only they need a valid block
    accept = (act == "A") & (r["action"] != "A")
    out = _emit(r, entered & (act != "A") & changed & (ans != ""), "itc-reduction-not-allowed", "itc_red_text",
                "ITC-reduction answer is sent only with Accept; it is ignored for this action")
    out += _emit(r, accept & blocked & changed & entered, "itc-reduction-blocked", "itc_red_text",
                 "The portal blocks the ITC-reduction answer on this record: clear it")
    out += _emit(r, accept & ~blocked & (ans == ""), "itc-reduction-answer-missing", "itc_red_text",
                 "Accepted: answer 'Whether ITC to be reduced' with Yes or No")
    out += _emit(r, ans == "?", "itc-reduction-answer-invalid", "itc_red_text",
                 lambda x: f"'{cell_text(x['itc_red_text'])}' is not Yes or No")
    out += _emit(r, accept & ~blocked & (ans == "N") & any_amount, "itc-declared-without-yes", "itc_red_text",
                 "ITC-reduction amounts are filled but 'Whether ITC to be reduced' is No: "
                 "answer Yes or clear the amounts")
    caps = {"decl_igst": "iamt", "decl_cgst": "camt", "decl_sgst": "samt", "decl_cess": "cess"}
    names = {"iamt": "IGST", "camt": "CGST", "samt": "SGST", "cess": "Cess"}
    yes = accept & ~blocked & (ans == "Y")
    # Yes with every amount typed as 0 reduces nothing: the upload says No (IMS_FORMAT §2.3),
    # which may not be what was meant (blank amounts are the full reversal)
    typed = pd.Series(False, index=r.index)
    for paise, problem in decl.values():
        typed |= pd.Series([p is not None for p in paise], index=r.index, dtype=bool) & problem.isna()
    out += _emit(r, yes & typed & ~any_amount, "itc-declared-zero", "itc_red_text",
                 "Yes with every ITC-reduction amount 0 is sent as No (nothing reduced): leave the amounts "
                 "blank for the note's full tax, type the amounts to reduce, or answer No")
    for c, (paise, problem) in decl.items():
        bad = problem.notna()  # a message, or None
        out += _emit(r, bad & accept & ~blocked, "itc-declared-invalid", c + "_in",
                     lambda x, c=c, q=problem: f"{cell_text(x[c + '_in'])!r}: {q[x.name]}: enter a number ≥ 0 "
                                               "with at most 2 decimals",
                     value=lambda x, c=c: cell_text(x[c + "_in"]))
        cap = r[caps[c]].astype("int64").abs()
        # no tolerance here: the portal refuses a declared amount above the tax by any amount (V6)
        over = pd.Series([p is not None and p > int(k) for p, k in zip(paise, cap)],
                         index=r.index, dtype=bool)
        out += _emit(r, over & yes, "itc-declared-exceeds-tax", c + "_in",
                     lambda x, c=c, p=paise: f"{format_inr(p[x.name])} is more than the document's "
                                             f"{names[caps[c]]} {format_inr(abs(int(x[caps[c]])))}",
                     value=lambda x, c=c: cell_text(x[c + "_in"]))
    cg = decl["decl_cgst"][0].map(lambda p: p or 0)
    sg = decl["decl_sgst"][0].map(lambda p: p or 0)
    out += _emit(r, yes & (cg != sg).astype(bool), "itc-cgst-sgst-differ", "decl_sgst_in",
                 lambda x: f"CGST {format_inr(int(cg[x.name]))} and SGST {format_inr(int(sg[x.name]))} "
                           "must be equal",
                 value=lambda x: cell_text(x["decl_sgst_in"]))
    return out


def slow_check_remarks(rows: pd.DataFrame, meta: dict, s: Settings) -> list[Finding]:
    act = final_actions(rows)
    rem = texts(rows["remarks_text"])
    has = rem != ""
    blocked = rows["remarks_blocked"].astype(bool)
    sent = has & act.isin(["R", "P"]) & ~blocked
    out = _emit(rows, has & blocked, "remarks-not-sent", "remarks_text",
                "Remarks are blocked for this record on the portal: they will not be sent",
                value=lambda r: rem[r.name])
    out += _emit(rows, has & ~blocked & ~act.isin(["R", "P"]), "remarks-not-sent", "remarks_text",
                 lambda r: f"Remarks are sent only with Reject or Pending; not sent with {ACTION_LABELS[Action(act[r.name])]}",
                 value=lambda r: rem[r.name])
    out += _emit(rows, sent & (rem.str.len() > REMARKS_MAX_LEN), "remarks-too-long", "remarks_text",
                 lambda r: f"Remarks have {len(rem[r.name])} characters; shorten them to {REMARKS_MAX_LEN}",
                 value=lambda r: rem[r.name])
    # an invisible control character (pasted from another program, or a broken encoding's
    # C1 range) is no part of a remark the portal's form takes: written strictly (IMS_FORMAT
    # §2: parse tolerantly, write strictly), the remark must be retyped. Tab and line breaks
    # (Alt+Enter in a cell) are text
    if sent.any() and _CONTROL.search("".join(rem[sent].tolist())):
        bad = sent & rem.str.contains(_CONTROL, regex=True)
        out += _emit(rows, bad, "remarks-control-character", "remarks_text",
                     lambda r: f"Remarks hold the invisible character U+{ord(_CONTROL.search(rem[r.name]).group()):04X}, "
                               "which the portal may refuse: retype the remark",
                     value=lambda r: rem[r.name].encode("unicode_escape").decode("ascii"))
    return out


def slow_check_unsent_changes(rows: pd.DataFrame, meta: dict, s: Settings) -> list[Finding]:
    act = final_actions(rows)
    same = act == rows["action"]
    rem = texts(rows["remarks_text"])
    rem_changed = (rem != "") & act.isin(["R", "P"])
    if rem_changed.any():  # typed remarks are few: compared where there are some
        rem_changed[rem_changed] = rem[rem_changed] != rows.loc[rem_changed, "remarks"].astype(str).str.strip()
    ans = yes_nos(rows["itc_red_text"])
    itc_changed = (ans != rows["itc_red_req"]) & (ans != "") & (act == "A")
    return _emit(rows, same & (rem_changed | itc_changed), "change-not-uploaded", "action_text",
                 "Only records whose Action changed are uploaded: this record's other changes are not sent")


def slow_check_identifiers(rows: pd.DataFrame, meta: dict, s: Settings) -> list[Finding]:
    out: list[Finding] = []
    for f in ("shown_doc_no", "shown_stin", "shown_orig_doc_no"):
        if f in rows and not set(map(type, rows[f])) <= TEXT_OR_NONE:  # texts and blanks: no number
            num = pd.Series([type(v) is int or (type(v) is float and v == v) or
                             (isinstance(v, (int, float)) and not isinstance(v, bool) and not pd.isna(v))
                             for v in rows[f].tolist()], index=rows.index, dtype=bool)
            out += _emit(rows, num, "identifier-numeric", f[6:],
                         "This cell holds a number, so Excel may have dropped leading zeros; "
                         "the upload uses the downloaded text", value=lambda r, f=f: r[f])
    out += _emit(rows, rows["doc_no"].str.len() > 16, "doc-number-too-long", "doc_no",
                 lambda r: f"{len(r['doc_no'])} characters; the portal allows 16")
    uniq = pd.Series(rows["stin"].unique())
    probs = dict(zip(uniq, uniq.map(gstin_problem)))
    bad = rows["stin"].map(probs).notna()
    out += _emit(rows, bad, "gstin-invalid", "stin", lambda r: str(probs[r["stin"]]))
    return out


def slow_check_documents(rows: pd.DataFrame, meta: dict, s: Settings) -> list[Finding]:
    out: list[Finding] = []
    out += _emit(rows, ~rows["pos"].isin(POS_CODES), "pos-unknown", "pos",
                 lambda r: f"'{r['pos']}' is not a state code")
    today = date.today() + timedelta(days=s.future_date_days)
    for f in ("doc_date", "orig_doc_date"):
        present = rows[f] != ""
        if f == "doc_date":
            present = pd.Series(True, index=rows.index)
        parsed = per_value(rows[f], _parse_date)
        out += _emit(rows, present & parsed.isna(), "date-invalid", f,
                     lambda r, f=f: f"'{r[f]}' is not a dd-mm-yyyy date")
        future = per_value(rows[f], lambda t: (d := _parse_date(t)) is not None and d > today)
        out += _emit(rows, future.astype(bool), "date-future", f, lambda r, f=f: f"{r[f]} is after today")
    neg = pd.Series(False, index=rows.index)
    for k in AMOUNT_KEYS:
        neg |= rows[k] < 0
    out += _emit(rows, neg, "amount-negative", "val", "An amount of this record is negative")
    out += _emit(rows, rows["val"] + s.amount_tolerance_paise < rows["txval"], "value-below-taxable", "val",
                 lambda r: f"Value {format_inr(int(r['val']))} is less than taxable value {format_inr(int(r['txval']))}")
    intra = (rows["camt"] != 0) | (rows["samt"] != 0)
    out += _emit(rows, (rows["iamt"] != 0) & intra, "tax-head-both", "iamt",
                 "Both IGST and CGST/SGST are charged")
    out += _emit(rows, rows["camt"] != rows["samt"], "cgst-sgst-unequal", "samt",
                 lambda r: f"CGST {format_inr(int(r['camt']))} vs SGST {format_inr(int(r['samt']))}")
    # inter-state supply (supplier state != place of supply) is IGST; SEZ supplies are IGST always
    sez = rows["inv_typ"].isin(["SEWP", "SEWOP"])
    inter = per_value(rows["stin"], lambda g: g[:2] if isinstance(g, str) else None) != rows["pos"]
    wrong = (~sez) & (((inter & intra & (rows["iamt"] == 0))) | ((~inter) & (rows["iamt"] != 0) & ~intra))
    out += _emit(rows, wrong & rows["pos"].isin(POS_CODES), "tax-head-vs-pos", "iamt",
                 lambda r: f"Supplier state {state_of(r['stin'])}, place of supply {r['pos']}: "
                           + ("inter-state, IGST expected" if state_of(r["stin"]) != r["pos"] else "intra-state, CGST+SGST expected"))
    return out


def slow_differs(got: pd.Series, exp: pd.Series, kind: str) -> pd.Series:
    if kind == "amount":
        g = pd.to_numeric(got, errors="coerce").to_numpy(dtype=float)
        fast = np.isfinite(g) & (np.rint(g * 100) == exp.to_numpy(dtype=float))
        blank_zero = got.isna().to_numpy() & (exp.to_numpy() == 0)
        cand = ~(fast | blank_zero)
        out = cand.copy()
        for i in np.flatnonzero(cand):  # text typed into an amount cell, e.g. "1,00,000"
            v = got.iloc[i]
            try:
                out[i] = (paise_from_cell(v) if isinstance(v, (int, float)) else parse_amount(str(v))) != exp.iloc[i]
            except (AmountError, ValueError):
                out[i] = True
        return pd.Series(out, index=got.index)
    if kind == "date":
        if got.dtype.kind == "M":  # dates alone (a book built from the download, not read from a sheet)
            g = got
        else:  # a cell counts as a date only if it holds one: text that looks like a date is an edit
            is_date = np.fromiter(map(isinstance, got, repeat((datetime, date))), dtype=bool, count=len(got))
            g = pd.to_datetime(got.where(is_date), errors="coerce")
        e = pd.to_datetime(exp, format="%d-%m-%Y", errors="coerce")
        fast = (g == e).to_numpy() | (got.isna() & (exp == "")).to_numpy()
    else:
        g, e = got.to_numpy(), exp.to_numpy()
        fast = g == e
        rest = np.flatnonzero(~fast)  # few: a blank cell where the download is blank is no edit
        fast[rest] = pd.isna(g[rest]) & (e[rest] == "")
    cand = ~fast
    out = cand.copy()
    for i in np.flatnonzero(cand):
        g_, e_ = _shown_text(got.iloc[i]), _shown_text(exp.iloc[i])
        out[i] = g_ != e_ and not (kind == "upper" and g_.upper() == e_.upper())
    return pd.Series(out, index=got.index)


def slow_check_edited_downloads(rows: pd.DataFrame, meta: dict, s: Settings) -> list[Finding]:
    out: list[Finding] = []
    if "hidden_row" in rows:  # an edited hidden copy is not "downloaded": hidden-record-edited says so
        rows = rows[rows["hidden_row"].fillna(0).astype("int64") == 0]
    expected = shown_values(rows)
    kinds = {f: ("amount" if f in AMOUNT_KEYS else "date" if f in ("doc_date", "orig_doc_date")
                 else "upper" if f == "stin" else "text") for f in SHOWN_FIELDS}
    section = rows["section"].to_numpy()
    masks: dict[tuple[str, ...], np.ndarray] = {}  # most fields show on the same sheets
    for f in SHOWN_FIELDS:
        col = "shown_" + f
        if col not in rows:
            continue
        # only the sections whose sheets show the column (a blank elsewhere is no edit)
        keys = tuple(k for k, heads in _HEADERS.items() if f in heads)
        if keys not in masks:
            masks[keys] = np.isin(section, keys)
        applies = masks[keys]
        if not applies.any():
            continue
        diff = pd.Series(False, index=rows.index)
        diff[applies] = slow_differs(rows.loc[applies, col], expected.loc[applies, col], kinds[f]).to_numpy()
        if not diff.any():
            continue
        if kinds[f] == "amount":
            show = lambda r, col=col, f=f: f"Downloaded {format_inr(int(r[f]))}, sheet shows {_shown_text(r[col]) or 'nothing'}"
        else:
            show = lambda r, col=col, e=expected[col]: f"Downloaded '{_shown_text(e[r.name])}', sheet shows '{_shown_text(r[col])}'"
        out += _emit(rows, diff, "downloaded-value-edited", f,
                     lambda r, show=show: show(r) + ": the cell is restored; the upload always uses the downloaded value",
                     value=lambda r, col=col: _shown_text(r[col]))
    return out


def slow_check_cell_errors(rows: pd.DataFrame, meta: dict, s: Settings) -> list[Finding]:
    out: list[Finding] = []
    for f in ("action_text", "remarks_text", "itc_red_text", "decl_igst_in", "decl_cgst_in",
              "decl_sgst_in", "decl_cess_in"):
        if f not in rows:
            continue
        if "#" not in joined_texts(rows[f].tolist()):  # every error value has one
            continue
        bad = per_value(rows[f], lambda v: isinstance(v, str) and v.strip() in EXCEL_ERRORS).astype(bool)
        out += _emit(rows, bad, "cell-error", f,
                     lambda r, f=f: f"The cell holds the Excel error {str(r[f]).strip()}: type the value again")
    return out


def slow_annotate(book: ReviewBook, findings: list[Finding]) -> tuple[ReviewBook, dict[tuple[int, str], str]]:
    rows = book.rows.copy(deep=False)  # one column replaced whole below, none changed in place
    key = {(sh, int(r)): ref for sh, r, ref in zip(rows["sheet"], rows["excel_row"], rows["ref"])}
    header_field = {s.sheet: {c.header: c.field for c in columns_for(s)} for s in SECTIONS}
    texts: dict[int, list[str]] = {}
    marks: dict[tuple[int, str], str] = {}
    for f in findings:
        ref = key.get((f.sheet, f.row)) if f.row is not None else None
        if ref is None:
            continue
        tag = "ERROR" if f.severity is E else "Warning"
        texts.setdefault(ref, []).append(f"{tag} {f.code}: {f.field}: {f.message}")
        fld = header_field[f.sheet].get(f.field, f.field)
        if marks.get((ref, fld)) != "error":
            marks[(ref, fld)] = f.severity.value
    rows["sheet_errors"] = pd.array(["\n".join(texts[r]) if r in texts else "" for r in rows["ref"].tolist()],
                                    dtype=object)
    return replace(book, rows=rows), marks


SLOW = {checks.check_actions: slow_check_actions, checks.check_itc_reduction: slow_check_itc_reduction,
        checks.check_remarks: slow_check_remarks, checks.check_unsent_changes: slow_check_unsent_changes,
        checks.check_identifiers: slow_check_identifiers, checks.check_documents: slow_check_documents,
        checks.check_edited_downloads: slow_check_edited_downloads,
        checks.check_cell_errors: slow_check_cell_errors}
for _fast, _slow in SLOW.items():  # a check that fails is named in its internal-error finding
    _slow.__name__ = _fast.__name__


# ---------------------------------------------------------------- books with odd cells

#: What a typed or shown cell may hold, as the readers give it.
ODD = [None, np.nan, pd.NA, pd.NaT, "", "  ", "#N/A", " #REF! ", "bill #12", 0, 1, -5, 12.345, 100.0, 1e20,
       float("inf"), True, False, np.float64(90.0), np.int64(7), datetime(2025, 10, 15), date(2025, 10, 16),
       "1,000.50", "\u20b9 10", "abc", "Yes", "no", "Y", "maybe", "Accept", " reject ", "Pending", "P",
       "No Action", "n", "x" * 260, "ctl\x07char", "\x85c1", "multi\nline", "15-10-2025", "31-12-2099",
       "2025-10-15", "27AABCS1429B1ZU", "29aafcc9980m1zr", "INV-1", "X" * 17, np.datetime64("NaT")]
#: Columns filled from ODD (the typed ones, and shown ones a person may edit).
TYPED = ("action_text", "remarks_text", "itc_red_text", "decl_igst_in", "decl_cgst_in", "decl_sgst_in",
         "decl_cess_in")
SHOWN = ("shown_doc_no", "shown_stin", "shown_orig_doc_no", "shown_val", "shown_iamt", "shown_doc_date",
         "shown_orig_doc_date", "shown_tradenm", "shown_pos")


def base_book() -> ReviewBook:
    recs: dict[str, list[dict]] = {
        "b2b": [record("b2b", n, stin=SUP_KA if n % 3 == 0 else SUP_MH, action="ANRP"[n % 4],
                       ispendactblocked="Y" if n % 5 == 0 else "N", isRemarksBlocked="Y" if n % 7 == 0 else "N",
                       **({"remarks": "old note"} if n % 4 == 3 else {}))
                for n in range(1, 25)],
        "b2bcn": [record("b2bcn", n, action="NA"[n % 2], isItcRedReqBlocked="Y" if n % 4 == 0 else "N",
                         **({"itcRedReq": "Y"} if n % 3 == 0 else {})) for n in range(1, 13)],
        "b2ba": [record("b2ba", 1), record("b2ba", 2, stin=SUP_KA)], "b2bdn": [record("b2bdn", 1)],
        "b2bdna": [record("b2bdna", 1)], "b2bcna": [record("b2bcna", 1), record("b2bcna", 2)],
        "ecom": [record("ecom", 1)], "ecoma": [record("ecoma", 1)],
    }
    return typed_book(recs)


def odd_book(seed: int, share: float = 0.6) -> ReviewBook:
    """``base_book`` with about ``share`` of the typed and shown cells (and a few downloaded
    fields) replaced by odd values; the column dtypes vary with the seed."""
    rnd = random.Random(seed)
    book = base_book()
    rows = book.rows.copy()
    n = len(rows)
    shown_pool = ODD if seed % 4 == 0 else [v for v in ODD if v is not pd.NA and v is not pd.NaT
                                            and not isinstance(v, np.datetime64)]  # most seeds: no crash
    for c in TYPED + SHOWN:
        pool = ODD if c in TYPED else shown_pool
        vals = [rnd.choice(pool) if rnd.random() < share else v for v in rows[c].tolist()]
        rows[c] = pd.Series(vals, index=rows.index, dtype=object)
    # the ITC-reduction rules read accepted credit notes: about half of them, with answers and amounts
    itc = rows["section"].map(lambda k: SECTION_BY_KEY[k].itc_reduction).to_numpy(dtype=bool)
    for i in np.flatnonzero(itc):
        if rnd.random() < 0.5:
            rows.iloc[i, rows.columns.get_loc("action_text")] = rnd.choice(["Accept", "A", " accept"])
            rows.iloc[i, rows.columns.get_loc("itc_red_text")] = rnd.choice(["Yes", "Y", "No", None, "yes "])
            for c in ("decl_igst_in", "decl_cgst_in", "decl_sgst_in", "decl_cess_in"):
                rows.iloc[i, rows.columns.get_loc(c)] = rnd.choice(
                    [None, None, 0, 0.0, 10.0, 45, 90.0, 90.01, 180.0, "1.001", -1, "abc", 1e20, "90"])
    for c, pool in (("doc_date", ["", "2025-13-45", "31-12-2099", "29-02-2023"]), ("orig_doc_date", ["", "x"]),
                    ("pos", ["99", "", "29"]), ("stin", ["SHORT", "27aabcs1429b1zu"]), ("doc_no", ["X" * 20])):
        vals = rows[c].tolist()
        for i in rnd.sample(range(n), 4):
            vals[i] = rnd.choice(pool)
        rows[c] = pd.Series(vals, index=rows.index, dtype=object)
    for k in ("val", "iamt", "camt"):
        v = rows[k].to_numpy().copy()
        v[rnd.sample(range(n), 2)] *= -1
        rows[k] = v
    if seed % 3 == 1:  # the dtypes a reader gives a column of texts, or of numbers
        for c in ("action_text", "remarks_text", "itc_red_text"):
            rows[c] = pd.Series([v if isinstance(v, str) else None for v in rows[c].tolist()], index=rows.index,
                                dtype="str")
        rows["decl_igst_in"] = pd.Series([float(v) if type(v) in (int, float) else np.nan
                                          for v in rows["decl_igst_in"].tolist()], index=rows.index)
        rows["decl_cgst_in"] = pd.array([v if type(v) is int else None for v in rows["decl_cgst_in"].tolist()],
                                        dtype="Int64")
        rows["shown_val"] = pd.Series([float(v) if type(v) in (int, float) else np.nan
                                       for v in rows["shown_val"].tolist()], index=rows.index)
    if seed % 3 == 2:  # a labelled, shuffled index
        rows = rows.sample(frac=1, random_state=seed)
        rows.index = pd.Index([f"r{i}" for i in rnd.sample(range(n), n)])
    return replace(book, rows=rows)


def flat(findings: list[Finding]) -> list[tuple]:
    return [(f.code, f.severity, f.sheet, f.row, f.field, f.message, f.value) for f in findings]


def outcome(fn, *args) -> list[tuple] | str:
    try:
        return flat(fn(*args))
    except Exception as exc:  # noqa: BLE001 - a check that fails must fail alike
        return f"{type(exc).__name__}: {exc}"


# ---------------------------------------------------------------- the checks, each alone

@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("check", list(SLOW), ids=lambda c: c.__name__)
def test_each_check_finds_what_its_slow_form_found(check, seed) -> None:
    book = odd_book(seed)
    want = outcome(SLOW[check], book.rows, book.meta, Settings())
    assert outcome(check, book.rows, book.meta, Settings()) == want
    if check in checks._SHARING:  # the readings run_checks shares, made from the upload plan
        shared = {"act": upload_plan(book.rows)["act"]}
        assert outcome(check, book.rows, book.meta, Settings(), shared) == want
        assert outcome(check, book.rows, book.meta, Settings(), shared) == want  # read from shared


@pytest.mark.parametrize("seed", range(6))
def test_run_checks_and_annotate_give_what_the_slow_forms_gave(seed) -> None:
    book = odd_book(seed, share=0.3)
    slow_checks = tuple(SLOW.get(c, c) for c in checks.CHECKS)
    try:
        plan = upload_plan(book.rows)
        records = upload_records(book, plan)
    except Exception:  # noqa: BLE001 - as actions.validate: the contract check reports it
        plan, records = None, None
    want = checks.run_checks(book, Settings(), slow_checks, records=records, plan=plan)
    got = checks.run_checks(book, Settings(), records=records, plan=plan)
    assert flat(got) == flat(want)
    assert flat(checks.run_checks(book, Settings())) == flat(want)  # no plan: each reading made here
    slow_book, slow_marks = slow_annotate(book, want)
    new_book, new_marks = checks.annotate(book, got)
    assert new_marks == slow_marks
    assert new_book.rows["sheet_errors"].tolist() == slow_book.rows["sheet_errors"].tolist()
    assert new_book.rows["sheet_errors"].dtype == slow_book.rows["sheet_errors"].dtype
    assert checks.annotate(book, [])[0].rows["sheet_errors"].tolist() == [""] * len(book.rows)


# ---------------------------------------------------------------- the helpers

DECLARED_COLUMNS = [
    pd.Series([None, np.nan, pd.NA, pd.NaT, "", " ", "1,000.50", 12.345, 100, -5, True, "abc", 1e20, "#N/A"],
              dtype=object),
    pd.Series([None] * 5, dtype=object),
    pd.Series([np.nan, 5.5, np.nan, 0.0, 1e20, -1.0]),
    pd.array([None, 5, None, 0, 10 ** 12], dtype="Int64"),
    pd.Series([None, "10", "", "x"], dtype="str"),
    pd.Series([np.datetime64("NaT"), None, np.float32("nan"), 7], dtype=object),  # read by declared itself
    pd.Series(["1", "2.5", "0"], dtype=object),
    pd.Series([], dtype=object),
]


@pytest.mark.parametrize("column", DECLARED_COLUMNS, ids=range(len(DECLARED_COLUMNS)))
def test_declared_where_typed_is_declared(column) -> None:
    s = pd.Series(column)
    s.index = [f"k{i}" for i in range(len(s))]
    for got, want in zip(checks._declared(s), declared(s)):
        assert got.index.equals(want.index) and got.dtype == want.dtype == object
        assert [(type(v), v) for v in got.tolist()] == [(type(v), v) for v in want.tolist()]


@pytest.mark.parametrize("values", [
    [1180.0, 1180.0, np.nan, 0.0, -0.0, float("inf"), 1e300, 11.8, 0.1 + 0.2],
    [np.float64(11.8), 11.8, np.float32(1.5), np.nan],
    [1180.0, 11.8],
])
def test_a_column_of_floats_reads_as_to_numeric_reads_it(values) -> None:
    got = pd.Series(values, dtype=object)
    exp = pd.Series([118000, 1180, 0, 0, 0, 5, 7, 1180, 30][:len(values)])
    assert checks._differs(got, exp, "amount").tolist() == slow_differs(got, exp, "amount").tolist()


@pytest.mark.parametrize("got", [
    [datetime(2025, 10, 15), date(2025, 10, 15), None, "15-10-2025", pd.Timestamp("2025-10-16"), np.nan, 5],
    [None, None, None],
    [date(2025, 10, 15)] * 3,
])
def test_a_date_column_reads_as_before(got) -> None:
    got = pd.Series(got, dtype=object)
    exp = pd.Series((["15-10-2025", "", "", "15-10-2025", "16-10-2025", "", "x"] * 2)[:len(got)], dtype=object)
    assert checks._differs(got, exp, "date").tolist() == slow_differs(got, exp, "date").tolist()
