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
from .files import xlsx
from .errors import ImsXlError, InputError, ValidationFailed
from .formats.ims_json import load_download, load_portal_errors
from .files.safety import (check_json_size, check_output_path, file_saved_at, hold_workbooks, neutralise_frame,
                     write_error)
from .model import Settings, Severity
from .formats.register import FIELDS as FIELD_NAMES
from .registry import ACTION_BY_NAME
from .files.xlsx import atomic_write_many, check_review_target, read_review, refuse_if_open, write_parts, write_review

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


def _say(*lines: str) -> None:
    for line in lines:
        print(line)


def _help(name: str) -> str:
    return ACTION_BY_NAME[name].help


def _findings_table(findings) -> str:
    if not findings:
        return ""
    head = ("severity", "sheet", "row", "field", "code", "message")
    rows = [(f.severity.value, f.sheet, "" if f.row is None else str(f.row), f.field, f.code, f.message)
            for f in findings]
    widths = [min(max(len(r[i]) for r in rows + [head]), 40 if i < 5 else 200) for i in range(len(head))]
    fmt = lambda r: "  ".join(str(v)[:widths[i]].ljust(widths[i]) for i, v in enumerate(r)).rstrip()
    return "\n".join([fmt(head), fmt(tuple("-" * w for w in widths))] + [fmt(r) for r in rows])


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
    book, problems = actions.with_log(before, out.book, source)
    write_review(book, target, marks)
    return problems


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
        into = read_review(a.into) if a.into else None
        out, _ = actions.import_download(download, into, a.rtin or "", a.period or "", a.force, file_saved_at(a.json))
        problems = _save(into, out, target, "re-import" if into is not None else None)
    _say(*out.messages, *problems, f"Wrote {target}")
    return EXIT_OK


def cmd_validate(a: argparse.Namespace) -> int:
    if a.dry_run:
        out = actions.validate(read_review(a.workbook), Settings())
    else:
        with _changing(a.workbook):
            book = read_review(a.workbook)
            out = actions.validate(book, Settings())
            out = actions.replace(out, messages=out.messages + _save(book, out, a.workbook, None, out.marks))
    if a.json:
        print(json.dumps([{"code": f.code, "severity": f.severity.value, "sheet": f.sheet, "row": f.row,
                           "field": f.field, "message": f.message, "value": f.value}
                          for f in out.findings], ensure_ascii=False, indent=1))
    else:
        table = _findings_table(out.findings)
        if table:
            print(table)
        _say(*out.messages)
    return EXIT_FINDINGS if any(f.severity is Severity.ERROR for f in out.findings) else EXIT_OK


def cmd_export(a: argparse.Namespace) -> int:
    check_output_path(a.out)
    with _changing(a.workbook):
        read = read_review(a.workbook)
        book = actions.replace(read, meta={**read.meta, "rtin": a.rtin.upper()}) if a.rtin else read
        try:
            parts, out = actions.export(book, Settings())
        except ValidationFailed as exc:  # an unknown action word among them (V1): exit 1
            errors = [f for f in actions.validate(book).findings if f.severity is Severity.ERROR]
            print(_findings_table(errors[:50]))
            print(f"ims-xl: {Path(a.workbook).name}: {exc}", file=sys.stderr)
            return EXIT_FINDINGS
        # actions typed by hand reach the Log at export too (README, audit trail): the workbook
        # is written back as validated (the --rtin override is not stored), then the upload
        logged, problems = actions.with_log(read, actions.replace(out.book, meta=read.meta), None)
        msgs = [*out.messages, *problems]
        if logged.log != read.log:
            write_review(logged, a.workbook, out.marks)
            n = len(logged.log) - max(len(read.log), 1)
            msgs.append(f"Log sheet: {n:,} row(s) added for actions typed by hand; wrote {a.workbook}")
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
    out = _make_folder(Path(a.out_dir))
    data = generate_download(records=a.records, seed=a.seed)
    p = out / "ims_download.json"
    write_download(p, data)
    _say(f"Wrote {p} ({a.records:,} records, seed {a.seed})")
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
    kw = {}
    if getattr(a, "amount_tolerance", None) is not None:
        from decimal import Decimal
        p = int(Decimal(str(a.amount_tolerance)) * 100)
        kw = {f"tol_{h}": p for h in ("txval", "iamt", "camt", "samt", "cess", "val")}
    if getattr(a, "date_window", None) is not None:
        kw["date_window_days"] = a.date_window
    return MatchSettings(**kw)


