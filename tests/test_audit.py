"""The audit trail (ims_xl.review.audit): typed, suggestion-applied, re-import and portal-error changes
are logged once each, existing rows are never rewritten, and edits of the Log are detected —
also after a round trip through a real .xlsx (cell types as python-calamine reads them)."""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from conftest import RTIN, download, import_new, one_per_section, record, run
from ims_xl import actions
from ims_xl.review import audit
from ims_xl.review.audit import (LOG_COLUMNS, LOG_HEADER, append_log, diff_actions, last_logged_state, log_seal,
                          portal_error_rows, typed_changes, verify_log)
from ims_xl.formats.ims_json import load_download
from ims_xl.review.book import merge_download
from ims_xl.samples.download import generate_download, write_download
from ims_xl.files.xlsx import read_review, write_review

WHEN1, WHEN2, WHEN3 = "2026-04-01 10:00:00 UTC+05:30", "2026-04-02 11:00:00 UTC+05:30", "2026-04-03 12:00:00 UTC+05:30"


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    d = tmp_path_factory.mktemp("audit")
    data = generate_download(records=60, seed=5)
    write_download(d / "ims.json", data)
    return data, load_download(d / "ims.json"), d


@pytest.fixture
def book(sample):
    return actions.import_download(sample[1])[0].book


def _type(rows: pd.DataFrame, edits: dict[int, str]) -> pd.DataFrame:
    rows = rows.copy()
    for i, word in edits.items():
        rows.at[i, "action_text"] = word
    return rows


def _pick(rows, n=3, avoid=("P",)):
    """n row indexes and a word each that changes their effective action."""
    out = {}
    for i, r in rows.iterrows():
        word = {"A": "Reject", "R": "Accept", "N": "Accept", "P": "Accept"}[r["action"]]
        out[i] = word
        if len(out) == n:
            return out
    raise AssertionError


def test_first_import_logs_nothing(book):
    assert typed_changes(book.rows, None, WHEN1) == []
    assert last_logged_state(None) == {}


def test_typed_changes_logged_once(book):
    edits = _pick(book.rows)
    rows = _type(book.rows, edits)
    new = typed_changes(rows, None, WHEN1)
    assert len(new) == 3
    for r, (i, word) in zip(new, sorted(edits.items(), key=lambda kv: (kv[0]))):
        src = rows.loc[i]
        assert r[:9] == [WHEN1, src["sheet"], int(src["excel_row"]), src["stin"], src["doc_no"],
                         {"A": "Accept", "R": "Reject", "N": "No Action", "P": "Pending"}[src["action"]],
                         word, "typed", ""]
        assert r[9] == src["key"]
    grid = append_log(None, new)
    assert grid[0] == list(LOG_HEADER) and len(grid) == 4
    assert typed_changes(rows, grid, WHEN2) == [], "the same typed actions are not logged again"
    # typed again, differently, on one record: one more row, old = the logged state
    i = next(iter(edits))
    rows2 = _type(rows, {i: "Pending" if edits[i] != "Pending" else "Accept"})
    more = typed_changes(rows2, grid, WHEN2)
    assert len(more) == 1 and more[0][5] == edits[i] and more[0][7] == "typed"
    grid2 = append_log(grid, more)
    assert grid2[:4] == grid, "existing rows are never rewritten"
    assert verify_log(grid2, log_seal(grid2)) == []
    # back to the portal status by clearing the cell: logged as a change back
    rows3 = _type(rows2, {i: ""})
    back = typed_changes(rows3, grid2, WHEN3)
    assert len(back) == 1 and back[0][6] == {"A": "Accept", "R": "Reject", "N": "No Action", "P": "Pending"}[rows.loc[i, "action"]]


def test_unknown_words_count_as_portal_status(book):
    rows = _type(book.rows, {0: "maybe", 1: "  accepted "})
    new = typed_changes(rows, None, WHEN1)
    keys = [r[9] for r in new]
    assert book.rows.loc[0, "key"] not in keys
    assert (book.rows.loc[1, "key"] in keys) == (book.rows.loc[1, "action"] != "A")


