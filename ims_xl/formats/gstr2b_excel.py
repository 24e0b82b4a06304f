"""Reading the portal's GSTR-2B Excel download (Returns > GSTR-2B > Download Excel).

The workbook, as public descriptions show it (tests/gstr2b_excel/README.md names them):

* ``Read me``: the title, then *Financial Year*, *Tax Period* (a month name), *GSTIN*,
  *Legal Name*, *Trade Name (if any)*, *Date of generation* (``dd/mm/yyyy``), each label
  followed by its value in the same row; then the field instructions;
* summaries ``ITC Available``, ``ITC not available``, ``ITC Reversal``, ``ITC Rejected``
  (not read: the documents are);
* one sheet per GSTR-2B section: ``B2B``, ``B2BA``, ``B2B-CDNR``, ``B2B-CDNRA``, ``ECO``,
  ``ECOA``, ``ISD``, ``ISDA``, ``IMPG``, ``IMPGA``, ``IMPGSEZ``, ``IMPGSEZA``; the documents
  rejected in IMS on ``B2B(Rejected)`` ... ``ISDA(Rejected)`` (part :data:`REJECTED`);
  ``B2B (ITC Reversal)``, ``B2BA (ITC Reversal)``, ``B2B-DNR``, ``B2B-DNRA`` are not read
  (a warning counts their rows).

A document sheet has title rows, then two header rows (three on the amendment sheets, whose
top row groups *Original Details* and *Revised Details*) with merged group cells (*Invoice
Details*, *Tax Amount*, *Bill of Entry Details* ...), then one row per document. The header
is found by its labels, each column named by its own label and its group labels (case,
spaces, line breaks and ``(₹)`` ignored). Since IMS, ``B2BA``, ``B2B-CDNR``, ``B2B-CDNRA``
and ``ECOA`` carry a second block of tax columns with the same labels under *Amount declared
by taxpayer for ITC reduction*: its group label tells it apart and it is never read as the
document's tax. Older layouts with a ``Rate(%)`` column list a document once per rate: those
rows are added up into one document.

Cells: amounts as numbers (floats from Excel, rounded to exact paise) or numeric text with
grouping commas; dates as Excel dates or ``dd/mm/yyyy`` / ``dd-mm-yyyy`` text, returned as
``dd-mm-yyyy``; *Supply Attract Reverse Charge* and *ITC Availability* Yes/No (or Y/N); the
*Reason* text mapped to the JSON's codes (P, C) where known, else kept; *Note type* Credit
Note / Debit Note; the ISD document type Invoice / Credit Note; the place of supply as a
state name or code, returned as the two-digit code; the supplier's return period (``Oct'25``)
as ``MMYYYY``.

Each row becomes the document the JSON would hold, and the statement is built by
:func:`gstr2b.parse_gstr2b` itself, so ``docs`` has the JSON reader's columns, signs, parts,
IMS sections and keys; ``where`` names the sheet and row. Refused in one line naming the
file, sheet, row and column: a workbook that is not a GSTR-2B Excel (an IMS workbook is named
as such), a document sheet with rows but without a required column, an amount that is not
one, a date that is not one, a Yes/No or note type that is neither, a row without a
document number or supplier GSTIN.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

import pandas as pd

from ..errors import InputError
from ..model import col_letter
from ..money import AmountError, format_inr, paise_from_cell, paise_from_decimal, parse_amount, shown
from .gstr2b import SECTIONS_2B, Gstr2b, parse_gstr2b
from .register.cells import _ident, _parse_date, _pos

#: Normalised sheet name -> GSTR-2B section (``-``/``_`` alike, spaces and case ignored).
SHEET_SECTIONS: dict[str, str] = {
    "B2B": "b2b", "B2BA": "b2ba", "B2B-CDNR": "cdnr", "B2B-CDNRA": "cdnra",
    "ECO": "ecom", "ECOA": "ecoma", "ECOM": "ecom", "ECOMA": "ecoma", "ECOMM": "ecom", "ECOMMA": "ecoma",
    "ISD": "isd", "ISDA": "isda", "IMPG": "impg", "IMPGA": "impga",
    "IMPGSEZ": "impgsez", "IMPGSEZA": "impgasez", "IMPGASEZ": "impgasez",
}
#: Sheets of documents ims-xl does not work with (the ITC reversal part): rows are counted.
SHEETS_NOT_READ: frozenset[str] = frozenset({"B2B(ITCREVERSAL)", "B2BA(ITCREVERSAL)", "B2B-DNR", "B2B-DNRA"})
#: The summary sheets of a GSTR-2B Excel.
SUMMARY_SHEETS: frozenset[str] = frozenset({"ITCAVAILABLE", "ITCNOTAVAILABLE", "ITCREVERSAL", "ITCREJECTED"})
#: Sheets only an IMS workbook has (the portal's IMS download, an ims-xl review workbook).
_IMS_SHEETS: frozenset[str] = frozenset({"B2B-CN", "B2B-DN", "B2B-CNA", "B2B-DNA", "_IMS_DATA", "_IMS_META"})
_DOWNLOAD = "GST portal: Returns > GSTR-2B > Download Excel"

#: Column labels (normalised by :func:`_norm`) per field. ``number``/``date`` alone count
#: only under a *Bill of Entry* group; a label ending in *(Original)* / *(Original details)*
#: or under an *Original Details* group is the amended document's original number or date.
LABELS: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in {
    "stin": ("gstin of supplier", "gstin of isd", "gstin of eco", "gstin of e commerce operator",
             "supplier gstin", "gstin uin of supplier", "gstin of the supplier", "ctin"),
    "trdnm": ("trade legal name", "trade legal name of the isd", "trade legal name of isd",
              "trade legal name of supplier", "trade name", "legal name", "supplier name"),
    "number": ("invoice number", "note number", "document number", "isd document number",
               "bill of entry number", "boe number", "credit note debit note number", "debit credit note number"),
    "date": ("invoice date", "note date", "document date", "isd document date", "bill of entry date",
             "boe date", "credit note debit note date", "debit credit note date"),
    "type": ("note type", "isd document type", "document type"),
    "val": ("invoice value", "note value", "document value", "isd document value"),
    "pos": ("place of supply", "pos", "place of supply pos"),
    "rev": ("supply attract reverse charge", "supply attracts reverse charge", "reverse charge"),
    "txval": ("taxable value",),
    "igst": ("integrated tax", "igst", "integrated tax amount"),
    "cgst": ("central tax", "cgst", "central tax amount"),
    "sgst": ("state ut tax", "sgst", "state ut tax amount", "sgst utgst"),
    "cess": ("cess", "cess amount"),
    "itcavl": ("itc availability", "itc available", "eligibility of itc", "eligibilty of itc", "itc eligibility"),
    "rsn": ("reason",),
    "diffprcnt": ("applicable of tax rate",),
    "rate": ("rate", "rate of tax", "tax rate"),
}.items()}
_PERIOD = re.compile(r"(isd )?gstr\b.*\bperiod")
_FILED = re.compile(r"(isd )?gstr\b.*\bfil+ing date")
_ORIGINAL = re.compile(r"(.*?)\s*original(?: details)?")
#: What a field is called in a message.
_SHOWN = {"stin": "GSTIN of supplier", "number": "document number", "type": "Note type / ISD Document type",
          "igst": "Integrated Tax", "cgst": "Central Tax", "sgst": "State/UT Tax", "cess": "Cess",
          "itcavl": "ITC Availability (or Eligibility of ITC)"}
_HEADS = ("txval", "igst", "cgst", "sgst", "cess")


def _norm(value: object) -> str:
    """A label compared by its words: lower case, ``₹``/``(Rs.)`` and punctuation dropped."""
    t = str(value).lower().replace("\u20b9", " ")
    t = re.sub(r"\((?:in\s*)?(?:rs\.?|inr|rupees)\)", " ", t)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", t).split())


def _sheet_key(name: str) -> str:
    return re.sub(r"\s+", "", str(name)).upper().replace("_", "-")


def _rejected(key: str) -> str | None:
    """The section sheet a ``...(Rejected)`` / ``...-Rejected`` name stands for, else None."""
    m = re.fullmatch(r"(.+?)[-(]*REJECTED\)?", key)
    return m.group(1) if m else None


def _empty(v: object) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and v != v)


def _is_value(v: object) -> bool:
    """A number or a date: something a header row never holds."""
    return isinstance(v, (int, float, Decimal, _dt.date)) and not isinstance(v, bool) and not _empty(v)


def _known(v: object) -> bool:
    if not isinstance(v, str):
        return False
    n = _norm(v)
    return any(n in labels for f, labels in LABELS.items() if f != "rate") or bool(
        _PERIOD.fullmatch(n) or _FILED.fullmatch(n))


@dataclass(frozen=True)
class _Layout:
    """Where a sheet's header is (0-based rows) and which column holds which field."""

    top: int
    leaf: int
    fields: dict[str, int]
    labels: dict[int, str]
    clashes: tuple[tuple[str, int, int], ...]


