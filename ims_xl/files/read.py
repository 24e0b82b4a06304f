"""Reading spreadsheets other tools wrote: any .xlsx opened safely, and purchase registers
(CSV, SAP framed lists, Excel and OpenDocument workbooks) as grids of cells.

python-calamine reads every workbook format (a Rust reader, about 6x faster than openpyxl's
read-only mode); hostile packages are refused by ``safety`` before any parser sees them.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Callable, Collection
from pathlib import Path

from python_calamine import CalamineWorkbook

from ..errors import InputError
from .safety import check_xlsx_safe, parts_holding
from ..model import col_index

_SHEET_TAG = re.compile(rb'<(?:\w+:)?sheet\b[^>]*>')
_REL_TAG = re.compile(rb'<(?:\w+:)?Relationship\b[^>]*>')


def _attr(tag: bytes, name: bytes) -> bytes:
    m = re.search(rb'\s' + name + rb'="([^"]*)"', tag)
    return m.group(1) if m else b""


def sheet_parts(path: str | Path) -> dict[str, str]:
    """Each sheet's name -> its part in the package (``xl/worksheets/sheet3.xml``), from the
    workbook part and its relationships; empty when they are missing. Read after
    :func:`safety.check_xlsx_safe` (the two parts are small and their prologs checked)."""
    try:
        with zipfile.ZipFile(path) as z:
            book, rels_xml = z.read("xl/workbook.xml"), z.read("xl/_rels/workbook.xml.rels")
    except (KeyError, zipfile.BadZipFile, OSError):
        return {}  # python-calamine's open then says what the file is
    rels = {_attr(t, b"Id"): _attr(t, b"Target") for t in _REL_TAG.findall(rels_xml)}
    out = {}
    for t in _SHEET_TAG.findall(book):
        target = rels.get(_attr(t, b"r:id"))
        if target:
            target = target.decode("utf-8", "replace").lstrip("/")
            out[html.unescape(_attr(t, b"name").decode("utf-8", "replace"))] = (
                target if target.startswith("xl/") else "xl/" + target)
    return out


def sheet_grid(wb: CalamineWorkbook, name: str, fetch: Callable[[], object] | None = None,
               source: str | None = None) -> list[list[object]]:
    """A sheet's cells as Python lists; ``fetch`` gives the sheet as python-calamine parsed
    it (a read ahead, done by another thread: its errors are raised here, as a read's), and
    ``source`` the file's name for the message (``wb`` is not touched then: another thread
    may be reading it, and python-calamine refuses a second use at once)."""
    try:
        return (fetch() if fetch is not None else wb.get_sheet_by_name(name)).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine's XmlError, ZipError ...: a damaged part
        if source is None:
            source = Path(str(wb.path)).name if getattr(wb, "path", None) else "workbook"
        raise InputError(f"{source}: "
                         f"sheet '{name}' is damaged ({type(exc).__name__}); open and re-save it in Excel, "
                         "or restore a backup") from None


def open_workbook(path: str | Path, error_parts: dict[str, str] | None = None,
                  error_sheets: Collection[str] = ()) -> CalamineWorkbook:
    """Open an .xlsx for reading, or raise InputError saying what the file is instead.

    Without ``error_parts`` every part is unpacked once by the safety check (sizes and CRC
    checked). With it, the check reads the package's directory and every XML part's prolog
    only, leaving each part python-calamine reads to python-calamine, which checks its CRC-32
    and sizes itself (``tests/test_safety.py`` holds it to that; a part no one reads needs
    neither), and ``error_parts`` receives those of ``error_sheets`` whose part (unpacked
    once) holds Excel error cells (``t="e"``), each sheet's name with its part: some 0.5 s
    less a read of a 100,000-record review workbook, whose Books, Log and hidden sheets are
    200 MB of XML."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: file not found")
    if p.is_dir():
        raise InputError(f"{p}: is a folder; give an .xlsx file")
    # zip bombs, entity declarations, non-zip files: refused before parsing
    check_xlsx_safe(p, verify_data=error_parts is None)
    if error_parts is not None:
        sheet_of = {part: n for n, part in sheet_parts(p).items() if n in error_sheets}
        error_parts.update((sheet_of[part], part) for part in parts_holding(p, set(sheet_of), b't="e"'))
    try:
        return CalamineWorkbook.from_path(str(p))
    except Exception as exc:  # calamine raises several unrelated types for a bad file
        if (kind := package_kind(p)) in ("ods", "xlsb"):
            raise InputError(other_package_message(p, kind)) from None
        head = p.read_bytes()[:8]
        kind = "a JSON file" if head.lstrip()[:1] in (b"{", b"[") else "not an Excel .xlsx file"
        raise InputError(f"{p.name}: cannot be opened as a workbook: {kind} ({type(exc).__name__})") from None


