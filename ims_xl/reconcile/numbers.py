"""Document numbers as matching keys: case, separators, financial-year tokens and
leading zeros normalised (RECONCILE_NOTES "Normalisation")."""

from __future__ import annotations

import re
import numpy as np
import pandas as pd


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


def _drop_fy(s: str) -> tuple[str, str]:
    """Remove financial-year tokens (``2024-25``, ``24-25``, ``2024/2025``, ``FY24-25``,
    ``2425`` between separators, ``FY2425``); with their start years (``24``, and
    ``21,25`` for two), sorted."""
    toks = _TOKENS.findall(s)
    out: list[str] = []
    years: set[str] = set()
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
            years.add(t[:2])
            k += 1
            continue
        if (t.isdigit() and k + 2 < len(toks) and toks[k + 1].strip() in ("-", "/")
                and toks[k + 2].isdigit() and _consecutive_years(t, toks[k + 2])):
            if out and out[-1] == "FY":
                out.pop()
            elif len(out) > 1 and out[-2] == "FY" and not out[-1].strip():
                del out[-2:]
            out.append(" ")
            years.add(t[-2:])
            k += 3
            continue
        out.append(t)
        k += 1
    return "".join(out), ",".join(sorted(years))


def normalise_doc_no(text: str) -> str:
    """The matching key of a document number (RECONCILE_NOTES "Normalisation").

    Upper-case; drop financial-year tokens (``2024-25``, ``24-25``, ``2024/2025``,
    ``2024-2025``, ``FY24-25``: two consecutive years joined by ``-`` or ``/``); strip the
    leading zeros of every numeric run (``INV/0891`` == ``INV-891``); drop every character
    that is not a letter or digit. ``INV/2024-25/0891`` -> ``INV891``. A lone year such as
    ``2025`` is kept: in ``1/2025`` it is the serial number.
    """
    return doc_no_key(text)[0]


def doc_no_key(text: str) -> tuple[str, str]:
    """:func:`normalise_doc_no` of ``text`` and the start years (two digits, sorted, joined
    by commas) of the financial-year tokens it dropped, "" for none: numbers restart every
    financial year (CGST rule 46(b) asks a number unique for the year), so ``INV/24-25/001``
    and ``INV/25-26/001`` share a key but are two documents (the matcher keeps apart two
    numbers whose years have none in common, :func:`years_apart`)."""
    s = str(text).upper().strip()
    if not s:
        return "", ""
    if not _FY_HINT.search(s):
        return _NON_ALNUM.sub("", _LEAD_ZEROS.sub("", s)), ""
    dropped, fy = _drop_fy(s)
    t = _NON_ALNUM.sub("", _LEAD_ZEROS.sub("", dropped))
    # a number made only of a year token keeps it (``2024-25`` alone is the number itself);
    # t holds only A-Z and 0-9 here, so it has a digit unless it is all letters
    if not t or t.isalpha():
        return _NON_ALNUM.sub("", _LEAD_ZEROS.sub("", s)), ""
    return t, fy


def years_apart(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Where two numbers' year tokens (:func:`doc_no_key`) share no year: a serial that only
    looks like a year pair (``1/2122`` beside ``FY25-26/1/2122``) shares its "year" with the
    other side and does not part them."""
    out = (a != "") & (b != "") & (a != b)
    for k in np.flatnonzero(out):  # few: both carry years and they are not written alike
        out[k] = not set(a[k].split(",")) & set(b[k].split(","))
    return out


def _normalise_series(values: pd.Series, memo: dict[str, tuple[str, str]] | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`doc_no_key` over a column (keys, financial-year tokens), computed once per
    distinct value; ``memo`` shares those already computed (the books and IMS sides hold
    many of the same numbers)."""
    codes, uniques = pd.factorize(values.astype(object).fillna("").astype(str))
    if not len(uniques):
        return np.array([], dtype=object), np.array([], dtype=object)
    memo = {} if memo is None else memo
    got = [memo[u] if u in memo else memo.setdefault(u, doc_no_key(u)) for u in uniques.tolist()]
    keys = np.array([k for k, _ in got], dtype=object)
    fys = np.array([f for _, f in got], dtype=object)
    return keys[codes], fys[codes]


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit())
