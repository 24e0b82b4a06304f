"""Supplier follow-up letters as files: the suppliers' contacts read from a list, and per
letter a statement workbook and an e-mail draft (.eml) with it attached.

The letters themselves are built by the core (:mod:`ims_xl.review.letters`); this shell reads
the contacts file (CSV or a workbook, through ``read``) and writes the files whole (``atomic``).
"""

from __future__ import annotations

import email.parser
import email.policy
import io
import os
import re
from pathlib import Path

import xlsxwriter

from ..errors import InputError
from ..review.inputs import cell_text
from ..review.letters import (AMOUNT_COLUMNS, STATEMENT_HEADER, Letter, clean_text, eml_bytes,
                              period_words, statement_grid)
from .atomic import atomic_write_many, make_folder, refuse_if_open
from .read import read_register_file
from .safety import DANGEROUS_START
from .xlsx import INR_FORMAT

# ---------------------------------------------------------------- contacts

#: Rows searched for the header of a suppliers list.
HEADER_ROWS = 20


def _norm(v: object) -> str:
    return re.sub(r"[^a-z0-9]", "", cell_text(v).lower())


def _is_gstin(h: str) -> bool:
    return "gstin" in h or h in ("gst", "gstno", "gstnumber", "gstregno", "gstregistrationnumber")


def _is_email(h: str) -> bool:
    return "email" in h or h in ("mail", "mailid", "mailaddress")


def _is_name(h: str) -> bool:
    return "name" in h or h in ("supplier", "party", "vendor")


#: A GSTIN's shape in a header cell as :func:`_norm` leaves it: a title row such as
#: ``GSTIN/UIN: 27AAPFU0939F1ZV`` (the company's, above a Tally list) holds a value, not a header.
_GSTIN_VALUE = re.compile(r"\d{2}[a-z]{5}\d{4}[a-z][0-9a-z]{3}")


def _columns(grid: list[list[object]]) -> tuple[int, int | None, int | None, int | None]:
    """(header row, GSTIN column, e-mail column, name column): the first row naming a GSTIN
    and an e-mail column, else the first naming a GSTIN column (its e-mail column None); the
    row is -1 when no header row holds a GSTIN column. A cell holding a GSTIN is no header."""
    first = None
    for i, row in enumerate(grid[:HEADER_ROWS]):
        hs = [_norm(v) for v in row]
        hs = ["" if _GSTIN_VALUE.search(h) else h for h in hs]
        g = next((j for j, h in enumerate(hs) if h and _is_gstin(h)), None)
        if g is None:
            continue
        e = next((j for j, h in enumerate(hs) if j != g and h and _is_email(h)), None)
        n = next((j for j, h in enumerate(hs) if j not in (g, e) and h and _is_name(h)), None)
        if e is not None:
            return i, g, e, n
        if first is None:
            first = (i, g, e, n)
    return first or (-1, None, None, None)


def read_contacts(path: str | Path) -> dict[str, dict]:
    """The suppliers' contacts: GSTIN (upper case) -> ``{"email": ..., "name": ...}``.

    A CSV or a workbook (every visible sheet) with a header row naming a GSTIN column
    (``GSTIN``, ``Supplier GSTIN``, ``GST No`` ...), an e-mail column (``E-mail``, ``Email ID``
    ...) and optionally a name column, in any case and spacing. Several addresses in one cell
    (``a@x.in; b@x.in``) are kept together; a GSTIN listed twice gets both rows' addresses.

    Raises:
        InputError: the file cannot be read, or has no GSTIN column or no e-mail column.
    """
    p = Path(path)
    grids = read_register_file(p)
    found_gstin = None
    out: dict[str, dict] = {}
    usable = False
    for grid, sheet, _ in grids:
        i, g, e, n = _columns(grid)
        if g is None:
            continue
        if found_gstin is None:
            found_gstin = (clean_text(sheet, 40), clean_text(grid[i][g], 40))
        if e is None:
            continue
        usable = True
        for row in grid[i + 1:]:
            # a GSTIN is letters and digits: spaces, hyphens, dots and zero-width spaces (copied
            # from a web page) are left out
            stin = re.sub(r"[^0-9A-Za-z]", "", clean_text(row[g] if g < len(row) else "")).upper()
            if not stin:
                continue
            mail = clean_text(row[e] if e < len(row) else "", 500)
            name = clean_text(row[n] if n is not None and n < len(row) else "", 200)
            c = out.setdefault(stin, {"email": "", "name": ""})
            if mail:
                have = [a.strip() for a in re.split(r"[;,]", c["email"]) if a.strip()]
                new = [a.strip() for a in re.split(r"[;,]", mail) if a.strip()]
                c["email"] = "; ".join(dict.fromkeys(have + new))
            if name and not c["name"]:
                c["name"] = name
    if found_gstin is None:
        raise InputError(f"{p.name}: no GSTIN column found (a header such as 'GSTIN' or 'Supplier GSTIN' in the "
                         f"first {HEADER_ROWS} rows); give a suppliers list with the columns GSTIN, E-mail and Name")
    if not usable:
        where = f" on sheet '{found_gstin[0]}'" if found_gstin[0] else ""
        raise InputError(f"{p.name}: no e-mail column beside '{found_gstin[1]}'{where} (a header such as 'E-mail' "
                         "or 'Email'); add one, with each supplier's address, and try again")
    return out