def package_kind(p: Path) -> str:
    """``xlsx``, ``ods`` or ``xlsb`` by the zip's content, whatever the file's name (``""``:
    none of them). Called after :func:`safety.check_xlsx_safe`; reads only the directory."""
    import zipfile
    try:
        with zipfile.ZipFile(p) as z:
            names = set(z.namelist())
            if "xl/workbook.xml" in names:
                return "xlsx"
            if "mimetype" in names and b"opendocument" in z.read("mimetype")[:200]:
                return "ods"
            return "xlsb" if "xl/workbook.bin" in names else ""
    except (zipfile.BadZipFile, OSError):
        return ""


def other_package_message(p: Path, kind: str) -> str:
    what = {"ods": "an OpenDocument spreadsheet", "xlsb": "an .xlsb workbook"}.get(kind, "not an .xlsx package")
    how = "in LibreOffice (File > Save As > Excel 2007-365)" if kind == "ods" else \
        "in Excel (File > Save As > Excel Workbook)"
    return f"{p.name}: {what}; ims-xl works on .xlsx review workbooks: save it as an .xlsx {how} and use that file"


def refuse_other_packages(p: Path) -> None:
    """An .ods or .xlsb is a zip too, and python-calamine reads both, but neither is an .xlsx
    package (no ``xl/workbook.xml``): refuse it by its content, whatever its name."""
    kind = package_kind(p)
    if kind != "xlsx":
        raise InputError(other_package_message(p, kind))


