"""The headless shell: review books to and from .xlsx files.

Reading uses python-calamine through ``read`` (a Rust reader, about 6x faster than openpyxl's
read-only mode). Writing has one path for every sheet: XlsxWriter writes the package (styles,
dropdowns, conditional formats, notes, filters, frozen panes) with each sheet's first row
only, and ``sheetxml`` streams every sheet's other rows into it, deflated once. A workbook is
always written whole, to a temporary file in the same folder, then moved over the target in
one step (``atomic``): never a half-written workbook.

Measured for 100,000 records x 27 columns on a 2-core machine: writing cell by cell 17.1 s
with XlsxWriter vs 21.8 s openpyxl write-only; reading 2.8 s calamine vs 17.9 s openpyxl
read-only; an openpyxl load + save 58 s and 1.0 GB. pyexcelerate writes faster (10.9 s) but
has no data validation, which the Action dropdown needs. Each command against the cost of
its own reads and writes: ``bench/bench_steps.py`` (README, "Speed and memory").
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path

import numpy as np
import xlsxwriter
import xlsxwriter.worksheet

from ..bulk import columns
from ..errors import InputError
from ..review.layout import (BOOKS_HEADER, BOOKS_SHEET, CARRIED_SHEET, COLOURS, DATA_SHEET, META_SHEET, README_SHEET,
                     LOG_SHEET, REMOVED_COLUMNS, REMOVED_SHEET, REPORT_SHEETS, SECTION_SHEETS,
                     SUMMARY_SHEET, Column, mark_rules)
from ..model import ACTION_LABELS, SECTIONS, TEXT_OR_NONE, Action
from ..review.book import ReviewBook, positioned
from ..review.inputs import some_text_starts_with
from .atomic import atomic_write_many, refuse_if_open
from .notes import NOTE_OPTIONS, SheetNotes, col_pixels, note_parts, row_pixels
from .read import open_workbook, refuse_other_packages, sheet_grid
from .safety import backup, check_output_path, discard_backup, prune_backups
from . import sheetxml
from ..model import col_index, col_letter
from .sheetxml import inject_rows, rows_xml
from ..review.sheets import (DATA_HEADER, FORMULA_CHARS, FORMULA_START, KNOWN_SHEETS, SectionBlock,
                             book_from_grids, data_columns, index_marks, other_sheets, refuse_not_review,
                             removed_grid, section_block, section_parts, summary_cells)

class _SectionSheet(xlsxwriter.worksheet.Worksheet):
    """A section sheet. Its conditional formats (one per colour and column) are all
    ``ISNUMBER(SEARCH("|field=mark|",$X2))``, which XlsxWriter's formula preparation leaves
    as they are after some 150 regular-expression passes each (about 0.7 s of a 1.2 s write of
    a small workbook). Those formulas skip the passes; the file's bytes are the same."""

    _CF = re.compile(r'ISNUMBER\(SEARCH\("\|[a-z0-9_]+=[a-z_]+\|",\$[A-Z]{1,3}2\)\)')

    def _prepare_formula(self, formula, expand_future_functions=False):
        bare = formula[1:] if formula.startswith("=") else formula
        if self._CF.fullmatch(bare):
            return bare
        return super()._prepare_formula(formula, expand_future_functions)


#: A cell's style (xf) index: a workbook has a few dozen, and 4 bytes a cell instead of 8
#: keeps 100,000 rows x 47 columns of them to 19 MB.
STYLE_DTYPE = np.int32

