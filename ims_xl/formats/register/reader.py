"""Reading a register grid: the ``--map`` and ``--voucher-kind`` options parsed
(``parse_map``, ``parse_voucher_kinds``), ``read_register_grid`` (the entry: the header
found, every block below a header read, the lines grouped into documents and the read
checked), further header rows (a repeated page header or a second register stacked below),
one block's rows read into line rows (identifiers, GSTIN column check, amounts, dates,
document kinds, rows that are not documents), and continuation lines that carry the document
above them."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ...bulk import picked
from ...gstin import is_valid_gstin
from ...money import shown
from .cells import (_GSTIN_SHAPE, _NAT, DateOrderError, _cached, _doc_kind, _ident, _parse_date, _pos,
                    _rows_list, _text, _voucher_kind, date_order, paise_column)
from .documents import _check_plausible, _group_documents, _split_tax
from .headers import (_find_header, _Header, _header_at, _is_blank, _norm_header,
                      _refuse_side_by_side, _where)
from .vocabulary import (_AMOUNTS, _IDENT_FIELDS, FIELDS, HEAD_KEYS, KIND_LABEL, KIND_NAMES,
                         SYNONYMS, RegisterError, RegisterResult, kind_word)


# --------------------------------------------------------------------------- reader


def parse_map(text: str) -> dict[str, list[str]]:
    """A column mapping from ``--map`` text: ``doc_no=Bill No,txval=Purchase 18%+Purchase 5%``.

    Fields are :data:`FIELDS`; ``+`` adds several columns into one amount head.

    Raises:
        RegisterError: a part without ``=``, an unknown field, or no header.
    """
    parts = re.split(r",\s*(?=(?:%s)\s*=)" % "|".join(FIELDS), str(text).strip())
    out: dict[str, list[str]] = {}
    for part in parts:
        if not part.strip():
            continue
        if "=" not in part:
            raise RegisterError(f"column mapping {part!r}: write field=header, such as "
                                f"doc_no=Bill No (fields: {', '.join(FIELDS)})")
        f, _, h = part.partition("=")
        f = f.strip().lower()
        heads = [x.strip() for x in h.split("+") if x.strip()]
        if f not in FIELDS:
            raise RegisterError(f"column mapping: unknown field {f!r}; fields are: {', '.join(FIELDS)}")
        if not heads:
            raise RegisterError(f"column mapping: no header given for {f!r}")
        out[f] = heads
    return out


def parse_voucher_kinds(text: str) -> dict[str, str]:
    """Voucher types -> the supplier's document: ``"Debit Note=debit_note,Rate Diff=invoice"``.

    Raises:
        RegisterError: a part without ``=`` or an unknown document kind.
    """
    out: dict[str, str] = {}
    for part in str(text).split(","):
        if not part.strip():
            continue
        v, _, k = part.partition("=")
        kind = KIND_NAMES.get(kind_word(k))
        if not kind_word(v) or kind is None:
            raise RegisterError(f"voucher kind {part.strip()!r}: write <voucher type>=<invoice, "
                                "credit_note or debit_note>, such as \"Debit Note=credit_note\"")
        out[kind_word(v)] = kind
    return out


def _as_lists(mapping: dict[str, str] | dict[str, list[str]] | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f, h in (mapping or {}).items():
        heads = [h] if isinstance(h, str) else list(h)
        heads = [str(x).strip() for x in heads if str(x).strip()]
        if heads:
            out[f] = heads
    return out


def read_register_grid(rows: list[list[object]], source: str, sheet: str | None = None,
                       mapping: dict[str, str] | dict[str, list[str]] | None = None, *,
                       voucher_kinds: dict[str, str] | None = None,
                       recipient_state: str = "",
                       without_value: dict[tuple[int, int], str] | None = None) -> RegisterResult:
    """Read a purchase register grid into one row per document.

    Args:
        rows: the cells of the CSV or worksheet, top to bottom, as the shell read them.
        source: the file name, quoted in every message.
        sheet: the worksheet name (``None`` for a CSV).
        mapping: logical field -> header text (or several, added together for an amount
            head), for columns the synonyms do not find (fields: :data:`FIELDS`). Mapped
            headers win over synonyms.
        voucher_kinds: voucher type (:func:`kind_word` key) -> document kind, over
            :data:`VOUCHER_KINDS`.
        recipient_state: the recipient's state code; splits a combined tax column without a
            tax name into IGST (another state) or CGST + SGST (the same state).
        without_value: the cells (row, column from 0) the shell found holding no value it
            could read (an Excel error, a formula never calculated), each with what it
            holds instead; one in a column read is refused, as it reads as empty or 0.

    Returns:
        A :class:`RegisterResult`; ``books`` has the columns :data:`BOOKS_COLUMNS`.

    Raises:
        RegisterError: empty grid, no recognisable header row, a GSTIN column that holds
            names, text in an amount column, an unknown field in ``mapping``, or a read
            that looks wrong (no taxable value, taxes not read, internal sequence numbers
            for document numbers, every document negative with no document type).
    """
    where = _where(source, sheet)
    wanted = _as_lists(mapping)
    unknown = [k for k in wanted if k not in FIELDS]
    if unknown:
        raise RegisterError(f"{where}: unknown field(s) {unknown} in the column mapping; "
                            f"fields are: {', '.join(FIELDS)}")
    grid = [r if r is not None else [] for r in rows]
    if not any(not _is_blank(c) for r in grid for c in r):
        raise RegisterError(f"{where}: the register is empty (no cells with data)", "no-rows")
    first = _find_header(grid, where, wanted)
    wanted_norm = {f: [_norm_header(h) for h in hs] for f, hs in wanted.items()}
    try:
        blocks = [first, *_more_headers(grid, first, wanted_norm)]
        for hdr in blocks:
            _refuse_side_by_side(grid, hdr, wanted_norm)
    except RegisterError as e:
        raise RegisterError(f"{where}: {e}") from None
    if without_value:
        _refuse_without_value(grid, blocks, without_value, where)
    warnings: list[str] = []
    parts: list[pd.DataFrame] = []
    flags = {"val": False, "voucher_no": False, "kind": False, "tax": False, "txval": False}
    for k, hdr in enumerate(blocks):
        end = blocks[k + 1].row - (1 if blocks[k + 1].two else 0) if k + 1 < len(blocks) \
            else len(grid)
        lines = _read_block(grid, hdr, end, where, warnings, voucher_kinds or {}, recipient_state)
        if lines is not None:
            parts.append(lines)
        flags["val"] |= "val" in hdr.cols
        flags["voucher_no"] |= "voucher_no" in hdr.cols
        flags["kind"] |= "doc_type" in hdr.cols or "voucher_type" in hdr.cols
        flags["tax"] |= any(f in hdr.cols for f in ("iamt", "camt", "samt", "tax"))
        flags["txval"] |= "txval" in hdr.cols
    if len(blocks) > 1:
        warnings.append(f"{where}: {len(blocks)} header rows (rows "
                        f"{', '.join(str(b.row + 1) for b in blocks)}): each starts a block read "
                        "with its own columns")
    if not parts:
        raise RegisterError(f"{where}: the header is on row {first.row + 1} but no data rows "
                            "follow it", "no-rows")
    lines = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    books = _group_documents(lines, has_val=flags["val"], has_vch=flags["voucher_no"],
                             has_kind=flags["kind"], warnings=warnings, where=where, header=first)
    _check_plausible(books, first, flags, where)
    used = {f: " + ".join(first.label(i) for i in ix) for f, ix in first.cols.items()}
    return RegisterResult(books=books, mapping=used, header_row=first.row + 1, warnings=warnings)


def _refuse_without_value(grid: list[list[object]], blocks: list[_Header],
                          without_value: dict[tuple[int, int], str], where: str) -> None:
    """Refuse a register whose columns read hold cells without a value (read as empty or 0,
    they would match nothing or the wrong amount, silently), naming the first and the rows
    of the rest, with the fix."""
    bad: list[tuple[int, int, str, str]] = []
    for k, hdr in enumerate(blocks):
        end = blocks[k + 1].row - (1 if blocks[k + 1].two else 0) if k + 1 < len(blocks) else len(grid)
        field_of = {i: f for f, ix in hdr.cols.items() for i in ix}
        bad += [(r, c, hdr.label(c), field_of[c]) for (r, c) in without_value
                if hdr.row < r < end and c in field_of]
    if not bad:
        return
    bad.sort()
    r, c, label, f = bad[0]
    what = without_value[(r, c)]
    errors = any(without_value[(b[0], b[1])].startswith("the Excel error") for b in bad)
    formulas = any(not without_value[(b[0], b[1])].startswith("the Excel error") for b in bad)
    rows = sorted({b[0] + 1 for b in bad})
    fix = []
    if errors:
        fix.append("correct or clear the error cells (#N/A often comes from a lookup that found "
                   "nothing) and save the file")
    if formulas:
        fix.append("open the file in Excel or LibreOffice and save it, which stores every formula's "
                   "result (the program that wrote it stores formulas without calculating them), "
                   "or export the register again as CSV")
    raise RegisterError(
        f"{where}: row {r + 1}, column {label!r} ({FIELDS[f]}) holds {what}, which reads as an empty "
        f"cell or 0" + (f"; {len(bad) - 1} more such cell(s) in the columns read, on rows "
                         f"{_rows_list(rows)}" if len(bad) > 1 else "")
        + ". To read the register: " + "; ".join(fix) + ", then run again")


_SYN_CELLS = frozenset(s.strip().lower() for syns in SYNONYMS.values() for s in syns)


def _more_headers(grid: list[list[object]], first: _Header,
                  wanted: dict[str, list[str]]) -> list[_Header]:
    """Header rows further down: a page header repeated, or a second register (another
    sheet's, or another file's) stacked below the first on the Books sheet."""
    out: list[_Header] = []
    si = first.cols["stin"][0]
    # a data row holds a GSTIN under the GSTIN header: only the other rows are looked at,
    # each distinct cell tested once and the rows found with array operations (0.10 ->
    # 0.03 s on a 100,000-row register)
    below = grid[first.row + 1:]
    try:
        cells = [row[si] for row in below]
    except IndexError:  # a short row: it holds no GSTIN there
        cells = [row[si] if si < len(row) else None for row in below]
    try:
        gstins = {c for c in set(cells) if isinstance(c, str) and len(t := c.strip()) == 15
                  and t[:2].isdigit()}
        held = np.fromiter(map(gstins.__contains__, cells), dtype=bool, count=len(cells))
    except TypeError:  # a cell that cannot be hashed: tested one by one
        held = np.array([isinstance(c, str) and len(t := c.strip()) == 15 and t[:2].isdigit()
                         for c in cells], dtype=bool)
    others = (np.flatnonzero(~held) + (first.row + 1)).tolist()
    taken = -1  # the last row a header took
    for r in others:
        if r <= taken:
            continue
        row = grid[r]
        hits = sum(1 for c in row if isinstance(c, str) and c.strip().lower() in _SYN_CELLS)
        if hits >= 1:
            h = _header_at(grid, r, {})
            if h is None and wanted:
                h = _header_at(grid, r, wanted)
            if h is None and r + 1 < len(grid):
                h2 = _header_at(grid, r + 1, {})
                if h2 is not None and h2.two:
                    h, taken = h2, r + 1
            if h is not None:
                out.append(h)
    return out


def _read_block(grid: list[list[object]], hdr: _Header, end: int, where: str, warnings: list[str],
                voucher_kinds: dict[str, str], recipient_state: str) -> pd.DataFrame | None:
    """The line rows of one block (header ``hdr``, data up to row ``end``), or None if empty."""
    cols = hdr.cols
    h = hdr.row
    first_line = h + 2  # 1-based file line of the first data row
    col_idx = sorted({i for ix in cols.values() for i in ix})
    width = col_idx[-1] + 1
    body = grid[h + 1:end]
    stripped: dict[str, list[str]] = {}  # identity columns of text only, stripped, of every row
    if body and min(map(len, body)) >= width and _has_filled_identity(body, cols, stripped):
        # an identity filled on every row: no row is blank, none continues the one above
        kept_rows, keep, cont = body, list(range(len(body))), np.zeros(len(body), dtype=bool)
    else:
        stripped.clear()  # the rows kept are not every row
        kept_rows: list[list[object]] = []
        keep: list[int] = []
        for k, row in enumerate(body):
            if len(row) < width:
                row = [*row, *([None] * (width - len(row)))]
            for i in col_idx:
                c = row[i]
                if c is not None and not (c == "" or (isinstance(c, str) and not c.strip())
                                          or (isinstance(c, float) and c != c)):
                    kept_rows.append(row)
                    keep.append(k)
                    break
        if not keep:
            return None
        kept_rows, keep, cont = _continuations(kept_rows, keep, cols)
        if not keep:
            return None
    if hdr.ledger:
        warnings.append(f"{where}: amounts added from ledger columns: "
                        + ", ".join(f"{FIELDS[f].split(' (')[0]} = {hdr.named(f)}"
                                    for f in HEAD_KEYS if f in cols and
                                    any(hdr.label(i) in hdr.ledger for i in cols[f])))

    # the columns read, each row's cells taken together (a pass per column went through the
    # 110,000 rows again, out of the processor's cache: 0.1 -> 0.04 s for a 12-column export)
    by_index = dict(zip(col_idx, picked(kept_rows, col_idx)))

    def column(f: str, j: int = 0) -> list[object]:
        return list(by_index[cols[f][j]])  # a copy: a caller may change its own

    # identifiers ------------------------------------------------------------------------
    values: dict[str, list[str]] = {}
    numeric_rows: dict[str, list[int]] = {}
    for f in ("stin", "tradenm", "doc_no", "orig_doc_no", "voucher_no", "doc_type",
              "voucher_type", "tax_name"):
        if f not in cols:
            continue
        # a column of text only is each text stripped, as _ident strips it: the column read
        # by _has_filled_identity is taken as it is, another stripped at once (str.strip
        # refuses a cell that is not text), without a pass over its cells' types first (on
        # 110,000 rows, passes over cells scattered in memory cost 0.01 s each: 0.055 s less)
        if f in stripped:
            values[f] = stripped[f]
            numeric_rows[f] = []
            continue
        raw = column(f)
        try:
            values[f] = list(map(str.strip, raw))
            numeric_rows[f] = []
            continue
        except TypeError:
            pass
        out, nums = [], []
        for k, c in zip(keep, raw):
            t, was_num = _ident(c)
            out.append(t)
            if was_num and f in _IDENT_FIELDS:
                nums.append(k + first_line)
        values[f] = out
        numeric_rows[f] = nums
    # each distinct GSTIN normalised once (a register repeats its suppliers)
    normal = {s: s.replace(" ", "").upper() for s in set(values["stin"])}
    stin = list(map(normal.__getitem__, values["stin"]))
    doc_no = values["doc_no"]
    label = {f: hdr.named(f) for f in cols}

    # a GSTIN column full of names: refuse rather than match nothing
    nonempty = len(stin) - stin.count("")
    if not nonempty:
        raise RegisterError(f"{where}: column {label['stin']} (supplier GSTIN) is empty in every "
                            f"data row; map the GSTIN column with --map \"stin=<header>\"")
    suppliers = set(normal.values())  # each GSTIN once
    shaped_ones = {s for s in suppliers if len(s) == 15 and _GSTIN_SHAPE.fullmatch(s)}
    shaped = sum(map(shaped_ones.__contains__, stin))
    if shaped * 2 < nonempty:
        bad = [(k, values["stin"][j]) for j, (k, s) in enumerate(zip(keep, stin))
               if s and not (len(s) == 15 and _GSTIN_SHAPE.fullmatch(s))][:3]
        examples = "; ".join(f"row {k + first_line}: {v!r}" for k, v in bad)
        raise RegisterError(
            f"{where}: column {label['stin']} (mapped to the supplier GSTIN) does not hold "
            f"GSTINs: {nonempty - shaped} of {nonempty} values are not 15-character "
            f"GSTINs ({examples}). Map the column that holds GSTINs with --map \"stin=<header>\"")

    # amounts ----------------------------------------------------------------------------
    n = len(keep)
    amounts: dict[str, np.ndarray] = {}
    for f in (*_AMOUNTS, "tax"):
        if f not in cols:
            continue
        arr = np.zeros(n, dtype=np.int64)
        for j_col, i in enumerate(cols[f]):
            # given where, the column and the rows, paise_column reads every cell (refusing one
            # that is no amount, naming its row)
            arr += paise_column(column(f, j_col), where, f"{hdr.label(i)!r} ({FIELDS[f]})",
                                lambda j: keep[j] + first_line, "doc_type" in cols or "voucher_type" in cols)
        amounts[f] = arr
    if "tax" in amounts and not any(f in cols for f in ("iamt", "camt", "samt")):
        _split_tax(amounts, values.get("tax_name"), column("pos") if "pos" in cols else None,
                   recipient_state, [k + first_line for k in keep], where, label["tax"])
    amounts.pop("tax", None)
    for f in HEAD_KEYS:
        amounts.setdefault(f, np.zeros(n, dtype=np.int64))
    # an unlabelled line that adds up everything above it is a total, not a second rate
    tx = amounts["txval"]
    running = np.concatenate(([0], np.cumsum(tx)[:-1]))
    total = cont & (tx == running) & (np.arange(n) >= 2) & (tx != 0)

    # dates ------------------------------------------------------------------------------
    dates = np.full(n, _NAT, dtype="datetime64[ns]")
    bad_dates: list[int] = []
    if "doc_date" in cols:
        date_cells = column("doc_date")
        try:  # day-first or month-first, decided for the whole column (cells.date_order)
            month_at = date_order(date_cells)
        except DateOrderError as e:
            d, m = e.day_first, e.month_first
            raise RegisterError(
                f"{where}: column {label['doc_date']} holds dates in both orders: row "
                f"{keep[d] + first_line} ({shown(date_cells[d])}) can only be day first (dd/mm) and "
                f"row {keep[m] + first_line} ({shown(date_cells[m])}) only month first (mm/dd), so "
                "the dates between cannot be read with certainty. Write the column's dates in one "
                "order (or as Excel dates) and run again") from None
        month_first = month_at is not None
        if month_first:
            warnings.append(
                f"{where}: the dates in column {label['doc_date']} were read month first "
                f"(mm/dd/yyyy, as US-locale Excel writes them): row {keep[month_at] + first_line} "
                f"holds {shown(date_cells[month_at])}, which can only be month first, and no date "
                "can only be day first")
        cache: dict[object, np.datetime64 | None] = {}
        for j, c in enumerate(date_cells):
            if c is None:
                continue
            key = (type(c), c)
            v = cache.get(key, False)
            if v is False:
                v = cache[key] = _parse_date(c, month_first)
            if v is None:
                bad_dates.append(keep[j] + first_line)
            else:
                dates[j] = v
    else:
        warnings.append(f"{where}: no document date column was found; dates are not compared")
    if bad_dates:
        warnings.append(f"{where}: {len(bad_dates)} date(s) in column {label['doc_date']} could "
                        f"not be read and were left empty: rows {_rows_list(bad_dates)}")

    # document kind: the supplier's document type wins over the books' voucher type, row by
    # row (a type column blank on a row falls back to the next one) ------------------------
    sources: list[tuple[str, list[str]]] = []
    for f in ("doc_type", "voucher_type"):
        for j_col in range(len(cols.get(f, ()))):
            texts = values[f] if j_col == 0 else [_text(c) for c in column(f, j_col)]
            # a type column that names the books' own vouchers (Purchase, Purchase Return:
            # Marg's TYPE) is a voucher type, whatever its header says
            voucher = f == "voucher_type" or any("purchase" in kind_word(t) for t in set(texts))
            sources.append(("voucher_type" if voucher else "doc_type", texts))
    # a number column named after one kind of note (Zoho's "Vendor Credit Number") says
    # what its rows are when no type column does
    named = kind_word(hdr.label(cols["doc_no"][0]))
    default = ("credit_note" if "credit" in named and "debit" not in named else
               "debit_note" if "debit" in named and "credit" not in named else "invoice")
    kinds = [default] * n
    if sources:
        kind_cache: dict[tuple[str, str], str | None] = {}
        unknown_words: dict[tuple[str, str], int] = {}
        for j in range(n):
            for f, texts in sources:
                t = texts[j]
                if not t:
                    continue
                key = (f, t)
                if key not in kind_cache:
                    kind_cache[key] = _doc_kind(t) if f == "doc_type" else _voucher_kind(t, voucher_kinds)
                kd = kind_cache[key]
                if kd is None:
                    unknown_words.setdefault(key, keep[j] + first_line)
                    kd = "invoice"
                kinds[j] = kd
                break
        if unknown_words:
            warnings.append(
                f"{where}: document or voucher types not recognised, read as invoices: "
                + ", ".join(f"{w!r} (first on row {r})" for (_, w), r in unknown_words.items())
                + " (map voucher types with --voucher-kind \"<type>=credit_note\")")
        notes = [f"{t!r} -> {KIND_LABEL[k]}" for (f, t), k in kind_cache.items()
                 if f == "voucher_type" and k and k != "invoice"]
        if notes:
            warnings.append(f"{where}: voucher types read as the supplier's documents: "
                            + ", ".join(notes))

    lines = pd.DataFrame({
        "_line": np.asarray(keep, dtype=np.int64) + first_line,
        "stin": stin,
        "tradenm": values.get("tradenm", [""] * n),
        "doc_kind": kinds,
        "doc_no": doc_no,
        "doc_date": dates,
        "pos": _cached(_pos, column("pos")) if "pos" in cols else [""] * n,
        "orig_doc_no": values.get("orig_doc_no", [""] * n),
        "_vch": values.get("voucher_no", [""] * n),
        **{f: amounts[f] for f in _AMOUNTS if f in amounts},
    })
    if "val" not in lines:
        lines["val"] = np.zeros(n, dtype=np.int64)
    if cont.any():
        total = _sums_above(cont, total, amounts, stin, keep, first_line, where, warnings)
    if total.any():
        lines = lines.loc[~total]

    # rows that are not documents: totals, unregistered suppliers ------------------------
    no_stin = lines["stin"] == ""
    if no_stin.any():
        skipped = lines.loc[no_stin & (lines["doc_no"] != "") & ~lines["doc_no"].str.lower()
                            .str.startswith("total"), "_line"].tolist()
        if skipped:
            warnings.append(f"{where}: {len(skipped)} row(s) without a supplier GSTIN were left out "
                            f"(unregistered suppliers are not in the IMS): rows "
                            f"{_rows_list(skipped)}")
        lines = lines.loc[~no_stin]
    # each GSTIN checked once, over the line rows as read (lines keeps their positions as
    # its index): 0.06 s less than a pass over the frame's column
    good = {s for s in suppliers if is_valid_gstin(s)}
    valid = np.fromiter(map(good.__contains__, stin), dtype=bool, count=n)
    bad_gstin = lines.loc[~valid[lines.index.to_numpy()], "_line"].tolist()
    if bad_gstin:
        warnings.append(f"{where}: {len(bad_gstin)} supplier GSTIN(s) fail the GSTIN check and can "
                        f"only match at PAN level: rows {_rows_list(bad_gstin)}")
    no_number = lines.loc[lines["doc_no"] == "", "_line"].tolist() if "" in doc_no else []
    if no_number:
        warnings.append(f"{where}: {len(no_number)} row(s) have no document number: rows "
                        f"{_rows_list(no_number)}")
    for f, rws in numeric_rows.items():
        if rws:
            warnings.append(
                f"{where}: column {label[f]} held {len(rws)} number(s) instead of text (rows "
                f"{_rows_list(rws)}): leading zeros may have been lost (they are ignored when "
                "matching); format the column as Text")
    return lines


def _sums_above(cont: np.ndarray, total: np.ndarray, amounts: dict[str, np.ndarray],
                stin: list[str], keep: list[int], first_line: int, where: str,
                warnings: list[str]) -> np.ndarray:
    """Which continuation lines (rows without identity, see :func:`_continuations`) are
    totals rather than a document's next rate line.

    ``total`` holds the lines already found to add up everything above them (a grand total).
    An accountant's per-supplier subtotal (bills sorted by GSTIN, the amount cells under each
    supplier's bills selected and summed with AutoSum, which in a filtered list writes
    ``=SUBTOTAL(9,...)``; no label, unlike Excel's Data > Subtotal) is a line whose every head
    equals the sum of the lines since the GSTIN last changed (or since the previous total):
    a total. One equal to the sum of all lines since the block started, past the subtotals,
    is the grand total.

    A line that repeats the single line above it is a one-bill supplier's subtotal or a
    second line of the same amount on that bill. Marg and Tally print one line per GST rate
    (two lines at one rate are one line), so it is a subtotal when the register shows
    subtotals elsewhere (a group of two lines or more closed by its sum) and the line closes
    its supplier's group. With no subtotal elsewhere it is the bill's second line, unless
    every supplier's group closes with such a line (one-bill suppliers each with a
    subtotal, or every bill in two equal lines): that, and a repeat inside a group of a
    register with subtotals, is refused rather than guessed.

    Raises:
        RegisterError: a repeated line the register does not settle.
    """
    heads = np.stack([amounts[f] for f in HEAD_KEYS], axis=1)
    pre = np.vstack([np.zeros((1, len(HEAD_KEYS)), dtype=np.int64), np.cumsum(heads, axis=0)])
    s = np.asarray(stin, dtype=object)
    starts = np.flatnonzero(s[1:] != s[:-1]) + 1  # where the GSTIN changes
    n = len(cont)
    idx_arr = np.flatnonzero(cont)
    k = np.searchsorted(starts, idx_arr, side="right")
    gst_start = np.where(k > 0, starts[np.maximum(k - 1, 0)] if len(starts) else 0, 0).tolist()
    idx = idx_arr.tolist()
    # the taxable value tested first in plain ints, the other heads only when it agrees
    # (a Marg register is half continuation lines: a step per line must stay cheap)
    tx = amounts["txval"].tolist()
    pre_tx = pre[:, 0].tolist()

    def same(j: int, sums: np.ndarray) -> bool:
        return bool((heads[j] == sums).all())

    def scan(repeats_are_totals: bool) -> tuple[np.ndarray, int, list[int], list[int]]:
        out = total.copy()
        after_total = 0  # the first line after the last total
        done = np.zeros(len(HEAD_KEYS), dtype=np.int64)  # the totals' sum so far
        done_tx = 0
        left = groups = 0  # totals so far; of them, groups of two lines or more
        closing: list[int] = []
        inside: list[int] = []
        for j, g0 in zip(idx, gst_start):
            t = tx[j]
            start = max(g0, after_total)
            if out[j]:
                pass
            elif t == 0:
                continue
            elif j - start >= 2 and t == pre_tx[j] - pre_tx[start] and same(j, pre[j] - pre[start]):
                out[j] = True
                groups += 1
            elif j - left >= 2 and t == pre_tx[j] - done_tx and same(j, pre[j] - done):
                out[j] = True
            elif j - start == 1 and t == tx[j - 1] and same(j, heads[j - 1]):
                if not (j + 1 == n or (not cont[j + 1] and stin[j + 1] != stin[j])):
                    inside.append(j)
                    continue
                closing.append(j)
                if not repeats_are_totals:
                    continue
                out[j] = True
            else:
                continue
            after_total = j + 1
            done = done + heads[j]
            done_tx += t
            left += 1
        return out, groups, closing, inside

    found, groups, closing, inside = scan(True)
    ambiguous = inside if groups else []
    if closing and not groups:
        if len(closing) >= 2 and len(closing) == len(starts) + 1:
            ambiguous = closing
        else:
            found, groups, closing, inside = scan(False)
    if ambiguous:
        j = ambiguous[0]
        more = f" (and {len(ambiguous) - 1} more such row(s))" if len(ambiguous) > 1 else ""
        raise RegisterError(
            f"{where}: row {keep[j] + first_line} has no document number and repeats every amount "
            f"of the line above it (row {keep[j - 1] + first_line}, supplier {stin[j]}){more}: it "
            "may be that supplier's subtotal or a second line of the same amount on that "
            "document. Give subtotal rows a label (such as Total) or delete them, or type the "
            "document number on every line of a document, then run again")
    if groups:
        rows = [keep[j] + first_line for j in np.flatnonzero(found & cont).tolist()]
        warnings.append(f"{where}: {len(rows)} unlabelled row(s) adding up the lines above them "
                        f"(subtotals) were left out: rows {_rows_list(rows)}")
    return found


_NUMBERISH = re.compile(r"^[\s₹(]*[-+]?[\d,]*\.?\d*\)?\s*(?:-|%|dr\.?|cr\.?)?\s*$", re.IGNORECASE)
_IDENTITY = ("stin", "doc_no", "voucher_no", "doc_date", "tradenm")


def _labelled(row: list[object]) -> bool:
    """True when a row holds text that is not a number (a total's or group's label, a page
    footer), in any column."""
    return any(isinstance(c, str) and c.strip() and not _NUMBERISH.match(c) for c in row)


def _has_filled_identity(rows: list[list[object]], cols: dict[str, list[int]],
                         stripped: dict[str, list[str]] | None = None) -> bool:
    """Some identity column holds, on every row, text that is not blank (tested in C, not
    cell by cell). ``stripped`` (given) gets each column looked at that holds only text,
    its cells stripped."""
    for f in _IDENTITY:
        if f in cols:
            col = [r[cols[f][0]] for r in rows]
            if set(map(type, col)) != {str}:
                continue
            if stripped is None:
                if all(map(str.strip, col)):
                    return True
                continue
            texts = stripped[f] = list(map(str.strip, col))
            if all(texts):
                return True
    return False


def _continuations(kept_rows: list[list[object]], keep: list[int], cols: dict[str, list[int]]
                   ) -> tuple[list[list[object]], list[int], np.ndarray]:
    """Rows without any identity (no GSTIN, number, voucher, date or name).

    An unlabelled one right below a document line is that document's next line (Marg and
    others print a second tax rate on a line of its own): it takes the identity of the line
    above. The others (totals, group headings, page footers) are not documents and are left
    out before their amounts are read. Returns the rows, their positions, and which are
    continuations.
    """
    ident = [cols[f][0] for f in _IDENTITY if f in cols]
    if _has_filled_identity(kept_rows, cols):  # every row has that identity: none continues one
        return kept_rows, keep, np.zeros(len(keep), dtype=bool)
    fill = sorted({i for f, ix in cols.items() if f not in (*_AMOUNTS, "tax", "tax_name") for i in ix})
    rows_out: list[list[object]] = []
    keep_out: list[int] = []
    cont: list[bool] = []
    prev_doc = False
    for row, k in zip(kept_rows, keep):
        blank = all(_is_blank(row[i]) for i in ident)
        if not blank:
            rows_out.append(row)
            keep_out.append(k)
            cont.append(False)
            prev_doc = True
            continue
        if prev_doc and keep_out and keep_out[-1] == k - 1 and not _labelled(row):
            row = list(row)
            above = rows_out[-1]
            for i in fill:
                if _is_blank(row[i]):
                    row[i] = above[i]
            rows_out.append(row)
            keep_out.append(k)
            cont.append(True)
            continue
        prev_doc = False
    return rows_out, keep_out, np.asarray(cont, dtype=bool)
