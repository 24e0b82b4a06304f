"""Fast, vectorised writing of large worksheet bodies (the rows of ``<sheetData>``).

XlsxWriter writes the package (styles, column formats, data validation, filters, panes)
with only each sheet's first row, and :func:`inject_rows` then streams the other rows,
generated here column by column (one pass per column, the branch chosen once for its value
types), into the worksheet XML while copying the package to its final zip, deflated once at
:data:`ZIP_LEVEL`. This cuts writing 100,000 records from about 20 s (a cell at a time
through XlsxWriter) to a few seconds.

Cells are written as inline strings (``t="inlineStr"``, as XlsxWriter's constant-memory
mode does) or numbers; dates as Excel serial numbers with a date style.
"""

from __future__ import annotations

import re
import sys
import zipfile
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from itertools import chain, repeat
from datetime import date, datetime
from typing import Callable, Iterable, Iterator

import numpy as np

from ..model import col_letter

#: Characters XML 1.0 cannot carry (controls; U+FFFE and U+FFFF, not characters at all) and
#: the carriage return (XML reading turns it into a line feed), written as Excel's _xHHHH_.
_CONTROLS = tuple(chr(c) for c in (*range(0x00, 0x09), *range(0x0B, 0x20))) + ("\ufffe", "\uffff")
#: Every character :func:`_escape` replaces (beside a literal _xHHHH_). A whole column is
#: searched for each by a plain substring search (some 0.3 ms for 8 MB of text, where the
#: character class below scans it in 45 ms); a single cell, by the class.
_SPECIALS = ("&", "<", ">", *_CONTROLS)
_CTRL = re.compile("[" + "".join(map(re.escape, _CONTROLS)) + "]")
#: Text that already reads as an _xHHHH_ escape: Excel (and python-calamine) would decode it
#: to one character, turning an invoice number "A_x0041_" into "AA", so its underscore is
#: escaped in turn (_x005F_), as Excel and XlsxWriter write it (ECMA-376 Part 1, §22.9.2.19).
_LITERAL_ESCAPE = re.compile(r"_x[0-9A-Fa-f]{4}_")
_EPOCH = datetime(1899, 12, 30)


_SPECIAL = re.compile("[" + "".join(map(re.escape, _SPECIALS)) + "]").search


def _needs_escape(v: str) -> bool:
    """The text needs :func:`_escape` (a character class searched alone scans fastest)."""
    return _SPECIAL(v) is not None or ("_x" in v and _LITERAL_ESCAPE.search(v) is not None)


#: Leading or trailing XML white space is kept only with xml:space="preserve" (XML 1.0
#: §2.10); other text goes without it, as XlsxWriter writes it (a fifth of a sheet's bytes).
_XML_SPACE = " \t\n\r"
_SPACE_ATTR = ' xml:space="preserve"'

#: Deflate level of the sheets ims-xl writes. Measured on a 100,000-record workbook (225 MB
#: of XML, README "Speed and memory"): level 1 compresses it in 1.5 s to 36 MB, the zlib
#: default (6) in 3.7 s to 29 MB; the wait matters more to the accountant than 7 MB.
ZIP_LEVEL = 1


#: Joins a column's texts (blanks left out) once for the searches below and for
#: :func:`_escaped_texts`: no escape spans a line feed, and a line feed is no character
#: :func:`_escape` replaces.
_JOIN = "\n"


def _need_escape(joined: str) -> bool:
    """Some text of a column needs :func:`_escape`: substring searches over its texts
    joined by :data:`_JOIN` (no escape and no literal _xHHHH_ spans a line feed)."""
    # (the expression searched alone: a two-character substring search, "_x" in joined, scans
    # three times slower over a column's megabytes)
    return any(c in joined for c in _SPECIALS) or _LITERAL_ESCAPE.search(joined) is not None


