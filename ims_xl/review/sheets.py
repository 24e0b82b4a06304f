"""Review books to and from plain grids of cell values, shared by every shell.

A *grid* is a list of rows, each a list of cell values (str, int, float, datetime, bool or
None), exactly what a bulk read of a worksheet gives (python-calamine's ``to_python``, or
xlwings' ``range.value``). The xlsx shell and the xlwings shell both turn sheets into grids
and call :func:`book_from_grids`; both write what :func:`section_block` returns.
Pure: no workbook library is imported here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd

from ..errors import InputError, TemplateError
from ..formats.ims_json import build_records, lone_surrogate, records_from_originals
from .layout import (BOOKS_SHEET, DATA_SHEET, LOG_SHEET, META_SHEET, README_SHEET, REMOVED_COLUMNS,
                     REMOVED_SHEET, REPORT_SHEETS, SECTION_SHEETS, SUMMARY_PERIOD_ROW, SUMMARY_RTIN_ROW,
                     SUMMARY_SHEET, Column, columns_for)
from ..model import (ACTION_LABELS, ACTION_WORDS, ITC_SIGN, SECTION_BY_KEY, SECTIONS, TEXT_OR_NONE, Action,
                     MatchStatus, Section)
from .inputs import cell_text, per_value, some_text_starts_with
from .book import ReviewBook, effective_actions, fresh_rows, hidden_text, seal_of, shown_dates
from ..jsontext import brief

KNOWN_SHEETS = frozenset({README_SHEET, SUMMARY_SHEET, BOOKS_SHEET, REMOVED_SHEET, DATA_SHEET,
                          META_SHEET, LOG_SHEET, *SECTION_SHEETS, *REPORT_SHEETS})
#: Text starting with these would be a formula if typed; it is always stored as text.
FORMULA_START = ("=", "+", "-", "@")
FORMULA_CHARS = frozenset(FORMULA_START)  # the same, for a test of ``text[:1]``


def text_of(v: object) -> str:
    """A cell value as text (whole floats without ``.0``; None as "")."""
    if v is None:
        return ""
    if isinstance(v, float):
        if np.isnan(v):
            return ""
        if v.is_integer():
            return str(int(v))
    if isinstance(v, datetime):
        return v.strftime("%d-%m-%Y")
    return str(v)


# ---------------------------------------------------------------- writing

@dataclass(frozen=True)
class SectionBlock:
    """What to write on one section sheet.

    Attributes:
        columns: the layout columns.
        values: column-major cell values (``values[j][i]`` is row i of column j).
        marks: ``{(i, j): mark}`` for cells to colour (``error``, ``warning``, ``portal``,
            ``reimport``, the reconcile ``diff_*`` kinds); ``""`` marks a cell that only needs
            its text kept as text.
        notes: ``{(i, j): text}`` cell notes (the books value of a differing cell).
    """

    columns: tuple[Column, ...]
    values: list[list[object]]
    marks: dict[tuple[int, int], str]
    notes: dict[tuple[int, int], str] = None  # type: ignore[assignment]


def column_values(rows: pd.DataFrame, c: Column) -> list[object]:
    """The cell values of one column (vectorised)."""
    s = rows[c.field] if c.field in rows else pd.Series("", index=rows.index, dtype=object)
    if c.kind == "amount":
        return (s.astype("int64") / 100).tolist()
    if c.kind == "date":
        return shown_dates(s)
    if c.kind == "flag":
        return np.where(s.astype(bool), "Yes", "No").tolist()
    if c.kind == "status":
        return s.map(ACTION_WORDS).tolist()
    if c.kind == "ref":
        return s.astype("int64").tolist()
    if c.kind == "input_text":
        # written back as the text the person saw (a remark Excel stored as a number or a
        # date stays "12345" / "15-10-2025"), so a rewrite never turns it into a serial number
        return per_value(s, lambda v: cell_text(v) or None).tolist()
    values = s.to_numpy(dtype=object)
    # the kinds found over a list of the cells, not the array (numpy hands out each cell
    # slower than a list): with the column of texts and blanks taken at once, 0.20 -> 0.09 s
    # for the section sheets' text, output and action columns at 100,000 records
    cells = values.tolist()
    kinds = set(map(type, cells))
    if c.kind in _TYPED_KINDS and any(issubclass(t, date) for t in kinds):
        # a date Excel made of what was typed ("1/2" in an amount cell) is written back as the
        # text the person saw: as a date serial it would read back as a valid amount (45689)
        values = np.array([cell_text(v) if isinstance(v, date) else v for v in values], dtype=object)
        cells = values.tolist()
        kinds = set(map(type, cells))
    if kinds <= _TEXT_KINDS:  # the usual column: texts and blanks ("" or None, both an empty cell)
        return cells if all(cells) else [v or None for v in cells] if any(cells) else [None] * len(cells)
    if kinds <= _TEXT_BLANK_KINDS:  # texts, blanks, numbers
        blank = (values == "") | pd.isna(values)  # "", None, NaN: an empty cell
        if not blank.any():
            return cells
        out = values.copy()
        out[blank] = None
        return out.tolist()
    return [v if type(v) is str and v else
            None if v is None or v == "" or (isinstance(v, float) and np.isnan(v)) else v for v in s.tolist()]


#: Input columns whose cells are read as typed words or amounts, never as dates.
_TYPED_KINDS = frozenset({"input_amount", "input_yesno", "action"})
#: Value kinds of a column whose blanks :func:`column_values` finds at once (other kinds, such
#: as dates or pandas' NA, take the cell-by-cell path).
_TEXT_BLANK_KINDS = frozenset({str, type(None), float, int})
#: Value kinds of a column of texts and blanks alone (a blank is "" or None).
_TEXT_KINDS = frozenset({str, type(None)})


#: The columns :func:`section_block` reads besides its section's own.
_BLOCK_FIELDS = ("ref", "match_detail", "portal_errors", "reimport_note")


def section_parts(rows: pd.DataFrame) -> list[pd.DataFrame]:
    """Each section's rows (in :data:`SECTIONS` order, as ``rows`` holds them) with only the
    columns :func:`section_block` reads: taken from those alone, not copied whole from the
    80 columns of the rows (0.085 -> 0.045 s at 100,000 records)."""
    at = rows["section"].to_numpy()
    out = []
    for sec in SECTIONS:
        fields = [f for f in dict.fromkeys([*(c.field for c in columns_for(sec)), *_BLOCK_FIELDS]) if f in rows]
        out.append(rows[fields].iloc[np.flatnonzero(at == sec.key)])
    return out


def section_block(rows: pd.DataFrame, section: Section,
                  marks_by_ref: dict[int, list[tuple[str, str]]]) -> SectionBlock:
    """The cells of a section sheet for ``rows`` (already in sheet order)."""
    cols = columns_for(section)
    values = [column_values(rows, c) for c in cols]
    idx = {c.field: j for j, c in enumerate(cols)}
    marks: dict[tuple[int, int], str] = {}
    notes: dict[tuple[int, int], str] = {}
    if "match_detail" in rows:
        details = rows["match_detail"].to_numpy()
        # a detail with no differing field marks nothing unless the record is missing in the
        # books: most records, whose text needs no parsing (the key is compact JSON, as
        # matching.apply_result writes it; any other text is parsed)
        for i in np.flatnonzero([bool(d) and not (type(d) is str and _NO_FIELDS in d and _MISSING not in d)
                                 for d in details]):
            # a damaged detail (the hidden column pasted over, edited by hand) only loses its
            # colours and notes, never data
            try:
                d = brief(details[i])
                found = diff_marks(d)
            except (TypeError, ValueError, AttributeError, RecursionError):  # not a detail; nested too deeply
                continue
            books = d.get("books")
            books = books if isinstance(books, dict) else {}
            for fld, mark in found.items():
                if fld in idx:
                    marks[(int(i), idx[fld])] = mark
                    if fld in books:
                        notes[(int(i), idx[fld])] = f"Books: {books[fld]}" + (
                            f" (Books row {d['row']})" if d.get("row") else "")
        for i in np.flatnonzero(rows["portal_errors"].astype(str).str.len().to_numpy() > 0):
            marks[(int(i), idx["portal_errors"])] = "portal"
            marks[(int(i), idx["doc_no"])] = "portal"
    if "reimport_note" in rows:
        for i in np.flatnonzero(rows["reimport_note"].astype(str).str.len().to_numpy() > 0):
            marks[(int(i), idx["reimport_note"])] = "reimport"
    if marks_by_ref:
        for i, ref in enumerate(rows["ref"].to_numpy()):
            for fld, sev in marks_by_ref.get(int(ref), ()):
                if fld in idx:
                    marks[(i, idx[fld])] = sev
    # the hidden Cell marks column: what conditional formatting colours ("|field=mark|...")
    per_row: dict[int, list[str]] = {}
    for (i, j), mark in sorted(marks.items()):
        if mark:
            per_row.setdefault(i, []).append(f"{cols[j].field}={mark}")
    values[idx["cell_marks"]] = ["|" + "|".join(per_row[i]) + "|" if i in per_row else None
                                 for i in range(len(rows))]
    for j, c in enumerate(cols):
        if c.kind in ("text", "input_text", "output", "action") and some_text_starts_with(values[j], FORMULA_START):
            for i in [i for i, v in enumerate(values[j]) if isinstance(v, str) and v[:1] in FORMULA_CHARS]:
                marks.setdefault((i, j), "")
    return SectionBlock(cols, values, marks, notes)


_AMOUNT_FIELDS = ("txval", "iamt", "camt", "samt", "cess", "val")


_NO_FIELDS = '"fields":[],'
_MISSING = '"status":"Missing in books"'


def diff_marks(detail: dict) -> dict[str, str]:
    """Which IMS cells to colour, and how, from a record's reconcile detail.

    ``detail`` is ``{"status", "fields": [...], "codes": [...], "books": {...}, "row"}`` as
    :func:`matching.apply_result` stores it. Raises TypeError or AttributeError for anything
    else (a cell edited by hand).
    """
    out: dict[str, str] = {}
    codes = set(detail.get("codes", []))
    for f in detail.get("fields", []):
        if f in _AMOUNT_FIELDS:
            out[f] = "diff_taxhead" if ("tax-head-swapped" in codes and f in ("iamt", "camt", "samt")) else "diff_amount"
        elif f in ("doc_date", "orig_doc_date"):
            out[f] = "diff_date"
        elif f in ("doc_no", "orig_doc_no"):
            out[f] = "diff_number"
        elif f == "stin":
            out[f] = "diff_gstin"
    if detail.get("status") == "Missing in books":
        out["doc_no"] = "missing"
    return out


def index_marks(marks: dict[tuple[int, str], str]) -> dict[int, list[tuple[str, str]]]:
    """Findings' cell marks grouped by record ref."""
    out: dict[int, list[tuple[str, str]]] = {}
    for (ref, fld), sev in marks.items():
        out.setdefault(ref, []).append((fld, sev))
    return out


