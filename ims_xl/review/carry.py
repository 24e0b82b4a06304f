"""Month to month: what is still open is carried forward and aged (README, "Month to month").

Pure core. An item is *open* when it still needs the accountant: an IMS record kept Pending,
a document in the books that IMS does not show (``Missing in IMS``), and any item carried from
an earlier month that is not yet closed. ``carry_forward`` brings the open items of the
previous workbook into a new one: a record that reappears in the new download is paired with
its history (remarks, owner, follow-up date, first-seen period, its Log); what does not
reappear is listed on the ``Carried forward`` sheet, so nothing open is dropped. ``ageing_grid``
lists every open item with its age and deadline, overdue first (docs/GSTR3B_WORKING.md §3, §7):

* a *specified record* (credit notes and amendments: the sections that carry the ITC-reduction
  question) first seen in a period from October 2025 may stay Pending for one tax period: it
  must be acted on before the GSTR-3B of the next period is filed (20th of the month after it);
* every other item: the Section 16(4) time limit of its document's financial year.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pandas as pd

from ..model import ACTION_LABELS, ITC_SIGN, SECTION_BY_KEY, SECTION_BY_SHEET, Action
from .book import ReviewBook, effective_actions
from .deadlines import parse_period, section_16_4
from .inputs import cell_text, per_value
from .layout import CARRIED_SHEET, MISSING_SHEET

#: First period in which specified records may stay Pending for one tax period only (V3).
ONE_PERIOD_FROM = (2025, 10)
CARRIED_HEADER: tuple[str, ...] = (
    "Item", "First seen (period)", "GSTIN of supplier", "Supplier name", "Document number", "Document date",
    "Section", "Taxable value", "ITC", "Action then", "Remarks", "Owner", "Follow-up date", "History", "Status",
)
AGEING_HEADER: tuple[str, ...] = (
    "Overdue", "Deadline", "Deadline rule", "ITC at risk", "Item", "Where", "GSTIN of supplier", "Supplier name",
    "Document number", "Document date", "First seen (period)", "Age (periods)", "Age (days)", "Owner",
    "Follow-up date", "Next step",
)
PENDING_ITEM = "IMS record kept Pending"
MISSING_ITEM = "In books, missing in IMS"
CLOSED = "Closed"


def current_period(book: ReviewBook) -> str:
    """The workbook's return period (Summary), else the latest supplier period in it."""
    p = str(book.meta.get("period", "") or "").strip()
    if parse_period(p):
        return p
    periods = [x for x in book.rows.get("rtnprd", pd.Series(dtype=object)).astype(str).unique() if parse_period(x)]
    return max(periods, key=lambda x: (x[2:], x[:2])) if periods else ""


def periods_between(first: str, now: str) -> int | None:
    a, b = parse_period(first), parse_period(now)
    if not a or not b:
        return None
    return (b[0] - a[0]) * 12 + b[1] - a[1]


def stamp_first_seen(book: ReviewBook) -> ReviewBook:
    """Fill the blank ``first_seen`` of the book's records with its current period."""
    period = current_period(book)
    rows = book.rows
    if not period or not len(rows):
        return book
    rows = rows.copy(deep=False)  # one column replaced whole below, none changed in place
    blank = per_value(rows["first_seen"], cell_text) == "" if "first_seen" in rows else pd.Series(True, index=rows.index)
    rows["first_seen"] = rows.get("first_seen", pd.Series("", index=rows.index)).astype(object).mask(blank, period)
    return replace(book, rows=rows)


def same_workbook(a: ReviewBook, b: ReviewBook) -> bool:
    """Whether ``b`` is ``a`` itself (or an unchanged copy): the same import (its hidden facts,
    Log seal included) holding the same records with the same typed work. Carrying a workbook
    into itself would list its own open items as last month's."""
    if a.meta != b.meta or len(a.rows) != len(b.rows):
        return False
    cols = [c for c in ("key", "action_text", "remarks_text", "owner_text", "follow_up_text") if c in a.rows]
    if any(c not in b.rows for c in cols):
        return False
    return all(per_value(a.rows[c], cell_text).tolist() == per_value(b.rows[c], cell_text).tolist() for c in cols)


def _itc(r) -> int:
    return ITC_SIGN[r["section"]] * int(r["iamt"] + r["camt"] + r["samt"] + r["cess"])


