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

from ..gstin import STATE_CODES, is_valid_gstin
from ..money import AmountError, paise_from_cell, paise_from_decimal, parse_amount, shown

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
    "doc_type": "the supplier's document type (Invoice, Credit Note, Debit Note, C, D ...)",
    "voucher_type": "the books' voucher type (Purchase, Debit Note = purchase return ...)",
    "pos": "place of supply",
    "txval": "taxable value",
    "iamt": "integrated tax (IGST)",
    "camt": "central tax (CGST)",
    "samt": "state/UT tax (SGST/UTGST)",
    "cess": "cess",
    "val": "invoice / note value",
    "tax": "one combined tax amount (split into IGST or CGST + SGST)",
    "tax_name": "the tax name beside a combined tax amount (GST18, IGST18 ...)",
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
        "Tax Number 3", "Vendor Tax Number 3",
    ),
    "tradenm": (
        "Supplier Name", "Name of Supplier", "Trade/Legal Name", "Trade/Legal name of the Supplier",
        "Trade Name", "Legal Name", "Party Name", "Party A/c Name", "Vendor Name", "Supplier",
        "Party", "Vendor", "Particulars", "Ledger Name", "Account Name", "Name", "Name 1",
        "tradenm",
    ),
    "doc_no": (
        "Supplier Invoice No.", "Supplier Invoice No", "Supplier Invoice Number", "Supplier Inv No",
        "Supplier Bill No", "Vendor Invoice No", "Vendor Invoice Number", "Vendor Bill No",
        "Vendor Credit Number", "Vendor Credit No", "Supplier Credit Number",
        "Credit Note Number", "Credit Note No", "Debit Note Number", "Debit Note No",
        "Invoice No", "Invoice Number", "Invoice No.", "Inv No", "Bill No", "Bill Number",
        "Reference", "Reference Number", "Ref. No.", "Supplier Reference", "Vendor Reference",
        "Bill #", "Invoice #", "Invoice/Note Number", "Invoice/Note No", "Note/Refund Voucher Number",
        "Note Number", "Note No", "Credit/Debit Note No", "Credit/Debit Note Number",
        "Document Number", "Document No", "Doc No", "Doc Number", "Reference No", "Ref No",
        "Supplier Ref", "inum", "nt_num", "No.", "Num", "Vch/Bill No", "Vch/Bill No.",
    ),
    "doc_date": (
        "Supplier Invoice Date", "Supplier Bill Date", "Vendor Invoice Date", "Invoice Date",
        "Vendor Credit Date", "Credit Note Date", "Debit Note Date",
        "Inv Date", "Bill Date", "Invoice/Note Date", "Note/Refund Voucher Date", "Note Date",
        "Credit/Debit Note Date", "Document Date", "Doc Date", "Reference Date", "Ref Date",
        "Date", "Voucher Date", "Vch Date", "idt", "nt_dt",
    ),
    "doc_type": (
        "Document Type", "Doc Type", "Note Type", "Note type", "Type of Note",
        "Type of Note (Debit/Credit)", "Note Type (C/D)", "Transaction Type", "Credit/Debit",
        "Entry Type", "Type", "Typ", "Doc. Type", "Document type",
    ),
    "voucher_type": ("Voucher Type", "Vch Type", "Vch/Bill Type", "Voucher Type Name", "Vch. Type"),
    "pos": (
        "Place Of Supply", "Place of Supply (POS)", "POS", "Place of Supply State",
        "State of Supply", "Supply State", "pos",
    ),
    "txval": (
        "Taxable Value", "Taxable Amount", "Taxable Amt", "Taxable", "Assessable Value",
        "Taxable Val", "Value of Supply", "Tax Base Amount", "Tax Base Amt", "Tax Base",
        "Item Total", "Sub Total", "SubTotal", "txval",
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
        "Total", "Net Amount", "Net Amt", "Bill Amt", "Amount in LC", "Amount in Local Currency",
        "Amount in Doc. Curr.", "Amount", "val",
    ),
    "tax": ("Tax Amount", "Total Tax", "Total Tax Amount", "GST Amount", "Tax Amt", "Tax",
            "GST Amt", "Item Tax Amount"),
    "tax_name": ("Tax Name", "Tax Type", "GST Type", "Item Tax", "Tax Code", "Tax Category"),
    "orig_doc_no": (
        "Original Invoice Number", "Original Invoice No", "Original Document Number",
        "Original Note Number", "Original Invoice/Note Number", "Against Invoice No",
        "Original Inv No", "Ref Invoice No", "oinum", "ont_num",
    ),
    "voucher_no": ("Voucher No", "Voucher Number", "Vch No", "Vch No.", "Voucher No.",
                   "Bill ID", "Document No", "DocumentNo", "Doc. No.", "Document Number",
                   "Entry No", "Transaction ID"),
}

#: Fields without which no document can be matched.
_REQUIRED: tuple[str, ...] = ("stin", "doc_no")
#: Rows searched for the header (exports put titles, company and period lines on top).
_HEADER_SCAN_ROWS = 50
_IDENT_FIELDS = ("stin", "doc_no", "orig_doc_no", "voucher_no")


class RegisterError(ValueError):
    """The register cannot be used; the message names the file, sheet, row and column.

    ``kind`` is ``"no-header"`` or ``"no-rows"`` when the grid holds no register at all (a
    workbook's other sheets are then skipped, not refused), else ``""``.
    """

    def __init__(self, message: str, kind: str = "") -> None:
        super().__init__(message)
        self.kind = kind


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


