"""The review workbook open in Excel: bulk reads and writes through xlwings.

:class:`Session` is one ribbon action on one workbook, and the only place xlwings objects live:

1. it reads every sheet in bulk into a grid (one read per sheet) and rebuilds the review book
   with :func:`ims_xl.review.sheets.book_from_grids`, exactly as the headless shell does;
2. it writes back in bulk what changed: one write per table or contiguous column block,
   number formats set per column block *before* the values (Excel retypes ``"01"`` as 1
   otherwise), the base fill per run of columns. Never a loop over cells.

No GST logic lives here (the Summary's layout and figures come from ``sheets.summary_cells``).
The number of xlwings calls an action makes depends neither on the number of rows nor on the
number of marked cells (``tests/test_xl_shell.py`` counts them for 10 and 100,000 records,
every action): each coloured cell is listed in the hidden ``Cell marks`` column, written with
the other values, and the workbook's conditional formats colour the cells from it. The shell
adds no cell notes (a few calls each); it only removes stale ones the command line wrote.

xlwings itself splits a single ``value`` read or write that is larger than the engine's cell
budget (classic xlwings 0.37.8: writes above 100,000 cells, reads above 4,000,000 cells on
Windows and 1,500,000 on macOS, where a larger Apple Event reply fails) into row chunks. The
shell keeps that default on purpose: it bounds the memory and time of each COM/AppleScript
round trip, which is what the xlwings maintainers advise for large ranges (xlwings#1302). So
the calls this module makes are constant, and the round trips below them grow as
cells / budget, not per row or per cell.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pandas as pd

from .. import actions
from ..errors import InputError
from ..files.xlsx import DATE_FORMAT, INR_FORMAT, LEGEND, README_LINES
from ..model import ACTION_LABELS, SECTIONS, Action, Section
from ..registry import ActionInfo
from ..review import sheets
from ..review.book import ReviewBook, positioned
from ..review.layout import (BOOKS_HEADER, BOOKS_SHEET, COLOURS, DATA_SHEET, LOG_SHEET, META_SHEET, README_SHEET,
                             REMOVED_SHEET, SUMMARY_SHEET, Column, columns_for)
from ..review.sheets import (DATA_HEADER, KNOWN_SHEETS, SectionBlock, book_from_grids, data_columns, index_marks,
                             refuse_not_review, removed_grid, section_block, text_of)

TITLE = "GST IMS"
TEXT = "@"
GENERAL = "General"
#: Rows given the Action dropdown at least (the template's own validation covers as many).
DROPDOWN_ROWS = 1000

#: Number format per column kind; the same choices as the xlsx shell (``xlsx._base_of``).
NUMBER_FORMAT: dict[str, str] = {
    "text": TEXT, "flag": TEXT, "status": TEXT, "action": TEXT, "input_text": TEXT,
    "input_yesno": TEXT, "amount": INR_FORMAT, "input_amount": INR_FORMAT, "date": DATE_FORMAT,
    "output": GENERAL, "ref": GENERAL,
}
#: Fields whose change means the cell notes change (``sheets.section_block`` derives them),
#: and how those notes begin (``sheets.section_block``: "Books: <value> (Books row n)").
NOTE_FIELDS = frozenset({"match_detail"})
NOTE_PREFIX = "Books: "
INPUT_KINDS = frozenset({"action", "input_text", "input_yesno", "input_amount"})


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


FILL: dict[str, tuple[int, int, int]] = {k: _rgb(v) for k, v in COLOURS.items()}



def _runs(flags: list[bool] | np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each run of True values."""
    a = np.asarray(flags, dtype=bool)
    if not a.any():
        return []
    d = np.diff(np.r_[0, a.astype(np.int8), 0])
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist()))


