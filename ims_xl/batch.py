"""``ims-xl batch CLIENTS_DIR``: the monthly job for every client of a firm in one run.

Each sub-folder of CLIENTS_DIR is one client (folders starting with ``.`` or ``_`` are
skipped). In it ims-xl looks for:

* the IMS download: a ``*.json`` that is not a GSTR-2B (``gstr2b*.json``, or a JSON holding
  ``docdata``), an upload (``reqtyp``) or a portal error file (``error_report``,
  ``imsDetailsErr``); if several, the newest by modification time;
* the purchase register(s): ``*.csv, *.xlsx, *.xls, *.xlsb, *.ods``, except the files ims-xl
  writes (``review.xlsx``, ``matches.csv``, ``dashboard.xlsx``, ``ground_truth.csv``, any
  other review workbook) and lock or temporary files;
* ``mapping.txt`` (one line of ``--map`` text) and ``rtin.txt`` (the client's GSTIN), optional;
* a GSTR-2B JSON, optional: after the run, ``ims-xl gstr2b`` checks the review against it.

Each client runs ``ims-xl run DOWNLOAD --books REG... --out-dir CLIENT/out [--map ...]
[--rtin ...]`` in its own process, exactly as typed by hand (a ``review.xlsx`` already in
``out/`` is updated keeping the accountant's work); one client's failure never stops the
others. A dashboard workbook (``CLIENTS_DIR/dashboard.xlsx``) lists every client: its result,
ITC by action, ITC at risk, Pending items overdue, the first error lines and a link to its
review workbook. The column definitions are written under the table.

Exit codes: 0 every client done; 1 some clients have validation errors (the rest done);
2 a client failed (input error, internal error, no IMS download), there is no client, or the
dashboard cannot be written.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import importlib
import io
import multiprocessing
import os
import re
import signal
import sys
import tempfile
import time
import traceback
import zipfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from pathlib import Path

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3

#: Dashboard result per exit code of the client's steps.
RESULTS = {EXIT_OK: "Done", EXIT_FINDINGS: "Validation errors", EXIT_INPUT: "Input error",
           EXIT_INTERNAL: "Internal error"}
NO_DOWNLOAD = "No IMS download"
INTERRUPTED = "Interrupted"
NOT_RUN = "not run: the batch was interrupted"
#: The ITC-by-action labels of ``summary_tables(book)["itc"]``, in dashboard order.
ITC_ACTIONS = ("Accepted", "No Action (deemed accepted)", "Pending", "Rejected")
REGISTER_SUFFIXES = (".csv", ".xlsx", ".xls", ".xlsb", ".ods")
#: Files ims-xl itself writes, never read as a register.
WRITTEN_BY_IMS_XL = ("review.xlsx", "matches.csv", "dashboard.xlsx", "ground_truth.csv")
OUT_DIR = "out"


# --------------------------------------------------------------------------- finding the files

def client_folders(clients_dir: Path) -> list[Path]:
    """The client folders of ``clients_dir``, by name (``.`` and ``_`` folders skipped)."""
    return sorted((p for p in clients_dir.iterdir()
                   if p.is_dir() and not p.name.startswith((".", "_"))), key=lambda p: (p.name.casefold(), p.name))


_MARKERS = (("gstr2b", (b'"docdata"', b'"docrejdata"', b'"itcsumm"', b'"cpsumm"')),
            ("upload", (b'"reqtyp"',)),
            ("errors", (b'"error_report"', b'"imsdetailserr"')))


def json_kind(path: Path) -> str:
    """What a JSON file of a client folder is: ``download``, ``gstr2b``, ``upload`` or
    ``errors``, by its name (``gstr2b*.json``) or the keys it holds. A file that cannot be
    read or parsed counts as a download: running it gives the client its error line."""
    if path.name.casefold().startswith("gstr2b"):
        return "gstr2b"
    try:
        with open(path, "rb") as f:
            head = f.read(4)
            f.seek(0)
            if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head[:3] != b"\xef\xbb\xbf" and b"\x00" in head:
                for enc in ("utf-32", "utf-16"):  # UTF-16/32 (rare), or a broken file full of NULs
                    with contextlib.suppress(UnicodeError):
                        return _wide_kind(f, enc)
                return "download"
            tail = b""
            while chunk := f.read(1 << 20):
                kind = _kind_of((tail + chunk).lower())
                if kind != "download":
                    return kind
                tail = chunk[-32:]
    except OSError:
        return "download"
    return "download"


def _wide_kind(f, enc: str) -> str:
    """:func:`json_kind` of a file in UTF-16 or UTF-32 (``enc``), decoded a megabyte at a
    time: a file read whole, and its text, took 3 GB for a 1.5 GB broken download of NULs.
    As decoding the whole file at once would: the kind found anywhere in it (the first of
    :data:`_MARKERS`), and UnicodeError when any of it is not ``enc``."""
    f.seek(0)
    head = f.read(4 if enc == "utf-32" else 2)
    boms = {b"\xff\xfe\x00\x00": "le", b"\x00\x00\xfe\xff": "be"} if enc == "utf-32" else \
        {b"\xff\xfe": "le", b"\xfe\xff": "be"}
    order = boms.get(head)  # without a byte order mark, bytes.decode reads the machine's order
    if order is None:
        order = "le" if sys.byteorder == "little" else "be"
        f.seek(0)
    decoder = codecs.getincrementaldecoder(f"{enc}-{order}")()
    found: set[str] = set()
    tail = b""
    while True:
        chunk = f.read(1 << 20)
        text = (tail + decoder.decode(chunk, final=not chunk).lower().encode("utf-8", "replace"))
        found.update(kind for kind, keys in _MARKERS if any(k in text for k in keys))
        tail = text[-32:]
        if not chunk:
            break
    return next((kind for kind, _ in _MARKERS if kind in found), "download")


def _kind_of(text: bytes) -> str:
    for kind, keys in _MARKERS:
        if any(k in text for k in keys):
            return kind
    return "download"


def _is_review_workbook(path: Path) -> bool:
    """An ``.xlsx`` made by ims-xl (it has the hidden ``_ims_meta`` sheet): never a register."""
    if path.suffix.lower() != ".xlsx":
        return False
    try:
        with zipfile.ZipFile(path) as z:
            return b"_ims_meta" in z.read("xl/workbook.xml")
    except (OSError, KeyError, zipfile.BadZipFile):
        return False


def _first_line(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeError):
        return ""
    return next((ln.strip() for ln in text.splitlines() if ln.strip()), "")


def plan_client(folder: Path) -> dict:
    """The files of one client folder: ``download`` (or None), ``registers``, ``gstr2b``
    (or None), ``map`` and ``rtin`` text, and ``notes`` on choices made."""
    files = sorted((p for p in folder.iterdir() if p.is_file()), key=lambda p: p.name)
    visible = [p for p in files if not p.name.startswith((".", "~$"))]
    kinds: dict[str, list[Path]] = {}
    for p in visible:
        if p.suffix.lower() == ".json":
            kinds.setdefault(json_kind(p), []).append(p)
    notes = []

    def newest(kind: str, what: str) -> Path | None:
        found = sorted(kinds.get(kind, []), key=lambda p: (p.stat().st_mtime, p.name), reverse=True)
        if len(found) > 1:
            notes.append(f"{len(found)} {what} files; used the newest, {found[0].name}")
        return found[0] if found else None
    registers = [p for p in visible if p.suffix.lower() in REGISTER_SUFFIXES
                 and p.name.casefold() not in WRITTEN_BY_IMS_XL and not _is_review_workbook(p)]
    plan = {"download": newest("download", "IMS download"), "gstr2b": newest("gstr2b", "GSTR-2B"),
            "registers": registers, "map": "", "rtin": "", "notes": notes}
    if (folder / "mapping.txt").is_file():
        plan["map"] = _first_line(folder / "mapping.txt")
    if (folder / "rtin.txt").is_file():
        plan["rtin"] = _first_line(folder / "rtin.txt").upper()
    if plan["download"] is not None and not registers:
        notes.append("no purchase register in the folder: not reconciled")
    return plan


def run_argv(plan: dict, out_dir: Path) -> list[str]:
    """The ``ims-xl run`` arguments for a client, as typed by hand."""
    argv = ["run", str(plan["download"])]
    for r in plan["registers"]:
        argv += ["--books", str(r)]
    argv += ["--out-dir", str(out_dir)]
    if plan["map"]:
        argv.append(f"--map={plan['map']}")  # one word: a mapping starting with - is not an option
    if plan["rtin"]:
        argv.append(f"--rtin={plan['rtin']}")
    return argv


# --------------------------------------------------------------------------- one client (in a worker)

def _call_cli(argv: list[str]) -> tuple[int, list[str], list[str]]:
    """``ims_xl.cli.main(argv)`` with its output captured: (exit code, stdout lines, stderr lines)."""
    from . import cli
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = cli.main(argv)
        except SystemExit as exc:  # argparse refusing the arguments
            rc = exc.code if isinstance(exc.code, int) else EXIT_INPUT
        except KeyboardInterrupt:
            print("ims-xl: interrupted", file=sys.stderr)
            rc = EXIT_INPUT
        except Exception as exc:  # cli.main re-raises with IMS_XL_DEBUG set
            print(f"ims-xl: internal error ({type(exc).__name__}); details in {_log(exc, argv)}",
                  file=sys.stderr)
            rc = EXIT_INTERNAL
    return rc, out.getvalue().splitlines(), err.getvalue().splitlines()


def _log(exc: BaseException, argv: list[str]) -> Path:
    log = Path(tempfile.gettempdir()) / f"ims-xl-batch-error-{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}.log"
    log.write_text("ims-xl batch\n" + " ".join(argv) + "\n\n" + "".join(traceback.format_exception(exc)),
                   encoding="utf-8")
    return log


def new_result(folder: Path) -> dict:
    """A client's result dict (amounts in paise; None where a figure is not known)."""
    return {"client": folder.name, "folder": str(folder), "gstin": "", "period": "", "result": "",
            "exit_code": None, "records": None, "itc": {}, "itc_at_risk": None, "overdue": None,
            "upload_written": False, "errors": [], "output": [], "review": None, "notes": [],
            "steps": [], "seconds": 0.0}