def _history(log: list[list[object]] | None) -> dict[str, str]:
    """Record key -> its changes of action in the Log, oldest first ("2025-11-20 No Action → Pending")."""
    from .audit import KEY_COLUMN
    if not log or len(log) < 2:
        return {}
    head = [str(h) for h in log[0]]
    if KEY_COLUMN not in head:
        return {}
    k, w, o, n = (head.index(x) for x in (KEY_COLUMN, "When", "Old action", "New action"))
    out: dict[str, list[str]] = {}
    for r in log[1:]:
        if len(r) > max(k, w, o, n) and r[k] and not str(r[k]).startswith("sealed:"):
            out.setdefault(str(r[k]), []).append(f"{str(r[w])[:10]} {r[o]} → {r[n]}")
    return {key: "; ".join(v) for key, v in out.items()}


def _norm(doc_no: object) -> str:
    return "".join(ch for ch in str(doc_no or "").upper() if ch.isalnum()).lstrip("0")


def _padded(c: list[object] | tuple) -> list[object]:
    """A row of a ``Carried forward`` sheet at the sheet's full width: the accountant may have
    deleted its last columns (the sheet is theirs to edit), so a missing cell reads as blank."""
    c = list(c or [])
    return (c + [""] * (len(CARRIED_HEADER) - len(c)))[:len(CARRIED_HEADER)]


def _blank(c: list[object] | tuple) -> bool:
    return not any(cell_text(v) for v in (c or []))


def _item_key(c: list[object]) -> tuple[str, str, str, str]:
    """One carried item: its kind, supplier GSTIN, document number (spelling-proof) and section
    or document type, so an invoice and a credit note of the same number stay apart."""
    return (cell_text(c[0]), cell_text(c[2]).upper(), _norm(cell_text(c[4])), cell_text(c[6]))


def _missing_in_ims(prev: ReviewBook) -> list[dict[str, object]]:
    """Last month's ``Missing in IMS`` rows that were really missing in IMS: a row the
    reconciliation marked ``Duplicate in books`` is the accountant's to fix in the books, not a
    document to chase the supplier for (as ``letters`` reads the same sheet). Each row as
    header -> cell. Raises when the sheet lost the header its rows are read by: its documents
    would be carried as blank rows and lost."""
    from ..errors import InputError
    from ..model import MatchStatus
    grid = prev.reports.get(MISSING_SHEET) or []
    body = [m for m in grid[1:] if not _blank(m)]
    if not body:
        return []
    h = [cell_text(x) for x in grid[0]]
    lacking = [n for n in ("GSTIN of supplier", "Document number") if n not in h]
    if lacking:
        raise InputError(f"last month's workbook: its '{MISSING_SHEET}' sheet has no '{lacking[0]}' column "
                         "(its header row was changed); run ims-xl reconcile on that workbook again to rebuild "
                         "the sheet, then carry forward again")
    col = {name: j for j, name in reversed(list(enumerate(h))) if name}
    out = []
    for m in body:
        row = {name: (m[j] if j < len(m) else "") for name, j in col.items()}
        status = cell_text(row.get("Status", ""))
        if status and status != MatchStatus.MISSING_IN_IMS.value:
            continue
        out.append(row)
    return out


def _parked_back(prev: ReviewBook, rows: pd.DataFrame, by_key: pd.Series, now_typed: pd.Series,
                 logged: dict, prev_period: str, carried: list[list[object]]) -> int:
    """Last month's open records parked on its 'Removed records' sheet (gone from its latest
    download, with a Pending, an owner or a follow-up date typed on them): one back in this
    download gets them as a record still on the section sheet would (returned: how many);
    one still gone is an open item to check on the portal. Changes ``rows`` and ``carried``."""
    from .book import removed_keys, typed_codes
    parked = prev.removed
    if parked is None or not len(parked) or "action_text" not in parked:
        return 0
    keys = removed_keys(parked)
    typed = typed_codes(parked["action_text"])
    text = {c: (parked[c].map(cell_text) if c in parked else pd.Series("", index=parked.index))
            for c in ("remarks_text", "owner_text", "follow_up_text")}
    back = 0
    for i in parked.index[(typed == "P") | (text["owner_text"] != "") | (text["follow_up_text"] != "")]:
        key = keys[i]
        if key in by_key.index:
            j = by_key[key]
            for c, v in text.items():
                if v[i] and not cell_text(rows.at[j, c]):
                    rows.at[j, c] = parked.at[i, c]
            if typed[i] == "P" and rows.at[j, "action"] == "N" and now_typed[j] in ("", "N") and key not in logged:
                rows.at[j, "action_text"] = ACTION_LABELS[Action.PENDING]
            rows.at[j, "first_seen"] = cell_text(rows.at[j, "first_seen"]) or prev_period
            back += 1
        else:
            sec = SECTION_BY_KEY.get(cell_text(parked.at[i, "section"]))
            carried.append([PENDING_ITEM, prev_period, cell_text(parked.at[i, "stin"]),
                            cell_text(parked.at[i, "tradenm"]) if "tradenm" in parked else "",
                            cell_text(parked.at[i, "doc_no"]), cell_text(parked.at[i, "doc_date"]) if "doc_date" in parked else "",
                            sec.sheet if sec else "", "", "", ACTION_LABELS[Action.PENDING] if typed[i] == "P" else "",
                            text["remarks_text"][i], text["owner_text"][i], text["follow_up_text"][i], "",
                            "Open: gone from the download (Removed records); check it on the portal"])
    return back


