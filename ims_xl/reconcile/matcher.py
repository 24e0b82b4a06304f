"""Match IMS records with the purchase register ("books"), explain each decision, suggest actions.

Pure pandas: no workbook code. The tiers follow ``shared/docs/RECONCILE_NOTES.md``:

1. **key tier** (same supplier GSTIN, same document kind, same *normalised* number, or the
   original number of an amendment): ``Matched`` when everything agrees (a number that differs
   only in formatting still counts), ``Matched within tolerance`` for per-head differences up
   to the tolerance and dates within the window, else ``Tax-head mismatch`` (IGST reported as
   CGST+SGST or the reverse), ``Date mismatch`` or ``Value mismatch``;
2. **loose tier**, only among what is left: a fuzzy number (rapidfuzz) with amounts within
   tolerance, or no number at all but the same supplier, amounts and month: always
   ``Suggested``, never a match; and the **PAN tier**: same normalised number under another
   GSTIN of the same PAN: ``GSTIN mismatch (same PAN)``;
3. **duplicates**: an unpaired record identical (supplier, kind, normalised number, amounts) to
   another is ``Duplicate in IMS`` / ``Duplicate in books``; the rest is ``Missing in books`` /
   ``Missing in IMS``.

Assignment is one-to-one and deterministic: candidates are ordered by score, then by the
amount gap, the date gap, and finally by ``ref`` and ``books_row`` *values* (never positions),
and taken greedily (computed as rounds of mutually-best pairs, which gives the same answer).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from ..gstin import pan_of
from ..model import SECTION_BY_KEY, Action, MatchStatus, parse_action
from ..money import format_inr

__all__ = [
    "IMS_COLUMNS",
    "MATCHES_COLUMNS",
    "REASON_CODES",
    "MatchSettings",
    "MatchStatus",
    "ReconcileResult",
    "apply_suggestions",
    "matches_frame",
    "normalise_doc_no",
    "reconcile",
]


#: Stable reason codes and what they mean (kebab case; never rename).
REASON_CODES: dict[str, str] = {
    "number-format": "document number differs only in formatting (case, separators, "
                     "financial-year tokens, leading zeros)",
    "amended-original": "paired through the original number of an amended record",
    "fuzzy-number": "document number is similar but not equal (suggested only)",
    "number-ignored": "document number differs; same supplier, amounts and month (suggested only)",
    "taxable-diff": "taxable value differs",
    "igst-diff": "integrated tax differs",
    "cgst-diff": "central tax differs",
    "sgst-diff": "state/UT tax differs",
    "cess-diff": "cess differs",
    "value-diff": "document value differs",
    "tax-head-swapped": "IGST reported as CGST+SGST or the reverse (place-of-supply error)",
    "date-diff": "document date differs",
    "gstin-same-pan": "supplier GSTIN differs but has the same PAN",
    "duplicate-in-ims": "the same document appears again in the IMS",
    "duplicate-in-books": "the same document is booked twice",
    "not-in-books": "no document in the books for this record",
    "not-in-ims": "no IMS record for this booked document",
}

#: Columns the IMS input frame must have.
IMS_COLUMNS: tuple[str, ...] = (
    "ref", "section", "stin", "tradenm", "doc_no", "doc_date", "orig_doc_no", "orig_doc_date",
    "pos", "txval", "iamt", "camt", "samt", "cess", "val", "action", "ispendactblocked",
    "rtnprd",
)
#: Columns of :func:`matches_frame` (README, "--matches MATCHES.csv"), in this order.
MATCHES_COLUMNS: tuple[str, ...] = (
    "section", "stin", "doc_no", "doc_date", "books_row", "status", "score", "reasons",
    "suggested_action",
)
RESULT_COLUMNS: tuple[str, ...] = (
    "ref", "status", "books_row", "score", "reasons", "reason_codes", "diff_fields",
    "books_values", "suggested_action", "suggested_remarks",
)

_HEADS: tuple[str, ...] = ("txval", "iamt", "camt", "samt", "cess", "val")
_HEAD_LABEL = {"txval": "Taxable value", "iamt": "IGST", "camt": "CGST", "samt": "SGST",
               "cess": "Cess", "val": "Invoice value"}
_HEAD_CODE = {"txval": "taxable-diff", "iamt": "igst-diff", "camt": "cgst-diff",
              "samt": "sgst-diff", "cess": "cess-diff", "val": "value-diff"}
_KINDS = {"invoice": 0, "credit_note": 1, "debit_note": 2}
_KIND_WORD = {0: "Invoice", 1: "Credit note", 2: "Debit note"}
_NO_DAY = np.iinfo(np.int64).min


@dataclass(frozen=True)
class MatchSettings:
    """Named tolerances of the matcher (amounts in paise, dates in days).

    Attributes:
        tol_txval, tol_iamt, tol_camt, tol_samt, tol_cess: per-head rounding buffer; ₹1 is
            the common default of reconciliation products (RECONCILE_NOTES "Rounding").
        tol_val: buffer on the document value (invoice values are often rounded to the rupee).
        date_window_days: a date difference up to this still counts as "within tolerance".
        suggest_date_window_days: fuzzy-number suggestions need dates this close.
        value_mismatch_days: a same-number pair whose amounts differ beyond tolerance is
            reported as ``Value mismatch`` only when the dates are this close (or unknown):
            numbers restart every financial year, so the same number far apart is another
            document.
        max_date_diff_days: no pair at all across a larger date gap.
        fuzzy_threshold: rapidfuzz ``ratio`` (0-100) on normalised numbers for a fuzzy
            suggestion. ``ratio`` not ``partial_ratio``: partial scores ``1`` vs ``11`` as 100.
        remarks_max_len: length cap of drafted remarks (model.REMARKS_MAX_LEN).
    """

    tol_txval: int = 100
    tol_iamt: int = 100
    tol_camt: int = 100
    tol_samt: int = 100
    tol_cess: int = 100
    tol_val: int = 100
    date_window_days: int = 3
    suggest_date_window_days: int = 15
    value_mismatch_days: int = 45
    max_date_diff_days: int = 180
    fuzzy_threshold: float = 80.0
    remarks_max_len: int = 250

    def tolerance(self, head: str) -> int:
        """The buffer in paise for an amount head (``txval`` ... ``val``)."""
        return int(getattr(self, f"tol_{head}"))


@dataclass(frozen=True)
class ReconcileResult:
    """The outcome of :func:`reconcile`.

    Attributes:
        ims: one row per IMS ``ref`` (sorted by ref), columns :data:`RESULT_COLUMNS`:
            ``status`` (:class:`MatchStatus`), ``books_row`` (Int64, NA when unpaired),
            ``score`` (0-100), ``reasons`` ("; "-joined text), ``reason_codes``
            ("|"-joined :data:`REASON_CODES`), ``diff_fields`` ("|"-joined IMS fields that
            differ), ``books_values`` (JSON field -> books value as display text),
            ``suggested_action`` ('A', 'P' or ''), ``suggested_remarks``.
        books: one row per books document (sorted by books_row): ``books_row``, ``status``
            (the paired IMS record's status, ``Missing in IMS`` or ``Duplicate in books``),
            ``ref`` (Int64, the paired IMS record), ``reasons``, ``reason_codes``.
        settings: the settings used.
    """

    ims: pd.DataFrame
    books: pd.DataFrame
    settings: MatchSettings

    @property
    def pairs(self) -> pd.DataFrame:
        """``ref, books_row, status`` of every paired IMS record."""
        p = self.ims.loc[self.ims["books_row"].notna(), ["ref", "books_row", "status"]]
        return p.reset_index(drop=True)

    def counts(self) -> dict[str, int]:
        """Number of IMS records per status, then books-only rows per status."""
        out = {str(k): int(v) for k, v in self.ims["status"].value_counts(sort=False).items()}
        only = self.books.loc[self.books["ref"].isna(), "status"].value_counts(sort=False)
        out.update({str(k): int(v) for k, v in only.items()})
        return out


# --------------------------------------------------------------------------- numbers

_TOKENS = re.compile(r"[0-9]+|[A-Z]+|[^0-9A-Z]+")
_LEAD_ZEROS = re.compile(r"(?<![0-9])0+(?=[0-9])")
_NON_ALNUM = re.compile(r"[^0-9A-Z]+")
#: Cheap pre-check: a financial-year token needs two digits around a - or /.
_FY_HINT = re.compile(r"[0-9]{2}\s*[-/]\s*[0-9]{2}|(?<![0-9])[0-9]{4}(?![0-9])")


def _consecutive_years(a: str, b: str) -> bool:
    """``2024``/``24`` followed by ``25``/``2025``: a financial-year token."""
    if len(a) not in (2, 4) or len(b) not in (2, 4) or (len(a), len(b)) == (2, 4):
        return False
    if len(a) == 4 and not a.startswith("20"):
        return False
    ya, yb = int(a), int(b)
    if len(b) == 4:
        return yb == ya + 1
    return yb == (ya + 1) % 100


def _drop_fy(s: str) -> str:
    """Remove financial-year tokens (``2024-25``, ``24-25``, ``2024/2025``, ``FY24-25``,
    ``2425`` between separators, ``FY2425``)."""
    toks = _TOKENS.findall(s)
    out: list[str] = []
    k = 0
    while k < len(toks):
        t = toks[k]
        # a compact year pair standing alone between separators: ``INV/2526/42``, ``FY2526``
        if (t.isdigit() and len(t) == 4 and _consecutive_years(t[:2], t[2:])
                and (k == 0 or not toks[k - 1][-1:].isalnum() or toks[k - 1] == "FY")
                and (k + 1 == len(toks) or not toks[k + 1][:1].isalnum())):
            if out and out[-1] == "FY":
                out.pop()
            out.append(" ")
            k += 1
            continue
        if (t.isdigit() and k + 2 < len(toks) and toks[k + 1].strip() in ("-", "/")
                and toks[k + 2].isdigit() and _consecutive_years(t, toks[k + 2])):
            if out and out[-1] == "FY":
                out.pop()
            elif len(out) > 1 and out[-2] == "FY" and not out[-1].strip():
                del out[-2:]
            out.append(" ")
            k += 3
            continue
        out.append(t)
        k += 1
    return "".join(out)


def normalise_doc_no(text: str) -> str:
    """The matching key of a document number (RECONCILE_NOTES "Normalisation").

    Upper-case; drop financial-year tokens (``2024-25``, ``24-25``, ``2024/2025``,
    ``2024-2025``, ``FY24-25``: two consecutive years joined by ``-`` or ``/``); strip the
    leading zeros of every numeric run (``INV/0891`` == ``INV-891``); drop every character
    that is not a letter or digit. ``INV/2024-25/0891`` -> ``INV891``. A lone year such as
    ``2025`` is kept: in ``1/2025`` it is the serial number.
    """
    s = str(text).upper().strip()
    if not s:
        return ""
    plain = _NON_ALNUM.sub("", _LEAD_ZEROS.sub("", s))
    if not _FY_HINT.search(s):
        return plain
    t = _NON_ALNUM.sub("", _LEAD_ZEROS.sub("", _drop_fy(s)))
    # a number made only of a year token keeps it (``2024-25`` alone is the number itself)
    if not any(c.isdigit() for c in t):
        return plain
    return t


def _normalise_series(values: pd.Series) -> np.ndarray:
    """normalise_doc_no over a column, computed once per distinct value."""
    codes, uniques = pd.factorize(values.astype(object).fillna("").astype(str))
    normed = np.array([normalise_doc_no(u) for u in uniques], dtype=object)
    return normed[codes] if len(uniques) else np.array([], dtype=object)


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit())


# --------------------------------------------------------------------------- preparation


def _flag_true(v: object) -> bool:
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    return str(v).strip().upper() in ("Y", "YES", "TRUE", "1")


def _days(dates: pd.Series) -> np.ndarray:
    """Day numbers (int64) of datetime-like values; _NO_DAY for NaT."""
    d = pd.to_datetime(dates, errors="coerce").astype("datetime64[ns]")
    arr = d.to_numpy().astype("datetime64[D]")
    out = arr.astype(np.int64)
    out[np.isnat(arr)] = _NO_DAY
    return out


def _months(days: np.ndarray) -> np.ndarray:
    m = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return np.where(days == _NO_DAY, -1, m)


def _prep_ims(ims: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in IMS_COLUMNS if c not in ims.columns and c not in
               ("tradenm", "orig_doc_date", "pos", "action", "ispendactblocked", "rtnprd",
                "orig_doc_no")]
    if missing:
        raise ValueError(f"IMS frame lacks columns {missing}")
    df = ims.sort_values("ref", kind="stable").reset_index(drop=True)
    if df["ref"].duplicated().any():
        raise ValueError("IMS frame: ref must be unique")
    out = pd.DataFrame({"ref": df["ref"].astype(np.int64).to_numpy()})
    kinds = df["section"].astype(str).map({k: _KINDS[v.kind] for k, v in SECTION_BY_KEY.items()})
    if kinds.isna().any():
        bad = sorted(set(df.loc[kinds.isna(), "section"].astype(str)))
        raise ValueError(f"IMS frame: unknown section(s) {bad}")
    out["kind"] = kinds.astype(np.int64).to_numpy()
    out["stin"] = df["stin"].astype(object).fillna("").astype(str).str.strip().str.upper().to_numpy()
    out["doc_no"] = df["doc_no"].astype(object).fillna("").astype(str).str.strip().to_numpy()
    orig = df["orig_doc_no"] if "orig_doc_no" in df else pd.Series("", index=df.index)
    out["orig_doc_no"] = orig.astype(object).fillna("").astype(str).str.strip().to_numpy()
    out["norm"] = _normalise_series(out["doc_no"])
    out["onorm"] = _normalise_series(out["orig_doc_no"])
    out["day"] = _days(pd.to_datetime(df["doc_date"].astype(object).fillna("").astype(str),
                                      format="%d-%m-%Y", errors="coerce"))
    for h in _HEADS:
        out[h] = df[h].astype(np.int64).to_numpy()
    # ims_json names the flag pend_blocked; without either, Pending is never suggested
    col = "ispendactblocked" if "ispendactblocked" in df else (
        "pend_blocked" if "pend_blocked" in df else None)
    if col is None:
        out["blocked"] = True
    elif df[col].dtype == bool:
        out["blocked"] = df[col].to_numpy()
    else:
        out["blocked"] = df[col].map(_flag_true).astype(bool).to_numpy()
    return out


def _prep_books(books: pd.DataFrame) -> pd.DataFrame:
    # books_row is unique in one register; the other keys only make the order total when
    # registers were concatenated
    df = books.sort_values(["books_row", "stin", "doc_no", "txval", "val"],
                           kind="stable").reset_index(drop=True)
    out = pd.DataFrame({"books_row": df["books_row"].astype(np.int64).to_numpy()})
    out["kind"] = df["doc_kind"].map(_KINDS).fillna(0).astype(np.int64).to_numpy()
    out["stin"] = df["stin"].astype(object).fillna("").astype(str).str.strip().str.upper().to_numpy()
    out["doc_no"] = df["doc_no"].astype(object).fillna("").astype(str).str.strip().to_numpy()
    orig = df["orig_doc_no"] if "orig_doc_no" in df else pd.Series("", index=df.index)
    out["orig_doc_no"] = orig.astype(object).fillna("").astype(str).str.strip().to_numpy()
    out["norm"] = _normalise_series(out["doc_no"])
    out["onorm"] = _normalise_series(out["orig_doc_no"])
    out["day"] = _days(df["doc_date"])
    for h in _HEADS:
        out[h] = df[h].astype(np.int64).to_numpy()
    return out


# --------------------------------------------------------------------------- candidates


def _codes(a: pd.Series, b: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Shared integer codes for two string columns (equal text <-> equal code)."""
    codes, _ = pd.factorize(pd.concat([a, b], ignore_index=True))
    return codes[: len(a)], codes[len(a):]


def _merge(left: pd.DataFrame, right: pd.DataFrame, lkeys: list[str], rkeys: list[str],
           how: str) -> pd.DataFrame:
    """Pairs (i, b) whose keys are equal, tagged ``how``."""
    l = left[["i", *lkeys]].rename(columns=dict(zip(lkeys, rkeys)))
    r = right[["b", *rkeys]]
    m = l.merge(r, on=rkeys, how="inner", sort=False)[["i", "b"]]
    m["how"] = how
    return m


def _pair_metrics(c: pd.DataFrame, I: pd.DataFrame, B: pd.DataFrame,
                  s: MatchSettings) -> pd.DataFrame:
    """Differences and flags of candidate pairs (columns i, b)."""
    i = c["i"].to_numpy()
    b = c["b"].to_numpy()
    out = c.copy()
    within = np.ones(len(c), dtype=bool)
    exact = np.ones(len(c), dtype=bool)
    gap = np.zeros(len(c), dtype=np.int64)
    for h in _HEADS:
        d = I[h].to_numpy()[i] - B[h].to_numpy()[b]
        out[f"d_{h}"] = d
        ad = np.abs(d)
        within &= ad <= s.tolerance(h)
        exact &= d == 0
        gap += ad
    iday, bday = I["day"].to_numpy()[i], B["day"].to_numpy()[b]
    known = (iday != _NO_DAY) & (bday != _NO_DAY)
    dd = np.where(known, iday - bday, 0)
    out["dd"] = dd
    out["date_known"] = known
    add = np.abs(dd)
    out["within"] = within
    out["exact"] = exact
    out["gap"] = gap
    out["date_ok"] = add <= s.date_window_days
    # IGST on one side, CGST+SGST on the other, same total tax, same taxable value
    ii, ic, is_ = (I[h].to_numpy()[i] for h in ("iamt", "camt", "samt"))
    bi, bc, bs = (B[h].to_numpy()[b] for h in ("iamt", "camt", "samt"))
    ttol = max(s.tol_iamt, s.tol_camt + s.tol_samt)
    swapped = (
        (np.abs(out["d_txval"].to_numpy()) <= s.tol_txval)
        & (np.abs(out["d_cess"].to_numpy()) <= s.tol_cess)
        & (np.abs((ii + ic + is_) - (bi + bc + bs)) <= ttol)
        & (np.abs(out["d_val"].to_numpy()) <= max(s.tol_val, ttol))
        & (((ii > ttol) & (bi <= s.tol_iamt) & (bc + bs > ttol) & (ic + is_ <= ttol))
           | ((bi > ttol) & (ii <= s.tol_iamt) & (ic + is_ > ttol) & (bc + bs <= ttol)))
    )
    out["swapped"] = swapped & ~within
    out["same_no"] = I["doc_no"].to_numpy()[i] == B["doc_no"].to_numpy()[b]
    return out


def _key_candidates(I: pd.DataFrame, B: pd.DataFrame, s: MatchSettings) -> pd.DataFrame:
    """Same kind + supplier + normalised number (or amendment's original number)."""
    parts = [
        _merge(I, B, ["kind", "stin_c", "norm_c"], ["kind", "stin_c", "norm_c"], "number"),
        _merge(I[I["onorm"] != ""], B, ["kind", "stin_c", "onorm_c"],
               ["kind", "stin_c", "norm_c"], "orig"),
        _merge(I, B[B["onorm"] != ""], ["kind", "stin_c", "norm_c"],
               ["kind", "stin_c", "onorm_c"], "orig"),
    ]
    c = pd.concat(parts, ignore_index=True)
    c = c[(I["norm"].to_numpy()[c["i"].to_numpy()] != "")]
    c = c.sort_values(["i", "b", "how"], kind="stable").drop_duplicates(["i", "b"])
    c = _pair_metrics(c.reset_index(drop=True), I, B, s)
    add = np.abs(c["dd"].to_numpy())
    ok = (add <= s.max_date_diff_days) & (
        c["within"].to_numpy() | c["swapped"].to_numpy() | (add <= s.value_mismatch_days))
    c = c[ok].reset_index(drop=True)
    within, swapped, date_ok = c["within"], c["swapped"], c["date_ok"]
    fmt = c["how"].eq("number")
    status = np.select(
        [within & date_ok & c["exact"] & (c["dd"] == 0) & fmt,
         within & date_ok,
         swapped,
         within],
        [MatchStatus.MATCHED.value, MatchStatus.WITHIN_TOLERANCE.value,
         MatchStatus.TAX_HEAD_MISMATCH.value, MatchStatus.DATE_MISMATCH.value],
        MatchStatus.VALUE_MISMATCH.value)
    c["status"] = status
    add = np.abs(c["dd"].to_numpy()).astype(float)
    ref_val = np.maximum(np.maximum(I["val"].to_numpy()[c["i"]], B["val"].to_numpy()[c["b"]]), 1)
    rel = np.minimum(c["gap"].to_numpy() / ref_val, 1.0)
    tol_units = np.minimum(c["gap"].to_numpy() / max(s.tol_txval, 1), 4.0)
    score = np.select(
        [status == MatchStatus.MATCHED.value, status == MatchStatus.WITHIN_TOLERANCE.value,
         status == MatchStatus.TAX_HEAD_MISMATCH.value, status == MatchStatus.DATE_MISMATCH.value],
        [np.where(c["same_no"], 100.0, 98.0),
         96.0 - tol_units * 0.5 - np.minimum(add, 3) - np.where(fmt, 0.0, 3.0),
         82.0 - np.minimum(add, 30) / 10,
         80.0 - np.minimum(add / 30, 5.0)],
        75.0 - 15.0 * rel - np.minimum(add, 30) / 10)
    c["score"] = score
    c["sim"] = 100.0
    c["tier"] = "key"
    return c


def _loose_candidates(I: pd.DataFrame, B: pd.DataFrame, left_i: np.ndarray,
                      left_b: np.ndarray, s: MatchSettings) -> pd.DataFrame:
    """Among leftovers (masks ``left_i``, ``left_b``): same supplier and amounts (fuzzy
    number / number ignored), and same PAN + normalised number under another GSTIN."""
    frames = []
    full_i, full_b = I, B
    I, B = I[left_i], B[left_b]
    if len(I) and len(B):
        w = max(s.tol_txval, 1)
        li = I[["i", "kind", "stin_c", "month"]].assign(bucket=I["txval"] // w)
        bsmall = B[["b", "kind", "stin_c", "month"]]
        rb = [bsmall.assign(bucket=B["txval"] // w + k) for k in (-1, 0, 1)]
        keys = ["kind", "stin_c", "bucket"]
        # guard against a quadratic block (many equal amounts of one supplier): add the month
        sizes = li.groupby(keys).size().rename("n_i").reset_index().merge(
            pd.concat(rb).groupby(keys).size().rename("n_b").reset_index(), on=keys)
        if (sizes["n_i"] * sizes["n_b"]).sum() > 5_000_000:
            keys = [*keys, "month"]
        loose = pd.concat([_merge(li, r, keys, keys, "loose") for r in rb], ignore_index=True)
        loose = loose.drop_duplicates(["i", "b"])
        pan = pd.concat([
            _merge(I, B, ["kind", "pan_c", "norm_c"], ["kind", "pan_c", "norm_c"], "pan"),
            _merge(I[I["onorm"] != ""], B, ["kind", "pan_c", "onorm_c"],
                   ["kind", "pan_c", "norm_c"], "pan"),
        ], ignore_index=True)
        frames = [loose, pan]
    I, B = full_i, full_b
    if frames:
        pan = frames[1]
        frames[1] = pan[(I["stin"].to_numpy()[pan["i"].to_numpy()]
                         != B["stin"].to_numpy()[pan["b"].to_numpy()])
                        & (I["norm"].to_numpy()[pan["i"].to_numpy()] != "")]
    c = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        {"i": pd.Series(dtype=np.int64), "b": pd.Series(dtype=np.int64), "how": []})
    c = c.sort_values(["i", "b", "how"], kind="stable").drop_duplicates(["i", "b"])
    c = _pair_metrics(c.reset_index(drop=True), I, B, s)
    i, b = c["i"].to_numpy(), c["b"].to_numpy()
    qi, qb = I["norm"].to_numpy()[i], B["norm"].to_numpy()[b]
    if len(c):
        sim = process.cpdist(list(qi), list(qb), scorer=fuzz.ratio, workers=1).astype(float)
        dig_i = np.array([_digits(x) for x in qi], dtype=object)
        dig_b = np.array([_digits(x) for x in qb], dtype=object)
        # a prefix added or dropped (INV-4587 vs 4587): the digits agree
        same_digits = (dig_i == dig_b) & (dig_i != "")
        sim = np.where(same_digits, np.maximum(sim, 95.0), sim)
    else:
        sim = np.zeros(0)
    c["sim"] = sim
    add = np.abs(c["dd"].to_numpy())
    known = c["date_known"].to_numpy()
    # suggestions need every head within tolerance: a swap on top of a different number is
    # too weak a link to show as a probable pair
    amounts_ok = c["within"].to_numpy()
    is_pan = c["how"].to_numpy() == "pan"
    fuzzy = (~is_pan & amounts_ok & (sim >= s.fuzzy_threshold)
             & (add <= s.suggest_date_window_days) & (add <= s.max_date_diff_days))
    month_i = I["month"].to_numpy()[i]
    month_b = B["month"].to_numpy()[b]
    ignored = (~is_pan & ~fuzzy & amounts_ok & known
               & ((month_i == month_b) | (add <= s.date_window_days)))
    pan_ok = is_pan & (add <= s.max_date_diff_days) & (
        amounts_ok | c["swapped"].to_numpy() | (add <= s.date_window_days))
    keep = fuzzy | ignored | pan_ok
    c = c.assign(fuzzy=fuzzy, ignored=ignored)[keep].reset_index(drop=True)
    add = np.abs(c["dd"].to_numpy()).astype(float)
    sim = c["sim"].to_numpy()
    span = max(100.0 - s.fuzzy_threshold, 1.0)
    c["status"] = np.where(c["how"] == "pan", MatchStatus.GSTIN_MISMATCH.value,
                           MatchStatus.SUGGESTED.value)
    c["score"] = np.select(
        [c["how"].to_numpy() == "pan", c["fuzzy"].to_numpy()],
        [72.0 + np.where(c["within"], 3.0, 0.0) - np.minimum(add, 30) / 10,
         60.0 + 12.0 * np.clip(sim - s.fuzzy_threshold, 0, span) / span
         - np.minimum(add, 30) / 10],
        50.0 - np.minimum(add, 30) / 10)
    c["tier"] = np.where(c["how"] == "pan", "pan",
                         np.where(c["fuzzy"], "fuzzy", "ignored"))
    return c.drop(columns=["fuzzy", "ignored"])


# --------------------------------------------------------------------------- assignment


def _assign(c: pd.DataFrame, I: pd.DataFrame, B: pd.DataFrame) -> pd.DataFrame:
    """One-to-one greedy assignment by (score desc, gap, |date gap|, ref, books_row).

    Computed as rounds of mutually-best pairs: with a strict total order this selects
    exactly the pairs of the sequential greedy, without a Python loop over candidates.
    """
    if c.empty:
        return c
    c = c.assign(_ref=I["ref"].to_numpy()[c["i"].to_numpy()],
                 _row=B["books_row"].to_numpy()[c["b"].to_numpy()],
                 _add=np.abs(c["dd"].to_numpy()))
    c = c.sort_values(["score", "gap", "_add", "_ref", "_row"],
                      ascending=[False, True, True, True, True], kind="stable")
    c = c.reset_index(drop=True)
    ii = c["i"].to_numpy()
    bb = c["b"].to_numpy()
    alive = np.ones(len(c), dtype=bool)
    chosen: list[np.ndarray] = []
    for _ in range(64):
        idx = np.flatnonzero(alive)
        if not len(idx):
            break
        ai, ab = ii[idx], bb[idx]
        _, fi = np.unique(ai, return_index=True)
        _, fb = np.unique(ab, return_index=True)
        mutual = np.intersect1d(idx[fi], idx[fb], assume_unique=True)
        chosen.append(mutual)
        alive[idx[np.isin(ai, ii[mutual]) | np.isin(ab, bb[mutual])]] = False
    else:  # long chains of near-equal candidates: finish the rest sequentially
        used_i: set[int] = set()
        used_b: set[int] = set()
        rest = []
        for k in np.flatnonzero(alive).tolist():
            if ii[k] not in used_i and bb[k] not in used_b:
                used_i.add(ii[k])
                used_b.add(bb[k])
                rest.append(k)
        chosen.append(np.asarray(rest, dtype=np.int64))
    take = np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)
    return c.iloc[take].drop(columns=["_ref", "_row", "_add"]).reset_index(drop=True)


def _duplicates(frame: pd.DataFrame, paired: np.ndarray, key_cols: list[str],
                order_col: str) -> tuple[np.ndarray, np.ndarray]:
    """Rows that repeat another row's document (same keys), not paired themselves.

    Returns (is_duplicate mask, position of the row it repeats). The row kept as the
    original in each group is a paired one when there is one, else the earliest by date
    then ``order_col``.
    """
    n = len(frame)
    dup = np.zeros(n, dtype=bool)
    primary = np.full(n, -1, dtype=np.int64)
    has_no = frame["norm"].to_numpy() != ""
    if not has_no.any():
        return dup, primary
    f = frame.loc[has_no, key_cols + ["day", order_col]].copy()
    f["pos"] = np.flatnonzero(has_no)
    f["unpaired"] = ~paired[f["pos"].to_numpy()]
    day = f["day"].to_numpy()
    f["day_k"] = np.where(day == _NO_DAY, np.iinfo(np.int64).max, day)
    f = f.sort_values(["unpaired", "day_k", order_col], kind="stable")
    g = f.groupby(key_cols, sort=False)
    rank = g.cumcount().to_numpy()
    first_pos = g["pos"].transform("first").to_numpy()
    is_dup = (rank > 0) & f["unpaired"].to_numpy()
    dup[f["pos"].to_numpy()[is_dup]] = True
    primary[f["pos"].to_numpy()[is_dup]] = first_pos[is_dup]
    return dup, primary


# --------------------------------------------------------------------------- explanation


def _signed(p: int) -> str:
    return ("+" if p > 0 else "") + format_inr(int(p))


def _fmt_day(day: int) -> str:
    if day == _NO_DAY:
        return ""
    return pd.Timestamp(np.datetime64(int(day), "D")).strftime("%d-%m-%Y")


def _explain(P: pd.DataFrame, I: pd.DataFrame, B: pd.DataFrame, n: int,
             s: MatchSettings) -> dict[str, np.ndarray]:
    """Reasons, codes, differing fields and books values for the paired IMS rows."""
    reasons: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    fields: list[np.ndarray] = []
    bv = np.empty(n, dtype=object)
    bv[:] = None

    def slot() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r, c, f = (np.full(n, "", dtype=object) for _ in range(3))
        reasons.append(r)
        codes.append(c)
        fields.append(f)
        return r, c, f

    def note(pos: np.ndarray, field: str, values: list[str]) -> None:
        for p, v in zip(pos.tolist(), values):
            if bv[p] is None:
                bv[p] = {}
            bv[p][field] = v

    if len(P):
        i = P["i"].to_numpy()
        b = P["b"].to_numpy()
        tier = P["tier"].to_numpy()
        how = P["how"].to_numpy()
        # --- number
        r, c, f = slot()
        diff_no = ~P["same_no"].to_numpy()
        idoc, bdoc = I["doc_no"].to_numpy(), B["doc_no"].to_numpy()
        for mask, code, text in (
            (diff_no & (tier == "key") & (how == "number"), "number-format",
             "Number differs only in formatting: books {b}, IMS {i}"),
            (diff_no & (tier == "pan"), "number-format",
             "Number: books {b}, IMS {i}"),
            (diff_no & (how == "orig") & (tier == "key"), "amended-original",
             "Paired through the original number {o} of the amended record: books {b}, IMS {i}"),
            (tier == "fuzzy", "fuzzy-number",
             "Number similar ({sim:.0f}%), not equal: books {b}, IMS {i}; check before accepting"),
            (tier == "ignored", "number-ignored",
             "Number differs (books {b}, IMS {i}); same supplier, amounts and month; "
             "check before accepting"),
        ):
            pos = np.flatnonzero(mask)
            if not len(pos):
                continue
            ii, bi = i[pos], b[pos]
            sims = P["sim"].to_numpy()[pos]
            onos = I["orig_doc_no"].to_numpy()[ii]
            txt = [text.format(b=bdoc[y], i=idoc[x], o=o, sim=sm)
                   for x, y, o, sm in zip(ii.tolist(), bi.tolist(), onos.tolist(), sims.tolist())]
            at = i[pos]
            r[at] = txt
            c[at] = code
            ndiff = bdoc[bi] != idoc[ii]
            f[at[ndiff]] = "doc_no"
            note(at[ndiff], "doc_no", [str(v) for v in bdoc[bi][ndiff]])
        # --- GSTIN
        r, c, f = slot()
        pos = np.flatnonzero(tier == "pan")
        if len(pos):
            at = i[pos]
            bst = B["stin"].to_numpy()[b[pos]]
            ist = I["stin"].to_numpy()[at]
            r[at] = [f"GSTIN differs, same PAN {pan_of(x)}: books {y}, IMS {x}"
                     for x, y in zip(ist.tolist(), bst.tolist())]
            c[at] = "gstin-same-pan"
            f[at] = "stin"
            note(at, "stin", bst.tolist())
        # --- tax-head swap
        swapped = P["swapped"].to_numpy()
        r, c, f = slot()
        pos = np.flatnonzero(swapped)
        if len(pos):
            at = i[pos]
            txt = []
            bt = {h: B[h].to_numpy() for h in ("iamt", "camt", "samt")}
            it = {h: I[h].to_numpy() for h in ("iamt", "camt", "samt")}
            for x, y in zip(at.tolist(), b[pos].tolist()):
                bh = ", ".join(f"{_HEAD_LABEL[h]} {format_inr(int(bt[h][y]))}"
                               for h in ("iamt", "camt", "samt"))
                ih = ", ".join(f"{_HEAD_LABEL[h]} {format_inr(int(it[h][x]))}"
                               for h in ("iamt", "camt", "samt"))
                txt.append(f"Tax head swapped (IGST vs CGST+SGST): books {bh}; IMS {ih}")
            r[at] = txt
            c[at] = "tax-head-swapped"
        # --- amounts
        for h in _HEADS:
            d = P[f"d_{h}"].to_numpy()
            r, c, f = slot()
            pos = np.flatnonzero(d != 0)
            if not len(pos):
                continue
            at = i[pos]
            bvals = B[h].to_numpy()[b[pos]]
            ivals = I[h].to_numpy()[at]
            inswap = swapped[pos] & (h in ("iamt", "camt", "samt"))
            txt = [f"{_HEAD_LABEL[h]}: books {format_inr(int(y))}, IMS {format_inr(int(x))}, "
                   f"{_signed(int(x - y))}" for x, y in zip(ivals.tolist(), bvals.tolist())]
            txt_arr = np.array(txt, dtype=object)
            txt_arr[inswap] = ""
            r[at] = txt_arr
            cc = np.full(len(pos), _HEAD_CODE[h], dtype=object)
            cc[inswap] = ""
            c[at] = cc
            f[at] = h
            note(at, h, [format_inr(int(y)) for y in bvals.tolist()])
        # --- date
        r, c, f = slot()
        dd = P["dd"].to_numpy()
        pos = np.flatnonzero(dd != 0)
        if len(pos):
            at = i[pos]
            bdays = B["day"].to_numpy()[b[pos]]
            idays = I["day"].to_numpy()[at]
            r[at] = [f"Date: books {_fmt_day(y)}, IMS {_fmt_day(x)}, "
                     f"{'+' if x > y else ''}{x - y} day{'s' if abs(x - y) != 1 else ''}"
                     for x, y in zip(idays.tolist(), bdays.tolist())]
            c[at] = "date-diff"
            f[at] = "doc_date"
            note(at, "doc_date", [_fmt_day(y) for y in bdays.tolist()])
    return {"reasons": reasons, "codes": codes, "fields": fields, "books_values": bv}


def _join(cols: list[np.ndarray], sep: str, n: int) -> list[str]:
    """Join the non-empty texts of each row across columns."""
    if not cols:
        return [""] * n
    return [sep.join(t for t in row if t) for row in zip(*cols)]


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 3, 0)].rstrip() + "..."


