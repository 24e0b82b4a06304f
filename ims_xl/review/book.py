"""The review book: everything a review workbook holds, as frames. Pure core: no file I/O.

A :class:`ReviewBook` is what the shells read from and write to a workbook. Its ``rows``
frame has one row per IMS record:

* the downloaded record (the columns of :data:`ims_json.RECORD_COLUMNS`), rebuilt from the
  hidden copy of the download, never from the visible cells;
* ``shown_<field>``: what the visible downloaded cells hold now (to detect accidental edits);
* the accountant's inputs (:data:`layout.INPUT_FIELDS`), as raw cell values;
* outputs written by ims-xl (:data:`layout.OUTPUT_FIELDS`);
* ``sheet`` and ``excel_row``: where the row is shown (``excel_row`` 0 for a new row).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone

import numpy as np
import pandas as pd

from .. import __version__
from ..errors import InputError
from ..formats.ims_json import DECL_COLUMNS, OCCURRENCE, ImsDownload, record_key
from .layout import INPUT_FIELDS, OUTPUT_FIELDS, RECONCILE_FIELDS, columns_for
from ..model import (ACTION_LABELS, ACTION_WORDS, AMOUNT_KEYS, ITC_SIGN, SECTION_BY_KEY, SECTIONS, Action,
                     parse_action)
from ..money import rupees
from .inputs import cell_text, declared, is_blank, per_value
from ..jsontext import compact

#: Downloaded fields whose visible cells are compared with the download.
SHOWN_FIELDS: tuple[str, ...] = tuple(dict.fromkeys(
    c.field for s in SECTIONS for c in columns_for(s) if c.downloaded))


@dataclass(frozen=True)
class ReviewBook:
    """All the content of a review workbook.

    Attributes:
        meta: ``rtin``, ``period``, ``source``, ``imported_at``, ``tool_version``.
        rows: one row per record (see module docstring).
        originals: ref -> the downloaded record dict as normalised for upload.
        books: the Books sheet as a grid of cell values (first row the header).
        removed: records gone from a newer download that carried the accountant's work.
        extra_sheets: sheets the accountant added, kept as values (name -> grid).
        reports: report sheets written by reconcile (``Missing in IMS``, ``Suppliers``).
        log: the append-only ``Log`` sheet, the audit trail of action changes (``audit.py``).
        seals: ref -> the digest of the record's text in the hidden copy, made when it was
            downloaded (:func:`seal_of`) and kept apart from it: an edit of the hidden copy
            cannot reach the upload unnoticed.
    """

    meta: dict[str, str]
    rows: pd.DataFrame
    originals: dict[int, dict]
    books: list[list[object]] = field(default_factory=list)
    removed: pd.DataFrame = field(default_factory=pd.DataFrame)
    extra_sheets: dict[str, list[list[object]]] = field(default_factory=dict)
    reports: dict[str, list[list[object]]] = field(default_factory=dict)
    log: list[list[object]] = field(default_factory=list)
    seals: dict[int, str] = field(default_factory=dict)
    #: ref -> (the record, its text in the hidden copy) for the records read from a
    #: workbook whose seal held: written back as they were read, while the record is still
    #: that same object, instead of serialising 100,000 records again (:func:`hidden_text`).
    texts: dict[int, tuple[dict, str]] = field(default_factory=dict, repr=False, compare=False)
    #: read without the Books, report and added sheets (``read_review(lean=True)``): such a
    #: book is checked and exported, never written back (it would lose those sheets); or
    #: without the downloaded copies (``work_only``): only re-imported into
    lean: bool = field(default=False, repr=False, compare=False)
    #: what reading the workbook changed that the accountant should hear of (columns of their
    #: own moved to a sheet of their own), said by the command that writes it back
    notices: list[str] = field(default_factory=list, repr=False, compare=False)

    @property
    def rtin(self) -> str:
        return self.meta.get("rtin", "")


def _default_inputs(records: pd.DataFrame) -> pd.DataFrame:
    """The input and output columns of freshly imported rows: the portal's current state."""
    out = pd.DataFrame(index=records.index)
    out["action_text"] = records["action"].map(ACTION_WORDS).astype(object)
    out["remarks_text"] = ""
    out["owner_text"] = ""
    out["follow_up_text"] = ""
    out["itc_red_text"] = records["itc_red_req"].map({"Y": "Yes", "N": "No"}).fillna("").astype(object)
    for col in DECL_COLUMNS:
        vals = records[col]
        shown: list = [None] * len(vals)
        for i in np.flatnonzero(vals.notna().to_numpy()):  # declared amounts are rare
            shown[i] = rupees(int(vals.iloc[i]))
        out[col + "_in"] = shown
    for f in OUTPUT_FIELDS:
        out[f] = ""
    return out


