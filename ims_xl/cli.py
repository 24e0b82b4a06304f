"""The command line: ``ims-xl <command>``. A thin shell over ``actions`` and the xlsx shell.

Exit codes: 0 done; 1 validation errors (nothing uploaded or written where it matters);
2 the input cannot be used (one line says which file, sheet, row, field and what to do);
3 internal error (a log file is written and named).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import traceback
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from . import __version__, actions
from .bulk import fewer_collections
from .cli_parser import build_parser
from .errors import ImsXlError, InputError, ValidationFailed
from .files.atomic import WRITTEN, make_folder, refuse_if_open, write_csv, write_parts, write_rows_csv
from .files.safety import check_json_size, check_output_path, file_saved_at, hold_workbooks
from .files.xlsx import check_review_target, read_other_sheets, read_review, write_review
from .formats.ims_json import load_download, load_portal_errors
from .model import Settings, Severity
from .review.checks import findings_table
from .review.sheets import NOT_REWRITTEN, stack_sheets

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


def _say(*lines: str) -> None:
    for line in lines:
        print(line)


#: The workbooks the running command holds locked, for the Ctrl-C message.
_CHANGING: list[Path] = []


@contextmanager
def _changing(*workbooks: str | Path):
    """Hold each workbook for the whole read -> change -> write of a command (README: never
    two writers on one workbook). Targets that cannot be written, or are open in Excel or
    LibreOffice, are refused here, before any work."""
    paths = [Path(w) for w in workbooks]
    for p in paths:
        check_review_target(p)
        refuse_if_open(p)
    with hold_workbooks(*paths):
        _CHANGING.extend(paths)
        yield


def _save(before, out, target, source: str | None = None, marks=None) -> list[str]:
    """Log the changes of action (audit trail), then write the workbook."""
    book, problems = actions.with_log(before, out.book, source, extra=out.log_rows)
    write_review(book, target, marks)
    return problems + (before.notices if before is not None else [])


def _load(path: str):
    check_json_size(path)
    return load_download(path)


def cmd_import(a: argparse.Namespace) -> int:
    download = _load(a.json)
    if bool(a.out) == bool(a.into):
        raise InputError("give either --out NEW.xlsx (a new review workbook) or --into REVIEW.xlsx (re-import)")
    target = a.into or a.out
    with _changing(target):
        if a.out and Path(a.out).exists() and not a.force:
            raise InputError(f"{a.out} already exists: use --into {a.out} to re-import keeping your work, "
                             "or --force to replace it")
        into = read_review(a.into, work_only=True) if a.into else None  # the download brings the copies
        carry = read_review(a.carry_from) if getattr(a, "carry_from", None) else None
        out, _ = actions.import_download(download, into, a.rtin or "", a.period or "", a.force, file_saved_at(a.json),
                                         carry_from=carry, carry_name=Path(a.carry_from or "").name)
        problems = _save(into, out, target, "re-import" if into is not None else None)
    _say(*out.messages, *problems, f"Wrote {target}")
    return EXIT_OK


def cmd_validate(a: argparse.Namespace) -> int:
    if a.dry_run:
        out = actions.validate(read_review(a.workbook, lean=True, out_of_step_ok=True), Settings())  # as export checks it
    else:
        with _changing(a.workbook):
            out = actions.validate(book := read_review(a.workbook, out_of_step_ok=True), Settings())
            held = any(f.code == "row-out-of-step" for f in out.findings)  # written back, the sort would stick
            out = actions.replace(out, messages=out.messages + ([NOT_REWRITTEN] if held else _save(book, out, a.workbook, None, out.marks)))
    if a.json:
        print(json.dumps([{"code": f.code, "severity": f.severity.value, "sheet": f.sheet, "row": f.row,
                           "field": f.field, "message": f.message, "value": f.value}
                          for f in out.findings], ensure_ascii=False, indent=1))
    else:
        table = findings_table(out.findings)
        if table:
            print(table)
        _say(*out.messages)
    return EXIT_FINDINGS if any(f.severity is Severity.ERROR for f in out.findings) else EXIT_OK


def cmd_export(a: argparse.Namespace) -> int:
    check_output_path(a.out)
    with _changing(a.workbook):
        read = read_review(a.workbook, lean=True)  # Books and reports are read only to write back
        book = actions.replace(read, meta={**read.meta, "rtin": a.rtin.upper()}) if a.rtin else read
        try:
            parts, out = actions.export(book, Settings())
        except ValidationFailed as exc:  # an unknown action word among them (V1): exit 1
            errors = [f for f in actions.validate(book).findings if f.severity is Severity.ERROR]
            print(findings_table(errors[:50]))
            print(f"ims-xl: {Path(a.workbook).name}: {exc}", file=sys.stderr)
            return EXIT_FINDINGS
        # actions typed by hand reach the Log at export too (README, audit trail): the workbook
        # is written back as validated (the --rtin override is not stored), then the upload
        logged, problems = actions.with_log(read, actions.replace(out.book, meta=read.meta), None)
        msgs = [*out.messages, *problems, *(read.notices if logged.log != read.log else [])]
        if logged.log != read.log:  # the workbook is written whole: its other sheets too
            books, reports, extra = read_other_sheets(a.workbook)
            logged = actions.replace(logged, books=books, reports=reports, lean=False,  # + columns moved off
                                     extra_sheets=stack_sheets(extra, logged.extra_sheets))  # the sections
            write_review(logged, a.workbook, out.marks)
            msgs.append(f"Log sheet: {actions.log_added(read.log, logged.log)}; wrote {a.workbook}")
        paths = write_parts(parts, Path(a.out))
    _say(*msgs, *(f"Wrote {p}" for p in paths))
    return EXIT_OK


def cmd_import_errors(a: argparse.Namespace) -> int:
    check_json_size(a.errors)
    errors = load_portal_errors(a.errors)
    with _changing(a.workbook):
        book = read_review(a.workbook)
        out = actions.import_portal_errors(book, errors)
        problems = _save(book, out, a.workbook, "portal error")
    _say(*out.messages, *problems, f"Wrote {a.workbook}")
    return EXIT_OK


def cmd_summary(a: argparse.Namespace) -> int:
    with _changing(a.workbook):
        book = read_review(a.workbook)
        _say(*_save(book, actions.refresh_summary(book), a.workbook))
    from .review.book import summary_tables
    from .money import format_inr
    t = summary_tables(book)["itc"]
    for r in t.itertuples(index=False):
        print(f"{r.action:<30} ITC {format_inr(int(r.total)):>20}")
    return EXIT_OK


def cmd_sample(a: argparse.Namespace) -> int:
    from .samples.download import generate_download, write_download
    out = make_folder(Path(a.out_dir))
    data = generate_download(records=a.records, seed=a.seed)
    p = out / "ims_download.json"
    write_download(p, data)
    _say(f"Wrote {p} ({a.records:,} records, seed {a.seed})")
    from .samples.gstr2b import gstr2b_from_download
    write_download(out / "gstr2b.json", gstr2b_from_download(data, a.seed))
    _say(f"Wrote {out / 'gstr2b.json'} (the GSTR-2B the portal would generate from it)")
    try:
        from .samples.register import generate_register, write_ground_truth_csv, write_register_csv
    except ImportError:
        return EXIT_OK
    grid, truth = generate_register(data, a.seed)
    write_register_csv(out / "purchase_register.csv", grid)
    write_ground_truth_csv(out / "ground_truth.csv", truth)
    _say(f"Wrote {out / 'purchase_register.csv'} and {out / 'ground_truth.csv'}")
    return EXIT_OK


def _match_settings(a: argparse.Namespace):
    from .reconcile.matcher import MatchSettings
    return MatchSettings.from_options(getattr(a, "amount_tolerance", None), getattr(a, "date_window", None))


def _registers(a: argparse.Namespace) -> list[actions.RegisterFile] | None:
    """Every --books file read (a whole workbook's sheets unless --sheet names one)."""
    if not a.books:
        return None
    from .files.read import read_register_file
    out = []
    for path in a.books:
        unread: dict = {}
        for grid, sheet, optional in read_register_file(path, getattr(a, "sheet", None), unread):
            out.append(actions.RegisterFile(grid, Path(path).name, sheet or None, optional,
                                            str(Path(path).resolve()), unread.get(sheet, {})))
    return out


def cmd_reconcile(a: argparse.Namespace) -> int:
    target = a.out or a.workbook
    if a.matches:
        check_output_path(a.matches)
    with _changing(target):
        book = read_review(a.workbook)
        out = actions.reconcile(book, _registers(a), settings=_match_settings(a), matches=bool(a.matches),
                                mapping=a.map, voucher_kinds=a.voucher_kind, replace_books=a.replace_books)
        if a.matches:
            write_csv(out.table, Path(a.matches))
        problems = _save(book, out, target)
    _say(*out.messages, *problems, f"Wrote {target}" + (f" and {a.matches}" if a.matches else ""))
    return EXIT_OK


def cmd_apply_suggestions(a: argparse.Namespace) -> int:
    with _changing(a.workbook):
        book = read_review(a.workbook)
        out = actions.apply_suggestions(book, None, set(a.status) if a.status else None)
        problems = _save(book, out, a.workbook, "suggestion applied")
    _say(*out.messages, *problems, f"Wrote {a.workbook}")
    return EXIT_OK


def cmd_run(a: argparse.Namespace) -> int:
    """The main job: import, reconcile (with --books), validate, export into one folder.

    A ``review.xlsx`` already in the folder holds the accountant's work: the download is
    re-imported into it, keeping every action, remark and ITC answer (README: never lose
    typed work); a file of that name that is not a review workbook is never overwritten.
    """
    out_dir = Path(a.out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: is a file, not a folder; choose another --out-dir")
    download = _load(a.json)
    registers = _registers(a)  # read before writing anything: a bad register stops here
    settings = _match_settings(a)
    make_folder(out_dir)
    review = out_dir / "review.xlsx"
    with _changing(review):
        held = [download, None]  # handed over, not kept here: run_month frees both once imported
        del download
        if review.exists():
            try:
                held[1] = read_review(review, work_only=True)  # the download brings the copies
            except ImsXlError as exc:
                raise InputError(f"{review} already exists and is not a review workbook this job can update "
                                 f"({exc}); it is left as it is: choose another --out-dir, or move that file "
                                 "away") from None
        parts, out = actions.run_month(held.pop(0), held.pop(0), registers, rtin=a.rtin or "",
                                       period=a.period or "", force=a.force, file_time=file_saved_at(a.json),
                                       match_settings=settings, apply=a.apply_suggestions, mapping=a.map,
                                       voucher_kinds=a.voucher_kind, replace_books=a.replace_books)
        del registers  # held by the book where still needed; the rest freed before the write
        write_review(out.book, review, out.marks)  # first: a review that cannot be written leaves
        written = [review]                          # last month's matches.csv and upload beside it
        if out.table is not None:
            write_csv(out.table, out_dir / "matches.csv")
            written.append(out_dir / "matches.csv")
        if parts is not None:
            written += write_parts(parts, out_dir / "upload.json")
    _say(*out.messages, *(f"Wrote {p}" for p in written))
    return EXIT_OK if parts is not None else EXIT_FINDINGS


def cmd_carry_forward(a: argparse.Namespace) -> int:
    previous = read_review(a.carry_from)
    with _changing(a.workbook):
        book = read_review(a.workbook)
        out = actions.carry_forward(book, previous, a.force, Path(a.carry_from).name)
        problems = _save(book, out, a.workbook)
    _say(*out.messages, *problems, f"Wrote {a.workbook}")
    return EXIT_OK


def cmd_letters(a: argparse.Namespace) -> int:
    from .files.letters import read_contacts, write_letters
    contacts = read_contacts(a.suppliers) if a.suppliers else None
    out_dir = Path(a.out_dir)
    with _changing(a.workbook):
        book = read_review(a.workbook)
        found, out = actions.letters(book, contacts)
        paths = write_letters(found, make_folder(out_dir), a.sender or "", actions.letters_return(book)) \
            if found or out_dir.is_dir() else []  # none left to write: the earlier run's letters still go
        problems = _save(book, out, a.workbook)
    _say(*out.messages, *problems, f"Wrote {len(paths):,} file(s) in {out_dir}" if paths else "",
         f"Wrote {a.workbook} (the Log lists each letter)")
    return EXIT_OK


def cmd_batch(a: argparse.Namespace) -> int:
    from .batch import cmd_batch as batch  # every client through this same command line
    return batch(a)


def cmd_gstr2b(a: argparse.Namespace) -> int:
    from .files.read import read_gstr2b
    from .review.month_end import table4_csv_rows
    statement = read_gstr2b(a.gstr2b)
    target = a.out or a.workbook
    if a.table:
        check_output_path(a.table)
    with _changing(target):
        book = read_review(a.workbook)
        out = actions.gstr2b(book, statement, _match_settings(a))
        if a.table:
            write_rows_csv(table4_csv_rows(out.table), Path(a.table))
        problems = _save(book, out, target)
    _say(*out.messages, *problems, f"Wrote {target}" + (f" and {a.table}" if a.table else ""))
    return EXIT_OK


def cmd_check_upload(a: argparse.Namespace) -> int:
    """Prove each uploaded record equals its downloaded record but for the review fields."""
    from .formats.schema import check_upload_files
    from .review.checks import CODES  # the blocked-flag rules are named as validate names them
    problems, n = check_upload_files(a.upload, _load(a.against), {c: t for c, (_, t) in CODES.items()})
    for m in problems:
        print(m)
    print(f"{len(problems):,} problem(s) in {n:,} uploaded record(s)" if problems else
          f"All {n:,} uploaded record(s) match the download except their action, remarks and ITC reduction")
    return EXIT_FINDINGS if problems else EXIT_OK


def cmd_doctor(a: argparse.Namespace) -> int:
    try:
        from .excel.doctor import doctor_checks
    except ImportError:
        print("doctor checks are not available in this build")
        return EXIT_INTERNAL
    bad = 0
    for name, ok, msg in doctor_checks():
        print(f"[{'ok' if ok else 'FAIL'}] {name}: {msg}")
        bad += not ok
    return EXIT_FINDINGS if bad else EXIT_OK


#: Sub-command -> what runs it (the arguments are in ``cli_parser``).
COMMANDS = {
    "import": cmd_import, "validate": cmd_validate, "export": cmd_export, "import-errors": cmd_import_errors,
    "summary": cmd_summary, "sample": cmd_sample, "reconcile": cmd_reconcile,
    "apply-suggestions": cmd_apply_suggestions, "run": cmd_run, "check-upload": cmd_check_upload,
    "doctor": cmd_doctor, "gstr2b": cmd_gstr2b, "carry-forward": cmd_carry_forward,
    "letters": cmd_letters, "batch": cmd_batch,
}


def _log_internal(exc: BaseException) -> Path:
    log = Path(tempfile.gettempdir()) / f"ims-xl-error-{datetime.now():%Y%m%d-%H%M%S}.log"
    log.write_text(f"ims-xl {__version__}\n{' '.join(sys.argv)}\n\n" + "".join(
        traceback.format_exception(exc)), encoding="utf-8")
    return log


def _written_note() -> str:
    """What this command wrote before it stopped, if anything (appended to its last line)."""
    if not WRITTEN:
        return ""
    return f" (already written: {', '.join(dict.fromkeys(str(p) for p in WRITTEN))})"


def _interrupted() -> str:
    """The Ctrl-C line: the files written before the interruption, and the workbook(s) the
    command was changing that were not changed (their replace is the last step and never
    happened), never "no file was changed" when one was."""
    done = list(dict.fromkeys(str(p) for p in WRITTEN))
    said = [f"written before the interruption: {', '.join(done)}"] if done else []
    said += [f"{p} was not changed" for p in dict.fromkeys(str(p) for p in _CHANGING) if p not in done]
    return "; ".join(said) if said else "no file was changed"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``ims-xl`` console script."""
    parser = build_parser()
    a = parser.parse_args(argv)
    WRITTEN.clear()
    _CHANGING.clear()
    try:
        with fewer_collections():
            return COMMANDS[a.command](a)
    except ImsXlError as exc:
        print(f"ims-xl: error: {exc}{_written_note()}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print(f"ims-xl: interrupted; {_interrupted()}", file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:
        # the reader of our output went away (`ims-xl ... | head`): every command prints
        # its report after its files are written, so there is nothing left to do or say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # the boundary: never a raw traceback for the accountant
        log = _log_internal(exc)
        print(f"ims-xl: internal error ({type(exc).__name__}); details in {log}; please send that file",
              file=sys.stderr)
        if os.environ.get("IMS_XL_DEBUG"):
            raise
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