#: The hidden copy's header: a record's ref, section, JSON text and seal (review.seal_of).
DATA_HEADER: tuple[str, ...] = ("ref", "section", "record", "seal")


def data_columns(book: ReviewBook) -> list[list[object]]:
    """The hidden copy of the download, column-major: ref, section, record JSON, seal.

    A record read from a workbook keeps the seal it was read with, never a new one: a
    record edited in the hidden copy stays detectably edited until the original download
    is imported again (README "Reliability and safety").
    """
    refs = sorted(book.originals)
    sec = book.rows.set_index("ref")["section"].reindex(refs).tolist()
    texts = [hidden_text(book, r) for r in refs]
    seals = [book.seals.get(r) or seal_of(s, t) for r, s, t in zip(refs, sec, texts)]
    return [refs, sec, texts, seals]


def removed_grid(book: ReviewBook) -> list[list[object]]:
    """The Removed records sheet."""
    grid: list[list[object]] = [[h for _, h in REMOVED_COLUMNS]]
    for _, r in book.removed.iterrows():
        row = []
        for f, _ in REMOVED_COLUMNS:
            v = r.get(f) if f in r else None
            if v is None or (isinstance(v, float) and np.isnan(v)):
                v = None
            elif f == "val":
                v = int(v) / 100
            elif f == "action" and v in ("A", "R", "P", "N"):
                v = ACTION_LABELS[Action(v)]
            row.append(v)
        grid.append(row)
    return grid