def shown_values(records: pd.DataFrame) -> pd.DataFrame:
    """The display value of each downloaded field, as the shells write it (for edit detection)."""
    out = pd.DataFrame(index=records.index)
    for f in SHOWN_FIELDS:
        s = records[f]
        if f in AMOUNT_KEYS:
            out["shown_" + f] = s.astype("int64")
        elif f in ("pend_blocked", "remarks_blocked", "itc_blocked"):
            out["shown_" + f] = s.map({True: "Yes", False: "No"}).astype(object)
        elif f == "action":
            out["shown_" + f] = s.map(ACTION_WORDS).astype(object)
        else:
            out["shown_" + f] = s.astype(object)
    return out


def positioned(rows: pd.DataFrame) -> pd.DataFrame:
    """Give every row its Excel row: sheets in section order, rows in their current order
    (``excel_row``; 0 means new, placed after the existing rows in ``ref`` order)."""
    order = {s.sheet: i for i, s in enumerate(SECTIONS)}
    tmp = rows.assign(_s=rows["sheet"].map(order),
                      _new=(rows["excel_row"] == 0).astype(int))
    tmp = tmp.sort_values(["_s", "_new", "excel_row", "ref"], kind="stable")
    tmp["excel_row"] = tmp.groupby("_s").cumcount() + 2  # row 1 is the header
    return tmp.drop(columns=["_s", "_new"]).reset_index(drop=True)


def as_displayed(records: pd.DataFrame) -> pd.DataFrame:
    """The ``shown_*`` columns as a freshly written sheet holds them (amounts in rupees,
    dates as datetimes): what reading the workbook back would give."""
    out = shown_values(records)
    for f in AMOUNT_KEYS:
        out["shown_" + f] = out["shown_" + f] / 100
    for f in ("doc_date", "orig_doc_date"):
        out["shown_" + f] = shown_dates(records[f])
    return out


def shown_dates(s: pd.Series) -> list[object]:
    """dd-mm-yyyy texts as the datetimes a date cell shows (other text as it is, blank as
    None), each distinct text converted once (a month holds a few hundred dates)."""
    try:
        texts = [t for t in set(s.tolist()) if isinstance(t, str)]
    except TypeError:  # an unhashable cell: each text converted when met
        texts = []
    # every distinct text in one call (a call per text costs some 200 µs), as the call per
    # text would convert it (same format, same coercion)
    dates = dict(zip(texts, pd.to_datetime(pd.Series(texts, dtype=object), format="%d-%m-%Y",
                                           errors="coerce"))) if texts else {}

    def shown(t: object) -> object:
        if isinstance(t, str):
            d = dates[t] if t in dates else pd.to_datetime(t, format="%d-%m-%Y", errors="coerce")
        else:
            d = pd.NaT
        return d.to_pydatetime() if not pd.isna(d) else (t or None)
    return per_value(s, shown).tolist()


def record_text(original: dict) -> str:
    """A downloaded record as the hidden copy stores it: compact JSON, key order kept, numbers
    as the download held them (:func:`..formats.ims_json.plain_value`)."""
    return compact(original).decode("utf-8")


def hidden_text(book: ReviewBook, ref: int) -> str:
    """The hidden copy's text of one record: as it was read when the record is unchanged
    (the same object), else :func:`record_text`."""
    original = book.originals[ref]
    kept = book.texts.get(ref)
    return kept[1] if kept is not None and kept[0] is original else record_text(original)


def seal_of(section: str, text: str) -> str:
    """The seal of one record of the hidden copy: SHA-256 of its section and stored text.

    A check against accidents, like the Log's checksums, not a signature: anyone able to run
    SHA-256 can forge one. Kept in its own column, so an edit of the record cell alone is
    caught (README "Reliability and safety").
    """
    return hashlib.sha256(f"{section}\x1f{text}".encode("utf-8", "surrogatepass")).hexdigest()[:32]