def test_suggestion_applied_then_typed(book):
    before = book.rows
    after = _type(before, _pick(before, 4))
    sugg = diff_actions(before, after, "suggestion applied", WHEN1)
    assert len(sugg) == 4 and {r[7] for r in sugg} == {"suggestion applied"}
    grid = append_log(None, sugg)
    assert typed_changes(after, grid, WHEN2) == [], "a tool change is not seen again as typed"
    assert {k: v for k, v in last_logged_state(grid).items()} == {
        r[9]: {"Accept": "A", "Reject": "R", "Pending": "P", "No Action": "N"}[r[6]] for r in sugg}


def _new_download(sample, name):
    data, dl, d = sample
    new_data = copy.deepcopy(data)
    changed = []
    for r in new_data["imsDetails"]["b2b"][:3]:
        r["action"] = {"A": "R", "R": "A", "N": "A", "P": "A"}[r.get("action", "N")]
        changed.append(r["inum"])
    write_download(d / name, new_data)
    return load_download(d / name), changed


def test_reimport_logs_portal_status_changes(sample, book):
    """The accountant left three records at their portal status (blank Action cells); a newer
    download changes that status: each change is logged once as a re-import."""
    _, changed = _new_download(sample, "ims2.json")
    old = book.rows.copy()
    old["action_text"] = ""
    new = old.copy()  # what re-import must give: same records, new portal status, blank cells kept
    m = (new["section"] == "b2b") & new["doc_no"].isin(changed)
    new.loc[m, "action"] = [{"A": "R", "R": "A", "N": "A", "P": "A"}[a] for a in new.loc[m, "action"]]
    new["reimport_note"] = ""
    new.loc[m, "reimport_note"] = "Portal status changed since the last download"
    logged = diff_actions(old, new, "re-import", WHEN2)
    assert sorted(r[4] for r in logged) == sorted(changed)
    assert all(r[7] == "re-import" and "Portal status changed" in r[8] for r in logged)
    grid = append_log(None, logged)
    assert typed_changes(new, grid, WHEN3) == []
    # records only on one side (new in the download, or gone) are not changes of action
    assert diff_actions(old.iloc[:10], new.iloc[5:], "re-import", WHEN2) == []


def test_reimport_through_merge_download_with_blank_actions(sample, book):
    dl2, changed = _new_download(sample, "ims3.json")
    rows = book.rows.copy()
    rows.loc[rows["section"] == "b2b", "action_text"] = ""
    old = replace(book, rows=rows)
    merged, _ = merge_download(old, dl2)
    logged = diff_actions(old.rows, merged.rows, "re-import", WHEN2)
    assert sorted(r[4] for r in logged) == sorted(changed)


def test_portal_error_rows_do_not_move_the_state(book):
    i = 0
    rows = _type(book.rows, {i: "Reject" if book.rows.loc[i, "action"] != "R" else "Accept"})
    typed = typed_changes(rows, None, WHEN1)
    grid = append_log(None, typed)
    after = rows.copy()
    after["portal_errors"] = ""
    after.loc[i, "portal_errors"] = "IMSSAV0010: Either previous action is incorrect"
    errs = portal_error_rows(rows, after, WHEN2)
    assert len(errs) == 1 and errs[0][7] == "portal error" and errs[0][8].startswith("IMSSAV0010")
    assert errs[0][5] == rows.loc[i, "action_text"] and errs[0][6] != errs[0][5]
    grid = append_log(grid, errs)
    assert typed_changes(after, grid, WHEN3) == [], "the typed action is still the logged state"
    assert portal_error_rows(after, after, WHEN3) == [], "the same message is logged once"


def test_diff_rejects_unknown_source(book):
    with pytest.raises(ValueError):
        diff_actions(book.rows, book.rows, "magic", WHEN1)


# ---------------------------------------------------------------- tampering

@pytest.fixture
def grid(book):
    rows = _type(book.rows, _pick(book.rows, 5))
    return append_log(None, typed_changes(rows, None, WHEN1))


def test_intact_log_verifies(grid):
    assert verify_log(grid) == [] and verify_log(grid, log_seal(grid)) == []


@pytest.mark.parametrize("edit,expected", [
    (lambda g: g[3].__setitem__(6, "Accept" if g[3][6] != "Accept" else "Reject"), "Log row 4 was changed"),
    (lambda g: g[2].__setitem__(0, "2020-01-01 00:00:00 UTC+05:30"), "Log row 3 was changed"),
    (lambda g: g[4].__setitem__(10, "0" * 16), "Log rows 5, 6 were changed"),
    (lambda g: g.pop(2), "Log row 3 was changed"),
    (lambda g: g.insert(3, list(g[3])), "Log row 5 was changed"),
    (lambda g: g.append(["x"] * 11), "Log row 7 was changed"),
    (lambda g: g.__setitem__(slice(1, 6), list(reversed(g[1:6]))), "were changed"),
    (lambda g: g[0].__setitem__(0, "Time"), "header row was changed"),
])
def test_edits_are_detected(grid, edit, expected):
    seal = log_seal(grid)
    g = copy.deepcopy(grid)
    edit(g)
    problems = verify_log(g, seal)
    assert any(expected in p for p in problems), problems


