"""What keeps the month's job run again under its memory bound (issue 13: no step above 1 GB
at 100,000 records; README "Speed and memory"): the review workbook's sheets are read one at
a time and each once; the workbook a download is re-imported into is read without the
downloaded copies the download brings again; the CLI hands the download and the old book
over to ``run_month``, which frees them once imported.

Each test fails if its mechanism is undone (a sheet read twice or all kept, the copies
kept, a reference kept by the CLI); the figures themselves are the benchmark's.
"""

from __future__ import annotations

import gc
import shutil
import weakref
from pathlib import Path

import pandas as pd
import pytest

from conftest import apply_edits, run
from ims_xl import actions, cli
from ims_xl.files import xlsx
from ims_xl.files.xlsx import read_review, write_review
from ims_xl.formats.ims_json import load_download
from ims_xl.review.book import merge_download


@pytest.fixture(scope="module")
def month(tmp_path_factory) -> Path:
    """A sample month run once (with its register): the folder holds review.xlsx with every
    sheet (sections, Books, reports, Log, hidden copy) and the download to run again."""
    d = tmp_path_factory.mktemp("month")
    assert run("sample", "--out-dir", d, "--records", 60, "--seed", 3) == 0
    assert run("run", d / "ims_download.json", "--books", d / "purchase_register.csv", "--out-dir", d / "job",
               "--apply-suggestions") in (0, 1)
    return d


def test_each_sheet_is_read_once_and_not_kept(month: Path, monkeypatch) -> None:
    reads: list[str] = []
    alive: list[weakref.ref] = []
    real = xlsx.sheet_grid

    class Grid(list):  # a list, as read, that a weak reference can follow
        pass

    still: dict[str, list[str]] = {}  # sheet -> the sheets read before it still in memory then

    def counted(wb, name, fetch=None, source=None):
        gc.collect()
        still[name] = [n for n, w in zip(reads, alive) if w() is not None]
        grid = Grid(real(wb, name, fetch, source))
        reads.append(name)
        alive.append(weakref.ref(grid))
        return grid

    monkeypatch.setattr(xlsx, "sheet_grid", counted)
    book = read_review(month / "job" / "review.xlsx")
    assert len(reads) == len(set(reads)), f"a sheet read twice: {reads}"
    assert {"B2B", "Books", "Log", "_ims_data"} <= set(reads)
    gc.collect()
    # each section sheet and the hidden copy let go before the next sheet is read
    assert {n: v for n, v in still.items() if v} == {}
    # every grid was taken into the book and let go (Books, Log and reports as copies)
    kept = [n for n, w in zip(reads, alive) if w() is not None]
    assert kept == [], kept
    assert len(book.rows) == len(read_review(month / "job" / "review.xlsx").rows)


def test_a_book_read_for_reimport_has_the_rows_without_the_copies(month: Path, tmp_path: Path) -> None:
    path = tmp_path / "review.xlsx"
    shutil.copyfile(month / "job" / "review.xlsx", path)
    # an accountant's slip on downloaded values, and typed work, both in the workbook
    apply_edits(path, [{"sheet": "B2B", "row": 2, "column": "Taxable value", "value": 1.5},
                       {"sheet": "B2B", "row": 3, "column": "Invoice number", "value": "TYPED-OVER"},
                       {"sheet": "B2B", "row": 4, "column": "Action", "value": "Reject"},
                       {"sheet": "B2B", "row": 4, "column": "Remarks", "value": "wrong rate"}])
    whole, work = read_review(path), read_review(path, work_only=True)
    # the same rows, but for the downloaded values as the sheets show them (read to find
    # accidental edits, which a re-import overwrites; the book read for it has them as written)
    assert list(whole.rows.columns) == list(work.rows.columns)
    kept = [c for c in whole.rows.columns if not c.startswith("shown_")]
    pd.testing.assert_frame_equal(whole.rows[kept], work.rows[kept])
    assert whole.originals and whole.seals and whole.texts
    assert not work.originals and not work.seals and not work.texts
    assert (work.books, work.log, work.reports) == (whole.books, whole.log, whole.reports)
    with pytest.raises(ValueError, match="cannot be written back"):
        write_review(work, month / "never.xlsx")
    assert not (month / "never.xlsx").exists()
    # a download re-imported into either comes out the same
    download = load_download(month / "ims_download.json")
    a, ra = merge_download(whole, download)
    b, rb = merge_download(work, download)
    pd.testing.assert_frame_equal(a.rows, b.rows)
    assert "wrong rate" in set(a.rows["remarks_text"])  # the typed work is carried
    assert (whole.rows["shown_doc_no"] == "TYPED-OVER").sum() == 1  # the slip was read, and not used
    assert (a.originals, a.seals, a.books, a.log, ra) == (b.originals, b.seals, b.books, b.log, rb)


def test_run_again_frees_the_download_and_the_old_book_before_reconciling(month: Path, monkeypatch) -> None:
    held: dict[str, weakref.ref] = {}
    seen: dict[str, bool] = {}
    load, read, reconcile = cli._load, cli.read_review, actions.reconcile

    def loaded(path):
        d = load(path)
        held["download"] = weakref.ref(d)
        return d

    def read_back(path, **kw):
        book = read(path, **kw)
        held["old book"] = weakref.ref(book)
        return book

    def reconciling(*args, **kw):
        gc.collect()
        seen.update({k: r() is None for k, r in held.items()})
        return reconcile(*args, **kw)

    monkeypatch.setattr(cli, "_load", loaded)
    monkeypatch.setattr(cli, "read_review", read_back)
    monkeypatch.setattr(actions, "reconcile", reconciling)
    rc = run("run", month / "ims_download.json", "--books", month / "purchase_register.csv",
             "--out-dir", month / "job", "--apply-suggestions")
    assert rc in (0, 1)
    assert seen == {"download": True, "old book": True}, f"still alive while reconciling: {seen}"