#: Indian digit grouping (lakh, crore) for amounts: Excel allows two conditions per format.
INR_FORMAT = '[>=10000000]##\\,##\\,##\\,##0.00;[>=100000]##\\,##\\,##0.00;##,##0.00'
DATE_FORMAT = "dd-mm-yyyy"
README_LINES: tuple[str, ...] = (
    "ims-xl review workbook: how to use it",
    "",
    "1. Each sheet B2B, B2BA, B2B-DN, B2B-DNA, B2B-CN, B2B-CNA, ECO, ECOA lists the records your suppliers reported in IMS.",
    "2. Choose an Action for each record in the Action column: Accept, Reject, Pending or No Action.",
    "   No Action means you leave it: the portal treats it as deemed accepted when GSTR-2B is generated.",
    "   Pending is not allowed where 'Pending blocked' is Yes.",
    "3. Remarks are sent only with Reject or Pending, and not where 'Remarks blocked' is Yes (250 characters at most).",
    "4. On B2BA, B2B-DNA, B2B-CN, B2B-CNA and ECOA, when you Accept, answer 'Whether ITC to be reduced' (Yes/No).",
    "   Yes with the amounts blank means the note's full tax; or type the IGST/CGST/SGST/Cess to reduce (CGST = SGST).",
    "5. Type your GSTIN (and the return period, MMYYYY) on the Summary sheet if they are blank.",
    "6. Validate (ribbon 'Validate sheet' or: ims-xl validate REVIEW.xlsx). Problems appear in 'Sheet validation errors'",
    "   and the cells are coloured. Errors block the upload; warnings only inform.",
    "7. Export the upload JSON (ribbon 'Export upload JSON' or: ims-xl export REVIEW.xlsx --out upload.json).",
    "   Only records whose Action you changed are uploaded. Upload it at IMS Dashboard > Offline > Upload JSON.",
    "8. If the portal reports errors, download its error file and import it (ims-xl import-errors ERRORS.json REVIEW.xlsx).",
    "9. A newer download can be imported into this workbook (ims-xl import NEW.json --into REVIEW.xlsx): your actions",
    "   and remarks are kept; records the supplier changed are marked in 'Re-import note'.",
    "",
    "Do not edit the downloaded columns (GSTIN, numbers, dates, amounts): the upload always uses the downloaded values,",
    "and validation warns about edited cells. Do not delete columns or the hidden 'IMS ref' column.",
    "",
    "Colours:",
)
LEGEND: tuple[tuple[str, str], ...] = (
    ("error", "Validation error: fix this cell before exporting"),
    ("warning", "Validation warning: check this cell"),
    ("portal", "The GST portal rejected this record: see 'GST portal validation errors'"),
    ("reimport", "Changed by the supplier or on the portal since your review: see 'Re-import note'"),
    ("input", "A column you fill in"),
    ("diff_amount", "Reconcile: this amount differs from your books (the books value is in the cell's note)"),
    ("diff_taxhead", "Reconcile: IGST reported as CGST+SGST or the reverse (place-of-supply error)"),
    ("diff_date", "Reconcile: the document date differs from your books"),
    ("diff_number", "Reconcile: the document number differs from your books (formatting or a near match)"),
    ("diff_gstin", "Reconcile: booked under another GSTIN of the same PAN"),
    ("missing", "Reconcile: not found in your books"),
)


# ---------------------------------------------------------------- writing

class _Formats:
    """XlsxWriter formats, created once per (base, mark)."""

    def __init__(self, wb: xlsxwriter.Workbook):
        self.wb = wb
        self.cache: dict[tuple[str, str], object] = {}
        self.base = {
            "text": {"num_format": "@"},
            "amount": {"num_format": INR_FORMAT},
            "date": {"num_format": DATE_FORMAT},
            "plain": {},
            "input": {"bg_color": COLOURS["input"], "num_format": "@"},
            "input_amount": {"bg_color": COLOURS["input"], "num_format": INR_FORMAT},
            "wrap": {"text_wrap": True, "valign": "top"},
            "header": {"bold": True, "font_color": "#FFFFFF", "bg_color": COLOURS["header"],
                       "text_wrap": True, "valign": "top", "border": 1},
            "title": {"bold": True, "font_size": 14},
            "bold": {"bold": True},
        }

    def cf(self, mark: str):
        """The (differential) format of a conditional-format colour."""
        key = ("cf", mark)
        if key not in self.cache:
            self.cache[key] = self.wb.add_format({"bg_color": COLOURS[mark], "pattern": 1})
        return self.cache[key]

    def get(self, base: str, mark: str = "", quote: bool = False):
        key = (base + ("'" if quote else ""), mark)
        if key not in self.cache:
            props = dict(self.base[base])
            if mark:
                props["bg_color"] = COLOURS[mark]
            if quote:
                props["quote_prefix"] = True
            self.cache[key] = self.wb.add_format(props)
        return self.cache[key]