_LOOKUP: dict[str, list[tuple[str, int]]] = {}
for _f, _syns in SYNONYMS.items():
    for _rank, _s in enumerate(_syns):
        _hits = _LOOKUP.setdefault(_norm_header(_s), [])
        if all(f != _f for f, _ in _hits):
            _hits.append((_f, _rank))


def _where(source: str, sheet: str | None) -> str:
    return f"{source}, sheet {sheet!r}" if sheet else source


def _is_blank(cell: object) -> bool:
    if cell is None:
        return True
    if isinstance(cell, float) and cell != cell:
        return True
    return isinstance(cell, str) and not cell.strip()


def _labels(rows: list[list[object]], r: int, two_rows: bool) -> list[list[str]]:
    """The candidate labels of each column of header row ``r``.

    One-row headers: the cell's text. Two-row headers (a CA firm's sheet, the GSTR-2B Excel):
    a group label in the row above, merged over its sub-columns (only its first cell holds
    the text), gives each sub-column ``"<group> <sub>"`` too (``Invoice`` + ``No.`` is
    ``Invoice No.``), and a column blank in row ``r`` under a label of its own (a cell merged
    down over both rows) takes that label.
    """
    row = rows[r]
    above = rows[r - 1] if two_rows and r > 0 else []
    width = max(len(row), len(above))
    out: list[list[str]] = []
    group = ""
    for i in range(width):
        sub = row[i] if i < len(row) else None
        up = above[i] if i < len(above) else None
        sub_t = sub.strip() if isinstance(sub, str) else ""
        up_t = up.strip() if isinstance(up, str) else ""
        if up_t:
            group = up_t
        elif not two_rows or not sub_t:
            group = ""
        cands: list[str] = []
        if sub_t:
            cands.append(sub_t)
            if sub_t[:3].lower() == "cf.":  # Zoho Books' custom fields: CF.Document Type
                cands.append(sub_t[3:].strip())
            if two_rows and group and group != sub_t:
                cands.append(f"{group} {sub_t}")
        elif two_rows and up_t:
            cands.append(up_t)
        out.append(cands)
    return out


def _auto_columns(labels: list[list[str]], taken: set[int]) -> dict[str, tuple[int, str]]:
    """(column index, label) per field recognised among the labels, the best synonym winning.

    Fields are served in the order of :data:`SYNONYMS`; a column serves one field, so a
    header that loses one field's contest (SAP's ``DocumentNo`` beside ``Reference``) can
    still serve the next (the internal voucher number).
    """
    hits: dict[str, list[tuple[int, int, str]]] = {}
    for i, cands in enumerate(labels):
        if i in taken:
            continue
        for label in cands:
            for f, rank in _LOOKUP.get(_norm_header(label), ()):
                hits.setdefault(f, []).append((rank, i, label))
    used: set[int] = set(taken)
    out: dict[str, tuple[int, str]] = {}
    for f in SYNONYMS:
        for rank, i, label in sorted(hits.get(f, ())):
            if i not in used:
                out[f] = (i, label)
                used.add(i)
                break
    return out


# Ledger-named amount columns (Tally's columnar registers): ``Purchase @ 18%``,
# ``Purchase - Interstate 12%``, ``Input CGST``, ``CGST Input @9%``, ``Cess on GST Input``.
_NOT_AMOUNT = re.compile(r"\b(no|num|number|date|order|type|ref|reference|voucher|vch|qty|quantity|"
                         r"rate|percent|percentage|itc|availed|eligib\w*|name|code|hsn|sac|gstin|"
                         r"uom|unit|account no|period|status)\b|%\s*$|^\W*%")
_LEDGER_HEADS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("cess", re.compile(r"\bcess\b")),
    ("iamt", re.compile(r"\bigst\b|\bintegrated tax\b")),
    ("camt", re.compile(r"\bcgst\b|\bcentral tax\b")),
    ("samt", re.compile(r"\b(sgst|utgst)\b|\bstate\s*/?\s*(ut)?\s*tax\b|\but tax\b")),
    ("txval", re.compile(r"\b(purchases?|taxable|assessable)\b")),
)
_RATE = re.compile(r"@?\s*\d+(?:\.\d+)?\s*%")


def _ledger_head(label: str) -> str | None:
    """The amount head a ledger-named column adds to, or None."""
    t = label.lower().replace("_", " ")
    if _NOT_AMOUNT.search(_RATE.sub(" ", t)):
        return None
    for head, pat in _LEDGER_HEADS:
        if pat.search(t):
            return head
    return None


@dataclass
class _Header:
    """A header row: where it is, the label of every column, and the columns per field."""

    row: int
    labels: list[str]
    cols: dict[str, list[int]]
    ledger: list[str] = field(default_factory=list)
    two: bool = False

    def label(self, i: int) -> str:
        return self.labels[i] if i < len(self.labels) else f"column {i + 1}"

    def named(self, f: str) -> str:
        return " + ".join(repr(self.label(i)) for i in self.cols[f])


