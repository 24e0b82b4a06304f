"""Register files as the programs that write them shape them: cells merged down, UTF-16 text,
tab- and semicolon-separated text under a title block, line breaks inside a quoted cell.

Each file holds the documents of the plain twin (``tests/registers/documents.py``) and must
reconcile exactly as the twin does (``ims-xl reconcile REVIEW_COPY --books FILE --matches
M.csv``: the same status for every IMS record, the same books-only documents). The builder of
each file says which program and which save option writes that shape.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from ims_xl import cli
from ims_xl.files.read import read_grid
from registers import documents as D
from registers.results import books_only, ims_statuses, matches, read_csv

HEADER = list(D.PLAIN_COLUMNS)
GSTIN, NAME = HEADER.index("GSTIN of Supplier"), HEADER.index("Supplier Name")
DATE = HEADER.index("Invoice Date")
AMOUNTS = {HEADER.index(h) for h in ("Taxable Value", "Integrated Tax", "Central Tax",
                                     "State/UT Tax", "Cess", "Invoice Value")}
#: the title block a Tally or Busy register report carries above its header
TITLE = [[D.COMPANY], [D.COMPANY_ADDRESS], ["Purchase Register"], ["1-Oct-2025 to 31-Oct-2025"], []]


# --------------------------------------------------------------------------- helpers


def indian(text: str) -> str:
    """``103307.28`` as Excel displays it under the Indian grouping format: ``1,03,307.28``."""
    whole, frac = f"{abs(float(text)):.2f}".split(".")
    if len(whole) > 3:
        head, groups = whole[:-3], []
        while len(head) > 2:
            groups.insert(0, head[-2:])
            head = head[:-2]
        whole = ",".join([head, *groups] if head else groups) + "," + whole[-3:]
    return ("-" if text.strip().startswith("-") else "") + whole + "." + frac


def displayed(rows: list[list[str]]) -> list[list[str]]:
    """The twin's data rows as a text save writes the displayed cells: amounts grouped."""
    return [[indian(v) if i in AMOUNTS and v else v for i, v in enumerate(r)] for r in rows]


def text_file(path: Path, rows: list[list[str]], delimiter: str, encoding: str,
              pad: bool) -> Path:
    """Rows as delimited text, CRLF between rows; ``pad`` writes every row to the widest
    row's width (Excel's text saves write the sheet's used range, so a title row ends in
    empty fields)."""
    width = max(len(r) for r in rows)
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    for r in rows:
        w.writerow(r + [""] * (width - len(r)) if pad else r)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> dict:
    """The download imported once; the plain twin and its matches."""
    folder = tmp_path_factory.mktemp("files")
    download = D.write_ims_download(folder / "ims_download.json")
    review = folder / "review.xlsx"
    assert cli.main(["import", str(download), "--out", str(review)]) == 0
    plain = D.write_plain(folder / "plain.csv")
    rows = read_csv(plain)
    assert rows[0] == HEADER
    twin_wb = Path(shutil.copy(review, folder / "twin.xlsx"))
    assert cli.main(["reconcile", str(twin_wb), "--books", str(plain),
                     "--matches", str(folder / "twin.csv")]) == 0
    twin = matches(folder / "twin.csv")
    assert len(set(ims_statuses(twin).values())) >= 5 and books_only(twin), "the twin lost its variety"
    return {"review": review, "rows": rows, "twin": twin}


def reconcile(base: dict, tmp_path: Path, books: Path, capsys) -> tuple[list[dict[str, str]], Path, str]:
    """``ims-xl reconcile`` of a fresh copy of the review workbook with ``books``: exit 0,
    and the same statuses and books-only documents as the twin."""
    review = Path(shutil.copy(base["review"], tmp_path / "review.xlsx"))
    out = tmp_path / "matches.csv"
    capsys.readouterr()
    rc = cli.main(["reconcile", str(review), "--books", str(books), "--matches", str(out)])
    said, err = capsys.readouterr()
    assert rc == 0, err
    rows = matches(out)
    assert ims_statuses(rows) == ims_statuses(base["twin"])
    assert books_only(rows) == books_only(base["twin"])
    return rows, review, said


# --------------------------------------------------------------------------- merged cells


def by_supplier(base: dict) -> list[list[list[str]]]:
    """The twin's rows grouped by supplier, as a register sorted by party shows them."""
    groups: dict[str, list[list[str]]] = {}
    for r in base["rows"][1:]:
        groups.setdefault(r[GSTIN], []).append(r)
    assert sum(len(g) > 1 for g in groups.values()) >= 3, "too few suppliers with several bills"
    return list(groups.values())