def _base_of(col: Column) -> str:
    return {"text": "text", "amount": "amount", "date": "date", "flag": "text", "status": "text",
            "action": "input", "input_text": "input", "input_yesno": "input",
            "input_amount": "input_amount", "output": "wrap", "ref": "plain"}[col.kind]


#: A section sheet's header row height in points (three lines of wrapped header text).
HEADER_HEIGHT = 45


def _write_section(ws, fmts: _Formats, block: SectionBlock, n: int, section) -> None:
    """Header, widths, filters, frozen pane and dropdowns through XlsxWriter; the rows
    themselves are streamed in later by :func:`sheetxml.inject_rows`."""
    cols = block.columns
    for j, c in enumerate(cols):
        ws.set_column(j, j, c.width, fmts.get(_base_of(c)), {"hidden": c.hidden})
    ws.set_row(0, HEADER_HEIGHT)
    ws.write_row(0, 0, [c.header for c in cols], fmts.get("header"))
    ws.freeze_panes(1, 0)
    last = max(n, 1)
    ws.autofilter(0, 0, last, len(cols) - 1)
    idx = {c.field: j for j, c in enumerate(cols)}
    end = max(last, 1000)
    ws.data_validation(1, idx["action_text"], end, idx["action_text"], {
        "validate": "list", "source": [ACTION_LABELS[a] for a in Action],
        "input_title": "Action", "input_message": "Accept, Reject, Pending or No Action",
        "error_title": "Action", "error_message": "Choose Accept, Reject, Pending or No Action",
        "error_type": "warning"})
    # colours follow the hidden Cell marks column through conditional formatting, so any
    # shell (the Excel one included) colours every cell by writing that one column
    letter = col_letter(idx["cell_marks"])
    for j, mark, field in mark_rules(section):
        ws.conditional_format(1, j, 1048575, j, {
            "type": "formula", "criteria": f'=ISNUMBER(SEARCH("|{field}={mark}|",${letter}2))',
            "format": fmts.cf(mark), "stop_if_true": True})
    if "itc_red_text" in idx:
        ws.data_validation(1, idx["itc_red_text"], end, idx["itc_red_text"], {
            "validate": "list", "source": ["Yes", "No"], "error_type": "warning"})
        for f in ("decl_igst_in", "decl_cgst_in", "decl_sgst_in", "decl_cess_in"):
            ws.data_validation(1, idx[f], end, idx[f], {
                "validate": "decimal", "criteria": ">=", "value": 0, "error_type": "warning",
                "error_message": "Enter an amount of 0 or more"})


def _styles(block: SectionBlock, fmts: _Formats) -> list[np.ndarray]:
    """The xf index of every cell, column-major: the column's style, or a marked variant."""
    n = len(block.values[0]) if block.values else 0
    styles = [np.full(n, fmts.get(_base_of(c))._get_xf_index(), dtype=STYLE_DTYPE) for c in block.columns]
    for (i, j), mark in block.marks.items():
        v = block.values[j][i]
        quote = isinstance(v, str) and v.startswith(FORMULA_START)
        styles[j][i] = fmts.get(_base_of(block.columns[j]), mark, quote)._get_xf_index()
    return styles


def _write_grid(ws, fmts: _Formats, grid: list[list[object]], header: bool = True,
                base: str = "", as_text: bool = False):
    """Write a grid's first row through XlsxWriter and return the rest as a body for
    :func:`sheetxml.inject_rows` ((row generator, dimension), or None for no more rows).

    Styles follow what XlsxWriter gives a row written with ``write_row``: the column's
    ``base`` format, amounts (floats) in rupees, dates as dates, and supplier text that
    starts like a formula kept as text. ``as_text`` writes every value as text (the Log,
    whose checksums cover the text)."""
    if not grid:
        return None
    first = grid[0]
    for j, v in enumerate(first):
        if v in (None, ""):
            continue
        if header and (as_text or isinstance(v, str)):  # a register's first line is supplier text too
            v = str(v)
            ws.write_string(0, j, v, fmts.get("header", quote=v.startswith(FORMULA_START)))
        elif header:
            ws.write(0, j, v, fmts.get("header"))
        else:
            _write_first_cell(ws, fmts, j, v, base, as_text)
    body = grid[1:]
    if not body:
        return None
    width = max(len(first), max(map(len, body)))
    rows = [r if len(r) == width else list(r) + [None] * (width - len(r)) for r in body]
    cols = _columns(rows, width)
    if as_text:  # a column of texts and blanks is written as it is ("" and None alike: no cell)
        cols = [c if set(map(type, c)) <= TEXT_OR_NONE else [None if v is None or v == "" else str(v) for v in c]
                for c in cols]
    xf = fmts.get(base)._get_xf_index() if base else 0
    amount, date_xf = fmts.get("amount")._get_xf_index(), fmts.get("date")._get_xf_index()
    quote = fmts.get(base or "plain", quote=True)._get_xf_index()
    styles = [_grid_styles(c, xf, amount, date_xf, quote) for c in cols]
    ref = f"A1:{col_letter(width - 1)}{len(grid)}"
    return (lambda: rows_xml(cols, styles, 2, defaults=[xf] * width, encoded=True), ref)


