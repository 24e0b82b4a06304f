"""The Log's bookkeeping taken a column at a time (ims_xl.review.audit) gives exactly what the
row-by-row reading gives: every cell, checksum, seal, message and error, whatever the cells hold
(numbers, blanks, NaN, dates, booleans, short rows, tuples, a ``sealed:`` row)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ims_xl.model import SECTIONS, parse_action
from ims_xl.review import audit
from ims_xl.review.audit import LOG_HEADER, _W

WHEN = "2026-04-01 10:00:00 UTC+05:30"


# ------------------------------------------------ the row-by-row reading, as a reference

def _ref_cell(row, i):
    return audit._text(row[i]) if i < len(row) else ""


def _ref_content(row):
    return "\x1f".join(map(audit._text, audit._padded(row, _W - 1)))


def _ref_link(prev, row):
    return hashlib.sha256(f"{prev}\x1e{_ref_content(row)}".encode("utf-8")).hexdigest()[:16]


def _ref_digest(rows):
    h = hashlib.sha256()
    for r in rows:
        h.update(("\x1f".join(map(audit._text, audit._padded(r, _W))) + "\x1e").encode("utf-8"))
    return h.hexdigest()[:16]


def _ref_body(grid):
    rows = [list(r) for r in (grid or [])[1:]]
    while rows and all(audit._text(v).strip() == "" for v in rows[-1]):
        rows.pop()
    return rows


def _ref_seal(grid):
    rows = _ref_body(grid)
    return f"{len(rows)}:{_ref_cell(rows[-1], _W - 1) if rows else ''}"


def _ref_verify(grid, seal=""):
    problems = []
    rows = _ref_body(grid)
    if grid and tuple(audit._text(h).strip() for h in grid[0][:_W]) != LOG_HEADER:
        problems.append("the Log sheet's header row was changed")
    start = 0
    for i in range(len(rows) - 1, -1, -1):
        key = _ref_cell(rows[i], _W - 2)
        if key.startswith("sealed:") and key == "sealed:" + _ref_digest(rows[:i]):
            start = i
            break
    bad = []
    for i in range(start, len(rows)):
        prev = _ref_cell(rows[i - 1], _W - 1) if i else "ims-xl log v1"
        if _ref_cell(rows[i], _W - 1) != _ref_link(prev, rows[i]):
            bad.append(i + 2)
    if bad:
        shown = ", ".join(map(str, bad[:20])) + (f" and {len(bad) - 20} more" if len(bad) > 20 else "")
        what = "row" if len(bad) == 1 else "rows"
        verb = "was" if len(bad) == 1 else "were"
        problems.append(f"Log {what} {shown} {verb} changed, added, moved or removed by hand after "
                        "ims-xl wrote them")
    if seal:
        n_txt, _, last = seal.partition(":")
        n = int(n_txt) if n_txt.isdigit() else 0
        if n and (len(rows) < n or _ref_cell(rows[n - 1], _W - 1) != last):
            problems.append(f"rows were removed from the Log sheet (ims-xl had written {n:,} rows; "
                            f"{len(rows):,} are left)" if len(rows) < n else
                            f"the Log sheet's row {n + 1} no longer holds the last row ims-xl wrote")
    return problems


def _ref_append(existing_grid, new_rows, seal="", when=None, problems=None):
    header = [list(existing_grid[0])] if existing_grid else [list(LOG_HEADER)]
    rows = _ref_body(existing_grid)
    out = header + rows
    if problems is None:
        problems = _ref_verify(existing_grid, seal) if existing_grid or seal else []
    elif not (existing_grid or seal):
        problems = []
    if not existing_grid and seal and not seal.startswith("0:"):
        problems = [f"the Log sheet was deleted (it had {seal.partition(':')[0]} rows)"]
    stamp = when or (str(new_rows[0][0]) if new_rows else audit.now_text())
    pending = []
    if problems:
        pending.append([stamp, "", "", "", "", "", "", "log check",
                        "; ".join(problems) + "; they are kept as found", "sealed:" + _ref_digest(rows)])
    for r in new_rows:
        if len(r) != _W - 1:
            raise ValueError(f"a log row has {len(r)} cells, expected {_W - 1}")
        pending.append(list(r))
    prev = _ref_cell(rows[-1], _W - 1) if rows else "ims-xl log v1"
    for r in pending:
        prev = _ref_link(prev, r)
        out.append(r + [prev])
    return out


def _ref_state(log_grid):
    if not log_grid:
        return {}
    pos = audit._positions(log_grid[0])
    state = {}
    for row in log_grid[1:]:
        key = _ref_cell(row, pos["Record key"])
        if not key or key.startswith("sealed:") or _ref_cell(row, pos["Source"]) in {"portal error", "log check",
                                                                                         "letter"}:
            continue
        a = parse_action(_ref_cell(row, pos["New action"]))
        if a is not None:
            state[key] = a.value
    return state


def _ref_rows(part: pd.DataFrame, source, when, note, note_col):
    """diff_actions' rows from its sorted frame of changes, one by one."""
    out = []
    notes = part[note_col].tolist() if note_col and note_col in part else [None] * len(part)
    for sheet, row, stin, doc_no, old_a, new_a, key, n in zip(
            *(part[c].tolist() for c in ("sheet", "excel_row", "stin", "doc_no", "log_old", "log_new", "key")),
            notes):
        text = note or (str(n or "") if note_col else "")
        out.append([when, sheet, int(row), stin, doc_no, audit._label(old_a), audit._label(new_a), source, text,
                    key])
    return out