def write_merged_xlsx(base: dict, path: Path) -> Path:
    """A register kept by hand in Excel (.xlsx), sorted by supplier, the supplier's GSTIN and
    name merged down over that supplier's bills (Home > Merge & Center). Excel keeps the
    value in the range's top-left cell only and lists the range as ``<mergeCell
    ref="A6:A8"/>`` (ECMA-376 Part 1 §18.3.1.55); XlsxWriter's ``merge_range`` writes the
    same. Amounts are numbers, dates real dates, under a title block."""
    import datetime as dt

    import xlsxwriter
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Purchase Register")
    date_fmt = wb.add_format({"num_format": "dd-mm-yyyy"})
    for i, t in enumerate(TITLE):
        ws.write_row(i, 0, t)
    r = len(TITLE)
    ws.write_row(r, 0, HEADER)
    r += 1
    for group in by_supplier(base):
        for k, row in enumerate(group):
            for j, v in enumerate(row):
                if j in (GSTIN, NAME) and len(group) > 1:
                    continue  # written by merge_range below
                if j in AMOUNTS and v:
                    ws.write_number(r + k, j, float(v))
                elif j == DATE:
                    ws.write_datetime(r + k, j, dt.datetime.strptime(v, "%d-%m-%Y"), date_fmt)
                else:
                    ws.write_string(r + k, j, v)
        if len(group) > 1:
            for j in (GSTIN, NAME):
                ws.merge_range(r, j, r + len(group) - 1, j, group[0][j])
        r += len(group)
    wb.close()
    return path


def write_merged_xls(base: dict, path: Path) -> Path:
    """The same sheet saved as Excel 97-2003 (.xls, as BUSY exports): the merges are a
    MERGEDCELLS record ([MS-XLS] 2.4.168), the value again in the top-left cell only
    (xlwt's ``write_merge``)."""
    xlwt = pytest.importorskip("xlwt")
    wb = xlwt.Workbook()
    ws = wb.add_sheet("Purchase Register")
    for i, t in enumerate(TITLE):
        for j, v in enumerate(t):
            ws.write(i, j, v)
    r = len(TITLE)
    for j, v in enumerate(HEADER):
        ws.write(r, j, v)
    r += 1
    for group in by_supplier(base):
        for k, row in enumerate(group):
            for j, v in enumerate(row):
                if j in (GSTIN, NAME) and len(group) > 1:
                    continue
                ws.write(r + k, j, float(v) if j in AMOUNTS and v else v)
        if len(group) > 1:
            for j in (GSTIN, NAME):
                ws.write_merge(r, r + len(group) - 1, j, j, group[0][j])
        r += len(group)
    wb.save(str(path))
    return path


@pytest.mark.parametrize("suffix", [".xlsx", ".xls"])
def test_a_supplier_merged_down_over_its_bills_gives_every_bill_its_gstin(base, tmp_path, capsys, suffix):
    """Only the first bill of each supplier holds the GSTIN in the file: the others must not
    be dropped as an unregistered supplier's."""
    write = write_merged_xlsx if suffix == ".xlsx" else write_merged_xls
    books = write(base, tmp_path / f"merged{suffix}")
    _, review, said = reconcile(base, tmp_path, books, capsys)
    assert "without a supplier GSTIN" not in said and "unregistered" not in said, said
    assert "23 documents" in said, said


def test_merged_header_cells_are_read_as_before(base, tmp_path, capsys):
    """Cells merged down over two header rows (a label of its own) and across sub-columns
    (a group) are left as stored: the header reader reads them as such."""
    import xlsxwriter
    path = tmp_path / "two_row_header.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Register")
    ws.write_row(0, 0, [D.COMPANY])
    groups = {HEADER.index("Invoice Number"): ("Invoice", "No."), DATE: ("Invoice", "Date")}
    for j, h in enumerate(HEADER):
        if j not in groups:
            ws.merge_range(2, j, 3, j, h)
    ws.merge_range(2, HEADER.index("Invoice Number"), 2, DATE, "Invoice")
    for j, (_, sub) in groups.items():
        ws.write_string(3, j, sub)
    for i, row in enumerate(base["rows"][1:], 4):
        for j, v in enumerate(row):
            if j in AMOUNTS and v:
                ws.write_number(i, j, float(v))
            else:
                ws.write_string(i, j, v)
    wb.close()
    reconcile(base, tmp_path, path, capsys)


# --------------------------------------------------------------------------- encodings