def _classify(leaf: str, parents: tuple[str, ...]) -> str | None:
    if any(w in p for p in parents for w in ("reduc", "revers", "declared")):
        return None  # IMS: the ITC the recipient declared to reduce or reverse, not the tax
    orig = any(p.startswith("original") for p in parents)
    m = _ORIGINAL.fullmatch(leaf)
    if m and m.group(1):
        leaf, orig = m.group(1), True
    if leaf in ("number", "date") and any("bill of entry" in p or "boe" in p.split() for p in parents):
        field: str | None = leaf
    else:
        field = next((f for f, labels in LABELS.items() if leaf in labels), None)
        if field is None and _PERIOD.fullmatch(leaf):
            field = "supprd"
        elif field is None and _FILED.fullmatch(leaf):
            field = "supfildt"
    if orig:
        return {"number": "orig_number", "date": "orig_date"}.get(field or "")
    return field


def _layout(grid: list[list[object]]) -> _Layout | None:
    """The header rows (found by their labels) and the field of each column, or None."""
    limit = min(len(grid), 40)
    for r in range(limit):
        row = grid[r]
        if any(_is_value(v) for v in row) or sum(_known(v) for v in row) < 2:
            continue
        leaf = r
        while (leaf + 1 < len(grid) and not any(_is_value(v) for v in grid[leaf + 1])
               and any(_known(v) for v in grid[leaf + 1])):
            leaf += 1
        top = r
        # a group row above (Original Details / Revised Details) has 2+ labels; a title has 1
        while top > max(r - 2, 0) and not any(_is_value(v) for v in grid[top - 1]) and sum(
                isinstance(v, str) and bool(v.strip()) for v in grid[top - 1]) >= 2:
            top -= 1
        return _map_columns(grid, top, leaf)
    return None


