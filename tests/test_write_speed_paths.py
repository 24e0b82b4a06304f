"""The review workbook's write paths made faster keep their meaning: each gives exactly what
the plainer code it replaced gave (kept here as the reference), odd values included."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ims_xl.files import sheetxml, xlsx
from test_fast_paths import _edge_space_by_searches  # the reference both files test against
from ims_xl.review.inputs import cell_text, some_text_starts_with
from ims_xl.review.layout import Column
from ims_xl.review.sheets import FORMULA_CHARS, FORMULA_START, column_values

#: Cells of every kind a column may hold: texts (formula-like, XML specials, edge spaces, wide
#: characters), blanks of each kind, numbers, dates, TRUE, numpy and pandas values.
_ODD = ["=SUM(A1)", "+91", "-5", "@x", "a & b", " edge ", "Café", "₹ 5", "नमस्ते", "😀", "", None,
        float("nan"), 0, 12, 0.0, 1.5, True, False, datetime(2025, 10, 15), date(2025, 1, 2),
        np.str_("=np"), np.float64(2.5), pd.NA, Decimal("1.10"), "line\nfeed", "_x0041_"]
_TEXT_CELLS = st.one_of(st.none(), st.just(""), st.sampled_from([v for v in _ODD if type(v) is str]),
                        st.text(alphabet=st.sampled_from("a -=+@é\u0939\n&<_x0041"), max_size=8))
_ANY_CELLS = st.one_of(_TEXT_CELLS, st.sampled_from(_ODD))


# ---------------------------------------------------------------- sheets.column_values

_TYPED_KINDS = frozenset({"input_amount", "input_yesno", "action"})
_TEXT_BLANK_KINDS = frozenset({str, type(None), float, int})


def _column_values_before(s: pd.Series, kind: str) -> list:
    """sheets.column_values for the kinds written as they are, as it was written before."""
    values = s.to_numpy(dtype=object)
    if kind in _TYPED_KINDS and any(issubclass(t, date) for t in set(map(type, values))):
        values = np.array([cell_text(v) if isinstance(v, date) else v for v in values], dtype=object)
    if set(map(type, values)) <= _TEXT_BLANK_KINDS:
        blank = (values == "") | pd.isna(values)
        if not blank.any():
            return values.tolist()
        out = values.copy()
        out[blank] = None
        return out.tolist()
    return [v if type(v) is str and v else
            None if v is None or v == "" or (isinstance(v, float) and np.isnan(v)) else v for v in s.tolist()]


def _same_cells(got: list, want: list) -> bool:
    return len(got) == len(want) and all(type(a) is type(b) and (a is b or a == b or (a != a and b != b))
                                         for a, b in zip(got, want))


@settings(max_examples=300, deadline=None)
@given(cells=st.one_of(st.lists(_TEXT_CELLS, max_size=20), st.lists(_ANY_CELLS, max_size=20)),
       kind=st.sampled_from(["text", "output", "action", "input_amount", "input_yesno"]))
def test_column_values_of_texts_and_blanks_at_once_is_the_cell_by_cell_answer(cells, kind) -> None:
    """column_values takes a column of texts and blanks ("" and None) from one list of its
    cells: the values (the very objects) the array path gave, whatever else the column holds."""
    rows = pd.DataFrame({"tradenm": pd.Series(cells, dtype=object)})
    try:
        want = _column_values_before(rows["tradenm"], kind)
    except TypeError:  # pandas' NA has no truth value: refused alike
        with pytest.raises(TypeError):
            column_values(rows, Column("tradenm", "Trade name", kind, 10))
        return
    assert _same_cells(column_values(rows, Column("tradenm", "Trade name", kind, 10)), want)


@pytest.mark.parametrize("cells", [["a", "b"], ["", ""], [None, None], ["", None, "x"], [], ["x", np.str_("y")],
                                   ["a", datetime(2025, 1, 2)], [None, date(2025, 1, 2), ""]])
def test_column_values_plain_columns(cells) -> None:
    for kind in ("text", "action"):
        rows = pd.DataFrame({"doc_no": pd.Series(cells, dtype=object)})
        got = column_values(rows, Column("doc_no", "Number", kind, 10))
        assert _same_cells(got, _column_values_before(rows["doc_no"], kind))
    # a column the rows do not have: every cell blank
    rows = pd.DataFrame({"x": pd.Series(cells, dtype=object)})
    assert column_values(rows, Column("remarks", "Remarks", "text", 10)) == [None] * len(cells)


# ---------------------------------------------------------------- xlsx._grid_styles

def _grid_styles_before(c: list, xf: int, amount: int, date_xf: int, quote: int) -> np.ndarray:
    """xlsx._grid_styles as it was written before: the whole column at once."""
    if set(map(type, c)) <= {str, type(None)}:
        st_ = np.full(len(c), xf, dtype=xlsx.STYLE_DTYPE)
        if some_text_starts_with(c, FORMULA_START):
            st_[[i for i, v in enumerate(c) if v and v[:1] in FORMULA_CHARS]] = quote
        return st_
    return np.fromiter((amount if type(v) is float else
                        (quote if v.startswith(FORMULA_START) else xf) if type(v) is str else
                        date_xf if isinstance(v, date) else xf for v in c), dtype=xlsx.STYLE_DTYPE, count=len(c))


@settings(max_examples=300, deadline=None)
@given(col=st.one_of(st.lists(_TEXT_CELLS, max_size=25),
                     st.lists(st.one_of(_TEXT_CELLS, st.sampled_from([1.5, 3, datetime(2025, 1, 2), True])),
                              max_size=25)),
       chunk=st.integers(1, 7))
def test_grid_styles_a_part_at_a_time_are_the_whole_columns(col, chunk) -> None:
    """_grid_styles takes a column a part at a time (its kinds, search and pass while the part
    is in the cache): the styles of the column taken whole, a kind found late included."""
    old = xlsx._STYLE_CHUNK
    xlsx._STYLE_CHUNK = chunk
    try:
        got = xlsx._grid_styles(col, 1, 2, 3, 4)
    finally:
        xlsx._STYLE_CHUNK = old
    want = _grid_styles_before(col, 1, 2, 3, 4)
    assert got.dtype == want.dtype and got.tolist() == want.tolist()


def test_grid_styles_of_a_long_column() -> None:
    col = [None, "x"] * 6000 + ["-5"] + ["=a", "", "b"] * 3000 + [None]
    assert xlsx._grid_styles(col, 1, 2, 3, 4).tolist() == _grid_styles_before(col, 1, 2, 3, 4).tolist()
    late = col + [2.5]  # a number after the first part: the column is no text column
    assert xlsx._grid_styles(late, 1, 2, 3, 4).tolist() == _grid_styles_before(late, 1, 2, 3, 4).tolist()


# ---------------------------------------------------------------- sheetxml: escapes and edges

_SPECIALS = ("&", "<", ">", *sheetxml._CONTROLS)


def _escape_before(v: str) -> str:
    if "_x" in v:
        v = sheetxml._LITERAL_ESCAPE.sub(lambda m: "_x005F" + m.group(0), v)
    v = v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if any(c in v for c in sheetxml._CONTROLS):
        v = sheetxml._CTRL.sub(lambda m: f"_x{ord(m.group(0)):04X}_", v)
    return v


_PIECES = st.text(alphabet=st.sampled_from("ab _x0041F&<>\x01\x1f\ufffe\r\t\n\xe9\u0939"), max_size=14)


@settings(max_examples=500, deadline=None)
@given(v=_PIECES)
def test_escape_and_its_test_answer_as_before(v) -> None:
    assert sheetxml._escape(v) == _escape_before(v)
    assert sheetxml._need_escape(v) is (any(c in v for c in _SPECIALS) or
                                        ("_x" in v and sheetxml._LITERAL_ESCAPE.search(v) is not None))


@settings(max_examples=400, deadline=None)
@given(texts=st.lists(st.text(alphabet=st.sampled_from("ab \t\r\n!é\xff\u20b9"), min_size=1, max_size=6),
                      max_size=12), long=st.booleans())
def test_edge_space_beside_the_line_feeds_alone_answers_as_the_searches(texts, long) -> None:
    """From _EDGE_BYTES on, _edge_space looks only either side of each line feed: the same
    answer as the searches (0 forces that path on short text)."""
    joined = "\n".join(texts)
    old = sheetxml._EDGE_BYTES
    sheetxml._EDGE_BYTES = 0 if long else old
    try:
        assert sheetxml._edge_space(joined, len(texts)) is _edge_space_by_searches(joined, len(texts))
    finally:
        sheetxml._EDGE_BYTES = old


@pytest.mark.parametrize("texts", [["x" * 30] * 5000, ["x" * 30] * 4999 + ["y "], [" y"] + ["x" * 30] * 4999,
                                   ["x" * 30] * 2000 + ["a \tb", "c\r"] + ["x" * 30] * 2000,
                                   ["x" * 30] * 2000 + ["a\nb"] + ["x" * 30] * 2000])
def test_edge_space_of_long_text(texts) -> None:
    joined = "\n".join(texts)
    assert len(joined) >= sheetxml._EDGE_BYTES
    assert sheetxml._edge_space(joined, len(texts)) is _edge_space_by_searches(joined, len(texts))


# ---------------------------------------------------------------- sheetxml: rows as UTF-8

_WIDE_COLUMNS = st.one_of(
    st.lists(_TEXT_CELLS, min_size=1, max_size=12),
    st.lists(st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=False)), min_size=1, max_size=12),
    st.lists(st.sampled_from(_ODD), min_size=1, max_size=12),
)


@settings(max_examples=300, deadline=None)
@given(cols=st.lists(_WIDE_COLUMNS, min_size=1, max_size=4), chunk=st.integers(1, 9),
       marked=st.sets(st.integers(0, 11)))
def test_rows_as_utf8_are_the_rows_text_encoded(cols, chunk, marked) -> None:
    """rows_xml(encoded=True) encodes runs of ASCII rows apart from the rows holding a wider
    character: the bytes of the text rows_xml gives, encoded whole (columns of different
    lengths and marked cells included)."""
    styles = [np.array([9 if i in marked else 0 for i in range(len(c))], dtype=np.int32) for c in cols]
    text = "".join(sheetxml.rows_xml([list(c) for c in cols], styles, 2, chunk=chunk))
    got = b"".join(sheetxml.rows_xml([list(c) for c in cols], styles, 2, chunk=chunk, encoded=True))
    assert got == text.encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(col=_WIDE_COLUMNS, marked=st.sets(st.integers(0, 11)))
def test_cells_not_named_wide_are_ascii(col, marked) -> None:
    styles = np.array([9 if i in marked else 3 for i in range(len(col))], dtype=np.int32)
    wide: list[int] = []
    cells = sheetxml._column_xml(list(col), styles, 3, "B", [str(r) for r in range(2, 2 + len(col))], wide)
    assert cells == sheetxml._column_xml(list(col), styles, 3, "B", [str(r) for r in range(2, 2 + len(col))])
    assert all(x.isascii() for i, x in enumerate(cells) if i not in set(wide))


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.lists(st.text(alphabet=st.sampled_from("a<é\u0939😀"), max_size=3), min_size=3, max_size=3),
                     min_size=1, max_size=20), wide=st.lists(st.integers(0, 19), max_size=20))
def test_utf8_of_any_rows_named_wide_is_the_whole_encoded(rows, wide) -> None:
    """_utf8 gives the rows' whole text encoded, whichever rows it is told may be wide (a
    wrong list costs speed, never bytes)."""
    parts = [p for r in rows for p in r]
    wide = [i for i in wide if i < len(rows)]
    assert sheetxml._utf8(parts, 3, wide) == "".join(parts).encode("utf-8")
    share = sheetxml._WIDE_SHARE
    sheetxml._WIDE_SHARE = 0  # every chunk in runs, however many rows are wide
    try:
        assert sheetxml._utf8(parts, 3, wide) == "".join(parts).encode("utf-8")
    finally:
        sheetxml._WIDE_SHARE = share


def test_a_lone_surrogate_fails_as_the_whole_chunk_fails() -> None:
    parts = ["<row>", "a", "</row>"] * 40 + ["<row>", "\ud800", "</row>"] + ["<row>", "é", "</row>"] * 2
    with pytest.raises(UnicodeEncodeError) as whole:
        "".join(parts).encode("utf-8")
    with pytest.raises(UnicodeEncodeError) as split:
        sheetxml._utf8(parts, 3, [40, 41, 42])
    assert str(split.value) == str(whole.value) and split.value.start == whole.value.start


def test_a_chunk_of_a_few_wide_rows_is_encoded_in_runs(monkeypatch) -> None:
    """The run-by-run path is taken for a chunk of few wide rows (and gives the same bytes)."""
    col = ["plain"] * 100
    col[7] = "Café & Sons"
    col[50] = "नमस्ते"
    calls = []
    real = sheetxml._utf8

    def spy(parts, width, wide):
        calls.append(sorted(set(wide)))
        return real(parts, width, wide)
    monkeypatch.setattr(sheetxml, "_utf8", spy)
    styles = [np.zeros(100, dtype=np.int32), np.zeros(100, dtype=np.int32)]
    got = b"".join(sheetxml.rows_xml([col, list(range(100))], styles, 2, encoded=True))
    assert calls == [[7, 50]]
    assert got == "".join(sheetxml.rows_xml([col, list(range(100))], styles, 2)).encode("utf-8")
    assert re.search("Café &amp; Sons".encode(), got)