# ---------------------------------------------------------------- file names

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f-\x9f\u2028\u2029]+')
_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                       *(f"LPT{i}" for i in range(1, 10))})
#: A file name's stem is cut to this many characters, and UTF-8 bytes (with the temporary
#: file's prefix and suffix it stays within the 255 bytes a file system allows).
NAME_CHARS, NAME_BYTES = 80, 180


def safe_file_name(text: str) -> str:
    """``text`` as a file name stem Windows and macOS accept: no ``\\ / : * ? " < > |`` nor
    control characters, no leading or trailing dots and spaces, not a reserved device name,
    at most :data:`NAME_CHARS` characters (and :data:`NAME_BYTES` bytes)."""
    t = re.sub(r"\s+", " ", _UNSAFE.sub(" ", str(text))).strip(" .")
    t = t[:NAME_CHARS]
    while len(t.encode("utf-8")) > NAME_BYTES:
        t = t[:-1]
    t = t.strip(" .") or "supplier"
    if t.split(".")[0].strip().upper() in _RESERVED:
        t = "_" + t
    return t


def letter_file_stem(letter: Letter) -> str:
    """``<GSTIN> <name>``, made safe (:func:`safe_file_name`)."""
    return safe_file_name(f"{letter.stin or 'no GSTIN'} {letter.name}".strip())


# ---------------------------------------------------------------- the statement workbook

#: Column widths of the statement, by column of :data:`STATEMENT_HEADER`.
_WIDTHS = (30, 18, 18, 20, 16, 12, 15, 13, 13, 13, 11, 15, 12, 60)