def _map_columns(grid: list[list[object]], top: int, leaf: int) -> _Layout:
    width = max(len(grid[r]) for r in range(top, leaf + 1))
    band = [list(grid[r]) + [None] * (width - len(grid[r])) for r in range(top, leaf + 1)]
    filled = []  # each header row with a group label carried right across its merged cells
    for row in band:
        last, out = "", []
        for v in row:
            last = last if _empty(v) else str(v)
            out.append(last)
        filled.append(out)
    fields: dict[str, int] = {}
    labels: dict[int, str] = {}
    clashes: list[tuple[str, int, int]] = []
    for c in range(width):
        at = next((i for i in range(len(band) - 1, -1, -1) if not _empty(band[i][c])), None)
        if at is None:
            continue
        text = " ".join(str(band[at][c]).split())
        labels[c] = text
        parents = tuple(_norm(filled[i][c]) for i in range(at) if filled[i][c])
        field = _classify(_norm(text), parents)
        if field is None:
            continue
        if field in fields:
            clashes.append((field, fields[field], c))
            continue
        fields[field] = c
    return _Layout(top, leaf, fields, labels, tuple(clashes))


def _has_title(grid: list[list[object]]) -> bool:
    for row in grid[:8]:
        for v in row[:12]:
            if isinstance(v, str) and re.search(r"gstr ?2b", _norm(v)):
                return True
    return False