def fresh_rows(records: pd.DataFrame, read: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """The rows of downloaded records before any sheet is read: their shown values, the
    portal's state as the entries, their sheet, no Excel row yet.

    ``read``: columns (field -> a cell per row, in row order) already read for every row
    from the section sheets, which would replace these. Where it holds every column of
    :func:`as_displayed`, or of :func:`_default_inputs`, those are taken out of it (as
    objects) instead of being worked out only to be replaced (0.1 s at 100,000 records)."""
    made = []
    for make in (as_displayed, _default_inputs):
        names = list(make(records.iloc[:0]).columns) if read else []  # (no row: no work)
        if names and all(f in read for f in names):
            made.append(pd.DataFrame({f: pd.Series(read.pop(f), index=records.index, dtype=object) for f in names},
                                     index=records.index, copy=False))
        else:
            made.append(make(records))
    rows = pd.concat([records, *made], axis=1)
    rows["sheet"] = rows["section"].map({k: sec.sheet for k, sec in SECTION_BY_KEY.items()}).astype(object)
    rows["excel_row"] = 0
    return rows


def new_book(download: ImsDownload, rtin: str = "", period: str = "") -> ReviewBook:
    """A review book for a first import of ``download``."""
    rec = download.records.reset_index(drop=True)
    rows = positioned(fresh_rows(rec))
    meta = {
        "rtin": (rtin or download.rtin).strip().upper(),
        "period": (period or download.period).strip(),
        "source": download.source,
        "imported_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "tool_version": __version__,
        "newest_document": newest_document(rec),
    }
    refs = rec["ref"].astype("int64").tolist()  # (a Series iterated cell by cell boxes each one)
    originals = dict(zip(refs, download.originals))
    texts = {r: record_text(o) for r, o in originals.items()}  # serialised once: sealed and written
    seals = {r: seal_of(sec, texts[r]) for r, sec in zip(refs, rec["section"].tolist())}
    return ReviewBook(meta=meta, rows=rows, originals=originals, seals=seals,
                      texts={r: (originals[r], t) for r, t in texts.items()})


def empty_book() -> ReviewBook:
    """A review book with no records: the blank template."""
    from ..formats.ims_json import parse_download
    book = new_book(parse_download({"imsDetails": {}}, "template"))
    meta = {**book.meta, "source": "", "imported_at": ""}
    return replace(book, meta=meta)


# ---------------------------------------------------------------- re-import

#: Downloaded fields compared to decide whether the supplier changed a record.
CONTENT_FIELDS: tuple[str, ...] = ("doc_date", "orig_doc_no", "orig_doc_date", "inv_typ", "pos",
                                   *AMOUNT_KEYS, "tradenm")


@dataclass(frozen=True)
class MergeReport:
    """What a re-import did. Lists hold user-facing descriptions."""

    added: int
    unchanged: int
    updated: int
    removed: int
    kept_work: int
    changed_after_review: list[str]
    status_changed: list[str]
    removed_with_work: list[str]
    #: records back in the download whose work was parked on Removed records, now restored
    restored: list[str] = field(default_factory=list)
    #: why this download looks older than the one imported before ("" when it does not)
    older: str = ""
    #: records the supplier changed whose match (and suggested action) was cleared
    rematch: int = 0


def typed_codes(action_text: pd.Series) -> pd.Series:
    """The typed action code per cell: 'A'/'R'/'P'/'N', '' when blank, '?' when unknown."""
    def code(v: object) -> str:
        t = cell_text(v)
        if t == "":
            return ""
        a = parse_action(t)
        return a.value if a is not None else "?"
    return per_value(action_text, code)


def _work_masks(rows: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(action changed, remarks typed, ITC entries changed) per row."""
    t = typed_codes(rows["action_text"])
    acted = (t != "") & (t != rows["action"])
    remarks = per_value(rows["remarks_text"], cell_text) != ""
    ans = per_value(rows["itc_red_text"], lambda v: cell_text(v).lower())
    itc = np.array(ans != rows["itc_red_req"].map({"Y": "yes", "N": "no"}).fillna(""), dtype=bool)
    for c in ("decl_igst", "decl_cgst", "decl_sgst", "decl_cess"):
        # a typed amount counts as entered when it differs from the downloaded one (blank
        # equals absent), compared in paise so 100, 100.0 and "100.00" are the same entry;
        # a row with neither (nearly every row) is not entered, so only the others are read
        typed, down = rows[c + "_in"], rows[c]
        some = np.flatnonzero(~(per_value(typed, is_blank).to_numpy(dtype=bool) & down.isna().to_numpy()))
        if len(some):
            paise, problem = declared(typed.iloc[some])
            d = [None if pd.isna(v) else int(v) for v in down.iloc[some].tolist()]
            itc[some] |= np.array([q is not None or p != dv for p, q, dv in zip(paise, problem, d)], dtype=bool)
    return acted, remarks, pd.Series(itc, index=rows.index, dtype=bool)


def has_work(rows: pd.DataFrame, masks: tuple[pd.Series, pd.Series, pd.Series] | None = None) -> pd.Series:
    """True where the accountant entered something: an action other than the portal status,
    remarks, or ITC-reduction entries different from the downloaded ones. ``masks``: what
    :func:`_work_masks` gave for these rows, when the caller has it."""
    acted, remarks, itc = _work_masks(rows) if masks is None else masks
    planned = pd.Series(False, index=rows.index)
    for c in ("owner_text", "follow_up_text"):
        if c in rows:
            planned |= per_value(rows[c], cell_text) != ""
    return acted | remarks | itc | planned


def _describe(r: pd.Series) -> str:
    return f"{r['sheet']} {r['doc_no']} of {r['stin']}"


#: The accountant's entries parked on Removed records and given back when the record returns.
PARKED_FIELDS: tuple[str, ...] = ("action_text", "remarks_text", "itc_red_text", "decl_igst_in",
                                  "decl_cgst_in", "decl_sgst_in", "decl_cess_in", "owner_text", "follow_up_text")


def removed_keys(removed: pd.DataFrame) -> pd.Series:
    """The natural key (:func:`ims_json.record_key`) of each row of Removed records."""
    if removed.empty or not {"section", "stin", "doc_no"} <= set(removed.columns):
        return pd.Series([], dtype=object)
    return pd.Series([record_key(cell_text(s), cell_text(g), cell_text(d)) for s, g, d in
                      zip(removed["section"], removed["stin"], removed["doc_no"])], index=removed.index, dtype=object)


def newest_document(records: pd.DataFrame) -> str:
    """The newest document date of a download as yyyy-mm-dd ("" when none parses)."""
    d = pd.to_datetime(records["doc_date"], format="%d-%m-%Y", errors="coerce") if len(records) else None
    if d is None or d.isna().all():
        return ""
    return d.max().strftime("%Y-%m-%d")


def older_download(old_meta: dict, download: ImsDownload, file_time: str = "") -> str:
    """Why ``download`` looks older than the one the workbook was last made from, or "".

    Two signs, either enough for a warning (never a refusal: an older file can be right):
    the file was last modified before the previous download's file, or its newest document
    is dated before the previous download's newest document (a later download of the same
    IMS holds every document the earlier one did, and often newer ones).
    """
    prev_time, prev_newest = old_meta.get("download_file_time", ""), old_meta.get("newest_document", "")
    newest = newest_document(download.records)
    if file_time and prev_time and file_time < prev_time:
        return (f"{download.source} was saved at {file_time}, before the download imported last "
                f"({prev_time}); the portal statuses in it may be out of date")
    if newest and prev_newest and newest < prev_newest:
        return (f"{download.source}'s newest document is dated {newest}, before the newest of the download "
                f"imported last ({prev_newest}); the portal statuses in it may be out of date")
    return ""


#: The tax heads compared when records of a repeated key agree on date and return period.
_HEADS: tuple[str, ...] = ("iamt", "camt", "samt", "cess")


def _base_keys(rows: pd.DataFrame, section: str = "section") -> pd.Series:
    """:func:`ims_json.record_key` of each row, without the ``#n`` of a repeat; a ``key`` not
    made from the row's own fields (a workbook made elsewhere) is kept as it is."""
    base = (rows[section].astype(str) + "|" + rows["stin"].astype(str).str.strip().str.upper() + "|"
            + rows["doc_no"].astype(str).str.strip().str.upper())
    keys = rows["key"].astype(str)
    ours = (keys == base) | (keys.str.replace(OCCURRENCE, "", regex=True) == base)
    return base.where(ours, keys)


def _date_key(value: object) -> object:
    """A document date made comparable: ``dd-mm-yyyy`` or ``dd/mm/yyyy`` text and dates as
    (year, month, day) (a Removed records cell may read back as either); other text as
    itself, upper-cased."""
    if isinstance(value, date) and not pd.isna(value):  # datetimes and Timestamps included
        return (value.year, value.month, value.day)
    text = cell_text(value)
    parts = text.replace("/", "-").split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts) and len(parts[2]) == 4:
        return (int(parts[2]), int(parts[1]), int(parts[0]))
    return text.upper()


