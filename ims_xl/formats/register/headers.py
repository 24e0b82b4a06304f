"""Finding the header row of a register grid: headers compared by their normalised text,
one-row and two-row headers (a group label merged over its sub-columns), the candidate
labels of each column, the columns recognised by synonym, ledger-named amount columns
(Tally's ``Purchase @ 18%``), the header row itself (``_Header``) and, when none is found,
a message that names the headers seen and how to map the rest; ``map_text`` writes a
mapping back as the ``--map`` option takes it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ...model import col_letter
from .vocabulary import _AMOUNTS, _HEADER_SCAN_ROWS, _REQUIRED, FIELDS, SYNONYMS, RegisterError


# --------------------------------------------------------------------------- headers

_CURRENCY = re.compile(r"\((?:₹|rs\.?|inr|in ₹|in rs\.?|in inr)\)|₹|\bin (?:rs\.?|inr)\b")
_NON_ALNUM = re.compile(r"[^a-z0-9#]+")


def _norm_header(text: object) -> str:
    """Compare headers ignoring case, currency marks, punctuation and spaces."""
    if text is None:
        return ""
    t = str(text).strip().lower()
    t = _CURRENCY.sub("", t)
    t = _NON_ALNUM.sub("", t)
    return t.replace("#", "no")


_LOOKUP: dict[str, list[tuple[str, int]]] = {}
for _f, _syns in SYNONYMS.items():
    for _rank, _s in enumerate(_syns):
        _hits = _LOOKUP.setdefault(_norm_header(_s), [])
        if all(f != _f for f, _ in _hits):
            _hits.append((_f, _rank))


def _where(source: str, sheet: str | None) -> str:
    return f"{source}, sheet {sheet!r}" if sheet else source


def _is_blank(cell: object) -> bool:
    if cell is None:
        return True
    if isinstance(cell, float) and cell != cell:
        return True
    return isinstance(cell, str) and not cell.strip()


def _labels(rows: list[list[object]], r: int, two_rows: bool) -> list[list[str]]:
    """The candidate labels of each column of header row ``r``.

    One-row headers: the cell's text. Two-row headers (a CA firm's sheet, the GSTR-2B Excel):
    a group label in the row above, merged over its sub-columns (only its first cell holds
    the text), gives each sub-column ``"<group> <sub>"`` too (``Invoice`` + ``No.`` is
    ``Invoice No.``), and a column blank in row ``r`` under a label of its own (a cell merged
    down over both rows) takes that label.
    """
    row = rows[r]
    above = rows[r - 1] if two_rows and r > 0 else []
    width = max(len(row), len(above))
    out: list[list[str]] = []
    group = ""
    for i in range(width):
        sub = row[i] if i < len(row) else None
        up = above[i] if i < len(above) else None
        sub_t = sub.strip() if isinstance(sub, str) else ""
        up_t = up.strip() if isinstance(up, str) else ""
        if up_t:
            group = up_t
        elif not two_rows or not sub_t:
            group = ""
        cands: list[str] = []
        if sub_t:
            cands.append(sub_t)
            if sub_t[:3].lower() == "cf.":  # Zoho Books' custom fields: CF.Document Type
                cands.append(sub_t[3:].strip())
            if two_rows and group and group != sub_t:
                cands.append(f"{group} {sub_t}")
        elif two_rows and up_t:
            cands.append(up_t)
        out.append(cands)
    return out


def _auto_columns(labels: list[list[str]], taken: set[int]) -> dict[str, tuple[int, str]]:
    """(column index, label) per field recognised among the labels, the best synonym winning.

    Fields are served in the order of :data:`SYNONYMS`; a column serves one field, so a
    header that loses one field's contest (SAP's ``DocumentNo`` beside ``Reference``) can
    still serve the next (the internal voucher number).
    """
    hits: dict[str, list[tuple[int, int, str]]] = {}
    for i, cands in enumerate(labels):
        if i in taken:
            continue
        # the most specific label that names a field speaks for the column: under a two-row
        # header ``Voucher`` + ``Type`` is the voucher type, not the bare ``Type``
        for label in reversed(cands):
            found = _LOOKUP.get(_norm_header(label), ())
            for f, rank in found:
                hits.setdefault(f, []).append((rank, i, label))
            if found:
                break
    used: set[int] = set(taken)
    out: dict[str, tuple[int, str]] = {}
    for f in SYNONYMS:
        for rank, i, label in sorted(hits.get(f, ())):
            if i not in used:
                out[f] = (i, label)
                used.add(i)
                break
    return out


# Ledger-named amount columns (Tally's columnar registers): ``Purchase @ 18%``,
# ``Purchase - Interstate 12%``, ``Input CGST``, ``CGST Input @9%``, ``Cess on GST Input``.
_NOT_AMOUNT = re.compile(r"\b(no|num|number|date|order|type|ref|reference|voucher|vch|qty|quantity|"
                         r"rate|percent|percentage|itc|availed|eligib\w*|name|code|hsn|sac|gstin|"
                         r"uom|unit|account no|period|status)\b|%\s*$|^\W*%")
_LEDGER_HEADS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("cess", re.compile(r"\bcess\b")),
    ("iamt", re.compile(r"\bigst\b|\bintegrated tax\b")),
    ("camt", re.compile(r"\bcgst\b|\bcentral tax\b")),
    ("samt", re.compile(r"\b(sgst|utgst)\b|\bstate\s*/?\s*(ut)?\s*tax\b|\but tax\b")),
    ("txval", re.compile(r"\b(purchases?|taxable|assessable)\b")),
)
_RATE = re.compile(r"@?\s*\d+(?:\.\d+)?\s*%")


def _ledger_head(label: str) -> str | None:
    """The amount head a ledger-named column adds to, or None."""
    t = label.lower().replace("_", " ")
    if _NOT_AMOUNT.search(_RATE.sub(" ", t)):
        return None
    for head, pat in _LEDGER_HEADS:
        if pat.search(t):
            return head
    return None


@dataclass
class _Header:
    """A header row: where it is, the label of every column, and the columns per field."""

    row: int
    labels: list[str]
    cols: dict[str, list[int]]
    ledger: list[str] = field(default_factory=list)
    two: bool = False

    def label(self, i: int) -> str:
        return self.labels[i] if i < len(self.labels) else f"column {i + 1}"

    def named(self, f: str) -> str:
        return " + ".join(repr(self.label(i)) for i in self.cols[f])


def _header_at(rows: list[list[object]], r: int,
               wanted: dict[str, list[str]]) -> _Header | None:
    """The header at row ``r`` (one-row or two-row), or None when the row is not one.

    The one-row reading is preferred, unless row ``r`` repeats a field's label under
    different group labels of the row above (see :func:`_repeats_under_groups`): the two
    rows are then read together, or refused when together they still leave the supplier's
    number or date to a guess.

    Raises:
        RegisterError: such a header (the message names the row, not the file).
    """
    if not any(isinstance(c, str) and c.strip() for c in rows[r]):
        return None
    one = _reading(rows, r, False, wanted)
    grouped = _repeats_under_groups(rows, r) if one is not None else {}
    if one is not None and not grouped:
        return one
    if r == 0 or not any(isinstance(c, str) and c.strip() for c in rows[r - 1]):
        return one
    two = _reading(rows, r, True, wanted)
    if grouped:
        labels = _labels(rows, r, True)
        named = "; ".join(f"{text!r} in columns {', '.join(col_letter(i) for i in ix)} (under "
                          f"{', '.join(repr(labels[i][-1].rsplit(' ', 1)[0]) for i in ix)})"
                          for text, ix in grouped.items())
        # a field found only by its bare repeated label (``No.`` under a group that does not
        # name it, such as ``Party``) is still a guess between the columns
        guessed = [] if two is None else [
            f for f in ("doc_no", "doc_date") if f in two.cols and f not in wanted
            and any(two.cols[f][0] in ix for ix in grouped.values())
            and all(g != f for g, _ in _LOOKUP.get(_norm_header(two.labels[two.cols[f][0]]), ()))]
        if two is None or guessed:
            what = " and ".join(FIELDS[f] for f in guessed) or "the columns to read"
            raise RegisterError(
                f"row {r + 1} repeats headers under the groups of row {r}: {named}; read "
                f"together, the two rows do not say which column holds the {what}: name it with --map "
                f"\"{','.join(f + '=<group> <header>' for f in guessed or ['doc_no'])}\" (as in "
                "\"doc_no=Invoice No.\")")
    return two


def _repeats_under_groups(rows: list[list[object]], r: int) -> dict[str, list[int]]:
    """The labels of header row ``r`` that name a field and stand over more than one column
    under different group labels in the row above (``Voucher`` over ``No.``, ``Date``;
    ``Invoice`` over ``No.``, ``Date``), with their columns. Such a header is two rows read
    together: its lower row alone takes the first ``No.`` (the voucher's own number) as the
    supplier's. Empty for a one-row header, or a two-row one whose lower labels are unique
    (the CA firm's and GSTR-2B sheets)."""
    if r == 0 or not any(isinstance(c, str) and c.strip() for c in rows[r - 1]):
        return {}
    seen: dict[str, list[int]] = {}
    for i, c in enumerate(rows[r]):
        if isinstance(c, str) and c.strip():
            n = _norm_header(c)
            if n in _LOOKUP:
                seen.setdefault(n, []).append(i)
    repeated = {n: ix for n, ix in seen.items() if len(ix) > 1}
    if not repeated:
        return {}
    labels = _labels(rows, r, True)
    return {str(rows[r][ix[0]]).strip(): ix for n, ix in repeated.items()
            if len({_norm_header(labels[i][-1]) for i in ix}) > 1}


def _reading(rows: list[list[object]], r: int, two: bool,
             wanted: dict[str, list[str]]) -> _Header | None:
    """Row ``r`` read as a one-row header, or with the row above as a two-row one; None
    when the labels do not name a supplier GSTIN, a document number and an amount."""
    labels = _labels(rows, r, two)
    cols: dict[str, list[int]] = {}
    if wanted:
        norm = [[_norm_header(c) for c in cands] for cands in labels]
        for f, heads in wanted.items():
            idx = [next((i for i, n in enumerate(norm) if h in n), -1) for h in heads]
            if -1 in idx:
                return None
            cols[f] = idx
    taken = {i for ix in cols.values() for i in ix}
    for f, (i, _) in _auto_columns(labels, taken).items():
        if f not in cols:
            cols[f] = [i]
            taken.add(i)
    ledger: list[str] = []
    if not all(f in cols for f in _REQUIRED):
        return None
    # a document type column blank on some rows (QuickBooks' custom column beside its
    # Transaction Type) falls back to the next type column, row by row
    for i, cands in enumerate(labels):
        if i in taken or "doc_type" not in cols:
            continue
        if any(f == "doc_type" for c in cands for f, _ in _LOOKUP.get(_norm_header(c), ())):
            cols["doc_type"].append(i)
            taken.add(i)
    # ledger columns add to a head that no column of its own name holds
    extra: dict[str, list[int]] = {}
    for i, cands in enumerate(labels):
        if i in taken or not cands:
            continue
        head = _ledger_head(cands[-1])
        if head is not None and head not in cols:
            extra.setdefault(head, []).append(i)
    for head, ix in extra.items():
        cols[head] = ix
        ledger += [labels[i][-1] for i in ix]
    if not any(f in cols for f in (*_AMOUNTS, "tax")):
        return None
    flat = [(cands[-1] if cands else "") for cands in labels]
    return _Header(row=r, labels=flat, cols=cols, ledger=ledger, two=two)


def _refuse_side_by_side(rows: list[list[object]], hdr: _Header,
                         wanted: dict[str, list[str]]) -> None:
    """Refuse a header row that holds two registers side by side.

    An accountant who keeps invoices and notes on one sheet may put the notes beside the
    invoices, under the same header; read as one header, the first of each repeated label
    wins and the right-hand register is left out without a word. Read as two blocks, a
    document of each would share one row, and a document's ``Books row`` (README,
    "Several registers add up") is the row of its first line, its own: so the sheet is
    refused, with the fix (one register below the other, or on a sheet of its own, which
    are read as blocks). Seen as a blank column (in both rows of a two-row header) with a
    complete header on each side, or as the GSTIN and number headers read repeated further
    right under the same labels.

    Raises:
        RegisterError: two registers beside each other (the message names the row, not the
            file).
    """
    r = hdr.row
    row = rows[r]
    top = rows[r - 1] if hdr.two else []
    width = max(len(row), len(top))
    filled = [not (_is_blank(row[i] if i < len(row) else None)
                   and _is_blank(top[i] if i < len(top) else None)) for i in range(width)]
    where = ""
    for b in range(1, width - 1):
        if filled[b] or not any(filled[:b]) or not any(filled[b + 1:]):
            continue
        if _header_in(rows, r, 0, b, wanted) and _header_in(rows, r, b + 1, width, wanted):
            first = next(i for i in range(b + 1, width) if filled[i])
            last = max(i for i in range(width) if filled[i])
            where = (f"columns A-{col_letter(b - 1)} and {col_letter(first)}-{col_letter(last)}, each under its own "
                     "header")
            break
    if not where:
        labels = _labels(rows, r, hdr.two)
        again = _auto_columns(labels, {i for ix in hdr.cols.values() for i in ix})
        same = [f for f in _REQUIRED if f in again and _norm_header(hdr.label(again[f][0]))
                == _norm_header(hdr.label(hdr.cols[f][0]))]
        if len(same) < len(_REQUIRED) or not any(f in again for f in (*_AMOUNTS, "tax")):
            return
        f = _REQUIRED[0]
        where = (f"{hdr.label(hdr.cols[f][0])!r} in columns {col_letter(hdr.cols[f][0])} and "
                 f"{col_letter(again[f][0])}")
    raise RegisterError(
        f"row {r + 1} holds the register's headers twice ({where}): the sheet holds two "
        "registers side by side, and a document's Books row must be its own. Put one below "
        "the other (or on a sheet of its own), then run again")


def _header_in(rows: list[list[object]], r: int, lo: int, hi: int,
               wanted: dict[str, list[str]]) -> bool:
    """True when columns ``lo`` to ``hi`` of header row ``r`` make a header by themselves."""
    sub = [list(x[lo:hi]) for x in rows[max(r - 1, 0):r + 1]]
    return _header_at(sub, len(sub) - 1, wanted) is not None


def _find_header(rows: list[list[object]], where: str,
                 mapping: dict[str, list[str]] | None) -> _Header:
    """The first header row within :data:`_HEADER_SCAN_ROWS` rows of the first row holding
    anything, or a refusal. (Blank rows above are no content: a register read from the Books
    sheet below another is given blank rows above it, so its messages name sheet rows.)"""
    start = next((r for r, row in enumerate(rows)
                  if any(c is not None and not (isinstance(c, str) and not c.strip()) for c in row)), 0)
    scan = min(len(rows), start + _HEADER_SCAN_ROWS)
    wanted = {f: [_norm_header(h) for h in hs] for f, hs in (mapping or {}).items()}
    best_guess: tuple[int, int, int] | None = None  # (fields found, text cells, row index)
    for r in range(start, scan):
        try:
            found = _header_at(rows, r, wanted)
        except RegisterError as e:
            raise RegisterError(f"{where}: {e}") from None
        if found is not None:
            return found
        row = rows[r]
        texts = sum(1 for c in row if isinstance(c, str) and c.strip())
        auto = _auto_columns(_labels(rows, r, False), set())
        if texts and (best_guess is None or (len(auto), texts) > best_guess[:2]):
            best_guess = (len(auto), texts, r)
    raise RegisterError(_no_header_message(rows, where, mapping, best_guess), "no-header")


def map_text(mapping: dict[str, list[str]]) -> str:
    """A mapping as the ``--map`` option takes it: ``doc_no=Bill No,txval=A+B``."""
    return ",".join(f"{f}={'+'.join(hs)}" for f, hs in mapping.items())


def _no_header_message(rows: list[list[object]], where: str, mapping: dict[str, list[str]] | None,
                       best_guess: tuple[int, int, int] | None) -> str:
    if mapping:
        head = (f"{where}: no row in the first {_HEADER_SCAN_ROWS} holds all the mapped headers "
                f"({map_text(mapping)}), together with a supplier GSTIN, a document number and an "
                "amount column.")
    else:
        head = (f"{where}: no header row found in the first {_HEADER_SCAN_ROWS} rows: a register "
                "needs columns for the supplier GSTIN, the document number and at least one "
                "amount.")
    if best_guess is None:
        return head + " No text headers were found at all."
    r = best_guess[2]
    row = rows[r]
    found = [str(c).strip() for c in row if isinstance(c, str) and c.strip()]
    auto = _auto_columns(_labels(rows, r, False), set())
    recognised = ", ".join(f"{f} <- {label!r}" for f, (_, label) in auto.items()) or "none"
    missing = [f for f in (*_REQUIRED, "txval") if f not in auto]
    wanted = ",".join(f"{f}=<header>" for f in missing) or "stin=<header>,doc_no=<header>"
    return (f"{head} Headers found (row {r + 1}): {', '.join(repr(h) for h in found[:30])}. "
            f"Recognised: {recognised}. Say which columns hold the rest: on the command line "
            f"--map \"{wanted}\" (fields: {', '.join(FIELDS)}), or on the review workbook's "
            f"'Books settings' sheet.")


def _unused(hdr: _Header) -> list[str]:
    taken = {i for ix in hdr.cols.values() for i in ix}
    return [lab for i, lab in enumerate(hdr.labels) if lab and i not in taken]