def _edge_space(joined: str, count: int) -> bool:
    """Some of a column's ``count`` texts, joined by :data:`_JOIN`, may start or end with XML
    white space. Searches for one character (fast) come first: a text holding a line feed, or
    a line feed beside white space, also answers yes, and the column then takes the careful
    path, cell by cell (never wrong, only slower; a text holding a line feed takes it anyway,
    :func:`_escaped_texts`)."""
    if not joined:
        return False
    if joined[0] in _XML_SPACE or joined[-1] in _XML_SPACE:
        return True
    try:  # text of one byte a character (most columns): the same questions over its bytes at once
        codes = np.frombuffer(joined.encode("latin-1"), dtype=np.uint8)
    except UnicodeEncodeError:
        codes = None
    if codes is not None:
        # the two-character searches below scan about 1 ns a character (a column of names holds
        # a space every few characters): 0.37 -> 0.05 ms for 5,000 names
        if len(codes) >= _EDGE_BYTES:
            # a long text: only the characters either side of each line feed are looked at (no
            # line feed is at an edge: the test above), where each array over every character
            # took fresh memory (the hidden copy's records, 2 MB a chunk: 3.8 -> 2.1 ms)
            at = np.flatnonzero(codes == _FEED)
            if len(at) != count - 1:
                return True
            return bool(_EDGE_BYTE[codes[at - 1]].any() or _EDGE_BYTE[codes[at + 1]].any())
        feed = codes == _FEED
        if int(np.count_nonzero(feed)) != count - 1:
            return True
        space = codes == _EDGE_CODES[0]
        for c in _EDGE_CODES[1:]:
            space |= codes == c
        return bool((feed[:-1] & space[1:]).any() or (space[:-1] & feed[1:]).any())
    if joined.count(_JOIN) != count - 1:
        return True
    return any(c in joined and (_JOIN + c in joined or c + _JOIN in joined) for c in _XML_SPACE if c != _JOIN)


#: :data:`_JOIN` and the other :data:`_XML_SPACE` characters as bytes (for :func:`_edge_space`).
_FEED = ord(_JOIN)
_EDGE_CODES = [ord(c) for c in _XML_SPACE if c != _JOIN]
#: Whether a byte is one of :data:`_EDGE_CODES` (a table looked up for many bytes at once).
_EDGE_BYTE = np.isin(np.arange(256), _EDGE_CODES)
#: The length from which :func:`_edge_space` looks beside the line feeds alone: shorter,
#: arrays over every character are faster (0.02 against 0.05 ms for 5,000 texts of 7
#: characters; 0.04 against 0.08 ms for 80 KB); longer, slower (0.25 against 0.06 ms for
#: 126 KB, 0.8 against 0.45 ms for 450 KB).
_EDGE_BYTES = 96 * 1024


def _escape(v: str) -> str:
    # each replacement only where its character is found (a search for one character is
    # far faster than the count a replacement starts with), and the literal _xHHHH_ searched
    # for as the expression, not "_x": a column's texts joined (:func:`_escaped_texts`), 2 MB
    # of the hidden copy's records, 5.7 -> 2.4 ms
    if _LITERAL_ESCAPE.search(v) is not None:
        v = _LITERAL_ESCAPE.sub(lambda m: "_x005F" + m.group(0), v)
    if "&" in v:
        v = v.replace("&", "&amp;")
    if "<" in v:
        v = v.replace("<", "&lt;")
    if ">" in v:
        v = v.replace(">", "&gt;")
    if any(c in v for c in _CONTROLS):
        v = _CTRL.sub(lambda m: f"_x{ord(m.group(0)):04X}_", v)
    return v


def _serial(v: date) -> float:
    """Excel's serial number of a date (1900 date system)."""
    if not isinstance(v, datetime):
        v = datetime(v.year, v.month, v.day)
    d = v - _EPOCH
    return d.days + d.seconds / 86400


def _cell(v: object, ref: str, s: int) -> str:
    """One ``<c>`` element ("" for an empty cell)."""
    t = type(v)
    if t is str:
        if not v:
            return ""
        sp = _SPACE_ATTR if (v[0] in _XML_SPACE or v[-1] in _XML_SPACE) else ""
        if _needs_escape(v):
            v = _escape(v)
        return f'<c r="{ref}" s="{s}" t="inlineStr"><is><t{sp}>{v}</t></is></c>'
    if v is None:
        return ""
    if t is float or t is int or isinstance(v, (np.integer, np.floating)):
        if v != v:  # NaN
            return ""
        return f'<c r="{ref}" s="{s}"><v>{float(v)!r}</v></c>' if t is not int else f'<c r="{ref}" s="{s}"><v>{v}</v></c>'
    if t is bool:
        return f'<c r="{ref}" s="{s}" t="b"><v>{int(v)}</v></c>'
    if isinstance(v, (datetime, date)):
        return f'<c r="{ref}" s="{s}"><v>{_serial(v)!r}</v></c>'
    return _cell(str(v), ref, s)


def _escaped_texts(col: list, texts: list[str], joined: str) -> list | None:
    """The cells of a column with its texts (``texts``: the non-blank ones, none with XML
    white space at an edge; ``joined``: them joined by :data:`_JOIN`) escaped for XML in one
    pass over them joined (no escape spans a line feed, so each comes out as if escaped
    alone), or None when a text holds a line feed itself (the caller then takes each text
    alone)."""
    escaped = _escape(joined).split(_JOIN)
    if len(escaped) != len(texts):  # a text holds a line feed
        return None
    it = iter(escaped)
    return [next(it) if v else v for v in col]