def _pair_alike(mine: list[tuple], theirs: list[tuple], tiers: tuple) -> list[tuple[int, int]]:
    """(k, j) pairs of ``mine[k]`` and ``theirs[j]``: tier by tier (each a function saying
    whether two facts are alike), each taking the first still-free match in list order, so
    file order decides only among records alike in every tier before it."""
    pairs: list[tuple[int, int]] = []
    free_mine, free_theirs = list(range(len(mine))), list(range(len(theirs)))
    for alike in tiers:
        for k in list(free_mine):
            j = next((j for j in free_theirs if alike(mine[k], theirs[j])), None)
            if j is not None:
                pairs.append((k, j))
                free_mine.remove(k)
                free_theirs.remove(j)
    return pairs


#: How the records of a repeated key are paired across downloads, strictest first: date,
#: return period and taxes alike; date and period; the date alone (a record moved to
#: another return); the period alone (a date corrected before the supplier filed). Records
#: alike in nothing are not paired: the old one's work goes to Removed records, the new one
#: comes in at the portal's status.
_REIMPORT_TIERS = (lambda a, b: a == b, lambda a, b: a[:2] == b[:2],
                   lambda a, b: a[0] == b[0], lambda a, b: a[1] == b[1])


def pair_records(mine: pd.DataFrame, theirs: pd.DataFrame, tiers: tuple, *, section: str = "section",
                 period: str = "rtnprd", their_section: str = "section", their_period: str = "rtnprd",
                 repeats: bool | None = None) -> np.ndarray:
    """The position in ``theirs`` of the record each row of ``mine`` is, -1 for none.

    Records are the same when section, supplier GSTIN and document number agree
    (:func:`ims_json.record_key`). Suppliers restart their numbering each financial year
    (rule 46(b) of the CGST Rules asks only for a number unique for the year), so IMS can
    list the same supplier's invoice ``1`` twice, one of an earlier year and this year's;
    the ``#2``, ``#3`` a download gives a repeated key are counted by return period and date
    (:func:`ims_json.with_occurrence`), which a new document of an earlier period shifts, and a
    workbook of an older version counted them in file order. Where a key repeats
    on either side, its rows are paired by ``tiers`` (each saying whether two (date, return
    period, taxes) facts are alike, strictest first), then file order among those still alike.

    ``section``, ``period`` and their ``their_`` twins name the columns on each side (GSTR-2B
    calls them ``ims_section`` and ``supprd``). ``repeats``: whether any key of either side
    carries a ``#`` (None: searched here); without one, every key is unique and the plain join
    on ``key`` is the pairing.
    """
    if repeats is None:  # one search over the keys settles the usual download
        repeats = "#" in "".join(map(str, mine["key"].tolist())) or "#" in "".join(map(str, theirs["key"].tolist()))
    if not repeats:
        return pd.Index(theirs["key"]).get_indexer(mine["key"])
    my_base, their_base = _base_keys(mine, section), _base_keys(theirs, their_section)
    repeated = set(my_base[my_base.duplicated(keep=False)]) | set(their_base[their_base.duplicated(keep=False)])
    rep_mine, rep_theirs = my_base.isin(repeated).to_numpy(), their_base.isin(repeated).to_numpy()
    single = np.flatnonzero(~rep_theirs)
    pos = np.append(single, -1)[pd.Index(their_base.to_numpy()[single]).get_indexer(my_base)]  # -1: none
    pos[rep_mine] = -1

    def facts(frame: pd.DataFrame, at: np.ndarray, per: str) -> dict[int, tuple]:
        """(date, return period, taxes) of the rows at these positions, read in one pass."""
        sub = frame.iloc[at]
        periods = sub[per] if per in sub else pd.Series("", index=sub.index)
        taxes = zip(*(sub[h].to_numpy(dtype=np.int64).tolist() for h in _HEADS))
        return {int(k): (_date_key(d), cell_text(p), t) for k, d, p, t in zip(at, sub["doc_date"], periods, taxes)}

    at_mine, at_theirs = np.flatnonzero(rep_mine), np.flatnonzero(rep_theirs)
    my_facts, their_facts = facts(mine, at_mine, period), facts(theirs, at_theirs, their_period)
    groups: dict[str, tuple[list[int], list[int]]] = {}
    for k, b in zip(at_mine.tolist(), my_base.to_numpy()[rep_mine]):
        groups.setdefault(b, ([], []))[0].append(k)
    for k, b in zip(at_theirs.tolist(), their_base.to_numpy()[rep_theirs]):
        groups.setdefault(b, ([], []))[1].append(k)
    for ours, others in groups.values():
        if ours and others:
            for k, j in _pair_alike([my_facts[k] for k in ours], [their_facts[k] for k in others], tiers):
                pos[ours[k]] = others[j]
    return pos