def _header_at(rows: list[list[object]], r: int,
               wanted: dict[str, list[str]]) -> _Header | None:
    """The header at row ``r`` (one-row or two-row), or None when the row is not one."""
    if not any(isinstance(c, str) and c.strip() for c in rows[r]):
        return None
    for two in (False, True):
        if two and (r == 0 or not any(isinstance(c, str) and c.strip() for c in rows[r - 1])):
            continue
        labels = _labels(rows, r, two)
        cols: dict[str, list[int]] = {}
        if wanted:
            norm = [[_norm_header(c) for c in cands] for cands in labels]
            for f, heads in wanted.items():
                idx = [next((i for i, n in enumerate(norm) if h in n), -1) for h in heads]
                if -1 in idx:
                    cols = {}
                    break
                cols[f] = idx
            if not cols:
                continue
        taken = {i for ix in cols.values() for i in ix}
        for f, (i, _) in _auto_columns(labels, taken).items():
            if f not in cols:
                cols[f] = [i]
                taken.add(i)
        ledger: list[str] = []
        if not all(f in cols for f in _REQUIRED):
            continue
        # a document type column blank on some rows (QuickBooks' custom column beside its
        # Transaction Type) falls back to the next type column, row by row
        for i, cands in enumerate(labels):
            if i in taken or "doc_type" not in cols:
                continue
            if any(f == "doc_type" for c in cands for f, _ in _LOOKUP.get(_norm_header(c), ())):
                cols["doc_type"].append(i)
                taken.add(i)
        # ledger columns add to a head that no column of its own name holds
        extra: dict[str, list[int]] = {}
        for i, cands in enumerate(labels):
            if i in taken or not cands:
                continue
            head = _ledger_head(cands[-1])
            if head is not None and head not in cols:
                extra.setdefault(head, []).append(i)
        for head, ix in extra.items():
            cols[head] = ix
            ledger += [labels[i][-1] for i in ix]
        if not any(f in cols for f in (*_AMOUNTS, "tax")):
            continue
        flat = [(cands[-1] if cands else "") for cands in labels]
        return _Header(row=r, labels=flat, cols=cols, ledger=ledger, two=two)
    return None


def _find_header(rows: list[list[object]], where: str,
                 mapping: dict[str, list[str]] | None) -> _Header:
    """The first header row within :data:`_HEADER_SCAN_ROWS` rows, or a refusal."""
    scan = min(len(rows), _HEADER_SCAN_ROWS)
    wanted = {f: [_norm_header(h) for h in hs] for f, hs in (mapping or {}).items()}
    best_guess: tuple[int, int, int] | None = None  # (fields found, text cells, row index)
    for r in range(scan):
        found = _header_at(rows, r, wanted)
        if found is not None:
            return found
        row = rows[r]
        texts = sum(1 for c in row if isinstance(c, str) and c.strip())
        auto = _auto_columns(_labels(rows, r, False), set())
        if texts and (best_guess is None or (len(auto), texts) > best_guess[:2]):
            best_guess = (len(auto), texts, r)
    raise RegisterError(_no_header_message(rows, where, mapping, best_guess), "no-header")


def map_text(mapping: dict[str, list[str]]) -> str:
    """A mapping as the ``--map`` option takes it: ``doc_no=Bill No,txval=A+B``."""
    return ",".join(f"{f}={'+'.join(hs)}" for f, hs in mapping.items())


def _no_header_message(rows: list[list[object]], where: str, mapping: dict[str, list[str]] | None,
                       best_guess: tuple[int, int, int] | None) -> str:
    if mapping:
        head = (f"{where}: no row in the first {_HEADER_SCAN_ROWS} holds all the mapped headers "
                f"({map_text(mapping)}), together with a supplier GSTIN, a document number and an "
                "amount column.")
    else:
        head = (f"{where}: no header row found in the first {_HEADER_SCAN_ROWS} rows: a register "
                "needs columns for the supplier GSTIN, the document number and at least one "
                "amount.")
    if best_guess is None:
        return head + " No text headers were found at all."
    r = best_guess[2]
    row = rows[r]
    found = [str(c).strip() for c in row if isinstance(c, str) and c.strip()]
    auto = _auto_columns(_labels(rows, r, False), set())
    recognised = ", ".join(f"{f} <- {label!r}" for f, (_, label) in auto.items()) or "none"
    missing = [f for f in (*_REQUIRED, "txval") if f not in auto]
    wanted = ",".join(f"{f}=<header>" for f in missing) or "stin=<header>,doc_no=<header>"
    return (f"{head} Headers found (row {r + 1}): {', '.join(repr(h) for h in found[:30])}. "
            f"Recognised: {recognised}. Say which columns hold the rest: on the command line "
            f"--map \"{wanted}\" (fields: {', '.join(FIELDS)}), or on the review workbook's "
            f"'Books settings' sheet.")


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
            # Dr / Cr name the ledger side, not a sign: in a purchase register the purchase
            # and tax ledgers are debited for a bill and credited for a return alike
            return abs(_paise(m.group(1)))
        if s.endswith("-") and s[:1].isdigit():
            return -parse_amount(s[:-1])  # SAP and other ERPs print negatives as 16,825.05-
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
                "purchaseregister", "supplierinvoice", "vendorbill", "kr", "re"),
    "credit_note": ("creditnote", "credit", "c", "cn", "crnote", "cr", "creditmemo",
                    "vendorcredit", "vendorcredits", "suppliercreditnote", "b2bcn", "b2bcna",
                    "purchasereturn", "purchasereturns", "suppliercredit", "kg"),
    "debit_note": ("debitnote", "debit", "d", "dn", "drnote", "dr", "debitmemo",
                   "supplierdebitnote", "b2bdn", "b2bdna"),
}.items():
    for _w in _words:
        _KIND_WORDS[_w] = _kind


def _kind_of(w: str, table: dict[str, str], debit: str, credit: str) -> str | None:
    """A document kind from a type word (:func:`kind_word`): the table first, then the words
    it contains; ``debit``/``credit`` say what a word naming a debit/credit note means."""
    if not w:
        return "invoice"
    if w in table:
        return table[w]
    if "return" in w:
        return "credit_note"  # a purchase return is always the supplier's credit note
    if "debit" in w:
        return debit
    if "credit" in w:
        return credit
    if "purchase" in w or "invoice" in w or "bill" in w:
        return "invoice"
    return None


