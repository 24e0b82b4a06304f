"""Realistic, deterministic sample IMS offline downloads (for tests, demos and load runs).

The output has the shape of the portal's offline download (IMS_FORMAT §1.3)::

    {"rtin": "<recipient GSTIN>", "imsDetails": {"b2b": [...], ..., "ecoma": [...]}}

The top-level ``rtin`` is our assumption (RECONPRO reads it there; the real file is unverified).
Records are flat, carry exactly the keys of IMS_FORMAT §1.2 for their section, and hold their
amounts as ``Decimal`` with at most 2 decimals, so they look like ``json.loads(...,
parse_float=Decimal)`` of a real file. :func:`write_download` writes them as JSON numbers
without trailing zeros (§5).

What makes the data realistic (and therefore useful to test the workbook and the matcher):

* a Pareto-shaped supplier pool with valid GSTINs, a few suppliers sharing a PAN across two
  states, a branch of the recipient itself, e-commerce operators for the ``ecom`` sections,
  and (from 50 records) trade names that start with ``= + - @`` (formula injection);
* document numbers in the messy formats of RECONCILE_NOTES (``INV/2025-26/0891``, ``A/1001``,
  ``1000A``, ``000123``, lowercase forms, a 16-digit all-digit number with leading zeros);
* tax heads that follow the place of supply, CGST = SGST, values rounded to the rupee on some;
* portal flags (blocked pending, blocked remarks, blocked ITC reduction), already saved actions,
  ITC-reduction answers and remarks, in plausible proportions.

Everything comes from one ``random.Random(seed)``; nothing iterates a ``set`` or depends on
``hash()``, so the output is identical across runs and ``PYTHONHASHSEED`` values.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import os
import random
import re
import secrets
from bisect import bisect
from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate
from math import exp
from pathlib import Path
from typing import Any

from ims_xl.gstin import POS_CODES, STATE_CODES, check_char, gstin_problem
from ims_xl.model import SECTION_BY_KEY, SECTIONS
from ims_xl.money import AmountError, json_number, paise_from_cell, paise_from_decimal

__all__ = ["generate_download", "make_gstin", "write_download", "SECTION_WEIGHTS"]

# --------------------------------------------------------------------------------------------
# Fixed vocabularies (tuples: module state must not be mutable)
# --------------------------------------------------------------------------------------------

#: Share of records per section, in percent (a typical mid-size recipient's month).
SECTION_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("b2b", 78), ("b2ba", 4), ("b2bdn", 4), ("b2bdna", 1),
    ("b2bcn", 8), ("b2bcna", 2), ("ecom", 2), ("ecoma", 1),
)

#: Supplier home states weighted roughly by number of GST registrations. Legacy codes 25 and
#: 28 and the non-state codes 96/97/99 are left out: no new GSTIN carries them.
_STATE_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("27", 12), ("09", 10), ("24", 8), ("33", 8), ("29", 7), ("07", 5), ("08", 5), ("19", 5),
    ("36", 4), ("06", 4), ("37", 4), ("23", 4), ("03", 3), ("10", 3), ("32", 3), ("21", 2),
    ("22", 2), ("20", 2), ("18", 2), ("05", 1.5), ("02", 1), ("30", 1), ("01", 1), ("04", 0.5),
    ("34", 0.5), ("26", 0.5), ("11", 0.2), ("12", 0.2), ("13", 0.2), ("14", 0.2), ("15", 0.2),
    ("16", 0.2), ("17", 0.2), ("31", 0.1), ("35", 0.1), ("38", 0.1),
)
_STATES = tuple(s for s, _ in _STATE_WEIGHTS)
_STATE_CUM = tuple(accumulate(w for _, w in _STATE_WEIGHTS))

#: PAN 4th character (holder type) with rough frequencies among GST suppliers:
#: P person (proprietor), C company, F firm/LLP, H HUF, A AOP, T trust, B BOI,
#: L local authority, J artificial juridical person, G government.
_ENTITY_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("P", 40), ("C", 35), ("F", 18), ("H", 2), ("A", 1.5), ("T", 1.5), ("B", 0.5),
    ("L", 0.5), ("J", 0.5), ("G", 0.5),
)
_ENTITIES = tuple(e for e, _ in _ENTITY_WEIGHTS)
_ENTITY_CUM = tuple(accumulate(w for _, w in _ENTITY_WEIGHTS))

_NAME_HEADS: tuple[str, ...] = (
    "Shree Ganesh", "Sai", "Balaji", "Om", "Lakshmi", "Krishna", "Jai Ambe", "Mahalaxmi",
    "Sri Venkateswara", "Gurukrupa", "Shiv Shakti", "Annapurna", "Bharat", "Hindustan", "Navkar",
    "Patel", "Sharma", "Agarwal", "Reliable", "Sunrise", "Metro", "National", "Eastern",
    "Deccan", "Kaveri", "Ganga", "Tirupati", "Siddhivinayak", "Royal", "Vijay", "Apex", "Prime",
    "Galaxy", "Supreme", "Vardhman", "Jyoti", "Kohinoor", "Murugan", "Sahyadri", "Umiya",
    "Arihant", "Mangalam", "Khodiyar", "Bhagyalakshmi", "Nandini", "Pioneer", "Everest",
    "D'Souza", "Guru Nanak", "Al-Noor",
)
_NAME_TRADES: tuple[str, ...] = (
    "Traders", "Enterprises", "Steel", "Textiles", "Agencies", "Logistics", "Pharma",
    "Electricals", "Hardware", "Packaging", "Polymers", "Industries", "Auto Components",
    "Chemicals", "Foods", "Infotech", "Marketing", "Distributors", "Engineering Works",
    "Paper Mart", "Cement Stores", "Furnishings", "Motors", "Transport Co", "Stationers",
    "Cables", "Castings", "Café", "Printers", "Fasteners", "Caterers",
)
#: Trade-name endings by PAN holder type (a company is "Pvt Ltd", a firm "& Co" ...).
_NAME_ENDINGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("P", ("", "", "", " & Sons")),
    ("C", (" Pvt Ltd", " Private Limited", " Ltd", " Limited", " (India) Pvt Ltd")),
    ("F", (" & Co", " & Associates", " LLP", " & Brothers")),
    ("H", (" (HUF)",)),
    ("A", (" Co-operative Society", " Association")),
    ("T", (" Trust", " Charitable Trust")),
    ("B", (" Joint Venture",)),
    ("L", (" Municipal Council",)),
    ("J", (" Institute",)),
    ("G", (" Public Works Division",)),
)

#: Trade names beginning with a spreadsheet formula character: Excel must show them as text.
#: All four are plausible real shop names. (name, PAN holder type)
_FORMULA_NAMES: tuple[tuple[str, str], ...] = (
    ("-Tech Solutions LLP", "F"), ("@Home Furnishings", "P"), ("+91 Mobile Point", "P"),
    ("=1+1 Printers", "P"),
)

#: Section 9(5) e-commerce operators: on ecom records the ECO is the supplier of record.
#: (name, GST rate in percent)
_ECO_OPERATORS: tuple[tuple[str, int], ...] = (
    ("Zaika Express Food Delivery Pvt Ltd", 5), ("Safar Rides Technologies Pvt Ltd", 5),
    ("Ghar Seva Home Services Pvt Ltd", 18), ("Yatra Stays Hospitality Pvt Ltd", 12),
)

#: Invoice-number formats seen in real registers (RECONCILE_NOTES). Fields: n the running
#: number, P/p a 3-letter prefix (upper/lower), fy4 2025-26, fy2 25-26, fyc 2526, yy 25,
#: mmyy 10-25.
_INV_STYLES: tuple[str, ...] = (
    "INV/{fy4}/{n:04d}", "GST-{n}", "A/{n}", "{n}A", "{P}/{fy2}/{n}", "{n:06d}", "inv-{n}",
    "{p}/{fy2}/{n:03d}", "{n}", "{P}{fyc}{n:06d}", "{n}/{fy2}", "BILL-{yy}-{n:05d}",
    "A-{P}/{n}/{mmyy}", "{P}-{n}", "{fy2}/{P}/{n}", "A{n}", "1/{n}", "si/{fyc}/{n:04d}",
    "TI-{n}", "{P}/{n}",
)
_CN_STYLES: tuple[str, ...] = (
    "CN/{fy2}/{n:03d}", "CN-{n}", "CRN{fyc}{n:04d}", "{P}/CN/{n}", "cn{n}", "{n}", "C{n:05d}",
    "CR/{fy4}/{n}",
)
_DN_STYLES: tuple[str, ...] = (
    "DN/{fy2}/{n:03d}", "DN-{n}", "DBN{fyc}{n:04d}", "{P}/DN/{n}", "dn{n}", "{n}", "D{n:05d}",
    "DR/{fy4}/{n}",
)
#: ERP-generated all-digit numbers: Excel would turn "0001234567890123" into 1.23457E+12 (V12).
_NUMERIC16 = "{n:016d}"
_ECO_STYLE = "{P}{fyc}{n:08d}"
_MAX_DOC_LEN = 16

#: Remarks a recipient typically saves with Reject or Pending (V9: only on R/P).
_REMARKS: tuple[str, ...] = (
    "Goods not received", "Rate difference, CN awaited from supplier",
    "Duplicate of invoice already accepted", "Invoice not pertaining to us",
    "Qty short received; debit note to follow", "Price mismatch as per PO",
    "Wrong GSTIN, billed to other branch", "Service not rendered yet",
    "Taxable value differs from our books by Rs 1,250",
)

#: GST rates in percent with rough frequency, and compensation cess rates used on some 28% goods.
_RATES: tuple[int, ...] = (5, 12, 18, 28)
_RATE_CUM: tuple[float, ...] = tuple(accumulate((18, 15, 60, 7)))
_CESS_RATES: tuple[int, ...] = (1, 12, 15, 22)

#: Chance that Pending is blocked (V3): mostly the "specified records" (credit notes and
#: downward amendments) after their one allowed period; plain invoices only now and then.
_PEND_BLOCKED_P: tuple[tuple[str, float], ...] = (
    ("b2b", 0.10), ("b2ba", 0.25), ("b2bdn", 0.10), ("b2bdna", 0.25),
    ("b2bcn", 0.40), ("b2bcna", 0.40), ("ecom", 0.10), ("ecoma", 0.25),
)

_ZERO = Decimal(0)  # Decimal is immutable: one shared zero keeps 100k-record runs light
_PERIOD_RE = re.compile(r"^(0[1-9]|1[0-2])(\d{4})$")
_PAN_RE = re.compile(r"^[A-Z]{5}[0-9]{4}[A-Z]$")
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: First PAN letter: PAN series are issued alphabetically, so most live PANs start with A-C.
_PAN_FIRST = "AAAAAAAAAAAAAAABBBBBBCCDE"


# --------------------------------------------------------------------------------------------
# GSTIN / PAN
# --------------------------------------------------------------------------------------------

def _weighted(rng: random.Random, values: tuple[str, ...], cum: tuple[float, ...]) -> str:
    """One weighted pick, cheaper than ``rng.choices`` in the hot loop."""
    # min(): random() * total can round up to total itself for random() just below 1
    return values[min(bisect(cum, rng.random() * cum[-1]), len(values) - 1)]


def _make_pan(rng: random.Random, entity: str | None = None, name: str | None = None) -> str:
    """A PAN-shaped string ``AAAAA9999A``.

    The 4th character is the holder type; the 5th is the initial of the entity's name for
    non-individuals (for a person it is the surname's, which a trade name does not show).
    """
    if entity is None:
        entity = _weighted(rng, _ENTITIES, _ENTITY_CUM)
    fifth = ""
    if name and entity != "P":
        fifth = next((ch for ch in name.upper() if "A" <= ch <= "Z"), "")
    if not fifth:
        fifth = rng.choice(_LETTERS)
    return (
        rng.choice(_PAN_FIRST) + rng.choice(_LETTERS) + rng.choice(_LETTERS) + entity + fifth
        + f"{rng.randint(1, 9999):04d}" + rng.choice(_LETTERS)
    )


def make_gstin(rng: random.Random, state: str | None = None, pan: str | None = None) -> str:
    """Generate a valid GSTIN: real state code, PAN shape, entity number, ``Z``, check char.

    Args:
        rng: the random source (the result depends only on its state and the arguments).
        state: 2-digit state code; by default a state weighted by registrations
            (never the legacy 25/28 or the non-state 96/97/99).
        pan: the holder's PAN (``AAAAA9999A``) to give several GSTINs one PAN; random by default.

    Raises:
        ValueError: for an unknown state code or a malformed PAN.
    """
    if state is None:
        state = _weighted(rng, _STATES, _STATE_CUM)
    elif state not in STATE_CODES:
        raise ValueError(f"{state!r} is not a GST state code")
    if pan is None:
        pan = _make_pan(rng)
    elif not _PAN_RE.match(pan):
        raise ValueError(f"{pan!r} is not a PAN (AAAAA9999A)")
    # 13th character: the holder's n-th registration in that state; almost always the first.
    u = rng.random()
    entity_no = "1" if u < 0.88 else ("2" if u < 0.97 else "3")
    first14 = state + pan + entity_no + "Z"
    return first14 + check_char(first14)


# --------------------------------------------------------------------------------------------
# Periods and dates
# --------------------------------------------------------------------------------------------

def _parse_period(period: str) -> tuple[int, int]:
    """``MMYYYY`` -> (month, year); refuse anything else."""
    m = _PERIOD_RE.match(str(period))
    if not m:
        raise ValueError(f"period must be MMYYYY (e.g. 102025), got {period!r}")
    return int(m.group(1)), int(m.group(2))


def _month_back(month: int, year: int, back: int) -> tuple[int, int]:
    """The month ``back`` months before (month, year)."""
    idx = year * 12 + (month - 1) - back
    return idx % 12 + 1, idx // 12


@dataclass(frozen=True, slots=True)
class _Month:
    """Pre-rendered strings for one calendar month (built once, shared by every record)."""

    rtnprd: str              # MMYYYY
    dates: tuple[str, ...]   # every day as dd-mm-yyyy
    tokens: dict[str, str]   # number-format fields that depend on the date

    @staticmethod
    def of(month: int, year: int) -> _Month:
        days = calendar.monthrange(year, month)[1]
        fy = year if month >= 4 else year - 1  # Indian financial year starts in April
        tokens = {
            "fy4": f"{fy}-{(fy + 1) % 100:02d}", "fy2": f"{fy % 100:02d}-{(fy + 1) % 100:02d}",
            "fyc": f"{fy % 100:02d}{(fy + 1) % 100:02d}", "yy": f"{year % 100:02d}",
            "mmyy": f"{month:02d}-{year % 100:02d}",
        }
        return _Month(f"{month:02d}{year}",
                      tuple(f"{d:02d}-{month:02d}-{year}" for d in range(1, days + 1)), tokens)


# --------------------------------------------------------------------------------------------
# Suppliers and document numbers
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Supplier:
    gstin: str
    name: str
    prefix: str       # 3 letters used in its number formats
    inv_style: str
    cn_style: str
    dn_style: str
    start: int        # first invoice number of the period's series (originals lie below)
    note_start: int
    eco_rate: int = 0  # GST rate of an e-commerce operator's 9(5) supplies


def _prefix_of(name: str, rng: random.Random) -> str:
    """Three capital letters from a trade name's initials, like ``TRI`` or ``SGT``."""
    words = re.findall(r"[A-Za-z]+", name)
    initials = "".join(w[0] for w in words).upper()
    if len(initials) < 3:
        initials += "".join(ch for ch in "".join(words).upper()[1:] if ch.isalpha())
    initials = (initials + rng.choice(_LETTERS) * 3)[:3]
    return initials


def _trade_name(rng: random.Random, entity: str) -> str:
    endings = dict(_NAME_ENDINGS)[entity]
    name = f"{rng.choice(_NAME_HEADS)} {rng.choice(_NAME_TRADES)}{rng.choice(endings)}"
    # The portal often shows trade names in capitals; registers use title case.
    return name.upper() if rng.random() < 0.3 else name


def _new_supplier(rng: random.Random, name: str, gstin: str, *, inv_style: str | None = None,
                  start: int | None = None, eco_rate: int = 0) -> _Supplier:
    prefix = _prefix_of(name, rng)
    if inv_style is None:
        # ~3% of suppliers use an ERP that prints plain 16-digit numbers.
        inv_style = _NUMERIC16 if rng.random() < 0.03 else rng.choice(_INV_STYLES)
    if start is None:
        start = 1_234_567_000_000 + rng.randrange(900_000) if inv_style == _NUMERIC16 \
            else rng.randint(60, 2500)
    return _Supplier(gstin, name, prefix, inv_style, rng.choice(_CN_STYLES),
                     rng.choice(_DN_STYLES), start, rng.randint(20, 400), eco_rate)


@dataclass(frozen=True, slots=True)
class _Pool:
    suppliers: tuple[_Supplier, ...]  # ordinary suppliers (b2b, notes, amendments)
    forced: tuple[int, ...]           # indices that must each get the first b2b records
    by_volume: tuple[int, ...]        # supplier indices from the busiest to the quietest
    eco: tuple[_Supplier, ...]        # e-commerce operators (ecom, ecoma)


def _supplier_pool(rng: random.Random, size: int, rtin: str, with_specials: bool) -> _Pool:
    """The recipient's suppliers; the first few are the ones tests rely on.

    Order: a 16-digit-numbering supplier, (with specials) the formula-character names and the
    recipient's own branch in another state, then a PAN shared by two states, then the rest.
    """
    own_state = rtin[:2]
    sups: list[_Supplier] = []
    forced: list[int] = []
    taken = {rtin}  # membership only: two suppliers must never share a GSTIN

    def gstin(state: str, pan: str) -> str:
        # Random PANs can collide (rarely); a repeated GSTIN would merge two suppliers.
        g = make_gstin(rng, state, pan)
        while g in taken:
            g = make_gstin(rng, state, _make_pan(rng, pan[3]))
        taken.add(g)
        return g

    def home_state() -> str:
        # A third of suppliers sit in the recipient's state, which yields CGST+SGST records.
        return own_state if rng.random() < 0.35 else _weighted(rng, _STATES, _STATE_CUM)

    def add(s: _Supplier, force: bool = False) -> None:
        if force:
            forced.append(len(sups))
        sups.append(s)

    entity = "C"
    name = _trade_name(rng, entity)
    # Starts at 1234567890123 so the first invoice reads exactly 0001234567890123.
    add(_new_supplier(rng, name, gstin(home_state(), _make_pan(rng, entity, name)),
                      inv_style=_NUMERIC16, start=1_234_567_890_123), force=True)
    if with_specials:
        for name, entity in _FORMULA_NAMES:
            add(_new_supplier(rng, name, gstin(home_state(),
                                                    _make_pan(rng, entity, name))), force=True)
        # Inter-branch supply: the recipient's own PAN registered in another state.
        other = _weighted(rng, _STATES, _STATE_CUM)
        while other == own_state:
            other = _weighted(rng, _STATES, _STATE_CUM)
        add(_new_supplier(rng, "Own Branch Stock Transfer", gstin(other, rtin[2:12])),
            force=True)
    # Suppliers registered in two states under one PAN ("wrong GSTIN, same PAN").
    pairs = max(2, size // 25)
    for p in range(pairs):
        entity = _weighted(rng, _ENTITIES, _ENTITY_CUM)
        name = _trade_name(rng, entity)
        pan = _make_pan(rng, entity, name)
        a = home_state()
        b = _weighted(rng, _STATES, _STATE_CUM)
        while b == a:
            b = _weighted(rng, _STATES, _STATE_CUM)
        add(_new_supplier(rng, name, gstin(a, pan)), force=(p == 0))
        add(_new_supplier(rng, name, gstin(b, pan)), force=(p == 0))
    while len(sups) < size:
        entity = _weighted(rng, _ENTITIES, _ENTITY_CUM)
        name = _trade_name(rng, entity)
        add(_new_supplier(rng, name, gstin(home_state(), _make_pan(rng, entity, name))))

    # E-commerce operators are registered in every state they serve; give each one two.
    eco: list[_Supplier] = []
    for name, rate in _ECO_OPERATORS:
        pan = _make_pan(rng, "C", name)
        other = _weighted(rng, _STATES, _STATE_CUM)
        for st in dict.fromkeys((own_state, other)):  # ordered de-duplication
            eco.append(_new_supplier(rng, name, gstin(st, pan), inv_style=_ECO_STYLE,
                                     start=rng.randint(10_000, 5_000_000), eco_rate=rate))
    # Who trades most with the recipient is unrelated to the pool's construction order.
    by_volume = list(range(len(sups)))
    rng.shuffle(by_volume)
    return _Pool(tuple(sups), tuple(forced), tuple(by_volume), tuple(eco))


def _render_number(style: str, n: int, sup: _Supplier, tokens: dict[str, str]) -> str:
    """Apply a number format; fall back to ``PFXn`` if a long counter would pass 16 chars."""
    text = style.format(n=n, P=sup.prefix, p=sup.prefix.lower(), **tokens)
    if len(text) > _MAX_DOC_LEN:
        text = f"{sup.prefix}{n}"[-_MAX_DOC_LEN:]
    return text


# --------------------------------------------------------------------------------------------
# Amounts
# --------------------------------------------------------------------------------------------

def _dec(paise: int) -> Decimal:
    """Integer paise -> a Decimal with no fraction (``1000``) or exactly 2 places (``1000.10``)."""
    if paise == 0:
        return _ZERO
    if paise % 100 == 0:
        return Decimal(paise // 100)
    return Decimal(paise).scaleb(-2)


def _section_counts(records: int) -> dict[str, int]:
    """Split ``records`` by :data:`SECTION_WEIGHTS` (largest remainder, ties in table order).

    From 8 records on, every section gets at least one record, taken from the largest.
    """
    total_w = sum(w for _, w in SECTION_WEIGHTS)
    counts = {k: records * w // total_w for k, w in SECTION_WEIGHTS}
    short = records - sum(counts.values())
    by_remainder = sorted(range(len(SECTION_WEIGHTS)),
                          key=lambda i: (-(records * SECTION_WEIGHTS[i][1] % total_w), i))
    for i in by_remainder[:short]:
        counts[SECTION_WEIGHTS[i][0]] += 1
    if records >= len(SECTION_WEIGHTS):
        for k, _ in SECTION_WEIGHTS:
            if counts[k] == 0:
                counts[k] = 1
                biggest = max(counts, key=lambda key: (counts[key], key == "b2b"))
                counts[biggest] -= 1
    return counts


# --------------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------------

def generate_download(records: int = 200, seed: int = 7, rtin: str | None = None,
                      period: str = "102025") -> dict:
    """Generate a realistic IMS offline download (IMS_FORMAT §1.3) as a dict.

    Args:
        records: exact total number of records over all eight sections.
        seed: seed of the single random source; same arguments -> identical output.
        rtin: the recipient GSTIN (validated); generated from the seed when ``None``.
        period: the IMS return period ``MMYYYY``; document dates fall in it and the 2-3
            months before it, ``rtnprd`` is the period or the month before.

    Returns:
        ``{"rtin": ..., "imsDetails": {"b2b": [...], ..., "ecoma": [...]}}`` with flat records,
        keys in the order of IMS_FORMAT §1.2, amounts as ``Decimal`` (at most 2 decimals).

    Raises:
        ValueError: negative ``records``, a malformed ``period`` or an invalid ``rtin``.
    """
    if isinstance(records, bool) or not isinstance(records, int) or records < 0:
        raise ValueError(f"records must be a non-negative integer, got {records!r}")
    month, year = _parse_period(period)
    rng = random.Random(seed)
    if rtin is None:
        rtin = make_gstin(rng, pan=_make_pan(rng, "C"))
    else:
        rtin = str(rtin).strip().upper()
        problem = gstin_problem(rtin)
        if problem:
            raise ValueError(f"rtin {rtin!r}: {problem}")
        if rtin[:2] not in POS_CODES:
            raise ValueError(f"rtin {rtin!r} has no place-of-supply state ({rtin[:2]})")

    counts = _section_counts(records)
    pool = _supplier_pool(rng, max(20, records // 25), rtin, with_specials=records >= 50)
    months = tuple(_Month.of(*_month_back(month, year, b)) for b in range(4))  # P0..P3
    gen = _Generator(rng, rtin, pool, months)
    details = {s.key: gen.section(s.key, counts[s.key]) for s in SECTIONS}
    return {"rtin": rtin, "imsDetails": details}


class _Generator:
    """Per-call state of :func:`generate_download` (number counters, used numbers)."""

    def __init__(self, rng: random.Random, rtin: str, pool: _Pool,
                 months: tuple[_Month, ...]) -> None:
        self.rng = rng
        self.own_state = rtin[:2]
        self.pool = pool
        self.months = months
        # next running number per (supplier id, series) and the numbers already issued
        self.next_no: dict[tuple[int, str], int] = {}
        self.orig_no: dict[tuple[int, str], int] = {}
        self.used: set[tuple[int, str, str]] = set()  # membership only, never iterated
        self.pend_blocked = dict(_PEND_BLOCKED_P)

    # ---- document numbers ----------------------------------------------------------------

    def _series(self, sup: _Supplier, kind: str) -> tuple[str, int]:
        if kind == "cn":
            return sup.cn_style, sup.note_start
        if kind == "dn":
            return sup.dn_style, sup.note_start
        return sup.inv_style, sup.start

    def _number(self, sid: int, sup: _Supplier, kind: str, section: str, month: _Month,
                original: bool = False) -> str:
        """A number unique for (supplier, section): current series upward, originals downward.

        Originals of amendments count down from just below the period's first number, so they
        look like the same supplier's earlier documents.
        """
        style, start = self._series(sup, kind)
        key = (sid, kind)
        counters = self.orig_no if original else self.next_no
        n = counters.get(key, start - 1 if original else start)
        while True:
            if original and n < 1:  # a young series: borrow numbers above the current ones
                n = start + 500_000
            text = _render_number(style, n, sup, month.tokens)
            n = n - 1 if original else n + 1
            if (sid, section, text) not in self.used:
                break
        counters[key] = n
        self.used.add((sid, section, text))
        return text

    # ---- records -------------------------------------------------------------------------

    def section(self, key: str, count: int) -> list[dict[str, Any]]:
        """``count`` records of one section."""
        sec = SECTION_BY_KEY[key]
        rng = self.rng
        rand = rng.random
        months = self.months
        is_eco = key in ("ecom", "ecoma")
        sups = self.pool.eco if is_eco else self.pool.suppliers
        nsup = len(sups)
        by_volume = tuple(range(nsup)) if is_eco else self.pool.by_volume
        kind = {"credit_note": "cn", "debit_note": "dn"}.get(sec.kind, "inv")
        forced = self.pool.forced if key == "b2b" else ()
        pend_p = self.pend_blocked[key]
        out: list[dict[str, Any]] = []
        append = out.append
        for i in range(count):
            # ---- who ----
            if i < len(forced):
                sid = forced[i]
            else:
                # u**1.6 skews towards the busiest suppliers: a few regulars, a long tail
                # (the top one of 20 gets ~15% of the records, of 4,000 ~0.6%).
                sid = by_volume[int(nsup * rand() ** 1.6)]
            sup = sups[sid]
            stin = sup.gstin
            if is_eco:
                sid += 1_000_000  # ECO ids never collide with supplier ids in self.used

            # ---- when ----
            if sec.is_amendment:
                u = rand()
                ob = 1 if u < 0.4 else (2 if u < 0.75 else 3)  # original 1-3 months back
                omonth = months[ob]
                odt = omonth.dates[int(rand() * len(omonth.dates))]
                onum = self._number(sid, sup, kind, key, omonth, original=True)
                # the amendment is reported after the original's return, in P or P-1
                rb = 0 if ob == 1 or rand() < 0.7 else 1
                if rand() < 0.85:
                    # usually only values change; sometimes the number/date was corrected
                    dt, num = odt, onum
                    self.used.add((sid, key, num))
                else:
                    dt = omonth.dates[int(rand() * len(omonth.dates))]
                    num = self._number(sid, sup, kind, key, omonth, original=True)
            else:
                u = rand()
                db = 0 if u < 0.62 else (1 if u < 0.90 else 2)
                dmonth = months[db]
                dt = dmonth.dates[int(rand() * len(dmonth.dates))]
                num = self._number(sid, sup, kind, key, dmonth)
                # reported in the month of the document or, late, in a later one (<= P)
                if db == 0:
                    rb = 0
                else:
                    rb = 1 if rand() < (0.8 if db == 1 else 0.7) else 0
                onum = odt = ""
            rtnprd = months[rb].rtnprd

            # ---- what ----
            inv_typ = "R"
            if key == "b2b" and i >= len(forced):
                u = rand()
                if u < 0.06:
                    inv_typ = ("SEWP", "SEWOP", "DE")[int(u / 0.02)]
            if is_eco:
                rate = sup.eco_rate
                tx = int(exp(6.5 + 1.1 * rng.gauss(0.0, 1.0)) * 100)  # a few hundred rupees
                tx = min(max(tx, 10_000), 2_500_000)
            else:
                rate = _RATES[bisect(_RATE_CUM, rand() * _RATE_CUM[-1])]
                mu = 10.6 if kind == "inv" else 9.2  # notes are smaller than invoices
                tx = int(exp(mu + 1.6 * rng.gauss(0.0, 1.0)) * 100)
                tx = min(max(tx, 10_000), 500_000_000)
            if rand() < 0.35:
                tx -= tx % 100  # whole rupees
            if rand() < 0.88:
                pos = self.own_state
            elif rand() < 0.5:
                pos = stin[:2]  # e.g. a hotel stay: intra-state to an out-of-state buyer
            else:
                pos = _weighted(rng, _STATES, _STATE_CUM)

            iamt = camt = samt = cess = 0
            if inv_typ == "SEWOP":
                pass  # SEZ supply under LUT: no tax at all
            elif inv_typ == "SEWP" or stin[:2] != pos:
                # supplies to an SEZ are inter-state whatever the states (IGST Act s.7(5)(b))
                iamt = (tx * rate + 50) // 100
            else:
                camt = samt = (tx * rate + 100) // 200  # half the rate each, CGST == SGST
            if rate == 28 and inv_typ != "SEWOP" and rand() < 0.3:
                cess = (tx * _CESS_RATES[int(rand() * len(_CESS_RATES))] + 50) // 100
            val = tx + iamt + camt + samt + cess
            if rand() < 0.4:
                rounded = (val + 50) // 100 * 100  # invoice value rounded to the rupee
                val = rounded if rounded >= tx else rounded + 100

            # ---- portal state ----
            srcform = "R1A" if rand() < 0.03 else "R1"
            srcfil = "Not Filed" if rand() < (0.25 if rb == 0 else 0.03) else "Filed"
            blocked = "Y" if rand() < pend_p else "N"
            u = rand()
            action = "N" if u < 0.70 else ("A" if u < 0.85 else ("R" if u < 0.91 else "P"))
            if action == "P" and blocked == "Y":
                action = "A"  # the portal cannot hold a pending record that blocks Pending
            rem_blocked = "Y" if rand() < 0.05 else "N"
            digest = hashlib.sha256(
                f"{key}|{stin}|{onum}|{odt}|{num}|{dt}|{inv_typ}|{val}|{pos}|{tx}|{iamt}|{camt}|"
                f"{samt}|{cess}|{srcform}|{rtnprd}".encode()
            ).hexdigest()

            rec: dict[str, Any] = {}
            if sec.is_amendment:
                rec[sec.orig_num_key] = onum
                rec[sec.orig_date_key] = odt
            rec["stin"] = stin
            rec["tradenm"] = sup.name
            rec[sec.num_key] = num
            if sec.has_inv_typ:
                rec["inv_typ"] = inv_typ
            rec[sec.date_key] = dt
            rec["val"] = _dec(val)
            rec["action"] = action
            rec["pos"] = pos
            rec["txval"] = _dec(tx)
            rec["iamt"] = _dec(iamt)
            rec["camt"] = _dec(camt)
            rec["samt"] = _dec(samt)
            rec["cess"] = _dec(cess)
            rec["srcform"] = srcform
            rec["rtnprd"] = rtnprd
            rec["srcfilstatus"] = srcfil
            rec["hash"] = digest
            rec["ispendactblocked"] = blocked
            rec["isRemarksBlocked"] = rem_blocked
            if sec.itc_reduction:
                itc_blocked = "Y" if rand() < 0.05 else "N"
                rec["isItcRedReqBlocked"] = itc_blocked
                # V4: a saved ITC-reduction answer exists only on an accepted record
                if action == "A" and itc_blocked == "N" and rand() < 0.6:
                    answer = "Y" if rand() < 0.5 else "N"
                    rec["itcRedReq"] = answer
                    if answer == "Y" and rand() < 0.5:
                        # partial reversal; full reversal omits the amounts (IC)
                        share = (25, 50, 75)[int(rand() * 3)]
                        half = (camt * share) // 100
                        rec["declIgst"] = _dec(iamt * share // 100)
                        rec["declCgst"] = _dec(half)
                        rec["declSgst"] = _dec(half)  # V7: declared CGST == SGST
                        rec["declCess"] = _dec(cess * share // 100)
            if action in ("R", "P") and rem_blocked == "N" and rand() < 0.4:
                rec["remarks"] = _REMARKS[int(rand() * len(_REMARKS))]
            append(rec)
        return out


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------

def _json_amount(value: Decimal | float) -> int | float:
    """A JSON-ready number without trailing zeros; refuse anything beyond 2 decimals.

    Returns an int for whole amounts, else a float whose ``repr`` (the shortest text that
    reads back to the same float) is exactly the decimal amount: true for every amount of at
    most 15 significant digits, i.e. the portal's Decimal(15, 2).
    """
    if type(value) is Decimal and value.is_finite():
        num, den = value.as_integer_ratio()
        # fast path: at most 2 decimals (den divides 100) and below 10**13 rupees
        if 100 % den == 0 and -_PAISE_LIMIT < num * (100 // den) < _PAISE_LIMIT:
            return num if den == 1 else num * (100 // den) / 100
        return json_number(paise_from_decimal(value))
    if type(value) is Decimal:
        raise AmountError(f"{value} is not an amount")
    if isinstance(value, Decimal):  # a Decimal subclass: take the careful path
        return json_number(paise_from_decimal(value))
    return json_number(paise_from_cell(value))


#: 10**15 paise: Decimal(15, 2) amounts, whose float repr is exact (15 significant digits).
_PAISE_LIMIT = 10**15
_PLAIN_TYPES = frozenset({str, int, bool, type(None)})


def _jsonable(obj: Any) -> Any:
    """Copy ``obj`` with every Decimal/float replaced by an int or an exactly-printing float.

    Scalars of a plain JSON type are passed through without a call, which keeps a
    100,000-record download well under a second.
    """
    if type(obj) is dict:
        return {k: v if type(v) in _PLAIN_TYPES else _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, Decimal | float) and not isinstance(obj, bool):
        return _json_amount(obj)
    return obj


def write_download(path: str | os.PathLike[str], data: dict) -> None:
    """Write ``data`` as UTF-8 JSON the way the portal does: amounts as plain numbers.

    ``Decimal("1000")`` is written ``1000`` and ``Decimal("1000.10")`` ``1000.1``. The file is
    written to a temporary file in the same folder and then renamed over ``path``, so a reader
    never sees half a file and a failure leaves any previous file intact.

    Raises:
        ims_xl.money.AmountError: an amount with more than 2 decimals or not finite.
    """
    target = Path(path)
    # Convert and encode first, so a bad amount leaves no temp file behind. json.dumps (not
    # json.dump) because only the one-shot call uses the C encoder: 5x faster on 100k records.
    text = json.dumps(_jsonable(data), ensure_ascii=False, separators=(",", ":"))
    # open(..., "x") rather than mkstemp: mkstemp creates mode 0600, and os.replace would
    # carry that over; "x" honours the umask like any normal file.
    tmp = target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    fh = open(tmp, "x", encoding="utf-8", newline="\n")
    try:
        with fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