def test_rows_deleted_at_the_end_need_the_seal(grid):
    seal = log_seal(grid)
    g = grid[:-2]
    assert verify_log(g) == [], "a chain alone cannot see a cut at the end"
    assert "rows were removed from the Log sheet (ims-xl had written 5 rows; 3 are left)" in verify_log(g, seal)
    assert append_log(None, [], seal=seal)[1][8].startswith("the Log sheet was deleted (it had 5 rows)")


def test_edit_reported_once_and_rows_kept_as_found(book, grid):
    g = copy.deepcopy(grid)
    g[2][8] = "edited by hand"
    seal = log_seal(grid)
    new = typed_changes(_type(book.rows, {10: "Pending" if book.rows.loc[10, "action"] != "P" else "Accept"}), g, WHEN2)
    g2 = append_log(g, new, seal=seal)
    assert g2[:len(g)] == g, "the edited rows are kept as found, nothing is repaired"
    check = g2[len(g)]
    assert check[7] == "log check" and "Log row 3 was changed" in check[8] and check[9].startswith("sealed:")
    assert g2[-1][:10] == new[-1]
    assert verify_log(g2, log_seal(g2)) == [], "the sealed edit is not reported again"
    g3 = append_log(g2, [], seal=log_seal(g2))
    assert g3 == g2, "no second log check row"
    g3 = copy.deepcopy(g2)
    g3[-1][8] = "another edit"
    assert verify_log(g3) == [f"Log row {len(g3)} was changed, added, moved or removed by hand after ims-xl wrote them"]
    g4 = copy.deepcopy(g2)
    g4[2][8] = "edited again"
    assert any("Log row 3" in p for p in verify_log(g4)), "an edit before the seal breaks the seal"


def test_append_refuses_malformed_rows():
    with pytest.raises(ValueError):
        append_log(None, [["too", "short"]])


def test_log_survives_a_workbook_round_trip(tmp_path, book):
    """Written by the xlsx shell and read back with python-calamine (numbers come back as
    floats, strings starting with '=' stay text), the log verifies; an edit made with
    openpyxl, as in Excel, is detected at the right row."""
    rows = _type(book.rows, _pick(book.rows, 4))
    new = typed_changes(rows, None, audit.now_text())
    new[0][4] = "=HYPERLINK(\"http://x\")"  # a hostile document number stays text
    grid = append_log(None, new)
    wb = tmp_path / "review.xlsx"
    write_review(replace(book, rows=rows, log=grid), wb)
    back = read_review(wb).log
    assert verify_log(back, log_seal(grid)) == []
    assert typed_changes(read_review(wb).rows, back, WHEN2) == []
    x = openpyxl.load_workbook(wb)
    x["Log"]["G3"] = "Pending" if x["Log"]["G3"].value != "Pending" else "Accept"
    x.save(wb)
    back = read_review(wb).log
    assert verify_log(back) == ["Log row 3 was changed, added, moved or removed by hand after ims-xl wrote them"]


def test_large_diff_is_fast(book):
    import time
    big = pd.concat([book.rows] * 1000, ignore_index=True)
    big["key"] = big["key"] + "#" + big.index.astype(str)
    after = big.copy()
    after["action_text"] = "Reject"
    t = time.perf_counter()
    rows = diff_actions(big, after, "suggestion applied", WHEN1)
    g = append_log(None, rows)
    assert verify_log(g, log_seal(g)) == []
    assert time.perf_counter() - t < 20
    assert len(rows) == int((audit.effective(big) != "R").sum()) > 10_000
    assert set(LOG_COLUMNS) <= set(g[0])