#: Byte-order marks of the UTF-16 and UTF-32 forms, UTF-32 LE's first (it begins with UTF-16
#: LE's). Excel's File > Save As > "Unicode Text (*.txt)" writes UTF-16 LE with its mark,
#: tab-separated (Windows calls UTF-16 LE "Unicode"; Python's codecs docs, "Encodings and
#: Unicode", on the BOM); other editors' "Unicode" saves are UTF-16 BE or UTF-32.
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
         (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def _decode_text(data: bytes) -> str:
    """A text file's characters: UTF-16 or UTF-32 by its byte-order mark; UTF-16 when every
    other byte of its start is NUL (a UTF-16 file whose mark a tool stripped); else UTF-8,
    without its mark (Excel's "CSV UTF-8" save writes one), and Windows-1252 (what Excel's
    plain "CSV (Comma delimited)" writes on Indian Windows) when it is not UTF-8."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(codec, errors="replace")
    head = data[:4096]
    if len(head) >= 8:
        even, odd = head[0::2], head[1::2]
        if odd.count(0) * 10 >= len(odd) * 9 and even.count(0) * 10 < len(even):
            return data.decode("utf-16-le", errors="replace")
        if even.count(0) * 10 >= len(even) * 9 and odd.count(0) * 10 < len(odd):
            return data.decode("utf-16-be", errors="replace")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


#: The separators a register's text file may use: comma (CSV), semicolon (a CSV saved where
#: the list separator is ';'), tab (Excel's "Text (Tab delimited)" and "Unicode Text", Tally
#: and Busy text exports), and | (SAP lists).
_DELIMITERS = (",", ";", "\t", "|")


def _delimiter(sample: str) -> str | None:
    """The separator that splits most records of ``sample`` into the same number of fields,
    at least 4 (a register has a GSTIN, a number, a date and an amount); the larger count wins
    a tie. Title rows above the header (Tally's and Busy's company name, ``Purchase Register
    1-Oct-2025 to 31-Oct-2025``) are one field under every separator and decide nothing,
    where ``csv.Sniffer`` weighs them as much as the table and guesses ``,`` (or raises). An
    amount with digit-group commas (``1,03,307.28``) in a tab- or semicolon-separated file
    splits differently on every line, so ``,`` does not win there either. None: no separator
    gives 4 fields to two records."""
    import csv
    from collections import Counter
    best: tuple[int, int, str] | None = None
    for d in _DELIMITERS:
        counts = Counter(len(r) for r in csv.reader(io.StringIO(sample, newline=""), delimiter=d))
        score = max(((n, k) for k, n in counts.items() if k >= 4), default=None)
        if score is not None and score[0] >= 2 and (best is None or score > best[:2]):
            best = (*score, d)
    return best[2] if best else None


def read_grid(path: str | Path, sheet: str | None = None) -> tuple[list[list[object]], str]:
    """The cells of a CSV file or of one worksheet of an .xlsx (first sheet by default).

    Returns (grid, sheet name or "").
    """
    import csv
    p = Path(path)
    if p.suffix.lower() in (".csv", ".txt"):
        try:
            text = _decode_text(p.read_bytes())
        except OSError as exc:
            raise InputError(f"{p}: cannot be read ({exc.strerror or exc})") from None
        # the first 64 KB (whole lines): enough records to outvote any title block, and the
        # same cost for a file of a hundred rows or of a million
        sample = text[:65536]
        if len(text) > len(sample) and "\n" in sample:
            sample = sample[:sample.rindex("\n")]
        # an SAP list exported "unconverted" frames every cell with | and pads it with
        # spaces (amounts hold commas): when most lines start and end with |, that is the
        # separator, and the frame's dashed rules are not rows
        framed = [ln for ln in sample.splitlines()[:200] if ln.strip()]
        if framed and sum(ln.strip().startswith("|") and ln.strip().endswith("|")
                          for ln in framed) * 2 > len(framed):
            out = []
            for ln in text.splitlines():
                t = ln.strip()
                if t.startswith("|") and t.endswith("|") and len(t) > 1:
                    if set(t) <= {"|", "-"}:
                        continue
                    out.append([c.strip() for c in t[1:-1].split("|")])
                elif t and set(t) <= {"-", "|"}:
                    continue
                else:
                    out.append([t] if t else [])
            return out, ""
        delimiter = _delimiter(sample)
        dialect: type[csv.Dialect] | csv.Dialect = csv.excel
        try:  # quoting and spacing (and, with no separator found above, the separator)
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=delimiter or ",;\t|")
        except csv.Error:
            pass
        # the text itself, not its lines: a quoted cell may hold a line break (Excel writes
        # Alt+Enter in a cell that way; RFC 4180 §2.6), and newline="" leaves \r\n, \r and
        # \n to the reader
        # a quote inside a quoted cell is doubled, as Excel, LibreOffice and RFC 4180 §2.7
        # write it; the sniffer guesses otherwise when a cell starts with one (\"""Shah"" Traders,
        # Mumbai\" then split at its comma): without an escape character found, doubled it is
        fmt = {"doublequote": True} if getattr(dialect, "escapechar", None) is None else {}
        reader = csv.reader(io.StringIO(text, newline=""), dialect, delimiter=delimiter, **fmt) \
            if delimiter else csv.reader(io.StringIO(text, newline=""), dialect, **fmt)
        return list(reader), ""  # each row a new list already
    wb = open_workbook(p)
    name = sheet or wb.sheet_names[0]
    if name not in wb.sheet_names:
        raise InputError(f"{p.name}: no sheet named '{name}' (sheets: {', '.join(wb.sheet_names)})")
    grid = sheet_grid(wb, name)
    wb.close()
    return [list(r) for r in grid], name


# ---------------------------------------------------------------- cells without a value

_NS = rb"(?:[A-Za-z_][\w.-]*:)?"  # a namespace prefix (<x:c>), which some writers use
_C_OPEN = re.compile(rb"<" + _NS + rb"c(?=[\s>/])([^>]*?)(/?)>")
_C_END = re.compile(rb"</" + _NS + rb"c>")
_F_ELEM = re.compile(rb"<" + _NS + rb"f(?=[\s>/])([^>]*?)(?:/>|>(.*?)</" + _NS + rb"f>)", re.S)
_V_ELEM = re.compile(rb"<" + _NS + rb"v(?=[\s>/])[^>]*?(?:/>|>(.*?)</" + _NS + rb"v>)", re.S)
_ERROR_OPEN = re.compile(rb"<" + _NS + rb"c\s[^>]*?\bt=\"e\"")
_ROW_OR_C = re.compile(rb"<" + _NS + rb"(row|c)(?=[\s>/])([^>]*?)/?>")
_ATTR_REF = re.compile(rb'\sr="([A-Z]{1,3})([0-9]+)"')
_ATTR_ROW = re.compile(rb'\sr="([0-9]+)"')
_ATTR_T = re.compile(rb'\st="([A-Za-z]+)"')
_CALC_ON_LOAD = re.compile(rb"<" + _NS + rb'calcPr\b[^>]*\bfullCalcOnLoad="(?:1|true)"')
#: What tells the unpacking of :func:`safety.check_xlsx_safe` that a worksheet may hold a
#: cell without a value: an error value (``t="e"``) or the end of a formula (``</f>``,
#: ``</x:f>``; a shared formula's other cells point to a cell holding its text).
_NEEDLES = (b't="e"', b"f>")


def _positions(data: bytes) -> dict[int, tuple[int, int]]:
    """Each cell's (row, column), from 0, by the offset of its opening tag: for a worksheet
    whose cells leave out their ``r`` reference (optional in ECMA-376 Part 1 §18.3.1.4: a
    cell follows the one before it, a row the row before it)."""
    out: dict[int, tuple[int, int]] = {}
    row, col = -1, -1
    for m in _ROW_OR_C.finditer(data):
        if m.group(1) == b"row":
            r = _ATTR_ROW.search(m.group(2))
            row, col = (int(r.group(1)) - 1 if r else row + 1), -1
        else:
            r = _ATTR_REF.search(m.group(2))
            col = col_index(r.group(1).decode()) if r else col + 1
            out[m.start()] = (int(r.group(2)) - 1 if r else row, col)
    return out


def cells_without_value(data: bytes, recalculate: bool) -> dict[tuple[int, int], str]:
    """The cells of a worksheet part (its XML) whose stored value is not the cell's value,
    as (row, column) from 0 -> what the cell holds instead. python-calamine, like every
    reader that does not calculate, reads each of them as an empty cell (or the 0 stored):

    - an Excel error (``t="e"``: ``#N/A`` from a lookup that found nothing, ``#REF!``);
    - a formula with no stored result (``<f>`` without ``<v>``: openpyxl, Apache POI and
      other writers that do not calculate; an empty ``<v>`` of a text result, ``t="str"``,
      is a calculated empty text);
    - with ``recalculate`` (the workbook's ``calcPr fullCalcOnLoad``: the writer asks for
      every formula to be calculated on opening), a formula whose stored number is 0:
      XlsxWriter and libxlsxwriter store 0 for every formula they cannot calculate
      (libxlsxwriter FAQ, "Why do my formulas show a zero result in some, non-Excel
      applications?"). Excel and LibreOffice store every result when they save.
    """
    starts: set[int] = set()
    for m in _F_ELEM.finditer(data):  # the cell holding it: its opening tag just before
        window = data[max(0, m.start() - 1024):m.start()]
        last = None
        for last in _C_OPEN.finditer(window):
            pass
        if last is not None and not last.group(2):
            starts.add(m.start() - len(window) + last.start())
    starts.update(m.start() for m in _ERROR_OPEN.finditer(data))
    out: dict[tuple[int, int], str] = {}
    where: dict[int, tuple[int, int]] | None = None
    for at in sorted(starts):
        tag = _C_OPEN.match(data, at)
        if tag is None or tag.group(2):  # an empty cell <c .../>
            continue
        end = _C_END.search(data, tag.end())
        body = data[tag.end():end.start() if end else len(data)]
        t = _ATTR_T.search(tag.group(1))
        kind = t.group(1) if t else b"n"
        f, v = _F_ELEM.search(body), _V_ELEM.search(body)
        value = (v.group(1) or b"") if v else None
        if kind == b"e":
            what = f"the Excel error {html.unescape((value or b'#VALUE').decode('utf-8', 'replace'))}"
        elif f is None:
            continue
        elif value is None or (not value.strip() and kind != b"str"):
            what = "a formula whose result was never saved"
        elif recalculate and kind == b"n" and value.strip() in (b"0", b"0.0"):
            what = "a formula saved as 0 by a program that does not calculate"
        else:
            continue
        if f is not None and f.group(2):
            what += f" (={html.unescape(f.group(2).decode('utf-8', 'replace'))[:60]})"
        ref = _ATTR_REF.search(tag.group(1))
        if ref:
            pos = (int(ref.group(2)) - 1, col_index(ref.group(1).decode()))
        else:
            where = _positions(data) if where is None else where
            pos = where.get(at, (-1, -1))
        out[pos] = what
    return out


def _without_value(p: Path, parts: dict[str, str], found: dict[bytes, set[str]],
                   names: list[str]) -> dict[str, dict[tuple[int, int], str]]:
    """:func:`cells_without_value` of each sheet among ``names`` whose part the safety
    check's unpacking found holding one of :data:`_NEEDLES` (most registers: none)."""
    hit = set().union(*found.values())
    todo = {n: parts[n] for n in names if parts.get(n) in hit}
    if not todo:
        return {}
    with zipfile.ZipFile(p) as z:
        try:
            recalculate = _CALC_ON_LOAD.search(z.read("xl/workbook.xml")) is not None
        except KeyError:
            recalculate = False
        out = {n: cells_without_value(z.read(part), recalculate) for n, part in todo.items()}
    return {n: cells for n, cells in out.items() if cells}


#: Register files python-calamine reads besides CSV: Excel (.xlsx, .xlsm, .xls, .xlsb) and
#: OpenDocument (.ods) workbooks.
REGISTER_WORKBOOKS = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")


def _register_grid(wb: CalamineWorkbook, name: str) -> list[list[object]]:
    """A register sheet's cells, each cell merged down over the rows below it repeated on
    them (:func:`_fill_merged_down`)."""
    merged: list[object] = []

    def fetch() -> object:
        sh = wb.get_sheet_by_name(name)
        try:
            # (first row, first column), (last row, last column), from 0, as the file stores
            # them (<mergeCell ref> of an .xlsx, MERGEDCELLS of an .xls); python-calamine
            # 0.9 gives None for an .ods (its spans are not read) and may have none to give
            # for other formats
            merged.extend(sh.merged_cell_ranges or ())
        except Exception:  # a format whose merges python-calamine does not read: none
            pass
        return sh

    grid = [list(r) for r in sheet_grid(wb, name, fetch)]
    _fill_merged_down(grid, merged)
    return grid


#: A text cell that is a value, not a label: an amount (``1,03,307.28``, ``(500.00)``,
#: ``1,52,340.50 Dr``) or a date (``17-10-2025``, ``17.10.2025``) typed or exported as text.
_TEXT_VALUE = re.compile(r"[-(₹\s]*\d[\d,./ -]*\)?\s*(?:dr|cr)?\.?", re.I)


def _holds_values(row: list[object]) -> bool:
    """True when a row holds an amount or a date (a document's line), False when it holds
    only labels (a header, a title)."""
    for v in row:
        if isinstance(v, str):
            if v and v[0] in "-(₹ 0123456789" and _TEXT_VALUE.fullmatch(v.strip()):
                return True
        elif v is not None and not isinstance(v, bool):
            return True  # a number, a date or a time as the workbook stores it
    return False


def _fill_merged_down(grid: list[list[object]], merged: list[object]) -> None:
    """Give the rows under a merged cell its value, in its first column, where they are
    document lines.

    A register kept by hand often merges a supplier's GSTIN and name down over that
    supplier's bills; the file stores the value in the merged range's top-left cell only,
    and python-calamine reads the range's other cells as empty, so every bill but the first
    would have no GSTIN (and be read as an unregistered supplier's). The value belongs to
    every row the range covers, so each of those rows gets it.

    Left as stored: a range over rows that hold only labels (a header cell merged down over
    two header rows, a title block), which the header readers read as it is (a column blank
    under a label of its own takes that label; the GSTR-2B reader weighs a column's labels
    above its own, and one repeated below itself would change them); and the range's other
    columns: a group label merged over sub-columns (``Invoice`` over ``No.``, ``Date``) is
    read as a group, and a label merged across a total or group row (``Total for ...``)
    must not land in the GSTIN or amount columns.
    """
    height = len(grid)
    valued: dict[int, bool] = {}
    for rng in merged:
        try:
            (r0, c0), (r1, _c1) = rng  # type: ignore[misc]
        except (TypeError, ValueError):
            continue
        if r1 <= r0 or r0 >= height or c0 >= len(grid[r0]):
            continue
        value = grid[r0][c0]
        if value is None or value == "":
            continue
        rows = range(r0, min(r1, height - 1) + 1)
        for r in rows:
            if r not in valued:
                valued[r] = _holds_values(grid[r])
        if not any(valued[r] for r in rows):
            continue
        for r in rows[1:]:
            row = grid[r]
            if c0 < len(row) and (row[c0] is None or row[c0] == ""):
                row[c0] = value


def read_register_file(path: str | Path, sheet: str | None = None,
                       without_value: dict[str, dict[tuple[int, int], str]] | None = None
                       ) -> list[tuple[list[list[object]], str, bool]]:
    """The cells of a purchase register file: ``[(grid, sheet name or "", optional)]``.

    A CSV is one grid. A workbook gives the named sheet, or, without ``sheet``, every
    visible sheet with data, each marked optional (a sheet without a register header is
    then skipped, not refused): Tally's GSTR-2 export keeps invoices and notes on sheets
    ``b2b`` and ``cdnr``, the GSTR-2B Excel on ``B2B`` and ``B2B-CDNR``.

    ``without_value``, when given, is filled with the cells of an .xlsx or .xlsm sheet that
    read as empty or 0 though they are not (:func:`cells_without_value`), by sheet name:
    the register reader refuses those in the columns it reads.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: file not found")
    if p.is_dir():
        raise InputError(f"{p}: is a folder; give the register file (.csv, .xlsx, .xls, .xlsb or .ods)")
    suffix = p.suffix.lower()
    if suffix not in REGISTER_WORKBOOKS:
        grid, _ = read_grid(p)
        return [(grid, "", False)]
    found: dict[bytes, set[str]] = {n: set() for n in _NEEDLES} if suffix in (".xlsx", ".xlsm") else {}
    if suffix in (".xlsx", ".xlsm", ".xlsb", ".ods"):
        check_xlsx_safe(p, holding=found)  # zip bombs and entity declarations, before any parser sees it
    else:
        _check_size(p)
    try:
        wb = CalamineWorkbook.from_path(str(p))
    except Exception as exc:  # calamine raises several unrelated types for a bad file
        raise InputError(f"{p.name}: cannot be opened as a {suffix} workbook ({type(exc).__name__}); "
                         "open it in Excel or LibreOffice and save it as .xlsx or .csv") from None
    try:
        if sheet:
            if sheet not in wb.sheet_names:
                raise InputError(f"{p.name}: no sheet named '{sheet}' (sheets: {', '.join(wb.sheet_names)})")
            out = [(_register_grid(wb, sheet), sheet, False)]
        else:
            from python_calamine import SheetVisibleEnum
            visible = {m.name for m in wb.sheets_metadata if m.visible == SheetVisibleEnum.Visible}
            names = [n for n in wb.sheet_names if n in visible] or list(wb.sheet_names)
            out = [(_register_grid(wb, n), n, len(names) > 1) for n in names]
            out = [o for o in out if o[0]] or out[:1]
        if without_value is not None and any(found.values()):
            without_value.update(_without_value(p, sheet_parts(p), found, [o[1] for o in out]))
        return out
    finally:
        wb.close()


def _check_size(p: Path) -> None:
    """An old .xls is not a zip: only its size can be checked before parsing."""
    from .safety import xlsx_limit
    size = p.stat().st_size
    if size > xlsx_limit():
        raise InputError(f"{p.name}: {size / 1e6:,.0f} MB, more than ims-xl opens safely; "
                         "save the register as .csv")


def read_gstr2b(path: str | Path):
    """A GSTR-2B statement from the portal's JSON or its Excel download (by the file's suffix)."""
    from ..formats.gstr2b import load_gstr2b
    from ..formats.gstr2b_excel import parse_gstr2b_workbook
    p = Path(path)
    if p.suffix.lower() not in REGISTER_WORKBOOKS:
        return load_gstr2b(p)
    sheets = {sheet: grid for grid, sheet, _ in read_register_file(p)}
    return parse_gstr2b_workbook(sheets, p.name)