def _columns(rows: list, width: int) -> list[list]:
    """The columns of ``rows`` (each ``width`` long), by chunks of rows (:func:`..bulk.columns`:
    all the grids of a 100,000-record run 0.125 -> 0.075 s against one numpy array of every
    cell; ``zip`` over all the rows at once made an iterator a row that the garbage
    collector traced, 110,000 for the Books sheet)."""
    return columns(rows, width) if rows else []


#: Cells of a grid column :func:`_grid_styles` looks at together.
_STYLE_CHUNK = 5000


def _grid_styles(c: list, xf: int, amount: int, date_xf: int, quote: int) -> np.ndarray:
    """The xf index of each cell of a grid column (a text column in one search for
    formula-like values, and one pass over them where it finds some).

    A text column is taken :data:`_STYLE_CHUNK` cells at a time, each part's kinds, search and
    pass one after the other while its cells are still in the processor's cache, not three
    passes over the whole column (the Books sheet's columns at 100,000 records: 0.25 -> 0.17 s)."""
    kinds: set = set()
    quoted: list[int] = []
    for a in range(0, len(c), _STYLE_CHUNK):
        part = c[a:a + _STYLE_CHUNK]
        kinds.update(map(type, part))
        if not kinds <= TEXT_OR_NONE:
            break
        if some_text_starts_with(part, FORMULA_START):  # one search over the part first
            quoted += [a + i for i, v in enumerate(part) if v and v[:1] in FORMULA_CHARS]
    if kinds <= TEXT_OR_NONE:
        st = np.full(len(c), xf, dtype=STYLE_DTYPE)
        if quoted:
            st[quoted] = quote
        return st
    return np.fromiter((amount if type(v) is float else
                        (quote if v.startswith(FORMULA_START) else xf) if type(v) is str else
                        date_xf if isinstance(v, date) else xf for v in c), dtype=STYLE_DTYPE, count=len(c))


def _write_first_cell(ws, fmts: _Formats, j: int, v: object, base: str, as_text: bool) -> None:
    """One cell of a grid's first row written as data (a sheet with no header row)."""
    if as_text or isinstance(v, str):
        v = str(v)
        ws.write_string(0, j, v, fmts.get(base or "plain", quote=v.startswith(FORMULA_START)))
    elif type(v) is float:
        ws.write_number(0, j, v, fmts.get("amount"))
    else:
        ws.write(0, j, v, fmts.get(base) if base else None)


def _write_summary(ws, fmts: _Formats, book: ReviewBook) -> None:
    """The Summary sheet, from :func:`sheets.summary_cells` (its one definition)."""
    ws.set_column(0, 0, 34)
    ws.set_column(1, 8, 16)
    for (r, c), (v, style) in sorted(summary_cells(book).items()):
        f = fmts.get(style) if style else None
        if isinstance(v, str):
            ws.write_string(r, c, v, f)
        else:
            ws.write_number(r, c, v, f)


def _body(block: SectionBlock, styles: list[np.ndarray], fmts: _Formats):
    """(row generator, dimension) for :func:`sheetxml.inject_rows`."""
    n = len(block.values[0]) if block.values else 0
    ref = f"A1:{col_letter(len(block.columns) - 1)}{n + 1}"
    defaults = [fmts.get(_base_of(c))._get_xf_index() for c in block.columns]
    return (lambda: rows_xml(block.values, styles, 2, defaults=defaults, encoded=True), ref)