def carry_forward(new: ReviewBook, prev: ReviewBook) -> tuple[ReviewBook, list[str]]:
    """``new`` with the open items of ``prev`` brought forward (see the module docstring).

    This month's work wins over last month's: a record's action is filled with last month's
    typed Pending only where this month's is still No Action, neither typed in the cell nor set
    by anything the Log recorded; remarks, owner and follow-up date only where blank; and what
    the accountant typed on this month's ``Carried forward`` sheet (a second carry, or one into
    a re-imported workbook) is kept, item by item (README, "Month to month").
    """
    from .audit import last_logged_state
    from .book import typed_codes
    prev_period = current_period(prev)
    rows = new.rows.copy()
    for c in ("remarks_text", "owner_text", "follow_up_text", "first_seen", "action_text"):
        rows[c] = rows[c].astype(object)
    p = prev.rows
    act = effective_actions(p) if len(p) else pd.Series(dtype=object)
    owner = p["owner_text"].map(cell_text) if "owner_text" in p else pd.Series("", index=p.index)
    follow = p["follow_up_text"].map(cell_text) if "follow_up_text" in p else pd.Series("", index=p.index)
    open_mask = (act == "P") | (((owner != "") | (follow != "")) & act.isin(["P", "N"]))
    opened = p[open_mask]
    history = _history(prev.log)
    by_key = pd.Series(rows.index, index=rows["key"])
    now_typed = typed_codes(rows["action_text"]) if len(rows) else pd.Series(dtype=object)
    logged = last_logged_state(new.log)  # actions this workbook's Log already holds (typed or set)
    paired, carried = 0, []
    for i, r in opened.iterrows():
        first = cell_text(r.get("first_seen", "")) or prev_period
        if r["key"] in by_key.index:
            j = by_key[r["key"]]
            # the same record in the new download: its history comes with it
            for c in ("remarks_text", "owner_text", "follow_up_text"):
                if c in p and cell_text(r[c]) and not cell_text(rows.at[j, c]):
                    rows.at[j, c] = r[c]
            untouched = (rows.at[j, "action"] == "N" and now_typed[j] in ("", "N")
                         and r["key"] not in logged)
            if cell_text(r["action_text"]) and act[i] == "P" and untouched:
                rows.at[j, "action_text"] = ACTION_LABELS[Action.PENDING]
            rows.at[j, "first_seen"] = first
            paired += 1
        else:
            carried.append([PENDING_ITEM, first, r["stin"], r["tradenm"], r["doc_no"], r["doc_date"],
                            SECTION_BY_KEY[r["section"]].sheet, int(r["txval"]) / 100, _itc(r) / 100,
                            ACTION_LABELS[Action(act[i])], cell_text(r.get("remarks_text", "")), owner[i], follow[i],
                            history.get(r["key"], ""), "Open: not in this download; check it on the portal"])
    paired += _parked_back(prev, rows, by_key, now_typed, logged, prev_period, carried)
    # books documents IMS did not show last month, and earlier months' open items
    in_ims = {(s, _norm(d)): (sh, int(x)) for s, d, sh, x in
              zip(rows["stin"], rows["doc_no"], rows["sheet"], rows["excel_row"])}
    closed = 0
    for m in _missing_in_ims(prev):
        get = m.get
        key = (cell_text(get("GSTIN of supplier", "")).upper(), _norm(cell_text(get("Document number", ""))))
        item = [MISSING_ITEM, prev_period, get("GSTIN of supplier", ""), get("Supplier name", ""),
                get("Document number", ""), get("Document date", ""), get("Document type", ""),
                get("Taxable value", ""), get("ITC", ""), "", "", "", "",
                f"{get('Status', '')}: {get('Reasons', '')}".strip(": "), ""]
        if key in in_ims:
            sh, x = in_ims[key]
            item[-1] = f"{CLOSED}: now in IMS ({sh} row {x})"
            closed += 1
        else:
            item[-1] = "Open: ask the supplier to file it in GSTR-1/IFF"
        carried.append(item)
    for c in (prev.reports.get(CARRIED_SHEET) or [])[1:]:
        if _blank(c):
            continue
        c = _padded(c)
        if str(c[-1]).startswith(CLOSED):
            continue
        key = (cell_text(c[2]).upper(), _norm(cell_text(c[4])))
        if key in in_ims:
            sh, x = in_ims[key]
            c[-1] = f"{CLOSED}: now in IMS ({sh} row {x})"
            closed += 1
        carried.append(c)
    carried = _keep_this_months(carried, new.reports.get(CARRIED_SHEET) or [])
    reports = dict(new.reports)
    reports[CARRIED_SHEET] = [list(CARRIED_HEADER), *carried]
    book = replace(new, rows=rows, reports=reports)
    still = sum(1 for c in carried if not str(c[-1]).startswith(CLOSED))
    msgs = [f"Carried forward from {prev.meta.get('source', 'the previous workbook')} ({prev_period or '?'}): "
            f"{paired:,} open record(s) found again in this download with their history; {still:,} open "
            f"item(s) listed on the '{CARRIED_SHEET}' sheet; {closed:,} closed (now in IMS)"]
    return book, msgs