def statement_xlsx(letter: Letter) -> bytes:
    """The statement workbook of ``letter`` (one sheet, :func:`review.letters.statement_grid`):
    text always stored as text (with Excel's quote prefix when it starts like a formula),
    amounts as numbers with Indian digit grouping."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                   "strings_to_numbers": False})
    cache: dict[tuple[str, bool], object] = {}
    styles = {"plain": {}, "title": {"bold": True, "font_size": 14}, "label": {"bold": True},
              "header": {"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F4E78", "text_wrap": True,
                         "valign": "top", "border": 1},
              "amount": {"num_format": INR_FORMAT}, "total": {"bold": True, "num_format": INR_FORMAT, "top": 1},
              "wrap": {"text_wrap": True, "valign": "top"}}

    def fmt(style: str, quote: bool = False):
        key = (style, quote)
        if key not in cache:
            cache[key] = wb.add_format({**styles[style], **({"quote_prefix": True} if quote else {})})
        return cache[key]
    ws = wb.add_worksheet("Statement")
    for j, w in enumerate(_WIDTHS):
        ws.set_column(j, j, w)
    grid = statement_grid(letter)
    head = next(i for i, r in enumerate(grid) if r == list(STATEMENT_HEADER))
    last = len(grid) - 1
    for i, row in enumerate(grid):
        for j, v in enumerate(row):
            if v is None or v == "":
                continue
            if i == 0:
                style = "title"
            elif i < head:
                style = "label" if j == 0 else ("amount" if j == 1 and not isinstance(v, str) else "plain")
            elif i == head:
                style = "header"
            elif i == last:
                style = "total" if j in AMOUNT_COLUMNS else "label"
            else:
                style = "amount" if j in AMOUNT_COLUMNS else ("wrap" if j == len(STATEMENT_HEADER) - 1 else "plain")
            if isinstance(v, str):
                ws.write_string(i, j, v, fmt(style, v.startswith(DANGEROUS_START)))
            else:
                ws.write_number(i, j, v, fmt(style))
    ws.freeze_panes(head + 1, 0)
    if last > head + 1:
        ws.autofilter(head, 0, last - 1, len(STATEMENT_HEADER) - 1)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(head)
    wb.close()
    return buf.getvalue()


# ---------------------------------------------------------------- writing

#: The drafts ims-xl writes: their boundary (``review.letters.eml_bytes``) and subject.
_OUR_BOUNDARY = b'boundary="=_ims-xl_'
_SUBJECT_START = "GST documents to correct: "
#: Bytes of a draft read to tell whether it is one of ours (the headers come first).
_HEAD_BYTES = 4096


def _earlier_letters(folder: Path, rtin: str, period: str, keep: set[str]) -> list[Path]:
    """The drafts (and their statements) an earlier run for the same return (our GSTIN
    ``rtin`` and ``period``, as their subject says) left in ``folder`` that this run does not
    write again: a supplier with nothing left to fix, or whose name changed. Another month's
    or another client's letters and any other file stay."""
    tail = ""
    if period:
        tail += f", IMS {period_words(period)}"
    if rtin:
        tail += f", our GSTIN {rtin}"
    # the supplier part of the subject, then exactly this run's tail (review.letters._subject)
    ours = re.compile(re.escape(_SUBJECT_START) + r"(?:.*\(GSTIN [^()]*\)|GSTIN [^,()]*)" + re.escape(tail) + r"\Z",
                      re.DOTALL)
    out: list[Path] = []
    try:
        drafts = sorted(e.path for e in os.scandir(folder) if e.name.lower().endswith(".eml") and e.is_file())
    except OSError:
        return out
    for name in drafts:
        path = Path(name)
        if path.name.casefold() in keep:
            continue
        try:
            with open(path, "rb") as f:
                head = f.read(_HEAD_BYTES)
        except OSError:
            continue
        if _OUR_BOUNDARY not in head or b"\r\nX-Unsent: 1\r\n" not in head:
            continue
        msg = email.parser.BytesParser(policy=email.policy.default).parsebytes(head, headersonly=True)
        if not ours.match(str(msg.get("Subject", ""))):
            continue
        out.append(path)
        statement = path.with_suffix(".xlsx")
        if statement.name.casefold() not in keep and statement.is_file():
            out.append(statement)
    return out


def write_letters(letters: list[Letter], out_dir: Path, sender: str = "",
                  of_return: tuple[str, str] = ("", "")) -> list[Path]:
    """For each letter, ``<GSTIN> <name>.xlsx`` (the statement) and ``<GSTIN> <name>.eml`` (the
    e-mail draft with that statement attached) in ``out_dir`` (created when missing). Every file
    is written to a temporary file first and all are moved into place together (``atomic``);
    then the letters an earlier run for the same return left there and this run does not write
    again are removed (:func:`_earlier_letters`), so the folder holds this run's letters only.

    Returns the paths written, statement then draft, letter by letter.

    Raises:
        InputError: ``out_dir`` is a file or cannot be created, or a target is open or not
            writable, or an earlier letter to remove is open or cannot be removed.
    """
    folder = make_folder(Path(out_dir))
    taken: set[str] = set()
    items: list[tuple[Path, object]] = []
    paths: list[Path] = []
    for letter in letters:
        stem = letter_file_stem(letter)
        base, k = stem, 2
        while stem.casefold() in taken:   # Windows and macOS ignore case
            stem = f"{base} ({k})"
            k += 1
        taken.add(stem.casefold())
        xlsx = statement_xlsx(letter)
        eml = eml_bytes(letter, xlsx, stem + ".xlsx", sender)
        for path, data in ((folder / (stem + ".xlsx"), xlsx), (folder / (stem + ".eml"), eml)):
            items.append((path, lambda tmp, data=data: Path(tmp).write_bytes(data)))
            paths.append(path)
    # the return (our GSTIN, period) of the letters, or ``of_return`` (review.letters.
    # letters_return) when no supplier has anything left to fix: the earlier run's all go
    rtin, period = (letters[0].rtin, letters[0].period) if letters else of_return
    stale = _earlier_letters(folder, rtin, period, {p.name.casefold() for p in paths}) \
        if letters or any(of_return) else []
    for path in stale:
        refuse_if_open(path)   # before anything is written: nothing changes when one is open
    atomic_write_many(items)
    for path in stale:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise InputError(f"{path.name}: an earlier letter this run did not write again, but it cannot be "
                             f"removed ({exc.strerror or exc}); delete it before sending the letters") from None
    return paths