#: Review workbooks are .xlsx: XlsxWriter writes an .xlsx package, which under an .xlsm name
#: (no VBA project, macro-free content type) Excel refuses to open, and .xlsb/.xls/.ods are
#: other formats altogether.
REVIEW_SUFFIX = ".xlsx"


def not_xlsx_message(path: Path) -> str:
    """The one line for a review workbook that is not an .xlsx, saying how to save it as one."""
    p = Path(path)
    ext = p.suffix.lower()
    if ext == ".ods":
        return (f"{p.name}: an OpenDocument spreadsheet; ims-xl works on .xlsx review workbooks: save it as "
                "an .xlsx in LibreOffice (File > Save As > Excel 2007-365) and use that file")
    if ext in (".xlsm", ".xlsb", ".xls"):
        return (f"{p.name}: a {ext} workbook; ims-xl keeps review workbooks only as .xlsx (rewriting a {ext} "
                "file would break it or drop its macros): save it as an .xlsx in Excel (File > Save As > "
                "Excel Workbook) and use that file")
    return f"{p.name}: a review workbook must be an .xlsx file; give a name ending in .xlsx"


def check_review_target(path: str | Path) -> None:
    """Refuse, before any work, a review workbook target ims-xl cannot write as it is: a
    folder, a missing folder, or a name not ending in .xlsx.

    Raises:
        InputError: one line naming the file and what to do.
    """
    p = Path(path)
    check_output_path(p)
    if p.suffix.lower() != REVIEW_SUFFIX:
        raise InputError(not_xlsx_message(p))