def _groups(keys: list[Any]) -> list[tuple[int, int, Any]]:
    """[start, end, key) of each run of equal neighbouring keys."""
    out: list[tuple[int, int, Any]] = []
    for j, k in enumerate(keys):
        if out and out[-1][2] == k and out[-1][1] == j:
            out[-1] = (out[-1][0], j + 1, k)
        else:
            out.append((j, j + 1, k))
    return out


def _safe_text(values: list[Any], fmt: str) -> list[Any]:
    """Values for cells whose format is not Text: strings get Excel's text prefix (') so
    "01", "1/2" or "=x" are stored as typed, not as a number, a date or a formula."""
    if fmt == TEXT:
        return values
    return ["'" + v if isinstance(v, str) and v else v for v in values]


def _cells(grid: list[list[Any]] | None) -> list[tuple]:
    """A report grid as Excel gives it back: numbers as floats, blanks as "", trailing blanks
    dropped, so a report read from the sheet equals the same report computed again (and is
    not rewritten: the calls then do not depend on the data)."""
    def cell(v: Any) -> Any:
        if v is None or v == "":
            return ""
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return round(float(v), 6)
        return str(v)
    out = []
    for row in grid or []:
        r = [cell(v) for v in row]
        while r and r[-1] == "":
            r.pop()
        out.append(tuple(r))
    while out and not out[-1]:
        out.pop()
    return out


def _rows_of(columns: list[list[Any]]) -> list[list[Any]]:
    return [list(r) for r in zip(*columns)]


#: Excel's sheet names ignore case: a sheet renamed 'log' is still the Log (and a new 'Log'
#: cannot be added beside it).
_CANONICAL = {n.casefold(): n for n in KNOWN_SHEETS}


def _in_layout(grid: list[list[Any]], sec: Section) -> bool:
    """The section sheet's columns are where ims-xl writes them: its header row is ims-xl's,
    and nothing lies right of it. A column inserted, moved or deleted by hand shifts the
    others, and cells written by position would land in the wrong columns."""
    want = [c.header for c in columns_for(sec)]
    if not grid:
        return True  # (an empty section sheet is refused when the book is read)
    n = len(want)
    if [text_of(h).strip() for h in grid[0][:n]] != want:
        return False
    return len(grid[0]) <= n or all(v in (None, "") for r in grid for v in r[n:])