def _doc_kind(text: str) -> str | None:
    """``invoice``/``credit_note``/``debit_note`` from the supplier's document type word."""
    return _kind_of(kind_word(text), _KIND_WORDS, "debit_note", "credit_note")


#: How Tally and Busy book a supplier's documents (voucher type -> the supplier's document):
#: a supplier's credit note is entered as a Debit Note voucher (a purchase return), a
#: supplier's debit note as a Credit Note voucher. Firms that book otherwise say so with
#: ``--voucher-kind "Debit Note=debit_note"`` or the Books settings sheet.
VOUCHER_KINDS: dict[str, str] = {
    "purchase": "invoice", "purchases": "invoice", "purchaseinvoice": "invoice",
    "purchasebill": "invoice", "bill": "invoice", "journal": "invoice",
    "debitnote": "credit_note", "debit": "credit_note", "dn": "credit_note",
    "drnote": "credit_note", "purchasereturn": "credit_note", "purchasereturns": "credit_note",
    "creditnote": "debit_note", "credit": "debit_note", "cn": "debit_note", "crnote": "debit_note",
}
KIND_NAMES: dict[str, str] = {"invoice": "invoice", "invoices": "invoice", "bill": "invoice",
                              "creditnote": "credit_note", "credit": "credit_note",
                              "debitnote": "debit_note", "debit": "debit_note"}


def kind_word(text: str) -> str:
    """The key a voucher type is compared by (lower case, letters only)."""
    return re.sub(r"[^a-z]", "", str(text).lower())


def _voucher_kind(text: str, overrides: dict[str, str]) -> str | None:
    """The supplier's document kind from the books' voucher type (see :data:`VOUCHER_KINDS`)."""
    w = kind_word(text)
    return overrides[w] if w in overrides else _kind_of(w, VOUCHER_KINDS, "credit_note", "debit_note")


_STATE_BY_NAME = {re.sub(r"[^a-z]", "", n.lower()): c for c, n in STATE_CODES.items()}
# the two-letter state codes Zoho Books and other software print for the place of supply
_STATE_BY_ABBR = {
    "JK": "01", "HP": "02", "PB": "03", "CH": "04", "UK": "05", "UT": "05", "HR": "06",
    "DL": "07", "RJ": "08", "UP": "09", "BR": "10", "SK": "11", "AR": "12", "NL": "13",
    "MN": "14", "MZ": "15", "TR": "16", "ML": "17", "AS": "18", "WB": "19", "JH": "20",
    "OR": "21", "OD": "21", "CG": "22", "CT": "22", "MP": "23", "GJ": "24", "DD": "25",
    "DN": "26", "MH": "27", "KA": "29", "GA": "30", "LD": "31", "KL": "32", "TN": "33",
    "PY": "34", "AN": "35", "TS": "36", "TG": "36", "AP": "37", "LA": "38", "OT": "97",
}


def _pos(cell: object) -> str:
    """Two-digit place-of-supply code from ``27``, ``"27-Maharashtra"`` or ``"Maharashtra"``."""
    t = _text(cell)
    if not t:
        return ""
    m = re.match(r"\s*(\d{1,2})(?!\d)", t)
    if m:
        return f"{int(m.group(1)):02d}"
    abbr = t.strip().upper()
    if abbr in _STATE_BY_ABBR:
        return _STATE_BY_ABBR[abbr]
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


def parse_map(text: str) -> dict[str, list[str]]:
    """A column mapping from ``--map`` text: ``doc_no=Bill No,txval=Purchase 18%+Purchase 5%``.

    Fields are :data:`FIELDS`; ``+`` adds several columns into one amount head.

    Raises:
        RegisterError: a part without ``=``, an unknown field, or no header.
    """
    parts = re.split(r",\s*(?=(?:%s)\s*=)" % "|".join(FIELDS), str(text).strip())
    out: dict[str, list[str]] = {}
    for part in parts:
        if not part.strip():
            continue
        if "=" not in part:
            raise RegisterError(f"column mapping {part!r}: write field=header, such as "
                                f"doc_no=Bill No (fields: {', '.join(FIELDS)})")
        f, _, h = part.partition("=")
        f = f.strip().lower()
        heads = [x.strip() for x in h.split("+") if x.strip()]
        if f not in FIELDS:
            raise RegisterError(f"column mapping: unknown field {f!r}; fields are: {', '.join(FIELDS)}")
        if not heads:
            raise RegisterError(f"column mapping: no header given for {f!r}")
        out[f] = heads
    return out


def parse_voucher_kinds(text: str) -> dict[str, str]:
    """Voucher types -> the supplier's document: ``"Debit Note=debit_note,Rate Diff=invoice"``.

    Raises:
        RegisterError: a part without ``=`` or an unknown document kind.
    """
    out: dict[str, str] = {}
    for part in str(text).split(","):
        if not part.strip():
            continue
        v, _, k = part.partition("=")
        kind = KIND_NAMES.get(kind_word(k))
        if not kind_word(v) or kind is None:
            raise RegisterError(f"voucher kind {part.strip()!r}: write <voucher type>=<invoice, "
                                "credit_note or debit_note>, such as \"Debit Note=credit_note\"")
        out[kind_word(v)] = kind
    return out