def _outcome(fn, *args, **kw):
    """What a call gives: its value, or its error's type and message."""
    try:
        return fn(*args, **kw)
    except Exception as exc:  # noqa: BLE001 - compared, not handled
        return type(exc), str(exc)


# ------------------------------------------------ grids with odd cells

CELL = st.one_of(st.text(alphabet="ab :\x1fsealed", max_size=6), st.none(), st.integers(-3, 3),
                 st.floats(allow_nan=True, allow_infinity=False), st.booleans(),
                 st.just(datetime(2026, 12, 5, 9, 30)), st.just(date(2026, 1, 2)), st.just(np.str_("x")),
                 st.just("Accept"), st.just("typed"), st.just("log check"), st.just(""))


def _logged(n_rows: int) -> list[list[object]]:
    """A Log of ``n_rows`` as ims-xl writes it, then read back as text."""
    rows = [[WHEN, "B2B", i + 2, "27AAPFU0939F1ZV", f"D{i}", "No Action", ["Accept", "Reject", "Pending"][i % 3],
             ["typed", "suggestion applied", "portal error"][i % 3], "", f"b2b|27AAPFU0939F1ZV|D{i % 5}"]
            for i in range(n_rows)]
    return [[audit._text(v) for v in r] for r in audit.append_log(None, rows)]


@st.composite
def grids(draw):
    grid = _logged(draw(st.integers(0, 8)))
    edits = draw(st.lists(st.tuples(st.integers(0, 12), st.integers(0, _W + 1), CELL), max_size=4))
    for r, c, v in edits:  # a hand: a cell changed, a row made shorter or longer
        if r < len(grid):
            row = grid[r]
            if c < len(row):
                row[c] = v
            elif c == _W + 1:
                del row[draw(st.integers(0, len(row))):]
            else:
                row.append(v)
    if draw(st.booleans()):  # blank rows at the end
        grid += [[None, ""], [" "] * _W][:draw(st.integers(1, 2))]
    body = _ref_body(grid)
    if draw(st.booleans()) and body:  # a log check row sealing what was found
        row = [WHEN, "", "", "", "", "", "", "log check", "x", "sealed:" + _ref_digest(body)]
        grid = [grid[0], *body, row + [_ref_link(_ref_cell(body[-1], _W - 1), row)]]
    if draw(st.booleans()):
        grid = [tuple(r) for r in grid]
    return grid


