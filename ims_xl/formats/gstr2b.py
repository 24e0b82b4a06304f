"""Reading the portal's GSTR-2B JSON (IMS_FORMAT §6; docs/GSTR3B_WORKING.md).

Shape: ``{"chksum", "data": {"gstin", "rtnprd": "MMYYYY", "version", "gendt": "dd-mm-yyyy",
"itcsumm", "cpsumm", "docdata": {...}, "docRejdata": {...}}}``. ``docdata`` holds the
documents whose ITC the statement shows (``itcavl`` Y: available, N: not available, with the
reason ``rsn``); ``docRejdata`` the documents the recipient rejected in IMS. Sections:

* ``b2b``, ``b2ba``, ``ecom``, ``ecoma``: ``[{ctin, trdnm, supfildt, supprd, inv: [...]}]``;
* ``cdnr``, ``cdnra``: the same with ``nt: [...]`` and ``typ`` C (credit) or D (debit);
* ``isd``, ``isda``: ``[{ctin, trdnm, doclist: [{doctyp ISDI/ISDC, docnum, docdt, itcelg, ...}]}]``;
* ``impg``, ``impga``: bills of entry at the top level (no supplier GSTIN);
* ``impgsez``, ``impgasez``: ``[{ctin, trdnm, boe: [...]}]``.

Parse tolerantly (as the IMS reader): the envelope with or without ``data``, section keys in
any case, amounts as numbers or numeric text, a document's taxes at document level or summed
over its rate-wise ``items``. Amounts are exact integer paise, identifiers strings. Refuse in
one line naming the place: a file that is not a GSTR-2B (an IMS download is named as such), a
document without a number, an amount that is not one, rate lines that are not a list of objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..money import AmountError, paise_from_json
from .ims_json import _ident, read_json_file, record_key, section_for_key, with_occurrence

#: The tax heads, as 2B names them and as ims-xl's records frame does.
HEADS_2B: tuple[tuple[str, str], ...] = (("igst", "iamt"), ("cgst", "camt"), ("sgst", "samt"), ("cess", "cess"))
#: Where a 2B document sits: ``docdata`` with ITC available or not, or ``docRejdata``.
AVAILABLE, NOT_AVAILABLE, REJECTED = "ITC available", "ITC not available", "Rejected in IMS"
#: 2B section -> (kind of document, list key inside a supplier entry).
SECTIONS_2B: dict[str, tuple[str, str]] = {
    "b2b": ("invoice", "inv"), "b2ba": ("invoice", "inv"),
    "ecom": ("invoice", "inv"), "ecoma": ("invoice", "inv"),
    "cdnr": ("note", "nt"), "cdnra": ("note", "nt"),
    "isd": ("isd", "doclist"), "isda": ("isd", "doclist"),
    "impg": ("boe", ""), "impga": ("boe", ""),
    "impgsez": ("boe", "boe"), "impgasez": ("boe", "boe"),
}
#: Sections of amendments: their documents carry the original number and date.
AMENDED: frozenset[str] = frozenset({"b2ba", "cdnra", "ecoma", "isda", "impga", "impgasez"})
#: The IMS section of a forward-charge 2B document (the same document the IMS download lists).
_IMS_SECTION: dict[tuple[str, str], str] = {
    ("b2b", ""): "b2b", ("b2ba", ""): "b2ba", ("ecom", ""): "ecom", ("ecoma", ""): "ecoma",
    ("cdnr", "C"): "b2bcn", ("cdnr", "D"): "b2bdn", ("cdnra", "C"): "b2bcna", ("cdnra", "D"): "b2bdna",
}
#: Columns of :attr:`Gstr2b.docs`, in order.
DOC_COLUMNS: tuple[str, ...] = (
    "doc_id", "where", "part", "section2b", "ims_section", "kind", "sign", "rev", "itcavl", "rsn",
    "diffprcnt", "stin", "trdnm", "doc_no", "doc_date", "orig_doc_no", "orig_doc_date", "note_type",
    "pos", "supprd", "supfildt", "val", "txval", "iamt", "camt", "samt", "cess", "key",
)


@dataclass(frozen=True)
class Gstr2b:
    """One GSTR-2B statement: its header and one row per document (:data:`DOC_COLUMNS`).

    ``sign`` is -1 for credit notes (2B ``cdnr``/``cdnra`` of type C, ISD credit notes ISDC),
    +1 otherwise; amounts are as the portal states them (positive). ``ims_section`` is the
    IMS section of a forward-charge document of the kinds IMS shows, else ``""``; ``key`` is
    :func:`ims_json.record_key` for those (with ``#n`` for repeats, in file order), so it meets
    the review book's ``key``; where a key repeats, ``review.month_end.pair_documents`` pairs
    by date instead.
    """

    gstin: str
    period: str
    generated: str
    version: str
    source: str
    docs: pd.DataFrame
    summary: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def generated_date(self) -> datetime | None:
        """``gendt`` as a date (None when absent or unreadable)."""
        try:
            return datetime.strptime(self.generated, "%d-%m-%Y")
        except ValueError:
            return None


def _lower_keys(d: dict) -> dict:
    """The dict with lower-case keys (the portal writes them so; a GSP may not)."""
    for k in d:
        if type(k) is not str or not k.islower():
            return {str(k).lower(): v for k, v in d.items()}
    return d


def _envelope(obj: object, source: str) -> dict:
    """The dict holding ``docdata``/``docrejdata`` (keys lower-cased), or a refusal."""
    seen = obj
    for _ in range(3):
        if not isinstance(seen, dict):
            break
        low = _lower_keys(seen)
        if "docdata" in low or "docrejdata" in low or "itcsumm" in low:
            return low
        if "data" in low and isinstance(low["data"], dict):
            seen = low["data"]
            continue
        break
    if isinstance(seen, dict):
        low = _lower_keys(seen)
        if "imsdetails" in low or any(section_for_key(k) is not None and k not in ("b2b", "b2ba", "ecom", "ecoma")
                                      for k in low) or (
                isinstance(low.get("b2b"), list) and low["b2b"] and isinstance(low["b2b"][0], dict)
                and "stin" in low["b2b"][0]):
            raise InputError(f"{source}: this is an IMS download, not GSTR-2B; give the GSTR-2B JSON "
                             "(GST portal: Returns > GSTR-2B > Download JSON)")
    raise InputError(f"{source}: not a GSTR-2B JSON (no 'docdata' section); download it from the GST portal: "
                     "Returns > GSTR-2B > Download JSON")


def _text(value: object) -> str:
    if type(value) is str:
        return value.strip()
    return _ident(value)[0].strip()


def _amount(d: dict, key: str, where: str) -> int | None:
    v = d.get(key)
    if v is None or v == "":
        return None
    # the common shapes first (an int, or a Decimal of at most 2 places and a sane size);
    # anything else goes through the full check, which refuses what is not an amount
    if type(v) is int and -10**15 < v < 10**15:
        return v * 100
    if type(v) is Decimal and v.is_finite() and v.adjusted() < 15 and v.as_tuple().exponent >= -2:
        return int(v * 100)
    try:
        return paise_from_json(v)
    except AmountError as exc:
        raise InputError(f"{where}, field {key}: {exc}; download GSTR-2B again") from None


def _rate_lines(doc: dict, where: str) -> list[tuple[dict, str]]:
    """The document's rate-wise lines, each as (the dict holding its amounts, its place).

    2B names the list ``items`` (GSTR-1 ``itms``) and may nest a line's amounts in ``itm_det``
    as GSTR-1 does (IMS_FORMAT §6). Anything else is refused: a line read as empty would drop
    its tax from Table 4 without a word.
    """
    key = "itms" if not doc.get("items") and doc.get("itms") is not None else "items"
    items = doc.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise InputError(f"{where}.{key}: a list of rate lines was expected, found {_kind(items)}; "
                         "download GSTR-2B again")
    lines: list[tuple[dict, str]] = []
    for i, it in enumerate(items):
        at = f"{where}.{key}[{i}]"
        if not isinstance(it, dict):
            raise InputError(f"{at}: a rate line must be a JSON object, found {_kind(it)}; download GSTR-2B again")
        it = _lower_keys(it)
        if "itm_det" not in it:
            lines.append((it, at))
            continue
        det = it["itm_det"]
        if not isinstance(det, dict):
            raise InputError(f"{at}.itm_det: the rate line's amounts must be a JSON object, found "
                             f"{_kind(det)}; download GSTR-2B again")
        lines.append((_lower_keys(det), f"{at}.itm_det"))
    return lines


def _kind(value: object) -> str:
    """How a JSON value is named in a refusal."""
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(value), "a number")


def _amounts(doc: dict, where: str) -> dict[str, int]:
    """txval and taxes in paise: at document level, else summed over the rate lines."""
    lines: list[tuple[dict, str]] | None = None  # read only when a document-level amount is absent
    out: dict[str, int] = {}
    for key2b, col in (("txval", "txval"), *HEADS_2B):
        v = _amount(doc, key2b, where)
        if v is None:
            if lines is None:
                lines = _rate_lines(doc, where)
            v = sum(p for p in (_amount(d, key2b, at) for d, at in lines) if p is not None)
        out[col] = v or 0
    out["val"] = _amount(doc, "val", where) or 0
    return out


def _doc_row(doc: dict, sec: str, part: str, supplier: dict, where: str) -> dict:
    if not isinstance(doc, dict):
        raise InputError(f"{where}: a document must be a JSON object")
    doc = _lower_keys(doc)
    kind = SECTIONS_2B[sec][0]
    amend = sec in AMENDED
    if kind == "invoice":
        number, date = doc.get("inum"), doc.get("dt") or doc.get("idt")
        onum, odate = doc.get("oinum"), doc.get("oidt")
        note = ""
    elif kind == "note":
        number, date = doc.get("ntnum") or doc.get("nt_num"), doc.get("dt") or doc.get("nt_dt")
        onum, odate = doc.get("ontnum") or doc.get("ont_num"), doc.get("ontdt") or doc.get("ont_dt")
        note = _text(doc.get("typ") or doc.get("ntty") or "").upper()[:1]
        if note not in ("C", "D"):
            raise InputError(f"{where}: note type (typ) {_text(doc.get('typ'))!r} is not C or D")
    elif kind == "isd":
        number, date = doc.get("docnum"), doc.get("docdt")
        onum, odate = doc.get("odocnum"), doc.get("odocdt")
        note = "C" if _text(doc.get("doctyp")).upper() == "ISDC" else "D"
    else:
        number, date = doc.get("boenum"), doc.get("boedt")
        onum, odate = doc.get("oboenum"), doc.get("oboedt")
        note = ""
    number = _text(number)
    if not number:
        raise InputError(f"{where}: the document number is missing; download GSTR-2B again")
    rev = _text(doc.get("rev") or doc.get("rchrg") or "N").upper()[:1] == "Y"
    if kind == "isd":
        itcavl = "N" if _text(doc.get("itcelg") or "Y").upper()[:1] == "N" else "Y"
    else:
        itcavl = "N" if _text(doc.get("itcavl") or "Y").upper()[:1] == "N" else "Y"
    if part != REJECTED:
        part = AVAILABLE if itcavl == "Y" else NOT_AVAILABLE
    ims_section = "" if rev else _IMS_SECTION.get((sec, note if kind == "note" else ""), "")
    row = {
        "where": where, "part": part, "section2b": sec, "ims_section": ims_section, "kind": kind,
        "sign": -1 if note == "C" else 1, "rev": rev, "itcavl": itcavl, "rsn": _text(doc.get("rsn")),
        "diffprcnt": _text(doc.get("diffprcnt")), "stin": _text(supplier.get("ctin")).upper(),
        "trdnm": _text(supplier.get("trdnm")), "doc_no": number, "doc_date": _text(date),
        "orig_doc_no": _text(onum) if amend else "", "orig_doc_date": _text(odate) if amend else "",
        "note_type": note, "pos": _text(doc.get("pos")), "supprd": _text(supplier.get("supprd")),
        "supfildt": _text(supplier.get("supfildt")),
    }
    row.update(_amounts(doc, where))
    return row


def _section_rows(sec: str, entries: object, part: str, base: str) -> list[dict]:
    kind, list_key = SECTIONS_2B[sec]
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise InputError(f"{base}.{sec}: a list was expected, found {type(entries).__name__}")
    rows: list[dict] = []
    for i, entry in enumerate(entries):
        where = f"{base}.{sec}[{i}]"
        if not isinstance(entry, dict):
            raise InputError(f"{where}: an entry must be a JSON object")
        entry_l = _lower_keys(entry)
        docs = entry_l.get(list_key) if list_key else None
        if not list_key or docs is None and kind == "boe":
            rows.append(_doc_row(entry_l, sec, part, entry_l, where))  # a bill of entry itself
            continue
        if not isinstance(docs, list):
            raise InputError(f"{where}.{list_key}: a list of documents was expected")
        rows += [_doc_row(d, sec, part, entry_l, f"{where}.{list_key}[{j}]") for j, d in enumerate(docs)]
    return rows


def parse_gstr2b(obj: object, source: str) -> Gstr2b:
    """The statement in ``obj`` (parsed JSON); see the module docstring for what is accepted."""
    env = _envelope(obj, source)
    warnings: list[str] = []
    rows: list[dict] = []
    for part_key, part, base in (("docdata", AVAILABLE, "docdata"), ("docrejdata", REJECTED, "docRejdata")):
        block = env.get(part_key)
        if block is None:
            continue
        if not isinstance(block, dict):
            raise InputError(f"{source}: {base} must be a JSON object of sections")
        for key, entries in block.items():
            sec = str(key).lower()
            if sec not in SECTIONS_2B:
                if isinstance(entries, list) and entries:
                    warnings.append(f"{source}: {base}.{key}: a section ims-xl does not know; its "
                                    f"{len(entries):,} entr(ies) are not in the working")
                continue
            rows += _section_rows(sec, entries, part, f"{source}: {base}")
    docs = pd.DataFrame(rows, columns=[c for c in DOC_COLUMNS if c not in ("doc_id", "key")])
    for c in ("val", "txval", "iamt", "camt", "samt", "cess", "sign"):
        docs[c] = docs[c].astype("int64")
    docs["rev"] = docs["rev"].astype(bool)
    docs.insert(0, "doc_id", range(1, len(docs) + 1))
    keys = pd.Series([record_key(s, g, n) if s else "" for s, g, n in
                      zip(docs["ims_section"], docs["stin"], docs["doc_no"])], index=docs.index, dtype=object)
    has = keys != ""
    keys[has] = with_occurrence(keys[has])
    docs["key"] = keys
    docs = docs[list(DOC_COLUMNS)]
    gendt = _text(env.get("gendt"))
    if gendt:
        try:
            datetime.strptime(gendt, "%d-%m-%Y")
        except ValueError:
            raise InputError(f"{source}: generation date gendt {gendt!r} is not dd-mm-yyyy; download "
                             "GSTR-2B again") from None
    period = _text(env.get("rtnprd"))
    if period and not (len(period) == 6 and period.isdigit()):
        raise InputError(f"{source}: return period rtnprd {period!r} is not MMYYYY")
    summary = env.get("itcsumm") if isinstance(env.get("itcsumm"), dict) else {}
    return Gstr2b(gstin=_text(env.get("gstin")).upper(), period=period, generated=gendt,
                  version=_text(env.get("version")), source=source, docs=docs, summary=summary,
                  warnings=warnings)


def load_gstr2b(path: str | Path) -> Gstr2b:
    """Read a GSTR-2B JSON file."""
    obj, name = read_json_file(path, "a GSTR-2B JSON")
    return parse_gstr2b(obj, name)