# ---------------------------------------------------------------- reading

def refuse_not_review(names, source: str) -> None:
    """Refuse a workbook without the hidden sheets of a review workbook (``names``: its sheet
    names, or anything ``in`` answers for), naming the one missing."""
    if DATA_SHEET not in names or META_SHEET not in names:
        gone = DATA_SHEET if DATA_SHEET not in names else META_SHEET
        raise TemplateError(
            f"{source}: not an ims-xl review workbook (no hidden '{gone}' sheet); "
            + ("create one with: ims-xl import IMS.json --out REVIEW.xlsx" if gone == DATA_SHEET else
               "take the last copy from the .ims-xl-backups folder beside it, or import the download "
               "again with ims-xl import IMS.json --out NEW.xlsx"))


def book_from_grids(grids: Mapping[str, list[list[object]]], source: str,
                    sheet_names: list[str] | None = None, share: bool = True,
                    copies: bool = True, out_of_step_ok: bool = False) -> ReviewBook:
    """Rebuild a review book from the grids of a review workbook's sheets.

    The downloaded records come from the hidden data sheet; the accountant's entries, the
    shown values and the outputs from the section sheets, matched by the hidden ``IMS ref``.
    ``share``: equal texts of a section column share one object (:func:`_shared`), for a
    book that is kept and written back; a book read for one look (export) skips it.
    ``copies``: keep the downloaded records' copies (``originals``, the hidden copy's texts
    and seals) and read the downloaded values as the sheets show them; without them the
    book holds the rows and the accountant's work, enough for a download to be re-imported
    into it (which brings the copies anew and rewrites the sheets), not to be exported or
    written back.
    ``out_of_step_ok``: read rows that show another record than their IMS ref
    (:func:`out_of_step`) for validation to name each one, instead of refusing the workbook.

    Raises:
        TemplateError: not a review workbook, a needed column or sheet was deleted, or rows
            were sorted apart from their IMS ref (every entry on them would go to another
            record).
    """
    names = sheet_names if sheet_names is not None else list(grids)
    refuse_not_review(grids, source)
    meta = {text_of(r[0]): text_of(r[1]) for r in grids[META_SHEET][1:] if r and len(r) > 1 and r[0]}
    g = grids.get(SUMMARY_SHEET) or []
    for row, key in ((SUMMARY_RTIN_ROW, "rtin"), (SUMMARY_PERIOD_ROW, "period")):
        if len(g) >= row and len(g[row - 1]) > 1:
            meta[key] = text_of(g[row - 1][1]).strip().upper()
    if len(meta.get("period", "")) == 5 and meta["period"].isdigit():
        meta["period"] = "0" + meta["period"]  # Excel made a typed 092025 the number 92025
    del g  # each grid let go once read (see _SheetGrids in files.xlsx)
    data = grids[DATA_SHEET]
    sealed = bool(data) and len(data[0]) > 3 and text_of(data[0][3]).strip() == "seal"
    data_rows = [i for i, r in enumerate(data[1:], start=2) if r and r[0] not in ("", None)]
    body = [data[i - 1] for i in data_rows]
    try:
        refs = [int(r[0]) for r in body]
        secs = [SECTION_BY_KEY[str(r[1])] for r in body]
        texts = [str(r[2]) for r in body]
    except (ValueError, KeyError, IndexError, TypeError, OverflowError):  # OverflowError: a ref of inf
        for i, r in zip(data_rows, body):  # name the first damaged row
            try:
                int(r[0]), SECTION_BY_KEY[str(r[1])], str(r[2])
            except (ValueError, KeyError, IndexError, TypeError, OverflowError):
                raise TemplateError(f"{source}: hidden sheet {DATA_SHEET}, row {i} is damaged; "
                                    "re-create the workbook with ims-xl import") from None
        raise  # pragma: no cover - the loop above finds the row
    seals: dict[int, str] = {}
    edited: dict[int, int] = {}  # ref -> row of the hidden copy whose record no longer matches its seal
    if sealed:
        got = [(r[3] if type(r[3]) is str else text_of(r[3])).strip() if len(r) > 3 else "" for r in body]
        seals = dict(zip(refs, [g or "-" for g in got]))
        edited = {ref: i for ref, i, g, sec, text in zip(refs, data_rows, got, secs, texts)
                  if g != seal_of(sec.key, text)}
    del data, body  # the hidden sheet's cells: what is kept of them is in refs, texts and seals
    originals = _hidden_records(texts, data_rows, source, one_pass=sealed and not edited)
    if len(set(refs)) != len(refs):
        raise TemplateError(f"{source}: hidden sheet {DATA_SHEET} holds a record twice; "
                            "re-create the workbook with ims-xl import")
    try:
        records = records_from_originals([s.key for s in secs], originals, refs)
    except (ValueError, TypeError, KeyError):
        try:  # not in normalised form: normalise record by record, naming what is wrong
            records, originals, _ = build_records(
                [(s, json.loads(json.dumps(r), parse_float=Decimal)) for s, r in zip(secs, originals)], source, refs)
        except InputError as exc:
            raise TemplateError(f"{source}: hidden sheet {DATA_SHEET} is damaged ({exc})") from None
    if not copies:  # freed before the other sheets are read (peak memory of a re-run)
        originals, texts, seals, sealed = [], [], {}, False
    present = set(records["section"])
    parts, part_sheets = [], []
    own_columns: dict[str, list[list[object]]] = {}
    for sec in SECTIONS:
        if sec.sheet not in grids:
            if sec.key in present:
                raise TemplateError(f"{source}: sheet '{sec.sheet}' is missing; restore it or "
                                    "re-create the workbook with ims-xl import")
            continue
        part = _read_section(grids[sec.sheet], source, sec, share,
                             shown=True if copies else frozenset() if out_of_step_ok else _IDENTITY)
        if "_columns" in part:
            own_columns[sec.sheet] = part.pop("_columns")
        if len(part["ref"]):
            parts.append(part)
            part_sheets.append(sec.sheet)
    # the rows are made once the sheets are read: where every row was read from one, the
    # columns read replace all the fresh ones, which are then not worked out (fresh_rows)
    whole, read = False, {}
    if parts:
        sheet_of = np.repeat(np.array(part_sheets, dtype=object), [len(p["ref"]) for p in parts])
        upd_refs = np.concatenate([p["ref"] for p in parts])
        upd_rows = np.concatenate([p["excel_row"] for p in parts])
        again = pd.Series(upd_refs).duplicated().to_numpy()
        if again.any():  # the first row whose record an earlier row (in sheet order) already has
            k = int(np.argmax(again))
            j = int(np.argmax(upd_refs == upd_refs[k]))
            raise TemplateError(f"{source}: sheet '{sheet_of[k]}', row {int(upd_rows[k])} repeats the record of "
                                f"sheet '{sheet_of[j]}', row {int(upd_rows[j])} (a copied row?); delete the copy")
        at = pd.Index(records["ref"]).get_indexer(upd_refs)  # refs are unique on both sides
        if (at < 0).any():
            k = int(np.argmax(at < 0))
            raise TemplateError(f"{source}: sheet '{sheet_of[k]}', row {int(upd_rows[k])}: IMS ref {int(upd_refs[k])} "
                                "is not a downloaded record; do not edit the IMS ref column")
        fields = dict.fromkeys(f for p in parts for f in p if f not in ("ref", "excel_row"))

        def column(f: str) -> np.ndarray:  # the cells of field f of every sheet, in sheet order
            return np.concatenate([p[f] if f in p else np.full(len(p["ref"]), None, dtype=object) for p in parts])
        whole = len(at) == len(records)  # each row read once: `at` places a cell in each
        # the sheets' rows in the hidden copy's order (as ims-xl writes them): nothing to place
        # (0.04 s at 100,000 records)
        in_order = whole and bool((at == np.arange(len(at))).all())
        if whole:
            read = {f: column(f) if in_order else _placed(None, at, column(f), len(at)) for f in fields}
    rows = fresh_rows(records, read)  # takes the columns it would make out of `read`
    del records
    if parts:
        rows["excel_row"] = _placed(rows["excel_row"].to_numpy(), at, upd_rows)
        for f in fields:
            if whole:
                if f in read:  # a field fresh_rows does not make
                    rows[f] = pd.Series(read.pop(f), index=rows.index, dtype=object)
                continue
            old = rows[f].to_numpy(dtype=object) if f in rows and len(at) < len(rows) else None
            rows[f] = pd.Series(_placed(old, at, column(f), len(rows)), index=rows.index, dtype=object)
    if not out_of_step_ok:
        _refuse_out_of_step(rows, source)
        if not copies:  # read for this test alone: a book re-imported into shows the download's values
            for f in _IDENTITY:
                rows["shown_" + f] = rows[f].astype(object)
    lost = rows["excel_row"] == 0
    if lost.any():
        rows.loc[lost, "reimport_note"] = ("This row had been deleted from the sheet; "
                                           "it is restored with the portal status")
    books, reports, extra = other_sheets(grids, names)
    notices = []
    for sheet, grid in own_columns.items():
        # a column the accountant inserted on a section sheet is no column ims-xl writes there:
        # its cells go to a sheet of their own, by IMS ref, rather than being lost on the rewrite
        name = f"{sheet} your columns"
        extra = stack_sheets(extra, {name: grid})
        notices.append(f"Sheet '{sheet}': your column(s) {', '.join(map(repr, grid[0][2:]))} are not "
                       f"ims-xl's; their cells are kept on sheet '{name}' beside each row's IMS ref "
                       "and document number")
    removed = pd.DataFrame()
    rg = grids.get(REMOVED_SHEET) or []
    if rg:
        hdr = {h: f for f, h in REMOVED_COLUMNS}
        fields = [hdr.get(text_of(h), text_of(h)) for h in rg[0]]
        removed = pd.DataFrame([dict(zip(fields, r)) for r in rg[1:] if any(v not in ("", None) for v in r)])
        if "val" in removed:
            removed["val"] = [int(round(float(v) * 100)) if isinstance(v, (int, float)) else 0 for v in removed["val"]]
    log = [list(r) for r in grids.get(LOG_SHEET) or []]
    while log and all(v in ("", None) for v in log[-1]):
        log.pop()
    rows["hidden_row"] = rows["ref"].map(edited).fillna(0).astype("int64") if edited else np.zeros(len(rows), "int64")
    kept = dict(zip(refs, zip(originals, texts))) if sealed else {}
    for ref in edited:
        kept.pop(ref, None)
    return ReviewBook(meta=meta, rows=rows, originals=dict(zip(refs, originals)), seals=seals, books=books,
                      removed=removed, extra_sheets=extra, reports=reports, log=log, texts=kept, notices=notices)