def _as_lists(mapping: dict[str, str] | dict[str, list[str]] | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f, h in (mapping or {}).items():
        heads = [h] if isinstance(h, str) else list(h)
        heads = [str(x).strip() for x in heads if str(x).strip()]
        if heads:
            out[f] = heads
    return out


def read_register_grid(rows: list[list[object]], source: str, sheet: str | None = None,
                       mapping: dict[str, str] | dict[str, list[str]] | None = None, *,
                       voucher_kinds: dict[str, str] | None = None,
                       recipient_state: str = "") -> RegisterResult:
    """Read a purchase register grid into one row per document.

    Args:
        rows: the cells of the CSV or worksheet, top to bottom, as the shell read them.
        source: the file name, quoted in every message.
        sheet: the worksheet name (``None`` for a CSV).
        mapping: logical field -> header text (or several, added together for an amount
            head), for columns the synonyms do not find (fields: :data:`FIELDS`). Mapped
            headers win over synonyms.
        voucher_kinds: voucher type (:func:`kind_word` key) -> document kind, over
            :data:`VOUCHER_KINDS`.
        recipient_state: the recipient's state code; splits a combined tax column without a
            tax name into IGST (another state) or CGST + SGST (the same state).

    Returns:
        A :class:`RegisterResult`; ``books`` has the columns :data:`BOOKS_COLUMNS`.

    Raises:
        RegisterError: empty grid, no recognisable header row, a GSTIN column that holds
            names, text in an amount column, an unknown field in ``mapping``, or a read
            that looks wrong (no taxable value, taxes not read, internal sequence numbers
            for document numbers, every document negative with no document type).
    """
    where = _where(source, sheet)
    wanted = _as_lists(mapping)
    unknown = [k for k in wanted if k not in FIELDS]
    if unknown:
        raise RegisterError(f"{where}: unknown field(s) {unknown} in the column mapping; "
                            f"fields are: {', '.join(FIELDS)}")
    grid = [r if r is not None else [] for r in rows]
    if not any(not _is_blank(c) for r in grid for c in r):
        raise RegisterError(f"{where}: the register is empty (no cells with data)", "no-rows")
    first = _find_header(grid, where, wanted)
    blocks = [first, *_more_headers(grid, first, {f: [_norm_header(h) for h in hs]
                                                  for f, hs in wanted.items()})]
    warnings: list[str] = []
    parts: list[pd.DataFrame] = []
    flags = {"val": False, "voucher_no": False, "kind": False, "tax": False, "txval": False}
    for k, hdr in enumerate(blocks):
        end = blocks[k + 1].row - (1 if blocks[k + 1].two else 0) if k + 1 < len(blocks) \
            else len(grid)
        lines = _read_block(grid, hdr, end, where, warnings, voucher_kinds or {}, recipient_state)
        if lines is not None:
            parts.append(lines)
        flags["val"] |= "val" in hdr.cols
        flags["voucher_no"] |= "voucher_no" in hdr.cols
        flags["kind"] |= "doc_type" in hdr.cols or "voucher_type" in hdr.cols
        flags["tax"] |= any(f in hdr.cols for f in ("iamt", "camt", "samt", "tax"))
        flags["txval"] |= "txval" in hdr.cols
    if len(blocks) > 1:
        warnings.append(f"{where}: {len(blocks)} header rows (rows "
                        f"{', '.join(str(b.row + 1) for b in blocks)}): each starts a block read "
                        "with its own columns")
    if not parts:
        raise RegisterError(f"{where}: the header is on row {first.row + 1} but no data rows "
                            "follow it", "no-rows")
    lines = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    books = _group_documents(lines, has_val=flags["val"], has_vch=flags["voucher_no"],
                             has_kind=flags["kind"], warnings=warnings, where=where, header=first)
    _check_plausible(books, first, flags, where)
    used = {f: " + ".join(first.label(i) for i in ix) for f, ix in first.cols.items()}
    return RegisterResult(books=books, mapping=used, header_row=first.row + 1, warnings=warnings)


_SYN_CELLS = frozenset(s.strip().lower() for syns in SYNONYMS.values() for s in syns)


def _more_headers(grid: list[list[object]], first: _Header,
                  wanted: dict[str, list[str]]) -> list[_Header]:
    """Header rows further down: a page header repeated, or a second register (another
    sheet's, or another file's) stacked below the first on the Books sheet."""
    out: list[_Header] = []
    si = first.cols["stin"][0]
    r = first.row + 1
    while r < len(grid):
        row = grid[r]
        cell = row[si] if si < len(row) else None
        # a data row holds a GSTIN (or nothing) under the GSTIN header: skip it cheaply
        if isinstance(cell, str) and len(cell.strip()) == 15 and cell.strip()[:2].isdigit():
            r += 1
            continue
        hits = sum(1 for c in row if isinstance(c, str) and c.strip().lower() in _SYN_CELLS)
        if hits >= 1:
            h = _header_at(grid, r, {})
            if h is None and wanted:
                h = _header_at(grid, r, wanted)
            if h is None and r + 1 < len(grid):
                h2 = _header_at(grid, r + 1, {})
                if h2 is not None and h2.two:
                    h, r = h2, r + 1
            if h is not None:
                out.append(h)
        r += 1
    return out


def _unused(hdr: _Header) -> list[str]:
    taken = {i for ix in hdr.cols.values() for i in ix}
    return [lab for i, lab in enumerate(hdr.labels) if lab and i not in taken]


def _read_block(grid: list[list[object]], hdr: _Header, end: int, where: str, warnings: list[str],
                voucher_kinds: dict[str, str], recipient_state: str) -> pd.DataFrame | None:
    """The line rows of one block (header ``hdr``, data up to row ``end``), or None if empty."""
    cols = hdr.cols
    h = hdr.row
    first_line = h + 2  # 1-based file line of the first data row
    col_idx = sorted({i for ix in cols.values() for i in ix})
    width = col_idx[-1] + 1
    kept_rows: list[list[object]] = []
    keep: list[int] = []
    for k, row in enumerate(grid[h + 1:end]):
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
        return None
    kept_rows, keep, cont = _continuations(kept_rows, keep, cols)
    if not keep:
        return None
    if hdr.ledger:
        warnings.append(f"{where}: amounts added from ledger columns: "
                        + ", ".join(f"{FIELDS[f].split(' (')[0]} = {hdr.named(f)}"
                                    for f in HEAD_KEYS if f in cols and
                                    any(hdr.label(i) in hdr.ledger for i in cols[f])))

    def column(f: str, j: int = 0) -> list[object]:
        i = cols[f][j]
        return [r[i] for r in kept_rows]

    # identifiers ------------------------------------------------------------------------
    values: dict[str, list[str]] = {}
    numeric_rows: dict[str, list[int]] = {}
    for f in ("stin", "tradenm", "doc_no", "orig_doc_no", "voucher_no", "doc_type",
              "voucher_type", "tax_name"):
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
    label = {f: hdr.named(f) for f in cols}

    # a GSTIN column full of names: refuse rather than match nothing
    nonempty = [(k, s) for k, s in zip(keep, stin) if s]
    if not nonempty:
        raise RegisterError(f"{where}: column {label['stin']} (supplier GSTIN) is empty in every "
                            f"data row; map the GSTIN column with --map \"stin=<header>\"")
    shaped = sum(1 for _, s in nonempty if len(s) == 15 and _GSTIN_SHAPE.fullmatch(s))
    if shaped * 2 < len(nonempty):
        bad = [(k, values["stin"][j]) for j, (k, s) in enumerate(zip(keep, stin))
               if s and not (len(s) == 15 and _GSTIN_SHAPE.fullmatch(s))][:3]
        examples = "; ".join(f"row {k + first_line}: {v!r}" for k, v in bad)
        raise RegisterError(
            f"{where}: column {label['stin']} (mapped to the supplier GSTIN) does not hold "
            f"GSTINs: {len(nonempty) - shaped} of {len(nonempty)} values are not 15-character "
            f"GSTINs ({examples}). Map the column that holds GSTINs with --map \"stin=<header>\"")

    # amounts ----------------------------------------------------------------------------
    n = len(keep)
    amounts: dict[str, np.ndarray] = {}
    for f in (*_AMOUNTS, "tax"):
        if f not in cols:
            continue
        arr = np.zeros(n, dtype=np.int64)
        for j_col, i in enumerate(cols[f]):
            for j, c in enumerate(column(f, j_col)):
                if c is None or c == "":
                    continue
                try:
                    arr[j] += _paise(c)
                except AmountError:
                    raise RegisterError(
                        f"{where}: row {keep[j] + first_line}, column {hdr.label(i)!r} "
                        f"({FIELDS[f]}): {shown(c)} is not an amount") from None
        amounts[f] = arr
    if "tax" in amounts and not any(f in cols for f in ("iamt", "camt", "samt")):
        _split_tax(amounts, values.get("tax_name"), column("pos") if "pos" in cols else None,
                   recipient_state, [k + first_line for k in keep], where, label["tax"])
    amounts.pop("tax", None)
    for f in HEAD_KEYS:
        amounts.setdefault(f, np.zeros(n, dtype=np.int64))
    # an unlabelled line that adds up everything above it is a total, not a second rate
    tx = amounts["txval"]
    running = np.concatenate(([0], np.cumsum(tx)[:-1]))
    total = cont & (tx == running) & (np.arange(n) >= 2) & (tx != 0)

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
        warnings.append(f"{where}: {len(bad_dates)} date(s) in column {label['doc_date']} could "
                        f"not be read and were left empty: rows {_rows_list(bad_dates)}")

    # document kind: the supplier's document type wins over the books' voucher type, row by
    # row (a type column blank on a row falls back to the next one) ------------------------
    sources: list[tuple[str, list[str]]] = []
    for f in ("doc_type", "voucher_type"):
        for j_col in range(len(cols.get(f, ()))):
            texts = values[f] if j_col == 0 else [_text(c) for c in column(f, j_col)]
            # a type column that names the books' own vouchers (Purchase, Purchase Return:
            # Marg's TYPE) is a voucher type, whatever its header says
            voucher = f == "voucher_type" or any("purchase" in kind_word(t) for t in set(texts))
            sources.append(("voucher_type" if voucher else "doc_type", texts))
    # a number column named after one kind of note (Zoho's "Vendor Credit Number") says
    # what its rows are when no type column does
    named = kind_word(hdr.label(cols["doc_no"][0]))
    default = ("credit_note" if "credit" in named and "debit" not in named else
               "debit_note" if "debit" in named and "credit" not in named else "invoice")
    kinds = [default] * n
    if sources:
        kind_cache: dict[tuple[str, str], str | None] = {}
        unknown_words: dict[tuple[str, str], int] = {}
        for j in range(n):
            for f, texts in sources:
                t = texts[j]
                if not t:
                    continue
                key = (f, t)
                if key not in kind_cache:
                    kind_cache[key] = _doc_kind(t) if f == "doc_type" else _voucher_kind(t, voucher_kinds)
                kd = kind_cache[key]
                if kd is None:
                    unknown_words.setdefault(key, keep[j] + first_line)
                    kd = "invoice"
                kinds[j] = kd
                break
        if unknown_words:
            warnings.append(
                f"{where}: document or voucher types not recognised, read as invoices: "
                + ", ".join(f"{w!r} (first on row {r})" for (_, w), r in unknown_words.items())
                + " (map voucher types with --voucher-kind \"<type>=credit_note\")")
        notes = [f"{t!r} -> {KIND_LABEL[k]}" for (f, t), k in kind_cache.items()
                 if f == "voucher_type" and k and k != "invoice"]
        if notes:
            warnings.append(f"{where}: voucher types read as the supplier's documents: "
                            + ", ".join(notes))

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
        **{f: amounts[f] for f in _AMOUNTS if f in amounts},
    })
    if "val" not in lines:
        lines["val"] = np.zeros(n, dtype=np.int64)
    if total.any():
        lines = lines.loc[~total]

    # rows that are not documents: totals, unregistered suppliers ------------------------
    no_stin = lines["stin"] == ""
    if no_stin.any():
        skipped = lines.loc[no_stin & (lines["doc_no"] != "") & ~lines["doc_no"].str.lower()
                            .str.startswith("total"), "_line"].tolist()
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
                f"{where}: column {label[f]} held {len(rws)} number(s) instead of text (rows "
                f"{_rows_list(rws)}): leading zeros may have been lost (they are ignored when "
                "matching); format the column as Text")
    return lines


