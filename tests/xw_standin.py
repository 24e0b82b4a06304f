"""An in-memory stand-in for the few xlwings objects the shell (``ims_xl/xl.py``) touches.

Excel does not run on Linux (EXCEL_ADDIN.md), so the shell is tested against these classes.
They keep cells in per-column lists, model what matters about Excel's behaviour, and count
every public attribute read, attribute write and method call: each of those is one round
trip to Excel with the real xlwings, so the count is the shell's "workbook calls".

What is modelled, because the shell's correctness depends on it:

* numbers come back as ``float``, dates as ``datetime``, empty cells as ``None``;
* a string written into a cell whose number format is not Text (``@``) is parsed the way
  Excel parses typed input: ``"01"`` becomes the number 1.0, ``"TRUE"`` a boolean, ``"=x"`` a
  formula (read back as the error ``#NAME?``), and a leading apostrophe marks text (and is
  not part of the value). In a Text cell the string is stored as it is;
* cell errors read as ``None``, or as their text with ``err_to_str=True``;
* without ``ndim=2`` a single cell reads as a scalar and a single row as a flat list;
* ``App.properties`` is xlwings' own implementation (it only uses getattr/setattr), so the
  restore-after-error behaviour tested is the real one.

Only names that exist on the real xlwings classes may be public here; ``test_xl_shell.py``
checks that, so the stand-in cannot drift from the installed xlwings API.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime
from typing import Any

import numpy as np
import xlwings.main

GENERAL = "General"


class CellError:
    """An Excel cell error such as ``#N/A`` (what a broken formula leaves in a cell)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return f"CellError({self.text!r})"


class Formula(CellError):
    """A formula Excel made from a string: the stand-in cannot compute it; reads as #NAME?."""

    def __init__(self, source: str):
        super().__init__("#NAME?")
        self.source = source


class Recorder:
    """Counts calls by ``Class.attribute`` (``=`` suffix for a write)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def hit(self, key: str) -> None:
        self.calls[key] += 1

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def reset(self) -> None:
        self.calls.clear()


class _Counted:
    """Counts public attribute reads/writes on instances (private names are free)."""

    _rec: Recorder

    def __getattribute__(self, name: str) -> Any:
        if not name.startswith("_"):
            object.__getattribute__(self, "_rec").hit(f"{type(self).__name__}.{name}")
        return object.__getattribute__(self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if not name.startswith("_"):
            object.__getattribute__(self, "_rec").hit(f"{type(self).__name__}.{name}=")
        object.__setattr__(self, name, value)


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def excel_parse(v: Any, number_format: str) -> Any:
    """What Excel stores when ``v`` is assigned to a cell's Value (see module docstring)."""
    if v is None or (isinstance(v, str) and v == ""):
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float, np.integer, np.floating)):
        f = float(v)
        return None if np.isnan(f) else f
    if isinstance(v, datetime):
        return v.replace(microsecond=0)
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day)
    if isinstance(v, CellError):
        return v
    if not isinstance(v, str):
        raise TypeError(f"Excel cannot hold a {type(v).__name__}: {v!r}")
    if number_format == "@":
        return v
    if v.startswith("'"):
        return v[1:] or None
    if v.startswith("="):
        return Formula(v)
    if _NUMBER.match(v.strip().replace(",", "")):
        return float(v.strip().replace(",", ""))
    if v.upper() in ("TRUE", "FALSE"):
        return v.upper() == "TRUE"
    return v


