"""Reading spreadsheets other tools wrote: any .xlsx opened safely, and purchase registers
(CSV, SAP framed lists, Excel and OpenDocument workbooks) as grids of cells.

python-calamine reads every workbook format (a Rust reader, about 6x faster than openpyxl's
read-only mode); hostile packages are refused by ``safety`` before any parser sees them.
"""

from __future__ import annotations

import html
import re
import zipfile
from collections.abc import Callable, Collection
from pathlib import Path

from python_calamine import CalamineWorkbook

from ..errors import InputError
from .safety import check_xlsx_safe, parts_holding

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


def read_grid(path: str | Path, sheet: str | None = None) -> tuple[list[list[object]], str]:
    """The cells of a CSV file or of one worksheet of an .xlsx (first sheet by default).

    Returns (grid, sheet name or "").
    """
    import csv
    p = Path(path)
    if p.suffix.lower() in (".csv", ".txt"):
        try:
            text = p.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            text = p.read_bytes().decode("cp1252", errors="replace")
        except OSError as exc:
            raise InputError(f"{p}: cannot be read ({exc.strerror or exc})") from None
        lines = text.splitlines()
        dialect = csv.excel
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
        except csv.Error:
            pass
        # an SAP list exported "unconverted" frames every cell with | and pads it with
        # spaces (amounts hold commas): when most lines start and end with |, that is the
        # separator, and the frame's dashed rules are not rows
        framed = [ln for ln in lines[:200] if ln.strip()]
        if framed and sum(ln.strip().startswith("|") and ln.strip().endswith("|")
                          for ln in framed) * 2 > len(framed):
            out = []
            for ln in lines:
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
        return [list(r) for r in csv.reader(lines, dialect)], ""
    wb = open_workbook(p)
    name = sheet or wb.sheet_names[0]
    if name not in wb.sheet_names:
        raise InputError(f"{p.name}: no sheet named '{name}' (sheets: {', '.join(wb.sheet_names)})")
    grid = sheet_grid(wb, name)
    wb.close()
    return [list(r) for r in grid], name


#: Register files python-calamine reads besides CSV: Excel (.xlsx, .xlsm, .xls, .xlsb) and
#: OpenDocument (.ods) workbooks.
REGISTER_WORKBOOKS = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")


def read_register_file(path: str | Path, sheet: str | None = None) -> list[tuple[list[list[object]], str, bool]]:
    """The cells of a purchase register file: ``[(grid, sheet name or "", optional)]``.

    A CSV is one grid. A workbook gives the named sheet, or, without ``sheet``, every
    visible sheet with data, each marked optional (a sheet without a register header is
    then skipped, not refused): Tally's GSTR-2 export keeps invoices and notes on sheets
    ``b2b`` and ``cdnr``, the GSTR-2B Excel on ``B2B`` and ``B2B-CDNR``.
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
    if suffix in (".xlsx", ".xlsm", ".xlsb", ".ods"):
        check_xlsx_safe(p)  # zip bombs and entity declarations, before any parser sees it
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
            return [([list(r) for r in sheet_grid(wb, sheet)], sheet, False)]
        from python_calamine import SheetVisibleEnum
        visible = {m.name for m in wb.sheets_metadata if m.visible == SheetVisibleEnum.Visible}
        names = [n for n in wb.sheet_names if n in visible] or list(wb.sheet_names)
        out = [([list(r) for r in sheet_grid(wb, n)], n, len(names) > 1) for n in names]
        return [o for o in out if o[0]] or out[:1]
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
