"""Shared helpers for the foundation tests: tiny IMS records, the CLI in-process, openpyxl edits.

Helpers are plain functions (``from conftest import ...``) so that tests read as
"build a download, import it, type into cells, export": the accountant's round trip.
Inputs are written by hand here (never copied from /work/shared/samples).
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from ims_xl import cli
from ims_xl.gstin import check_char

#: ``IMS_XL_DEEP=1`` (set by .ci/run for the slow tier) gives the property and fuzz tests
#: their deep budgets; the README's test command runs them at the fast budgets.
DEEP = os.environ.get("IMS_XL_DEEP") == "1"


def budget(fast: int, deep: int) -> int:
    """The number of generated examples a property test runs in this tier."""
    return deep if DEEP else fast


SECTION_KEYS: tuple[str, ...] = ("b2b", "b2ba", "b2bdn", "b2bdna", "b2bcn", "b2bcna", "ecom", "ecoma")
SHEET_OF: dict[str, str] = {"b2b": "B2B", "b2ba": "B2BA", "b2bdn": "B2B-DN", "b2bdna": "B2B-DNA",
                            "b2bcn": "B2B-CN", "b2bcna": "B2B-CNA", "ecom": "ECO", "ecoma": "ECOA"}
ITC_SECTIONS = frozenset({"b2ba", "b2bdna", "b2bcn", "b2bcna", "ecoma"})
AMENDMENTS = frozenset({"b2ba", "b2bdna", "b2bcna", "ecoma"})
NUM_KEY = {k: ("nt_num" if ("dn" in k or "cn" in k) else "inum") for k in SECTION_KEYS}
DATE_KEY = {k: ("nt_dt" if ("dn" in k or "cn" in k) else "idt") for k in SECTION_KEYS}
ORIG_KEYS = {"b2ba": ("oinum", "oidt"), "ecoma": ("oinum", "oidt"),
             "b2bdna": ("ont_num", "ont_dt"), "b2bcna": ("ont_num", "ont_dt")}
NUM_HEADER = {k: ("Note number" if NUM_KEY[k] == "nt_num" else "Invoice number") for k in SECTION_KEYS}
PREFIX = {"b2b": "INV", "b2ba": "INVA", "b2bdn": "DN", "b2bdna": "DNA", "b2bcn": "CN",
          "b2bcna": "CNA", "ecom": "ECO", "ecoma": "ECOA"}


def gstin(first14: str) -> str:
    """A valid GSTIN from its first 14 characters (check character computed)."""
    return first14 + check_char(first14)


#: The recipient (Maharashtra) and suppliers: one in the same state, others inter-state.
RTIN = gstin("27AAPFU0939F1Z")          # 27AAPFU0939F1ZV
SUP_MH = gstin("27AABCS1429B1Z")        # 27AABCS1429B1ZU, intra-state: CGST + SGST
SUP_KA = gstin("29AAFCC9980M1Z")        # 29AAFCC9980M1ZR, inter-state: IGST
SUP_GJ = gstin("24AAUPV7468F1Z")        # 24AAUPV7468F1ZW


def record(section: str, n: int = 1, *, stin: str = SUP_MH, action: str = "N", **over) -> dict:
    """A minimal, valid downloaded record of ``section`` (intra-state, POS 27).

    Amounts: taxable 1000, CGST 90, SGST 90, value 1180 (IGST 180 for an inter-state
    supplier). ``over`` replaces or adds keys; a value of ``None`` removes the key.
    """
    intra = stin[:2] == "27"
    rec: dict = {}
    if section in ORIG_KEYS:
        ok, od = ORIG_KEYS[section]
        rec[ok] = f"O{PREFIX[section]}-{n}"
        rec[od] = "01-09-2025"
    rec["stin"] = stin
    rec["tradenm"] = f"Supplier {stin[2:7]}"
    rec[NUM_KEY[section]] = f"{PREFIX[section]}-{n}"
    if section not in ("ecom", "ecoma"):
        rec["inv_typ"] = "R"
    rec[DATE_KEY[section]] = "15-10-2025"
    rec.update({"val": 1180, "action": action, "pos": "27", "txval": 1000,
                "iamt": 0 if intra else 180, "camt": 90 if intra else 0,
                "samt": 90 if intra else 0, "cess": 0, "srcform": "R1", "rtnprd": "102025",
                "srcfilstatus": "Filed", "hash": f"{n:02x}" * 32,
                "ispendactblocked": "N", "isRemarksBlocked": "N"})
    if section in ITC_SECTIONS:
        rec["isItcRedReqBlocked"] = "N"
    for k, v in over.items():
        if v is None:
            rec.pop(k, None)
        else:
            rec[k] = v
    return rec


def download(records: dict[str, list[dict]] | None = None, *, rtin: str | None = None,
             all_sections: bool = True) -> dict:
    """An offline-format download ``{"imsDetails": {...}}`` (every section key present)."""
    sections = {k: [] for k in SECTION_KEYS} if all_sections else {}
    sections.update(records or {})
    doc: dict = {}
    if rtin:
        doc["rtin"] = rtin
    doc["imsDetails"] = sections
    return doc


def one_per_section(**over) -> dict[str, list[dict]]:
    """One record in every section, all at No Action."""
    return {k: [record(k, i + 1, **over)] for i, k in enumerate(SECTION_KEYS)}


def write_json(path: Path, obj: object) -> Path:
    path = Path(path)
    path.write_text(json.dumps(obj, indent=1, ensure_ascii=False), encoding="utf-8")
    return path


def run(*args: object) -> int:
    """``ims-xl ARGS`` in-process; returns the exit code."""
    return cli.main([str(a) for a in args])


def import_new(tmp_path: Path, data: dict, name: str = "review.xlsx", *extra: object) -> Path:
    """Write ``data`` as JSON, import it into a new workbook, return the workbook path."""
    src = write_json(tmp_path / (Path(name).stem + ".json"), data)
    wb = tmp_path / name
    rc = run("import", src, "--out", wb, *extra)
    assert rc == 0, f"import failed with exit code {rc}"
    return wb


def header_map(ws) -> dict[str, int]:
    """Header text -> 1-based column index of a sheet's first row."""
    return {c.value: c.column for c in ws[1] if c.value is not None}


