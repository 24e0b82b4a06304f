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
    if not _FY_HINT.search(s):
        return _NON_ALNUM.sub("", _LEAD_ZEROS.sub("", s))
    t = _NON_ALNUM.sub("", _LEAD_ZEROS.sub("", _drop_fy(s)))
    # a number made only of a year token keeps it (``2024-25`` alone is the number itself);
    # t holds only A-Z and 0-9 here, so it has a digit unless it is all letters
    if not t or t.isalpha():
        return _NON_ALNUM.sub("", _LEAD_ZEROS.sub("", s))
    return t


def _normalise_series(values: pd.Series, memo: dict[str, str] | None = None) -> np.ndarray:
    """normalise_doc_no over a column, computed once per distinct value; ``memo`` shares the
    keys already computed (the books and IMS sides hold many of the same numbers)."""
    codes, uniques = pd.factorize(values.astype(object).fillna("").astype(str))
    memo = {} if memo is None else memo
    normed = np.array([memo[u] if u in memo else memo.setdefault(u, normalise_doc_no(u)) for u in uniques.tolist()],
                      dtype=object)
    return normed[codes] if len(uniques) else np.array([], dtype=object)


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit())