def write_matches(frame, path: Path) -> None:
    """``matches.csv`` (README, "Reconciling": one row per record), written atomically, UTF-8."""
    # text starting with = + - @ is prefixed with ' so a spreadsheet never runs it as a formula
    safe = neutralise_frame(frame)
    atomic_write_many([(path, lambda tmp: safe.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n"))])


def _make_folder(folder: Path) -> Path:
    """Create an output folder (and its parents), or say in one line why it cannot be."""
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: is a file, not a folder; choose another --out-dir")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(folder, exc) from None
    return folder


def _registers(a: argparse.Namespace) -> list[actions.RegisterFile] | None:
    """Every --books file read (a whole workbook's sheets unless --sheet names one)."""
    if not a.books:
        return None
    from .files.xlsx import read_register_file
    out = []
    for path in a.books:
        for grid, sheet, optional in read_register_file(path, getattr(a, "sheet", None)):
            out.append(actions.RegisterFile(grid, Path(path).name, sheet or None, optional,
                                            str(Path(path).resolve())))
    return out


def _reconcile_options(a: argparse.Namespace) -> dict:
    return {"mapping": a.map, "voucher_kinds": a.voucher_kind, "replace_books": a.replace_books}


def cmd_reconcile(a: argparse.Namespace) -> int:
    target = a.out or a.workbook
    if a.matches:
        check_output_path(a.matches)
    with _changing(target):
        book = read_review(a.workbook)
        out = actions.reconcile(book, _registers(a), settings=_match_settings(a), **_reconcile_options(a))
        if a.matches:
            write_matches(out.table, Path(a.matches))
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
    _make_folder(out_dir)
    review = out_dir / "review.xlsx"
    with _changing(review):
        existing = None
        if review.exists():
            try:
                existing = read_review(review)
            except ImsXlError as exc:
                raise InputError(f"{review} already exists and is not a review workbook this job can update "
                                 f"({exc}); it is left as it is: choose another --out-dir, or move that file "
                                 "away") from None
        imp, report = actions.import_download(download, existing, a.rtin or "", a.period or "", a.force,
                                              file_saved_at(a.json))
        book = imp.book
        msgs = list(imp.messages)
        if existing is not None:
            book, problems = actions.with_log(existing, book, "re-import")
            msgs += problems + [f"{review} already existed: updated it with this download, keeping your entries "
                                f"on {report.kept_work:,} record(s)"]
        if registers is not None:
            rec = actions.reconcile(book, registers, settings=_match_settings(a), **_reconcile_options(a))
            book = rec.book
            msgs += rec.messages
            write_matches(rec.table, out_dir / "matches.csv")
            msgs.append(f"Wrote {out_dir / 'matches.csv'}")
            if a.apply_suggestions:
                app = actions.apply_suggestions(book)
                book, _ = actions.with_log(book, app.book, "suggestion applied")
                msgs += app.messages
        val = actions.validate(book, Settings())
        write_review(val.book, review, val.marks)
        msgs += val.messages + [f"Wrote {review}"]
        code = EXIT_OK
        if any(f.severity is Severity.ERROR for f in val.findings):
            msgs.append("Validation errors: no upload JSON written; fix them in review.xlsx, then run ims-xl export")
            code = EXIT_FINDINGS
        else:
            parts, ex = actions.export(book, Settings())
            paths = write_parts(parts, out_dir / "upload.json")
            msgs += ex.messages[1:] + [f"Wrote {p}" for p in paths]
    _say(*msgs)
    return code


def cmd_check_upload(a: argparse.Namespace) -> int:
    """Prove each uploaded record equals its downloaded record but for the review fields."""
    from .formats.ims_json import read_json_bytes
    from .formats.schema import check_upload, validate_upload
    download = _load(a.against)
    docs, problems = [], []
    for f in a.upload:
        p = Path(f)
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise InputError(f"{p}: cannot be read ({exc.strerror or exc})") from None
        doc = read_json_bytes(data, p.name, "an upload JSON")
        problems += [f"{p.name}: {m}" for m in validate_upload(doc)]
        docs.append(doc)
    problems += check_upload(docs if len(docs) > 1 else docs[0], download)
    for m in problems:
        print(m)
    n = sum(len(v) for d in docs if isinstance(d, dict) for v in (d.get("invdata") or {}).values()
            if isinstance(v, list))
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


def _register_options(s: argparse.ArgumentParser, default: str) -> None:
    """The options that say which registers to read and how (reconcile and run)."""
    s.add_argument("--books", action="append", metavar="REGISTER",
                   help="a purchase register: .csv, .xlsx, .xls, .xlsb or .ods, every sheet with a register "
                        "header unless --sheet names one; repeat for registers kept in several files "
                        "(reconciled together)" + default)
    s.add_argument("--sheet", help="read only this sheet of the register workbook")
    s.add_argument("--map", metavar="FIELD=HEADER,...",
                   help="columns the synonyms do not find, e.g. \"doc_no=Bill Ref,txval=Purchase 18%%+Purchase 5%%\" "
                        "(fields: " + ", ".join(FIELD_NAMES) + "); saved in the workbook for later runs; "
                        "--map \"\" clears it")
    s.add_argument("--voucher-kind", metavar="TYPE=KIND,...",
                   help="what a voucher type is on the supplier's side, e.g. \"Debit Note=debit_note\" "
                        "(default: a Debit Note voucher is the supplier's credit note, a Credit Note "
                        "voucher the supplier's debit note, as Tally and Busy book them); saved in the workbook")
    s.add_argument("--replace-books", action="store_true",
                   help="replace what the Books sheet holds instead of adding these registers to it")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used by the docs test)."""
    p = argparse.ArgumentParser(prog="ims-xl", description="Review GST IMS records in Excel: import the "
                                "portal's JSON, validate, export the upload JSON.")
    p.add_argument("--version", action="version", version=f"ims-xl {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("import", help=_help("import_json"), description=_help("import_json"))
    s.add_argument("json", help="the IMS JSON downloaded from the portal")
    s.add_argument("--out", help="a new review workbook to create")
    s.add_argument("--into", help="an existing review workbook to update (re-import)")
    s.add_argument("--rtin", help="your GSTIN, when the download does not carry it")
    s.add_argument("--period", help="the return period, MMYYYY")
    s.add_argument("--force", action="store_true", help="replace --out if it exists; with --into, re-import "
                   "even a download of another GSTIN")
    s.set_defaults(func=cmd_import)

    s = sub.add_parser("validate", help=_help("validate"), description=_help("validate"))
    s.add_argument("workbook")
    s.add_argument("--json", action="store_true", help="print findings as JSON")
    s.add_argument("--dry-run", action="store_true", help="do not write findings into the workbook")
    s.set_defaults(func=cmd_validate)

    s = sub.add_parser("export", help=_help("export"), description=_help("export"))
    s.add_argument("workbook")
    s.add_argument("--out", required=True, help="the upload JSON to write (numbered files if split)")
    s.add_argument("--rtin", help="your GSTIN, overriding the Summary sheet")
    s.set_defaults(func=cmd_export)

    s = sub.add_parser("import-errors", help=_help("import_errors"), description=_help("import_errors"))
    s.add_argument("errors", help="the portal's error JSON")
    s.add_argument("workbook")
    s.set_defaults(func=cmd_import_errors)

    s = sub.add_parser("summary", help=_help("refresh_summary"), description=_help("refresh_summary"))
    s.add_argument("workbook")
    s.set_defaults(func=cmd_summary)

    s = sub.add_parser("sample", help="write realistic example files (IMS download and register)")
    s.add_argument("--out-dir", required=True)
    s.add_argument("--records", type=int, default=200)
    s.add_argument("--seed", type=int, default=7)
    s.set_defaults(func=cmd_sample)

    s = sub.add_parser("reconcile", help=_help("reconcile"), description=_help("reconcile"))
    s.add_argument("workbook")
    _register_options(s, "; default: the Books sheet")
    s.add_argument("--out", help="write the reconciled workbook here (default: in place)")
    s.add_argument("--matches", help="also write one CSV row per IMS record and unpaired books row")
    s.add_argument("--amount-tolerance", type=str, help="rupees per tax head (default 1)")
    s.add_argument("--date-window", type=int, help="days a date may differ and still match (default 3)")
    s.set_defaults(func=cmd_reconcile)

    s = sub.add_parser("apply-suggestions", help=_help("apply_suggestions"),
                       description=_help("apply_suggestions"))
    s.add_argument("workbook")
    s.add_argument("--status", action="append", help="only rows with this match status (repeatable)")
    s.set_defaults(func=cmd_apply_suggestions)

    s = sub.add_parser("run", help="the main job: import, reconcile, validate and export into one folder")
    s.add_argument("json", help="the IMS JSON downloaded from the portal")
    _register_options(s, "")
    s.add_argument("--out-dir", required=True)
    s.add_argument("--rtin")
    s.add_argument("--period")
    s.add_argument("--force", action="store_true",
                   help="update an existing review.xlsx even with a download of another GSTIN")
    s.add_argument("--apply-suggestions", action="store_true",
                   help="set the suggested actions on rows still at No Action")
    s.add_argument("--amount-tolerance", type=str, help="rupees per tax head (default 1)")
    s.add_argument("--date-window", type=int, help="days (default 3)")
    s.set_defaults(func=cmd_run)

    s = sub.add_parser("check-upload", help="prove an upload JSON changes nothing but actions, remarks "
                       "and ITC reduction, against the download")
    s.add_argument("upload", nargs="+", help="the upload JSON file(s)")
    s.add_argument("--against", required=True, help="the IMS JSON it was made from")
    s.set_defaults(func=cmd_check_upload)

    s = sub.add_parser("doctor", help="check an installation and say how to fix what is wrong")
    s.set_defaults(func=cmd_doctor)
    return p


def _log_internal(exc: BaseException) -> Path:
    log = Path(tempfile.gettempdir()) / f"ims-xl-error-{datetime.now():%Y%m%d-%H%M%S}.log"
    log.write_text(f"ims-xl {__version__}\n{' '.join(sys.argv)}\n\n" + "".join(
        traceback.format_exception(exc)), encoding="utf-8")
    return log


def _written_note() -> str:
    """What this command wrote before it stopped, if anything (appended to its last line)."""
    if not xlsx.WRITTEN:
        return ""
    return f" (already written: {', '.join(dict.fromkeys(str(p) for p in xlsx.WRITTEN))})"


def _interrupted() -> str:
    """The Ctrl-C line: the files written before the interruption, and the workbook(s) the
    command was changing that were not changed (their replace is the last step and never
    happened), never "no file was changed" when one was."""
    done = list(dict.fromkeys(str(p) for p in xlsx.WRITTEN))
    said = [f"written before the interruption: {', '.join(done)}"] if done else []
    said += [f"{p} was not changed" for p in dict.fromkeys(str(p) for p in _CHANGING) if p not in done]
    return "; ".join(said) if said else "no file was changed"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``ims-xl`` console script."""
    parser = build_parser()
    a = parser.parse_args(argv)
    xlsx.WRITTEN.clear()
    _CHANGING.clear()
    try:
        return a.func(a)
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