@pytest.mark.parametrize("suffix", [".txt", ".csv"])
def test_excel_unicode_text_reads_as_the_twin(base, tmp_path, capsys, suffix):
    """Excel's File > Save As > "Unicode Text (*.txt)": UTF-16 little-endian with a byte-order
    mark, tab-separated, CRLF, every row written to the used range's width, cells as
    displayed (``1,03,307.28``). Users rename it .csv as often as they keep .txt."""
    rows = TITLE + [HEADER] + displayed(base["rows"][1:])
    books = text_file(tmp_path / f"unicode_text{suffix}", rows, "\t", "utf-16", pad=True)
    assert books.read_bytes().startswith(b"\xff\xfe" + D.COMPANY[:4].encode("utf-16-le"))
    reconcile(base, tmp_path, books, capsys)


@pytest.mark.parametrize("encoding, bom", [("utf-8", b"\xef\xbb\xbf"), ("utf-16-be", b"\xfe\xff"),
                                           ("utf-32-le", b"\xff\xfe\x00\x00"), ("utf-16-le", b"")])
def test_text_in_every_unicode_encoding_reads_the_same_cells(base, tmp_path, encoding, bom):
    """Excel's "CSV UTF-8" (UTF-8 with a mark); UTF-16 big-endian and UTF-32 with their
    marks (other editors' "Unicode" saves); UTF-16 whose mark a tool stripped."""
    rows = [HEADER] + base["rows"][1:]
    plain = text_file(tmp_path / "plain.csv", rows, ",", "utf-8", pad=False)
    other = tmp_path / "other.csv"
    other.write_bytes(bom + plain.read_text(encoding="utf-8").encode(encoding))
    assert read_grid(other)[0] == read_grid(plain)[0] == rows


# --------------------------------------------------------------------------- separators


@pytest.mark.parametrize("delimiter, suffix, pad", [
    ("\t", ".txt", False), ("\t", ".csv", False), (";", ".csv", False),
    ("\t", ".txt", True), (";", ".csv", True)])
def test_tab_and_semicolon_text_under_a_title_block(base, tmp_path, capsys, delimiter, suffix, pad):
    """A Tally or Busy register report's title block (company, address, report name, period)
    above the header, then tab- or semicolon-separated rows with amounts grouped
    (``1,03,307.28``, unquoted in the tab file). Unpadded: each title line one field, as a
    report's text export writes it (assumed: no public sample of Tally's or Busy's text
    export was found); padded: Excel's "Text (Tab delimited)" save, or its "CSV" save where
    Windows' list separator is ``;``, which write every row to the used range's width. The
    separator is the one that splits the table, not the title lines, into fields."""
    rows = TITLE + [HEADER] + displayed(base["rows"][1:])
    books = text_file(tmp_path / f"register{suffix}", rows, delimiter, "utf-8", pad=pad)
    if delimiter == "\t":
        assert "," in books.read_text(encoding="utf-8").splitlines()[len(TITLE) + 1]
    reconcile(base, tmp_path, books, capsys)


# --------------------------------------------------------------------------- line breaks


def test_a_line_break_inside_a_quoted_cell_stays_in_the_cell(base, tmp_path, capsys):
    """A supplier name typed on two lines in Excel (Alt+Enter), saved as "CSV (Comma
    delimited)": the cell is quoted and holds a bare LF, rows end in CRLF (RFC 4180 §2.6
    allows line breaks inside quoted fields). The name keeps its line break; the row is one
    document."""
    rows = [list(r) for r in base["rows"]]
    for r in rows[1:]:
        r[NAME] += "\nBhosari Branch"
    books = text_file(tmp_path / "names_on_two_lines.csv", rows, ",", "utf-8", pad=False)
    assert b'Branch"' in books.read_bytes() and b"\r\n" in books.read_bytes()
    _, review, _ = reconcile(base, tmp_path, books, capsys)
    wb = CalamineWorkbook.from_path(str(review))
    names = {c for row in wb.get_sheet_by_name("Books").to_python() for c in row
             if isinstance(c, str) and "Branch" in c}
    wb.close()
    assert names == {r[NAME] for r in rows[1:]}, names


def test_a_quoted_name_with_a_comma_starting_with_a_quote_stays_one_cell(base, tmp_path, capsys):
    """Excel's "CSV (Comma delimited)" save of a supplier name typed as ``"Shah" Traders,
    Mumbai``: the cell is quoted and its quotes doubled (RFC 4180 §2.7), so it starts with
    three quotes. Python's dialect sniffer took such a file for one without doubled quotes,
    and the name split at its comma, shifting every cell after it."""
    rows = [list(r) for r in base["rows"]]
    for r in rows[1:]:
        r[NAME] = f'"Shah" Traders, {r[NAME]}'
    books = text_file(tmp_path / "quoted_names.csv", rows, ",", "utf-8", pad=False)
    assert b'"""Shah"" Traders, ' in books.read_bytes()
    grid, _ = read_grid(books)
    assert grid == rows
    reconcile(base, tmp_path, books, capsys)