@settings(max_examples=400, deadline=None, derandomize=True)
@given(grids(), st.sampled_from(["", "3:x", "2:", "0:", "1:nope", "abc"]))
def test_log_reading_per_column_is_the_reading_per_row(grid, seal):
    body = list(grid[1:])
    for i in range(_W + 1):
        assert audit._column(body, i) == [_ref_cell(r, i) for r in body]
    assert audit._read_texts(body) == [audit._content(r, read=True) for r in body]
    assert audit._digest(body) == _ref_digest(body)
    assert audit._body(grid) == _ref_body(grid)
    assert list(audit._body(grid, copy=False)) == [tuple(r) if isinstance(r, tuple) else r for r in grid[1:][
        :len(_ref_body(grid))]]
    assert audit.log_seal(grid) == _ref_seal(grid)
    assert audit.verify_log(grid, seal) == _ref_verify(grid, seal)
    assert audit.last_logged_state(grid) == _ref_state(grid)
    assert list(audit.last_logged_state(grid)) == list(_ref_state(grid)), "the same order"
    new = [[WHEN, "B2B", 7, None, 1.5, "No Action", "Accept", "typed", float("nan"), "k"], ("a",) * (_W - 1)]
    for rows in ([], new):
        assert audit.append_log(grid, rows, seal=seal) == _ref_append(grid, rows, seal=seal)
        assert audit.append_log(grid, rows, seal=seal, problems=[]) == _ref_append(grid, rows, seal=seal,
                                                                                  problems=[])
    assert _outcome(audit.append_log, grid, [*new, ["short"]]) == _outcome(_ref_append, grid, [*new, ["short"]])


def test_append_log_of_many_rows_as_one_by_one():
    rows = [[WHEN, "B2B", i, f"27AAPFU0939F1Z{i % 10}", f"D{i}", "No Action", "Accept", "suggestion applied",
             "", f"k{i}"] for i in range(500)]
    grid = audit.append_log(None, rows)
    assert grid == _ref_append(None, rows)
    assert rows[0] == [WHEN, "B2B", 0, "27AAPFU0939F1Z0", "D0", "No Action", "Accept", "suggestion applied", "",
                       "k0"], "the rows given are not changed"
    read = [[audit._text(v) for v in r] for r in grid]
    assert audit.verify_log(read, audit.log_seal(read)) == []
    read[300][8] = "edited"
    read[400][2] = 398.0
    assert audit.verify_log(read, audit.log_seal(grid)) == _ref_verify(read, audit.log_seal(grid))
    more = audit.append_log(read, rows[:3], seal=audit.log_seal(grid))
    assert more == _ref_append(read, rows[:3], seal=audit.log_seal(grid))
    assert audit.verify_log(more, audit.log_seal(more)) == [] == _ref_verify(more, audit.log_seal(more))


def _frames(n: int, actions_before, actions_after, **extra):
    sheets = [s.sheet for s in SECTIONS]
    base = {"key": [f"k{i}" for i in range(n)], "sheet": [sheets[(7 * i) % len(sheets)] for i in range(n)],
            "excel_row": [n - i + 1 for i in range(n)], "stin": [f"27A{i}" for i in range(n)],
            "doc_no": [f"D{i}" for i in range(n)], "action": ["N"] * n}
    before = pd.DataFrame({**base, "action_text": actions_before})
    after = pd.DataFrame({**base, "action_text": actions_after, **extra})
    return before, after


def _expected(before, after, source, note=""):
    """diff_actions' rows made one by one from the same changes in the same order (or the error
    that gives)."""
    old, new = audit._effective(before).to_numpy(), audit._effective(after).to_numpy()
    changed = old != new
    note_col = {"re-import": "reimport_note", "portal error": "portal_errors"}.get(source)
    needed = [c for c in ("sheet", "excel_row", "stin", "doc_no", "key", note_col) if c and c in after]
    part = after.loc[changed, needed].assign(log_old=old[changed], log_new=new[changed])
    order = {s.sheet: i for i, s in enumerate(SECTIONS)}
    part = part.assign(log_s=part["sheet"].map(order).fillna(99)).sort_values(["log_s", "excel_row"], kind="stable")
    return _outcome(_ref_rows, part, source, WHEN, note, note_col)


