"""What the accountant typed, read the same way by validation, the upload and re-import.

A typed cell reaches the core as whatever the shell's bulk read gave: ``str``, ``int``,
``float`` (NaN for blank), ``datetime``, ``bool``, ``None``, numpy scalars, or pandas'
``NA``. A column of them may arrive as ``object``, ``float64``, ``Int64`` or ``str`` dtype
depending on which cells are blank. Every reader here works cell by cell on plain Python
values and returns ``object`` series, so no rule changes meaning with the column's dtype
(README "Validation"; IMS_FORMAT §3 V5-V7 must fire whatever the dtype).

Pure core: no workbook library.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time
from functools import lru_cache

import numpy as np
import pandas as pd

from ..money import AmountError, paise_from_cell, parse_amount

#: The date format of the review workbook's date cells (what Excel shows for them).
SHOWN_DATE = "%d-%m-%Y"


def is_blank(v: object) -> bool:
    """None, NaN, pandas' NA/NaT and whitespace-only text are blank."""
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, (float, np.floating)):
        return math.isnan(v)
    if isinstance(v, str):
        return v.strip() == ""
    return False


def cell_text(v: object) -> str:
    """A typed cell as the text the person sees in it, stripped.

    A number Excel stored for ``12345`` is the float 12345.0: it is sent as ``12345``, never
    ``12345.0``; a date is written as the workbook shows dates (dd-mm-yyyy); TRUE/FALSE as
    Excel spells them. Whole numbers up to 15 digits (Excel's precision) keep every digit.
    """
    if is_blank(v):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isinf(f):
            return str(f)
        if f.is_integer() and abs(f) < 1e15:
            return str(int(f))
        return repr(f)  # the shortest text that reads back as the same number
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, datetime):
        if (v.hour, v.minute, v.second) != (0, 0, 0):
            return v.strftime(SHOWN_DATE + " %H:%M")
        return v.strftime(SHOWN_DATE)
    if isinstance(v, date):
        return v.strftime(SHOWN_DATE)
    if isinstance(v, time):
        return v.strftime("%H:%M")
    return str(v).strip()


def joined_texts(values: list, sep: str = "") -> str:
    """The texts among ``values`` joined by ``sep`` (blanks, numbers, dates left out)."""
    try:  # the usual column holds only texts and blanks: joined without a test per cell
        return sep.join(filter(None, values))
    except TypeError:  # numbers, dates ...: the texts alone
        return sep.join([v for v in values if isinstance(v, str)])


def some_text_starts_with(values: list, starts: tuple[str, ...]) -> bool:
    """False only when no text among ``values`` starts with one of the characters ``starts``
    (one search over the texts joined by line feeds: far faster than a test per cell; a line
    feed inside a text can only answer True, sending the caller to its test per cell)."""
    return _line_start(tuple(starts)).search("\n" + joined_texts(values, "\n")) is not None


@lru_cache(maxsize=None)
def _line_start(starts: tuple[str, ...]) -> re.Pattern:
    """A line feed followed by one of ``starts``: one pass over the joined texts, where a
    substring search per character took one pass each (ten for the CSV's dangerous starts)."""
    return re.compile("\n(?:" + "|".join(map(re.escape, starts)) + ")")


_NAN = object()  # one key for every NaN (each NaN is a different dict key)


