"""Validation: every rule of IMS_FORMAT §3 (V1-V12) and the sanity checks, as small functions.

Each check is ``(rows, meta, settings) -> list[Finding]``, built from boolean masks over the
review book's ``rows`` frame (see ``review.py``); ``CHECKS`` is the tuple that runs. A check
that crashes becomes one ``internal-error`` finding instead of stopping the others.

Codes are stable (users filter on them): never rename one. :data:`CODES` documents each.
"""

from __future__ import annotations

import re

from datetime import date, datetime, timedelta
from itertools import repeat
from typing import Callable

import numpy as np
import pandas as pd

from ..formats.ims_json import OCCURRENCE
from ..gstin import POS_CODES, gstin_problem, state_of
from .layout import columns_for
from ..model import (ACTION_LABELS, AMOUNT_KEYS, REMARKS_MAX_LEN, SECTION_BY_KEY, SECTIONS,
                    TEXT_OR_NONE, Action, Finding, Settings, Severity)
from .inputs import cell_text, declared, joined_texts, per_value, texts, yes_nos
from ..money import AmountError, format_inr, paise_from_cell, parse_amount
from .book import SHOWN_FIELDS, ReviewBook, effective_actions, typed_codes
from .upload import dumps, envelope, upload_plan, upload_records

E, W = Severity.ERROR, Severity.WARNING

#: code -> (severity, title). The README lists them; a test checks that it does.
CODES: dict[str, tuple[Severity, str]] = {
    "action-unknown": (E, "V1: the Action is not one of Accept, Reject, Pending, No Action"),
    "action-blank": (W, "the Action is blank: the record keeps its portal status"),
    "pending-blocked": (E, "V2: Pending is not allowed on this record (Pending blocked = Yes)"),
    "itc-reduction-not-allowed": (W, "V4: ITC-reduction entries are sent only with Accept; ignored here"),
    "itc-reduction-blocked": (E, "V4: the portal does not accept an ITC-reduction answer for this record"),
    "itc-reduction-answer-missing": (E, "V8: an accepted specified record needs 'Whether ITC to be reduced'"),
    "itc-reduction-answer-invalid": (E, "'Whether ITC to be reduced' must be Yes or No"),
    "itc-declared-without-yes": (E, "V5: ITC-reduction amounts need 'Whether ITC to be reduced' = Yes"),
    "itc-declared-zero": (W, "'Whether ITC to be reduced' is Yes but every amount is 0: sent as No (nothing reduced)"),
    "itc-declared-invalid": (E, "V6: an ITC-reduction amount must be a number ≥ 0 with at most 2 decimals"),
    "itc-declared-exceeds-tax": (E, "V6: an ITC-reduction amount is more than that head's tax on the document"),
    "itc-cgst-sgst-differ": (E, "V7: ITC-reduction CGST must equal ITC-reduction SGST"),
    "remarks-not-sent": (W, "V9: remarks are sent only with Reject or Pending, and never when blocked"),
    "remarks-too-long": (E, f"V10: remarks longer than {REMARKS_MAX_LEN} characters"),
    "remarks-control-character": (E, "Remarks to be sent hold an invisible control character"),
    "change-not-uploaded": (W, "remarks or ITC answers changed but the Action did not: not uploaded"),
    "no-action-reset": (W, "No Action on a record already acted on is sent as action N (unverified)"),
    "identifier-numeric": (W, "V12: a document number or GSTIN cell holds a number: leading zeros may be lost"),
    "doc-number-too-long": (W, "the document number has more than 16 characters"),
    "downloaded-value-edited": (W, "a downloaded value was edited in the sheet; the upload uses the downloaded value"),
    "row-out-of-step": (E, "the row shows another record than its hidden IMS ref (sorted without it): its entries would go to that record"),
    "gstin-invalid": (W, "the supplier GSTIN fails the format, state-code or check-character test"),
    "rtin-missing": (E, "the recipient GSTIN (your GSTIN) is missing on the Summary sheet"),
    "rtin-invalid": (E, "the recipient GSTIN on the Summary sheet is not a valid GSTIN"),
    "period-invalid": (W, "the return period on the Summary sheet is not MMYYYY"),
    "pos-unknown": (W, "the place of supply is not a known state code"),
    "date-invalid": (W, "the document date is not a valid dd-mm-yyyy date"),
    "date-future": (W, "the document date is in the future"),
    "amount-negative": (W, "an amount is negative"),
    "value-below-taxable": (W, "the document value is less than the taxable value"),
    "tax-head-both": (W, "both IGST and CGST/SGST are charged on one document"),
    "cgst-sgst-unequal": (W, "CGST and SGST differ"),
    "tax-head-vs-pos": (W, "the tax head does not fit the supplier's state and the place of supply"),
    "duplicate-record": (W, "the same document of the same supplier appears more than once"),
    "download-field-missing": (E, "a changed record lacks a field the portal requires on upload"),
    "download-value-unsendable": (E, "a changed record holds a downloaded value the upload cannot carry"),
    "upload-rule": (E, "the upload would refuse this record (a rule no other check names)"),
    "duplicate-uploaded-once": (W, "the same record is changed on two rows: it is uploaded once"),
    "duplicate-conflict": (E, "the same record has two different new actions on two rows"),
    "hidden-record-edited": (E, "the hidden copy of a downloaded record was edited"),
    "cell-error": (E, "a cell you fill in holds an Excel error (#N/A, #REF! ...)"),
    "internal-error": (E, "a check failed to run: please report it with the log"),
}