# --------------------------------------------------------------------------- cells


@dataclass(frozen=True)
class _Place:
    source: str
    sheet: str
    row: int  # 1-based

    def at(self, col: int | None = None, label: str = "") -> str:
        where = f"{self.source}: sheet '{self.sheet}', row {self.row}"
        return where if col is None else f"{where}, column {col_letter(col)}" + (f" ({label})" if label else "")


_FIX = f"correct the cell, or download GSTR-2B again ({_DOWNLOAD}) or use the GSTR-2B JSON"


def _text(v: object) -> str:
    return "" if _empty(v) else _ident(v)[0].strip()


def _paise(v: object, at: str) -> int:
    if _empty(v):
        return 0
    try:
        if isinstance(v, bool):
            raise AmountError(f"{shown(v)} is not an amount")
        if isinstance(v, (int, float)):
            return paise_from_cell(v)
        if isinstance(v, Decimal):
            return paise_from_decimal(v)
        if isinstance(v, str):
            return parse_amount(v)
        raise AmountError(f"{shown(v)} is not an amount")
    except AmountError as exc:
        raise InputError(f"{at}: {exc}; {_FIX}") from None


def _date(v: object, at: str) -> str:
    if _empty(v):
        return ""
    d = _parse_date(v.strip() if isinstance(v, str) else v)
    if d is None or pd.isna(d):
        raise InputError(f"{at}: {shown(v)} is not a date (dd-mm-yyyy); {_FIX}")
    return pd.Timestamp(d).strftime("%d-%m-%Y")


def _yes_no(v: object, at: str) -> str:
    """``Y``/``N`` from Yes/No/Y/N, ``""`` for a blank cell."""
    t = _norm(_text(v))
    if t in ("y", "yes"):
        return "Y"
    if t in ("n", "no"):
        return "N"
    if not t:
        return ""
    raise InputError(f"{at}: {shown(v)} is not Yes or No; {_FIX}")


def _note_type(v: object, at: str) -> str:
    """``C`` for a credit note (ISD credit note), ``D`` for a debit note (ISD invoice)."""
    t = _norm(_text(v))
    if t in ("c", "cr", "isdc") or "credit" in t:
        return "C"
    if t in ("d", "dr", "isdi", "i") or "debit" in t or "invoice" in t:
        return "D"
    said = "is empty" if not t else f"{shown(v)} is neither a credit note nor a debit note / invoice"
    raise InputError(f"{at}: the note type {said}; {_FIX}")


def _reason(v: object) -> str:
    """The JSON's reason code for the texts the portal shows, else the text as it is."""
    t = _text(v)
    n = _norm(t)
    if n in ("p", "c"):
        return n.upper()
    if "pos" in n.split() and "recipient" in n:
        return "P"  # POS and supplier state are same but recipient state is different
    if "cut off" in n or "cutoff" in n:
        return "C"  # return filed post annual cut-off date
    return t


def _diffprcnt(v: object, at: str) -> Decimal | None:
    """The JSON's ``diffprcnt`` (0.65, 1) from ``65%``, ``0.65`` or ``65``; None when blank."""
    if _empty(v):
        return None
    t = _text(v).replace("%", "").strip() if isinstance(v, str) else v
    try:
        x = Decimal(str(t))
    except InvalidOperation:
        raise InputError(f"{at}: {shown(v)} is not a percentage; {_FIX}") from None
    if not x.is_finite():
        raise InputError(f"{at}: {shown(v)} is not a percentage; {_FIX}")
    if x > 1 or (isinstance(v, str) and "%" in v):
        x = x / 100
    return x.normalize()


_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
                "october", "november", "december")


def _month(word: str) -> int | None:
    """1-12 for a month's name or its abbreviation (``Oct``, ``Sept``, ``October``)."""
    w = word.strip().lower().rstrip(".")
    return next((i + 1 for i, m in enumerate(_MONTH_NAMES) if len(w) >= 3 and m.startswith(w)), None)


