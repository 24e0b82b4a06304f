"""Cell notes in bulk: the comments part and VML drawing of a sheet, written as XlsxWriter
writes them.

XlsxWriter writes a note element by element through its XML writer, about 60 µs a note: 2.5 s
of the 43,000 notes of a reconciled 100,000-record workbook ("Books: <value>" on each cell
that differs from the books). So XlsxWriter is given only the first note of each sheet, which
makes the package carry the sheet's ``<legacyDrawing>``, its relationships and the content
types; :func:`note_parts` then writes the whole comments part and VML drawing of the sheet,
every note, from templates of XlsxWriter's own output (``tests/test_fast_paths.py`` compares
the bytes with XlsxWriter writing every note itself), and :func:`sheetxml.inject_rows`
puts them in the package in place of XlsxWriter's.

The note box is placed as XlsxWriter places it (``CommentType.set_offsets`` and
``Worksheet._position_object_pixels``): one column right of the cell and 10 pixels below the
top of the row above, 128 x 74 pixels scaled by the sheet's ``x_scale``. The VML shape ids
follow ``Workbook._prepare_vml``: each drawing takes blocks of 1,024 ids, one block more for
each full 1,024 notes.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from typing import Callable, Iterator

from ..model import col_letter
from .sheetxml import _escape, _needs_escape

#: XlsxWriter's defaults: a column 64 pixels wide, a row 20 pixels high.
DEFAULT_COL_PX = 64
DEFAULT_ROW_PX = 20
#: The note box ims-xl asks for: XlsxWriter's 128 x 74 pixels, 1.5 times as wide.
NOTE_OPTIONS = {"x_scale": 1.5}
NOTE_WIDTH = int(0.5 + 128 * 1.5)
NOTE_HEIGHT = int(0.5 + 74)

_RELS = re.compile(r'Target="\.\./(drawings/vmlDrawing\d+\.vml|comments\d+\.xml)"')
_SHAPE = ('<v:shape id="_x0000_s{id}" type="#_x0000_t202" style="position:absolute;margin-left:{left:.15g}pt;'
          'margin-top:{top:.15g}pt;width:{w:.15g}pt;height:{h:.15g}pt;z-index:{z};visibility:hidden" '
          'fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/><v:shadow on="t" color="black" '
          'obscured="t"/><v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto"><div '
          'style="text-align:left"></div></v:textbox><x:ClientData ObjectType="Note"><x:MoveWithCells/>'
          '<x:SizeWithCells/><x:Anchor>{anchor}</x:Anchor><x:AutoFill>False</x:AutoFill><x:Row>{row}</x:Row>'
          '<x:Column>{col}</x:Column></x:ClientData></v:shape>')
#: _SHAPE cut where a moved note's numbers go: before its id; after the id, up to its top;
#: after its z-index, up to its anchor's third number (the anchor's first two filled in).
_SHAPE_PARTS = ('<v:shape id="_x0000_s',
                '" type="#_x0000_t202" style="position:absolute;margin-left:{left:.15g}pt;margin-top:',
                _SHAPE[_SHAPE.index(";visibility:hidden"):_SHAPE.index("{anchor}")].replace("{", "{{").replace(
                    "}", "}}") + "{a}")
_COMMENT = ('<comment ref="{ref}" authorId="0"><text><r><rPr><sz val="8"/><color indexed="81"/>'
            '<rFont val="Tahoma"/><family val="2"/></rPr><t{sp}>{text}</t></r></text></comment>')
_COMMENT_PARTS = ('<comment ref="', _COMMENT[_COMMENT.index('" authorId'):_COMMENT.index("{sp}")],
                  _COMMENT[_COMMENT.index("</t>"):])


def col_pixels(width: float) -> int:
    """A column width in characters as pixels, as XlsxWriter converts it (``set_column``)."""
    if width == 0:
        return 0
    if width < 1:
        return int(width * 12 + 0.5)
    return int(width * 7 + 0.5) + 5


def row_pixels(height: float) -> int:
    """A row height in points as pixels, as XlsxWriter converts it (``set_row``)."""
    return int(height * 4.0 / 3.0 + 0.5)


@dataclass
class SheetNotes:
    """The notes of one sheet and the sizes that place their boxes.

    Attributes:
        notes: ``{(row, col): text}``, 0-based sheet coordinates.
        widths: pixel width of each column set on the sheet (0 for a hidden one).
        heights: pixel height of each row set on the sheet.
    """

    notes: dict[tuple[int, int], str]
    widths: dict[int, int] = field(default_factory=dict)
    heights: dict[int, int] = field(default_factory=dict)

    def first(self) -> tuple[int, int, str]:
        """The note XlsxWriter writes itself (any one would do: its parts are replaced)."""
        (r, c) = min(self.notes)
        return r, c, self.notes[(r, c)]


def _settle(offset: int, index: int, size: Callable[[int], int]) -> tuple[int, int]:
    """(offset, column or row) after moving on past every whole cell the offset spans."""
    while offset >= size(index):
        offset -= size(index)
        index += 1
    return offset, index


def _vertices(s: SheetNotes, row: int, col: int) -> tuple[list[int], int, int]:
    """(the x:Anchor numbers, left and top in pixels) of the note on (row, col)."""
    size_col = lambda c: s.widths.get(c, DEFAULT_COL_PX)  # noqa: E731
    size_row = lambda r: s.heights.get(r, DEFAULT_ROW_PX)  # noqa: E731
    row_start, y1 = (0, 2) if row == 0 else (row - 1, 10)
    col_start, x1 = col + 1, 15
    x_abs = sum(size_col(c) for c in range(col_start)) + x1
    y_abs = sum(size_row(r) for r in range(row_start)) + y1
    x1, col_start = _settle(x1, col_start, size_col)
    y1, row_start = _settle(y1, row_start, size_row)
    width = NOTE_WIDTH + (x1 if size_col(col_start) > 0 else 0)
    height = NOTE_HEIGHT + (y1 if size_row(row_start) > 0 else 0)
    width, col_end = _settle(width, col_start, size_col)
    height, row_end = _settle(height, row_start, size_row)
    return [col_start, x1, row_start, y1, col_end, width, row_end, height], x_abs, y_abs


def _shapes(s: SheetNotes, first_shape: int) -> Iterator[str]:
    # below the rows with set heights, a column's notes differ only by their row: placed once
    # per column and moved down (the rows they cross are all of the default height)
    # (the text around a moved note's numbers is made once per column: _SHAPE's fields filled
    # one by one cost 5.6 µs a note, 0.2 s for a reconciled 100,000-record workbook)
    ref_row = max(s.heights, default=-1) + 3
    by_col: dict[int, tuple] = {}
    w, h = NOTE_WIDTH * 0.75, NOTE_HEIGHT * 0.75
    for z, (row, col) in enumerate(sorted(s.notes), start=1):
        if row >= ref_row:
            base = by_col.get(col)
            if base is None:
                (c0, x1, r0, y1, c1, x2, r1, y2), left, top = _vertices(s, ref_row, col)
                head, mid, tail = _SHAPE_PARTS
                base = by_col[col] = (
                    head, mid.format(left=left * 0.75), f"pt;width:{w:.15g}pt;height:{h:.15g}pt;z-index:",
                    tail.format(a=f"{c0}, {x1}, "), f", {y1}, {c1}, {x2}, ", f", {y2}", f"</x:Row><x:Column>{col}"
                    "</x:Column></x:ClientData></v:shape>", r0, r1, top)
            head, mid, size, tail, a2, a3, end, r0, r1, top = base
            d = row - ref_row
            yield (f"{head}{first_shape + z}{mid}{(top + d * DEFAULT_ROW_PX) * 0.75:.15g}{size}{z}{tail}"
                   f"{r0 + d}{a2}{r1 + d}{a3}</x:Anchor><x:AutoFill>False</x:AutoFill><x:Row>{row}{end}")
        else:
            a, left, top = _vertices(s, row, col)
            yield _SHAPE.format(id=first_shape + z, left=left * 0.75, top=top * 0.75, w=w, h=h, z=z,
                                anchor=", ".join(map(str, a)), row=row, col=col)


def _comments(s: SheetNotes) -> Iterator[str]:
    letters: dict[int, str] = {}
    head, mid, tail = _COMMENT_PARTS
    for (row, col) in sorted(s.notes):
        text = s.notes[(row, col)]
        # XlsxWriter keeps leading or trailing white space with xml:space: its test, the regular
        # expression "^\s|\s$", is str.isspace of the first and last characters ("\s$" also
        # matches before a final line feed, itself white space)
        sp = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
        letter = letters.get(col) or letters.setdefault(col, col_letter(col))
        yield f"{head}{letter}{row + 1}{mid}{sp}>{_escape(text) if _needs_escape(text) else text}{tail}"


def _split(xml: str, start: str, end: str) -> tuple[str, str]:
    """The text of a part before its first ``start`` and from its last ``end``."""
    return xml[:xml.index(start)], xml[xml.rindex(end):]


def note_parts(pkg: str, sheets: dict[str, SheetNotes]) -> dict[str, Callable[[], Iterator[str]]]:
    """The comments part and VML drawing of every sheet with notes, each a function yielding
    the part's XML, keyed by part name.

    ``pkg`` is the package XlsxWriter wrote with the first note of each sheet; ``sheets``
    maps a worksheet part (``xl/worksheets/sheet3.xml``) to its notes, in the workbook's
    sheet order, and holds every sheet of the package with notes.
    """
    out: dict[str, Callable[[], Iterator[str]]] = {}
    data_id, shape_id = 1, 1024
    with zipfile.ZipFile(pkg) as z:
        for part, s in sheets.items():
            folder, name = part.rsplit("/", 1)
            rels = z.read(f"{folder}/_rels/{name}.rels").decode("utf-8")
            targets = ["xl/" + t for t in _RELS.findall(rels)]
            vml = next(t for t in targets if t.endswith(".vml"))
            com = next(t for t in targets if t.endswith(".xml"))
            count = len(s.notes)
            ids = ",".join(str(data_id + i) for i in range(count // 1024 + 1))
            v_head, v_tail = _split(z.read(vml).decode("utf-8"), "<v:shape ", "</xml>")
            v_head = re.sub(r'<o:idmap v:ext="edit" data="[^"]*"/>', f'<o:idmap v:ext="edit" data="{ids}"/>', v_head, count=1)
            c_head, c_tail = _split(z.read(com).decode("utf-8"), "<comment ", "</commentList>")

            def vml_xml(s=s, head=v_head, tail=v_tail, first=shape_id) -> Iterator[str]:
                yield head
                yield from _chunks(_shapes(s, first))
                yield tail

            def comments_xml(s=s, head=c_head, tail=c_tail) -> Iterator[str]:
                yield head
                yield from _chunks(_comments(s))
                yield tail

            out[vml], out[com] = vml_xml, comments_xml
            blocks = (1024 + count) // 1024
            data_id += blocks
            shape_id += 1024 * blocks
    return out


def _chunks(parts: Iterator[str], size: int = 5000) -> Iterator[str]:
    buf: list[str] = []
    for p in parts:
        buf.append(p)
        if len(buf) == size:
            yield "".join(buf)
            buf.clear()
    if buf:
        yield "".join(buf)