def _keep_this_months(carried: list[list[object]], sheet: list[list[object]]) -> list[list[object]]:
    """``carried`` (worked out from last month) merged with this month's ``Carried forward``
    sheet: an item already on it keeps this month's row, as the accountant may have typed its
    owner, follow-up date, remarks or status there; only its blank cells are filled, and an
    item found in IMS now is closed whatever its row said. Rows of this month's sheet that last
    month does not give (typed in by hand, or from an earlier carry) stay: nothing is dropped."""
    mine: dict[tuple, list[list[object]]] = {}
    for c in sheet[1:]:
        if not _blank(c):
            mine.setdefault(_item_key(_padded(c)), []).append(_padded(c))
    out = []
    for c in carried:
        same = mine.get(_item_key(c))
        if not same:
            out.append(c)
            continue
        kept = same.pop(0)
        merged = [k if cell_text(k) else f for k, f in zip(kept, c)]
        if str(c[-1]).startswith(f"{CLOSED}: now in IMS") and not str(kept[-1]).startswith(CLOSED):
            merged[-1] = c[-1]
        out.append(merged)
    out += [c for rest in mine.values() for c in rest]
    return out


def _as_date(v: object) -> date | None:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    t = cell_text(v)
    for fmt in ("%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(t[:10], fmt).date()
        except ValueError:
            continue
    return None


def _deadline(section: str, first_seen: str, doc_date: object) -> tuple[date | None, str]:
    first = parse_period(first_seen)
    sec = SECTION_BY_KEY.get(section)
    if sec is not None and sec.itc_reduction and first and first >= ONE_PERIOD_FROM:
        y, m = first
        y2, m2 = (y + (m + 1) // 12, (m + 1) % 12 + 1)  # the 20th two months on: next period's GSTR-3B
        return date(y2, m2, 20), "specified record: Pending for one tax period only (from Oct-2025)"
    d = _as_date(doc_date)
    if d is None:
        return None, "Section 16(4): document date unreadable"
    return section_16_4(d.year, d.month), "Section 16(4) time limit"


def ageing_grid(book: ReviewBook, today: date | None = None) -> list[list[object]]:
    """The ``Ageing`` sheet: every open item, overdue first, then by ITC at risk."""
    today = today or date.today()
    period = current_period(book)
    rows = book.rows
    items: list[tuple] = []
    if len(rows):
        act = effective_actions(rows)
        used = [c for c in ("first_seen", "section", "doc_date", "pend_blocked", "iamt", "camt", "samt", "cess",
                            "sheet", "excel_row", "stin", "tradenm", "doc_no", "owner_text", "follow_up_text")
                if c in rows]
        memo: dict = {}  # a month's sections, periods and dates repeat: each deadline worked out once

        def once(fn, *key):
            k = (fn, *key, *map(type, key))  # typed: 1 and 1.0 are different cells
            try:
                return memo[k]
            except KeyError:
                out = memo[k] = fn(*key)
                return out
            except TypeError:  # an unhashable cell: worked out alone
                return fn(*key)

        # the Pending rows' cells taken column by column (to_dict("records") boxed each cell
        # on its own: 0.1 s of 0.24 s for the 15,691 Pending records of a 100,000-record run)
        pick = (act == "P").to_numpy()
        cells = [rows[c].to_numpy(dtype=object)[pick].tolist() for c in used]
        for r in (dict(zip(used, t)) for t in zip(*cells)):
            first = cell_text(r.get("first_seen", "")) or period
            due, rule = once(_deadline, r["section"], first, r["doc_date"])
            if bool(r.get("pend_blocked", False)):
                due, rule = today, "the portal blocks Pending on this record: act now"
            d = once(_as_date, r["doc_date"])
            age = once(periods_between, first, period)
            items.append((due, _itc(r), PENDING_ITEM, f"{r['sheet']} row {int(r['excel_row'])}", r["stin"],
                          r["tradenm"], r["doc_no"], r["doc_date"], first, age, (today - d).days if d else None,
                          cell_text(r.get("owner_text", "")), cell_text(r.get("follow_up_text", "")),
                          "Accept or reject once the supplier confirms", rule))
    for c in (book.reports.get(CARRIED_SHEET) or [])[1:]:
        if _blank(c):
            continue
        c = _padded(c)  # its last columns may have been deleted: read as blank, as carry_forward does
        if str(c[-1]).startswith(CLOSED):
            continue
        first = str(c[1] or "")
        # a record carried from a section sheet keeps its section's rule (a specified record's
        # one tax period); a books document's column holds its type, so it takes Section 16(4)
        sec = SECTION_BY_SHEET.get(cell_text(c[6])) if c[0] == PENDING_ITEM else None
        due, rule = _deadline(sec.key if sec else "", first, c[5])
        d = _as_date(c[5])
        try:
            itc = int(round(float(c[8] or 0) * 100))
        except (TypeError, ValueError):
            itc = 0
        items.append((due, itc, c[0], CARRIED_SHEET, c[2], c[3], c[4], c[5], first, periods_between(first, period),
                      (today - d).days if d else None, c[11], c[12],
                      "Ask the supplier to file it in GSTR-1/IFF" if c[0] == MISSING_ITEM else str(c[-1]), rule))
    far = date(9999, 12, 31)
    items.sort(key=lambda t: (not (t[0] is not None and t[0] < today), -(t[1] or 0), t[0] or far))
    grid: list[list[object]] = [list(AGEING_HEADER)]
    for t in items:
        due = t[0]
        grid.append(["Yes" if due is not None and due < today else "No",
                     due.strftime("%d-%m-%Y") if due else "", t[14], t[1] / 100, *t[2:14]])
    return grid


#: Match statuses whose ITC the books back.
BACKED = ("Matched", "Matched within tolerance")


def itc_at_risk(book: ReviewBook) -> int | None:
    """ITC in paise (IGST + CGST + SGST + cess) of invoices, debit notes and their amendments
    (credit notes reduce ITC: left out) whose action is Accept or No Action (deemed accepted)
    and whose match status is not Matched or Matched within tolerance: credit claimed that the
    books do not back. None when no record carries a match status (not reconciled)."""
    rows = book.rows
    if not len(rows) or "match_status" not in rows or not rows["match_status"].astype(str).str.strip().ne("").any():
        return None
    act = effective_actions(rows)
    taken = act.isin(["A", "N"])
    unbacked = ~rows["match_status"].astype(str).str.strip().isin(BACKED)
    not_cn = rows["section"].map(ITC_SIGN) > 0
    sel = rows[taken & unbacked & not_cn]
    return int(sum(int(sel[k].sum()) for k in ("iamt", "camt", "samt", "cess")))


def overdue_items(book: ReviewBook, today: date | None = None) -> int:
    """How many open items are past their deadline (the Ageing sheet's rule)."""
    return sum(1 for r in ageing_grid(book, today)[1:] if r[0] == "Yes")