def _return_period(v: object) -> str:
    """``MMYYYY`` from ``Oct'25``, ``October 2025``, ``10-2025``, ``102025`` or a date; other
    text as it is."""
    if isinstance(v, _dt.date):
        return f"{v.month:02d}{v.year}"
    t = _text(v)
    if re.fullmatch(r"\d{6}", t):
        return t
    m = re.fullmatch(r"([A-Za-z]{3,9})\W*(\d{4}|\d{2})", t)
    if m and _month(m.group(1)):
        y = int(m.group(2))
        return f"{_month(m.group(1)):02d}{y + 2000 if y < 100 else y}"
    m = re.fullmatch(r"(\d{1,2})[-/ ](\d{4})", t)
    if m and 1 <= int(m.group(1)) <= 12:
        return f"{int(m.group(1)):02d}{m.group(2)}"
    return t


def _place_of_supply(v: object) -> str:
    t = _text(v)
    return (_pos(t) or t) if t else ""


# --------------------------------------------------------------------------- sheets


def _doc_sheets(sheets: dict[str, list[list[object]]]) -> list[tuple[str, str, bool]]:
    """``(sheet name, section, rejected)`` for each document sheet, in workbook order."""
    out = []
    for name in sheets:
        key = _sheet_key(name)
        base = _rejected(key)
        if key in SHEET_SECTIONS:
            out.append((name, SHEET_SECTIONS[key], False))
        elif base is not None and base in SHEET_SECTIONS:
            out.append((name, SHEET_SECTIONS[base], True))
    return out


def _required(sec: str, rejected: bool) -> tuple[str, ...]:
    kind = SECTIONS_2B[sec][0]
    heads = ("igst", "cess") if kind == "boe" else ("igst", "cgst", "sgst", "cess")
    need = ("number", *heads)
    if sec not in ("impg", "impga"):
        need = ("stin", *need)
    if kind in ("note", "isd"):
        need += ("type",)
    if not rejected and kind != "boe":
        need += ("itcavl",)
    return need


def _rows(grid: list[list[object]], lay: _Layout) -> list[tuple[int, list[object]]]:
    """The rows below the header holding anything in a mapped column (0-based index, cells)."""
    cols = set(lay.fields.values())
    return [(r, grid[r]) for r in range(lay.leaf + 1, len(grid))
            if any(c < len(grid[r]) and not _empty(grid[r][c]) for c in cols)]


def _read_row(cells: list[object], lay: _Layout, kind: str, place: _Place) -> dict:
    """One row as the fields of a document (amounts in paise; absent columns absent)."""
    def cell(f: str) -> object:
        c = lay.fields[f]
        return cells[c] if c < len(cells) else None

    def at(f: str) -> str:
        return place.at(lay.fields[f], lay.labels.get(lay.fields[f], ""))

    row: dict = {"loc": place.at(), "row": place.row}
    number, numeric = ("", False) if _empty(cell("number")) else _ident(cell("number"))
    row["number"], row["numeric"] = number.strip(), numeric and kind != "boe"
    if not row["number"]:
        raise InputError(f"{at('number')}: the document number is empty; {_FIX}")
    if "stin" in lay.fields:
        row["stin"] = _text(cell("stin")).upper()
        if not row["stin"]:
            raise InputError(f"{at('stin')}: the GSTIN is empty; {_FIX}")
    for f in ("trdnm", "orig_number"):
        if f in lay.fields:
            row[f] = _text(cell(f))
    for f in ("date", "orig_date", "supfildt"):
        if f in lay.fields:
            row[f] = _date(cell(f), at(f))
    for f in ("val", *_HEADS):
        if f in lay.fields:
            row[f] = _paise(cell(f), at(f))
    if "type" in lay.fields and kind in ("note", "isd"):
        row["type"] = _note_type(cell("type"), at("type"))
    if "rev" in lay.fields:
        row["rev"] = _yes_no(cell("rev"), at("rev")) or "N"
    if "itcavl" in lay.fields:
        row["itcavl"] = _yes_no(cell("itcavl"), at("itcavl"))
        if not row["itcavl"]:
            raise InputError(f"{at('itcavl')}: empty; GSTR-2B says Yes or No for every document; {_FIX}")
    if "rsn" in lay.fields:
        row["rsn"] = _reason(cell("rsn"))
    if "diffprcnt" in lay.fields:
        row["diffprcnt"] = _diffprcnt(cell("diffprcnt"), at("diffprcnt"))
    if "pos" in lay.fields:
        row["pos"] = _place_of_supply(cell("pos"))
    if "supprd" in lay.fields:
        row["supprd"] = _return_period(cell("supprd"))
    return row