Check = Callable[[pd.DataFrame, dict, Settings], list[Finding]]


def _headers(section_key: str) -> dict[str, str]:
    return {c.field: c.header for c in columns_for(SECTION_BY_KEY[section_key])}


_HEADERS: dict[str, dict[str, str]] = {s.key: _headers(s.key) for s in SECTIONS}


def _emit(rows: pd.DataFrame, mask: pd.Series, code: str, field: str,
          message: Callable[[pd.Series], str] | str, value: Callable[[pd.Series], object] | None = None) -> list[Finding]:
    """Findings for the rows selected by ``mask`` (loops only over offending rows)."""
    sev = CODES[code][0]
    out: list[Finding] = []
    flags = mask.fillna(False).astype(bool)
    if not flags.any():
        return out  # the common case: no offending row, no frame to slice
    sel = rows[flags]
    for _, r in sel.iterrows():
        msg = message(r) if callable(message) else message
        val = value(r) if value is not None else r.get(field, "")
        out.append(Finding(code, sev, r["sheet"], int(r["excel_row"]),
                           _HEADERS[r["section"]].get(field, field), msg,
                           "" if val is None or (isinstance(val, float) and pd.isna(val)) else str(val)))
    return out


def typed_actions(rows: pd.DataFrame) -> pd.Series:
    """The typed action code per row: 'A'/'R'/'P'/'N', '' when blank, '?' when unknown."""
    return typed_codes(rows["action_text"])


def final_actions(rows: pd.DataFrame) -> pd.Series:
    """The action that will be uploaded or kept: typed, else the portal status."""
    return effective_actions(rows)


def _reading(shared: dict | None, rows: pd.DataFrame, name: str,
             make: Callable[[pd.DataFrame], pd.Series]) -> pd.Series:
    """``make(rows)``, made once per ``name`` in ``shared``: the readings several checks make of
    the same rows, which :func:`run_checks` passes them (each effective action and remark
    read once, not once per check: 0.03 s at 100,000 records). None: read here."""
    if shared is None:
        return make(rows)
    if name not in shared:
        shared[name] = make(rows)
    return shared[name]


def _remarks(rows: pd.DataFrame) -> pd.Series:
    """The remarks typed, as the text each cell shows (:func:`inputs.texts`)."""
    return texts(rows["remarks_text"])


# ---------------------------------------------------------------- cell and row checks

def check_actions(rows: pd.DataFrame, meta: dict, s: Settings) -> list[Finding]:
    """V1 (known action words), blank actions, V2 (Pending blocked), No Action after an action."""
    t = typed_actions(rows)
    # the codes are texts, compared in numpy; the portal status is read only where a code
    # asks for it, and an Excel error (cell-error's) only among the unknown words (0.02 s at
    # 100,000 records)
    code = t.to_numpy(dtype=object)
    unknown = code == "?"
    if unknown.any():
        unknown[unknown] = ~per_value(rows["action_text"][unknown],
                                      lambda v: isinstance(v, str) and v.strip() in EXCEL_ERRORS).to_numpy(dtype=bool)
    out = _emit(rows, pd.Series(unknown, index=rows.index), "action-unknown", "action_text",
                lambda r: f"'{r['action_text']}' is not an action: choose Accept, Reject, Pending or No Action")
    out += _emit(rows, pd.Series(code == "", index=rows.index), "action-blank", "action_text",
                 lambda r: f"Action is blank: the record stays {ACTION_LABELS[Action(r['action'])]} on the portal")
    # only a change is uploaded: a record already Pending on the portal is not re-sent
    status, pend_blocked = rows["action"], rows["pend_blocked"]
    pend = code == "P"
    if pend.any():
        pend[pend] = ((status[pend] != "P") & pend_blocked[pend]).fillna(False).astype(bool).to_numpy()
    out += _emit(rows, pd.Series(pend, index=rows.index), "pending-blocked", "action_text",
                 "Pending is blocked for this record: choose Accept, Reject or No Action")
    reset = code == "N"
    if reset.any():
        reset[reset] = (status[reset] != "N").to_numpy(dtype=bool)
    out += _emit(rows, pd.Series(reset, index=rows.index), "no-action-reset", "action_text",
                 lambda r: f"No Action on a record that is {ACTION_LABELS[Action(r['action'])]} on the portal "
                           "is sent as action N; if the portal refuses it, reset the record on the portal")
    return out


