"""The actions behind every button and command, on review books (no file I/O here).

Each action takes a :class:`ReviewBook` (and its inputs already parsed) and returns a new
book plus what to tell the user. The CLI (``cli.py``) and the xlwings shell (``xl.py``) read
and write the files or the open workbook, and call these same functions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .review.checks import annotate, run_checks
from .errors import InputError, ValidationFailed
from .jsontext import brief
from .formats.ims_json import ImsDownload
from .model import Finding, Settings, Severity
from .review.book import MergeReport, ReviewBook, apply_portal_errors, merge_download, new_book
from .review.upload import build_invdata, split_upload, upload_plan, upload_records


@dataclass(frozen=True)
class Outcome:
    """What an action produced: the new book, the cells to colour, and messages."""

    book: ReviewBook
    marks: dict[tuple[int, str], str] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: a table the action produced for the user (reconcile: the matches.csv rows)
    table: pd.DataFrame | None = None
    #: Log rows of what the action did besides changing actions (letters written), appended
    #: by ``with_log`` after the changes of action
    log_rows: list = field(default_factory=list)
    #: validate: the upload's records it checked (``upload.upload_records``), which export sends
    upload: dict | None = None


def import_download(download: ImsDownload, into: ReviewBook | None = None,
                    rtin: str = "", period: str = "", force: bool = False,
                    file_time: str = "", carry_from: ReviewBook | None = None,
                    carry_name: str = "", reconciles: bool = False,
                    ageing: bool = True) -> tuple[Outcome, MergeReport | None]:
    """Import a download: a new book, or a re-import into ``into`` keeping the accountant's work.

    ``file_time`` is when the download file was last saved (ISO text), to warn about a
    download older than the one imported before; ``force`` re-imports a download of another
    GSTIN into ``into`` (refused otherwise). ``carry_from``: last month's workbook, whose open
    items (Pending records, books documents missing in IMS, items carried before) are brought
    forward (``review.carry``). Every import stamps each new record's first-seen period and
    rewrites the Ageing sheet, unless ``ageing`` is False: the caller changes actions right
    after and rebuilds it then (``run --apply-suggestions``). ``reconciles``: the caller
    reconciles right after (``run``), so a cleared match needs no word here.
    """
    given, own = rtin.strip().upper(), (download.rtin or "").strip().upper()
    if given and own and given != own:  # the upload carries the download's rtin (IMS_FORMAT §2.1)
        raise InputError(f"{download.source} is the download of {own}, not of {given} (the GSTIN given with "
                         "--rtin, or in a batch client's rtin.txt): an upload must be for the GSTIN it was "
                         f"downloaded for. Leave the GSTIN out, or use the download of {given}")
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
        if report.rematch and not reconciles:
            msgs.append(f"{report.rematch:,} record(s) the supplier changed lost their match with your books "
                        "and its suggested action (made with the earlier figures): reconcile again before "
                        "applying suggestions")
        from .review.layout import MISSING_SHEET, SUPPLIERS_SHEET
        stale = [n for n in (MISSING_SHEET, SUPPLIERS_SHEET) if len(into.reports.get(n) or []) > 1]
        if stale and not reconciles:
            msgs.append(f"The {' and '.join(stale)} sheet(s) are from the last reconcile, before this download: "
                        "reconcile again to bring them up to date")
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
    from .review.carry import stamp_first_seen
    if carry_from is not None:
        carried = carry_forward(book, carry_from, force, carry_name)
        book, msgs = carried.book, msgs + carried.messages
    elif ageing:
        book, more = _with_ageing(stamp_first_seen(book))
        msgs += more
    else:
        book = stamp_first_seen(book)
    return Outcome(book=book, messages=msgs), report


def carry_forward(book: ReviewBook, previous: ReviewBook, force: bool = False, name: str = "") -> Outcome:
    """Bring last month's open items into this workbook (``review.carry``) and rewrite Ageing.

    Refused (InputError) when the two workbooks cannot be told to be the same client's, and
    when ``previous`` is not an earlier month of it (:func:`_refuse_carry`). Every action the
    carry changes is logged with source ``carry-forward`` (README, "Reliability and safety":
    every change of action reaches the Log with its source): the rows are returned as
    ``log_rows``, which the command line's save appends after the actions typed by hand, and
    are already in the returned book's Log for an import that writes a new workbook (its save
    has no earlier state to log against).
    """
    from .review.carry import carry_forward as carry
    from .review.carry import stamp_first_seen
    _refuse_carry(book, previous, force, name)
    new, msgs = carry(book, previous)
    out, more = _with_ageing(stamp_first_seen(new))
    rows = _carry_log_rows(book, out, previous)
    logged, _ = with_log(book, out, None, extra=rows, checked=True)
    return Outcome(book=logged, messages=msgs + more, log_rows=rows)


#: The Log's source for actions set by carry-forward.
CARRY_SOURCE = "carry-forward"


def _carry_log_rows(before: ReviewBook, after: ReviewBook, previous: ReviewBook) -> list[list[object]]:
    """Log rows for the actions carry-forward set (last month's typed Pending): without them the
    next run would find those actions unlogged and log them as ``typed``, by hand."""
    from .review import audit
    from .review.carry import current_period
    note = f"kept Pending in {current_period(previous) or 'the previous workbook'}; carried forward"
    return audit.diff_actions(before.rows, after.rows, CARRY_SOURCE, audit.now_text(), note)


def _refuse_carry(book: ReviewBook, previous: ReviewBook, force: bool, name: str = "") -> None:
    """Refuse a carry that would bring in nonsense (one line, nothing written): another client's
    workbook, or one whose GSTIN is blank so that cannot be checked (``force`` overrides both);
    a later month's workbook, or this same workbook (carrying runs from last month forward).
    ``name``: last month's workbook's file name, for the message."""
    from .review.carry import current_period, same_workbook
    from .review.deadlines import parse_period
    given = f"last month's workbook {name}".rstrip() if name else \
        "last month's workbook (the one given with --from or --carry-from)"
    old_rtin = (previous.meta.get("rtin", "") or "").strip().upper()
    new_rtin = (book.meta.get("rtin", "") or "").strip().upper()
    if not force:
        if old_rtin and new_rtin and old_rtin != new_rtin:
            raise InputError(f"{given} is for GSTIN {old_rtin}, this one for {new_rtin}: give last month's "
                             "workbook of the same GSTIN (or --force to carry anyway)")
        # a blank Summary B3 hides whose workbook it is (B3 overrides the hidden GSTIN on reading):
        # carrying then could bring another client's items in unchecked
        for rtin, which, how in ((new_rtin, "this workbook", "type it in B3 (on import: pass --rtin)"),
                                 (old_rtin, given, "type it in B3 of that workbook")):
            if not rtin:
                raise InputError(f"{which} has no GSTIN (Summary sheet, cell B3, is blank), so it cannot be "
                                 f"checked that both workbooks are the same client's: {how} and carry forward "
                                 "again (or --force to carry anyway)")
    old_p, new_p = current_period(previous), current_period(book)
    a, b = parse_period(old_p), parse_period(new_p)
    if a and b and a > b:
        raise InputError(f"{given} is for period {old_p}, later than this workbook's {new_p}: carry forward "
                         "from the earlier month into the later one (ims-xl carry-forward LATER.xlsx "
                         "--from EARLIER.xlsx)")
    if same_workbook(book, previous):
        raise InputError(f"{given} is this same workbook (or an unchanged copy of it, period {new_p or '?'}): "
                         "give the previous month's review workbook")


def _with_ageing(book: ReviewBook) -> tuple[ReviewBook, list[str]]:
    """The book with its Ageing sheet rebuilt (a header alone while nothing is open: the
    workbook keeps the same sheets whatever the data, so the Excel shell's calls stay constant)."""
    from .review.carry import ageing_grid
    from .review.layout import AGEING_SHEET
    return _rebuilt(book, {AGEING_SHEET: ageing_grid(book)})


def _rebuilt(book: ReviewBook, grids: dict[str, list[list[object]]]) -> tuple[ReviewBook, list[str]]:
    """The book with these report sheets made afresh, keeping the columns the accountant
    added to them (``review.your_columns``: beside their rows, or on a sheet of their own);
    the messages saying where."""
    from .review.sheets import stack_sheets
    from .review.your_columns import SUFFIX, keep_your_columns
    reports, extra, msgs = dict(book.reports), {}, []
    for name, grid in grids.items():
        reports[name], rest, msg = keep_your_columns(name, book.reports.get(name), grid)
        if rest:
            extra[name + SUFFIX] = rest
        if msg:
            msgs.append(msg)
    return replace(book, reports=reports, extra_sheets=stack_sheets(book.extra_sheets, extra)), msgs


def validate(book: ReviewBook, settings: Settings = Settings()) -> Outcome:
    """Run every check, write the findings into the rows, and return the cells to colour."""
    plan, records = None, {}
    try:
        if len(book.rows):
            plan = upload_plan(book.rows)  # made once: the records below and the checks read it
            records = upload_records(book, plan)
    except Exception:  # noqa: BLE001 - the contract check reports what breaks the build, at its row
        records = None
    findings = run_checks(book, settings, records=records, plan=plan)
    annotated, marks = annotate(book, findings)
    e = sum(f.severity is Severity.ERROR for f in findings)
    w = len(findings) - e
    msg = (f"{e:,} error(s), {w:,} warning(s)" if findings else "No problems found") + \
        f" in {len(book.rows):,} records"
    return Outcome(book=annotated, marks=marks, messages=[msg], findings=findings, upload=records)


def export(book: ReviewBook, settings: Settings = Settings(),
           validated: Outcome | None = None) -> tuple[list[bytes], Outcome]:
    """Validate, then build the upload file(s). ``validated`` is :func:`validate`'s outcome
    for this same book and settings when the caller has just run it (checked once per command).

    Validation runs the upload contract on every record to be sent (``checks.
    check_upload_contract``), so a book without validation errors always gives an upload
    the contract accepts; the schema gate below is a second look that should never refuse.

    Raises:
        ValidationFailed: validation found errors (an unknown action word among them, V1);
            nothing is to be written.
    """
    out = validated if validated is not None else validate(book, settings)
    errors = [f for f in out.findings if f.severity is Severity.ERROR]
    if errors:
        f = errors[0]
        where = f"sheet '{f.sheet}', row {f.row}, column '{f.field}'" if f.row is not None else f"'{f.field}'"
        raise ValidationFailed(f"{len(errors):,} validation error(s), the first at {where}: {f.message}; "
                               "fix them first (run validate to see them all in the workbook); nothing was written")
    invdata = build_invdata(book, out.upload)
    parts = split_upload(book.rtin, invdata, settings.upload_max_bytes)
    from .formats.schema import validate_upload  # the upload's JSON Schema (IMS_FORMAT §2), last gate
    # each file read back once, one at a time: the numbers ims-xl writes are ints and floats
    # (their shortest round-tripping text), so floats read back exactly what the file holds,
    # and the schema gate checks multipleOf on that text (schema._multiple_of). When a file
    # carries, record for record, what validation checked one by one (schema.record_problems,
    # the same schema and rules), the gate looks again at its envelope and document rules
    # only; otherwise it checks every record of that file itself. Read by msgspec's decoder
    # (jsontext.brief: 0.14 -> 0.05 s for the 62,459 records of 100,000), whose floats are
    # the correctly rounded ones json.loads gives; any record read otherwise than it was
    # built is no longer "the same", and the gate checks that file whole
    flat = [r for recs in invdata.values() for r in recs]
    checked = out.upload is not None and len(flat) == len(out.upload)
    sent = 0
    for k, part in enumerate(parts, 1):
        doc = brief(part)
        recs = [r for rs in doc["invdata"].values() for r in rs]
        same = checked and recs == flat[sent:sent + len(recs)]
        sent += len(recs)
        problems = validate_upload(doc, records_checked=same)
        if problems:
            raise ValidationFailed(f"upload part {k} fails the upload schema: {problems[0]}"
                                   f"{f' (and {len(problems) - 1} more)' if len(problems) > 1 else ''}; "
                                   "nothing was written; please report this")
    out = replace(out, messages=out.messages + [f"{sent:,} changed record(s) to upload in {len(parts)} file(s)"])
    return parts, out


def import_portal_errors(book: ReviewBook, errors: pd.DataFrame) -> Outcome:
    """Show the portal's error messages beside their records."""
    new, unmatched = apply_portal_errors(book, errors)
    msgs = [f"{len(errors) - len(unmatched):,} portal error(s) placed on their records"]
    if len(unmatched):
        sample = ", ".join(f"{r.section} {r.doc_no} of {r.stin}" for r in unmatched.head(10).itertuples())
        msgs.append(f"{len(unmatched):,} error(s) match no record in this workbook: {sample}")
    if len(errors):
        # the upload's other records were saved: their prev_status in this workbook is stale,
        # and a record sent again with it is refused (IMS_FORMAT §2.2, IMSSAV0010)
        msgs.append("The other records of that upload were saved on the portal: before you export "
                    "again, download the IMS JSON again and re-import it (ims-xl import NEW.json --into "
                    "this workbook), so the next upload carries only what is still to send")
    return Outcome(book=new, messages=msgs)


def refresh_summary(book: ReviewBook) -> Outcome:
    """The Summary is recomputed whenever a book is written; the Ageing sheet is rebuilt here
    (owners, follow-up dates and actions typed since)."""
    book, more = _with_ageing(book)
    return Outcome(book=book, messages=["Summary and Ageing refreshed", *more])


def require_rtin(book: ReviewBook) -> None:
    """Refuse to go on without the recipient GSTIN."""
    if not book.rtin:
        raise InputError("the recipient GSTIN is missing: type it on the Summary sheet (B3) or pass --rtin")


@dataclass(frozen=True)
class RegisterFile:
    """One purchase register as a shell read it: the cells of a CSV or of one worksheet.

    ``optional`` marks a sheet the shell found by reading a whole workbook (not one the user
    named): a sheet without a register header is then skipped with a note, not refused.
    """

    grid: list[list[object]]
    source: str
    sheet: str | None = None
    optional: bool = False
    #: what tells two registers apart on the Books sheet (the shell gives the file's full
    #: path): the same register read again replaces its block, another one is added
    path: str = ""
    #: cells the shell found holding no value it could read (an Excel error, a formula never
    #: calculated): (row, column) from 0 -> what the cell holds instead
    without_value: dict[tuple[int, int], str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.source}, sheet '{self.sheet}'" if self.sheet else self.source

    @property
    def key(self) -> str:
        return f"{self.path or self.source}|{self.sheet or ''}"


#: The sheet that keeps a client's register settings: the column mapping and the voucher
#: kinds. ``reconcile --map`` / ``--voucher-kind`` write it; the accountant may type it too
#: (the Excel ribbon's Reconcile reads it). ``BOOKS_BLOCKS_KEY`` (hidden meta) records which
#: register each block of the Books sheet came from.
BOOKS_SETTINGS_SHEET = "Books settings"
BOOKS_BLOCKS_KEY = "books_blocks"
_VOUCHER_HEAD = "Voucher type"


def settings_grid(mapping: dict[str, list[str]], voucher_rows: list[tuple[str, str]]) -> list[list[object]]:
    """The Books settings sheet: one row per field (blank = found by its usual names), then
    the voucher types that mean something else than Tally's and Busy's defaults."""
    from .formats.register import FIELDS
    grid: list[list[object]] = [["Field", "Register column (several: A + B)", "What the column holds"]]
    grid += [[f, " + ".join(mapping.get(f, [])), FIELDS[f]] for f in FIELDS]
    grid += [[], [_VOUCHER_HEAD, "Supplier's document (invoice, credit_note or debit_note)",
                  "Default: a Debit Note voucher is the supplier's credit note, a Credit Note "
                  "voucher the supplier's debit note"]]
    grid += [[v, k, ""] for v, k in voucher_rows]
    return grid


def _settings_from_grid(grid: list[list[object]]) -> tuple[str, str]:
    """(``--map`` text, ``--voucher-kind`` text) typed on the Books settings sheet."""
    from .formats.register import FIELDS
    maps, kinds, in_vouchers = [], [], False
    for row in grid[1:]:
        a = str(row[0]).strip() if row and row[0] not in (None, "") else ""
        b = str(row[1]).strip() if len(row) > 1 and row[1] not in (None, "") else ""
        if a == _VOUCHER_HEAD:
            in_vouchers = True
        elif in_vouchers and a and b:
            kinds.append(f"{a}={b}")
        elif not in_vouchers and a in FIELDS and b:
            maps.append(f"{a}={b}")
    return ",".join(maps), ",".join(kinds)


def _saved_settings(book: ReviewBook, mapping: str | None, voucher_kinds: str | None
                    ) -> tuple[dict[str, list[str]], dict[str, str], dict[str, list[list[object]]], list[str]]:
    """The column mapping and voucher kinds to use (given now, else those on the Books
    settings sheet), the sheets to save, and what to tell the user."""
    from .formats.register import RegisterError, map_text, parse_map, parse_voucher_kinds
    saved_map, saved_kinds = _settings_from_grid(book.extra_sheets.get(BOOKS_SETTINGS_SHEET) or [[]])
    msgs: list[str] = []
    where = f"'{BOOKS_SETTINGS_SHEET}' sheet"
    kinds_text = voucher_kinds if voucher_kinds is not None else saved_kinds
    try:
        cols = parse_map(mapping) if mapping is not None else {}
    except RegisterError as exc:
        raise InputError(f"--map: {exc}") from None
    try:
        kinds = parse_voucher_kinds(voucher_kinds) if voucher_kinds is not None else {}
    except RegisterError as exc:
        raise InputError(f"--voucher-kind: {exc}") from None
    try:  # what is typed on the sheet is blamed on the sheet
        if mapping is None:
            cols = parse_map(saved_map)
        if voucher_kinds is None:
            kinds = parse_voucher_kinds(saved_kinds)
    except RegisterError as exc:
        raise InputError(f"{where}: {exc}") from None
    if mapping is None and cols:
        msgs.append(f"Using the column mapping on the {where}: {map_text(cols)} "
                    "(change it there or with --map; clear it with --map \"\")")
    if voucher_kinds is None and kinds:
        msgs.append(f"Using the voucher kinds on the {where}: {kinds_text}")
    sheets: dict[str, list[list[object]]] = {}
    if mapping is not None or voucher_kinds is not None:
        rows = [tuple(p.split("=", 1)) for p in kinds_text.split(",") if "=" in p]
        sheets[BOOKS_SETTINGS_SHEET] = settings_grid(cols, [(v.strip(), k.strip()) for v, k in rows])
        msgs.append(f"Saved the register settings on the {where} for later runs")
    return cols, kinds, sheets, msgs


def _stack(kept: list[tuple[str, list[list[object]], str]]) -> tuple[list[list[object]], list[list]]:
    """Registers one below the other (a blank row between), as the Books sheet holds them,
    with each one's [name, first row, last row, key] on that sheet."""
    grid: list[list[object]] = []
    spans: list[list] = []
    for name, g, key in kept:
        if grid:
            grid.append([])
        start = len(grid) + 1
        grid.extend(map(list, g))
        spans.append([name, start, len(grid), key])
    return grid, spans


def _saved_spans(book: ReviewBook) -> list[tuple[str, int, int, str]]:
    """The registers' places on the Books sheet as ims-xl last wrote it (:func:`_stack`)."""
    try:
        spans = json.loads(book.meta.get(BOOKS_BLOCKS_KEY, "") or "[]")
        return [(str(sp[0]), int(sp[1]), int(sp[2]), str(sp[3]) if len(sp) > 3 else str(sp[0])) for sp in spans]
    except (ValueError, TypeError, IndexError, RecursionError):  # a hidden fact edited: the sheet as one block
        return []


def _blank(row: list[object]) -> bool:
    return all(v in ("", None) for v in row)


def _spans_fit(grid: list[list[object]], spans: list[tuple[str, int, int, str]]) -> bool:
    """The sheet still has the registers where :func:`_stack` put them: the first on row 1,
    each next one after one blank row, the last ending on the sheet's last row."""
    at = 1
    for k, (_, a, b, _key) in enumerate(spans):
        if a != at or b < a or b > len(grid) or _blank(grid[a - 1]):
            return False
        if k + 1 < len(spans) and (b >= len(grid) or not _blank(grid[b])):
            return False
        at = b + 2
    return bool(spans) and spans[-1][2] == len(grid)


def _blank_split(grid: list[list[object]]) -> list[tuple[int, int]]:
    """(first, last) rows of each run of rows between wholly blank rows."""
    out: list[tuple[int, int]] = []
    start = None
    for i, row in enumerate(grid, 1):
        if _blank(row):
            if start is not None:
                out.append((start, i - 1))
                start = None
        elif start is None:
            start = i
    if start is not None:
        out.append((start, len(grid)))
    return out


def _file_name(path: str) -> str:
    """The last part of a path, as Windows or POSIX writes it."""
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def _moved(blocks: list[tuple[str, list[list[object]], str]], files: list[RegisterFile]) -> set[str]:
    """The keys of Books sheet blocks that a file given now replaces though its path differs:
    the same file name and sheet, read before from another folder (the clients' folder moved,
    or reached by another drive or path), where no other file of that name is given now.
    Added beside it instead, every document would be booked twice (README: a register of the
    same file name is replaced)."""
    names: dict[tuple[str, str], list[RegisterFile]] = {}
    for f in files:
        names.setdefault((_file_name(f.path or f.source), f.sheet or ""), []).append(f)
    exact = {f.key for f in files}
    out = set()
    for _, _, k in blocks:
        for (name, sheet), fs in names.items():
            tail = "|" + sheet
            if (len(fs) == 1 and k not in exact and k.endswith(tail)
                    and _file_name(k[:len(k) - len(tail)]) == name):
                out.add(k)
    return out


def _books_blocks(book: ReviewBook) -> list[tuple[str, list[list[object]], str]]:
    """The registers the Books sheet holds now: (name, cells, key); one block named "Books
    sheet" when the accountant pasted it; none for the template's empty header.

    Rows inserted or deleted by hand move the registers from where ims-xl wrote them: each is
    then found again between the blank rows that part them (as many runs of rows as there
    were registers, in the same order); only a sheet that no longer parts into them is read
    as one register, "Books sheet" (its repeated header rows are read as such)."""
    grid = book.books
    if not grid or all(_blank(r) for r in grid[1:]):
        return []
    spans = _saved_spans(book)
    if spans and _spans_fit(grid, spans):
        return [(name, grid[a - 1:b], key) for name, a, b, key in spans]
    runs = _blank_split(grid) if spans else []
    if spans and len(runs) == len(spans):
        return [(name, grid[a - 1:b], key) for (name, _, _, key), (a, b) in zip(spans, runs)]
    return [("Books sheet", grid, "Books sheet")]


#: A head on which more than this share of the documents paired by number differ makes the
#: read doubtful (a wrong column, a head read as zero): reconcile refuses rather than suggest.
DOUBTFUL_SHARE = 0.6
_HEAD_NAMES = {"txval": "taxable value", "iamt": "IGST", "camt": "CGST", "samt": "SGST", "cess": "cess"}


def _refuse_doubtful(ims_result: pd.DataFrame, mapped: dict[str, list[str]], regs: list) -> None:
    """Refuse when most documents paired by number differ on the same head, unless the user
    mapped that head's column themselves (``--map``): then the differences are real."""
    paired = ims_result.loc[ims_result["books_row"].notna(), "diff_fields"].astype(str)
    if len(paired) < 10:
        return
    counts = paired.value_counts()  # a few hundred distinct field lists: each split once
    fields = [set(t.split("|")) for t in counts.index]
    for head, label in _HEAD_NAMES.items():
        share = sum(c for c, fs in zip(counts.tolist(), fields) if head in fs) / len(paired)
        if share <= DOUBTFUL_SHARE or head in mapped:
            continue
        cols = [f"{name}: {r.mapping[head]!r}" if head in r.mapping else f"{name}: no {label} column"
                for name, r in regs]
        raise InputError(
            f"{'; '.join(cols)}: {share:.0%} of the {len(paired):,} documents paired by number differ "
            f"from the IMS on the {label}, so this column is probably not what the register "
            f"means; nothing was changed. Check it, then name the right column with --map "
            f"\"{head}=<header>\" (naming it, even the same one, confirms it).")


def reconcile(book: ReviewBook, registers: list[RegisterFile] | list[list[object]] | None = None,
              source: str = "Books sheet", sheet: str | None = None, settings=None, *,
              mapping: str | None = None, voucher_kinds: str | None = None,
              replace_books: bool = False, matches: bool = True) -> Outcome:
    """Match every IMS record with the purchase register and explain each decision.

    ``registers`` are the register files' cells (one :class:`RegisterFile` per CSV or
    worksheet; a bare grid is one register named ``source``); ``None`` uses the workbook's
    ``Books`` sheet as it stands. Registers are added to what the Books sheet holds (a
    register of the same name is replaced; ``replace_books`` starts afresh), and all are
    reconciled together. ``mapping`` (``--map`` text) and ``voucher_kinds`` are saved in the
    book and used by later runs. Returns the outcome (rows with status, books row, reasons,
    suggestion; the Books, Missing in IMS and Suppliers sheets) with the ``matches.csv``
    frame as its ``table`` (None with ``matches=False``, for a caller that writes none).

    Raises:
        InputError: the register cannot be used (the message names file, row and column).
    """
    from .review.layout import MISSING_SHEET, SUPPLIERS_SHEET
    from .reconcile.matching import apply_result, ims_frame, missing_in_ims_grid, suppliers_grid
    from .reconcile.matcher import MatchSettings, matches_frame
    from .reconcile.matcher import reconcile as match
    from .formats.register import RegisterError, read_register_grid
    settings = settings or MatchSettings()
    cols, kinds, sheets, msgs = _saved_settings(book, mapping, voucher_kinds)
    state = book.rtin[:2] if book.rtin[:2].isdigit() else ""
    if registers is not None and registers and not isinstance(registers[0], RegisterFile):
        registers = [RegisterFile(registers, source, sheet)]  # one grid, as older callers give it

    def read(f: RegisterFile):
        return read_register_grid(f.grid, f.source, f.sheet, cols, voucher_kinds=kinds, recipient_state=state,
                                  without_value=f.without_value)

    files: list[RegisterFile] = list(registers or [])
    read_now: list[tuple[RegisterFile, object]] = []
    skipped: list[str] = []
    first_error: str | None = None
    twice: list[str] = []
    try:
        for f in files:
            if any(f.key == g.key for g, _ in read_now):
                twice.append(f.name)  # the same file given twice: read once
                continue
            if not f.grid or all(_blank(r) for r in f.grid):
                if f.optional:
                    skipped.append(f"'{f.sheet}' (empty)")
                    continue
                raise InputError(f"{f.name}: the purchase register is empty")
            try:
                read_now.append((f, read(f)))
            except RegisterError as exc:
                if f.optional and exc.kind in ("no-header", "no-rows"):
                    skipped.append(f"'{f.sheet}'")
                    first_error = first_error or str(exc)
                    continue
                raise
    except RegisterError as exc:
        raise InputError(str(exc)) from None
    if twice:
        msgs.append(f"Given twice, read once: {', '.join(twice)}")
    if files and not read_now:
        raise InputError(first_error or f"{files[0].name}: no register found")
    if skipped:
        msgs.append(f"{files[0].source}: sheets without register rows were left out: "
                    + ", ".join(skipped))
    if registers is None:
        blocks = _books_blocks(book)
        if not blocks:
            raise InputError(f"{source}: the purchase register is empty; paste it into the Books "
                             "sheet or give the file with --books")
    else:
        before = [] if replace_books else _books_blocks(book)
        keys = {f.key for f, _ in read_now} | _moved(before, [f for f, _ in read_now])
        kept = [(n, g, k) for n, g, k in before if k not in keys]
        again = [n for n, _, k in before if k in keys]
        if kept:
            msgs.append("The Books sheet already held " + ", ".join(n for n, _, _ in kept)
                        + ": kept, and reconciled together with the new register(s) "
                        "(start afresh with --replace-books)")
        if again:
            spans = _saved_spans(book)
            edited = bool(spans) and not _spans_fit(book.books, spans)
            msgs.append("Read again, replacing the earlier copy on the Books sheet: " + ", ".join(again)
                        + (" (rows added or deleted there by hand are replaced by the file's)" if edited else ""))
        blocks = kept + [(f.name, f.grid, f.key) for f, _ in read_now]
    grid, spans = _stack(blocks)
    # each register keeps its own rows' numbers on the Books sheet: books rows are sheet rows
    fresh = {id(f.grid): r for f, r in read_now}
    parts, warnings, described, regs = [], [], [], []
    try:
        for (name, g, _key), (_, first_row, _last, _k) in zip(blocks, spans):
            reg = fresh.get(id(g))
            shift = first_row - 1
            if reg is None:
                # read from the Books sheet: a message names the sheet and its row there (the
                # rows above the block read as blank), never the row of a file not touched
                where = source if name == "Books sheet" else f"{source} ({name})"
                reg = read(RegisterFile([[] for _ in range(shift)] + list(g), where))
                shift = 0
            regs.append((name, reg))
            part = reg.books.copy()
            part["books_row"] = part["books_row"] + shift
            if shift:
                part["source_rows"] = [",".join(str(int(x) + shift) for x in str(v).split(","))
                                       for v in part["source_rows"]]
            parts.append(part)
            warnings += reg.warnings
            described.append(f"{len(reg.books):,} documents of {name} (header on row "
                             f"{reg.header_row}; columns: "
                             + ", ".join(f"{k}={v}" for k, v in reg.mapping.items()) + ")")
    except RegisterError as exc:
        raise InputError(str(exc)) from None
    books = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    ims = ims_frame(book.rows)
    result = match(ims, books, settings)
    _refuse_doubtful(result.ims, cols, regs)
    new = apply_result(book, result)
    new = replace(new, books=grid, extra_sheets={**new.extra_sheets, **sheets},
                  meta={**new.meta, BOOKS_BLOCKS_KEY: json.dumps(spans)})
    new, more = _rebuilt(new, {MISSING_SHEET: missing_in_ims_grid(result, books),
                               SUPPLIERS_SHEET: suppliers_grid(new.rows, result, books)})
    msgs += more
    counts = result.counts()
    msgs.insert(0, f"Reconciled {len(ims):,} IMS records with " + "; ".join(described))
    msgs += [f"  {k}: {v:,}" for k, v in counts.items()]
    msgs += warnings[:20]
    return Outcome(book=new, messages=msgs, table=matches_frame(result, ims, books) if matches else None)


def apply_suggestions(book: ReviewBook, refs: set[int] | None = None,
                      statuses: set[str] | None = None) -> Outcome:
    """Set the suggested action on rows still at No Action (see ``matching.apply_suggestions``)."""
    from .reconcile.matching import apply_suggestions as apply
    # refused on records never reconciled; a reconciled month may have no suggestion at all
    # (no record, as in a month no supplier reported anything, or none the matcher could judge)
    if len(book.rows) and not (book.rows["match_status"].astype(str) != "").any():
        raise InputError("no suggestions in this workbook yet: run Reconcile with books first")
    new, c = apply(book, refs, statuses)
    # a Pending set here is an open item: the Ageing sheet lists every one (README "Ageing")
    new, more = _with_ageing(new)
    msgs = [f"Applied {c['applied']:,} suggested action(s) to rows at No Action; "
            f"{c['kept']:,} row(s) not at No Action (your action or the portal's) are left as they are"]
    if c["needs_itc_answer"]:
        msgs.append(f"{c['needs_itc_answer']:,} amended record(s) suggested Accept were left at No Action: "
                    "answer 'Whether ITC to be reduced' first (an amendment may be downward)")
    if c["skipped"]:
        msgs.append(f"{c['skipped']:,} Pending suggestion(s) skipped: Pending is blocked on those records")
    return Outcome(book=new, messages=msgs + more)


def with_log(before: ReviewBook | None, after: ReviewBook, source: str | None = None,
             when: str | None = None, extra: list | None = None,
             checked: bool = False) -> tuple[ReviewBook, list[str]]:
    """Append to the audit trail every change of action between two states of a workbook.

    Actions typed by hand since ims-xl last wrote the workbook are logged as ``typed``;
    changes the action made are logged with ``source`` (``re-import``, ``suggestion
    applied``, ``portal error``). The Log is only ever appended to; edits found in it are
    reported (returned as messages) and noted in one ``log check`` row.

    ``checked``: ``before`` was made in memory by this same command from a book whose Log
    and typed actions were already looked at (or from a download alone), so no hand can
    have touched it since: neither is looked at again (the Log's chain is some 0.25 s at
    100,000 rows, the typed actions some 0.2 s).
    """
    from .review import audit
    when = when or audit.now_text()
    base = before if before is not None else after
    log, seal = base.log, base.meta.get("log_seal", "")
    problems = [] if checked else audit.verify_log(log, seal)
    rows = audit.typed_changes(base.rows, log, when) if before is not None and not checked else []
    if before is not None and source == "portal error":
        rows += audit.portal_error_rows(before.rows, after.rows, when)
    elif before is not None and source:
        rows += audit.diff_actions(before.rows, after.rows, source, when)
    rows += [[when, *r[1:]] for r in extra or []]
    if not rows and not problems and not log:
        return after, []
    grid = audit.append_log(log, rows, seal=seal, when=when, problems=problems)
    book = replace(after, log=grid, meta={**after.meta, "log_seal": audit.log_seal(grid)})
    return book, [f"Log sheet: {p}" for p in problems]


def log_added(before: list[list[object]], after: list[list[object]]) -> str:
    """What ``after``'s Log holds beyond ``before``'s, by source: ``3 row(s) added for actions
    typed by hand`` and ``1 row(s) added for the hand edits named above`` (a ``log check``
    row, not a typed action)."""
    from .review.audit import LOG_HEADER
    at = LOG_HEADER.index("Source")
    new = [r[at] if len(r) > at else "" for r in after[max(len(before), 1):]]
    typed, checks = new.count("typed"), new.count("log check")
    said = [f"{n:,} row(s) added for {what}" for n, what in (
        (typed, "actions typed by hand"), (checks, "the hand edits named above"),
        (len(new) - typed - checks, "other changes")) if n]
    return "; ".join(said) or "no row added"


def run_month(download: ImsDownload, existing: ReviewBook | None, registers: list[RegisterFile] | None,
              *, rtin: str = "", period: str = "", force: bool = False, file_time: str = "",
              match_settings=None, mapping: str | None = None, voucher_kinds: str | None = None,
              replace_books: bool = False, apply: bool = False) -> tuple[list[bytes] | None, Outcome]:
    """The monthly job on one download: import (into ``existing``, keeping the accountant's
    work), reconcile with ``registers`` (and apply the suggestions when ``apply``), validate,
    and build the upload. The upload parts are None when validation finds errors.

    The returned outcome's book carries the Log rows of the re-import and applied suggestions;
    its ``table`` holds the matches (None without registers); its ``findings`` are validation's.
    """
    applies = apply and registers is not None  # the Ageing sheet is rebuilt once, after the suggestions
    imp, report = import_download(download, existing, rtin, period, force, file_time,
                                  reconciles=registers is not None, ageing=not applies)
    book, msgs = imp.book, list(imp.messages)
    if existing is not None:
        book, problems = with_log(existing, book, "re-import")
        msgs += problems + [f"the review workbook already existed: updated it with this download, keeping your "
                            f"entries on {report.kept_work:,} record(s)"]
    # the book holds what it still needs of both; the rest is freed here for the steps below
    # (peak memory of a re-run) when the caller kept no reference: the CLI passes values
    # popped from a list in a plain call (a local name, or a ``**`` call's argument tuple,
    # would keep them alive to the end; a plain call's frame takes its arguments over)
    del download, existing, imp
    table = None
    if registers is not None:
        rec = reconcile(book, registers, settings=match_settings, mapping=mapping, voucher_kinds=voucher_kinds,
                        replace_books=replace_books)
        book, table = rec.book, rec.table
        msgs += rec.messages
        if applies:
            app = apply_suggestions(book)
            # the book is this command's own: its Log and typed actions were looked at above
            book, _ = with_log(book, app.book, "suggestion applied", checked=True)
            msgs += app.messages
    val = validate(book, Settings())
    msgs += val.messages
    parts = None
    if any(f.severity is Severity.ERROR for f in val.findings):
        msgs.append("Validation errors: no upload JSON written; fix them in the review workbook, "
                    "then run ims-xl export")
    else:
        parts, ex = export(book, Settings(), validated=val)
        msgs += ex.messages[1:]
    return parts, Outcome(book=val.book, marks=val.marks, messages=msgs, findings=val.findings, table=table)


def _books_frame(book: ReviewBook) -> pd.DataFrame | None:
    """The documents on the Books sheet, read as reconcile reads them (None when empty)."""
    from .formats.register import RegisterError, read_register_grid
    blocks = _books_blocks(book)
    if not blocks:
        return None
    cols, kinds, _, _ = _saved_settings(book, None, None)
    state = book.rtin[:2] if book.rtin[:2].isdigit() else ""
    _, spans = _stack(blocks)
    parts = []
    try:
        for (name, g, _key), (_, first_row, _last, _k) in zip(blocks, spans):
            reg = read_register_grid(g, name, None, cols, voucher_kinds=kinds, recipient_state=state)
            part = reg.books.copy()
            part["books_row"] = part["books_row"] + first_row - 1
            parts.append(part)
    except RegisterError as exc:
        raise InputError(str(exc)) from None
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def _match_2b_only(book: ReviewBook, docs: pd.DataFrame, settings=None) -> pd.Series | None:
    """Match the 2B documents IMS does not list (reverse charge, ISD, SEZ imports ...) with
    the books documents no IMS record paired; their match status by ``docs`` index."""
    from .reconcile.matcher import MatchSettings
    from .reconcile.matcher import reconcile as match
    books = _books_frame(book)
    if books is None:
        return None
    from .review.month_end import pair_documents
    d = docs[docs["key"] != ""]
    pos = pair_documents(book.rows, d) if len(book.rows) else np.zeros(0, dtype=np.int64)
    listed = set(d.index[pos[pos >= 0]])  # paired as three_way pairs them (a reused number by date)
    only = docs[~docs.index.isin(listed) & (docs["stin"] != "")]
    if not len(only):
        return pd.Series(dtype=object)
    paired = pd.to_numeric(book.rows.get("books_row", pd.Series(dtype=object)), errors="coerce").dropna()
    free = books[~books["books_row"].isin(set(paired.astype(int)))]
    section = np.where(only["note_type"] == "C", "b2bcn",
                       np.where((only["note_type"] == "D") & (only["kind"] == "note"), "b2bdn", "b2b"))
    ims = pd.DataFrame({
        "ref": only["doc_id"].to_numpy(), "section": section, "stin": only["stin"].to_numpy(),
        "tradenm": only["trdnm"].to_numpy(), "doc_no": only["doc_no"].to_numpy(),
        "doc_date": only["doc_date"].to_numpy(), "orig_doc_no": "", "orig_doc_date": "", "pos": only["pos"].to_numpy(),
        **{h: only[h].to_numpy(dtype=np.int64) for h in ("txval", "iamt", "camt", "samt", "cess")},
        # ISD documents and bills of entry carry no value in GSTR-2B (docs/GSTR3B_WORKING.md):
        # the books' document total is their taxable value and taxes
        "val": np.where(only["val"].to_numpy(dtype=np.int64) != 0, only["val"].to_numpy(dtype=np.int64),
                        sum(only[h].to_numpy(dtype=np.int64) for h in ("txval", "iamt", "camt", "samt", "cess"))),
        "action": "N", "ispendactblocked": True, "rtnprd": "",
    })
    result = match(ims, free, settings or MatchSettings())
    status = result.ims.set_index("ref")["status"].astype(str)
    return pd.Series(only["doc_id"].map(status).fillna("").to_numpy(), index=only.index, dtype=object)


def gstr2b(book: ReviewBook, statement, settings=None) -> Outcome:
    """Check GSTR-2B against the workbook's actions and books, and work out GSTR-3B Table 4.

    Writes ``In GSTR-2B`` and ``GSTR-2B check`` on the section sheets, the ``GSTR-2B`` and
    ``GSTR-3B ITC`` sheets; returns the Table 4 frame as ``table`` (``--3b``).

    Raises:
        InputError: the statement is for another GSTIN than the workbook.
    """
    from .review.layout import GSTR2B_SHEET, GSTR3B_SHEET
    from .review.month_end import (BASES, HEAD_NAMES, HEADS, RECOMPUTE, gstr2b_grid, gstr3b_grid,
                                   recompute_difference, table4, three_way)
    rtin = (book.rtin or "").upper()
    if rtin and statement.gstin and statement.gstin != rtin:
        raise InputError(f"{statement.source}: GSTR-2B of {statement.gstin}, but this workbook is for {rtin}; "
                         "download the GSTR-2B of this GSTIN")
    msgs = list(statement.warnings)
    period = str(book.meta.get("period", "") or "")
    if statement.period[2:] + statement.period[:2] < "202301" and len(statement.period) == 6:
        msgs.append(f"Note: GSTR-2B of {statement.period}, before January 2023: worked on the current rule "
                    "(credit notes netted in 4A, negatives kept there); the portal then filled 4B(2)")
    if period and statement.period and period != statement.period:
        msgs.append(f"Note: GSTR-2B is for period {statement.period}, this workbook for {period}")
    logged, _ = with_log(book, book)  # actions typed since the last run count as changed now
    status = _match_2b_only(book, statement.docs, settings)
    records = three_way(book.rows, statement.docs, logged.log, statement.generated_date, status)
    table = table4(records, statement.summary)
    n = len(book.rows)
    rows = book.rows.copy()
    rows["gstr2b_status"] = records["treatment"].iloc[:n].to_numpy()
    rows["gstr2b_check"] = records["check"].iloc[:n].to_numpy()
    info = {"gstin": statement.gstin, "period": statement.period, "generated": statement.generated,
            "source": statement.source}
    book, more = _rebuilt(book, {GSTR2B_SHEET: gstr2b_grid(records, info), GSTR3B_SHEET: gstr3b_grid(table, info)})
    msgs += more
    meta = {**book.meta, "gstr2b_generated": statement.generated, "gstr2b_period": statement.period,
            "gstr2b_file": statement.source}
    checks = records["check"].astype(str).str.split(":").str[0].str.split(" \\(").str[0]
    counts = checks.value_counts()
    only = int((records["source"] != "IMS").sum())
    msgs.insert(0, f"GSTR-2B {statement.source} (generated {statement.generated or '?'}): "
                   f"{len(statement.docs):,} documents; {n:,} IMS records checked, {only:,} documents "
                   "IMS does not list (reverse charge, ISD, imports ...)")
    msgs += [f"  {k}: {v:,}" for k, v in counts.items()]
    n_re = int(checks.eq(RECOMPUTE).sum())
    if n_re:
        d = recompute_difference(records)
        msgs.append(f"Recompute GSTR-2B on the portal before filing GSTR-3B: {n_re:,} record(s) changed action "
                    "after it was generated; ITC it moves: "
                    + ", ".join(f"{nm} {d[h] / 100:,.2f}" for nm, h in zip(HEAD_NAMES, HEADS)))
    c = table.set_index(["row", "basis"])
    for b in BASES:
        msgs.append(f"  GSTR-3B 4C net ITC ({b}): " + ", ".join(
            f"{nm} {int(c.loc[('4C', b), h]) / 100:,.2f}" for nm, h in zip(HEAD_NAMES, HEADS)))
    return Outcome(book=replace(book, rows=rows, meta=meta), messages=msgs, table=table)


def letters_return(book: ReviewBook) -> tuple[str, str]:
    """(our GSTIN, the return period) as ``book``'s letters name them: what the file shell
    removes an earlier run's letters by when none is left to write (``review.letters``)."""
    from .review.letters import letters_return as of_return
    return of_return(book)


def letters(book: ReviewBook, contacts: dict[str, dict] | None = None) -> tuple[list, Outcome]:
    """The follow-up letters to suppliers (``review.letters``): (letters, outcome whose
    ``log_rows`` record each letter on the Log sheet once the shell has written them)."""
    from .money import format_inr
    from .review.letters import supplier_letters
    found = supplier_letters(book, contacts)
    rows = [["", "Letters", "", x.stin, f"{len(x.items):,} document(s)", "", "", "letter",
             f"statement and e-mail draft written{' to ' + x.email if x.email else ''}; ITC at stake "
             f"{format_inr(x.itc_at_stake)}", f"letter|{x.stin}"] for x in found]
    n_mail = sum(1 for x in found if x.email)
    msgs = [f"{len(found):,} supplier(s) with something to fix: a statement and an e-mail draft each"
            + (f" ({n_mail:,} addressed from the suppliers list)" if contacts is not None else "")]
    if not found:
        msgs = ["No supplier has anything to fix: no letter written"]
    return found, Outcome(book=book, messages=msgs, log_rows=rows)
