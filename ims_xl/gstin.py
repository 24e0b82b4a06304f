"""GSTIN structure, check character and state codes (IMS_FORMAT §4)."""

from __future__ import annotations

import re

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_VALUE = {ch: i for i, ch in enumerate(_ALPHABET)}

#: IMS_FORMAT §4.1: regexes for normal taxpayers and government departments (stin values).
NORMAL_RE = re.compile(r"^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z][Z1-9ABD-J][0-9A-Z]$")
GOVT_RE = re.compile(r"^[0-9]{2}[A-Z]{4}[0-9]{5}[A-Z][0-9]Z[0-9]$")

#: IMS_FORMAT §4.3 (IC STATE_NUMBERS plus legacy codes). 99 is a GSTIN prefix, never a POS.
STATE_CODES: dict[str, str] = {
    "01": "Jammu and Kashmir", "02": "Himachal Pradesh", "03": "Punjab", "04": "Chandigarh",
    "05": "Uttarakhand", "06": "Haryana", "07": "Delhi", "08": "Rajasthan",
    "09": "Uttar Pradesh", "10": "Bihar", "11": "Sikkim", "12": "Arunachal Pradesh",
    "13": "Nagaland", "14": "Manipur", "15": "Mizoram", "16": "Tripura", "17": "Meghalaya",
    "18": "Assam", "19": "West Bengal", "20": "Jharkhand", "21": "Odisha",
    "22": "Chhattisgarh", "23": "Madhya Pradesh", "24": "Gujarat", "25": "Daman and Diu",
    "26": "Dadra and Nagar Haveli and Daman and Diu", "27": "Maharashtra",
    "28": "Andhra Pradesh (old)", "29": "Karnataka", "30": "Goa", "31": "Lakshadweep",
    "32": "Kerala", "33": "Tamil Nadu", "34": "Puducherry", "35": "Andaman and Nicobar Islands",
    "36": "Telangana", "37": "Andhra Pradesh", "38": "Ladakh", "96": "Other Countries",
    "97": "Other Territory", "99": "Centre Jurisdiction",
}
#: Codes valid as a place of supply (99 is not one).
POS_CODES: frozenset[str] = frozenset(c for c in STATE_CODES if c != "99")


def check_char(first14: str) -> str:
    """Return the check character for the first 14 characters of a GSTIN (IMS_FORMAT §4.2)."""
    total = 0
    for i, ch in enumerate(first14):
        product = _VALUE[ch] * (1 if i % 2 == 0 else 2)
        total += product // 36 + product % 36
    return _ALPHABET[(36 - total % 36) % 36]


def gstin_problem(gstin: object) -> str | None:
    """Say what is wrong with a supplier/recipient GSTIN, or ``None`` when it is valid.

    Checks length, shape (normal or government-department pattern), state code and
    the check character, in that order, and names the first failure.
    """
    if not isinstance(gstin, str) or not gstin:
        return "GSTIN is empty"
    g = gstin.strip().upper()
    if len(g) != 15:
        return f"GSTIN must have 15 characters, this has {len(g)}"
    if not (NORMAL_RE.match(g) or GOVT_RE.match(g)):
        return "GSTIN does not have the shape 99AAAAA9999A9Z9 (state, PAN, entity, Z, check)"
    if g[:2] not in STATE_CODES:
        return f"GSTIN starts with {g[:2]}, which is not a state code"
    expected = check_char(g[:14])
    if g[14] != expected:
        return f"GSTIN check character is {g[14]}, expected {expected}: a character is mistyped"
    return None


def is_valid_gstin(gstin: object) -> bool:
    """True when :func:`gstin_problem` finds nothing."""
    return gstin_problem(gstin) is None


def pan_of(gstin: str) -> str:
    """The PAN inside a GSTIN (characters 3-12)."""
    return gstin[2:12]


def state_of(gstin: str) -> str:
    """The state code of a GSTIN (characters 1-2)."""
    return gstin[:2]