def find_row(ws, section: str, doc_no: str) -> int:
    """The Excel row of the record with document number ``doc_no`` on a section sheet."""
    col = header_map(ws)[NUM_HEADER[section]]
    hits = [r for r in range(2, ws.max_row + 1) if ws.cell(r, col).value == doc_no]
    assert len(hits) == 1, f"{doc_no!r} found on rows {hits} of {ws.title}"
    return hits[0]


SECTION_OF_SHEET = {v: k for k, v in SHEET_OF.items()}


def apply_edits(path: Path, edits: list[dict]) -> None:
    """Type values into cells with openpyxl (load, set, save), as an accountant would in Excel.

    Each edit is ``{"sheet", "row" | "doc_no", "column", "value"}``; ``column`` is a header
    text on section sheets, or a column letter elsewhere (e.g. the Summary sheet).
    """
    if not edits:
        return
    wb = openpyxl.load_workbook(path)
    for e in edits:
        ws = wb[e["sheet"]]
        if isinstance(e["value"], dict) and "date" in e["value"]:  # a date typed into a cell
            e = {**e, "value": datetime.fromisoformat(e["value"]["date"])}
        if "doc_no" in e:
            row = find_row(ws, SECTION_OF_SHEET[e["sheet"]], e["doc_no"])
        else:
            row = int(e["row"])
        colname = e["column"]
        hm = header_map(ws) if ws.title in SECTION_OF_SHEET else {}
        if colname in hm:
            ws.cell(row, hm[colname]).value = e["value"]
        else:
            assert colname.isalpha() and colname.isupper(), f"no column {colname!r} on {ws.title}"
            ws[f"{colname}{row}"].value = e["value"]
    wb.save(path)


def removed_sheet(wb: Path) -> list[dict]:
    """The Removed records sheet's rows as dicts by header (none when the sheet is absent)."""
    book = openpyxl.load_workbook(wb)
    if "Removed records" not in book.sheetnames:
        return []
    rows = list(book["Removed records"].iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:] if any(v is not None for v in r)]


def cell(path: Path, sheet: str, doc_no: str, column: str) -> object:
    """The value of one cell of a record, read back with openpyxl."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    return ws.cell(find_row(ws, SECTION_OF_SHEET[sheet], doc_no), header_map(ws)[column]).value


def export(path: Path, out: Path) -> tuple[int, dict | None]:
    """Export; return (exit code, parsed upload or None when nothing was written)."""
    rc = run("export", path, "--out", out)
    return rc, (json.loads(Path(out).read_bytes()) if Path(out).exists() else None)


def validate_findings(path: Path, capsys, *extra: object) -> tuple[int, list[dict]]:
    """``ims-xl validate --json``: (exit code, findings as dicts)."""
    capsys.readouterr()
    rc = run("validate", path, "--json", *extra)
    out = capsys.readouterr().out
    return rc, json.loads(out)


@pytest.fixture
def rt_download() -> dict:
    """One record per section, supplier in the recipient's state, recipient GSTIN included."""
    return download(one_per_section(), rtin=RTIN)


def typed_book(records: dict[str, list[dict]], typed: dict[tuple[str, str], dict] | None = None,
               rtin: str = RTIN, period: str = ""):
    """A review book built in memory from a download, with ``typed`` {(section, doc_no):
    {field: value}} entered into its rows (``action_text``, ``remarks_text`` ...)."""
    from dataclasses import replace

    from ims_xl.formats.ims_json import parse_download
    from ims_xl.review.book import new_book

    book = new_book(parse_download(download(records), "ims.json"), rtin=rtin, period=period)
    rows = book.rows.copy()
    for (sec, doc), fields in (typed or {}).items():
        m = (rows["section"] == sec) & (rows["doc_no"] == doc)
        assert m.sum() == 1, (sec, doc)
        for k, v in fields.items():
            rows.loc[m, k] = v
    return replace(book, rows=rows)


def unsafe_cells(path: Path) -> list[str]:
    """Cells of a workbook that are formulas, or text starting with = + - @ without Excel's
    quote prefix (README, "Hostile files": editing such a cell in Excel, F2 then Enter,
    keeps it text)."""
    wb = openpyxl.load_workbook(path)
    bad = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    bad.append(f"{ws.title}!{c.coordinate} is a formula: {c.value!r}")
                elif isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@")) and not c.quotePrefix:
                    bad.append(f"{ws.title}!{c.coordinate} has no quote prefix: {c.value!r}")
    return bad