def run_client(folder: str | Path) -> dict:
    """Run one client's job (in a worker process): find its files, ``ims-xl run``, then
    ``ims-xl gstr2b`` when it has a GSTR-2B, and read the figures of its review workbook.
    Never raises: every failure is the client's result."""
    start = time.perf_counter()
    folder = Path(folder)
    res = new_result(folder)
    if _STOP is not None and _STOP.is_set():  # handed to this worker before Ctrl-C: not started
        res.update(result=INTERRUPTED, exit_code=EXIT_INPUT, errors=[NOT_RUN])
        return res
    worker = _STOP is not None
    if worker:  # Ctrl-C stops the client being run (a worker ignores it between clients)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        _run_client(folder, res)
    except KeyboardInterrupt:
        res.update(result=INTERRUPTED, exit_code=EXIT_INPUT, errors=["interrupted"])
    except Exception as exc:
        res.update(result=RESULTS[EXIT_INTERNAL], exit_code=EXIT_INTERNAL,
                   errors=[f"ims-xl batch: internal error ({type(exc).__name__}: {exc}); "
                           f"details in {_log(exc, [str(folder)])}"])
    finally:
        if worker:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
    res["seconds"] = time.perf_counter() - start
    return res


#: In a worker process of the batch, the batch's stop event (set at Ctrl-C); None elsewhere.
_STOP = None