def _column_xml(col: list, styles: np.ndarray, usual: int, letter: str, rows: list[str],
                wide: list[int] | None = None) -> list[str]:
    """The ``<c>`` elements of one column over ``rows`` (the row numbers as text; "" for a
    cell not written).

    One pass per column with the branch chosen once for the column's value types (text,
    numbers or dates, the common cases) and, where every cell has the column's usual style,
    the text around each value made once, instead of a type dispatch and formatting per
    cell. A column whose cells of another style (the marked ones) are at most half of it is
    written as if every cell had the usual style, and those cells alone are made again
    (0.16 s less over the section sheets' marked columns at 100,000 records).

    ``wide``: a list to which the positions of the cells whose XML may hold a character
    beyond ASCII are added (every other cell's is ASCII), for :func:`_utf8`."""
    kinds = set(map(type, col))
    kinds.discard(type(None))
    odd = np.flatnonzero(styles != usual)
    varied = len(odd) > 0
    if kinds <= {str} and not varied and not any(col):  # an empty column (most output columns)
        return [""] * len(col)
    few = 2 * len(odd) <= len(col)  # (always, for a column not varied)
    odd_styles = zip(odd.tolist(), styles[odd].tolist()) if few else ()
    head = f'<c r="{letter}'
    if kinds <= {str}:
        tag = "<t>"  # most columns: nothing needs escaping or xml:space (one search over the column)
        texts = list(filter(None, col))
        joined = _JOIN.join(texts)
        edge = _edge_space(joined, len(texts))
        if edge or _need_escape(joined):
            escaped = None if edge else _escaped_texts(col, texts, joined)
            if escaped is not None:
                col = escaped
            else:
                # those values alone are changed, each carrying the end of its own <t> tag
                # (the edges are judged before escaping, as _cell does)
                tag = "<t"
                col = [(_SPACE_ATTR + ">" if v[0] in _XML_SPACE or v[-1] in _XML_SPACE else ">")
                       + (_escape(v) if _needs_escape(v) else v) if v else v for v in col]
        if wide is not None and not joined.isascii():  # (escaping adds ASCII characters only)
            wide.extend([i for i, v in enumerate(col) if v and not v.isascii()])
        if few:
            tail = f'" s="{usual}" t="inlineStr"><is>{tag}'
            out = [f"{head}{r}{tail}{v}</t></is></c>" if v else "" for v, r in zip(col, rows)]
            for i, s in odd_styles:
                v, r = col[i], rows[i]
                out[i] = f'{head}{r}" s="{s}" t="inlineStr"><is>{tag}{v}</t></is></c>' if v else f'{head}{r}" s="{s}"/>'
            return out
        return [f'{head}{r}" s="{s}" t="inlineStr"><is>{tag}{v}</t></is></c>' if v else
                (f'{head}{r}" s="{s}"/>' if s != usual else "") for v, s, r in zip(col, styles.tolist(), rows)]
    if kinds <= {float} or kinds <= {int}:  # int: not bool, whose type is bool
        floats = not kinds <= {int}
        if few:
            tail = f'" s="{usual}"><v>'
            if floats:
                out = ["" if v is None or v != v else f"{head}{r}{tail}{v!r}</v></c>" for v, r in zip(col, rows)]
            else:
                out = ["" if v is None else f"{head}{r}{tail}{v}</v></c>" for v, r in zip(col, rows)]
            for i, s in odd_styles:
                v, r = col[i], rows[i]
                if v is None or v != v:  # blank or NaN
                    out[i] = f'{head}{r}" s="{s}"/>' if v is None else ""
                else:
                    out[i] = f'{head}{r}" s="{s}"><v>{v!r}</v></c>' if floats else f'{head}{r}" s="{s}"><v>{v}</v></c>'
            return out
        out = []
        for v, s, r in zip(col, styles.tolist(), rows):
            if v is None or v != v:  # blank or NaN
                out.append(f'{head}{r}" s="{s}"/>' if v is None and s != usual else "")
            else:
                out.append(f'{head}{r}" s="{s}"><v>{v!r}</v></c>' if floats else f'{head}{r}" s="{s}"><v>{v}</v></c>')
        return out
    if kinds <= {datetime, date} and few:  # a month's dates repeat: each serial made once
        tail = f'" s="{usual}"><v>'
        serial: dict = {}
        out = ["" if v is None else
               f"{head}{r}{tail}{serial[v] if v in serial else serial.setdefault(v, repr(_serial(v)))}</v></c>"
               for v, r in zip(col, rows)]
        for i, s in odd_styles:
            v, r = col[i], rows[i]
            out[i] = f'{head}{r}" s="{s}"/>' if v is None else _cell(v, f"{letter}{r}", s)
        return out
    out = []
    for v, s, r in zip(col, styles.tolist(), rows):
        if v is None or (type(v) is str and not v):
            out.append(f'{head}{r}" s="{s}"/>' if s != usual else "")
        else:
            out.append(_cell(v, f"{letter}{r}", s))
    if wide is not None:  # (the branches above write numbers and dates: ASCII)
        wide.extend([i for i, x in enumerate(out) if not x.isascii()])
    return out