#: The shown fields that tell which record a row shows (:func:`out_of_step`).
_IDENTITY = frozenset({"stin", "doc_no"})


def out_of_step(rows: pd.DataFrame) -> np.ndarray:
    """Rows whose sheet shows the supplier GSTIN and document number of another record of
    the same section than their hidden IMS ref: columns sorted (or cut and pasted) without
    the hidden IMS ref column. Each action, remark and answer typed on such a row is read as
    the ref's record's, another document's. A GSTIN or a number edited by hand into what is
    no other record's stays a downloaded-value edit (a warning)."""
    n = len(rows)
    if "shown_stin" not in rows or "shown_doc_no" not in rows or not n:
        return np.zeros(n, dtype=bool)
    stin, num = rows["stin"].to_numpy(dtype=object), rows["doc_no"].to_numpy(dtype=object)
    s_stin, s_num = rows["shown_stin"].to_numpy(dtype=object), rows["shown_doc_no"].to_numpy(dtype=object)
    cand = np.flatnonzero((s_stin != stin) | (s_num != num))  # few, but for a sort: compared as text below
    out = np.zeros(n, dtype=bool)
    if not len(cand):
        return out
    known = set(zip(rows["section"].to_numpy(dtype=object), stin, num))
    sec = rows["section"].to_numpy(dtype=object)
    for i in cand:
        g, d = text_of(s_stin[i]).strip().upper(), text_of(s_num[i]).strip()
        out[i] = (g, d) != (stin[i], num[i]) and (sec[i], g, d) in known
    return out