def reimport_pairs(new: pd.DataFrame, prev: pd.DataFrame, repeats: bool | None = None) -> np.ndarray:
    """The position in ``prev`` (the workbook's rows) of each record of ``new`` (a download's
    rows, in download order), -1 for none: the one pairing of a re-import, which the merge
    carries the accountant's work by and the Log compares actions by (:func:`pair_records`)."""
    if not len(prev):
        return np.full(len(new), -1, dtype=np.int64)
    return pair_records(new, prev, _REIMPORT_TIERS, repeats=repeats)


def _restore_pairs(parked: pd.DataFrame, pkeys: pd.Series, new: pd.DataFrame, unpaired: np.ndarray,
                   repeats: bool) -> tuple[list[tuple[int, object]], set]:
    """Which parked entries come back on which new records: ([(new row, parked row)], the
    parked rows they take off Removed records).

    A key that neither repeats in the download nor stands for documents of different dates
    on Removed records has one candidate: the latest parking wins, and every parking of that
    key leaves (a record withdrawn and filed again may come back with another date). Where
    the key repeats (rule 46(b): numbering restarts each financial year), the entries go only
    to the document of the same date (and value, then the latest parking, then file order):
    an entry matching none stays parked rather than land on another year's document.
    """
    base = _base_keys(new) if repeats else new["key"].astype(str)
    hit = unpaired & base.isin(set(pkeys)).to_numpy()
    if not hit.any():
        return [], set()
    in_download = base.value_counts()
    dates = parked["doc_date"] if "doc_date" in parked.columns else pd.Series("", index=parked.index)
    vals = parked["val"] if "val" in parked.columns else pd.Series(0, index=parked.index)
    out: list[tuple[int, object]] = []
    drop: set = set()
    news_of: dict[str, list[int]] = {}
    for i, b in zip(new.index[hit], base.to_numpy()[hit]):
        news_of.setdefault(b, []).append(i)
    for b, news in news_of.items():
        parks = list(pkeys.index[(pkeys == b).to_numpy()])[::-1]  # the latest parking first
        p_dates = [_date_key(dates.at[j]) for j in parks]
        if in_download.get(b, 0) == 1 and len(set(p_dates)) == 1:
            out.append((news[0], parks[0]))
            drop.update(parks)
            continue
        mine = [(_date_key(new.at[i, "doc_date"]), int(new.at[i, "val"])) for i in news]
        theirs = []
        for j, d in zip(parks, p_dates):
            v = vals.at[j]
            theirs.append((d, int(v) if isinstance(v, (int, float, np.integer)) and not pd.isna(v) else None))
        for k, m in _pair_alike(mine, theirs, (lambda a, b: a == b, lambda a, b: a[0] == b[0])):
            out.append((news[k], parks[m]))
            drop.update(j for j, d in zip(parks, p_dates) if d == p_dates[m])
    return out, drop