def rows_xml(columns: list[list], styles: list[np.ndarray], first_row: int,
             chunk: int = 5000, defaults: list[int] | None = None,
             encoded: bool = False) -> Iterator[str] | Iterator[bytes]:
    """Yield the XML of the rows, ``chunk`` rows at a time (bounded memory).

    ``columns[j]`` holds column j's values top to bottom; ``styles[j]`` their xf indices.
    An empty cell is written only when its style differs from its column's usual one (an
    empty cell a check coloured must still show its colour). ``encoded``: each chunk as
    UTF-8 bytes (:func:`_utf8`), what :func:`inject_rows` writes.
    """
    n = len(columns[0]) if columns else 0
    letters = [col_letter(j) for j in range(len(columns))]
    usual = defaults if defaults is not None else [int(np.bincount(st).argmax()) if len(st) else 0
                                                     for st in styles]
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        rows = [str(r) for r in range(first_row + a, first_row + b)]
        wide: list[int] | None = [] if encoded else None
        cells = [_column_xml(col[a:b], st[a:b], usual[j], letters[j], rows, wide)
                 for j, (col, st) in enumerate(zip(columns, styles))]
        opening = [f'<row r="{r}">' for r in rows]
        if any(len(c) != b - a for c in cells):  # columns of different lengths: rows as far as the shortest
            xml = "".join(chain.from_iterable(zip(opening, *cells, repeat("</row>", b - a))))
            yield xml.encode("utf-8") if encoded else xml
            continue
        # one join over every row's opening tag, cells and closing tag, in row order, each column
        # put in its place by one slice assignment (the join 0.47 -> 0.3 s at 100,000 records,
        # where zip made a tuple a row and chain fed them to the join one by one)
        width = len(cells) + 2
        parts = [""] * ((b - a) * width)
        parts[0::width] = opening
        for j, c in enumerate(cells, start=1):
            parts[j::width] = c
        parts[width - 1::width] = ["</row>"] * (b - a)
        yield _utf8(parts, width, wide) if wide is not None else "".join(parts)


#: :func:`_utf8` encodes a chunk whole where more than one row in this many holds a wide
#: character (runs of a row or two gain nothing).
_WIDE_SHARE = 8


