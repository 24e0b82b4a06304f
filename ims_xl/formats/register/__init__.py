"""Reading purchase registers ("books") as accounting software exports them (Tally, Busy,
Zoho Books, SAP, Marg, QuickBooks, the GST offline tool's templates, the GSTR-2B Excel, a
plain CSV): from a raw grid of cells into one row per document.

The shell (CLI or Excel add-in) reads the CSV or worksheet and hands over the grid as it is:
a list of rows, each a list of cells (``str``, ``int``, ``float``, ``datetime``/``date`` or
``None``). This package finds the header row, maps the columns by synonyms used by common
exports, parses amounts to integer paise and dates, and groups the rows of one document (one
row per tax rate or item) into a single document. It never touches a file and never imports a
spreadsheet library.

Which module holds what: ``vocabulary`` (the books columns, ``FIELDS``, ``SYNONYMS``, the
document and voucher kind words, ``RegisterError``, ``RegisterResult``), ``headers`` (finding
the header row, two-row headers, ledger-named amount columns, ``map_text``, the message when
no header is found), ``cells`` (identifiers, paise amounts, dates, document kinds, place of
supply), ``reader`` (``parse_map``, ``parse_voucher_kinds``, ``read_register_grid``, blocks
under repeated headers, continuation lines), ``documents`` (the combined tax split, the
plausibility check, grouping lines into documents, the empty books frame).
"""

from __future__ import annotations

from .headers import map_text
from .reader import parse_map, parse_voucher_kinds, read_register_grid
from .vocabulary import BOOKS_COLUMNS, FIELDS, HEAD_KEYS, SYNONYMS, RegisterError, RegisterResult

__all__ = [
    "BOOKS_COLUMNS",
    "FIELDS",
    "HEAD_KEYS",
    "SYNONYMS",
    "RegisterError",
    "RegisterResult",
    "map_text",
    "parse_map",
    "parse_voucher_kinds",
    "read_register_grid",
]