_NUMBERISH = re.compile(r"^[\s₹(]*[-+]?[\d,]*\.?\d*\)?\s*(?:-|%|dr\.?|cr\.?)?\s*$", re.IGNORECASE)
_IDENTITY = ("stin", "doc_no", "voucher_no", "doc_date", "tradenm")


def _labelled(row: list[object]) -> bool:
    """True when a row holds text that is not a number (a total's or group's label, a page
    footer), in any column."""
    return any(isinstance(c, str) and c.strip() and not _NUMBERISH.match(c) for c in row)


def _continuations(kept_rows: list[list[object]], keep: list[int], cols: dict[str, list[int]]
                   ) -> tuple[list[list[object]], list[int], np.ndarray]:
    """Rows without any identity (no GSTIN, number, voucher, date or name).

    An unlabelled one right below a document line is that document's next line (Marg and
    others print a second tax rate on a line of its own): it takes the identity of the line
    above. The others (totals, group headings, page footers) are not documents and are left
    out before their amounts are read. Returns the rows, their positions, and which are
    continuations.
    """
    ident = [cols[f][0] for f in _IDENTITY if f in cols]
    fill = sorted({i for f, ix in cols.items() if f not in (*_AMOUNTS, "tax", "tax_name") for i in ix})
    rows_out: list[list[object]] = []
    keep_out: list[int] = []
    cont: list[bool] = []
    prev_doc = False
    for row, k in zip(kept_rows, keep):
        blank = all(_is_blank(row[i]) for i in ident)
        if not blank:
            rows_out.append(row)
            keep_out.append(k)
            cont.append(False)
            prev_doc = True
            continue
        if prev_doc and keep_out and keep_out[-1] == k - 1 and not _labelled(row):
            row = list(row)
            above = rows_out[-1]
            for i in fill:
                if _is_blank(row[i]):
                    row[i] = above[i]
            rows_out.append(row)
            keep_out.append(k)
            cont.append(True)
            continue
        prev_doc = False
    return rows_out, keep_out, np.asarray(cont, dtype=bool)