def _init_worker(helpers: bool, stop) -> None:
    """Start a worker: its helper threads, the batch's stop event, and Ctrl-C ignored while
    it waits for its next client (there it printed a traceback and broke the pool)."""
    global _STOP
    from .files.sheetxml import use_helper_threads
    use_helper_threads(helpers)
    _STOP = stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_client(folder: Path, res: dict) -> None:
    from . import cli
    plan = plan_client(folder)
    res["notes"] += plan["notes"]
    res["gstin"] = plan["rtin"]
    if plan["download"] is None:
        res.update(result=NO_DOWNLOAD, exit_code=EXIT_INPUT,
                   errors=[f"no IMS download (*.json) in {folder.name}: put the JSON downloaded from the "
                           "IMS dashboard in the folder"])
        return
    out_dir = folder / OUT_DIR
    steps = [run_argv(plan, out_dir)]
    rc, out, err = _call_cli(steps[0])
    res["output"] += out + err
    codes, errors = [rc], err[:]
    wrote_review = rc in (EXIT_OK, EXIT_FINDINGS)
    res["upload_written"] = rc == EXIT_OK
    if wrote_review and plan["gstr2b"] is not None and "gstr2b" in cli.COMMANDS:
        steps.append(["gstr2b", str(out_dir / "review.xlsx"), "--2b", str(plan["gstr2b"])])
        rc2, out, err = _call_cli(steps[1])
        res["output"] += out + err
        codes.append(rc2)
        errors += err
    res["steps"] = steps
    worst = max(codes)
    res["exit_code"] = worst
    res["result"] = RESULTS.get(worst, RESULTS[EXIT_INTERNAL])
    if any(ln.startswith("ims-xl: interrupted") for ln in errors):  # Ctrl-C: not an input error
        res["result"] = INTERRUPTED
    stale = _uploads(out_dir) if rc != EXIT_OK else []
    if stale:
        res["notes"].append(f"{', '.join(stale)} in out/ {'is' if len(stale) == 1 else 'are'} from an earlier "
                            "run: not this month's upload")
    if not wrote_review and (out_dir / "review.xlsx").exists():
        res["notes"].append("review.xlsx in out/ is from an earlier run: not updated")
    if wrote_review:
        res["review"] = str(out_dir / "review.xlsx")
        try:
            _figures(out_dir / "review.xlsx", res)
        except Exception as exc:  # the figures are a report: the job itself is done
            res["notes"].append(f"figures not read from review.xlsx ({type(exc).__name__}: {exc})")
    if worst == EXIT_FINDINGS and not errors:
        errors = res.pop("_row_errors", None) or [ln for ln in res["output"] if "error" in ln.lower()]
    res.pop("_row_errors", None)
    res["errors"] = [e for e in errors if e.strip()][:3]