class Session:
    """One action on one workbook: the xlwings objects it touches live only here."""

    def __init__(self, book: Any, app: Any, info: ActionInfo):
        self.book, self.app, self.info = book, app, info
        self.sheets: dict[str, Any] = {}
        self.extent: dict[str, tuple[int, int]] = {}
        self.before: ReviewBook | None = None
        self.notices: list[str] = []
        #: section sheets whose columns were inserted, moved or deleted by hand (:func:`_in_layout`)
        self.relayout: set[str] = set()
        #: rows of each sheet as read (a sheet of the accountant's whose grid the book changed is written)
        self.read_rows: dict[str, int] = {}

    def progress(self, text: str) -> None:
        """Show a step in the status bar (restored by ``app.properties`` at the end)."""
        self.app.status_bar = f"{TITLE}: {self.info.label}: {text}"

    # ------------------------------------------------------------ reading

    def read(self, required: bool = True) -> ReviewBook | None:
        """Every sheet but the Read me, one bulk read each, into a review book.

        Returns None when ``required`` is False and the workbook is not a review workbook
        yet (a first import into a blank workbook).
        """
        for sheet in self.book.sheets:
            name = sheet.name
            self.sheets[_CANONICAL.get(name.casefold(), name)] = sheet
        if not required and (DATA_SHEET not in self.sheets or META_SHEET not in self.sheets):
            if DATA_SHEET in self.sheets or META_SHEET in self.sheets:
                # a review workbook that lost one hidden sheet, not a blank one: imported into
                # as blank, every action typed on it would be written over (`import --into` refuses too)
                refuse_not_review(self.sheets, self.book.name)
            for name, sheet in self.sheets.items():  # not a review workbook yet: sizes only
                last = sheet.used_range.last_cell
                self.extent[name] = (last.row, last.column)
            self._refuse_overwrite()
            return None
        grids = {}
        for name, sheet in self.sheets.items():
            if name == README_SHEET:
                continue
            self.progress(f"reading {name}")
            grids[name] = self._read_sheet(name, sheet)
        self.progress("checking")
        self.relayout = {sec.sheet for sec in SECTIONS if sec.sheet in grids and not _in_layout(grids[sec.sheet], sec)}
        self.before = book_from_grids(grids, self.book.name, list(self.sheets))
        return self.before

    def _refuse_overwrite(self) -> None:
        """Refuse a first import into a workbook that is not a review workbook but has a sheet
        of a name ims-xl writes, holding something (another workbook active when the button
        was pressed, e.g. a purchase register or a GSTR-2B with a 'Summary' or 'B2B' sheet):
        its cells would be written over, where the command line refuses an existing --out."""
        for name in self.sheets:
            if name not in KNOWN_SHEETS:
                continue
            sheet = self.sheets[name]
            if self.extent[name] != (1, 1) or sheet.range((1, 1)).value not in (None, ""):
                raise InputError(
                    f"{self.book.name} is not an ims-xl review workbook, and importing into it would write "
                    f"over its sheet '{sheet.name}': import into a blank workbook (or the blank 'IMS "
                    "Review.xlsx'), or into your review workbook; nothing was changed")

    def _read_sheet(self, name: str, sheet: Any) -> list[list[Any]]:
        last = sheet.used_range.last_cell
        nrows, ncols = last.row, last.column
        self.extent[name] = (nrows, ncols)
        self.read_rows[name] = nrows
        # from A1 (the used range may start further in), always 2-D, cell errors as text
        return sheet.range((1, 1), (nrows, ncols)).options(ndim=2, err_to_str=True).value

    def selected_refs(self, book: ReviewBook) -> set[int] | None:
        """The IMS refs of the rows selected on a section sheet, or None (no such selection)."""
        sel = self.book.selection
        if sel is None:
            return None
        sheet = sel.sheet.name
        if sheet not in {s.sheet for s in SECTIONS}:
            return None
        wanted: set[int] = set()
        for area in sel.address.replace("$", "").split(","):
            ends = [int("".join(ch for ch in part if ch.isdigit()) or 0) for part in area.split(":")]
            lo, hi = (min(ends), max(ends)) if all(ends) else (2, sys.maxsize)
            wanted.update(range(max(lo, 2), min(hi, 2 + len(book.rows)) + 1))
        rows = book.rows[book.rows["sheet"] == sheet]
        refs = {int(r) for r, x in zip(rows["ref"], rows["excel_row"]) if int(x) in wanted}
        return refs or None

    # ------------------------------------------------------------ writing

    def _sheet(self, name: str, after: str | None, hidden: bool = False) -> tuple[Any, bool]:
        """The sheet ``name``, created after ``after`` when missing; (sheet, created)."""
        if name in self.sheets:
            return self.sheets[name], False
        same = next((k for k in self.sheets if k.casefold() == name.casefold()), None)
        if same is not None:  # Excel's sheet names ignore case
            return self.sheets[same], False
        prev = self.sheets.get(after) if after else None
        sheet = self.book.sheets.add(name, after=prev) if prev is not None else self.book.sheets.add(name)
        if hidden:
            sheet.visible = False
        self.sheets[name] = sheet
        self.extent[name] = (1, 1)
        return sheet, True

    def write(self, book: ReviewBook, marks: dict[tuple[int, str], str] | None = None, *,
              full: bool = False, recolour: bool = False, source: str | None = None,
              entries: bool = False, log_rows: list | None = None, always: tuple[str, ...] = ()) -> None:
        """Write ``book`` back: what changed since :meth:`read`, or everything (``full``).

        ``marks`` are validation's ``{(ref, field): "error"|"warning"}``; ``recolour`` clears
        fills left by an earlier validation even when there are no new marks. Changes of
        action are first appended to the Log sheet (``actions.with_log``; ``source`` names
        what made them, typed changes are found by comparison). ``always``: report sheets
        written whether or not they changed, by an action that may change them or not
        depending on the data (so its calls never depend on it).
        """
        book, problems = actions.with_log(self.before, book, source, extra=log_rows)
        self.notices += problems + (self.before.notices if self.before is not None else [])
        order = [README_SHEET, SUMMARY_SHEET, *(s.sheet for s in SECTIONS), BOOKS_SHEET]
        sheet, created = self._sheet(README_SHEET, None)
        if created:
            self._write_readme(sheet)
        self.progress("writing the summary")
        self._write_summary(self._sheet(SUMMARY_SHEET, README_SHEET)[0], book)
        # the accountant's own columns of a section sheet, moved to '<section> your columns'
        # (sheets.book_from_grids), are written before the section sheets lose them
        for name, grid in book.extra_sheets.items():
            if name not in self.sheets or self.read_rows.get(name) != len(grid):
                after = name[:-len(" your columns")] if name.endswith(" your columns") else None
                self._write_grid(self._sheet(name, after if after in self.sheets else None)[0], name, grid)
        by_ref = index_marks(marks or {})
        rows = positioned(book.rows)
        parts = sheets.section_parts(rows)
        blocks = [section_block(part, sec, by_ref) for part, sec in zip(parts, SECTIONS)]
        uncoloured = False
        for k, (sec, part, block) in enumerate(zip(SECTIONS, parts, blocks)):
            self.progress(f"writing {sec.sheet}")
            sheet, created = self._sheet(sec.sheet, order[k + 1])
            uncoloured |= created
            relaid = sec.sheet in self.relayout  # columns inserted, moved or deleted: all rewritten
            changed = None if full or created or relaid else self._changed(sec, part)
            if changed is not None:  # the marks are derived when writing: compare the cells
                j = next(k for k, c in enumerate(block.columns) if c.field == "cell_marks")
                old = self.before.rows[self.before.rows["sheet"] == sec.sheet].sort_values("excel_row", kind="stable")
                was = [v or "" for v in old["cell_marks"]] if "cell_marks" in old else [""] * len(old)
                changed[j] = was != [v or "" for v in block.values[j]]
                if entries:  # the accountant's columns and ims-xl's, whether or not they changed:
                    # the same blocks on every sheet, so the calls never depend on the data
                    changed = [ch or c.editable or c.kind == "output" for ch, c in zip(changed, block.columns)]
            if changed is None:
                self._write_section_full(sheet, sec, block, created, relaid)
            else:
                self._write_section_changes(sheet, block, changed, recolour or bool(marks))
        if uncoloured:
            # the colours come from the template's conditional-format rules, which xlwings
            # cannot add without Excel's own (Windows- or Mac-only) calls: say so, once
            self.notices.append(
                "This workbook has no colour rules, so errors, warnings and differences are written "
                "beside each record but not coloured: for colours, import into the blank "
                "'IMS Review.xlsx' (copied into Documents at installation), or into a workbook "
                "made by 'ims-xl import'")
        before = self.before
        sheet, created = self._sheet(BOOKS_SHEET, SECTIONS[-1].sheet)
        if created or (before is not None and book.books != before.books):
            self._write_grid(sheet, BOOKS_SHEET, book.books or [list(BOOKS_HEADER)])
        last = BOOKS_SHEET
        # also when the sheet empties (records restored by a re-import): stale rows must go
        if (len(book.removed) or REMOVED_SHEET in self.sheets) and (
                full or before is None or len(before.removed) != len(book.removed)):
            self._write_grid(self._sheet(REMOVED_SHEET, last)[0], REMOVED_SHEET, removed_grid(book))
        if REMOVED_SHEET in self.sheets:
            last = REMOVED_SHEET
        for name, grid in getattr(book, "reports", {}).items():
            if before is None or name in always or _cells(getattr(before, "reports", {}).get(name)) != _cells(grid):
                self._write_grid(self._sheet(name, last)[0], name, grid)
            last = name
        if book.log and (before is None or book.log != before.log):
            sheet, _ = self._sheet(LOG_SHEET, last)  # all text: the checksums must stay true
            self._write_table(sheet, LOG_SHEET, [list(c) for c in zip(*book.log)], [TEXT] * len(book.log[0]))
        if LOG_SHEET in self.sheets:
            last = LOG_SHEET
        sheet, created = self._sheet(DATA_SHEET, last, hidden=True)
        if full or created:
            self.progress("writing the hidden copy of the download")
            data = data_columns(book)
            self._write_table(sheet, DATA_SHEET, [[h, *c] for h, c in zip(DATA_HEADER, data)],
                              [GENERAL, TEXT, TEXT, TEXT])
        sheet, created = self._sheet(META_SHEET, DATA_SHEET, hidden=True)
        if full or created or before is None or book.meta != before.meta:
            meta = sorted(book.meta.items())
            self._write_table(sheet, META_SHEET, [["key", *(k for k, _ in meta)], ["value", *(str(v) for _, v in meta)]],
                              [TEXT, TEXT])

    def _changed(self, sec: Section, part: pd.DataFrame) -> list[bool] | None:
        """Which columns of the sheet change, when its rows stay where they are; else None.

        A column's cells are a function of its field alone (``sheets.column_values``), so
        comparing the field before and after the action tells which columns to write.
        """
        if self.before is None:
            return None
        old = self.before.rows[self.before.rows["sheet"] == sec.sheet].sort_values("excel_row", kind="stable")
        n = len(old)
        if (n != len(part) or (old["excel_row"].to_numpy() != np.arange(2, n + 2)).any()
                or (old["ref"].to_numpy() != part["ref"].to_numpy()).any()):
            return None
        out = []
        for c in columns_for(sec):
            has_old, has_new = c.field in old, c.field in part
            if c.kind == "ref" or not (has_old or has_new):
                out.append(False)
            elif has_old != has_new:
                out.append(True)
            else:
                out.append(not old[c.field].reset_index(drop=True).equals(part[c.field].reset_index(drop=True)))
        return out

    def _formats(self, sheet: Any, cols: tuple[Column, ...], first: int, last_row: int,
                 j0: int = 0, j1: int | None = None) -> list[str]:
        """Set the number format of columns ``j0:j1`` for rows first..last_row, one call per
        run of columns sharing a format; returns every column's format."""
        fmts = [NUMBER_FORMAT[c.kind] for c in cols]
        j1 = len(cols) if j1 is None else j1
        for a, b, fmt in _groups(fmts[j0:j1]):
            sheet.range((first, j0 + a + 1), (last_row, j0 + b)).number_format = fmt
        return fmts

    def _fills(self, sheet: Any, block: SectionBlock, n: int, clear_to: int) -> None:
        """Base fills (input columns) per column run, then one call per run of marked cells."""
        cols = block.columns
        if clear_to > n + 1:
            sheet.range((n + 2, 1), (clear_to, len(cols))).color = None
        if n == 0:
            return
        # one call per run of columns: the base fill. The marks are coloured by the workbook's
        # conditional-format rules from the hidden 'Cell marks' column, written with the values,
        # so the number of calls never depends on how many cells are marked.
        base = [FILL["input"] if c.kind in INPUT_KINDS else None for c in cols]
        for a, b, colour in _groups(base):
            sheet.range((2, a + 1), (n + 1, b)).color = colour

    def _notes(self, sheet: Any, block: SectionBlock, clear: bool) -> None:
        """Remove ims-xl's cell notes left by the command line (the accountant's own stay).

        The Excel shell adds none: a note costs about four calls to Excel, so notes would make
        the cost grow with the number of differences; 'Match reasons' and 'Differing fields'
        give the books values, and the cells are coloured by conditional formatting."""
        if clear:
            for note in sheet.notes:
                if note.text.startswith(NOTE_PREFIX):  # ours; the accountant's own notes stay
                    note.delete()

    def _write_section_full(self, sheet: Any, sec: Section, block: SectionBlock, created: bool,
                            relaid: bool = False) -> None:
        """The whole sheet; ``relaid``: its columns were inserted, moved or deleted by hand, so
        what lies right of ims-xl's columns goes (its cells were moved to '<section> your
        columns' first) and the header and widths are set again."""
        cols = block.columns
        n = len(block.values[0]) if block.values else 0
        old_rows, old_cols = self.extent.get(sec.sheet, (1, 1))
        if old_rows > n + 1:
            sheet.range((n + 2, 1), (old_rows, len(cols))).clear_contents()
        if relaid and old_cols > len(cols):
            sheet.range((1, len(cols) + 1), (old_rows, old_cols)).clear()
        header = sheet.range((1, 1), (1, len(cols)))
        header.number_format = TEXT
        header.value = [[c.header for c in cols]]
        if created or relaid:
            header.color = FILL["header"]
            header.font.bold = True
            header.font.color = (255, 255, 255)
            header.wrap_text = True
            for a, b, width in _groups([0 if getattr(c, "hidden", c.kind == "ref") else c.width for c in cols]):
                sheet.range((1, a + 1), (1, b)).column_width = width
        fmts = self._formats(sheet, cols, 2, max(n + 1, 2))
        if n:
            values = [_safe_text(v, f) for v, f in zip(block.values, fmts)]
            sheet.range((2, 1), (n + 1, len(cols))).value = _rows_of(values)
        self._fills(sheet, block, n, old_rows)
        self._notes(sheet, block, clear=not created)
        idx = {c.field: j + 1 for j, c in enumerate(cols)}
        end = max(n + 1, DROPDOWN_ROWS + 1)
        sheet.range((2, idx["action_text"]), (end, idx["action_text"])).data_validation.set_list(
            [ACTION_LABELS[a] for a in Action])
        if "itc_red_text" in idx:
            sheet.range((2, idx["itc_red_text"]), (end, idx["itc_red_text"])).data_validation.set_list(
                ["Yes", "No"])

    def _write_section_changes(self, sheet: Any, block: SectionBlock, changed: list[bool],
                               recolour: bool) -> None:
        """Only the contiguous column blocks that changed; fills when anything changed."""
        cols = block.columns
        n = len(block.values[0]) if block.values else 0
        fmts = [NUMBER_FORMAT[c.kind] for c in cols]
        if n:
            for a, b in _runs(changed):
                self._formats(sheet, cols, 2, n + 1, a, b)
                values = [_safe_text(block.values[j], fmts[j]) for j in range(a, b)]
                sheet.range((2, a + 1), (n + 1, b)).value = _rows_of(values)
        if recolour or any(changed):
            self._fills(sheet, block, n, n + 1)
        if any(ch for ch, c in zip(changed, cols) if c.field in NOTE_FIELDS):
            self._notes(sheet, block, clear=True)

    def _write_table(self, sheet: Any, name: str, columns: list[list[Any]],
                     formats: list[str]) -> None:
        """A whole table from A1 (column-major ``columns``): clear what was there, number
        formats per run of columns, one value write."""
        nrows = max((len(c) for c in columns), default=0)
        old_rows, old_cols = self.extent.get(name, (1, 1))
        sheet.range((1, 1), (old_rows, old_cols)).clear_contents()
        self.extent[name] = (max(nrows, 1), max(len(columns), 1))
        if not nrows:
            return
        for a, b, fmt in _groups(formats):
            sheet.range((1, a + 1), (nrows, b)).number_format = fmt
        columns = [_safe_text(c + [None] * (nrows - len(c)), f) for c, f in zip(columns, formats)]
        sheet.range((1, 1), (nrows, len(columns))).value = _rows_of(columns)

    def _write_grid(self, sheet: Any, name: str, grid: list[list[Any]]) -> None:
        """A sheet of plain values (Books, Removed records, reconcile reports), header bold."""
        width = max((len(r) for r in grid), default=0)
        columns = [[r[j] if j < len(r) else None for r in grid] for j in range(width)]
        self._write_table(sheet, name, columns, [GENERAL] * width)
        if width:
            sheet.range((1, 1), (1, width)).font.bold = True

    def _write_readme(self, sheet: Any) -> None:
        lines = list(README_LINES) + [text for _, text in LEGEND]
        sheet.range((1, 1), (len(lines), 1)).value = [[v] for v in _safe_text(lines, GENERAL)]
        sheet.range((1, 1), (1, 1)).font.bold = True
        first = len(README_LINES) + 1
        for k, (mark, _) in enumerate(LEGEND):
            sheet.range((first + k, 1), (first + k, 1)).color = FILL[mark]
        sheet.range((1, 1), (1, 1)).column_width = 120

    def _write_summary(self, sheet: Any, book: ReviewBook) -> None:
        """The Summary sheet, cell for cell as the xlsx shell lays it out. It is small and
        always rewritten, so it never shows stale figures."""
        cells = sheets.summary_cells(book)
        nrows = max(r for r, _ in cells) + 1
        width = max(c for _, c in cells) + 1
        grid: list[list[Any]] = [[None] * width for _ in range(nrows)]
        for (r, c), (v, style) in cells.items():
            grid[r][c] = v if style == "input" else _safe_text([v], GENERAL)[0]  # input: Text cells
        old_rows, old_cols = self.extent.get(SUMMARY_SHEET, (1, 1))
        sheet.range((1, 1), (max(old_rows, nrows), max(old_cols, width))).clear()
        styled = {style: [k for k, (_, st) in cells.items() if st == style]
                  for style in ("input", "amount", "header", "bold", "title")}
        for style, fmt in (("input", TEXT), ("amount", INR_FORMAT)):
            for r0, r1, c0, c1 in _boxes(styled[style]):
                sheet.range((r0 + 1, c0 + 1), (r1 + 1, c1 + 1)).number_format = fmt
        sheet.range((1, 1), (nrows, width)).value = grid
        for r0, r1, c0, c1 in _boxes(styled["input"]):
            sheet.range((r0 + 1, c0 + 1), (r1 + 1, c1 + 1)).color = FILL["input"]
        for r0, r1, c0, c1 in _boxes(styled["header"]):
            rng = sheet.range((r0 + 1, c0 + 1), (r1 + 1, c1 + 1))
            rng.color = FILL["header"]
            rng.font.color = (255, 255, 255)
            rng.font.bold = True
        for r0, r1, c0, c1 in _boxes(styled["bold"] + styled["title"]):
            sheet.range((r0 + 1, c0 + 1), (r1 + 1, c1 + 1)).font.bold = True
        self.extent[SUMMARY_SHEET] = (nrows, width)


def _boxes(cells: list[tuple[int, int]]) -> list[tuple[int, int, int, int]]:
    """Cover cells with few rectangles: vertical runs per column, merged across neighbouring
    columns with the same run. (first row, last row, first col, last col), 0-based."""
    runs: list[tuple[int, int, int]] = []
    for c in sorted({c for _, c in cells}):
        rows = sorted(r for r, cc in cells if cc == c)
        flags = np.zeros(rows[-1] + 1, dtype=bool)
        flags[rows] = True
        runs += [(a, b - 1, c) for a, b in _runs(flags)]
    boxes: list[list[int]] = []
    for r0, r1, c in sorted(runs):
        same = [b for b in boxes if b[0] == r0 and b[1] == r1 and b[3] == c - 1]
        if same:
            same[0][3] = c
        else:
            boxes.append([r0, r1, c, c])
    return [(b[0], b[1], b[2], b[3]) for b in boxes]