def _remarks(status: np.ndarray, P_by_i: pd.DataFrame, I: pd.DataFrame, B: pd.DataFrame,
             s: MatchSettings) -> np.ndarray:
    """Drafted remarks for the supplier (used when the accountant picks Pending/Reject)."""
    n = len(status)
    out = np.full(n, "", dtype=object)
    kind_word = np.array([_KIND_WORD[k] for k in range(3)], dtype=object)[I["kind"].to_numpy()]
    miss = np.flatnonzero(status == MatchStatus.MISSING_IN_BOOKS.value)
    out[miss] = [f"{w} not found in our books" for w in kind_word[miss].tolist()]
    dup = status == MatchStatus.DUPLICATE_IN_IMS.value
    out[dup] = "Duplicate record: reject after confirming"
    if len(P_by_i):
        i = P_by_i["i"].to_numpy()
        b = P_by_i["b"].to_numpy()
        st = status[i]
        texts: list[list[str]] = [[] for _ in range(len(i))]
        bcol = {h: B[h].to_numpy() for h in (*_HEADS, "day")}
        bstin = B["stin"].to_numpy()
        for k in np.flatnonzero(st == MatchStatus.GSTIN_MISMATCH.value).tolist():
            texts[k].append(f"GSTIN mismatch: booked under GSTIN {bstin[b[k]]}")
        for k in np.flatnonzero(st == MatchStatus.TAX_HEAD_MISMATCH.value).tolist():
            bh = " + ".join(f"{_HEAD_LABEL[h]} {format_inr(int(bcol[h][b[k]]))}"
                            for h in ("iamt", "camt", "samt") if bcol[h][b[k]])
            texts[k].append(f"Incorrect tax head: books show {bh or 'no tax'}")
        value_like = np.isin(st, [MatchStatus.VALUE_MISMATCH.value,
                                  MatchStatus.GSTIN_MISMATCH.value])
        for h in _HEADS:
            d = P_by_i[f"d_{h}"].to_numpy()
            label = "taxable value" if h == "txval" else (
                "invoice value" if h == "val" else _HEAD_LABEL[h])
            for k in np.flatnonzero(value_like & (np.abs(d) > s.tolerance(h))).tolist():
                texts[k].append(f"Incorrect {label}: books {format_inr(int(bcol[h][b[k]]))}")
        date_like = np.isin(st, [MatchStatus.DATE_MISMATCH.value, MatchStatus.VALUE_MISMATCH.value,
                                 MatchStatus.TAX_HEAD_MISMATCH.value,
                                 MatchStatus.GSTIN_MISMATCH.value])
        dd = np.abs(P_by_i["dd"].to_numpy())
        ikind = I["kind"].to_numpy()
        for k in np.flatnonzero(date_like & (dd > s.date_window_days)).tolist():
            word = "invoice" if ikind[i[k]] == 0 else "note"
            texts[k].append(f"Incorrect {word} date: books {_fmt_day(int(bcol['day'][b[k]]))}")
        for k, t in enumerate(texts):
            if t:
                out[i[k]] = "; ".join(t)
    limit = s.remarks_max_len
    return np.array([t if len(t) <= limit else _cap(t, limit) for t in out.tolist()],
                    dtype=object)


