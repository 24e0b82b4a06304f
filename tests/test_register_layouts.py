"""Every purchase-register layout reconciles exactly as its plain-columns twin.

The same documents (tests/registers/documents.py) are written once as a plain CSV the reader
already knows (the twin) and once per product layout (tests/registers/layouts.py: Tally,
Busy, Zoho Books, Marg, QuickBooks, SAP, a CA firm's sheet, the GSTR-2B Excel ...). Each is
reconciled through the CLI against the same IMS download, on its own copy of the review
workbook; the matches CSVs must agree record by record: the same status, the same paired
document (found by its number on the row of the reconciled review's Books sheet that the
CSV's ``books_row`` names, since row numbers differ between layouts), the same reasons, and
the same books-only documents.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from ims_xl import cli
from registers import documents as D
from registers.layouts import HEADER_CHECKS, LAYOUT_ARGS, LAYOUTS

#: Layouts whose writer needs an optional package.
NEEDS = {"busy": "xlwt"}
KIND_OF_SECTION = {"b2b": "invoice", "b2ba": "invoice", "b2bcn": "credit_note",
                   "b2bcna": "credit_note", "b2bdn": "debit_note", "b2bdna": "debit_note"}


# --------------------------------------------------------------------------- helpers


def _sheets(path: Path) -> list[list[list[str]]]:
    """Every sheet of a file as rows of stripped cell texts (a text file is one sheet)."""
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as f:
            return [[[c.strip() for c in row] for row in csv.reader(f)]]
    if path.suffix.lower() == ".txt":
        return [[[c.strip() for c in line.split("|")]
                 for line in path.read_text(encoding="utf-8").splitlines()]]
    wb = CalamineWorkbook.from_path(str(path))
    out = []
    for name in wb.sheet_names:
        grid = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        out.append([["" if c is None else str(c).strip() for c in row] for row in grid])
    return out


def _sheet(path: Path, name: str) -> list[list[str]]:
    if not name:
        return _sheets(path)[0]
    wb = CalamineWorkbook.from_path(str(path))
    grid = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    return [["" if c is None else str(c).strip() for c in row] for row in grid]


def _docs_at(sheets: list[list[list[str]]], row: int, kind: str) -> set[str]:
    """Keys of the booked documents of ``kind`` whose number is a cell of line ``row``."""
    found: set[str] = set()
    for rows in sheets:
        if 1 <= row <= len(rows):
            cells = set(rows[row - 1])
            found |= {d.key for d in D.BOOKS if d.kind == kind and d.number in cells}
    return found


def _reconcile(review: Path, books: Path, folder: Path, name: str,
               extra: list[str] | None = None) -> tuple[list[dict[str, str]], Path]:
    """Reconcile a copy of the review with ``books``: (matches CSV rows, reconciled copy)."""
    copy = folder / f"review_{name}.xlsx"
    shutil.copy(review, copy)
    matches = folder / f"matches_{name}.csv"
    rc = cli.main(["reconcile", str(copy), "--books", str(books), "--matches", str(matches),
                   *(extra or [])])
    assert rc == 0, f"{name}: ims-xl reconcile exited {rc} on {books.name}"
    with matches.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f)), copy


def _books_grid(reviewed: Path, books: Path) -> list[list[list[str]]]:
    """Where ``books_row`` points: the reconciled review's Books sheet (the register as
    reconcile read it, several sheets one below the other), else the register file."""
    wb = CalamineWorkbook.from_path(str(reviewed))
    if "Books" in wb.sheet_names:
        grid = wb.get_sheet_by_name("Books").to_python(skip_empty_area=False)
        return [[["" if c is None else str(c).strip() for c in row] for row in grid]]
    return _sheets(books)


def _missing_in_ims(reviewed: Path) -> list[tuple]:
    """The review's ``Missing in IMS`` sheet (document type and amounts of every books-only
    document), without the books row and the supplier name (both differ between layouts)."""
    wb = CalamineWorkbook.from_path(str(reviewed))
    if "Missing in IMS" not in wb.sheet_names:
        return []
    grid = wb.get_sheet_by_name("Missing in IMS").to_python()
    if not grid:
        return []
    head = [str(h).strip().lower() for h in grid[0]]
    keep = [i for i, h in enumerate(head) if h not in ("books row", "supplier name", "")]
    return sorted(tuple(str(r[i]).strip() if i < len(r) else "" for i in keep)
                  for r in grid[1:] if any(str(c).strip() for c in r))


def _reason(text: str) -> str:
    return re.sub(r"books row \d+", "books row N", text or "")


def _paired(rows: list[dict[str, str]], sheets: list[list[list[str]]]) -> dict[tuple, str | None]:
    """IMS record -> key of the paired booked document (None when unpaired)."""
    out: dict[tuple, str | None] = {}
    for r in rows:
        if not r["section"]:
            continue
        ident = (r["section"], r["stin"], r["doc_no"], r["doc_date"])
        if not r["books_row"]:
            out[ident] = None
            continue
        kind = KIND_OF_SECTION[r["section"]]
        if r.get("books_doc_no"):  # a matches CSV that names the books document
            keys = {d.key for d in D.BOOKS if d.kind == kind and d.number == r["books_doc_no"]}
        else:
            keys = _docs_at(sheets, int(r["books_row"]), kind)
        out[ident] = ",".join(sorted(keys)) or f"row {r['books_row']} (no known document)"
    return out


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def review(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ims")
    download = D.write_ims_download(folder / "ims_download.json")
    out = folder / "review.xlsx"
    assert cli.main(["import", str(download), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def twin(review, tmp_path_factory) -> tuple[Path, list[dict[str, str]]]:
    folder = tmp_path_factory.mktemp("twin")
    plain = D.write_plain(folder / "plain_register.csv")
    rows, reviewed = _reconcile(review, plain, folder, "plain")
    return rows, _books_grid(reviewed, plain), _missing_in_ims(reviewed)


def _write(name: str, folder: Path) -> Path:
    if name in NEEDS:
        pytest.importorskip(NEEDS[name])
    return LAYOUTS[name](folder)


# --------------------------------------------------------------------------- tests


def test_documents_are_well_formed():
    from ims_xl.gstin import is_valid_gstin
    assert 20 <= len(D.DOCUMENTS) <= 30
    assert all(is_valid_gstin(d.stin) for d in D.DOCUMENTS)
    numbers = [d.number for d in D.BOOKS]
    assert len(numbers) == len(set(numbers)), "books numbers must be unique (row lookup)"
    assert {d.kind for d in D.BOOKS} == {"invoice", "credit_note", "debit_note"}
    assert any(len(d.lines) > 1 for d in D.BOOKS) and any(d.has_cess for d in D.BOOKS)
    assert any(d.inter for d in D.BOOKS) and any(not d.inter for d in D.BOOKS)
    for d in D.DOCUMENTS:
        t = d.totals()
        assert t["camt"] == t["samt"] and t["val"] == sum(t[h] for h in D.HEADS)


def test_twin_exercises_several_statuses(twin):
    rows, grid, _ = twin
    statuses = [r["status"] for r in rows]
    assert len(set(statuses)) >= 5, statuses
    assert {"Matched", "Missing in books", "Missing in IMS"} <= set(statuses)
    paired = _paired(rows, grid)
    ims_numbers = {(d.ims or {}).get("number", d.number): d for d in D.IMS}
    for (section, _stin, doc_no, _date), key in paired.items():
        d = ims_numbers[doc_no]
        if key is not None:  # the twin pairs every record with its own document
            assert key == d.key, (doc_no, key)
        assert KIND_OF_SECTION[section] == d.kind


@pytest.mark.parametrize("name", sorted(HEADER_CHECKS))
def test_layout_file_opens_and_shows_its_headers(name, tmp_path):
    path = _write(name, tmp_path)
    for sheet, row, expected in HEADER_CHECKS[name]:
        rows = _sheet(path, sheet)
        assert len(rows) >= row, f"{path.name} {sheet!r}: only {len(rows)} rows"
        got = rows[row - 1][:len(expected)]
        assert got == expected, f"{path.name} {sheet!r} row {row}: {got}"
    # every booked document is in the file, under its own number
    cells = {c for rows in _sheets(path) for r in rows for c in r}
    missing = [d.number for d in D.BOOKS if d.number not in cells]
    assert not missing, f"{path.name}: documents missing {missing}"


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_layout_reconciles_as_its_twin(name, review, twin, tmp_path):
    want_rows, want_grid, want_missing = twin
    books = _write(name, tmp_path)
    got_rows, reviewed = _reconcile(review, books, tmp_path, name, LAYOUT_ARGS.get(name))

    diffs: list[str] = []
    want = {(r["section"], r["stin"], r["doc_no"], r["doc_date"]): r
            for r in want_rows if r["section"]}
    got = {(r["section"], r["stin"], r["doc_no"], r["doc_date"]): r
           for r in got_rows if r["section"]}
    assert set(got) == set(want), "the IMS records differ: same download, same review?"
    want_pair, got_pair = _paired(want_rows, want_grid), _paired(got_rows, _books_grid(reviewed, books))
    for ident, w in want.items():
        g = got[ident]
        label = f"{ident[0]} {ident[2]}"
        if g["status"] != w["status"]:
            diffs.append(f"{label}: status {g['status']!r}, twin {w['status']!r} "
                         f"(reasons: {g['reasons']!r})")
            continue
        if want_pair[ident] is not None and (got_pair[ident] is None or
                                             want_pair[ident] not in got_pair[ident].split(",")):
            diffs.append(f"{label}: paired with {got_pair[ident]}, twin with {want_pair[ident]}")
        if _reason(g["reasons"]) != _reason(w["reasons"]):
            diffs.append(f"{label}: reasons {g['reasons']!r}, twin {w['reasons']!r}")

    def books_only(rows):
        return sorted((r["stin"], r["doc_no"], r["doc_date"], r["status"])
                      for r in rows if not r["section"])

    w_only, g_only = books_only(want_rows), books_only(got_rows)
    for extra in sorted(set(g_only) - set(w_only)):
        diffs.append(f"books-only row not in the twin: {extra}")
    for lost in sorted(set(w_only) - set(g_only)):
        diffs.append(f"books-only row of the twin missing: {lost}")
    got_missing = _missing_in_ims(reviewed)
    for extra in sorted(set(got_missing) - set(want_missing)):
        diffs.append(f"'Missing in IMS' sheet row not in the twin's: {extra}")
    for lost in sorted(set(want_missing) - set(got_missing)):
        diffs.append(f"'Missing in IMS' sheet row of the twin missing: {lost}")
    assert not diffs, (f"{name} ({books.name}) reconciles differently from its twin, "
                       f"{len(diffs)} difference(s):\n  " + "\n  ".join(diffs[:25]))


def test_a_column_most_documents_differ_on_is_refused_until_the_user_names_it(tmp_path, capsys):
    """README, "Refused rather than guessed": the value column read as the taxable value makes
    most paired documents differ on it; reconcile refuses (exit 2, one line, workbook
    unchanged) naming the column, and accepts once the user maps that column on purpose."""
    dl, review = tmp_path / "dl.json", tmp_path / "review.xlsx"
    D.write_ims_download(dl)
    assert cli.main(["import", str(dl), "--out", str(review)]) == 0
    plain = D.write_plain(tmp_path / "plain.csv")
    with plain.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    head = rows[0]
    t, v = head.index("Taxable Value"), head.index("Invoice Value")
    for r in rows[1:]:  # the value column now sits under the taxable-value header
        r[t] = r[v]
    wrong = tmp_path / "wrong.csv"
    with wrong.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    before = review.read_bytes()
    capsys.readouterr()
    assert cli.main(["reconcile", str(review), "--books", str(wrong)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "wrong.csv: 'Taxable Value'" in err and "differ from the IMS on the taxable value" in err
    assert '--map "txval=<header>"' in err
    assert review.read_bytes() == before
    assert cli.main(["reconcile", str(review), "--books", str(wrong), "--map", "txval=Taxable Value"]) == 0
