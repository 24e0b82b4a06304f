"""Read a purchase register ("books") from a raw grid of cells into one row per document.

The shell (CLI or Excel add-in) reads the CSV or worksheet and hands over the grid as it is:
a list of rows, each a list of cells (``str``, ``int``, ``float``, ``datetime``/``date`` or
``None``). This module finds the header row, maps the columns by synonyms used by common
exports (Tally, Zoho Books, Busy, the GST offline tool's purchase templates, the GSTR-2B
Excel), parses amounts to integer paise and dates, and groups the rows of one document (one
row per tax rate or item) into a single document.

It never touches a file and never imports a spreadsheet library.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd

from .gstin import STATE_CODES, is_valid_gstin
from .money import AmountError, paise_from_cell, paise_from_decimal, parse_amount, shown

__all__ = [
    "BOOKS_COLUMNS",
    "FIELDS",
    "HEAD_KEYS",
    "RegisterError",
    "RegisterResult",
    "read_register_grid",
]

#: Columns of :attr:`RegisterResult.books`, in this order.
BOOKS_COLUMNS: tuple[str, ...] = (
    "books_row", "source_rows", "stin", "tradenm", "doc_kind", "doc_no", "doc_date", "pos",
    "txval", "iamt", "camt", "samt", "cess", "val", "orig_doc_no",
)

#: Amount heads that add up to the document value (IMS_FORMAT §1.2).
HEAD_KEYS: tuple[str, ...] = ("txval", "iamt", "camt", "samt", "cess")
_AMOUNTS: tuple[str, ...] = (*HEAD_KEYS, "val")

#: Logical fields a register column can be mapped to, with what they hold.
FIELDS: dict[str, str] = {
    "stin": "supplier GSTIN",
    "tradenm": "supplier name",
    "doc_no": "supplier's invoice / note number",
    "doc_date": "invoice / note date",
    "doc_type": "document type (Purchase, Credit Note, Debit Note, C, D ...)",
    "pos": "place of supply",
    "txval": "taxable value",
    "iamt": "integrated tax (IGST)",
    "camt": "central tax (CGST)",
    "samt": "state/UT tax (SGST/UTGST)",
    "cess": "cess",
    "val": "invoice / note value",
    "orig_doc_no": "original invoice / note number (amendments, notes)",
    "voucher_no": "the buyer's own voucher number (keeps two bookings of one invoice apart)",
}

#: Header synonyms per logical field, best first. Compared after :func:`_norm_header`
#: (lower case, currency marks and punctuation removed), so "Invoice No." == "invoice no".
SYNONYMS: dict[str, tuple[str, ...]] = {
    "stin": (
        "GSTIN/UIN of Supplier", "GSTIN of Supplier", "Supplier GSTIN", "Supplier GSTIN/UIN",
        "Party GSTIN", "Party GSTIN/UIN", "Party GSTIN No", "Vendor GSTIN", "Vendor GSTIN/UIN",
        "GSTIN/UIN", "GSTIN", "GSTIN No", "GSTIN Number", "GST No", "GST Number",
        "Supplier GST No", "Party GST No", "Vendor GST No", "GST Identification Number (GSTIN)",
        "GST Registration No", "GSTIN of the Supplier", "Counter Party GSTIN", "CTIN", "STIN",
    ),
    "tradenm": (
        "Supplier Name", "Name of Supplier", "Trade/Legal Name", "Trade/Legal name of the Supplier",
        "Trade Name", "Legal Name", "Party Name", "Party A/c Name", "Vendor Name", "Supplier",
        "Party", "Vendor", "Particulars", "Ledger Name", "Account Name", "Name", "tradenm",
    ),
    "doc_no": (
        "Supplier Invoice No.", "Supplier Invoice No", "Supplier Invoice Number", "Supplier Inv No",
        "Supplier Bill No", "Vendor Invoice No", "Vendor Invoice Number", "Vendor Bill No",
        "Invoice No", "Invoice Number", "Invoice No.", "Inv No", "Bill No", "Bill Number",
        "Bill #", "Invoice #", "Invoice/Note Number", "Invoice/Note No", "Note/Refund Voucher Number",
        "Note Number", "Note No", "Credit/Debit Note No", "Credit/Debit Note Number",
        "Document Number", "Document No", "Doc No", "Doc Number", "Reference No", "Ref No",
        "Supplier Ref", "inum", "nt_num",
    ),
    "doc_date": (
        "Supplier Invoice Date", "Supplier Bill Date", "Vendor Invoice Date", "Invoice Date",
        "Inv Date", "Bill Date", "Invoice/Note Date", "Note/Refund Voucher Date", "Note Date",
        "Credit/Debit Note Date", "Document Date", "Doc Date", "Reference Date", "Ref Date",
        "Date", "Voucher Date", "Vch Date", "idt", "nt_dt",
    ),
    "doc_type": (
        "Document Type", "Doc Type", "Voucher Type", "Vch Type", "Note Type",
        "Type of Note", "Type of Note (Debit/Credit)", "Note Type (C/D)", "Transaction Type",
        "Credit/Debit", "Entry Type",
    ),
    "pos": (
        "Place Of Supply", "Place of Supply (POS)", "POS", "Place of Supply State",
        "State of Supply", "Supply State", "pos",
    ),
    "txval": (
        "Taxable Value", "Taxable Amount", "Taxable Amt", "Taxable", "Assessable Value",
        "Taxable Val", "Value of Supply", "Sub Total", "SubTotal", "txval",
    ),
    "iamt": (
        "Integrated Tax", "Integrated Tax Amount", "Integrated Tax Paid", "IGST", "IGST Amount",
        "IGST Amt", "Integrated Tax (IGST)", "iamt",
    ),
    "camt": (
        "Central Tax", "Central Tax Amount", "Central Tax Paid", "CGST", "CGST Amount",
        "CGST Amt", "Central Tax (CGST)", "camt",
    ),
    "samt": (
        "State/UT Tax", "State/UT Tax Amount", "State/UT Tax Paid", "SGST/UTGST",
        "SGST/UTGST Amount", "SGST", "SGST Amount", "SGST Amt", "UTGST", "UTGST Amount",
        "State Tax", "State Tax Amount", "samt",
    ),
    "cess": (
        "Cess", "Cess Amount", "Cess Amt", "Cess Paid", "Compensation Cess", "CESS Amount",
        "csamt", "cess",
    ),
    "val": (
        "Invoice Value", "Total Invoice Value", "Invoice Amount", "Invoice Total", "Bill Amount",
        "Bill Value", "Document Value", "Note Value", "Note/Refund Voucher Value",
        "Invoice/Note Value", "Total Value", "Total Amount", "Gross Total", "Grand Total",
        "Total", "val",
    ),
    "orig_doc_no": (
        "Original Invoice Number", "Original Invoice No", "Original Document Number",
        "Original Note Number", "Original Invoice/Note Number", "Against Invoice No",
        "Original Inv No", "Ref Invoice No", "oinum", "ont_num",
    ),
    "voucher_no": ("Voucher No", "Voucher Number", "Vch No", "Vch No.", "Voucher No."),
}

#: Fields without which no document can be matched.
_REQUIRED: tuple[str, ...] = ("stin", "doc_no")
#: Rows searched for the header (exports put titles, company and period lines on top).
_HEADER_SCAN_ROWS = 50
_IDENT_FIELDS = ("stin", "doc_no", "orig_doc_no", "voucher_no")


class RegisterError(ValueError):
    """The register cannot be used; the message names the file, sheet, row and column."""


@dataclass(frozen=True)
class RegisterResult:
    """A register read into one row per document.

    Attributes:
        books: one row per document, columns :data:`BOOKS_COLUMNS`: ``books_row`` (int, the
            file line of the document's first row, header = its own line), ``source_rows``
            (str, ``"4,5,6"``), ``stin`` (upper case), ``tradenm``, ``doc_kind``
            (``invoice``/``credit_note``/``debit_note``), ``doc_no`` (as typed),
            ``doc_date`` (datetime64[ns], NaT when absent), ``pos`` (2 digits or ""),
            ``txval iamt camt samt cess val`` (int64 paise), ``orig_doc_no`` (str or "").
        mapping: logical field -> the header used.
        header_row: 1-based line of the header row in the file.
        warnings: plain-language notes on what was skipped or guessed.
    """

    books: pd.DataFrame
    mapping: dict[str, str]
    header_row: int
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- headers

_CURRENCY = re.compile(r"\((?:₹|rs\.?|inr|in ₹|in rs\.?|in inr)\)|₹|\bin (?:rs\.?|inr)\b")
_NON_ALNUM = re.compile(r"[^a-z0-9#]+")


def _norm_header(text: object) -> str:
    """Compare headers ignoring case, currency marks, punctuation and spaces."""
    if text is None:
        return ""
    t = str(text).strip().lower()
    t = _CURRENCY.sub("", t)
    t = _NON_ALNUM.sub("", t)
    return t.replace("#", "no")


_LOOKUP: dict[str, tuple[str, int]] = {}
for _f, _syns in SYNONYMS.items():
    for _rank, _s in enumerate(_syns):
        _LOOKUP.setdefault(_norm_header(_s), (_f, _rank))


def _where(source: str, sheet: str | None) -> str:
    return f"{source}, sheet {sheet!r}" if sheet else source


def _is_blank(cell: object) -> bool:
    if cell is None:
        return True
    if isinstance(cell, float) and cell != cell:
        return True
    return isinstance(cell, str) and not cell.strip()


def _auto_columns(row: list[object], taken: set[int]) -> dict[str, int]:
    """Column index per field recognised in one row, the best synonym winning."""
    best: dict[str, tuple[int, int]] = {}
    for i, cell in enumerate(row):
        if i in taken or not isinstance(cell, str):
            continue
        hit = _LOOKUP.get(_norm_header(cell))
        if hit is None:
            continue
        f, rank = hit
        if f not in best or rank < best[f][0]:
            best[f] = (rank, i)
    return {f: i for f, (_, i) in best.items()}


def _has_amount(cols: dict[str, int]) -> bool:
    return any(k in cols for k in _AMOUNTS)


def _find_header(rows: list[list[object]], where: str,
                 mapping: dict[str, str] | None) -> tuple[int, dict[str, int]]:
    """Index of the header row and the column index per logical field."""
    scan = min(len(rows), _HEADER_SCAN_ROWS)
    wanted = {f: _norm_header(h) for f, h in (mapping or {}).items()}
    best_guess: tuple[int, int, int] | None = None  # (fields found, text cells, row index)
    for r in range(scan):
        row = rows[r]
        norm = [_norm_header(c) if isinstance(c, str) else "" for c in row]
        cols: dict[str, int] = {}
        if wanted:
            if not all(h in norm for h in wanted.values()):
                continue
            cols = {f: norm.index(h) for f, h in wanted.items()}
        auto = _auto_columns(row, set(cols.values()))
        for f, i in auto.items():
            cols.setdefault(f, i)
        if all(f in cols for f in _REQUIRED) and _has_amount(cols):
            return r, cols
        texts = sum(1 for c in row if isinstance(c, str) and c.strip())
        if texts and (best_guess is None or (len(auto), texts) > best_guess[:2]):
            best_guess = (len(auto), texts, r)
    raise RegisterError(_no_header_message(rows, where, mapping, best_guess))


def _no_header_message(rows: list[list[object]], where: str, mapping: dict[str, str] | None,
                       best_guess: tuple[int, int, int] | None) -> str:
    if mapping:
        missing = [h for h in mapping.values()]
        head = (f"{where}: no row in the first {_HEADER_SCAN_ROWS} holds all the mapped headers "
                f"{missing}, together with a supplier GSTIN, a document number and an amount "
                "column.")
    else:
        head = (f"{where}: no header row found in the first {_HEADER_SCAN_ROWS} rows: a register "
                "needs columns for the supplier GSTIN, the document number and at least one "
                "amount.")
    if best_guess is None:
        return head + " No text headers were found at all."
    r = best_guess[2]
    row = rows[r]
    found = [str(c).strip() for c in row if isinstance(c, str) and c.strip()]
    auto = _auto_columns(row, set())
    block = {f: str(row[i]).strip() for f, i in auto.items()}
    for f in (*_REQUIRED, "doc_date", "txval", "iamt", "camt", "samt", "cess", "val"):
        block.setdefault(f, f"<header holding the {FIELDS[f]}>")
    block_txt = "{" + ", ".join(f'"{k}": "{v}"' for k, v in block.items()) + "}"
    recognised = ", ".join(f"{f} <- {h!r}" for f, h in
                           ((f, str(row[i]).strip()) for f, i in auto.items())) or "none"
    return (f"{head} Headers found (row {r + 1}): {', '.join(repr(h) for h in found)}. "
            f"Recognised: {recognised}. Map the columns with a mapping such as {block_txt} "
            f"(fields: {', '.join(FIELDS)}).")


# --------------------------------------------------------------------------- cells


def _ident(cell: object) -> tuple[str, bool]:
    """An identifier as text; True when it arrived as a number (leading zeros may be lost)."""
    if cell is None:
        return "", False
    if isinstance(cell, str):
        return cell.strip(), False
    if isinstance(cell, bool):
        return str(cell), False
    if isinstance(cell, int):
        return str(cell), True
    if isinstance(cell, float):
        if cell != cell:
            return "", False
        if cell.is_integer():
            return str(int(cell)), True
        return repr(cell), True
    if isinstance(cell, Decimal):
        return (str(int(cell)) if cell == cell.to_integral_value() else str(cell)), True
    if isinstance(cell, _dt.datetime):
        return cell.strftime("%d-%m-%Y"), False
    if isinstance(cell, _dt.date):
        return cell.strftime("%d-%m-%Y"), False
    return str(cell).strip(), False


def _text(cell: object) -> str:
    return _ident(cell)[0]


_DASHES = frozenset({"-", "--", "\u2013", "\u2014"})
_DRCR = re.compile(r"^(.*?)\s*(dr|cr)\.?$", re.IGNORECASE)


def _paise(cell: object) -> int:
    """Paise from a cell; blanks and dashes are zero. Raises AmountError."""
    if type(cell) is str:
        s = cell.strip()
        if not s or s in _DASHES:
            return 0
        try:
            # float() then paise_from_cell is exact for <= 2 decimals (and refuses more)
            x = float(s.replace(",", ""))
        except ValueError:
            x = None
        if x is not None:
            return paise_from_cell(x)
        m = _DRCR.match(s)
        if m and m.group(1):
            p = parse_amount(m.group(1))
            return -p if m.group(2).lower() == "cr" else p
        return parse_amount(s)
    if cell is None:
        return 0
    if isinstance(cell, bool):
        raise AmountError(f"{cell!r} is not an amount")
    if isinstance(cell, (int, float)):
        if isinstance(cell, float) and cell != cell:
            return 0
        return paise_from_cell(cell)
    if isinstance(cell, Decimal):
        return paise_from_decimal(cell)
    return _paise(str(cell))


_MONTHS = {m: i + 1 for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
_D_M_Y = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})")
_Y_M_D = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_D_MON_Y = re.compile(r"(\d{1,2})[-/ .]?([A-Za-z]{3,9})[-/ .,]*(\d{4}|\d{2})")
_MON_D_Y = re.compile(r"([A-Za-z]{3,9})[-/ .]?(\d{1,2})[-/ .,]+(\d{4}|\d{2})")
#: Excel's day zero for serial dates (1900 date system, with its 1900-02-29 quirk).
_EXCEL_EPOCH = _dt.date(1899, 12, 30)
_NAT = np.datetime64("NaT", "ns")


def _ymd(y: int, m: int, d: int) -> np.datetime64 | None:
    if y < 100:
        y += 2000
    try:
        return np.datetime64(_dt.date(y, m, d), "ns")
    except ValueError:
        return None


def _month(word: str) -> int | None:
    return _MONTHS.get(word[:3].lower()) if word[:3].lower() in _MONTHS else None


def _parse_date(cell: object) -> np.datetime64 | None:
    """A date from a cell, or None when the cell holds something that is not a date.

    Day-first everywhere (Indian usage): ``05/11/2024`` is 5 November. Numbers are Excel
    serial dates (1 = 1900-01-01) or ``yyyymmdd``.
    """
    if isinstance(cell, _dt.datetime):
        return np.datetime64(cell.date(), "ns")
    if isinstance(cell, _dt.date):
        return np.datetime64(cell, "ns")
    if isinstance(cell, pd.Timestamp):
        return np.datetime64(cell.date(), "ns")
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        if cell != cell:
            return _NAT
        n = int(cell)
        if 19000101 <= n <= 21001231:
            return _ymd(n // 10000, n // 100 % 100, n % 100)
        if 1 <= n < 2958466:
            return np.datetime64(_EXCEL_EPOCH + _dt.timedelta(days=n), "ns")
        return None
    s = str(cell).strip()
    if not s:
        return _NAT
    first = s.split()[0].split("T")[0] if re.match(r"\d{4}-\d", s) else s
    if first.isdigit():
        return _parse_date(int(first))
    m = _D_M_Y.fullmatch(first) or _D_M_Y.fullmatch(s.split()[0])
    if m:
        d, mo, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        return _ymd(y, mo, d) or (_ymd(y, d, mo) if mo > 12 else None)
    m = _Y_M_D.fullmatch(first)
    if m:
        return _ymd(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _D_MON_Y.fullmatch(s)
    if m and _month(m.group(2)):
        return _ymd(int(m.group(3)), _month(m.group(2)), int(m.group(1)))
    m = _MON_D_Y.fullmatch(s)
    if m and _month(m.group(1)):
        return _ymd(int(m.group(3)), _month(m.group(1)), int(m.group(2)))
    return None


_KIND_WORDS: dict[str, str] = {}
for _kind, _words in {
    "invoice": ("purchase", "purchases", "purchaseinvoice", "invoice", "inv", "i", "taxinvoice",
                "bill", "bills", "purchasebill", "r", "regular", "b2b", "b2ba", "ecom", "ecoma",
                "purchaseregister", "supplierinvoice", "vendorbill"),
    "credit_note": ("creditnote", "credit", "c", "cn", "crnote", "cr", "creditmemo",
                    "vendorcredit", "vendorcredits", "suppliercreditnote", "b2bcn", "b2bcna",
                    "purchasereturn", "purchasereturns"),
    "debit_note": ("debitnote", "debit", "d", "dn", "drnote", "dr", "debitmemo",
                   "supplierdebitnote", "b2bdn", "b2bdna"),
}.items():
    for _w in _words:
        _KIND_WORDS[_w] = _kind


def _doc_kind(text: str) -> str | None:
    """``invoice``/``credit_note``/``debit_note`` from a document or voucher type word."""
    w = re.sub(r"[^a-z]", "", text.lower())
    if not w:
        return "invoice"
    if w in _KIND_WORDS:
        return _KIND_WORDS[w]
    if "credit" in w:
        return "credit_note"
    if "debit" in w:
        return "debit_note"
    if "purchase" in w or "invoice" in w or "bill" in w:
        return "invoice"
    return None


_STATE_BY_NAME = {re.sub(r"[^a-z]", "", n.lower()): c for c, n in STATE_CODES.items()}


def _pos(cell: object) -> str:
    """Two-digit place-of-supply code from ``27``, ``"27-Maharashtra"`` or ``"Maharashtra"``."""
    t = _text(cell)
    if not t:
        return ""
    m = re.match(r"\s*(\d{1,2})(?!\d)", t)
    if m:
        return f"{int(m.group(1)):02d}"
    return _STATE_BY_NAME.get(re.sub(r"[^a-z]", "", t.lower()), "")


def _cached(fn, cells: list[object]) -> list:
    """``fn`` over cells, computed once per distinct value."""
    memo: dict[object, object] = {}
    out = []
    for c in cells:
        key = (type(c), c)
        if key not in memo:
            memo[key] = fn(c)
        out.append(memo[key])
    return out


def _rows_list(rows: list[int], limit: int = 10) -> str:
    head = ", ".join(str(r) for r in rows[:limit])
    return head + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


_GSTIN_SHAPE = re.compile(r"[0-9]{2}[A-Z0-9]{13}")


# --------------------------------------------------------------------------- reader


def read_register_grid(rows: list[list[object]], source: str, sheet: str | None = None,
                       mapping: dict[str, str] | None = None) -> RegisterResult:
    """Read a purchase register grid into one row per document.

    Args:
        rows: the cells of the CSV or worksheet, top to bottom, as the shell read them.
        source: the file name, quoted in every message.
        sheet: the worksheet name (``None`` for a CSV).
        mapping: logical field -> header text, for columns the synonyms do not find
            (fields: :data:`FIELDS`). Mapped headers win over synonyms.

    Returns:
        A :class:`RegisterResult`; ``books`` has the columns :data:`BOOKS_COLUMNS`.

    Raises:
        RegisterError: empty grid, no recognisable header row, a GSTIN column that holds
            names, text in an amount column, an unknown field in ``mapping``.
    """
    where = _where(source, sheet)
    if mapping:
        unknown = [k for k in mapping if k not in FIELDS]
        if unknown:
            raise RegisterError(f"{where}: unknown field(s) {unknown} in the column mapping; "
                                f"fields are: {', '.join(FIELDS)}")
    grid = [r if r is not None else [] for r in rows]
    if not any(not _is_blank(c) for r in grid for c in r):
        raise RegisterError(f"{where}: the register is empty (no cells with data)")
    h, cols = _find_header(grid, where, mapping)
    header = grid[h]
    used = {f: str(header[i]).strip() for f, i in cols.items()}
    warnings: list[str] = []

    first_line = h + 2  # 1-based file line of the first data row
    col_idx = sorted(set(cols.values()))
    width = col_idx[-1] + 1
    # rows padded to the mapped width (short rows only are copied; the grid is never changed)
    kept_rows: list[list[object]] = []
    keep: list[int] = []
    for k, row in enumerate(grid[h + 1:]):
        if len(row) < width:
            row = [*row, *([None] * (width - len(row)))]
        for i in col_idx:
            c = row[i]
            if c is not None and not (c == "" or (isinstance(c, str) and not c.strip())
                                      or (isinstance(c, float) and c != c)):
                kept_rows.append(row)
                keep.append(k)
                break
    if not keep:
        raise RegisterError(f"{where}: the header is on row {h + 1} but no data rows follow it")

    def column(f: str) -> list[object]:
        i = cols[f]
        return [r[i] for r in kept_rows]

    # identifiers ------------------------------------------------------------------------
    values: dict[str, list[str]] = {}
    numeric_rows: dict[str, list[int]] = {}
    for f in ("stin", "tradenm", "doc_no", "orig_doc_no", "voucher_no", "doc_type"):
        if f not in cols:
            continue
        raw = column(f)
        if all(type(c) is str for c in raw):
            values[f] = [c.strip() for c in raw]
            numeric_rows[f] = []
            continue
        out, nums = [], []
        for k, c in zip(keep, raw):
            t, was_num = _ident(c)
            out.append(t)
            if was_num and f in _IDENT_FIELDS:
                nums.append(k + first_line)
        values[f] = out
        numeric_rows[f] = nums
    stin = [s.replace(" ", "").upper() for s in values["stin"]]
    doc_no = values["doc_no"]

    # a GSTIN column full of names: refuse rather than match nothing
    nonempty = [(k, s) for k, s in zip(keep, stin) if s]
    if not nonempty:
        raise RegisterError(f"{where}: column {used['stin']!r} (supplier GSTIN) is empty in every "
                            f"data row; map the GSTIN column with {{\"stin\": \"<header>\"}}")
    shaped = sum(1 for _, s in nonempty if len(s) == 15 and _GSTIN_SHAPE.fullmatch(s))
    if shaped * 2 < len(nonempty):
        bad = [(k, values["stin"][j]) for j, (k, s) in enumerate(zip(keep, stin))
               if s and not (len(s) == 15 and _GSTIN_SHAPE.fullmatch(s))][:3]
        examples = "; ".join(f"row {k + first_line}: {v!r}" for k, v in bad)
        raise RegisterError(
            f"{where}: column {used['stin']!r} (mapped to the supplier GSTIN) does not hold "
            f"GSTINs: {len(nonempty) - shaped} of {len(nonempty)} values are not 15-character "
            f"GSTINs ({examples}). Map the column that holds GSTINs with "
            f"{{\"stin\": \"<header>\"}}")

    # amounts ----------------------------------------------------------------------------
    n = len(keep)
    amounts: dict[str, np.ndarray] = {}
    for f in _AMOUNTS:
        if f not in cols:
            continue
        arr = np.zeros(n, dtype=np.int64)
        for j, c in enumerate(column(f)):
            if c is None or c == "":
                continue
            try:
                arr[j] = _paise(c)
            except AmountError:
                raise RegisterError(
                    f"{where}: row {keep[j] + first_line}, column {used[f]!r} ({FIELDS[f]}): "
                    f"{shown(c)} is not an amount") from None
        amounts[f] = arr
    for f in HEAD_KEYS:
        amounts.setdefault(f, np.zeros(n, dtype=np.int64))

    # dates ------------------------------------------------------------------------------
    dates = np.full(n, _NAT, dtype="datetime64[ns]")
    bad_dates: list[int] = []
    if "doc_date" in cols:
        cache: dict[object, np.datetime64 | None] = {}
        for j, c in enumerate(column("doc_date")):
            if c is None:
                continue
            key = (type(c), c)
            v = cache.get(key, False)
            if v is False:
                v = cache[key] = _parse_date(c)
            if v is None:
                bad_dates.append(keep[j] + first_line)
            else:
                dates[j] = v
    else:
        warnings.append(f"{where}: no document date column was found; dates are not compared")
    if bad_dates:
        warnings.append(f"{where}: {len(bad_dates)} date(s) in column {used['doc_date']!r} could "
                        f"not be read and were left empty: rows {_rows_list(bad_dates)}")

    # document kind ----------------------------------------------------------------------
    kinds: list[str]
    if "doc_type" in cols:
        kind_cache: dict[str, str | None] = {}
        unknown_words: dict[str, int] = {}
        kinds = []
        for j, t in enumerate(values["doc_type"]):
            if t not in kind_cache:
                kind_cache[t] = _doc_kind(t)
            kd = kind_cache[t]
            if kd is None:
                unknown_words.setdefault(t, keep[j] + first_line)
                kd = "invoice"
            kinds.append(kd)
        if unknown_words:
            warnings.append(
                f"{where}: document types not recognised, read as invoices: "
                + ", ".join(f"{w!r} (first on row {r})" for w, r in unknown_words.items()))
    else:
        kinds = ["invoice"] * n

    lines = pd.DataFrame({
        "_line": np.asarray(keep, dtype=np.int64) + first_line,
        "stin": stin,
        "tradenm": values.get("tradenm", [""] * n),
        "doc_kind": kinds,
        "doc_no": doc_no,
        "doc_date": dates,
        "pos": _cached(_pos, column("pos")) if "pos" in cols else [""] * n,
        "orig_doc_no": values.get("orig_doc_no", [""] * n),
        "_vch": values.get("voucher_no", [""] * n),
        **{f: amounts[f] for f in amounts},
    })

    # rows that are not documents: totals, unregistered suppliers ------------------------
    no_stin = lines["stin"] == ""
    if no_stin.any():
        skipped = lines.loc[no_stin & (lines["doc_no"] != ""), "_line"].tolist()
        if skipped:
            warnings.append(f"{where}: {len(skipped)} row(s) without a supplier GSTIN were left out "
                            f"(unregistered suppliers are not in the IMS): rows "
                            f"{_rows_list(skipped)}")
        lines = lines.loc[~no_stin]
    bad_gstin = lines.loc[~np.asarray(_cached(is_valid_gstin, lines["stin"].tolist()), dtype=bool),
                          "_line"].tolist()
    if bad_gstin:
        warnings.append(f"{where}: {len(bad_gstin)} supplier GSTIN(s) fail the GSTIN check and can "
                        f"only match at PAN level: rows {_rows_list(bad_gstin)}")
    no_number = lines.loc[lines["doc_no"] == "", "_line"].tolist()
    if no_number:
        warnings.append(f"{where}: {len(no_number)} row(s) have no document number: rows "
                        f"{_rows_list(no_number)}")
    for f, rws in numeric_rows.items():
        if rws:
            warnings.append(
                f"{where}: column {used[f]!r} held {len(rws)} number(s) instead of text (rows "
                f"{_rows_list(rws)}): leading zeros may have been lost; format the column as Text")

    books = _group_documents(lines, has_val="val" in cols, has_vch="voucher_no" in cols,
                             has_kind="doc_type" in cols, warnings=warnings, where=where)
    return RegisterResult(books=books, mapping=used, header_row=h + 1, warnings=warnings)


def _group_documents(lines: pd.DataFrame, *, has_val: bool, has_vch: bool, has_kind: bool,
                     warnings: list[str], where: str) -> pd.DataFrame:
    """Group line rows (one per tax rate or item) into documents.

    One document = same GSTIN + kind + number + date (+ the buyer's voucher number when the
    register has one). Without a voucher number, a group made of k identical copies of the
    same lines is k bookings of one invoice (a duplicate), not one document k times as large.
    """
    if lines.empty:
        return _empty_books()
    lines = lines.sort_values("_line", kind="stable").reset_index(drop=True)
    keys = ["stin", "doc_kind", "doc_no", "doc_date"] + (["_vch"] if has_vch else [])
    gid = lines.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    lines = lines.assign(_gid=gid)
    sig = ["_gid", *_AMOUNTS] if has_val else ["_gid", *HEAD_KEYS]
    if not has_vch:
        sig_n = lines.groupby(sig, sort=False)["_line"].transform("size")
        g_min = sig_n.groupby(lines["_gid"]).transform("min")
        g_max = sig_n.groupby(lines["_gid"]).transform("max")
        copies = (g_min == g_max) & (g_min >= 2)
        copy_idx = lines.groupby(sig, sort=False).cumcount().where(copies, 0)
        lines = lines.assign(_gid=lines.groupby(["_gid", copy_idx], sort=False).ngroup())
    g = lines.groupby("_gid", sort=False)
    first = g.first()  # first non-null per column; strings are never null here
    out = pd.DataFrame(index=first.index)
    out["books_row"] = g["_line"].min()
    size = g["_line"].size()
    src = lines["_line"].astype(str)
    multi = size[size > 1].index
    joined = pd.Series(out["books_row"].astype(str), index=out.index)
    if len(multi):
        m = lines["_gid"].isin(multi)
        joined.loc[multi] = src[m].groupby(lines.loc[m, "_gid"], sort=False).agg(",".join)
    out["source_rows"] = joined
    for c in ("stin", "doc_kind", "doc_no", "doc_date"):
        out[c] = first[c]
    for c in ("tradenm", "pos", "orig_doc_no"):
        nonblank = lines[c].where(lines[c] != "")
        out[c] = nonblank.groupby(lines["_gid"], sort=False).first().reindex(out.index).fillna("")
    sums = g[list(HEAD_KEYS)].sum()
    for c in HEAD_KEYS:
        out[c] = sums[c].astype("int64")
    heads = sums.sum(axis=1).astype("int64")
    if has_val:
        vsum = g["val"].sum()
        vmin, vmax = g["val"].min(), g["val"].max()
        # a value repeated on every line of a split document is the document's value once
        once = (size > 1) & (vmin == vmax) & ((vmin - heads).abs() < (vsum - heads).abs())
        out["val"] = vsum.where(~once, vmin).astype("int64")
    else:
        out["val"] = heads
    # notes are often typed as negative amounts; the IMS shows them positive
    neg = (out["txval"] + out["val"]) < 0
    if neg.any():
        for c in _AMOUNTS:
            out[c] = out[c].where(~neg, -out[c])
        if not has_kind:
            out["doc_kind"] = out["doc_kind"].where(~neg, "credit_note")
            warnings.append(f"{where}: {int(neg.sum())} document(s) with negative amounts were "
                            "read as credit notes (there is no document type column)")
    out = out.sort_values("books_row", kind="stable").reset_index(drop=True)
    out["books_row"] = out["books_row"].astype("int64")
    out["doc_date"] = out["doc_date"].astype("datetime64[ns]")
    for c in ("source_rows", "stin", "tradenm", "doc_kind", "doc_no", "pos", "orig_doc_no"):
        out[c] = out[c].astype(object)
    return out[list(BOOKS_COLUMNS)]


def _empty_books() -> pd.DataFrame:
    df = pd.DataFrame({c: pd.Series(dtype=object) for c in BOOKS_COLUMNS})
    df["books_row"] = df["books_row"].astype("int64")
    df["doc_date"] = df["doc_date"].astype("datetime64[ns]")
    for c in _AMOUNTS:
        df[c] = df[c].astype("int64")
    return df