#: What validate says when it leaves a workbook with rows out of step as it found it.
NOT_REWRITTEN = ("The workbook was not rewritten: rows out of step with their IMS ref (listed above) would "
                 "keep each entry on another document; undo the sort, then validate again")


def _refuse_out_of_step(rows: pd.DataFrame, source: str) -> None:
    bad = out_of_step(rows)
    if not bad.any():
        return
    sheet_of = {s.key: s.sheet for s in SECTIONS}
    at = rows[bad].sort_values(["section", "excel_row"])
    first = at.iloc[0]
    more = len(at) - 1
    raise TemplateError(
        f"{source}: sheet '{sheet_of[first['section']]}', row {int(first['excel_row'])} shows "
        f"{text_of(first['shown_doc_no']).strip()} of {text_of(first['shown_stin']).strip().upper()}, but its hidden "
        f"IMS ref is {first['doc_no']} of {first['stin']}"
        + (f"; {more} more row(s) are out of step the same way" if more else "")
        + ": the rows were sorted or moved without the hidden IMS ref column, so the actions and "
          "remarks on them would go to other documents. Undo the sort in Excel, or take the last "
          "copy from the .ims-xl-backups folder beside the workbook, then sort whole rows (the "
          "filter buttons do); nothing was changed (ims-xl validate --dry-run lists every such row)")