def write_review(book: ReviewBook, path: str | Path,
                 marks: dict[tuple[int, str], str] | None = None,
                 created: datetime | None = None) -> None:
    """Write the whole review workbook to ``path`` (atomically).

    ``marks`` maps (ref, field) to ``error``/``warning`` for the cells validation coloured.
    """
    path = Path(path)
    if book.lean:  # pragma: no cover - a programming error, not an input one
        raise ValueError("a book read in part (lean, or work only) cannot be written back")
    check_review_target(path)
    by_ref = index_marks(marks or {})
    rows = positioned(book.rows)

    def write(tmp: str) -> None:
        bodies: dict = {}
        notes: dict[str, SheetNotes] = {}
        pkg = tmp + ".pkg"
        wb = xlsxwriter.Workbook(pkg, {"constant_memory": True, "strings_to_formulas": False,
                                       "strings_to_urls": False, "strings_to_numbers": False,
                                       "default_date_format": DATE_FORMAT})
        wb.set_properties({"title": "IMS review", "author": "ims-xl", "comments": "Made by ims-xl",
                           "created": created or datetime.now(timezone.utc)})
        fmts = _Formats(wb)
        ws = wb.add_worksheet(README_SHEET)
        ws.set_column(0, 0, 120)
        for i, line in enumerate(README_LINES):
            ws.write_string(i, 0, line, fmts.get("title") if i == 0 else None)
        for k, (mark, text) in enumerate(LEGEND):
            ws.write_string(len(README_LINES) + k, 0, text, fmts.get("plain", mark))
        _write_summary(wb.add_worksheet(SUMMARY_SHEET), fmts, book)
        for sec, part in zip(SECTIONS, section_parts(rows)):
            ws = wb.add_worksheet(sec.sheet, worksheet_class=_SectionSheet)
            block = section_block(part, sec, by_ref)
            _write_section(ws, fmts, block, len(part), sec)
            if block.notes:  # XlsxWriter writes one; notes.note_parts all of them, in bulk
                sheet_notes = SheetNotes({(i + 1, j): t for (i, j), t in block.notes.items()},
                                         {j: 0 if c.hidden else col_pixels(c.width) for j, c in enumerate(block.columns)},
                                         {0: row_pixels(HEADER_HEIGHT)})
                ws.write_comment(*sheet_notes.first(), NOTE_OPTIONS)
                notes[f"xl/worksheets/sheet{len(wb.worksheets())}.xml"] = sheet_notes
            bodies[f"xl/worksheets/sheet{len(wb.worksheets())}.xml"] = _body(block, _styles(block, fmts), fmts)
        def grid_sheet(ws, grid, **how) -> None:
            body = _write_grid(ws, fmts, grid, **how)
            if body is not None:
                bodies[f"xl/worksheets/sheet{len(wb.worksheets())}.xml"] = body

        ws = wb.add_worksheet(BOOKS_SHEET)
        ws.freeze_panes(1, 0)
        ws.set_column(0, 20, 16, fmts.get("text"))
        grid_sheet(ws, book.books or [list(BOOKS_HEADER)], base="text")
        for name in REPORT_SHEETS:
            if book.reports.get(name):
                ws = wb.add_worksheet(name)
                ws.freeze_panes(1, 0)
                ws.set_column(0, 20, 16)
                grid_sheet(ws, book.reports[name])
                ws.autofilter(0, 0, max(len(book.reports[name]) - 1, 1), len(book.reports[name][0]) - 1)
        if book.log:
            ws = wb.add_worksheet(LOG_SHEET)
            ws.freeze_panes(1, 0)
            ws.set_column(0, 8, 18, fmts.get("text"))
            ws.set_column(9, 10, 18, fmts.get("text"), {"hidden": True})
            grid_sheet(ws, book.log, base="text", as_text=True)  # text, so the checksums stay true
        if len(book.removed):
            ws = wb.add_worksheet(REMOVED_SHEET)
            ws.set_column(0, len(REMOVED_COLUMNS), 18)
            grid_sheet(ws, removed_grid(book))
        for name, grid in book.extra_sheets.items():
            grid_sheet(wb.add_worksheet(name), grid, header=False)
        ws = wb.add_worksheet(DATA_SHEET)
        ws.write_row(0, 0, list(DATA_HEADER))
        data = data_columns(book)
        plain = fmts.get("plain")._get_xf_index()
        bodies[f"xl/worksheets/sheet{len(wb.worksheets())}.xml"] = (
            lambda: rows_xml(data, [np.full(len(data[0]), plain, dtype=STYLE_DTYPE)] * len(DATA_HEADER), 2,
                             encoded=True),
            f"A1:{col_letter(len(DATA_HEADER) - 1)}{len(data[0]) + 1}")
        ws.hide()
        ws = wb.add_worksheet(META_SHEET)
        ws.write_row(0, 0, ["key", "value"])
        for i, (k, v) in enumerate(sorted(book.meta.items()), start=1):
            ws.write_row(i, 0, [k, str(v)])
        ws.hide()
        wb.worksheets()[0].activate()
        try:  # the intermediate package goes whatever happens: no temporary file is left behind
            try:
                wb.close()
            except (OSError, xlsxwriter.exceptions.FileCreateError) as exc:
                _close_zips_left_open(exc)
                if isinstance(exc, OSError):
                    raise
                # XlsxWriter wraps the OSError
                raise (exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else OSError(str(exc))) from None
            inject_rows(pkg, tmp, bodies, note_parts(pkg, notes))
        finally:
            if os.path.exists(pkg):
                os.unlink(pkg)

    refuse_if_open(path)
    # the last few versions, beside the workbook; pruned only once the new one is in place, and
    # taken back if it is not, so a failed write neither leaves a backup nor costs an older one
    made = backup(path, keep=5, prune=False) if path.exists() else None
    done: list[Path] = []
    try:
        atomic_write_many([(path, write)], done)
    except BaseException:
        if not done:
            discard_backup(made)
        raise
    prune_backups(path, 5)


# ---------------------------------------------------------------- reading

