"""Exact money: amounts are integer paise everywhere inside ims-xl.

JSON amounts are parsed as ``Decimal`` (never float) and converted to paise once, at the
boundary. Spreadsheet cells hold floats; :func:`paise_from_cell` rounds them back to paise,
which is exact for any amount with at most 2 decimals below 10^13 rupees.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

_GROUPING = re.compile(r"[,\s\u20b9]|Rs\.?|INR", re.IGNORECASE)
#: Where commas may stand in a typed amount: Indian grouping (``1,00,000``: twos, then a
#: three) or western (``100,000``); any other comma (``1,0.00``, the decimal comma of
#: ``12,50``) makes the text no amount rather than another one.
_GROUPED = re.compile(r"\d{1,2}(?:,\d{2})*,\d{3}|\d{1,3}(?:,\d{3})+")
_DIGITS_WITH_COMMAS = re.compile(r"[\d,]*,[\d,]*")


class AmountError(ValueError):
    """A value that is not an amount with at most two decimals."""


#: Characters of an offending value an AmountError message shows (README, "Exit codes": one
#: line; a 5,000-digit amount must not become a 5,000-character message).
SHOWN_CHARS = 30


def shown(value: object, as_repr: bool = True) -> str:
    """``value`` for a message: its repr (or str), cut to :data:`SHOWN_CHARS` characters
    plus its length when longer (``'11111…' (5,000 characters)``)."""
    text = repr(value) if as_repr else str(value)
    if len(text) <= SHOWN_CHARS:
        return text
    return f"{text[:SHOWN_CHARS]}... ({len(text):,} characters)"


def paise_from_decimal(value: Decimal) -> int:
    """Convert a Decimal rupee amount to integer paise; refuse more than 2 decimals."""
    if not value.is_finite():
        raise AmountError(f"{shown(value, False)} is not an amount")
    # integer arithmetic on the digits: exact at any size (Decimal's context rounds at 28 digits)
    sign, digits, exp = value.as_tuple()
    # refuse absurd sizes before any arithmetic: 10**(huge) would take minutes of CPU
    if len(digits) + exp > 40 or exp < -40:
        raise AmountError(f"{shown(value, False)} is not a realistic amount")
    n = int("".join(map(str, digits)) or "0")
    if exp >= -2:
        p = n * 10 ** (exp + 2)
    else:
        div = 10 ** (-exp - 2)
        if n % div:
            raise AmountError(f"{shown(value, False)} has more than 2 decimals")
        p = n // div
    return -p if sign else p


def paise_from_json(value: object) -> int:
    """Paise from a JSON amount (Decimal, int, or a numeric string)."""
    if isinstance(value, bool) or value is None:
        raise AmountError(f"{shown(value)} is not an amount")
    if isinstance(value, int):
        return value * 100
    if isinstance(value, Decimal):
        return paise_from_decimal(value)
    if isinstance(value, float):
        return paise_from_cell(value)
    if isinstance(value, str):
        return parse_amount(value)
    raise AmountError(f"{shown(value)} is not an amount")


def parse_amount(text: str) -> int:
    """Paise from typed text: ``1,00,000.50``, ``₹ 1,234``, ``(500.00)`` (negative), ``-12``.

    Raises:
        AmountError: when the text is not a number with at most 2 decimals.
    """
    if "," in str(text) and not all(_GROUPED.fullmatch(m.group(0)) for m in _DIGITS_WITH_COMMAS.finditer(str(text))):
        raise AmountError(f"{shown(text)} is not a number: its commas are not digit groups "
                          "(1,00,000.00 or 100,000.00)")
    t = _GROUPING.sub("", str(text)).strip()
    neg = t.startswith("(") and t.endswith(")")
    if neg:
        t = t[1:-1].strip()
        if t.startswith(("-", "+")):
            raise AmountError(f"{shown(text)} is not a number: a bracketed amount carries no sign")
    try:
        d = Decimal(t)
    except InvalidOperation:
        raise AmountError(f"{shown(text)} is not a number") from None
    if not d.is_finite():
        raise AmountError(f"{shown(text)} is not a number")
    p = paise_from_decimal(d)
    return -p if neg else p


def paise_from_cell(value: float | int) -> int:
    """Paise from a spreadsheet number; refuse more than 2 decimals (beyond float noise)."""
    if isinstance(value, bool) or not math.isfinite(value):
        raise AmountError(f"{shown(value)} is not an amount")
    scaled = value * 100
    # a float near 1e308 is finite but its paise are not (round() would raise OverflowError);
    # refuse it, and anything past paise_from_decimal's 40 digits, as that function does
    if not math.isfinite(scaled) or abs(value) >= 1e40:
        raise AmountError(f"{shown(value)} is not a realistic amount")
    rounded = round(scaled)
    # float noise on x.yz * 100 is far below 1e-6 for any realistic amount
    if abs(scaled - rounded) > max(1e-6, abs(scaled) * 1e-14):
        raise AmountError(f"{shown(value)} has more than 2 decimals")
    return int(rounded)


def rupees(paise: int) -> float:
    """The float a spreadsheet cell should hold for an amount in paise."""
    return paise / 100


def json_number(paise: int) -> int | float:
    """The JSON number for an amount, without trailing zeros (``1000``, ``1000.1``).

    A float's repr is the shortest text that round-trips, so for every amount with at most
    15 significant digits (Decimal(15, 2)) it prints exactly the decimal value.
    """
    if paise % 100 == 0:
        return paise // 100
    f = paise / 100
    if round(f * 100) != paise:  # pragma: no cover - beyond Decimal(15, 2)
        raise AmountError(f"{shown(paise)} paise cannot be written exactly")
    return f


def format_inr(paise: int) -> str:
    """Indian digit grouping with sign: ``-1,00,002.00``."""
    sign = "-" if paise < 0 else ""
    p = abs(paise)
    whole, frac = divmod(p, 100)
    s = str(whole)
    if len(s) > 3:
        head, tail = s[:-3], s[-3:]
        groups = []
        while len(head) > 2:
            groups.insert(0, head[-2:])
            head = head[:-2]
        if head:
            groups.insert(0, head)
        s = ",".join(groups) + "," + tail
    return f"{sign}{s}.{frac:02d}"