_PENDING_STATUSES = frozenset({
    MatchStatus.VALUE_MISMATCH.value, MatchStatus.TAX_HEAD_MISMATCH.value,
    MatchStatus.DATE_MISMATCH.value, MatchStatus.GSTIN_MISMATCH.value,
    MatchStatus.MISSING_IN_BOOKS.value,
})
_ACCEPT_STATUSES = frozenset({MatchStatus.MATCHED.value, MatchStatus.WITHIN_TOLERANCE.value})


def _suggest(status: np.ndarray, blocked: np.ndarray) -> np.ndarray:
    """RECONCILE_NOTES "Recommended IMS actions": Accept matches; Pending for discrepancies
    where the portal allows it (never where ``ispendactblocked``); never an automatic Reject;
    suggested and duplicate records are left to the accountant."""
    out = np.full(len(status), "", dtype=object)
    out[np.isin(status, list(_ACCEPT_STATUSES))] = Action.ACCEPT.value
    out[np.isin(status, list(_PENDING_STATUSES)) & ~blocked] = Action.PENDING.value
    return out


# --------------------------------------------------------------------------- main entry


def reconcile(ims: pd.DataFrame, books: pd.DataFrame,
              settings: MatchSettings = MatchSettings()) -> ReconcileResult:
    """Pair IMS records with books documents, one-to-one, and explain every decision.

    Args:
        ims: one row per IMS record; columns :data:`IMS_COLUMNS` (``ref`` unique int,
            ``section`` key, ``doc_date`` ``dd-mm-yyyy``, amounts int64 paise,
            ``ispendactblocked`` bool or Y/N, also accepted as ``pend_blocked``; when
            neither is present Pending is never suggested). ``tradenm``, ``pos``,
            ``orig_doc_date``, ``action`` and ``rtnprd`` are not used for matching.
        books: one row per books document, as ``register.RegisterResult.books``
            (``books_row, stin, doc_kind, doc_no, doc_date, orig_doc_no``, amounts).
        settings: tolerances and thresholds.

    Returns:
        A :class:`ReconcileResult`. Neither input frame is modified. The answer does not
        depend on the row order of either frame.
    """
    s = settings
    I = _prep_ims(ims)
    B = _prep_books(books)
    n, m = len(I), len(B)
    I["i"] = np.arange(n, dtype=np.int64)
    B["b"] = np.arange(m, dtype=np.int64)
    I["stin_c"], B["stin_c"] = _codes(I["stin"], B["stin"])
    ipan = I["stin"].str.slice(2, 12)
    bpan = B["stin"].str.slice(2, 12)
    I["pan_c"], B["pan_c"] = _codes(ipan, bpan)
    norm_i, norm_b = _codes(pd.concat([I["norm"], I["onorm"]], ignore_index=True),
                            pd.concat([B["norm"], B["onorm"]], ignore_index=True))
    I["norm_c"], I["onorm_c"] = norm_i[:n], norm_i[n:]
    B["norm_c"], B["onorm_c"] = norm_b[:m], norm_b[m:]
    I["month"] = _months(I["day"].to_numpy())
    B["month"] = _months(B["day"].to_numpy())

    # stage A: key tier
    A = _assign(_key_candidates(I, B, s), I, B)
    paired_i = np.zeros(n, dtype=bool)
    paired_b = np.zeros(m, dtype=bool)
    paired_i[A["i"].to_numpy()] = True
    paired_b[A["b"].to_numpy()] = True

    # duplicates of a paired document never go on to the loose tier
    dkeys = ["kind", "stin_c", "norm_c", "txval", "val"]
    dup_i, prim_i = _duplicates(I, paired_i, dkeys, "ref")
    dup_b, prim_b = _duplicates(B, paired_b, dkeys, "books_row")

    # stage B: loose tier among leftovers
    Bp = _assign(_loose_candidates(I, B, ~paired_i & ~dup_i, ~paired_b & ~dup_b, s), I, B)
    P = pd.concat([A, Bp], ignore_index=True) if len(Bp) else A
    P = P.sort_values("i", kind="stable").reset_index(drop=True)
    paired_i[:] = False
    paired_b[:] = False
    paired_i[P["i"].to_numpy()] = True
    paired_b[P["b"].to_numpy()] = True
    dup_i, prim_i = _duplicates(I, paired_i, dkeys, "ref")
    dup_b, prim_b = _duplicates(B, paired_b, dkeys, "books_row")

    # ---- IMS side
    status = np.full(n, MatchStatus.MISSING_IN_BOOKS.value, dtype=object)
    status[dup_i] = MatchStatus.DUPLICATE_IN_IMS.value
    books_row = np.full(n, -1, dtype=np.int64)
    score = np.zeros(n, dtype=float)
    pi, pb = P["i"].to_numpy(), P["b"].to_numpy()
    status[pi] = P["status"].to_numpy()
    books_row[pi] = B["books_row"].to_numpy()[pb]
    score[pi] = np.round(P["score"].to_numpy(), 1)

    ex = _explain(P, I, B, n, s)
    r_extra, c_extra = np.full(n, "", dtype=object), np.full(n, "", dtype=object)
    miss = status == MatchStatus.MISSING_IN_BOOKS.value
    r_extra[miss] = "Not found in books: no document of this supplier with this number or amounts"
    c_extra[miss] = "not-in-books"
    pos = np.flatnonzero(dup_i)
    if len(pos):
        prim = prim_i[pos]
        refs = I["ref"].to_numpy()[prim]
        rows = books_row[prim]
        r_extra[pos] = [f"Same document as IMS record ref {r}"
                        + (f" (paired with books row {w})" if w >= 0 else "")
                        for r, w in zip(refs.tolist(), rows.tolist())]
        c_extra[pos] = "duplicate-in-ims"
    reasons = _join([*ex["reasons"], r_extra], "; ", n)
    codes = _join([*ex["codes"], c_extra], "|", n)
    fields = _join(ex["fields"], "|", n)
    bv = [json.dumps(v, ensure_ascii=False, sort_keys=True) if v else "{}"
          for v in ex["books_values"].tolist()]
    blocked = I["blocked"].to_numpy()
    suggested = _suggest(status, blocked)
    remarks = _remarks(status, P, I, B, s)
    ims_out = pd.DataFrame({
        "ref": I["ref"].to_numpy(),
        "status": status,
        "books_row": pd.array(np.where(books_row >= 0, books_row, 0), dtype="Int64"),
        "score": score,
        "reasons": np.array(reasons, dtype=object),
        "reason_codes": np.array(codes, dtype=object),
        "diff_fields": np.array(fields, dtype=object),
        "books_values": np.array(bv, dtype=object),
        "suggested_action": suggested,
        "suggested_remarks": remarks,
    })
    ims_out.loc[books_row < 0, "books_row"] = pd.NA

    # ---- books side
    bstatus = np.full(m, MatchStatus.MISSING_IN_IMS.value, dtype=object)
    bstatus[dup_b] = MatchStatus.DUPLICATE_IN_BOOKS.value
    bref = np.full(m, -1, dtype=np.int64)
    bstatus[pb] = P["status"].to_numpy()
    bref[pb] = I["ref"].to_numpy()[pi]
    breasons = np.full(m, "", dtype=object)
    bcodes = np.full(m, "", dtype=object)
    only = (bref < 0) & ~dup_b
    breasons[only] = "Not in the IMS: no record of this supplier with this number; ask the supplier"
    bcodes[only] = "not-in-ims"
    pos = np.flatnonzero(dup_b)
    if len(pos):
        prim = prim_b[pos]
        prow = B["books_row"].to_numpy()[prim]
        pref = bref[prim]
        breasons[pos] = [f"Same document as books row {w}"
                         + (f" (paired with IMS ref {r})" if r >= 0 else "")
                         for w, r in zip(prow.tolist(), pref.tolist())]
        bcodes[pos] = "duplicate-in-books"
    # a paired books row carries its IMS record's explanation
    breasons[pb] = np.asarray(reasons, dtype=object)[pi] if n else breasons[pb]
    bcodes[pb] = np.asarray(codes, dtype=object)[pi] if n else bcodes[pb]
    books_out = pd.DataFrame({
        "books_row": B["books_row"].to_numpy(),
        "status": bstatus,
        "ref": pd.array(np.where(bref >= 0, bref, 0), dtype="Int64"),
        "reasons": breasons,
        "reason_codes": bcodes,
    })
    books_out.loc[bref < 0, "ref"] = pd.NA
    return ReconcileResult(ims=ims_out, books=books_out, settings=s)


