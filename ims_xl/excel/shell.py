"""The xlwings shell: the "GST IMS" ribbon's buttons on the workbook open in Excel.

The ribbon's VBA dispatcher runs ``import ims_xl.excel.shell; ims_xl.excel.shell.run_action('<tag>')`` through
the xlwings add-in's ``RunPython``; ``xw.Book.caller()`` is then the accountant's workbook.
Each button reads the workbook in bulk (:class:`ims_xl.excel.workbook.Session`), calls the same
core action as the CLI (``ims_xl.actions``, looked up in the registry), and writes back in bulk
what changed. No GST logic lives here.

Excel state (screen updating, calculation, the status bar) is changed only through
``app.properties(...)``, which restores it even after an error. An :class:`ImsXlError` becomes
a plain message box; anything else writes a log file and a message box says where it is.
"""

from __future__ import annotations

import platform
import tempfile
import traceback
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import xlwings as xw

from .. import __version__, actions
from ..bulk import fewer_collections
from ..errors import ImsXlError, InputError
from ..files.safety import check_json_size, file_saved_at
from ..files.atomic import write_parts
from ..files.read import read_register_file
from ..formats.ims_json import load_download, load_portal_errors
from ..registry import ACTION_BY_NAME
from ..review.layout import AGEING_SHEET, BOOKS_SHEET
from .dialogs import GSTR2B_FILES, JSON_FILES, REGISTER_FILES, REVIEW_FILES
from .dialogs import ask_open_file as _ask_open_file
from .dialogs import ask_save_file as _ask_save_file
from .workbook import TITLE, Session

#: Excel's MsgBox shows at most 1024 characters.
ALERT_MAX = 1000


# ---------------------------------------------------------------- the entry point

def run_action(name: str, book: Any = None) -> list[str]:
    """Run the registry action ``name`` on ``book`` (default: the workbook that called).

    Called by the ribbon's VBA dispatcher with the button's tag. Never raises for the user:
    a user error (:class:`ImsXlError`) is shown in a message box; any other exception writes
    a log file with the traceback and a message box names it.

    Returns:
        The lines shown to the user (for tests and debugging with ``set_mock_caller``).
    """
    if book is None:
        book = xw.Book.caller()
    app = book.app
    info = ACTION_BY_NAME.get(name)
    if info is None:
        text = (f"'{name}' is not a GST IMS action (known: {', '.join(ACTION_BY_NAME)}). "
                "Reinstall the GST IMS add-in so the ribbon and ims-xl match.")
        app.alert(text, title=TITLE, mode="critical")
        return [text]
    try:
        with app.properties(screen_updating=False, calculation="manual",
                            status_bar=f"{TITLE}: {info.label}..."), fewer_collections():
            session = Session(book, app, info)
            lines = HANDLERS[name](session) + session.notices
    except ImsXlError as exc:
        lines = [str(exc)]
        app.alert(_fit(lines), title=f"{TITLE}: {info.label}", mode="critical")
        return lines
    except Exception as exc:  # the boundary: never a raw traceback for the accountant
        log = write_log(exc, name, book)
        lines = [f"Internal error in '{info.label}' ({type(exc).__name__}).",
                 f"Details are in {log}", "Please send that file to whoever supports ims-xl."]
        app.alert(_fit(lines), title=f"{TITLE}: {info.label}", mode="critical")
        return lines
    app.alert(_fit(lines), title=f"{TITLE}: {info.label}", mode="info")
    return lines


def _fit(lines: list[str]) -> str:
    text = "\n".join(lines)
    return text if len(text) <= ALERT_MAX else text[:ALERT_MAX - 1] + "\u2026"