#: Re-import notes that stand until the accountant clears them (:func:`merge_download`).
_STANDING_NOTES = ("Changed by supplier", "Portal status changed")


def merge_download(old: ReviewBook, download: ImsDownload, force: bool = False,
                   file_time: str = "") -> tuple[ReviewBook, MergeReport]:
    """Re-import: the new download's records, carrying over the accountant's work.

    * a record in both keeps every input (action, remarks, ITC answers) and its position;
    * one whose downloaded content changed (supplier amendment) while it carried work is
      marked in ``reimport_note`` and listed in the report;
    * one whose portal status changed since the last download is marked likewise;
    * a record gone from the download is dropped from the sheets but, when it carried
      work, kept in ``removed`` with that work (and listed);
    * a record back in the download whose entries were parked on ``removed`` (a partial
      download, a record withdrawn then filed again) gets those entries back, and leaves
      ``removed``;
    * new records are appended in download order.

    Raises:
        InputError: the download is of another GSTIN than the workbook's (unless ``force``).
    """
    old_rtin = old.meta.get("rtin", "").strip().upper()
    if download.rtin and old_rtin and download.rtin != old_rtin and not force:
        raise InputError(f"{download.source} is a download for GSTIN {download.rtin}, but this workbook is for "
                         f"{old_rtin}: import it into that GSTIN's workbook (ims-xl import {download.source} "
                         "--out NEW.xlsx), or add --force to re-import it here anyway")
    fresh = new_book(download, old.meta.get("rtin", ""), old.meta.get("period", ""))
    new = fresh.rows
    prev = old.rows
    masks = _work_masks(prev) if len(prev) else None
    work = has_work(prev, masks) if len(prev) else pd.Series(dtype=bool)
    # a repeated key carries "#n" on the side it repeats on: one search over the keys settles
    # the usual download (every key unique, the plain join on key is the pairing)
    repeats = "#" in "".join(map(str, new["key"].tolist())) or "#" in "".join(map(str, prev["key"].tolist()))
    pos = reimport_pairs(new, prev, repeats)
    common = pd.Series(pos >= 0, index=new.index)
    carry_cols = list(INPUT_FIELDS) + ["portal_errors", "first_seen",
                                       *[f for f in OUTPUT_FIELDS if f.startswith(("match", "books", "suggested"))]]
    # new's frame is this function's own (new_book made it above): changed in place, not copied
    changed_after: list[str] = []
    status_changed: list[str] = []
    if common.any():
        src = pos[common.to_numpy()]  # the old row of each record in both, in new's order
        old_part = prev.iloc[src]
        idx = new.index[common]
        had_work = work.to_numpy()[src]
        # carry what the accountant entered, field by field; untouched fields take the new
        # download's values (a status changed on the portal must not be undone by an old default)
        acted, typed_rem, itc_changed = (m.to_numpy()[src] for m in masks)
        blank_action = typed_codes(old_part["action_text"]).to_numpy() == ""
        # which downloaded fields changed, named only for the records that changed (a month's
        # download re-imported holds few: building the names for all 100,000 cost 0.2 s)
        changed = [(f, new.loc[idx, f].to_numpy() != old_part[f].to_numpy()) for f in CONTENT_FIELDS]
        diff = pd.Series(np.logical_or.reduce([d for _, d in changed]), index=idx)
        for c in carry_cols:
            if c == "action_text":
                keep = acted | blank_action
            elif c == "remarks_text":
                keep = typed_rem
            elif c in ("itc_red_text", "decl_igst_in", "decl_cgst_in", "decl_sgst_in", "decl_cess_in"):
                keep = itc_changed
            elif c in RECONCILE_FIELDS:
                # a match (and its suggested action) made with the supplier's earlier figures
                # says nothing of the new ones: applied, a stale "Accept" would claim the new
                # amount's ITC against books that hold the old one. Cleared until reconciled again
                keep = ~diff.to_numpy()
            else:
                keep = np.ones(len(idx), dtype=bool)
            new[c] = new[c].astype(object)  # typed cells may hold text, numbers or blanks
            new.loc[idx[keep], c] = old_part[c].to_numpy()[keep]
        # keep the accountant's order: old rows keep their sheet position
        new.loc[idx, "excel_row"] = old_part["excel_row"].to_numpy()
        rematch = int((diff.to_numpy() & (old_part["match_status"].astype(str).to_numpy() != "")).sum()) \
            if "match_status" in old_part else 0
        what = pd.Series("", index=idx, dtype=object)
        for k in np.flatnonzero(diff.to_numpy()):
            what.iat[k] = ", ".join(f for f, d in changed if d[k])
        st = new.loc[idx, "action"].to_numpy() != old_part["action"].to_numpy()
        notes = pd.Series("", index=idx, dtype=object)
        mark_changed = diff.to_numpy() & had_work
        for i, m, w in zip(idx, mark_changed, what):
            if m:
                notes[i] = f"Changed by supplier since your review ({w.strip(', ')}): check your action"
        for i, s_, o in zip(idx, st, old_part["action"].to_numpy()):
            if s_:
                n = f"Portal status changed from {ACTION_LABELS[Action(o)]} to {ACTION_LABELS[Action(new.at[i, 'action'])]} since the last download"
                notes[i] = f"{notes[i]}; {n}" if notes[i] else n
        # a note of an earlier re-import stays until the accountant clears the cell (it is read
        # back from the sheet) or a newer change replaces it: the same download imported again
        # the next morning must not wipe "changed by supplier" before anyone has seen it
        if "reimport_note" in old_part:
            for i, o in zip(idx, old_part["reimport_note"].to_numpy()):
                if not notes[i] and isinstance(o, str) and o.startswith(_STANDING_NOTES):
                    notes[i] = o
        new.loc[idx, "reimport_note"] = notes
        for i in idx[mark_changed]:
            changed_after.append(_describe(new.loc[i]))
        for i in idx[st]:
            status_changed.append(_describe(new.loc[i]))
        unchanged = int((~diff & ~pd.Series(st, index=idx)).sum())
        updated = int(common.sum()) - unchanged
        kept = int(had_work.sum())
    else:
        unchanged = updated = kept = rematch = 0
    # entries parked on Removed records come back with their record (the latest parking wins)
    parked = old.removed.copy() if len(old.removed) else pd.DataFrame()
    restored: list[str] = []
    if len(parked):
        pkeys = removed_keys(parked)
        back, used = _restore_pairs(parked, pkeys, new, (~common).to_numpy(), repeats)
        for i, j in back:
            for c in PARKED_FIELDS:
                if c in parked.columns:
                    v = parked.at[j, c]
                    new[c] = new[c].astype(object)
                    new.at[i, c] = None if v is None or (isinstance(v, float) and np.isnan(v)) else v
            note = f"Back in the download: your entries from the 'Removed records' sheet ({parked.at[j, 'removed_in'] if 'removed_in' in parked.columns else 'earlier'}) are restored"
            new.at[i, "reimport_note"] = note
            restored.append(_describe(new.loc[i]))
        parked = parked[~parked.index.isin(list(used))]
    paired = np.zeros(len(prev), dtype=bool)
    paired[pos[pos >= 0]] = True
    gone = pd.Series(~paired, index=prev.index)
    removed_rows = prev[gone & work] if len(prev) else prev
    removed_list = [_describe(r) for _, r in removed_rows.iterrows()]
    removed = removed_rows.assign(removed_in=download.source)
    if len(parked):
        removed = pd.concat([parked, removed], ignore_index=True)
    new.loc[~common, "excel_row"] = 0   # new records go after the accountant's rows
    new = positioned(new)
    meta = dict(old.meta)
    meta.update({k: v for k, v in fresh.meta.items() if k in ("source", "imported_at", "tool_version")})
    if download.rtin:
        meta["rtin"] = download.rtin
    if download.period:
        meta["period"] = download.period
    older = older_download(old.meta, download, file_time)
    meta["newest_document"] = newest_document(download.records)
    if file_time:
        meta["download_file_time"] = file_time
    report = MergeReport(added=int((~common).sum()), unchanged=unchanged, updated=updated,
                         removed=int(gone.sum()) if len(prev) else 0, kept_work=kept,
                         changed_after_review=changed_after, status_changed=status_changed,
                         removed_with_work=removed_list, restored=restored, older=older, rematch=rematch)
    # the new download's texts, serialised once by new_book: the hidden copy writes them as they are
    book = ReviewBook(meta=meta, rows=new, originals=fresh.originals, seals=fresh.seals, texts=fresh.texts,
                      books=old.books, removed=removed.reset_index(drop=True), extra_sheets=old.extra_sheets,
                      reports=old.reports, log=old.log)
    return book, report