KIND_LABEL = {"invoice": "invoice", "credit_note": "the supplier's credit note",
              "debit_note": "the supplier's debit note"}
_IGST_NAME = re.compile(r"igst|integrated|inter")
_GST_NAME = re.compile(r"gst|cgst|sgst|utgst|central|state")


_TAX_PART = re.compile(r"(igst|cgst|sgst|utgst|gst|cess)\s*@?\s*(\d+(?:\.\d+)?)")


def _tax_name(text: str) -> tuple[bool | None, int, int]:
    """(inter-state?, cess rate, all rates) from a tax name: ``IGST18``, ``GST18``,
    ``GST28 + CESS22`` (rates in hundredths of a per cent; 0, 0 when the name has none)."""
    w = text.lower()
    inter = True if _IGST_NAME.search(w) else False if _GST_NAME.search(w) else None
    cess = total = 0
    for head, rate in _TAX_PART.findall(w):
        r = int(round(float(rate) * 100))
        total += r
        if head == "cess":
            cess += r
    return inter, cess, total


def _split_tax(amounts: dict[str, np.ndarray], names: list[str] | None, pos: list[object] | None,
               recipient_state: str, lines: list[int], where: str, tax_label: str) -> None:
    """Split one combined tax column into IGST or CGST + SGST, line by line: by the tax name
    (``IGST18`` / ``GST18``; a cess named beside it, ``GST28 + CESS22``, takes its share of
    the rates), else by the place of supply against the recipient's state."""
    tax = amounts["tax"]
    n = len(tax)
    inter = np.zeros(n, dtype=bool)
    cess = np.zeros(n, dtype=np.int64)
    unknown: list[int] = []
    pos_codes = _cached(_pos, pos) if pos is not None else [""] * n
    name_cache: dict[str, tuple[bool | None, int, int]] = {}
    for j in range(n):
        if tax[j] == 0:
            continue
        decided: bool | None = None
        if names is not None:
            t = names[j]
            if t not in name_cache:
                name_cache[t] = _tax_name(t)
            decided, c_rate, all_rates = name_cache[t]
            if c_rate and all_rates:
                cess[j] = (int(tax[j]) * c_rate * 2 + all_rates) // (2 * all_rates)  # rounded
        if decided is None and pos_codes[j] and recipient_state:
            decided = pos_codes[j] != recipient_state
        if decided is None:
            unknown.append(lines[j])
            continue
        inter[j] = decided
    if unknown:
        raise RegisterError(
            f"{where}: column {tax_label} holds one tax amount, and nothing tells IGST from "
            f"CGST + SGST on rows {_rows_list(unknown)} (no tax name such as IGST18 / GST18, and "
            "no place of supply with a known recipient GSTIN): map the tax name column with "
            "--map \"tax_name=<header>\", or the tax heads with --map \"iamt=<header>,camt=<header>,"
            "samt=<header>\"")
    gst = tax - cess
    half = gst // 2
    amounts["iamt"] = np.where(inter, gst, 0).astype(np.int64)
    amounts["camt"] = np.where(inter, 0, gst - half).astype(np.int64)
    amounts["samt"] = np.where(inter, 0, half).astype(np.int64)
    if cess.any():
        amounts["cess"] = amounts.get("cess", np.zeros(n, dtype=np.int64)) + cess