def _merge_rates(rows: list[dict], source: str, sheet: str) -> list[dict]:
    """A layout with a Rate column lists a document once per rate: one document per
    (GSTIN, number, date, type), its taxable value and taxes added up."""
    out: dict[tuple, dict] = {}
    for r in rows:
        k = (r.get("stin", ""), r["number"], r.get("date", ""), r.get("type", ""))
        if k not in out:
            out[k] = dict(r, rows=[r["row"]])
            continue
        m = out[k]
        if m.get("val", 0) != r.get("val", 0):
            raise InputError(f"{source}: sheet '{sheet}', rows {m['row']} and {r['row']}: document "
                             f"{r['number']} shows the values {format_inr(m.get('val', 0))} and "
                             f"{format_inr(r.get('val', 0))}; one document has one value: {_FIX}")
        for h in _HEADS:
            if h in r:
                m[h] = m.get(h, 0) + r[h]
        m["rows"].append(r["row"])
    for m in out.values():
        if len(m["rows"]) > 1:
            m["loc"] = f"{source}: sheet '{sheet}', rows {', '.join(str(x) for x in m['rows'])}"
    return list(out.values())


def _rupees(paise: int) -> Decimal:
    return Decimal(paise).scaleb(-2)


#: JSON keys of the document's number, date, original number and original date, per kind.
_KEYS = {"invoice": ("inum", "dt", "oinum", "oidt"), "note": ("ntnum", "dt", "ontnum", "ontdt"),
         "isd": ("docnum", "docdt", "odocnum", "odocdt"), "boe": ("boenum", "boedt", "oboenum", "oboedt")}
_AMOUNT_KEYS = {"val": "val", "txval": "txval", "igst": "igst", "cgst": "cgst", "sgst": "sgst", "cess": "cess"}


def _entry(row: dict, sec: str) -> dict:
    """The GSTR-2B JSON entry (supplier with its one document) the row stands for."""
    kind, list_key = SECTIONS_2B[sec]
    num_k, date_k, onum_k, odate_k = _KEYS[kind]
    doc: dict = {num_k: row["number"], date_k: row.get("date", ""),
                 onum_k: row.get("orig_number", ""), odate_k: row.get("orig_date", "")}
    for f, k in _AMOUNT_KEYS.items():
        if f in row:
            doc[k] = _rupees(row[f])
    for f in ("pos", "rev", "rsn"):
        if f in row:
            doc[f] = row[f]
    if row.get("diffprcnt") is not None:
        doc["diffprcnt"] = row["diffprcnt"]
    if kind == "note":
        doc["typ"] = row["type"]
    if kind == "isd":
        doc["doctyp"] = "ISDC" if row["type"] == "C" else "ISDI"
    if "itcavl" in row:
        doc["itcelg" if kind == "isd" else "itcavl"] = row["itcavl"]
    supplier = {"ctin": row.get("stin", ""), "trdnm": row.get("trdnm", ""),
                "supprd": row.get("supprd", ""), "supfildt": row.get("supfildt", "")}
    if not list_key:
        return {**doc, **{k: v for k, v in supplier.items() if v}}  # a bill of entry itself
    return {**supplier, list_key: [doc]}