# ---------------------------------------------------------------- portal errors

def apply_portal_errors(book: ReviewBook, errors: pd.DataFrame) -> tuple[ReviewBook, pd.DataFrame]:
    """Put the portal's messages on matching records; return (book, unmatched errors).

    Matching is on section, supplier GSTIN and document number (case-insensitive), and on
    the return period when both sides carry one. Earlier portal messages are replaced.
    """
    rows = book.rows.copy()
    rows["portal_errors"] = ""
    if errors.empty:
        return replace(book, rows=rows), errors
    e = errors.copy()
    e["_k"] = [f"{s}|{g.upper()}|{d.strip().upper()}" for s, g, d in zip(e["section"], e["stin"], e["doc_no"])]
    rk = pd.Series([f"{s}|{g.upper()}|{d.strip().upper()}" for s, g, d in
                    zip(rows["section"], rows["stin"], rows["doc_no"])], index=rows.index)
    lookup: dict[str, list[int]] = {}
    for i, k in rk.items():
        lookup.setdefault(k, []).append(i)
    unmatched = []
    msgs: dict[int, list[str]] = {}
    for j, er in e.iterrows():  # error files are small: one row per rejected record
        cands = lookup.get(er["_k"], [])
        p = er["rtnprd"]
        if p.isdigit() and len(p) <= 2:  # a bare month (IMS_FORMAT §5): the year cannot be told
            cands = [i for i in cands if rows.at[i, "rtnprd"][:2] in ("", p.zfill(2))]
        elif p:
            cands = [i for i in cands if rows.at[i, "rtnprd"] in ("", p)]
        if not cands:
            unmatched.append(j)
            continue
        text = f"{er['error_cd']}: {er['message']}" if er["error_cd"] else er["message"]
        for i in cands:
            msgs.setdefault(i, []).append(text)
    for i, m in msgs.items():
        rows.at[i, "portal_errors"] = "; ".join(dict.fromkeys(m))
    return replace(book, rows=rows), errors.loc[unmatched, list(errors.columns)]