def read_review(path: str | Path, lean: bool = False, work_only: bool = False,
                out_of_step_ok: bool = False) -> ReviewBook:
    """Read a review workbook written by :func:`write_review` and edited by the accountant.

    ``lean`` leaves out what export and the batch figures never read (the Books sheet, the
    reports worked out from it, sheets the accountant added; the short list of items carried
    from earlier months is kept, as the overdue count needs it): the book is marked ``lean``
    and :func:`write_review` refuses it.
    ``work_only`` leaves out the downloaded records' copies (the hidden copy, kept only as
    the rows read from it) and the downloaded values as the section sheets show them: the
    book a new download is re-imported into, which brings them anew; it too is marked
    ``lean``. ``out_of_step_ok``: rows sorted apart from their IMS ref are read for
    validation to name (:func:`sheets.book_from_grids`), not refused.

    Raises:
        InputError: the file cannot be opened as a workbook.
        TemplateError: it is not a review workbook, or a needed column or sheet was deleted.
    """
    p = Path(path)
    if p.suffix.lower() in (".ods", ".xlsb"):
        raise InputError(not_xlsx_message(p))
    error_parts: dict[str, str] = {}  # section sheet -> its part, where it holds error cells
    wb = open_workbook(p, error_parts, SECTION_SHEETS)
    refuse_other_packages(p)
    try:
        names = list(wb.sheet_names)
        refuse_not_review(names, p.name)
        skip = {README_SHEET}
        if lean:
            skip |= {BOOKS_SHEET, *(n for n in REPORT_SHEETS if n != CARRIED_SHEET),
                     *(n for n in names if n not in KNOWN_SHEETS)}
        # no read ahead for a re-import: its download is in memory beside the read, and a
        # section sheet parsed ahead (some 60 MB at 100,000 records) would take the re-run
        # to 980 MB, too near its 1 GB bound (README "Speed and memory")
        grids = _SheetGrids(wb, p, [n for n in names if n not in skip], error_parts,
                            order=() if work_only else _read_order(names))
        try:
            book = book_from_grids(grids, p.name, names, share=not lean, copies=not work_only,
                                   out_of_step_ok=out_of_step_ok)
        finally:
            grids.close()
    finally:
        wb.close()
    return replace(book, lean=True) if lean or work_only else book


def read_other_sheets(path: str | Path) -> tuple[list[list[object]], dict, dict]:
    """(the Books sheet, the report sheets, the sheets the accountant added) of a review
    workbook, as :func:`read_review` reads them: what a book read lean needs to be written
    back whole, read alone (some 1.8 s at 100,000 records, where a second whole read took 7.5).

    Raises:
        InputError: the file cannot be opened as a workbook.
    """
    p = Path(path)
    wb = open_workbook(p, {})  # (no section sheet read: no error cells looked for)
    try:
        names = list(wb.sheet_names)
        wanted = [n for n in names if n == BOOKS_SHEET or n in REPORT_SHEETS or n not in KNOWN_SHEETS]
        grids = _SheetGrids(wb, p, wanted, {}, order=_read_order(names))
        try:
            return other_sheets(grids, names)
        finally:
            grids.close()
    finally:
        wb.close()


def _read_order(names: list[str]) -> list[str]:
    """The order :func:`sheets.book_from_grids` asks for a review workbook's sheets in: the
    order :class:`_SheetGrids` reads them ahead in."""
    return [META_SHEET, SUMMARY_SHEET, DATA_SHEET, *(s.sheet for s in SECTIONS), BOOKS_SHEET, *REPORT_SHEETS,
            *(n for n in names if n not in KNOWN_SHEETS), REMOVED_SHEET, LOG_SHEET]


