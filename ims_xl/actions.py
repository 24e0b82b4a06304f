"""The actions behind every button and command, on review books (no file I/O here).

Each action takes a :class:`ReviewBook` (and its inputs already parsed) and returns a new
book plus what to tell the user. The CLI (``cli.py``) and the xlwings shell (``xl.py``) read
and write the files or the open workbook, and call these same functions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from decimal import Decimal

import pandas as pd

from .checks import annotate, run_checks
from .errors import InputError, ValidationFailed
from .ims_json import ImsDownload
from .model import Finding, Settings, Severity
from .review import MergeReport, ReviewBook, apply_portal_errors, merge_download, new_book
from .upload import build_upload


@dataclass(frozen=True)
class Outcome:
    """What an action produced: the new book, the cells to colour, and messages."""

    book: ReviewBook
    marks: dict[tuple[int, str], str] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: a table the action produced for the user (reconcile: the matches.csv rows)
    table: pd.DataFrame | None = None


def import_download(download: ImsDownload, into: ReviewBook | None = None,
                    rtin: str = "", period: str = "", force: bool = False,
                    file_time: str = "") -> tuple[Outcome, MergeReport | None]:
    """Import a download: a new book, or a re-import into ``into`` keeping the accountant's work.

    ``file_time`` is when the download file was last saved (ISO text), to warn about a
    download older than the one imported before; ``force`` re-imports a download of another
    GSTIN into ``into`` (refused otherwise).
    """
    msgs = list(download.warnings)
    if into is None:
        book = new_book(download, rtin, period)
        if file_time:
            book = replace(book, meta={**book.meta, "download_file_time": file_time})
        n = len(book.rows)
        msgs.insert(0, f"Imported {n:,} records from {download.source}")
        report = None
    else:
        book, report = merge_download(into, download, force, file_time)
        if rtin or period:
            meta = dict(book.meta)
            meta.update({k: v for k, v in (("rtin", rtin.upper()), ("period", period)) if v})
            book = replace(book, meta=meta)
        msgs.insert(0, (f"Re-imported {download.source}: {report.added:,} new, {report.updated:,} changed, "
                        f"{report.unchanged:,} unchanged, {report.removed:,} no longer in the download; "
                        f"your entries kept on {report.kept_work:,} records"))
        if report.older:
            msgs.append(f"Warning: this looks like an older download: {report.older}; "
                        "check that you imported the latest file")
        for title, items in (("Back in the download: your entries restored from 'Removed records'",
                              report.restored),
                             ("Changed by the supplier after your review (marked in 'Re-import note')",
                              report.changed_after_review),
                             ("Portal status changed since the last download", report.status_changed),
                             ("Gone from the download; your entries kept on the 'Removed records' sheet",
                              report.removed_with_work)):
            if items:
                msgs.append(f"{title}: {len(items):,}: " + ", ".join(items[:10]) + (" ..." if len(items) > 10 else ""))
    if not book.meta.get("rtin"):
        msgs.append("The download does not carry your GSTIN: type it on the Summary sheet (cell B3) "
                    "or pass --rtin, before exporting")
    return Outcome(book=book, messages=msgs), report


def validate(book: ReviewBook, settings: Settings = Settings()) -> Outcome:
    """Run every check, write the findings into the rows, and return the cells to colour."""
    findings = run_checks(book, settings)
    annotated, marks = annotate(book, findings)
    e = sum(f.severity is Severity.ERROR for f in findings)
    w = len(findings) - e
    msg = (f"{e:,} error(s), {w:,} warning(s)" if findings else "No problems found") + \
        f" in {len(book.rows):,} records"
    return Outcome(book=annotated, marks=marks, messages=[msg], findings=findings)


def export(book: ReviewBook, settings: Settings = Settings()) -> tuple[list[bytes], Outcome]:
    """Validate, then build the upload file(s).

    Validation runs the upload contract on every record to be sent (``checks.
    check_upload_contract``), so a book without validation errors always gives an upload
    the contract accepts; the schema gate below is a second look that should never refuse.

    Raises:
        ValidationFailed: validation found errors (an unknown action word among them, V1);
            nothing is to be written.
    """
    out = validate(book, settings)
    errors = [f for f in out.findings if f.severity is Severity.ERROR]
    if errors:
        f = errors[0]
        where = f"sheet '{f.sheet}', row {f.row}, column '{f.field}'" if f.row is not None else f"'{f.field}'"
        raise ValidationFailed(f"{len(errors):,} validation error(s), the first at {where}: {f.message}; "
                               "fix them first (run validate to see them all in the workbook); nothing was written")
    parts = build_upload(book, settings)
    from .schema import validate_upload  # the upload's JSON Schema (IMS_FORMAT §2), last gate
    for k, part in enumerate(parts, 1):
        problems = validate_upload(json.loads(part, parse_float=Decimal))
        if problems:
            raise ValidationFailed(f"upload part {k} fails the upload schema: {problems[0]}"
                                   f"{f' (and {len(problems) - 1} more)' if len(problems) > 1 else ''}; "
                                   "nothing was written; please report this")
    sent = sum(len(recs) for part in parts for recs in json.loads(part)["invdata"].values())
    out = replace(out, messages=out.messages + [f"{sent:,} changed record(s) to upload in {len(parts)} file(s)"])
    return parts, out


def import_portal_errors(book: ReviewBook, errors: pd.DataFrame) -> Outcome:
    """Show the portal's error messages beside their records."""
    new, unmatched = apply_portal_errors(book, errors)
    msgs = [f"{len(errors) - len(unmatched):,} portal error(s) placed on their records"]
    if len(unmatched):
        sample = ", ".join(f"{r.section} {r.doc_no} of {r.stin}" for r in unmatched.head(10).itertuples())
        msgs.append(f"{len(unmatched):,} error(s) match no record in this workbook: {sample}")
    return Outcome(book=new, messages=msgs)