def stack_sheets(sheets: dict[str, list[list[object]]], more: dict[str, list[list[object]]]
                 ) -> dict[str, list[list[object]]]:
    """``sheets`` with ``more`` added: a sheet of the same name gets the new grid below its
    own, after a blank row (nothing it held is replaced)."""
    out = dict(sheets)
    for name, grid in more.items():
        out[name] = [*out[name], [], *grid] if out.get(name) else grid
    return out


def other_sheets(grids: Mapping[str, list[list[object]]], sheet_names: list[str]
                 ) -> tuple[list[list[object]], dict[str, list[list[object]]], dict[str, list[list[object]]]]:
    """(the Books sheet, the report sheets, the sheets the accountant added) of a review
    workbook's grids, kept as they are to be written back (the Books sheet without its blank
    rows at the end): what a lean read leaves out, but for the carried items."""
    books = [list(r) for r in grids.get(BOOKS_SHEET) or []]
    while books and all(v in ("", None) for v in books[-1]):
        books.pop()
    reports = {}
    for n in REPORT_SHEETS:
        if grid := grids.get(n):
            reports[n] = [list(r) for r in grid]
        del grid  # before the next sheet is read
    extra = {n: [list(r) for r in grids[n]] for n in sheet_names if n not in KNOWN_SHEETS and n in grids}
    return books, reports, extra


def _no_constant(name: str) -> object:
    """``json.loads`` takes NaN and Infinity, which are not JSON and never an amount ims-xl
    wrote: a hidden record holding one is damaged."""
    raise ValueError(f"{name} is not a JSON number")


#: Records of the hidden copy parsed by one ``json.loads``.
_PARSE_CHUNK = 5000


def _hidden_records(texts: list[str], rows: list[int], source: str, one_pass: bool) -> list[dict]:
    """The records of the hidden copy, parsed from their JSON texts.

    When every text is sealed and its seal holds, each is exactly one JSON object as ims-xl
    wrote it, so they are parsed as arrays of :data:`_PARSE_CHUNK` (one ``json.loads`` per
    array, not per record; one array of the whole copy took a 120 MB text at 300,000 records
    and 0.4 s more, in fresh memory); otherwise record by record, so a damaged cell is named
    by its row."""
    if one_pass:
        try:
            recs: list = []
            for i in range(0, len(texts), _PARSE_CHUNK):
                part = texts[i:i + _PARSE_CHUNK]
                joined = "[" + ",".join(part) + "]"
                # a surrogate's escape (ims-xl writes none): each record looked at below (a
                # backslash is rare: one search for it first, some ten times faster)
                if "\\" in joined and ("\\ud" in joined or "\\uD" in joined):
                    break
                got = json.loads(joined, parse_constant=_no_constant)
                if len(got) != len(part):
                    break  # a cell holding two objects (or none): read record by record
                recs += got
            else:
                if all(type(r) is dict for r in recs):
                    return recs
        except (ValueError, RecursionError):  # RecursionError: nested too deeply
            pass  # fall through: the record-by-record read names the row
    out = []
    for text, i in zip(texts, rows):
        try:
            # written by us: numbers are exact (see records_from_originals), never NaN or Infinity
            rec = json.loads(text, parse_constant=_no_constant)
        except (ValueError, RecursionError):
            rec = None
        if lone_surrogate(text, rec) is not None:
            rec = None  # a lone surrogate: no character, it can be written to no workbook or upload
        if not isinstance(rec, dict):
            raise TemplateError(f"{source}: hidden sheet {DATA_SHEET}, row {i} is damaged; "
                                "re-create the workbook with ims-xl import")
        out.append(rec)
    return out