class _SheetGrids(Mapping):
    """A review workbook's sheets as grids, each read from the package when it is asked for
    and not kept here: :func:`book_from_grids` takes each sheet once and keeps only what it
    needs of it, so the section sheets' cells (some 240 MB of Python objects at 100,000
    records, the hidden copy's 100 MB more) never all live at once. Peak memory of a re-run
    (README "Speed and memory"); a test holds every sheet to one read.

    While the sheet asked for is turned into Python cells and worked on, python-calamine
    parses the sheet expected next (``order``) in one worker thread (it lets go of the GIL
    while it parses): the accountant waits less (export 5.4 -> 4.1 s at 100,000 records,
    validate 7.6 -> 6.5 s), for 2-5% more CPU (two cores at work) and one sheet more in
    memory, held as python-calamine's own cells (some 60 MB for a 78,000-row section sheet).
    The workbook is never read by both threads at once. :meth:`close` before the workbook is
    closed."""

    def __init__(self, wb, path: Path, names: list[str], error_parts: dict[str, str],
                 order: list[str] | tuple[str, ...] = ()):
        self._wb, self._path, self._names, self._error_parts = wb, path, names, error_parts
        # read ahead in ``order`` only (none without one); a sheet outside it is read when asked
        self._order = [n for n in order if n in names]
        self._asked: set[str] = set()
        self._ahead: tuple[str, Future] | None = None
        self._pool: ThreadPoolExecutor | None = None

    def __getitem__(self, name: str) -> list[list[object]]:
        if name not in self._names:
            raise KeyError(name)
        ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead[0] == name:
            fetch = ahead[1].result  # parsed by the worker (its error, if any, raised by the read)
        else:
            if ahead is not None:  # another sheet was expected: its read ends before this one starts
                futures_wait([ahead[1]])
            fetch = self._parse_now(name)
        self._asked.add(name)
        self._read_ahead(name)
        grid = sheet_grid(self._wb, name, fetch, self._path.name)
        if name in self._error_parts:
            _restore_error_cells(self._path, grid, self._error_parts[name])
        return grid

    def _parse_now(self, name: str):
        """The sheet parsed here, before a read ahead starts, as a ``fetch`` for
        :func:`read.sheet_grid` (which names a damaged sheet's error)."""
        try:
            sheet = self._wb.get_sheet_by_name(name)
        except Exception as exc:  # noqa: BLE001 - raised again, and named, by read.sheet_grid
            error = exc

            def fetch():
                raise error
            return fetch
        return lambda: sheet

    def _read_ahead(self, name: str) -> None:
        """Hand the worker the sheet expected after ``name`` (it starts once the read it may
        still be doing for ``name`` ends: one worker, one read at a time)."""
        if not sheetxml.HELPER_THREADS:
            return
        later = self._order[self._order.index(name) + 1:] if name in self._order else []
        nxt = next((n for n in later if n not in self._asked), None)
        if nxt is None:
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ims-xl-read")
        self._ahead = (nxt, self._pool.submit(self._wb.get_sheet_by_name, nxt))

    def close(self) -> None:
        """Wait for a read ahead (the workbook may be closed after) and stop the worker."""
        if self._ahead is not None:
            futures_wait([self._ahead[1]])
            self._ahead = None
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def __contains__(self, name: object) -> bool:  # Mapping's own would read the sheet
        return name in self._names

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


_ERROR_CELL = re.compile(rb'<c r="([A-Z]+)([0-9]+)"[^>]*?t="e"[^>]*>(?:<f[^>]*>.*?</f>|<f[^>]*/>)?<v>([^<]*)</v>')


def _restore_error_cells(path: Path, grid: list[list[object]], part: str) -> None:
    """Put Excel error values (``#N/A``, ``#REF!`` ...) back into the grid of a section
    sheet: python-calamine reads them as empty cells, which would silently turn a broken
    Action or Remarks cell into a blank one. Validation then reports them (``cell-error``).
    ``part``: the sheet's part, which the search of :func:`read.open_workbook` found holding
    error cells (``t="e"``)."""
    import html
    import zipfile
    with zipfile.ZipFile(path) as z:
        data = z.read(part)
    for col, row, val in _ERROR_CELL.findall(data):
        i, j = int(row) - 1, col_index(col.decode())
        while len(grid) <= i:
            grid.append([])
        line = grid[i] = list(grid[i])
        line.extend([None] * (j + 1 - len(line)))
        line[j] = html.unescape(val.decode("utf-8"))



def _close_zips_left_open(exc: BaseException) -> None:
    """Close the package zip a failed XlsxWriter write leaves open (a full disk mid-write):
    otherwise its finaliser retries the write later and prints "Exception ignored" beside
    our one-line message. The zip is a local of XlsxWriter's frames in the traceback."""
    import zipfile
    # XlsxWriter re-raises the OSError as FileCreateError(e): the frames are on ``e``
    seen: list[BaseException] = [exc]
    for e in seen:
        for nxt in (e.__cause__, e.__context__, *(a for a in e.args if isinstance(a, BaseException))):
            if nxt is not None and all(nxt is not s for s in seen):
                seen.append(nxt)
        tb = e.__traceback__
        while tb is not None:
            for value in list(tb.tb_frame.f_locals.values()):
                if isinstance(value, zipfile.ZipFile) and value.fp is not None:
                    try:
                        value.close()
                    except OSError:
                        pass  # the end record cannot be written either; the file is closed anyway
            tb = tb.tb_next