def refresh_summary(book: ReviewBook) -> Outcome:
    """Nothing to compute here: the Summary is recomputed whenever a book is written."""
    return Outcome(book=book, messages=["Summary refreshed"])


def require_rtin(book: ReviewBook) -> None:
    """Refuse to go on without the recipient GSTIN."""
    if not book.rtin:
        raise InputError("the recipient GSTIN is missing: type it on the Summary sheet (B3) or pass --rtin")


def reconcile(book: ReviewBook, register_grid: list[list[object]] | None = None,
              source: str = "Books sheet", sheet: str | None = None,
              settings=None) -> Outcome:
    """Match every IMS record with the purchase register and explain each decision.

    ``register_grid`` is the register file's cells (CSV or a worksheet); ``None`` uses the
    workbook's ``Books`` sheet as the accountant pasted it. Returns the outcome (rows with
    status, books row, reasons, suggestion; the Books, Missing in IMS and Suppliers sheets)
    with the ``matches.csv`` frame as its ``table``.

    Raises:
        InputError: the register cannot be used (the message names row and column).
    """
    from .layout import BOOKS_SHEET, MISSING_SHEET, SUPPLIERS_SHEET
    from .matching import apply_result, ims_frame, missing_in_ims_grid, suppliers_grid
    from .reconcile import MatchSettings, matches_frame
    from .reconcile import reconcile as match
    from .register import RegisterError, read_register_grid
    settings = settings or MatchSettings()
    grid = register_grid if register_grid is not None else book.books
    if register_grid is None:
        sheet = sheet or BOOKS_SHEET
    if not grid or all(all(v in ("", None) for v in r) for r in grid[1:]):
        raise InputError(f"{source}: the purchase register is empty; paste it into the Books sheet "
                         "or give the file with --books")
    try:
        reg = read_register_grid(grid, source, sheet)
    except RegisterError as exc:
        raise InputError(str(exc)) from None
    ims = ims_frame(book.rows)
    result = match(ims, reg.books, settings)
    new = apply_result(book, result)
    new = replace(new, books=[list(r) for r in grid],
                  reports={MISSING_SHEET: missing_in_ims_grid(result, reg.books),
                           SUPPLIERS_SHEET: suppliers_grid(new.rows, result, reg.books)})
    counts = result.counts()
    msgs = [f"Reconciled {len(ims):,} IMS records with {len(reg.books):,} documents of {source} "
            f"(header on row {reg.header_row}; columns: " +
            ", ".join(f"{k}={v}" for k, v in reg.mapping.items()) + ")"]
    msgs += [f"  {k}: {v:,}" for k, v in counts.items()]
    msgs += reg.warnings[:20]
    return Outcome(book=new, messages=msgs, table=matches_frame(result, ims, reg.books))


def apply_suggestions(book: ReviewBook, refs: set[int] | None = None,
                      statuses: set[str] | None = None) -> Outcome:
    """Set the suggested action on rows still at No Action (see ``matching.apply_suggestions``)."""
    from .matching import apply_suggestions as apply
    if not (book.rows["suggested_action"].astype(str) != "").any():
        raise InputError("no suggestions in this workbook yet: run Reconcile with books first")
    new, c = apply(book, refs, statuses)
    msgs = [f"Applied {c['applied']:,} suggested action(s) to rows at No Action; "
            f"{c['kept']:,} row(s) not at No Action (your action or the portal's) are left as they are"]
    if c["needs_itc_answer"]:
        msgs.append(f"{c['needs_itc_answer']:,} amended record(s) suggested Accept were left at No Action: "
                    "answer 'Whether ITC to be reduced' first (an amendment may be downward)")
    if c["skipped"]:
        msgs.append(f"{c['skipped']:,} Pending suggestion(s) skipped: Pending is blocked on those records")
    return Outcome(book=new, messages=msgs)


def with_log(before: ReviewBook | None, after: ReviewBook, source: str | None = None,
             when: str | None = None) -> tuple[ReviewBook, list[str]]:
    """Append to the audit trail every change of action between two states of a workbook.

    Actions typed by hand since ims-xl last wrote the workbook are logged as ``typed``;
    changes the action made are logged with ``source`` (``re-import``, ``suggestion
    applied``, ``portal error``). The Log is only ever appended to; edits found in it are
    reported (returned as messages) and noted in one ``log check`` row.
    """
    from . import audit
    when = when or audit.now_text()
    base = before if before is not None else after
    log, seal = base.log, base.meta.get("log_seal", "")
    problems = audit.verify_log(log, seal)
    rows = audit.typed_changes(base.rows, log, when) if before is not None else []
    if before is not None and source == "portal error":
        rows += audit.portal_error_rows(before.rows, after.rows, when)
    elif before is not None and source:
        rows += audit.diff_actions(before.rows, after.rows, source, when)
    if not rows and not problems and not log:
        return after, []
    grid = audit.append_log(log, rows, seal=seal, when=when)
    book = replace(after, log=grid, meta={**after.meta, "log_seal": audit.log_seal(grid)})
    return book, [f"Log sheet: {p}" for p in problems]