def test_run_on_a_worked_book_logs_its_edits_once(sample, book, grid):
    """run_month on a workbook the accountant worked on: the re-import step reports a Log
    edited by hand (one log check row) and logs each typed action; the suggestions step,
    working on that same book in memory, neither reports the edit again nor logs the typed
    actions a second time (the suggestions are logged as such)."""
    from ims_xl.actions import RegisterFile
    from ims_xl.samples.register import generate_register
    data, download, _ = sample
    g = copy.deepcopy(grid)
    g[2][8] = "edited by hand"
    i, word = next(iter(_pick(book.rows.iloc[5:], 1).items()))  # not one of the grid's five
    typed = {**_pick(book.rows, 5), i: word}  # the grid logged the first five; the sixth is new
    worked = replace(book, rows=_type(book.rows, typed), log=g, meta={**book.meta, "log_seal": log_seal(grid)})
    reg, _ = generate_register(data, seed=5)
    _, out = actions.run_month(download, worked, [RegisterFile(reg, "register.csv")], apply=True)
    log = out.book.log
    new = log[len(g):]
    sources = [r[7] for r in new]
    assert sources.count("log check") == 1 and "Log row 3 was changed" in new[0][8]
    key = book.rows.loc[i, "key"]
    assert [r[7] for r in new if r[9] == key][:1] == ["typed"], "the typed action is logged first"
    assert sum(r[7] == "typed" for r in new) == 1, "each typed action once"
    assert sources.count("suggestion applied") > 0
    assert any("Log row 3 was changed" in m for m in out.messages)
    assert verify_log(log, log_seal(log)) == []


def test_a_log_row_is_checksummed_on_the_text_of_its_cells_whatever_their_types() -> None:
    """The chain's content of a row: its cells' texts joined (12 and 12.0 alike, a blank as
    ""); a row of texts, as ims-xl writes the Log, is joined as it is."""
    from datetime import datetime
    from hypothesis import given, settings
    from hypothesis import strategies as st
    cell = st.one_of(st.text(max_size=5), st.none(), st.integers(-5, 5), st.floats(allow_nan=True),
                     st.booleans(), st.just(datetime(2026, 12, 5, 9, 30)))

    @settings(max_examples=300, deadline=None, derandomize=True)
    @given(st.lists(cell, max_size=audit._W + 2))
    def check(row) -> None:
        for read in (False, True):
            assert audit._content(row, read) == "\x1f".join(audit._text(v) for v in audit._padded(row, audit._W - 1))

    check()
    texts = ["2026-12-05 09:30:00 UTC+05:30", "B2B", "7", "27AAPFU0939F1ZV", "A1", "No Action", "Accept",
             "typed", "", "b2b|27AAPFU0939F1ZV|A1"]
    assert len(texts) == audit._W - 1
    assert audit._content(texts, read=True) == "\x1f".join(texts)
    assert audit._content([*texts[:2], 7, *texts[3:]]) == audit._content(texts, read=True)


def test_export_says_which_log_rows_it_added_typed_actions_or_a_log_check(tmp_path, capsys) -> None:
    """Export logs the actions typed in Excel and, for a Log edited by hand, one ``log check``
    row; its message counts each for what it is (a log check row is no typed action)."""
    recs = one_per_section()
    recs["b2b"] += [record("b2b", 2)]
    wb = import_new(tmp_path, download(recs, rtin=RTIN))
    x = openpyxl.load_workbook(wb)
    ws = x["B2B"]
    col = [c.value for c in ws[1]].index("Action") + 1
    for r in (2, 3):
        ws.cell(r, col).value = "Reject"
    x.save(wb)
    capsys.readouterr()
    assert run("export", wb, "--out", tmp_path / "u.json") == 0
    assert "Log sheet: 2 row(s) added for actions typed by hand; wrote" in capsys.readouterr().out
    x = openpyxl.load_workbook(wb)
    x["Log"].cell(2, 1).value = "2020-01-01 00:00 UTC"  # a hand edit of a logged row's time
    x.save(wb)
    assert run("export", wb, "--out", tmp_path / "u.json") == 0
    out = capsys.readouterr().out
    assert "Log row 2 was changed" in out
    assert "Log sheet: 1 row(s) added for the hand edits named above; wrote" in out
    assert "typed by hand" not in out
    sources = [r[LOG_HEADER.index("Source")] for r in openpyxl.load_workbook(wb)["Log"].iter_rows(values_only=True)]
    assert sources.count("typed") == 2 and sources.count("log check") == 1
    assert run("export", wb, "--out", tmp_path / "u.json") == 0  # reported once: sealed
    assert "Log sheet" not in capsys.readouterr().out