def _check_plausible(books: pd.DataFrame, first: _Header, flags: dict[str, bool],
                     where: str) -> None:
    """Refuse a read that looks wrong, naming the suspect column and how to map it
    (a wrong read would make every suggestion wrong, quietly)."""
    if books.empty:
        return
    unused = _unused(first)
    spare = f" Columns not used: {', '.join(repr(u) for u in unused[:12])}." if unused else ""
    tx, val = books["txval"].to_numpy(), books["val"].to_numpy()
    taxes = books[["iamt", "camt", "samt", "cess"]].sum(axis=1).to_numpy()
    if not (tx != 0).any() and ((val != 0).any() or (taxes != 0).any()):
        what = (f"column {first.named('txval')} is zero or blank on every document"
                if "txval" in first.cols else "no taxable-value column was recognised")
        raise RegisterError(f"{where}: {what}, so every document would differ from the IMS.{spare} "
                            "Map the taxable value with --map \"txval=<header>\" (several "
                            "columns: \"txval=<header>+<header>\").")
    if not flags["tax"] and flags["val"]:
        gap = val - tx - taxes
        if (gap > np.maximum(tx // 200, 100)).mean() > 0.5:
            raise RegisterError(
                f"{where}: no tax column was recognised, yet the value exceeds the taxable value "
                f"on most documents: the taxes are in columns not read.{spare} Map them with "
                "--map \"iamt=<header>,camt=<header>,samt=<header>\" or one combined column with "
                "--map \"tax=<header>\".")
    nums = books["doc_no"].astype(str)
    if len(nums) >= 10 and nums.str.fullmatch(r"[0-9]{1,9}").all() and books["stin"].nunique() >= 3:
        v = np.sort(nums.astype(np.int64).unique())
        if len(v) == len(nums) and v[-1] - v[0] + 1 <= 1.5 * len(v):
            raise RegisterError(
                f"{where}: column {first.named('doc_no')} holds what look like the books' own "
                f"sequence numbers ({v[0]} to {v[-1]}, one run across "
                f"{books['stin'].nunique()} suppliers), not the suppliers' invoice numbers.{spare} "
                "Map the supplier's invoice number with --map \"doc_no=<header>\" (and the "
                "voucher number with \"voucher_no=<header>\").")


def _group_documents(lines: pd.DataFrame, *, has_val: bool, has_vch: bool, has_kind: bool,
                     warnings: list[str], where: str, header: _Header) -> pd.DataFrame:
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
        if has_val and copies.any():
            # identical item lines under a value that adds them all up (Zoho's bill total on
            # every line) are one document's items, not k bookings of one invoice
            heads = lines[list(HEAD_KEYS)].sum(axis=1)
            g_heads = heads.groupby(lines["_gid"]).transform("sum")
            val = lines["val"]
            items = (val - g_heads).abs() < (val - g_heads / g_min.clip(lower=1)).abs()
            copies = copies & ~items
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
    firsts = g[list(HEAD_KEYS)].first()
    for c in HEAD_KEYS:
        once = _repeated_total(g, c, size)
        out[c] = (firsts[c] if once else sums[c]).astype("int64")
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
    if not has_kind and len(out) >= 2 and neg.all():
        raise RegisterError(
            f"{where}: every document is negative and there is no document type column, so "
            "every one would be read as a credit note. If the register prints purchases as "
            "negative amounts, map its document or voucher type column with --map "
            "\"doc_type=<header>\" (or \"voucher_type=<header>\").")
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


def _repeated_total(g, c: str, size: pd.Series) -> bool:
    """True when column ``c`` repeats the document's total on each of its item lines (Zoho
    Books' bill export repeats SubTotal and Total on every line): it is the same on every
    line of every document of several lines, while another amount varies within one."""
    multi = size[size > 1].index
    if len(multi) < 2:
        return False
    lo, hi = g[c].min().loc[multi], g[c].max().loc[multi]
    if not (lo == hi).all() or not (lo != 0).any():
        return False
    others = [o for o in HEAD_KEYS if o != c]
    omin, omax = g[others].min().loc[multi], g[others].max().loc[multi]
    return bool((omin != omax).any().any())


def _empty_books() -> pd.DataFrame:
    df = pd.DataFrame({c: pd.Series(dtype=object) for c in BOOKS_COLUMNS})
    df["books_row"] = df["books_row"].astype("int64")
    df["doc_date"] = df["doc_date"].astype("datetime64[ns]")
    for c in _AMOUNTS:
        df[c] = df[c].astype("int64")
    return df