def _read_sheet(grid: list[list[object]], lay: _Layout, sec: str, rejected: bool, name: str,
                source: str) -> tuple[list[dict], list[str]]:
    kind = SECTIONS_2B[sec][0]
    data = _rows(grid, lay)
    if not data:
        return [], []
    if lay.clashes:
        f, a, b = lay.clashes[0]
        raise InputError(f"{source}: sheet '{name}', row {lay.leaf + 1}: columns {col_letter(a)} "
                         f"({lay.labels[a]}) and {col_letter(b)} ({lay.labels[b]}) both read as "
                         f"{_SHOWN.get(f, f)}; ims-xl cannot tell which is the document's: "
                         f"download GSTR-2B again ({_DOWNLOAD}) or use the GSTR-2B JSON")
    for f in _required(sec, rejected):
        if f not in lay.fields:
            raise InputError(f"{source}: sheet '{name}', row {lay.leaf + 1}: no column "
                             f"'{_SHOWN.get(f, f)}' in the header (rows {lay.top + 1}-{lay.leaf + 1}) "
                             f"though the sheet has {len(data):,} row(s); this is not the portal's "
                             f"GSTR-2B layout: download it again ({_DOWNLOAD}) or use the GSTR-2B JSON")
    rows = [_read_row(cells, lay, kind, _Place(source, name, r + 1)) for r, cells in data]
    if "rate" in lay.fields:
        rows = _merge_rates(rows, source, name)
    warnings = []
    numeric = [r["row"] for r in rows if r["numeric"]]
    if numeric:
        warnings.append(f"{source}: sheet '{name}': {len(numeric):,} document number(s) arrived as numbers "
                        f"(row {', '.join(str(x) for x in numeric[:5])}{' ...' if len(numeric) > 5 else ''}); "
                        "leading zeros may have been lost: compare them with the GSTR-2B JSON")
    return rows, warnings


def _count_rows(grid: list[list[object]]) -> int:
    lay = _layout(grid)
    if lay is not None:
        return len(_rows(grid, lay))
    return sum(any(_is_value(v) for v in row) for row in grid)


# --------------------------------------------------------------------------- header facts


def _facts(grid: list[list[object]], source: str, sheet: str) -> tuple[str, str, str, list[str]]:
    """GSTIN, period (MMYYYY) and generation date (dd-mm-yyyy) the Read me states."""
    found: dict[str, tuple[object, int, int]] = {}
    for r, row in enumerate(grid[:30]):
        cells = [(c, v) for c, v in enumerate(row) if not _empty(v)]
        for i, (_, v) in enumerate(cells[:-1]):
            key = _norm(v) if isinstance(v, str) else ""
            if key in ("financial year", "tax period", "gstin", "date of generation") and key not in found:
                found[key] = (cells[i + 1][1], r + 1, cells[i + 1][0])
    warnings: list[str] = []
    gstin = _text(found["gstin"][0]).upper() if "gstin" in found else ""
    generated = ""
    if "date of generation" in found:
        v, r, c = found["date of generation"]
        generated = _date(v, _Place(source, sheet, r).at(c, "Date of generation"))
    period = ""
    if "tax period" in found:
        tp = found["tax period"][0]
        fy = re.search(r"(\d{4})", _text(found.get("financial year", ("",))[0]))
        p = _return_period(tp)
        m = _month(_text(tp)) if re.fullmatch(r"[A-Za-z]+", _text(tp)) else None
        if re.fullmatch(r"\d{6}", p):
            period = p
        elif m and fy:
            start = int(fy.group(1))
            period = f"{m:02d}{start if m >= 4 else start + 1}"
        else:
            warnings.append(f"{source}: sheet '{sheet}': the tax period {shown(_text(tp))} of financial year "
                            f"{shown(_text(found.get('financial year', ('',))[0]))} is not a month ims-xl can "
                            "read; the statement's period is left blank")
    return gstin, period, generated, warnings


# --------------------------------------------------------------------------- the workbook


def _not_2b(source: str, why: str) -> InputError:
    return InputError(f"{source}: not a GSTR-2B Excel: {why}; download it again ({_DOWNLOAD}), "
                      "or use the GSTR-2B JSON")