def _read_section(grid: list[list[object]], source: str, sec: Section, share: bool = True,
                  shown: bool | frozenset[str] = True) -> dict[str, np.ndarray]:
    """The accountant's entries, shown values and outputs of one section sheet: a column of
    cells (objects as read) per field, beside ``ref`` and ``excel_row`` (a ref repeated
    across rows or sheets is the caller's to refuse). ``shown``: read the downloaded values
    as the sheet shows them (checked for edits), or those of these fields only; a book only
    re-imported into needs none but the identity (:data:`_IDENTITY`)."""
    cols = columns_for(sec)
    if not grid:
        raise TemplateError(f"{source}: sheet '{sec.sheet}' is empty (its header row is gone); "
                            "re-create the workbook with ims-xl import")
    header = [text_of(h).strip() for h in grid[0]]
    pos = {h: j for j, h in enumerate(header) if h}
    for c in cols:
        if (c.editable or c.downloaded or c.kind == "ref") and c.header not in pos:
            raise TemplateError(
                f"{source}: sheet '{sec.sheet}': column '{c.header}' is missing (deleted or renamed?); "
                "undo the change in Excel, or re-create the workbook with ims-xl import")
    width = max(len(header), 1)
    body = [list(r) + [None] * (width - len(r)) if len(r) < width else r for r in grid[1:]]
    if not body:
        return {"ref": np.zeros(0, dtype="int64")}
    frame = pd.DataFrame(body, dtype=object).iloc[:, :width]
    excel_row = pd.Series(np.arange(2, len(body) + 2), index=frame.index)
    ref_col = frame[pos[cols[-1].header]]
    blank_ref = ref_col.isna() | (ref_col == "")
    if blank_ref.any():
        blanks = frame[blank_ref]
        bad = (blanks.notna() & (blanks != "")).any(axis=1)
        if bad.any():
            raise TemplateError(f"{source}: sheet '{sec.sheet}', row {int(excel_row[bad.index[bad]].iloc[0])}: "
                                "the hidden IMS ref is empty; rows must not be added or copied by hand")
        frame, excel_row, ref_col = frame[~blank_ref], excel_row[~blank_ref], ref_col[~blank_ref]
    refs = pd.to_numeric(ref_col, errors="coerce")
    if refs.dtype.kind != "f":  # a column of TRUE/FALSE stays bools (found by the fuzz test), and
        # whole numbers beyond int64 stay Python ints: neither is a ref
        refs = pd.Series([float(v) if isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_))
                          and abs(v) < 2**63 else np.nan for v in refs], index=refs.index, dtype=float)
    # a ref is a whole number an int64 holds (infinity, found by the fuzz test, is none)
    bad = refs.isna() | (refs != refs.round()) | ~(refs.abs() < 2**63)
    if bad.any():
        i = refs.index[bad][0]
        raise TemplateError(f"{source}: sheet '{sec.sheet}', row {int(excel_row[i])}: IMS ref "
                            f"'{ref_col[i]}' is not a number; do not edit the IMS ref column")
    out: dict[str, np.ndarray] = {"ref": refs.astype("int64").to_numpy(), "excel_row": excel_row.to_numpy()}
    ours = {c.header for c in cols}
    extra = [j for j in range(width) if header[j] not in ours
             and (frame[j].notna() & (frame[j] != "")).any()]
    if extra:  # the accountant's own columns: not written back here, so kept beside (book_from_grids)
        num = pos[next(c.header for c in cols if c.field == "doc_no")]
        names = [header[j] or f"column {j + 1}" for j in extra]
        kept = [[int(r), text_of(d), *vals] for r, d, *vals in
                zip(out["ref"], frame[num].tolist(), *(frame[j].tolist() for j in extra))
                if any(v not in (None, "") for v in vals)]
        out["_columns"] = [["IMS ref", next(c.header for c in cols if c.field == "doc_no"), *names], *kept]
    for c in cols:
        j = pos.get(c.header)
        if j is None or c.kind == "ref" or (c.downloaded and shown is not True and c.field not in shown):
            continue
        v = frame[j].to_numpy()
        v = _shared(v) if share and c.field not in _MOSTLY_DISTINCT else _blank_as_none(v)
        if c.downloaded:
            # read for the identity test alone (shown a set): a copy, as a view of the sheet's
            # block would keep all its cells alive (57 MB more at the peak of a 100,000-record re-run)
            out["shown_" + c.field] = v if shown is True else np.array(v, dtype=object)
        elif c.editable:
            out[c.field] = v
        elif c.kind == "output":  # mostly blank columns: a blank one needs no pass per cell
            out[c.field] = _output_texts(v)
    if "action_text" in out and not set(map(type, out["action_text"])) <= TEXT_OR_NONE:
        out["action_text"] = np.array([text_of(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else x
                                       for x in out["action_text"]], dtype=object)
    return out
#: Section-sheet fields whose cells are mostly all different (the others repeat a few values).
_MOSTLY_DISTINCT = frozenset({"doc_no", "orig_doc_no", "tradenm", "remarks", "remarks_text", "hash"})


def _shared(values: np.ndarray) -> np.ndarray:
    """The cells of a text column with equal values sharing one object: a reader gives each
    cell its own copy ("No Action", "Yes", "27") 100,000 times over, some 5 MB a column."""
    if not set(map(type, values)) <= TEXT_OR_NONE or not any(values):
        return _blank_as_none(values)  # numbers, dates, TRUE: as read (equal-hashing 1 and True)
    codes, uniques = pd.factorize(values)  # hashing in C; blanks get -1 and stay as they were
    out = _blank_as_none(np.asarray(uniques, dtype=object)).take(codes)
    blank = codes < 0
    out[blank] = values[blank]
    return out


def _placed(old: np.ndarray | None, at: np.ndarray, values: np.ndarray, n: int = 0) -> np.ndarray:
    """``values`` put at positions ``at`` of a copy of column ``old``, or (``old`` None) of a
    new object column of ``n`` empty cells."""
    out = old.copy() if old is not None else np.full(n, None, dtype=object)
    out[at] = values
    return out


def _output_texts(values: np.ndarray) -> np.ndarray:
    """:func:`text_of` of each cell of an output column. Texts and blanks (the column as
    ims-xl wrote it, some 100,000 distinct reconcile details among them) need no call per
    cell: a text is its own text and a blank is ""; other cells are read once per value."""
    blank = pd.isna(values)
    if blank.all():
        return np.full(len(values), "", dtype=object)
    if set(map(type, values)) <= TEXT_OR_NONE:
        out = values.copy()
        out[blank] = ""
        return out
    return per_value(pd.Series(values, dtype=object), text_of).to_numpy()


def _blank_as_none(values: np.ndarray) -> np.ndarray:
    """An empty cell reads as "" or None; the book holds None for both."""
    empty = values == ""
    if not empty.any():
        return values
    out = values.copy()
    out[empty] = None
    return out


def summary_cells(book: ReviewBook) -> dict[tuple[int, int], tuple[object, str]]:
    """The Summary sheet as ``{(row, col): (value, style)}`` (0-based), shared by the shells.

    Style is ``title``, ``bold``, ``input``, ``header``, ``amount`` or "". Amounts are rupees.
    """
    from .book import summary_tables
    cells: dict[tuple[int, int], tuple[object, str]] = {}

    def put(r: int, c: int, values: list[object], style: str = "") -> None:
        for j, v in enumerate(values):
            cells[(r, c + j)] = (v, style)

    put(0, 0, ["IMS review summary"], "title")
    put(SUMMARY_RTIN_ROW - 1, 0, ["Recipient GSTIN (your GSTIN)"], "bold")
    put(SUMMARY_RTIN_ROW - 1, 1, [book.meta.get("rtin", "")], "input")
    put(SUMMARY_PERIOD_ROW - 1, 0, ["Return period (MMYYYY)"], "bold")
    put(SUMMARY_PERIOD_ROW - 1, 1, [book.meta.get("period", "")], "input")
    put(4, 0, ["Imported from", book.meta.get("source", "")])
    put(5, 0, ["Imported at", book.meta.get("imported_at", "")])
    put(6, 0, ["Figures as of the last ims-xl action; run Validate or Refresh summary after editing."])
    t = summary_tables(book)
    r = 8
    put(r, 0, ["Section", "Action", "Records", "Taxable value", "IGST", "CGST", "SGST", "Cess"], "header")
    for row in t["by_section"].itertuples(index=False):
        r += 1
        put(r, 0, [row.section, row.action, int(row.records)])
        put(r, 3, [int(v) / 100 for v in (row.txval, row.iamt, row.camt, row.samt, row.cess)], "amount")
    r += 2
    put(r, 0, ["GSTR-2B preview: ITC by action (credit notes negative)", "IGST", "CGST", "SGST",
               "Cess", "Total"], "header")
    flows = [0, 0, 0, 0, 0]
    for row in t["itc"].itertuples(index=False):
        r += 1
        vals = [int(v) for v in (row.iamt, row.camt, row.samt, row.cess, row.total)]
        put(r, 0, [row.action])
        put(r, 1, [v / 100 for v in vals], "amount")
        if row.action in ("Accepted", "No Action (deemed accepted)"):
            flows = [a + b for a, b in zip(flows, vals)]
    r += 1
    put(r, 0, ["ITC that flows to GSTR-2B (Accepted + No Action)"], "bold")
    put(r, 1, [v / 100 for v in flows], "amount")
    st = status_summary(book.rows)
    if len(st):
        r += 2
        put(r, 0, ["Match status", "Action", "Records", "ITC"], "header")
        for row in st.itertuples(index=False):
            r += 1
            put(r, 0, [row.status, row.action, int(row.records)])
            put(r, 3, [int(row.itc) / 100], "amount")
    r = _deadlines(put, r + 2, book, t["itc"])
    return cells


def _deadlines(put, r: int, book: ReviewBook, itc: pd.DataFrame) -> int:
    """The period's cut-offs and what rides on the records still open (docs/GSTR3B_WORKING.md §5)."""
    from .deadlines import month_end_dates
    period = str(book.meta.get("period", "") or book.meta.get("gstr2b_period", "") or "")
    rtin = str(book.meta.get("rtin", "") or "")
    put(r, 0, [f"Month-end dates for period {period or '(not set)'} (statutory; extensions and holidays "
               "not applied)", "Date"], "header")
    for what, when in month_end_dates(period, rtin[:2] if rtin[:2].isdigit() else ""):
        r += 1
        put(r, 0, [what, when])
    act = effective_actions(book.rows) if len(book.rows) else pd.Series(dtype=object)
    by = itc.set_index("action")["total"] if len(itc) else pd.Series(dtype="int64")
    for code, label, key in (("N", "Records still at No Action: deemed accepted when GSTR-2B is generated",
                              "No Action (deemed accepted)"),
                             ("P", "Records kept Pending: out of GSTR-2B until acted on", "Pending")):
        r += 1
        put(r, 0, [label, int((act == code).sum())])
        put(r, 2, ["ITC riding on them"])
        put(r, 3, [int(by.get(key, 0)) / 100], "amount")
    if book.meta.get("gstr2b_generated"):
        r += 1
        put(r, 0, ["GSTR-2B checked", f"generated {book.meta.get('gstr2b_generated')}, "
                   f"period {book.meta.get('gstr2b_period', '')}: see the GSTR-2B and GSTR-3B ITC sheets"])
    return r


def status_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Records and ITC (paise) by match status × action (the Summary sheet after reconcile)."""
    if "match_status" not in rows or not (rows["match_status"] != "").any():
        return pd.DataFrame(columns=["status", "action", "records", "itc"])
    sign = rows["section"].map(ITC_SIGN)
    act = effective_actions(rows).map(ACTION_WORDS)
    df = pd.DataFrame({"status": rows["match_status"].replace("", "(not reconciled)"), "action": act,
                       "itc": (rows["iamt"] + rows["camt"] + rows["samt"] + rows["cess"]) * sign})
    order = {s.value: i for i, s in enumerate(MatchStatus)}
    g = df.groupby(["status", "action"]).agg(records=("itc", "size"), itc=("itc", "sum")).reset_index()
    g["_o"] = g["status"].map(order).fillna(99)
    return g.sort_values(["_o", "action"]).drop(columns="_o").reset_index(drop=True)