def _uploads(out_dir: Path) -> list[str]:
    """The upload file(s) in ``out_dir``: ``upload.json``, or the parts ``upload_1.json`` ...
    of an upload split in several files."""
    if not out_dir.is_dir():
        return []
    found = [(0 if m[1] is None else int(m[1]), p.name) for p in out_dir.iterdir()
             if (m := re.fullmatch(r"upload(?:_(\d+))?\.json", p.name)) and p.is_file()]
    return [name for _, name in sorted(found)]


# --------------------------------------------------------------------------- the figures

def _figures(review: Path, res: dict) -> None:
    from .files.xlsx import read_review
    from .review.book import summary_tables
    from .review.carry import itc_at_risk, overdue_items
    book = read_review(review, lean=True)  # not the Books sheet (the figures need the rows)
    res["gstin"] = book.rtin or res["gstin"]
    res["period"] = book.meta.get("period", "")
    res["records"] = len(book.rows)
    itc = summary_tables(book)["itc"]
    res["itc"] = {str(r.action): int(r.total) for r in itc.itertuples(index=False)}
    res["itc_at_risk"] = itc_at_risk(book)  # review.carry: claimed ITC the books do not back
    if res["itc_at_risk"] is None and len(book.rows):
        res["notes"].append("ITC at risk not worked out: the records are not reconciled with books")
    res["overdue"] = overdue_items(book)
    rows = book.rows
    if len(rows):
        bad = rows[rows["sheet_errors"].astype(str).str.contains("ERROR", regex=False)]
        res["_row_errors"] = [f"{r.sheet} row {r.excel_row}: " + _first_error(str(r.sheet_errors))
                              for r in bad.head(3).itertuples(index=False)]


def _first_error(text: str) -> str:
    parts = [p.strip() for p in text.replace("\n", ";").split(";") if p.strip()]
    return next((p for p in parts if p.startswith("ERROR")), parts[0] if parts else text)


# --------------------------------------------------------------------------- the dashboard

COLUMNS = (  # (header, width, definition)
    ("Client folder", 28, "The client's sub-folder of the clients folder (as text, never a formula)."),
    ("GSTIN", 17, "The recipient GSTIN of the review workbook (else rtin.txt)."),
    ("Period", 9, "The return period (MMYYYY) on the review workbook's Summary; blank when not given."),
    ("Result", 17, "Done: review, matches and upload written. Validation errors: review written, no upload "
     "(fix and run again). Input error: a file could not be used (see Errors). Internal error: a bug "
     "(a log file is named). No IMS download: no IMS JSON in the folder."),
    ("Records", 9, "IMS records in the review workbook."),
    ("ITC Accepted (Rs)", 16, "ITC (IGST+CGST+SGST+cess) of records at Accept, credit notes negative, as on the "
     "review workbook's Summary (summary_tables, 'itc')."),
    ("ITC No Action, deemed accepted (Rs)", 18, "The same for records at No Action: deemed accepted when "
     "GSTR-2B is generated."),
    ("ITC Pending (Rs)", 16, "The same for records kept Pending: out of this month's GSTR-2B."),
    ("ITC Rejected (Rs)", 16, "The same for rejected records."),
    ("ITC at risk (Rs)", 16, "ITC of invoices, debit notes and their amendments at Accept or No Action whose "
     "match status is not Matched / Matched within tolerance (missing in books, value, tax-head, date or "
     "GSTIN differences, duplicates): credit that would be taken without a matching bill in the books. "
     "Credit notes are left out (they reduce ITC). Blank when the records are not reconciled."),
    ("Items overdue", 10, "Open items past their deadline on the client's Ageing sheet (the same rules: a "
     "credit note or amendment first seen from Oct-2025 may stay Pending one tax period; anything else "
     "runs to the Section 16(4) limit), counted on the day the batch ran."),
    ("Upload written", 9, "Yes when this run wrote out/upload.json (to upload on the IMS dashboard)."),
    ("Errors (first 3 lines)", 60, "For a client not done: the first three error lines (for validation "
     "errors, the first three rows in error)."),
    ("Notes", 40, "Choices made (several downloads: the newest used), a missing register, a stale upload."),
    ("Review workbook", 30, "A link to the client's out/review.xlsx, relative to this dashboard."),
)
_BAD_XML = {c: "?" for c in (*range(0, 9), 11, 12, *range(14, 32))}