def per_value(s: pd.Series, fn) -> pd.Series:
    """``fn`` over a column as an ``object`` series, computed once per distinct value.

    A month's columns repeat few values (four actions, a few hundred dates, blank remarks),
    so a rule that parses a cell runs a few hundred times instead of once per record. Keys
    carry the type for non-text values, so ``1``, ``1.0`` and ``True`` (equal in Python)
    are still read as the different cells they are."""
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "iuf":  # one number type: equal values, equal cells
        codes, uniques = pd.factorize(s.to_numpy(), use_na_sentinel=False)
        return pd.Series(_each(uniques.tolist(), fn).take(codes), index=s.index, dtype=object)
    values = s.to_numpy(dtype=object)
    missing = pd.isna(values)
    present = values[~missing] if missing.any() else values
    if set(map(type, present)) <= {str}:  # the usual column: texts and blanks (or blanks alone)
        return pd.Series(_per_text(values, missing, present, fn), index=s.index, dtype=object)
    memo: dict = {}
    out = []
    for v in s.tolist():
        t = type(v)
        k = v if t is str or v is None else _NAN if t is float and v != v else (t, v)
        try:
            r = memo[k]
        except KeyError:
            r = memo[k] = fn(v)
        except TypeError:  # an unhashable value: read it alone
            r = fn(v)
        out.append(r)
    return pd.Series(out, index=s.index, dtype=object)


def _each(uniques, fn) -> np.ndarray:
    """``fn`` of each distinct value, as objects (a result that is a tuple stays one object)."""
    results = np.empty(len(uniques), dtype=object)
    for i, u in enumerate(uniques):
        results[i] = fn(u)
    return results


def _per_text(values: np.ndarray, missing: np.ndarray, present: np.ndarray, fn) -> np.ndarray:
    """:func:`per_value` of a column whose cells are texts or blanks: the distinct texts are
    found by hashing in C (equal texts are equal cells), a blank by its kind (None, NaN ...)."""
    codes, uniques = pd.factorize(present)
    results = _each(uniques, fn)
    if not missing.any():
        return results.take(codes)
    out = np.empty(len(values), dtype=object)
    out[~missing] = results.take(codes)
    # None, float NaN, pandas' NA, NaT: one call per kind of blank
    where = np.flatnonzero(missing)
    kinds, firsts = pd.factorize(np.fromiter(map(type, values[where]), dtype=object, count=len(where)))
    for k in range(len(firsts)):
        at = where[kinds == k]
        same = np.empty(len(at), dtype=object)
        same.fill(fn(values[at[0]]))  # fill: a result that is a tuple stays one object
        out[at] = same
    return out


def texts(s: pd.Series) -> pd.Series:
    """:func:`cell_text` over a column, as an ``object`` series."""
    return per_value(s, cell_text)


def yes_no(v: object) -> str:
    """'Y', 'N', '' (blank) or '?' (anything else) from a typed Yes/No answer."""
    t = cell_text(v).lower()
    if t == "":
        return ""
    if t in ("y", "yes", "true", "1"):
        return "Y"
    if t in ("n", "no", "false", "0"):
        return "N"
    return "?"


def yes_nos(s: pd.Series) -> pd.Series:
    return per_value(s, yes_no)


def declared_paise(v: object) -> int | None | str:
    """A typed ITC-reduction amount in paise, None when blank, or why it is not an amount.

    Negative amounts are refused (V6: a number ≥ 0).
    """
    if is_blank(v):
        return None
    try:
        if isinstance(v, (bool, np.bool_)):
            return "not a number"
        if isinstance(v, (int, np.integer)):
            p = int(v) * 100
        elif isinstance(v, (float, np.floating)):
            p = paise_from_cell(float(v))
        else:
            p = parse_amount(str(v).strip())
    except AmountError as exc:
        return str(exc)
    if p < 0:
        return "negative"
    return p


def declared(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(paise, problem) per cell of a declared-amount column, both ``object`` series.

    ``paise`` holds a Python ``int`` or ``None``; ``problem`` a message or ``None``. Kept as
    objects on purpose: a column of ints and ``None`` would otherwise become float64, and
    ``isinstance(x, int)`` tests would silently stop matching.
    """
    vals = per_value(s, declared_paise).tolist()
    paise = pd.Series([v if isinstance(v, int) else None for v in vals], index=s.index, dtype=object)
    problem = pd.Series([v if isinstance(v, str) else None for v in vals], index=s.index, dtype=object)
    return paise, problem