@pytest.mark.parametrize("source,note", [("typed", ""), ("suggestion applied", "by hand"),
                                         ("re-import", ""), ("re-import", "given"), ("portal error", "")])
def test_diff_actions_rows_per_column_as_one_by_one(source, note):
    n = 40
    words = ["Accept", "Reject", "", "Pending", "No Action", "junk"]
    notes = ["moved", None, float("nan"), "", 0, 3.5, "x"]
    before, after = _frames(n, [""] * n, [words[i % 6] for i in range(n)],
                            reimport_note=[notes[i % 7] for i in range(n)],
                            portal_errors=[notes[(i + 1) % 7] for i in range(n)])
    got = audit.diff_actions(before, after, source, WHEN, note)
    assert got and got == _expected(before, after, source, note)
    assert all(type(r[2]) is int for r in got)
    floats = after.assign(excel_row=after["excel_row"].astype(float))
    assert audit.diff_actions(before, floats, source, WHEN, note) == got


@pytest.mark.parametrize("bad_code_at", [0, 9])
def test_diff_actions_errors_as_one_by_one(monkeypatch, bad_code_at):
    """The first error in the rows' order is raised, whichever column it is in."""
    n = 10
    before, after = _frames(n, [""] * n, ["Accept"] * n)
    after["reimport_note"] = pd.Series(["a"] * 5 + [pd.NA] + ["b"] * 4, dtype=object)
    assert _outcome(audit.diff_actions, before, after, "re-import", WHEN) == _expected(before, after, "re-import")
    assert _outcome(audit.diff_actions, before, after, "re-import", WHEN)[0] is TypeError
    # one sheet; Excel rows 2..9, then inf, then NaN (sorted last): a code that is not one on the
    # first row is met first; on the last row, the Excel row inf before it is
    after = after.assign(sheet="B2B", excel_row=[2.0, 3, 4, 5, 6, 7, 8, 9, float("inf"), float("nan")])
    codes = ["A"] * n
    codes[bad_code_at] = "Q"
    monkeypatch.setattr(audit, "_effective", lambda rows: pd.Series(
        codes if "reimport_note" in rows else ["N"] * len(rows), index=rows.index, dtype=object))
    got = _outcome(audit.diff_actions, before, after, "typed", WHEN)
    assert got == _expected(before, after, "typed")
    assert got[0] is (ValueError if bad_code_at == 0 else OverflowError)


def test_typed_changes_as_one_by_one():
    n = 30
    words = ["Accept", "Reject", "", "Pending", "No Action", "junk"]
    rows = _frames(n, [""] * n, [words[i % 6] for i in range(n)])[1]
    grid = _logged(0)
    log_rows = [[WHEN, "B2B", 2, "s", "d", "No Action", w, src, "", f"k{i}"] for i, (w, src) in enumerate(
        [("Reject", "typed"), ("Accept", "portal error"), ("accepted", "re-import"), ("bad", "typed"),
         ("Pending", "letter")])]
    grid = audit.append_log(None, log_rows)
    state = _ref_state(grid)
    logged = [state.get(k, a) for k, a in zip(rows["key"], rows["action"])]
    before = rows[["key", "action"]].assign(action_text=[audit._label(a) for a in logged])
    assert audit.typed_changes(rows, grid, WHEN) == audit.diff_actions(before, rows, "typed", WHEN)
    bad = rows.assign(action=["N"] * (n - 1) + ["?"])
    assert _outcome(audit.typed_changes, bad, grid, WHEN) == (ValueError, "'?' is not an action code")