def _text(v: object) -> str:
    """Text safe for a cell (control characters XML cannot carry replaced)."""
    return str(v).translate(_BAD_XML)[:32000]


#: How Excel escapes a file path in a hyperlink (XlsxWriter's table, plus ``#``, which would
#: otherwise end the path and start a location inside the file).
_URL_ESCAPES = (("%", "%25"), ("#", "%23"), ('"', "%22"), (" ", "%20"), ("<", "%3c"), (">", "%3e"),
                ("[", "%5b"), ("]", "%5d"), ("^", "%5e"), ("`", "%60"), ("{", "%7b"), ("}", "%7d"))


def review_link(review: str, dashboard: Path) -> str:
    """The path of a review workbook relative to the dashboard's folder (absolute when it
    cannot be relative: another drive)."""
    try:
        return os.path.relpath(Path(review).resolve(), dashboard.resolve().parent)
    except ValueError:
        return str(Path(review).resolve())


def _escaped(path: str) -> str:
    """``path`` escaped as Excel stores a hyperlink target; XlsxWriter leaves a target that
    already holds an escape as it is, so every such character is escaped here, once."""
    for ch, esc in _URL_ESCAPES:
        path = path.replace(ch, esc)
    return path


#: The title property every dashboard carries (docProps/core.xml): how a later batch knows
#: a file at ``--dashboard`` is a dashboard it may replace, and not someone's workbook.
DASHBOARD_TITLE = "ims-xl firm dashboard"
DASHBOARD_SHEET = "Dashboard"
#: Bytes read of one part of an existing file when telling a dashboard: enough for the
#: small parts looked at, and a hostile file (a zip bomb) cannot make the read large.
_PART_LIMIT = 1 << 20


def _part(z: zipfile.ZipFile, name: str) -> bytes:
    try:
        with z.open(name) as f:
            return f.read(_PART_LIMIT)
    except (KeyError, OSError, zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError, ValueError):
        return b""


def is_dashboard(path: Path) -> bool:
    """Whether the file at ``path`` is a dashboard ims-xl batch wrote: its title property is
    :data:`DASHBOARD_TITLE`, or (a dashboard written before that property) its only sheet is
    ``Dashboard`` with the ``ims-xl batch:`` heading. A review workbook (``_ims_meta``), any
    other workbook, or a file that is no workbook at all is not one."""
    try:
        with zipfile.ZipFile(path) as z:
            if f"<dc:title>{DASHBOARD_TITLE}</dc:title>".encode() in _part(z, "docProps/core.xml"):
                return True
            sheets = _part(z, "xl/workbook.xml").count(b"<sheet ")
            return (sheets == 1 and f'name="{DASHBOARD_SHEET}"'.encode() in _part(z, "xl/workbook.xml")
                    and b">ims-xl batch: " in _part(z, "xl/sharedStrings.xml"))
    except (OSError, zipfile.BadZipFile, ValueError):
        return False