def _parse_column(values: list[Any], number_format: str) -> list[Any]:
    """:func:`excel_parse` over a column, with fast paths for the common plain cases."""
    if number_format == "@":
        return [v if type(v) is str and v else excel_parse(v, number_format) for v in values]
    return [float(v) if type(v) in (int, float) and v == v else excel_parse(v, number_format)
            for v in values]


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def col_letters(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def _parse_cell(a1: str) -> tuple[int, int]:
    m = re.fullmatch(r"\$?([A-Za-z]+)\$?(\d+)", a1.strip())
    if not m:
        raise ValueError(f"stand-in: unsupported address {a1!r}")
    return int(m.group(2)), _col_number(m.group(1))


class App(_Counted):
    """xlwings ``App``: properties, alert, status bar, calculation, screen updating."""

    properties = xlwings.main.App.properties  # xlwings' own context manager

    def __init__(self) -> None:
        object.__setattr__(self, "_rec", Recorder())
        self._state = {"screen_updating": True, "calculation": "automatic", "status_bar": False}
        self._status_history: list[Any] = []
        self._alerts: list[dict[str, Any]] = []
        self._answers: list[str] = []
        self._selection: Range | None = None

    @property
    def screen_updating(self) -> bool:
        return self._state["screen_updating"]

    @screen_updating.setter
    def screen_updating(self, value: bool) -> None:
        self._state["screen_updating"] = value

    @property
    def calculation(self) -> str:
        return self._state["calculation"]

    @calculation.setter
    def calculation(self, value: str) -> None:
        if value not in ("automatic", "manual", "semiautomatic"):
            raise KeyError(value)
        self._state["calculation"] = value

    @property
    def status_bar(self) -> Any:
        return self._state["status_bar"]

    @status_bar.setter
    def status_bar(self, value: Any) -> None:
        self._state["status_bar"] = value
        self._status_history.append(value)

    def alert(self, prompt: str, title: str | None = None, buttons: str = "ok",
              mode: str | None = None, callback: str | None = None) -> str:
        self._alerts.append({"prompt": prompt, "title": title, "buttons": buttons, "mode": mode,
                             "state": dict(self._state)})
        if self._answers:
            return self._answers.pop(0)
        return {"ok": "ok", "ok_cancel": "ok", "yes_no": "yes", "yes_no_cancel": "yes"}[buttons]

    @property
    def selection(self) -> Range | None:
        return self._selection

    @property
    def api(self) -> Any:
        raise NotImplementedError("stand-in: no native Excel object (tests replace the dialogs)")

    @property
    def pid(self) -> int:
        return 4242


class Book(_Counted):
    """xlwings ``Book``."""

    def __init__(self, name: str = "Review.xlsx", folder: str = "/tmp", app: App | None = None,
                 sheet_names: tuple[str, ...] = ("Sheet1",)) -> None:
        a = app or App()
        object.__setattr__(self, "_rec", object.__getattribute__(a, "_rec"))
        self._name = name
        self._folder = folder
        self._app = a
        self._sheets: list[Sheet] = []
        for n in sheet_names:
            self._sheets.append(Sheet(self, n))

    @property
    def name(self) -> str:
        return self._name

    @property
    def fullname(self) -> str:
        # Excel's Workbook.FullName: a workbook never saved has no folder, only its name ("Book1")
        return f"{self._folder.rstrip('/')}/{self._name}" if self._folder else self._name

    @property
    def app(self) -> App:
        return self._app

    @property
    def sheets(self) -> Sheets:
        return Sheets(self)

    @property
    def selection(self) -> Range | None:
        return object.__getattribute__(self._app, "_selection")

    # -- test helpers (private: not counted)
    def _sheet(self, name: str) -> Sheet:
        for s in self._sheets:
            if object.__getattribute__(s, "_name") == name:
                return s
        raise KeyError(name)

    def _names(self) -> list[str]:
        return [object.__getattribute__(s, "_name") for s in self._sheets]


class Sheets(_Counted):
    """xlwings ``Sheets`` collection."""

    def __init__(self, book: Book) -> None:
        object.__setattr__(self, "_rec", object.__getattribute__(book, "_rec"))
        self._book = book

    def _list(self) -> list[Sheet]:
        return object.__getattribute__(self._book, "_sheets")

    def __iter__(self):
        self._rec.hit("Sheets.__iter__")
        return iter(list(self._list()))

    def __len__(self) -> int:
        self._rec.hit("Sheets.__len__")
        return len(self._list())

    def __getitem__(self, key: int | str) -> Sheet:
        self._rec.hit("Sheets.__getitem__")
        if isinstance(key, int):
            return self._list()[key]
        return object.__getattribute__(self._book, "_sheet")(key)

    def __contains__(self, key: str) -> bool:
        self._rec.hit("Sheets.__contains__")
        return key in object.__getattribute__(self._book, "_names")()

    def add(self, name: str | None = None, before: Sheet | None = None,
            after: Sheet | None = None) -> Sheet:
        sheets = self._list()
        names = [object.__getattribute__(s, "_name").lower() for s in sheets]
        name = name or f"Sheet{len(sheets) + 1}"
        if name.lower() in names:
            raise ValueError(f"Sheet named '{name}' already present in workbook")
        new = Sheet(self._book, name)
        if after is not None:
            sheets.insert(sheets.index(after) + 1, new)
        elif before is not None:
            sheets.insert(sheets.index(before), new)
        else:  # Excel adds before the active sheet; the stand-in keeps it simple: at the end
            sheets.append(new)
        return new


class Sheet(_Counted):
    """xlwings ``Sheet``: cells in per-column lists; formats and fills as painted regions."""

    def __init__(self, book: Book, name: str) -> None:
        object.__setattr__(self, "_rec", object.__getattribute__(book, "_rec"))
        self._book = book
        self._name = name
        self._visible = True
        self._cols: dict[int, list[Any]] = {}
        self._err_cols: set[int] = set()   # columns that may hold cell errors
        self._formats: list[tuple[int, int, int, int, str]] = []   # (r0, r1, c0, c1, format)
        self._fills: list[tuple[int, int, int, int, Any]] = []
        self._fonts: list[tuple[int, int, int, int, str, Any]] = []
        self._validation: list[tuple[int, int, int, int, tuple]] = []
        self._widths: dict[int, float] = {}
        self._wrap: list[tuple[int, int, int, int, bool]] = []
        self._notes: dict[tuple[int, int], str] = {}

    @property
    def name(self) -> str:
        return self._name

    @property
    def book(self) -> Book:
        return self._book

    @property
    def visible(self) -> bool:
        return self._visible

    @visible.setter
    def visible(self, value: bool) -> None:
        self._visible = bool(value)

    def range(self, cell1: str | tuple[int, int], cell2: str | tuple[int, int] | None = None) -> Range:
        r0, c0 = _parse_cell(cell1) if isinstance(cell1, str) else cell1
        r1, c1 = (r0, c0) if cell2 is None else (_parse_cell(cell2) if isinstance(cell2, str) else cell2)
        return Range(self, min(r0, r1), min(c0, c1), max(r0, r1), max(c0, c1))

    @property
    def notes(self) -> Notes:
        return Notes(self)

    @property
    def used_range(self) -> Range:
        last_r, last_c = self._last()
        return Range(self, 1, 1, max(last_r, 1), max(last_c, 1))

    # -- internals and test helpers (private: not counted)
    def _last(self) -> tuple[int, int]:
        last_r = last_c = 0
        for c, col in self._cols.items():
            k = len(col)
            while k and col[k - 1] is None:
                k -= 1
            if k:
                last_r, last_c = max(last_r, k), max(last_c, c)
        return last_r, last_c

    def _format_rows(self, c: int, r0: int, r1: int) -> np.ndarray:
        """The number format of column ``c``, rows r0..r1, as an array of strings."""
        out = np.full(r1 - r0 + 1, GENERAL, dtype=object)
        for a, b, x, y, fmt in self._formats:
            if x <= c <= y and a <= r1 and b >= r0:
                out[max(a, r0) - r0: min(b, r1) - r0 + 1] = fmt
        return out

    def _write(self, r0: int, c0: int, rows: list[list[Any]]) -> None:
        n = len(rows)
        width = len(rows[0]) if n else 0
        if any(len(r) != width for r in rows):
            raise ValueError("stand-in: ragged rows written")
        for j in range(width):
            c = c0 + j
            col = self._cols.setdefault(c, [])
            if len(col) < r0 + n - 1:
                col.extend([None] * (r0 + n - 1 - len(col)))
            fmts = self._format_rows(c, r0, r0 + n - 1)
            if (fmts == fmts[0]).all():
                col[r0 - 1: r0 - 1 + n] = _parse_column([r[j] for r in rows], fmts[0])
            else:
                col[r0 - 1: r0 - 1 + n] = [excel_parse(r[j], f) for r, f in zip(rows, fmts)]
            if any(type(v) in (CellError, Formula) for v in col[r0 - 1: r0 - 1 + n]):
                self._err_cols.add(c)

    def _clear(self, r0: int, c0: int, r1: int, c1: int) -> None:
        for c in range(c0, c1 + 1):
            col = self._cols.get(c)
            if col is not None and len(col) >= r0:
                end = min(r1, len(col))
                col[r0 - 1: end] = [None] * (end - r0 + 1)

    def _cell(self, r: int, c: int) -> Any:
        col = self._cols.get(c, [])
        return col[r - 1] if r - 1 < len(col) else None

    def _set(self, r: int, c: int, value: Any) -> None:
        """Type into a cell as a user would (Excel's parsing applies)."""
        self._write(r, c, [[value]])

    def _grid(self) -> list[list[Any]]:
        """All cells from A1 to the last used cell, values as read with err_to_str=True."""
        last_r, last_c = self._last()
        cols = [self._cols.get(c, []) for c in range(1, last_c + 1)]
        return [[_read_value(col[r] if r < len(col) else None, True) for col in cols]
                for r in range(last_r)]

    def _insert_column(self, at: int) -> None:
        """Excel's Insert > Sheet Columns before column ``at`` (test helper): cells, formats,
        fills, fonts, dropdowns, widths and notes at or right of it move one column right."""
        def shift(c: int) -> int:
            return c + 1 if c >= at else c
        self._cols = {shift(c): v for c, v in self._cols.items()}
        self._err_cols = {shift(c) for c in self._err_cols}
        self._widths = {shift(c): w for c, w in self._widths.items()}
        self._notes = {(r, shift(c)): t for (r, c), t in self._notes.items()}
        for name in ("_formats", "_fills", "_fonts", "_validation", "_wrap"):
            setattr(self, name, [(a, b, shift(x), y + 1 if y >= at else y, *rest)
                                 for a, b, x, y, *rest in getattr(self, name)])

    def _fill(self, r: int, c: int) -> Any:
        for a, b, x, y, colour in reversed(self._fills):
            if a <= r <= b and x <= c <= y:
                return colour
        return None

    def _format(self, r: int, c: int) -> str:
        return str(self._format_rows(c, r, r)[0])

    def _font(self, r: int, c: int, what: str) -> Any:
        for a, b, x, y, w, value in reversed(self._fonts):
            if w == what and a <= r <= b and x <= c <= y:
                return value
        return None


def _read_value(v: Any, err_to_str: bool) -> Any:
    if isinstance(v, CellError):
        return v.text if err_to_str else None
    return v


class Notes(_Counted):
    """xlwings ``Notes`` of a sheet (iterable)."""

    def __init__(self, sheet: Sheet) -> None:
        object.__setattr__(self, "_rec", object.__getattribute__(sheet, "_rec"))
        self._sheet = sheet

    def __iter__(self):
        self._rec.hit("Notes.__iter__")
        return iter([Note(self._sheet, key) for key in list(self._sheet._notes)])

    def __len__(self) -> int:
        self._rec.hit("Notes.__len__")
        return len(self._sheet._notes)


class Note(_Counted):
    """xlwings ``Note`` (a cell note, once called a comment)."""

    def __init__(self, sheet: Sheet, key: tuple[int, int]) -> None:
        object.__setattr__(self, "_rec", object.__getattribute__(sheet, "_rec"))
        self._sheet = sheet
        self._key = key

    @property
    def text(self) -> str:
        return self._sheet._notes[self._key]

    @text.setter
    def text(self, value: str) -> None:
        self._sheet._notes[self._key] = value

    def delete(self) -> None:
        del self._sheet._notes[self._key]


class Font(_Counted):
    """xlwings ``Font`` of a range (bold and colour are what the shell sets)."""

    def __init__(self, rng: Range) -> None:
        object.__setattr__(self, "_rec", object.__getattribute__(rng, "_rec"))
        object.__setattr__(self, "_rng", rng)

    def _paint(self, what: str, value: Any) -> None:
        rng = self._rng
        sheet = object.__getattribute__(rng, "_sheet")
        object.__getattribute__(sheet, "_fonts").append((*object.__getattribute__(rng, "_box")(), what, value))

    @property
    def bold(self) -> Any:
        return None

    @bold.setter
    def bold(self, value: bool) -> None:
        self._paint("bold", value)

    @property
    def color(self) -> Any:
        return None

    @color.setter
    def color(self, value: Any) -> None:
        self._paint("color", value)


class DataValidation(_Counted):
    """xlwings ``DataValidation`` of a range (list rules)."""

    def __init__(self, rng: Range) -> None:
        object.__setattr__(self, "_rec", object.__getattribute__(rng, "_rec"))
        object.__setattr__(self, "_rng", rng)

    def set_list(self, source: Any, *, in_cell_dropdown: bool = True) -> None:
        if isinstance(source, str) or not list(source):
            raise ValueError("stand-in: set_list needs a non-empty sequence")
        rng = self._rng
        sheet = object.__getattribute__(rng, "_sheet")
        object.__getattribute__(sheet, "_validation").append(
            (*object.__getattribute__(rng, "_box")(), tuple(source)))


class Range(_Counted):
    """xlwings ``Range`` (a rectangle on one sheet) with ``options``."""

    def __init__(self, sheet: Sheet, r0: int, c0: int, r1: int, c1: int,
                 options: dict[str, Any] | None = None) -> None:
        object.__setattr__(self, "_rec", object.__getattribute__(sheet, "_rec"))
        object.__setattr__(self, "_sheet", sheet)
        object.__setattr__(self, "_r0", r0)
        object.__setattr__(self, "_c0", c0)
        object.__setattr__(self, "_r1", r1)
        object.__setattr__(self, "_c1", c1)
        object.__setattr__(self, "_options", dict(options or {}))

    def _box(self) -> tuple[int, int, int, int]:
        return self._r0, self._r1, self._c0, self._c1

    def options(self, convert: Any = None, **options: Any) -> Range:
        if convert is not None:
            raise NotImplementedError("stand-in: converters are not modelled")
        known = {"ndim", "err_to_str", "chunksize", "empty", "dates", "numbers", "expand"}
        unknown = set(options) - known
        if unknown:
            raise TypeError(f"stand-in: unknown options {unknown}")
        return Range(self._sheet, self._r0, self._c0, self._r1, self._c1, options)

    @property
    def value(self) -> Any:
        sheet = self._sheet
        err = bool(self._options.get("err_to_str", False))
        cols = object.__getattribute__(sheet, "_cols")
        errs = object.__getattribute__(sheet, "_err_cols")
        n = self._r1 - self._r0 + 1
        slices = []
        for c in range(self._c0, self._c1 + 1):
            part = cols.get(c, [])[self._r0 - 1: self._r1]
            part = part + [None] * (n - len(part))
            if c in errs:
                part = [_read_value(v, err) for v in part]
            slices.append(part)
        grid = [list(r) for r in zip(*slices)]
        ndim = self._options.get("ndim")
        if ndim == 2:
            return grid
        if len(grid) == 1:
            return grid[0][0] if len(grid[0]) == 1 else grid[0]
        if len(grid[0]) == 1:
            return [r[0] for r in grid]
        return grid

    @value.setter
    def value(self, data: Any) -> None:
        if isinstance(data, (list, tuple)):
            rows = [list(r) if isinstance(r, (list, tuple)) else [r] for r in data] \
                if data and isinstance(data[0], (list, tuple)) else [list(data)]
        else:
            rows = [[data]]
        if not rows or not rows[0]:
            return
        # like xlwings: a list of lists is written from the top-left cell at its own size
        object.__getattribute__(self._sheet, "_write")(self._r0, self._c0, rows)

    @property
    def number_format(self) -> str:
        return object.__getattribute__(self._sheet, "_format")(self._r0, self._c0)

    @number_format.setter
    def number_format(self, value: str) -> None:
        object.__getattribute__(self._sheet, "_formats").append((*self._box(), value))

    @property
    def color(self) -> Any:
        return object.__getattribute__(self._sheet, "_fill")(self._r0, self._c0)

    @color.setter
    def color(self, value: Any) -> None:
        if isinstance(value, str):
            h = value.lstrip("#")
            value = (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))
        object.__getattribute__(self._sheet, "_fills").append((*self._box(), value))

    @property
    def font(self) -> Font:
        return Font(self)

    @property
    def data_validation(self) -> DataValidation:
        return DataValidation(self)

    @property
    def note(self) -> Note | None:
        key = (self._r0, self._c0)
        return Note(self._sheet, key) if key in self._sheet._notes else None

    def add_note(self, text: str) -> Note:
        if not isinstance(text, str) or not text:
            raise ValueError("Note text must be a non-empty string")
        if self.shape != (1, 1):  # xlwings' own checks, each a call to Excel
            raise ValueError("A note can only be added to a single cell")
        if self.note is not None:
            raise ValueError("This cell already has a note")
        key = (self._r0, self._c0)
        self._sheet._notes[key] = text
        return Note(self._sheet, key)

    @property
    def wrap_text(self) -> Any:
        return None

    @wrap_text.setter
    def wrap_text(self, value: bool) -> None:
        object.__getattribute__(self._sheet, "_wrap").append((*self._box(), value))

    @property
    def column_width(self) -> Any:
        return object.__getattribute__(self._sheet, "_widths").get(self._c0)

    @column_width.setter
    def column_width(self, value: float) -> None:
        widths = object.__getattribute__(self._sheet, "_widths")
        for c in range(self._c0, self._c1 + 1):
            widths[c] = value

    def clear_contents(self) -> None:
        object.__getattribute__(self._sheet, "_clear")(self._r0, self._c0, self._r1, self._c1)

    def clear(self) -> None:
        sheet = self._sheet
        object.__getattribute__(sheet, "_clear")(self._r0, self._c0, self._r1, self._c1)
        object.__getattribute__(sheet, "_formats").append((*self._box(), GENERAL))
        object.__getattribute__(sheet, "_fills").append((*self._box(), None))
        object.__getattribute__(sheet, "_fonts").append((*self._box(), "bold", None))
        object.__getattribute__(sheet, "_fonts").append((*self._box(), "color", None))

    @property
    def row(self) -> int:
        return self._r0

    @property
    def column(self) -> int:
        return self._c0

    @property
    def shape(self) -> tuple[int, int]:
        return self._r1 - self._r0 + 1, self._c1 - self._c0 + 1

    @property
    def last_cell(self) -> Range:
        return Range(self._sheet, self._r1, self._c1, self._r1, self._c1, self._options)

    @property
    def address(self) -> str:
        a = f"${col_letters(self._c0)}${self._r0}"
        b = f"${col_letters(self._c1)}${self._r1}"
        return a if a == b else f"{a}:{b}"

    @property
    def sheet(self) -> Sheet:
        return self._sheet


def select(book: Book, sheet: str, r0: int, r1: int, c0: int = 1, c1: int = 1) -> None:
    """Make a selection as the user would (test helper)."""
    book._app._selection = Range(book._sheet(sheet), r0, c0, r1, c1)


#: Stand-in class -> the real xlwings class it imitates.
REAL = {App: xlwings.main.App, Book: xlwings.main.Book, Sheets: xlwings.main.Sheets,
        Sheet: xlwings.main.Sheet, Range: xlwings.main.Range, Font: xlwings.main.Font,
        Notes: xlwings.main.Notes, Note: xlwings.main.Note,
        DataValidation: xlwings.main.DataValidation}