def write_log(exc: BaseException, action: str, book: Any) -> Path:
    """Write the traceback of an unexpected error to a log file in the temp folder."""
    try:
        book_name = book.name
    except Exception:  # noqa: BLE001 - the log must be written whatever broke
        book_name = "?"
    log = Path(tempfile.gettempdir()) / f"ims-xl-error-{datetime.now():%Y%m%d-%H%M%S-%f}.log"
    log.write_text(
        f"ims-xl {__version__}, xlwings {xw.__version__}, Python {platform.python_version()}, "
        f"{platform.platform()}\naction: {action}\nworkbook: {book_name}\n\n"
        + "".join(traceback.format_exception(exc)), encoding="utf-8")
    return log

# ---------------------------------------------------------------- actions

def _import_json(s: Session) -> list[str]:
    path = _ask_open_file(s.app, "Choose the IMS JSON downloaded from the GST portal", JSON_FILES)
    if not path:
        return ["Nothing imported: no file was chosen."]
    check_json_size(path)  # as the command line: too large to review in memory is said, not crashed on
    download = load_download(path)
    into = s.read(required=False)
    out, _ = actions.import_download(download, into, file_time=file_saved_at(path))
    s.write(out.book, full=True, source="re-import" if into is not None else None)
    return out.messages


def _carry_forward(s: Session) -> list[str]:
    from ..files.xlsx import read_review  # noqa: PLC0415 - only this button reads another workbook
    path = _ask_open_file(s.app, "Choose last month's review workbook", REVIEW_FILES)
    if not path:
        return ["Nothing carried: no workbook was chosen."]
    previous = read_review(path)
    out = _core("carry_forward")(s.read(), previous)
    s.write(out.book, log_rows=out.log_rows)  # the actions the carry set, logged as the CLI logs them
    return out.messages


def _validate(s: Session) -> list[str]:
    out = actions.validate(s.read())
    s.write(out.book, out.marks, recolour=True)
    return out.messages


def _refresh_summary(s: Session) -> list[str]:
    out = actions.refresh_summary(s.read())
    s.write(out.book)
    return out.messages


def _export(s: Session) -> list[str]:
    book = s.read()
    parts, out = actions.export(book)
    folder = Path(s.book.fullname).parent
    stem = Path(s.book.name).stem
    path = _ask_save_file(s.app, "Save the upload JSON for the GST portal",
                          str(folder / f"{stem}_upload.json"))
    if not path:
        return ["Export cancelled: no file was written."]
    # actions typed by hand reach the Log at export too, as on the command line (README); the
    # workbook first, as there: a write that fails then leaves no upload whose actions it lacks
    s.write(out.book, out.marks, recolour=True)
    paths = write_parts(parts, Path(path))
    # the Log of this export is in the open workbook only, until Excel saves it
    return out.messages + [f"Wrote {p}" for p in paths] + [
        f"Save {s.book.name} now (Ctrl+S): its Log records what this upload sends, and is kept only once saved"]


def _import_errors(s: Session) -> list[str]:
    path = _ask_open_file(s.app, "Choose the error file downloaded from the GST portal", JSON_FILES)
    if not path:
        return ["Nothing imported: no file was chosen."]
    check_json_size(path)
    errors = load_portal_errors(path)
    out = actions.import_portal_errors(s.read(), errors)
    s.write(out.book, source="portal error")
    return out.messages


def _reconcile(s: Session) -> list[str]:
    fn = _core("reconcile")
    book = s.read()
    has_books = any(any(v not in (None, "") for v in r) for r in book.books[1:])
    use_sheet = False
    if has_books:
        answer = s.app.alert(f"Reconcile with the purchase register on the '{BOOKS_SHEET}' sheet?\n\n"
                             "Yes: use the Books sheet.\nNo: choose a register file instead.",
                             title=f"{TITLE}: {s.info.label}", buttons="yes_no_cancel")
        if answer == "cancel":
            return ["Reconcile cancelled."]
        use_sheet = answer == "yes"
    if use_sheet:  # (no matches table: the button writes none)
        out = fn(book, None, "Books sheet", matches=False)
    else:
        path = _ask_open_file(s.app, "Choose your purchase register", REGISTER_FILES)
        if not path:
            return ["Reconcile cancelled: no register was chosen."]
        unread: dict = {}
        files = [actions.RegisterFile(g, Path(path).name, sh or None, opt, str(Path(path).resolve()),
                                      unread.get(sh, {}))
                 for g, sh, opt in read_register_file(path, None, unread)]
        out = fn(book, files, matches=False)
    s.write(out.book, out.marks)
    return out.messages