# --------------------------------------------------------------------------- helpers


def apply_suggestions(current_actions: pd.Series, suggestions: pd.Series,
                      statuses: pd.Series | None = None,
                      only_status: set[str] | None = None) -> pd.Series:
    """New actions: the suggestion only where the current action is still No Action.

    A suggestion never overwrites an action the accountant entered (README, "Suggested
    actions"); empty
    suggestions change nothing. With ``only_status``, only rows whose status is in that set
    are touched. All series share one index; none is modified.
    """
    cur = current_actions.astype(object)
    codes = cur.map(lambda v: parse_action(v) if v is not None and v == v else None)
    sug = suggestions.reindex(cur.index).astype(object).fillna("").astype(str).str.strip()
    mask = codes.eq(Action.NO_ACTION) & sug.ne("")
    if only_status is not None:
        if statuses is None:
            raise ValueError("only_status needs statuses")
        mask &= statuses.reindex(cur.index).astype(str).isin({str(x) for x in only_status})
    return cur.where(~mask, sug)


def matches_frame(result: ReconcileResult, ims: pd.DataFrame,
                  books: pd.DataFrame) -> pd.DataFrame:
    """The ``--matches`` CSV's rows, columns :data:`MATCHES_COLUMNS`.

    One row per IMS record (by ref), then one per books document left unpaired (by
    books_row). Books-only rows have an empty ``section`` and take ``stin``, ``doc_no`` and
    ``doc_date`` (``dd-mm-yyyy``) from the register.
    """
    left = ims[["ref", "section", "stin", "doc_no", "doc_date"]].merge(
        result.ims[["ref", "books_row", "status", "score", "reasons", "suggested_action"]],
        on="ref", how="right", validate="one_to_one")
    left = left.sort_values("ref", kind="stable")
    only = result.books[result.books["ref"].isna()][["books_row", "status", "reasons"]]
    bk = books[["books_row", "stin", "doc_no", "doc_date"]].drop_duplicates("books_row")
    right = only.merge(bk, on="books_row", how="left").sort_values("books_row", kind="stable")
    dates = pd.to_datetime(right["doc_date"], errors="coerce")
    right = pd.DataFrame({
        "section": "",
        "stin": right["stin"].astype(object).fillna(""),
        "doc_no": right["doc_no"].astype(object).fillna(""),
        "doc_date": dates.dt.strftime("%d-%m-%Y").astype(object).fillna(""),
        "books_row": right["books_row"].astype("Int64"),
        "status": right["status"],
        "score": 0.0,
        "reasons": right["reasons"],
        "suggested_action": "",
    })
    out = pd.concat([left[list(MATCHES_COLUMNS)], right[list(MATCHES_COLUMNS)]],
                    ignore_index=True)
    out["books_row"] = out["books_row"].astype("Int64")
    for c in ("section", "stin", "doc_no", "doc_date", "status", "reasons", "suggested_action"):
        out[c] = out[c].astype(object).fillna("")
    out["score"] = out["score"].astype(float)
    return out