def parse_gstr2b_workbook(sheets: dict[str, list[list[object]]], source: str) -> Gstr2b:
    """The statement in a GSTR-2B Excel download, given as grids (sheet name -> rows of cells).

    Returns the :class:`gstr2b.Gstr2b` :func:`gstr2b.parse_gstr2b` returns for the same
    documents (``docs`` columns :data:`gstr2b.DOC_COLUMNS`; ``where`` names the sheet and
    row; ``version`` and ``summary`` empty): ``gstin``, ``period`` (MMYYYY) and ``generated``
    (dd-mm-yyyy) from the ``Read me`` sheet where it states them, else ``""``. ``warnings``
    name sheets with rows ims-xl does not read and document numbers that arrived as numbers.

    Raises:
        InputError: one line naming the file, sheet, row and column: see the module docstring.
    """
    keys = {_sheet_key(n): n for n in sheets}
    ims = sorted(n for k, n in keys.items() if k in _IMS_SHEETS)
    if ims:
        raise InputError(f"{source}: this is an IMS workbook (sheets {', '.join(ims)}: the IMS download or an "
                         f"ims-xl review workbook), not GSTR-2B; give the GSTR-2B Excel ({_DOWNLOAD}) "
                         "or the GSTR-2B JSON")
    found = _doc_sheets(sheets)
    if not found:
        names = ", ".join(f"'{n}'" if n else "one unnamed sheet (a CSV file?)" for n in sheets) or "none"
        raise _not_2b(source, f"no sheet B2B, B2B-CDNR, ISD, IMPG or another GSTR-2B section (its sheets: {names})")
    layouts = {name: _layout(sheets[name]) for name, _, _ in found}
    titled = any(_has_title(g) for g in sheets.values()) or any(k in SUMMARY_SHEETS for k in keys)
    columns_2b = any(lay is not None and "supprd" in lay.fields and "itcavl" in lay.fields
                     for lay in layouts.values())
    if not (titled or columns_2b):
        raise _not_2b(source, f"sheet(s) {', '.join(repr(n) for n, _, _ in found)} have neither the GSTR-2B "
                      "title nor its columns (a purchase register, GSTR-2A or another return?)")
    warnings: list[str] = []
    blocks: dict[str, dict[str, list[tuple[dict, str]]]] = {"docdata": {}, "docRejdata": {}}
    for name, sec, rejected in found:
        grid, lay = sheets[name], layouts[name]
        if lay is None:
            if any(_is_value(v) for row in grid for v in row):
                raise InputError(f"{source}: sheet '{name}': no GSTR-2B header row (GSTIN of supplier, Invoice "
                                 f"number, Integrated Tax ...) in its first 40 rows though it holds data; "
                                 f"download GSTR-2B again ({_DOWNLOAD}) or use the GSTR-2B JSON")
            continue
        rows, said = _read_sheet(grid, lay, sec, rejected, name, source)
        warnings += said
        block = blocks["docRejdata" if rejected else "docdata"].setdefault(sec, [])
        block += [(_entry(r, sec), r["loc"]) for r in rows]
    for name in sheets:
        if _sheet_key(name) in SHEETS_NOT_READ and (n := _count_rows(sheets[name])):
            warnings.append(f"{source}: sheet '{name}' has {n:,} row(s) ims-xl does not read (ITC reversal "
                            "documents are not in the working); check them on the portal")
    gstin = period = generated = ""
    readme = next((n for k, n in keys.items() if k == "README"), None)
    if readme is not None:
        gstin, period, generated, said = _facts(sheets[readme], source, readme)
        warnings += said
    obj = {"data": {"gstin": gstin, "rtnprd": period, "gendt": generated, "version": "",
                    **{part: {sec: [e for e, _ in lst] for sec, lst in block.items()}
                       for part, block in blocks.items()}}}
    where = [loc for block in blocks.values() for lst in block.values() for _, loc in lst]
    g = parse_gstr2b(obj, source)
    if len(where) != len(g.docs):  # pragma: no cover - one entry, one document, by construction
        raise AssertionError("GSTR-2B Excel: documents and places out of step")
    return replace(g, docs=g.docs.assign(where=where), warnings=g.warnings + warnings)