# ---------------------------------------------------------------- summary

def effective_actions(rows: pd.DataFrame) -> pd.Series:
    """The action each row will have: the typed one, or the portal status when blank/unknown."""
    t = typed_codes(rows["action_text"])
    return t.where(~t.isin(["", "?"]), rows["action"])


def summary_tables(book: ReviewBook) -> dict[str, pd.DataFrame]:
    """Counts and amounts per section and action, and ITC by action.

    Returns frames (amounts in paise):
        ``by_section``: section title, action, records, taxable value, IGST, CGST, SGST, cess.
        ``itc``: per action (No Action read as deemed accepted), IGST/CGST/SGST/cess/total.
    Credit notes reduce ITC, so their tax is counted negative in ``itc``.
    """
    rows = book.rows
    act = effective_actions(rows) if len(rows) else pd.Series(dtype=object)
    df = pd.DataFrame({"section": rows["section"], "action": act,
                       **{k: rows[k] for k in ("txval", "iamt", "camt", "samt", "cess")}})
    order = {s.key: i for i, s in enumerate(SECTIONS)}
    g = df.groupby(["section", "action"], sort=False).agg(
        records=("txval", "size"), txval=("txval", "sum"), iamt=("iamt", "sum"),
        camt=("camt", "sum"), samt=("samt", "sum"), cess=("cess", "sum")).reset_index()
    g["_o"] = g["section"].map(order)
    g["_a"] = g["action"].map({"A": 0, "N": 1, "P": 2, "R": 3})
    g = g.sort_values(["_o", "_a"]).drop(columns=["_o", "_a"]).reset_index(drop=True)
    g["section"] = g["section"].map(lambda k: SECTION_BY_KEY[k].sheet)
    g["action"] = g["action"].map(lambda a: ACTION_LABELS[Action(a)])
    sign = rows["section"].map(ITC_SIGN)
    itc = pd.DataFrame({"action": act, **{k: rows[k] * sign for k in ("iamt", "camt", "samt", "cess")}})
    t = itc.groupby("action").sum().reindex(["A", "N", "P", "R"], fill_value=0)
    t["total"] = t.sum(axis=1)
    t.index = ["Accepted", "No Action (deemed accepted)", "Pending", "Rejected"]
    t = t.reset_index(names="action")
    return {"by_section": g, "itc": t}