def _apply_suggestions(s: Session) -> list[str]:
    fn = _core("apply_suggestions")
    book = s.read()
    refs = s.selected_refs(book)
    if refs is not None:
        # Excel's selection of rows in a filtered view spans the rows the filter hides between
        # them; telling them apart needs Excel's visible-cells call, which is not the same on
        # Windows and macOS: the count says what will change, and the question says so
        answer = s.app.alert(f"Apply the suggested actions to the {len(refs):,} selected row(s) only?\n\n"
                             "Yes: the selected rows (rows a filter hides between them are counted "
                             "and changed too: select those rows again without the filter if you "
                             "mean only the visible ones).\nNo: every row still at No Action.",
                             title=f"{TITLE}: {s.info.label}", buttons="yes_no_cancel")
        if answer == "cancel":
            return ["Nothing applied."]
        if answer == "no":
            refs = None
    out = fn(book, refs=refs)
    # the Ageing sheet is rebuilt (a Pending set is an open item): written whether or not
    # it changed, so the calls are the same whatever was applied
    s.write(out.book, out.marks, source="suggestion applied", entries=True, always=(AGEING_SHEET,))
    return out.messages


def _gstr2b(s: Session) -> list[str]:
    from ..files.read import read_gstr2b  # noqa: PLC0415 - only this button reads a GSTR-2B
    path = _ask_open_file(s.app, "Choose the GSTR-2B downloaded from the GST portal (JSON or Excel)",
                          GSTR2B_FILES)
    if not path:
        return ["Nothing checked: no file was chosen."]
    statement = read_gstr2b(path)
    out = _core("gstr2b")(s.read(), statement)
    s.write(out.book)
    return out.messages


def _letters(s: Session) -> list[str]:
    from ..files.letters import write_letters  # noqa: PLC0415 - only this button writes letters
    folder = _beside(s, "letters")
    book = s.read()
    found, out = _core("letters")(book)
    # with none left to write, the earlier run's letters for this return still go
    paths = write_letters(found, folder, of_return=actions.letters_return(book)) if found or folder.is_dir() else []
    s.write(out.book, log_rows=out.log_rows)
    return out.messages + ([f"Wrote {len(paths):,} file(s) in {folder}"] if paths else [])


def _beside(s: Session, what: str) -> Path:
    """The folder ``<workbook name> <what>`` beside the workbook. A workbook never saved has
    no folder (its ``fullname`` is its name alone): the files would land in the Python
    process's working folder, where the accountant would not find them."""
    full = Path(s.book.fullname)
    if not full.is_absolute():
        raise InputError(f"{s.book.name} has not been saved yet: save it (File > Save As), then press "
                         f"the button again; the {what} are written in a folder beside it")
    return full.parent / f"{Path(s.book.name).stem} {what}"


def _core(name: str) -> Callable[..., actions.Outcome]:
    fn = getattr(actions, name, None)
    if fn is None:
        raise InputError(f"this version of ims-xl cannot {name.replace('_', ' ')} yet; "
                         "update ims-xl (run the installer again)")
    return fn


#: Registry name -> handler; a test checks it covers every registry action.
HANDLERS: dict[str, Callable[[Session], list[str]]] = {
    "import_json": _import_json,
    "validate": _validate,
    "carry_forward": _carry_forward,
    "refresh_summary": _refresh_summary,
    "reconcile": _reconcile,
    "apply_suggestions": _apply_suggestions,
    "gstr2b": _gstr2b,
    "letters": _letters,
    "export": _export,
    "import_errors": _import_errors,
}