#: The types of a cell :func:`inputs.declared` reads as blank whatever it holds (pd.isna finds them).
_BLANK_TYPES = frozenset({type(None), float, np.float64, type(pd.NA), type(pd.NaT)})


def _declared(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """:func:`inputs.declared` of a column, read only in its cells not plainly blank (None,
    NaN, NA, NaT: no amount and no problem, as ``declared`` reads them): nearly every cell of
    a month is blank (0.02 s at 100,000 records)."""
    values = s.to_numpy(dtype=object)
    missing = pd.isna(values)
    if not missing.any() or not set(map(type, values[missing])) <= _BLANK_TYPES:
        return declared(s)
    paise = np.full(len(s), None, dtype=object)
    problem = np.full(len(s), None, dtype=object)
    at = np.flatnonzero(~missing)
    if len(at):
        p, q = declared(s.iloc[at])
        paise[at], problem[at] = p.to_numpy(), q.to_numpy()
    return pd.Series(paise, index=s.index, dtype=object), pd.Series(problem, index=s.index, dtype=object)


def check_itc_reduction(rows: pd.DataFrame, meta: dict, s: Settings) -> list[Finding]:
    """V4-V8: the ITC-reduction block on the specified-record sections.

    Every typed value goes through :mod:`inputs` cell by cell, so the rules fire whatever
    dtype the column arrived in (object, float64 with NaN, Int64 with NA, str).
    """
    allowed = rows["section"].isin([k for k, sec in SECTION_BY_KEY.items() if sec.itc_reduction])
    r = rows[allowed]
    if r.empty:
        return []
    act = final_actions(r)
    ans = yes_nos(r["itc_red_text"])
    decl = {c: _declared(r[c + "_in"]) for c in ("decl_igst", "decl_cgst", "decl_sgst", "decl_cess")}
    # the amounts are compared where one is typed (few cells), as Python ints: 0.03 s at
    # 100,000 records
    given = {c: np.flatnonzero(pd.notna(paise.to_numpy())) for c, (paise, _) in decl.items()}
    any_amount = np.zeros(len(r), dtype=bool)
    for c, (paise, _) in decl.items():
        any_amount[given[c]] |= np.array([p > 0 for p in paise.to_numpy()[given[c]].tolist()], dtype=bool)
    any_amount = pd.Series(any_amount, index=r.index)
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
    typed = np.zeros(len(r), dtype=bool)
    for c, (paise, problem) in decl.items():
        typed[given[c]] |= problem.isna().to_numpy()[given[c]]
    typed = pd.Series(typed, index=r.index)
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
        over = np.zeros(len(r), dtype=bool)
        over[given[c]] = [p > int(k) for p, k in zip(paise.to_numpy()[given[c]].tolist(),
                                                     cap.to_numpy()[given[c]].tolist())]
        over = pd.Series(over, index=r.index)
        out += _emit(r, over & yes, "itc-declared-exceeds-tax", c + "_in",
                     lambda x, c=c, p=paise: f"{format_inr(p[x.name])} is more than the document's "
                                             f"{names[caps[c]]} {format_inr(abs(int(x[caps[c]])))}",
                     value=lambda x, c=c: cell_text(x[c + "_in"]))
    cgp, sgp = decl["decl_cgst"][0], decl["decl_sgst"][0]
    at = np.union1d(given["decl_cgst"], given["decl_sgst"])
    differ = np.zeros(len(r), dtype=bool)
    differ[at] = [(g or 0) != (h or 0) for g, h in zip(cgp.to_numpy()[at].tolist(), sgp.to_numpy()[at].tolist())]
    differ = yes & pd.Series(differ, index=r.index)
    cg = sg = None
    if differ.any():  # the amounts the message shows
        cg = cgp.map(lambda p: p or 0)
        sg = sgp.map(lambda p: p or 0)
    out += _emit(r, differ, "itc-cgst-sgst-differ", "decl_sgst_in",
                 lambda x: f"CGST {format_inr(int(cg[x.name]))} and SGST {format_inr(int(sg[x.name]))} "
                           "must be equal",
                 value=lambda x: cell_text(x["decl_sgst_in"]))
    return out


def check_remarks(rows: pd.DataFrame, meta: dict, s: Settings, shared: dict | None = None) -> list[Finding]:
    """V9 (remarks only on Reject/Pending, never when blocked) and V10 (length). ``shared``:
    see :func:`_reading`."""
    act = _reading(shared, rows, "act", final_actions)
    rem = _reading(shared, rows, "remarks", _remarks)
    has = pd.Series(rem.to_numpy() != "", index=rows.index)  # texts: compared in numpy
    blocked = rows["remarks_blocked"].astype(bool)
    reply = act.isin(["R", "P"])
    sent = has & reply & ~blocked
    out = _emit(rows, has & blocked, "remarks-not-sent", "remarks_text",
                "Remarks are blocked for this record on the portal: they will not be sent",
                value=lambda r: rem[r.name])
    out += _emit(rows, has & ~blocked & ~reply, "remarks-not-sent", "remarks_text",
                 lambda r: f"Remarks are sent only with Reject or Pending; not sent with {ACTION_LABELS[Action(act[r.name])]}",
                 value=lambda r: rem[r.name])
    too_long = np.zeros(len(rem), dtype=bool)  # measured where remarks are sent (few)
    at = np.flatnonzero(sent.to_numpy())
    too_long[at] = [len(t) > REMARKS_MAX_LEN for t in rem.to_numpy()[at].tolist()]
    out += _emit(rows, pd.Series(too_long, index=rows.index), "remarks-too-long", "remarks_text",
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


#: Control characters no remark holds: C0 but tab, line feed and carriage return; DEL; C1;
#: U+FFFE and U+FFFF (no characters at all).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def check_unsent_changes(rows: pd.DataFrame, meta: dict, s: Settings, shared: dict | None = None) -> list[Finding]:
    """Warn when remarks or ITC answers changed on a record whose action did not change.
    ``shared``: see :func:`_reading`."""
    act = _reading(shared, rows, "act", final_actions)
    same = act == rows["action"]
    rem = _reading(shared, rows, "remarks", _remarks)
    rem_changed = pd.Series(rem.to_numpy() != "", index=rows.index) & act.isin(["R", "P"])  # texts: in numpy
    if rem_changed.any():  # typed remarks are few: compared where there are some
        rem_changed[rem_changed] = rem[rem_changed] != rows.loc[rem_changed, "remarks"].astype(str).str.strip()
    ans = yes_nos(rows["itc_red_text"])
    downloaded = rows["itc_red_req"]
    itc_changed = ans.to_numpy() != ""  # answers typed are few: compared where there are some
    if itc_changed.any():
        itc_changed[itc_changed] = ((ans[itc_changed] != downloaded[itc_changed])
                                    & (act[itc_changed] == "A")).to_numpy(dtype=bool)
    itc_changed = pd.Series(itc_changed, index=rows.index)
    return _emit(rows, same & (rem_changed | itc_changed), "change-not-uploaded", "action_text",
                 "Only records whose Action changed are uploaded: this record's other changes are not sent")


def check_identifiers(rows: pd.DataFrame, meta: dict, s: Settings) -> list[Finding]:
    """V12 (identifiers as text), document-number length, supplier GSTIN."""
    out: list[Finding] = []
    for f in ("shown_doc_no", "shown_stin", "shown_orig_doc_no"):
        if f in rows and not set(map(type, rows[f].tolist())) <= TEXT_OR_NONE:  # texts and blanks: no number
            num = pd.Series([type(v) is int or (type(v) is float and v == v) or
                             (isinstance(v, (int, float)) and not isinstance(v, bool) and not pd.isna(v))
                             for v in rows[f].tolist()], index=rows.index, dtype=bool)
            out += _emit(rows, num, "identifier-numeric", f[6:],
                         "This cell holds a number, so Excel may have dropped leading zeros; "
                         "the upload uses the downloaded text", value=lambda r, f=f: r[f])
    numbers = rows["doc_no"].tolist()
    if set(map(type, numbers)) == {str}:  # texts alone (the download's): their lengths at once
        too_long = pd.Series(np.fromiter(map(len, numbers), dtype=np.intp, count=len(numbers)) > 16, index=rows.index)
    else:
        too_long = rows["doc_no"].str.len() > 16
    out += _emit(rows, too_long, "doc-number-too-long", "doc_no",
                 lambda r: f"{len(r['doc_no'])} characters; the portal allows 16")
    uniq = pd.Series(rows["stin"].unique())
    probs = dict(zip(uniq, uniq.map(gstin_problem)))
    bad = rows["stin"].map(probs).notna()
    out += _emit(rows, bad, "gstin-invalid", "stin", lambda r: str(probs[r["stin"]]))
    return out


def check_meta(rows: pd.DataFrame, meta: dict, s: Settings) -> list[Finding]:
    """The recipient GSTIN and period on the Summary sheet."""
    rtin = meta.get("rtin", "").strip()
    out: list[Finding] = []
    if not rtin:
        out.append(Finding("rtin-missing", E, "Summary", 3, "Recipient GSTIN",
                           "Type your GSTIN in cell B3 of the Summary sheet (the download does not carry it)"))
    elif (p := gstin_problem(rtin)) is not None:
        out.append(Finding("rtin-invalid", E, "Summary", 3, "Recipient GSTIN", p, rtin))
    period = meta.get("period", "").strip()
    if period and not (len(period) == 6 and period.isdigit() and 1 <= int(period[:2]) <= 12):
        out.append(Finding("period-invalid", W, "Summary", 4, "Return period",
                           "Write the return period as MMYYYY, e.g. 102025", period))
    return out


def _parse_date(t: str) -> date | None:
    try:
        return datetime.strptime(t, "%d-%m-%Y").date() if len(t) == 10 else None
    except ValueError:
        return None


_INVALID, _FUTURE, _PAST = 0, 1, 2  # what check_documents reads of a date cell


def check_documents(rows: pd.DataFrame, meta: dict, s: Settings) -> list[Finding]:
    """Dates, amounts, tax heads and place of supply (sanity of the downloaded data)."""
    out: list[Finding] = []
    known_pos = rows["pos"].isin(POS_CODES)
    out += _emit(rows, ~known_pos, "pos-unknown", "pos",
                 lambda r: f"'{r['pos']}' is not a state code")
    today = date.today() + timedelta(days=s.future_date_days)
    for f in ("doc_date", "orig_doc_date"):
        present = pd.Series(True, index=rows.index) if f == "doc_date" else rows[f] != ""
        # each date read once for both rules: _INVALID, _FUTURE or _PAST (0.02 s at 100,000 records)
        when = per_value(rows[f], lambda t: _INVALID if (d := _parse_date(t)) is None else _FUTURE if d > today
                         else _PAST).to_numpy()
        out += _emit(rows, present & (when == _INVALID), "date-invalid", f,
                     lambda r, f=f: f"'{r[f]}' is not a dd-mm-yyyy date")
        out += _emit(rows, pd.Series(when == _FUTURE, index=rows.index), "date-future", f,
                     lambda r, f=f: f"{r[f]} is after today")
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
    out += _emit(rows, wrong & known_pos, "tax-head-vs-pos", "iamt",
                 lambda r: f"Supplier state {state_of(r['stin'])}, place of supply {r['pos']}: "
                           + ("inter-state, IGST expected" if state_of(r["stin"]) != r["pos"] else "intra-state, CGST+SGST expected"))
    return out


def check_duplicates(rows: pd.DataFrame, meta: dict, s: Settings) -> list[Finding]:
    """The same (section, supplier, document number) more than once in the download."""
    if "#" not in "".join(map(str, rows["key"].tolist())):  # one search over every key: the usual download
        return []
    dup = rows["key"].str.contains("#", regex=False)
    base = rows["key"].str.replace(OCCURRENCE, "", regex=True)
    involved = base.isin(set(base[dup]))
    sub = pd.DataFrame({"b": base[involved], "r": rows.loc[involved, "excel_row"].astype("int64")})
    first_row = sub.groupby("b")["r"].transform("min").reindex(rows.index)
    return _emit(rows, involved & (rows["excel_row"] != first_row), "duplicate-record", "doc_no",
                 lambda r: f"Same document as row {int(first_row[r.name])}")


def _shown_text(v: object) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    if isinstance(v, (datetime, date)):
        return v.strftime("%d-%m-%Y")
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _differs(got: pd.Series, exp: pd.Series, kind: str) -> pd.Series:
    """Where a shown cell differs from the downloaded value's display form (vectorised;
    only the few candidate cells go through the slow text comparison)."""
    if kind == "amount":
        g = got.to_numpy()
        if g.dtype == object and pd.api.types.infer_dtype(g, skipna=False) == "floating":
            g = g.astype(float)  # floats alone (a sheet read back): what to_numeric gives, 4x faster
        else:
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
            is_date = np.fromiter(map(isinstance, got.to_numpy(dtype=object), repeat((datetime, date))), dtype=bool,
                                  count=len(got))
            g = pd.to_datetime(got.where(is_date), errors="coerce")
        e = pd.to_datetime(exp, format="%d-%m-%Y", errors="coerce")
        fast = np.array(g == e, dtype=bool)
        rest = np.flatnonzero(~fast)  # few: a blank cell where the download is blank is no edit
        fast[rest] = (got.iloc[rest].isna() & (exp.iloc[rest] == "")).to_numpy()
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


def check_edited_downloads(rows: pd.DataFrame, meta: dict, s: Settings) -> list[Finding]:
    """Downloaded values edited in the sheet: the upload ignores the edit; say so."""
    from .book import shown_values  # the display form of the downloaded values
    out: list[Finding] = []
    if "hidden_row" in rows:  # an edited hidden copy is not "downloaded": hidden-record-edited says so
        rows = rows[rows["hidden_row"].fillna(0).astype("int64") == 0]
    expected = shown_values(rows)
    kinds = {f: ("amount" if f in AMOUNT_KEYS else "date" if f in ("doc_date", "orig_doc_date")
                 else "upper" if f == "stin" else "text") for f in SHOWN_FIELDS}
    # each row's section by number, so a field's rows are found by the few distinct sections
    # (np.isin compared every row with every key: 0.03 s at 100,000 records); -1 (a blank
    # section) is in no sheet
    codes, sections = pd.factorize(rows["section"].to_numpy())
    masks: dict[tuple[str, ...], np.ndarray] = {}  # most fields show on the same sheets
    for f in SHOWN_FIELDS:
        col = "shown_" + f
        if col not in rows:
            continue
        # only the sections whose sheets show the column (a blank elsewhere is no edit)
        keys = tuple(k for k, heads in _HEADERS.items() if f in heads)
        if keys not in masks:
            masks[keys] = np.array([u in keys for u in sections] + [False], dtype=bool)[codes]
        applies = masks[keys]
        if not applies.any():
            continue
        diff = pd.Series(False, index=rows.index)
        if applies.all():  # the column shows on every row's sheet: read whole
            diff[applies] = _differs(rows[col], expected[col], kinds[f]).to_numpy()
        else:
            diff[applies] = _differs(rows.loc[applies, col], expected.loc[applies, col], kinds[f]).to_numpy()
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


def check_out_of_step(rows: pd.DataFrame, meta: dict, s: Settings) -> list[Finding]:
    """Rows sorted (or moved) apart from their hidden IMS ref: the action typed beside one
    document would be sent for another (every command that writes the workbook refuses
    it; validate --dry-run names each row)."""
    from .sheets import out_of_step
    bad = pd.Series(out_of_step(rows), index=rows.index)
    return _emit(rows, bad, "row-out-of-step", "doc_no",
                 lambda r: f"This row shows {_shown_text(r['shown_doc_no'])} of {_shown_text(r['shown_stin']).upper()}, "
                           f"but its IMS ref is {r['doc_no']} of {r['stin']}: undo the sort (sort whole rows)",
                 value=lambda r: _shown_text(r["shown_doc_no"]))


#: Upload keys -> the row field whose column shows them (for locating a contract refusal).
_KEY_FIELDS: dict[str, str] = {
    "stin": "stin", "inum": "doc_no", "nt_num": "doc_no", "idt": "doc_date", "nt_dt": "doc_date",
    "oinum": "orig_doc_no", "ont_num": "orig_doc_no", "oidt": "orig_doc_date", "ont_dt": "orig_doc_date",
    "inv_typ": "inv_typ", "srcform": "srcform", "rtnprd": "rtnprd", "pos": "pos",
    **{k: k for k in AMOUNT_KEYS},
    "action": "action_text", "prev_status": "action", "remarks": "remarks_text", "itcRedReq": "itc_red_text",
    "declIgst": "decl_igst_in", "declCgst": "decl_cgst_in", "declSgst": "decl_sgst_in", "declCess": "decl_cess_in",
}
#: Keys the accountant decides; everything else in an upload record is the downloaded value.
_DECIDED_KEYS = frozenset({"action", "remarks", "itcRedReq", "declIgst", "declCgst", "declSgst", "declCess"})
_LEAVE = ("leave this record's Action at its portal status and act on it on the portal, "
          "or download the IMS JSON again and re-import it")


def _show_value(v: object) -> str:
    if v is None:
        return "null"
    if isinstance(v, str):
        shown = v.encode("unicode_escape").decode("ascii") if not v.isprintable() else v
        return f"'{shown}'"
    return str(v)


def check_upload_contract(book: ReviewBook, s: Settings, records: dict | None = None,
                          plan: pd.DataFrame | None = None) -> list[Finding]:
    """Build every record the upload would carry and check it against the upload contract
    (``schema.record_problems``: the JSON Schema of IMS_FORMAT §2 and V6/V7), so that
    everything export would refuse is reported here, at its sheet, row and column.

    A downloaded value the contract cannot carry (a 17-character invoice number, a GSTIN in
    lower case or with a stray space, a date written 2025-10-15, a missing ``val``, ``iamt:
    null`` ...) is an error on that record only, saying what to do. Also the duplicate rule
    of :func:`upload.upload_plan` and the per-file size limit. ``records``: the records
    :func:`upload.upload_records` built for this book, when the caller keeps them for export;
    ``plan``: :func:`upload.upload_plan` of these rows, when the caller made it.
    """
    # imported here, not at the top: jsonschema costs some 60 ms at start-up, and import and
    # reconcile never check an upload
    from ..formats.schema import records_problems
    rows = book.rows
    if rows.empty:
        return []
    plan = upload_plan(rows) if plan is None else plan
    out: list[Finding] = []
    out += _emit(rows, plan["conflict"], "duplicate-conflict", "action_text",
                 lambda r: f"The same record is on another row with a different new action "
                           f"({ACTION_LABELS[Action(plan.at[r.name, 'act'])]} here): give both rows the same action")
    ref_row = dict(zip(rows["ref"].astype("int64"), rows["excel_row"].astype("int64")))
    out += _emit(rows, plan["dup_of"] >= 0, "duplicate-uploaded-once", "action_text",
                 lambda r: f"The same record is changed on row {ref_row.get(int(plan.at[r.name, 'dup_of']), '?')}: "
                           "it is uploaded once, from that row")
    limit = s.upload_max_bytes - len(dumps(envelope(book.rtin or "X" * 15, {"b2bcna": []})))
    recs = upload_records(book, plan) if records is None else records
    # the records by section, checked together (schema.records_problems: 0.45 -> 0.30 s at
    # 100,000 records, 62,459 uploaded), then reported in the order of ``recs``: only those
    # with a problem, or with unknown keys (the size test)
    labels = list(recs)
    if rows.index.is_unique:
        where = rows.index.get_indexer(labels)
        if (where < 0).any():  # as a lookup by label fails
            raise KeyError(labels[int(np.flatnonzero(where < 0)[0])])
    else:  # the last row of a label, as a dict by label reads it
        last = dict(zip(rows.index, range(len(rows))))
        where = np.array([last[i] for i in labels], dtype=np.intp)
    sections = rows["section"].to_numpy()[where].tolist()
    number = {sec: n for n, sec in enumerate(dict.fromkeys(sections))}
    codes = np.fromiter(map(number.__getitem__, sections), dtype=np.intp, count=len(sections))
    found: dict[int, list] = {}
    values = list(recs.values())
    for sec, c in number.items():
        ns = np.flatnonzero(codes == c).tolist()
        for j, problems in records_problems(sec, list(map(values.__getitem__, ns))).items():
            found[ns[j]] = problems
    unknown = rows["unknown_keys"].to_numpy()[where]
    report = sorted(set(found) | set(np.flatnonzero(unknown.astype(bool)).tolist()))
    for n in report:
        i, rec = labels[n], values[n]
        problems = found.get(n, [])
        seen: set[tuple[str, str]] = set()
        for key, kind, msg in problems:
            field = _KEY_FIELDS.get(key, "doc_no")
            if (field, kind) in seen:
                continue
            seen.add((field, kind))
            if key in _DECIDED_KEYS:
                code, text = "upload-rule", f"The upload would refuse {key} {_show_value(rec.get(key))}: {msg}"
            elif kind == "required":
                code, text = ("download-field-missing",
                              f"The download has no {key} for this record, and the portal requires it on upload: {_LEAVE}")
            else:
                code, text = ("download-value-unsendable",
                              f"The downloaded {key} {_show_value(rec.get(key))} cannot be uploaded ({msg}): {_LEAVE}")
            out += _emit(rows.loc[[i]], pd.Series(True, index=[i]), code, field, text,
                         value=lambda _r, v=rec.get(key): "" if v is None else str(v))
        # only a record with keys beyond the known ones can approach the limit (remarks are
        # capped at 250 characters): measure just those
        if unknown[n] and len(dumps(rec)) + 1 > limit:
            out += _emit(rows.loc[[i]], pd.Series(True, index=[i]), "download-value-unsendable", "doc_no",
                         f"This record is larger than the upload file limit of {s.upload_max_bytes:,} bytes: {_LEAVE}")
    return out


def check_envelope(book: ReviewBook, s: Settings) -> list[Finding]:
    """The upload envelope (IMS_FORMAT §2.1) as export will write it: the recipient GSTIN."""
    from ..formats.schema import validate_upload
    if not book.rtin:
        return []  # rtin-missing says it
    problems = validate_upload(envelope(book.rtin, {}))
    return [Finding("rtin-invalid", E, "Summary", 3, "Recipient GSTIN", p, book.rtin) for p in problems]


def check_hidden_copy(rows: pd.DataFrame, meta: dict, s: Settings) -> list[Finding]:
    """A record of the hidden copy (``_ims_data``) that no longer matches the seal made when
    it was downloaded: the upload is built from that copy, so an edit there would reach the
    portal. Each such record is an error naming it."""
    if "hidden_row" not in rows:
        return []
    edited = rows["hidden_row"].fillna(0).astype("int64") > 0
    return _emit(rows, edited, "hidden-record-edited", "doc_no",
                 lambda r: f"The hidden copy of this downloaded record (sheet _ims_data, row {int(r['hidden_row'])}) "
                           "was edited, so its amounts, dates or flags may no longer be the portal's: import the "
                           "original download again (ims-xl import IMS.json --into this workbook) to restore it")


#: Excel's error values, as xlwings (err_to_str) and the xlsx shell read them.
EXCEL_ERRORS = frozenset({"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!", "#SPILL!",
                          "#CALC!", "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"})


def check_cell_errors(rows: pd.DataFrame, meta: dict, s: Settings) -> list[Finding]:
    """An Excel error in a cell the accountant fills in is never read as a blank or a word."""
    out: list[Finding] = []
    for f in ("action_text", "remarks_text", "itc_red_text", "decl_igst_in", "decl_cgst_in",
              "decl_sgst_in", "decl_cess_in"):
        if f not in rows:
            continue
        # every error value has a "#": looked for in the texts, among the cells not blank (a
        # column of numbers holds none) (0.03 s at 100,000 records)
        if rows[f].dtype.kind in "biufcmM":
            continue
        values = rows[f].to_numpy(dtype=object)
        if "#" not in joined_texts(values[~pd.isna(values)].tolist()):
            continue
        bad = per_value(rows[f], lambda v: isinstance(v, str) and v.strip() in EXCEL_ERRORS).astype(bool)
        out += _emit(rows, bad, "cell-error", f,
                     lambda r, f=f: f"The cell holds the Excel error {str(r[f]).strip()}: type the value again")
    return out


CHECKS: tuple[Check, ...] = (check_meta, check_actions, check_itc_reduction, check_remarks,
                             check_unsent_changes, check_identifiers, check_documents,
                             check_duplicates, check_edited_downloads, check_out_of_step, check_cell_errors,
                             check_hidden_copy)
#: Checks that need the whole book (the hidden copy of the download), not only the rows.
BOOK_CHECKS = (check_upload_contract, check_envelope)
#: Checks that take the readings shared between checks (:func:`_reading`).
_SHARING = frozenset({check_remarks, check_unsent_changes})


def run_checks(book: ReviewBook, settings: Settings = Settings(),
               checks: tuple[Check, ...] = CHECKS, records: dict | None = None,
               plan: pd.DataFrame | None = None) -> list[Finding]:
    """Run every check; return findings sorted by sheet order, row and field. ``records``:
    the upload's records (:func:`upload.upload_records`) when the caller keeps them, built
    with ``plan`` (:func:`upload.upload_plan`)."""
    out: list[Finding] = []
    # what several checks read of the rows, read once (_reading); the plan already holds
    # each row's effective action
    shared: dict[str, pd.Series] = {}
    if plan is not None and plan.index.equals(book.rows.index):
        shared["act"] = plan["act"]
    for check in (*checks, *BOOK_CHECKS):
        try:
            if check is check_upload_contract:
                out += check(book, settings, records, plan)
            elif check in BOOK_CHECKS:
                out += check(book, settings)
            elif check in _SHARING:
                out += check(book.rows, book.meta, settings, shared)
            else:
                out += check(book.rows, book.meta, settings)
        except Exception as exc:  # a broken check must not hide the others' findings
            out.append(Finding("internal-error", E, "", None, check.__name__,
                               f"{check.__name__} failed: {type(exc).__name__}: {exc}"))
    # the upload contract is the last word; where a named rule already refused that record,
    # its plainer message is enough
    named = {(f.sheet, f.row) for f in out if f.severity is E and f.code != "upload-rule"}
    out = [f for f in out if f.code != "upload-rule" or (f.sheet, f.row) not in named]
    seen_rtin = False
    kept: list[Finding] = []
    for f in out:  # one rtin-invalid finding is enough
        if f.code == "rtin-invalid":
            if seen_rtin:
                continue
            seen_rtin = True
        kept.append(f)
    out = kept
    order = {s.sheet: i for i, s in enumerate(SECTIONS)}
    return sorted(out, key=lambda f: (order.get(f.sheet, -1), f.row or 0, f.field, f.code))


def findings_frame(findings: list[Finding]) -> pd.DataFrame:
    """Findings as a frame in the fixed column order of ``model.FINDING_COLUMNS``."""
    from ..model import FINDING_COLUMNS
    return pd.DataFrame([{"severity": f.severity.value, "code": f.code, "sheet": f.sheet,
                          "row": f.row, "field": f.field, "message": f.message, "value": f.value}
                         for f in findings], columns=list(FINDING_COLUMNS))


def annotate(book: ReviewBook, findings: list[Finding]) -> tuple[ReviewBook, dict[tuple[int, str], str]]:
    """Write findings into ``sheet_errors`` and return the cells to colour.

    Returns the new book and ``{(ref, field): "error"|"warning"}`` for the shells.
    """
    from dataclasses import replace
    rows = book.rows.copy(deep=False)  # one column replaced whole below, none changed in place
    # the rows' places, read as lists, and only when a finding names a row or int() may
    # refuse a row number (0.05 s at 100,000 records; none when nothing is found)
    key: dict[tuple, object] = {}
    if any(f.row is not None for f in findings) or rows["excel_row"].dtype.kind not in "iub":
        key = dict(zip(zip(rows["sheet"].tolist(), map(int, rows["excel_row"].tolist())), rows["ref"].tolist()))
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
    joined = {r: "\n".join(t) for r, t in texts.items()}
    rows["sheet_errors"] = pd.array([joined.get(r, "") for r in rows["ref"].tolist()] if joined else [""] * len(rows),
                                    dtype=object)
    return replace(book, rows=rows), marks


def findings_table(findings) -> str:
    """Findings as a plain-text table (severity, sheet, row, field, code, message) for a terminal."""
    if not findings:
        return ""
    head = ("severity", "sheet", "row", "field", "code", "message")
    rows = [(f.severity.value, f.sheet, "" if f.row is None else str(f.row), f.field, f.code, f.message)
            for f in findings]
    widths = [min(max(len(r[i]) for r in rows + [head]), 40 if i < 5 else 200) for i in range(len(head))]
    fmt = lambda r: "  ".join(str(v)[:widths[i]].ljust(widths[i]) for i, v in enumerate(r)).rstrip()
    return "\n".join([fmt(head), fmt(tuple("-" * w for w in widths))] + [fmt(r) for r in rows])