def _utf8(parts: list[str], width: int, wide: list[int]) -> bytes:
    """``"".join(parts).encode("utf-8")`` for rows of ``width`` parts each, of which only the
    rows ``wide`` may hold a character beyond ASCII.

    Python encodes a text all of ASCII by copying its bytes, but any other text character by
    character; one "Café" among 5,000 rows made the whole chunk such a text. So the ASCII
    rows are joined and encoded in runs, the others each alone (joined and encoded, the 327 MB
    of XML of a 100,000-record workbook, one trade name in forty holding an "é": 0.39 ->
    0.18 s). Where more than one row in :data:`_WIDE_SHARE` is wide, the chunk is encoded
    whole."""
    count = len(parts) // width
    marked = sorted(set(wide))
    if not marked or _WIDE_SHARE * len(marked) > count:
        return "".join(parts).encode("utf-8")
    out = []
    start = 0
    try:
        for i in marked:
            if i > start:
                out.append("".join(parts[start * width:i * width]).encode("utf-8"))
            out.append("".join(parts[i * width:(i + 1) * width]).encode("utf-8"))
            start = i + 1
        if start < count:
            out.append("".join(parts[start * width:]).encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate: the whole chunk's own error (its position)
        return "".join(parts).encode("utf-8")
    return b"".join(out)


#: Whether a command may use a helper thread beside its own (the deflate of a workbook
#: written, the parse of the next sheet of a workbook read): off in a batch's worker
#: processes when they are as many as the cores, where a helper only competes with the
#: other clients for the same cores (:func:`use_helper_threads`).
HELPER_THREADS = True


def use_helper_threads(on: bool) -> None:
    """Allow (or not) the helper threads of :data:`HELPER_THREADS` in this process."""
    global HELPER_THREADS
    HELPER_THREADS = on


#: The interpreter's thread switch interval while a workbook's parts are written (seconds;
#: Python's default is 0.005): :class:`_WriteBehind`'s worker takes the GIL back after each
#: block deflate fills (32 KB, 64 KB ...), and at the default it waited longer for the GIL
#: than it compressed (measured at 100,000 records: `run` 14.4 s wall at 0.005, 13.2 s at
#: 0.001, 13.0 s at 0.0002; CPU alike).
SWITCH_INTERVAL = 0.0005


class _WriteBehind:
    """Writes to a zip entry handed to one worker thread, in order, while the caller makes
    the next chunk of XML. zlib's deflate, its CRC-32 and the file write release the GIL, so
    compressing the workbook (a third of its writing at 100,000 records) runs beside the
    generating of its XML instead of after it: the accountant waits less; the CPU spent is
    the same. At most ``depth`` chunks wait (bounded memory); a failed write (a full disk)
    is raised in the caller at its next write or at :meth:`drain`."""

    def __init__(self, pool: ThreadPoolExecutor | None, depth: int = 2) -> None:
        self.pool, self.depth = pool, depth
        self.pending: deque = deque()

    def write(self, f, data: bytes) -> None:
        if self.pool is None:  # no helper thread: written here
            f.write(data)
            return
        if len(self.pending) >= self.depth:
            self.pending.popleft().result()
        self.pending.append(self.pool.submit(f.write, data))

    def drain(self, raising: bool = True) -> None:
        """Wait for every write handed over (before the entry is closed); ``raising=False``
        when the caller is already failing: nothing may still write to a closing entry."""
        while self.pending:
            fut = self.pending.popleft()
            if raising:
                fut.result()
            else:
                fut.exception()


def inject_rows(src: str, dst: str, bodies: dict[str, tuple[Callable[[], Iterable[str | bytes]], str]],
                parts: dict[str, Callable[[], Iterable[str]]] | None = None) -> None:
    """Copy the package ``src`` to ``dst``, appending rows to some worksheets.

    ``bodies`` maps a part name (``xl/worksheets/sheet3.xml``) to (a function yielding the
    rows' XML, as text or UTF-8 bytes, the new ``<dimension>`` reference); ``parts`` maps a
    part name to a function yielding the part's whole new XML (the cell notes of
    :mod:`.notes`). Each generated part is compressed by a worker thread while its next chunk
    is made (:class:`_WriteBehind`).
    """
    parts = parts or {}
    if not HELPER_THREADS:
        _inject(src, dst, bodies, parts, None)
        return
    switch = sys.getswitchinterval()
    sys.setswitchinterval(min(switch, SWITCH_INTERVAL))
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ims-xl-deflate") as pool:
            _inject(src, dst, bodies, parts, pool)
    finally:
        sys.setswitchinterval(switch)


def _inject(src: str, dst: str, bodies: dict, parts: dict, pool: ThreadPoolExecutor | None) -> None:
    """:func:`inject_rows`' copy, each generated part written behind its making by ``pool``
    (here, without one)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL) as zout:
        behind = _WriteBehind(pool)
        for info in zin.infolist():
            if info.filename not in bodies and info.filename not in parts:
                zout.writestr(info, zin.read(info.filename), compress_type=zipfile.ZIP_DEFLATED,
                              compresslevel=ZIP_LEVEL)
                continue
            zi = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi._compresslevel = ZIP_LEVEL  # ZipFile.open(ZipInfo) ignores the archive's level
            if info.filename in parts:
                chunks: Iterable[str | bytes] = parts[info.filename]()
            else:
                make, ref = bodies[info.filename]
                xml = zin.read(info.filename).decode("utf-8")
                xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="{ref}"/>', xml, count=1)
                # a sheet whose first row XlsxWriter wrote no cell of (a header row cleared, a
                # sheet of notes starting lower down) has an empty <sheetData/> element
                xml = re.sub(r"<sheetData\s*/>", "<sheetData></sheetData>", xml, count=1)
                cut = xml.index("</sheetData>")
                chunks = chain((xml[:cut],), make(), (xml[cut:],))
            with zout.open(zi, "w", force_zip64=True) as f:
                try:
                    for chunk in chunks:
                        behind.write(f, chunk if type(chunk) is bytes else chunk.encode("utf-8"))
                except BaseException:
                    behind.drain(raising=False)
                    raise
                behind.drain()