def _inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` is in ``folder`` or below it (links followed, case as the system compares)."""
    target = os.path.normcase(os.path.abspath(path.resolve()))
    top = os.path.normcase(os.path.abspath(folder.resolve()))
    try:
        return os.path.commonpath([target, top]) == top
    except ValueError:  # another drive (Windows)
        return False


def check_dashboard_target(path: Path, folders: list[Path]) -> None:
    """Refuse, before any client runs, a ``--dashboard`` path whose file must never be
    replaced by a dashboard (README "Reliability and safety": nothing the accountant made
    is overwritten): a name not ending ``.xlsx`` (the dashboard is a workbook: a client's
    IMS JSON or register would be replaced by one), a path inside a client folder this batch
    processes (its review, register or download), or an existing file that is not a
    dashboard an earlier batch wrote.

    Raises:
        InputError: one of those, saying why and what to give instead.
    """
    from .errors import InputError
    default = "the default is CLIENTS_DIR/dashboard.xlsx"
    if path.suffix.lower() != ".xlsx":
        raise InputError(f"--dashboard {path}: the dashboard is an Excel workbook and would replace that "
                         f"file; give a path ending in .xlsx ({default})")
    for folder in folders:
        if _inside(path, folder):
            raise InputError(f"--dashboard {path}: that is inside the client folder {folder.name}, whose files "
                             f"this batch reads and writes; give a path outside the client folders ({default})")
    if (path.exists() or path.is_symlink()) and not is_dashboard(path):
        raise InputError(f"--dashboard {path}: that file exists and is not an ims-xl dashboard (a review "
                         "workbook or another file), so it is not replaced; give a new file name or an earlier "
                         f"dashboard ({default})")


def write_dashboard(results: list[dict], path: Path, clients_dir: Path) -> None:
    """The firm dashboard workbook, written atomically (one row per client)."""
    import xlsxwriter

    from .files.atomic import atomic_write_many
    from .files.xlsx import INR_FORMAT

    def write(tmp: str) -> None:
        wb = xlsxwriter.Workbook(tmp, {"strings_to_formulas": False, "strings_to_urls": False})
        wb.set_properties({"title": DASHBOARD_TITLE})  # is_dashboard: a later run may replace it
        ws = wb.add_worksheet(DASHBOARD_SHEET)
        bold = wb.add_format({"bold": True})
        head = wb.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#D9E1F2",
                              "border": 1})
        money = wb.add_format({"num_format": INR_FORMAT})
        count = wb.add_format({"num_format": "#,##0"})
        text = wb.add_format({"num_format": "@"})
        wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        fills = {"Done": "#C6EFCE", "Validation errors": "#FFEB9C"}
        result_fmt = {k: wb.add_format({"bg_color": v}) for k, v in fills.items()}
        failed_fmt = wb.add_format({"bg_color": "#FFC7CE"})
        ws.write_string(0, 0, _text(f"ims-xl batch: {clients_dir}"), bold)
        tally = {}
        for r in results:
            tally[r["result"]] = tally.get(r["result"], 0) + 1
        ws.write_string(1, 0, _text(f"Run on {datetime.now():%d-%m-%Y %H:%M}: {len(results)} client(s); "
                                    + ", ".join(f"{n} {k}" for k, n in tally.items())))
        top = 3
        for c, (name, width, _) in enumerate(COLUMNS):
            ws.write_string(top, c, name, head)
            ws.set_column(c, c, width)
        for i, r in enumerate(results, start=top + 1):
            ws.write_string(i, 0, _text(r["client"]), text)
            ws.write_string(i, 1, _text(r["gstin"]), text)
            ws.write_string(i, 2, _text(r["period"]), text)
            ws.write_string(i, 3, _text(r["result"]), result_fmt.get(r["result"], failed_fmt))
            if r["records"] is not None:
                ws.write_number(i, 4, r["records"], count)
            for j, label in enumerate(ITC_ACTIONS):
                if label in r["itc"]:
                    ws.write_number(i, 5 + j, r["itc"][label] / 100, money)
            if r["itc_at_risk"] is not None:
                ws.write_number(i, 9, r["itc_at_risk"] / 100, money)
            if r["overdue"] is not None:
                ws.write_number(i, 10, r["overdue"], count)
            ws.write_string(i, 11, "Yes" if r["upload_written"] else "No")
            if r["errors"]:
                ws.write_string(i, 12, _text("\n".join(r["errors"])), wrap)
            if r["notes"]:
                ws.write_string(i, 13, _text("; ".join(r["notes"])), wrap)
            if r["review"]:
                rel = review_link(r["review"], path)
                shown = _text(rel)
                if ws.write_url(i, 14, "external:" + _escaped(rel), string=shown,
                                tip="Open this client's review workbook") != 0:
                    ws.write_string(i, 14, shown, text)  # too long for a link: the path as text
        last = top + len(results)
        ws.freeze_panes(top + 1, 1)
        ws.autofilter(top, 0, max(last, top), len(COLUMNS) - 1)
        row = last + 3
        ws.write_string(row, 0, "What the columns mean", bold)
        for name, _, meaning in COLUMNS:
            row += 1
            ws.write_string(row, 0, name, bold)
            ws.write_string(row, 1, meaning)
        row += 2
        ws.write_string(row, 0, "Amounts are in rupees; figures come from each client's out/review.xlsx as this "
                        "run left it, and are blank for a client whose run failed (an older review.xlsx "
                        "may still be in its out/ folder).")
        wb.close()
    atomic_write_many([(path, write)])


# --------------------------------------------------------------------------- the batch

def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _context():
    """Fork on Linux (fast: the parent's imports are shared, and the workers are its own
    children, so their peak memory shows in ``RUSAGE_CHILDREN``); the platform's default
    elsewhere (spawn on Windows and macOS)."""
    if sys.platform.startswith("linux"):
        importlib.import_module("ims_xl.cli")  # loaded once here, shared by every forked worker
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _bar(total: int, show: bool):
    from tqdm import tqdm

    class Bar(tqdm):
        monitor_interval = 0  # no monitor thread: a later fork (a retry pool) stays thread-free
    return Bar(total=total, disable=not show, file=sys.stderr, unit="client", desc="ims-xl batch",
               dynamic_ncols=True)


def _crashed(folder: Path) -> dict:
    res = new_result(folder)
    res.update(result=RESULTS[EXIT_INTERNAL], exit_code=EXIT_INTERNAL,
               errors=["the process running this client stopped without a result (killed, or out of "
                       "memory?); run this client alone with ims-xl run to see why"])
    return res


def _run_pool(folders: list[Path], jobs: int, bar, results: dict[Path, dict]) -> list[Path]:
    """Run ``folders`` on ``jobs`` processes; return those whose process died (the pool broke)."""
    lost = []
    # as many clients at once as cores: a client's helper threads would only compete for them
    quiet = jobs >= (os.cpu_count() or 1)
    ctx = _context()
    stop = ctx.Event()
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker,
                             initargs=(not quiet, stop)) as pool:
        futures = {}
        try:
            for n, f in enumerate(folders):
                try:
                    futures[pool.submit(run_client, str(f))] = f
                except BrokenProcessPool:  # a client's process died before all were handed out
                    lost += folders[n:]
                    break
            for fut in as_completed(futures):
                f = futures[fut]
                try:
                    results[f] = fut.result()
                except BrokenProcessPool:
                    lost.append(f)
                    continue
                except Exception as exc:  # a result that could not come back
                    results[f] = new_result(f)
                    results[f].update(result=RESULTS[EXIT_INTERNAL], exit_code=EXIT_INTERNAL,
                                      errors=[f"ims-xl batch: internal error ({type(exc).__name__}: {exc})"])
                bar.set_postfix_str(f.name[:30], refresh=False)
                bar.update(1)
        except KeyboardInterrupt:
            stop.set()  # clients already queued to a worker are not started either
            pool.shutdown(wait=True, cancel_futures=True)
            for fut, f in futures.items():  # a client that ran to its end is reported as it ended
                if f not in results and fut.done() and not fut.cancelled() and fut.exception() is None:
                    results[f] = fut.result()
            raise
    return lost


def run_batch(clients_dir: Path, jobs: int | None = None, progress: bool | None = None,
              dashboard: Path | None = None) -> tuple[int, list[dict]]:
    """Run every client of ``clients_dir`` and write the dashboard.

    Returns:
        (exit code, one result dict per client in folder order). Exit code 0 all done,
        1 some validation errors, 2 a client failed (input error, internal error, no IMS
        download, interrupted), no client, or the dashboard cannot be written.

    Raises:
        InputError: ``clients_dir`` is not a folder, ``jobs`` is below 1, or the dashboard
            path may not be written (not ``.xlsx``, inside a client folder, an existing file
            that is not a dashboard, open in Excel...) — checked before any client runs.
    """
    from .errors import InputError
    from .files.atomic import refuse_if_open
    from .files.safety import check_output_path
    clients_dir = Path(clients_dir)
    if not clients_dir.is_dir():
        raise InputError(f"{clients_dir}: not a folder; give the folder that holds one sub-folder per client")
    if jobs is not None and jobs < 1:
        raise InputError(f"--jobs {jobs}: give 1 or more processes")
    dashboard = Path(dashboard) if dashboard else clients_dir / "dashboard.xlsx"
    check_output_path(dashboard)
    folders = client_folders(clients_dir.absolute())
    check_dashboard_target(dashboard, folders)
    refuse_if_open(dashboard)
    if not folders:
        print(f"ims-xl: error: no client folder in {clients_dir}: make one sub-folder per client holding its "
              "IMS download and purchase register", file=sys.stderr)
        return EXIT_INPUT, []
    with _holding(dashboard):
        return _run_all(folders, clients_dir, dashboard, jobs, progress)


@contextlib.contextmanager
def _holding(dashboard: Path):
    """Hold the dashboard's ims-xl lock for the whole batch (README: never two writers on
    one workbook): a second batch on the same clients (a colleague, a second window) waits
    :func:`lock_wait` seconds, then is refused before it runs any client, instead of running
    every client again beside the first and putting the other's clients on its dashboard as
    input errors ("being changed by another ims-xl command"). Where no lock file can be made
    (a read-only folder), the dashboard's own write says why, after the clients have run.

    Raises:
        InputError: another batch holds the lock.
    """
    import filelock

    from .errors import InputError
    from .files.safety import _release, lock_file, lock_wait
    lf = lock_file(dashboard)
    lock = filelock.FileLock(str(lf), timeout=lock_wait())
    try:
        if not dashboard.parent.is_dir():  # filelock would make the folder
            raise OSError("no folder")
        lock.acquire()
    except filelock.Timeout:
        raise InputError(f"{dashboard.name} is being written by another ims-xl batch (lock file {lf}); wait for "
                         "it to finish and try again") from None
    except OSError:
        yield
        return
    try:
        yield
    finally:
        _release(lock, lf)


def _run_all(folders: list[Path], clients_dir: Path, dashboard: Path, jobs: int | None,
             progress: bool | None) -> tuple[int, list[dict]]:
    """:func:`run_batch` once its checks are passed: run the clients, write the dashboard."""
    from .errors import ImsXlError
    jobs = max(1, min(jobs or default_jobs(), len(folders)))
    show = sys.stderr.isatty() if progress is None else progress
    results: dict[Path, dict] = {}
    interrupted = False
    bar = _bar(len(folders), show)
    try:
        lost = _run_pool(folders, jobs, bar, results)
        for f in lost:  # a worker died: its pool's other clients get a pool of their own, one by one
            try:
                got = _run_pool([f], 1, bar, results)
            except BrokenProcessPool:
                got = [f]
            if got:
                results[f] = _crashed(f)
                bar.update(1)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.close()
    ordered = []
    for f in folders:
        if f not in results:
            r = new_result(f)
            r.update(result=INTERRUPTED, exit_code=EXIT_INPUT, errors=[NOT_RUN])
            results[f] = r
        ordered.append(results[f])
    _note_shared_gstins(ordered)
    code = max((EXIT_INPUT if r["exit_code"] is None or r["exit_code"] >= EXIT_INPUT else r["exit_code"])
               for r in ordered)
    try:
        write_dashboard(ordered, dashboard, clients_dir)
    except ImsXlError as exc:
        print(f"ims-xl: error: the dashboard was not written: {exc}", file=sys.stderr)
        return EXIT_INPUT, ordered
    if interrupted:
        print("ims-xl: interrupted; clients not finished are marked Interrupted on the dashboard", file=sys.stderr)
    return code, ordered


def _note_shared_gstins(results: list[dict]) -> None:
    seen: dict[str, list[str]] = {}
    for r in results:
        if r["gstin"]:
            seen.setdefault(r["gstin"], []).append(r["client"])
    for r in results:
        others = [c for c in seen.get(r["gstin"], []) if c != r["client"]]
        if others:
            r["notes"].append("same GSTIN as " + ", ".join(others))


# --------------------------------------------------------------------------- the command

def add_batch_parser(sub) -> argparse.ArgumentParser:
    """Add the ``batch`` sub-command to ``sub`` (the sub-parsers of ``ims-xl``)."""
    s = sub.add_parser("batch", help="run the monthly job for every client folder and write a firm dashboard",
                       description="Run ims-xl run for every client sub-folder of CLIENTS_DIR (its IMS JSON, "
                       "purchase registers, optional mapping.txt, rtin.txt and GSTR-2B JSON), each in its own "
                       "process, into CLIENT/out, and write a dashboard workbook.")
    s.add_argument("clients_dir", help="the folder holding one sub-folder per client")
    s.add_argument("--jobs", type=int, help="processes to run at once (default: the number of CPUs)")
    s.add_argument("--progress", action="store_true", default=None,
                   help="show the progress bar even when stderr is not a terminal")
    s.add_argument("--dashboard", help="where to write the dashboard (default: CLIENTS_DIR/dashboard.xlsx)")
    return s


def cmd_batch(a: argparse.Namespace) -> int:
    """``ims-xl batch``: run every client, print one line per client, write the dashboard."""
    from .files.atomic import WRITTEN
    before = len(WRITTEN)
    code, results = run_batch(Path(a.clients_dir), a.jobs, a.progress,
                              Path(a.dashboard) if a.dashboard else None)
    for r in results:
        line = f"{r['client']}: {r['result']}"
        if r["records"] is not None:
            line += f" ({r['records']:,} records)"
        if r["exit_code"] not in (EXIT_OK, None) and r["errors"]:
            line += f": {r['errors'][0]}"
        print(line)
    if len(WRITTEN) > before:
        print(f"Wrote {WRITTEN[-1]}")
    return code


def main(argv: list[str] | None = None) -> int:
    """``python -m ims_xl.batch CLIENTS_DIR ...``: the batch command on its own."""
    from .errors import ImsXlError
    p = argparse.ArgumentParser(prog="ims-xl")
    add_batch_parser(p.add_subparsers(dest="command", required=True))
    a = p.parse_args(["batch", *(sys.argv[1:] if argv is None else argv)])
    try:
        return cmd_batch(a)
    except ImsXlError as exc:
        print(f"ims-xl: error: {exc}", file=sys.stderr)
        return EXIT_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
