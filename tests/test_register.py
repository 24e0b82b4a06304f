"""Tests for ims_xl.formats.register: header detection, synonyms, amounts, dates, grouping, errors."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from ims_xl.gstin import check_char
from ims_xl.formats.register import BOOKS_COLUMNS, RegisterError, read_register_grid


def gstin(state: str = "27", pan: str = "AAPFU0939F") -> str:
    first14 = f"{state}{pan}1Z"
    return first14 + check_char(first14)


G1 = gstin()
G2 = gstin("29", "AAACB1234C")
TALLY_HEADER = ["Date", "Particulars", "Voucher Type", "Voucher No.", "GSTIN/UIN of Supplier",
                "Supplier Invoice No.", "Supplier Invoice Date", "Place Of Supply",
                "Taxable Value", "Integrated Tax", "Central Tax", "State/UT Tax", "Cess",
                "Invoice Value"]


def tally_row(doc_no="INV/0891", date="05-11-2024", txval="1,00,000.00", iamt="",
              camt="9,000.00", samt="9,000.00", cess="", val="1,18,000.00", stin=G1,
              vtype="Purchase", vch="1", pos="27-Maharashtra"):
    return ["5-Nov-2024", "Alpha Traders", vtype, vch, stin, doc_no, date, pos, txval, iamt,
            camt, samt, cess, val]


def simple(header, *rows):
    return [list(header), *[list(r) for r in rows]]


# ------------------------------------------------------------------ header and synonyms


def test_header_found_after_title_rows_and_books_row_is_the_file_line():
    grid = [["Purchase Register"], ["Alpha Ltd", None], [], TALLY_HEADER,
            tally_row(), tally_row(doc_no="INV/0892", vch="2")]
    res = read_register_grid(grid, "reg.csv")
    assert res.header_row == 4
    assert res.books["books_row"].tolist() == [5, 6]
    assert res.books["source_rows"].tolist() == ["5", "6"]
    assert list(res.books.columns) == list(BOOKS_COLUMNS)
    assert res.mapping["doc_no"] == "Supplier Invoice No."
    # the supplier's invoice date wins over Tally's voucher "Date"
    assert res.mapping["doc_date"] == "Supplier Invoice Date"
    assert res.books["doc_date"].tolist() == [pd.Timestamp("2024-11-05")] * 2


@pytest.mark.parametrize("header", [
    # Zoho Books style
    ["Vendor Name", "Vendor GSTIN", "Bill Number", "Bill Date", "Sub Total", "IGST", "CGST",
     "SGST", "Cess Amount", "Total"],
    # Busy style
    ["Party Name", "Party GSTIN", "Bill No", "Bill Date", "Taxable Amount", "IGST Amount",
     "CGST Amount", "SGST Amount", "Cess", "Bill Amount"],
    # GST offline tool / GSTR-2B style with currency marks
    ["Trade/Legal name", "GSTIN of supplier", "Invoice number", "Invoice Date",
     "Taxable Value (₹)", "Integrated Tax(₹)", "Central Tax(₹)", "State/UT Tax(₹)", "Cess(₹)",
     "Invoice Value(₹)"],
    ["Supplier Name", "Supplier GSTIN", "Invoice No", "Invoice Date", "Taxable Value",
     "Integrated Tax", "Central Tax", "SGST/UTGST", "Cess", "Invoice Value"],
])
def test_synonyms_of_common_exports(header):
    row = ["Alpha", G1, "A-1", "05/11/2024", "1000", "0", "90", "90", "0", "1180"]
    res = read_register_grid(simple(header, row), "reg.csv")
    assert set(res.mapping) >= {"stin", "tradenm", "doc_no", "doc_date", "txval", "iamt",
                                "camt", "samt", "cess", "val"}
    b = res.books.iloc[0]
    assert (b["stin"], b["doc_no"], b["txval"], b["camt"], b["samt"], b["val"]) == (
        G1, "A-1", 100000, 9000, 9000, 118000)


def test_user_mapping_for_unrecognised_headers():
    grid = simple(["Vendor Ref", "Tax ID", "Amt", "Dt"], ["X-9", G1, "500", "01-04-2025"])
    with pytest.raises(RegisterError):
        read_register_grid(grid, "reg.csv")
    res = read_register_grid(grid, "reg.csv", mapping={"stin": "Tax ID", "doc_no": "Vendor Ref",
                                                      "txval": "Amt", "doc_date": "Dt"})
    b = res.books.iloc[0]
    assert (b["doc_no"], b["txval"], b["val"]) == ("X-9", 50000, 50000)
    assert b["doc_date"] == pd.Timestamp("2025-04-01")


def test_unknown_mapping_field_is_refused():
    with pytest.raises(RegisterError, match="unknown field"):
        read_register_grid(simple(["GSTIN"], [G1]), "reg.csv", mapping={"gstn": "GSTIN"})


# ------------------------------------------------------------------ amounts


@pytest.mark.parametrize("cell, paise", [
    ("1,00,000.00", 10000000), ("10,00,00,000", 10000000000), ("₹ 1,234.50", 123450),
    ("Rs. 99", 9900), ("(500.00)", -50000), ("-12.5", -1250), ("-", 0), ("", 0), (None, 0),
    (1234.56, 123456), (1000, 100000), ("1,000.00 Dr", 100000),
    # Dr / Cr are the ledger side, not a sign (README, "Registers as accounting software exports them"); SAP's trailing minus is one
    ("1,000.00 Cr", 100000), ("16,825.05-", -1682505), ("1,180.50-", -118050),
])
def test_amounts_with_indian_grouping(cell, paise):
    grid = simple(["GSTIN", "Invoice No", "Taxable Value", "IGST"], [G1, "1", "10000", cell])
    assert read_register_grid(grid, "reg.csv").books["iamt"].item() == paise


def test_value_column_missing_means_sum_of_heads():
    grid = simple(["GSTIN", "Invoice No", "Taxable Value", "IGST", "Cess"],
                  [G1, "1", "1,000.00", "180.00", "12.00"])
    assert read_register_grid(grid, "reg.csv").books["val"].tolist() == [119200]


# ------------------------------------------------------------------ dates

_DATE = pd.Timestamp("2024-11-05")


@pytest.mark.parametrize("cell", [
    "05-11-2024", "5-11-2024", "05/11/2024", "05.11.2024", "05-Nov-24", "5-Nov-2024",
    "05 Nov 2024", "2024-11-05", "2024-11-05 00:00:00", "05-11-24", "Nov 5, 2024",
    dt.datetime(2024, 11, 5, 13, 30), dt.date(2024, 11, 5), 45601, 45601.0, "45601",
    20241105,
])
def test_date_formats(cell):
    grid = simple(["GSTIN", "Invoice No", "Invoice Date", "Taxable Value"], [G1, "1", cell, "1"])
    res = read_register_grid(grid, "reg.csv")
    assert res.books["doc_date"].iloc[0] == _DATE
    assert str(res.books["doc_date"].dtype) == "datetime64[ns]"


def test_unreadable_date_is_a_warning_with_the_row():
    grid = simple(["GSTIN", "Invoice No", "Invoice Date", "Taxable Value"],
                  [G1, "1", "someday", "1"], [G1, "2", "05-11-2024", "1"])
    res = read_register_grid(grid, "reg.csv")
    assert pd.isna(res.books["doc_date"].iloc[0])
    assert any("rows 2" in w and "Invoice Date" in w for w in res.warnings)


# ------------------------------------------------------------------ kinds, ids, pos


@pytest.mark.parametrize("word, kind", [
    ("Purchase", "invoice"), ("Tax Invoice", "invoice"), ("Credit Note", "credit_note"),
    ("C", "credit_note"), ("Debit Note", "debit_note"), ("D", "debit_note"),
    ("Vendor Credits", "credit_note"), ("", "invoice"),
])
def test_document_type_words(word, kind):
    grid = simple(["GSTIN", "Note Number", "Note Type", "Taxable Value"], [G1, "9", word, "1"])
    assert read_register_grid(grid, "reg.csv").books["doc_kind"].item() == kind


def test_identifiers_read_as_numbers_stay_strings_with_a_warning():
    grid = simple(["GSTIN", "Invoice No", "Original Invoice No", "Taxable Value"],
                  [G1, 123.0, 77, 1.0])
    res = read_register_grid(grid, "reg.csv", sheet="Books")
    b = res.books.iloc[0]
    assert (b["doc_no"], b["orig_doc_no"]) == ("123", "77")
    assert any("leading zeros" in w and "Invoice No" in w and "Books" in w
               for w in res.warnings)


@pytest.mark.parametrize("cell, pos", [("27-Maharashtra", "27"), (27.0, "27"), ("7", "07"),
                                      ("Karnataka", "29"), ("", "")])
def test_place_of_supply(cell, pos):
    grid = simple(["GSTIN", "Invoice No", "POS", "Taxable Value"], [G1, "1", cell, "1"])
    assert read_register_grid(grid, "reg.csv").books["pos"].item() == pos


def test_rows_without_gstin_and_totals_are_left_out():
    grid = [TALLY_HEADER, tally_row(), tally_row(stin="", doc_no="URD-1", vch="2"),
            [None, "Grand Total", None, None, None, None, None, None, "2,00,000", None, None,
             None, None, None]]
    res = read_register_grid(grid, "reg.csv")
    assert res.books["doc_no"].tolist() == ["INV/0891"]
    assert any("without a supplier GSTIN" in w and "rows 3" in w for w in res.warnings)


# ------------------------------------------------------------------ grouping


def test_rows_per_tax_rate_are_one_document_and_a_repeated_value_counts_once():
    grid = [TALLY_HEADER,
            tally_row(txval="60,000.00", camt="3,600.00", samt="3,600.00", val="1,09,200.00"),
            tally_row(txval="40,000.00", camt="1,000.00", samt="1,000.00", val="1,09,200.00"),
            tally_row(doc_no="X/1", vch="2")]
    b = read_register_grid(grid, "reg.csv").books
    assert len(b) == 2
    d = b.iloc[0]
    assert (d["books_row"], d["source_rows"], d["txval"], d["camt"], d["samt"], d["val"]) == (
        2, "2,3", 10000000, 460000, 460000, 10920000)


def test_rows_per_item_with_their_own_values_are_summed():
    header = ["GSTIN", "Bill No", "Bill Date", "Taxable Value", "IGST", "Invoice Value"]
    grid = simple(header, [G2, "B1", "01-10-2025", 100, 18, 118],
                  [G2, "B1", "01-10-2025", 50, 9, 59])
    d = read_register_grid(grid, "reg.csv").books.iloc[0]
    assert (d["txval"], d["iamt"], d["val"], d["source_rows"]) == (15000, 2700, 17700, "2,3")


def test_same_number_on_other_date_or_kind_is_another_document():
    header = ["GSTIN", "Bill No", "Bill Date", "Document Type", "Taxable Value"]
    grid = simple(header, [G2, "B1", "01-10-2025", "Invoice", 100],
                  [G2, "B1", "01-10-2024", "Invoice", 100],
                  [G2, "B1", "01-10-2025", "Credit Note", 100])
    assert len(read_register_grid(grid, "reg.csv").books) == 3


def test_identical_bookings_stay_two_documents():
    header = ["GSTIN", "Bill No", "Bill Date", "Taxable Value", "IGST"]
    grid = simple(header, [G2, "B1", "01-10-2025", 100, 18], [G2, "B1", "01-10-2025", 100, 18])
    b = read_register_grid(grid, "reg.csv").books
    assert b["books_row"].tolist() == [2, 3]
    assert b["txval"].tolist() == [10000, 10000]


def test_voucher_number_keeps_bookings_apart_and_lines_together():
    grid = [TALLY_HEADER, tally_row(vch="7"), tally_row(vch="8"),
            tally_row(vch="9", txval="10", camt="1", samt="1", val="12"),
            tally_row(vch="9", txval="20", camt="2", samt="2", val="24")]
    b = read_register_grid(grid, "reg.csv").books
    assert b["source_rows"].tolist() == ["2", "3", "4,5"]


def test_negative_notes_are_flipped_and_read_as_credit_notes_without_a_type_column():
    grid = simple(["GSTIN", "Note No", "Taxable Value", "IGST"], [G1, "CN-1", "-100", "-18"])
    res = read_register_grid(grid, "reg.csv")
    d = res.books.iloc[0]
    assert (d["doc_kind"], d["txval"], d["iamt"], d["val"]) == ("credit_note", 10000, 1800, 11800)
    assert any("credit notes" in w for w in res.warnings)


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize("grid", [[], [[]], [[None, ""], ["  "]]])
def test_empty_register(grid):
    with pytest.raises(RegisterError, match=r"purchases\.xlsx, sheet 'Books': the register is empty"):
        read_register_grid(grid, "purchases.xlsx", sheet="Books")


def test_header_only_register():
    with pytest.raises(RegisterError, match="reg.csv: the header is on row 1 but no data"):
        read_register_grid([TALLY_HEADER], "reg.csv")


def test_no_recognisable_header_lists_headers_and_a_mapping_block():
    grid = [["My purchases"], ["Party", "Bill Ref", "Amt", "Invoice Date"], ["x", "1", "2", ""]]
    with pytest.raises(RegisterError) as e:
        read_register_grid(grid, "reg.csv", sheet="Sheet1")
    msg = str(e.value)
    assert msg.startswith("reg.csv, sheet 'Sheet1': no header row")
    assert "Headers found (row 2): 'Party', 'Bill Ref', 'Amt', 'Invoice Date'" in msg
    assert "doc_date <- 'Invoice Date'" in msg
    assert '--map "stin=<header>,doc_no=<header>,txval=<header>"' in msg and "Books settings" in msg


def test_gstin_column_full_of_names():
    grid = simple(["Party Name", "GSTIN", "Invoice No", "Taxable Value"],
                  ["Alpha", "Alpha Traders", "1", "10"], ["Beta", "Beta & Co", "2", "10"],
                  ["Gamma", G1, "3", "10"])
    with pytest.raises(RegisterError) as e:
        read_register_grid(grid, "reg.csv")
    msg = str(e.value)
    assert "column 'GSTIN'" in msg and "row 2: 'Alpha Traders'" in msg
    assert "2 of 3 values" in msg


def test_text_in_an_amount_column_names_row_column_and_value():
    grid = [["Purchase Register"], TALLY_HEADER, tally_row(),
            tally_row(doc_no="2", txval="see bill")]
    with pytest.raises(RegisterError) as e:
        read_register_grid(grid, "purchases.xlsx", sheet="Books")
    msg = str(e.value)
    assert msg.startswith("purchases.xlsx, sheet 'Books': row 4, column 'Taxable Value'")
    assert "'see bill' is not an amount" in msg


def test_amount_with_more_than_two_decimals_is_refused():
    grid = simple(["GSTIN", "Invoice No", "Taxable Value"], [G1, "1", "10.005"])
    with pytest.raises(RegisterError, match="row 2, column 'Taxable Value'"):
        read_register_grid(grid, "reg.csv")


def test_grid_is_not_modified():
    grid = [TALLY_HEADER, tally_row()]
    copy = [list(r) for r in grid]
    read_register_grid(grid, "reg.csv")
    assert grid == copy


def test_core_modules_import_no_spreadsheet_or_cli_library():
    banned = {"openpyxl", "xlwings", "xlsxwriter", "click", "typer", "argparse"}
    root = Path(__file__).resolve().parents[1] / "ims_xl"
    reader = sorted(f.relative_to(root).as_posix() for f in (root / "formats" / "register").glob("*.py"))
    assert "formats/register/reader.py" in reader
    for name in (*reader, "reconcile/matcher.py", "samples/register.py"):
        tree = ast.parse((root / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            mods = []
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                mods = [node.module]
            for m in mods:
                assert m.split(".")[0] not in banned, f"{name} imports {m}"


# ------------------------------------------------------------------ real export shapes (README, "Registers as accounting software exports them")


def test_two_row_header_with_merged_group_cells():
    # a CA firm's sheet: "Invoice" merged over No./Date, "Tax" over the heads (calamine gives
    # None for the covered cells of a merge)
    grid = [["Purchases October 2025"],
            ["GSTIN", "Supplier", "Invoice", None, "Taxable", "Tax", None, None, None, "Total"],
            [None, None, "No.", "Date", None, "IGST", "CGST", "SGST", "Cess", None],
            [G1, "Alpha", "A-7", "05/11/2024", 1000, 0, 90, 90, 0, 1180]]
    res = read_register_grid(grid, "ca.xlsx")
    assert res.header_row == 3
    b = res.books.iloc[0]
    assert (b["doc_no"], b["txval"], b["camt"], b["samt"], b["val"], b["books_row"]) == (
        "A-7", 100000, 9000, 9000, 118000, 4)
    assert res.books["doc_date"].iloc[0] == pd.Timestamp("2024-11-05")


def test_a_two_row_header_repeated_on_each_page_is_read_as_one_header():
    # the same sheet printed to Excel page by page: its two header rows again before the
    # second page's rows (the second header row is part of the header, not a header of its own)
    top = ["GSTIN", "Supplier", "Invoice", None, "Taxable", "Tax", None, None, None, "Total"]
    sub = [None, None, "No.", "Date", None, "IGST", "CGST", "SGST", "Cess", None]
    grid = [["Purchases October 2025"], top, sub,
            [G1, "Alpha", "A-7", "05/11/2024", 1000, 0, 90, 90, 0, 1180],
            top, sub,
            [G2, "Beta", "B-9", "06/11/2024", 500, 90, 0, 0, 0, 590]]
    res = read_register_grid(grid, "ca.xlsx")
    b = res.books.set_index("doc_no")
    assert b.index.tolist() == ["A-7", "B-9"]
    assert b.loc["B-9", ["books_row", "stin", "txval", "iamt", "val"]].tolist() == [7, G2, 50000, 9000, 59000]
    assert b.loc["A-7", ["books_row", "camt"]].tolist() == [4, 9000]
    assert res.warnings == ["ca.xlsx: 2 header rows (rows 3, 6): each starts a block read with its own columns"]


def test_tally_ledger_columns_are_added_by_head():
    header = ["Date", "Particulars", "Voucher Type", "Voucher No.", "Supplier Invoice No.",
              "GSTIN/UIN", "Gross Total", "Purchase @ 18%", "Purchase @ 12%", "Input CGST @9%",
              "Input CGST @6%", "Input SGST @9%", "Input SGST @6%", "Cess on GST Input", "Round Off"]
    row = ["1-Oct-25", "Alpha", "Purchase", "41", "A/101", G1, "2,300.00", "1,000.00", "1,000.00",
           "90.00", "60.00", "90.00", "60.00", "", ""]
    res = read_register_grid([["Alpha Ltd"], ["Purchase Register"], header, row], "tally.xlsx")
    b = res.books.iloc[0]
    assert (b["txval"], b["camt"], b["samt"], b["val"]) == (200000, 15000, 15000, 230000)
    assert res.mapping["txval"] == "Purchase @ 18% + Purchase @ 12%"
    assert any("ledger columns" in w for w in res.warnings)


def test_combined_tax_column_split_by_tax_name_or_place_of_supply():
    header = ["Bill Date", "Bill Number", "Vendor Name", "GST Identification Number (GSTIN)",
              "Place of Supply", "Item Total", "Tax Name", "Tax Amount", "SubTotal", "Total"]
    g2 = gstin("29", "AAACB1234C")
    rows = [["2025-10-01", "B-1", "Alpha", G1, "MH", 1000, "GST18", 180, 1500, 1770],
            ["2025-10-01", "B-1", "Alpha", G1, "MH", 500, "GST18", 90, 1500, 1770],
            ["2025-10-02", "B-2", "Beta", g2, "KA", 1000, "IGST18", 180, 1000, 1180],
            ["2025-10-03", "B-3", "Beta", g2, "KA", 200, "", 36, 200, 236],
            ["2025-10-04", "B-4", "Gamma", G1, "MH", 300, "", 54, 700, 826],
            ["2025-10-04", "B-4", "Gamma", G1, "MH", 400, "", 72, 700, 826]]
    b = read_register_grid([header, *rows], "bills.csv", recipient_state="27").books.set_index("doc_no")
    assert b.loc["B-1", ["txval", "iamt", "camt", "samt", "val"]].tolist() == [150000, 0, 13500, 13500, 177000]
    assert b.loc["B-2", ["iamt", "camt"]].tolist() == [18000, 0]
    assert b.loc["B-3", ["iamt", "camt"]].tolist() == [3600, 0]          # KA is not the recipient's 27
    assert b.loc["B-4", ["txval", "camt", "samt", "val"]].tolist() == [70000, 6300, 6300, 82600]
    with pytest.raises(RegisterError, match=r"nothing tells IGST from CGST \+ SGST on rows 5.*tax_name"):
        read_register_grid([header, *rows], "bills.csv")                 # no recipient state


def test_tally_voucher_types_are_the_suppliers_documents_unless_told_otherwise():
    grid = [TALLY_HEADER, tally_row(vtype="Purchase"), tally_row(doc_no="CN-1", vtype="Debit Note", vch="2"),
            tally_row(doc_no="DN-1", vtype="Credit Note", vch="3")]
    kinds = read_register_grid(grid, "r.csv").books.set_index("doc_no")["doc_kind"].to_dict()
    assert kinds == {"INV/0891": "invoice", "CN-1": "credit_note", "DN-1": "debit_note"}
    from ims_xl.formats.register import parse_voucher_kinds
    other = parse_voucher_kinds("Debit Note=debit_note, Credit Note = credit note")
    kinds = read_register_grid(grid, "r.csv", voucher_kinds=other).books.set_index("doc_no")["doc_kind"]
    assert kinds.to_dict() == {"INV/0891": "invoice", "CN-1": "debit_note", "DN-1": "credit_note"}


def test_document_type_column_is_taken_literally():
    grid = simple(["GSTIN", "Invoice No", "Document Type", "Taxable Value"],
                  [G1, "1", "Credit Note", "10"], [G1, "2", "Debit Note", "10"])
    assert read_register_grid(grid, "r.csv").books["doc_kind"].tolist() == ["credit_note", "debit_note"]


def test_sap_reference_is_the_suppliers_number_and_document_number_the_voucher():
    header = ["Vendor", "Name", "GSTIN", "Document Type", "Reference", "DocumentNo", "Doc. Date",
              "Tax Base Amount", "IGST", "Amount in LC"]
    grid = [header, ["100012", "Alpha", G1, "KR", "A/77", "5100000123", "01.10.2025", "1,000.00-",
                     "180.00-", "1,180.00-"],
            ["100012", "Alpha", G1, "KG", "CN/3", "5100000124", "02.10.2025", "100.00", "18.00", "118.00"]]
    res = read_register_grid(grid, "fbl1n.xlsx")
    assert res.mapping["doc_no"] == "Reference" and res.mapping["voucher_no"] == "DocumentNo"
    b = res.books.set_index("doc_no")
    # an invoice is a credit to the vendor (negative in SAP), a credit memo a debit: the
    # document type says which, and the IMS shows both positive
    assert b.loc["A/77", ["doc_kind", "txval", "iamt", "val"]].tolist() == ["invoice", 100000, 18000, 118000]
    assert b.loc["CN/3", ["doc_kind", "txval", "iamt", "val"]].tolist() == ["credit_note", 10000, 1800, 11800]


def test_internal_sequence_numbers_in_the_number_column_are_refused():
    gs = [gstin(st, "AAACB1234C") for st in ("27", "29", "33")]
    grid = simple(["GSTIN", "Invoice No", "Taxable Value", "IGST"],
                  *[[gs[k % 3], str(100 + k), "100", "18"] for k in range(12)])
    with pytest.raises(RegisterError, match=r"sequence numbers \(100 to 111.*--map \"doc_no=<header>\""):
        read_register_grid(grid, "r.csv")


def test_every_document_negative_without_a_type_column_is_refused():
    grid = simple(["GSTIN", "Invoice No", "Taxable Value", "IGST"], [G1, "A1", "-100", "-18"],
                  [G1, "A2", "-200", "-36"])
    with pytest.raises(RegisterError, match="every document is negative"):
        read_register_grid(grid, "r.csv")


def test_taxable_value_read_as_zero_everywhere_is_refused():
    grid = simple(["GSTIN", "Invoice No", "Taxable Value", "IGST", "Invoice Value", "Purchase Amt"],
                  [G1, "A1", "", "18", "118", "100"], [G1, "A2", "", "36", "236", "200"])
    with pytest.raises(RegisterError, match=r"column 'Taxable Value' is zero or blank on every document.*"
                                            r"'Purchase Amt'.*txval=<header>"):
        read_register_grid(grid, "r.csv")


def test_taxes_in_columns_not_read_are_refused():
    grid = simple(["GSTIN", "Invoice No", "Taxable Value", "GST @18", "Invoice Value"],
                  [G1, "A1", "100", "18", "118"], [G1, "A2", "200", "36", "236"])
    with pytest.raises(RegisterError, match=r"no tax column was recognised.*'GST @18'"):
        read_register_grid(grid, "r.csv")


def test_a_second_header_starts_a_block_with_its_own_columns():
    grid = [["GSTIN", "Invoice No", "Taxable Value", "IGST"], [G1, "A1", "100", "18"], [],
            ["Note No", "Supplier GSTIN", "Note Type", "Taxable Value", "Central Tax", "State/UT Tax"],
            ["CN-1", G2, "C", "50", "4.5", "4.5"]]
    res = read_register_grid(grid, "r.csv")
    b = res.books.set_index("doc_no")
    assert b.loc["A1", ["books_row", "iamt"]].tolist() == [2, 1800]
    assert b.loc["CN-1", ["books_row", "stin", "doc_kind", "camt"]].tolist() == [5, G2, "credit_note", 450]


def test_map_text_parses_fields_with_commas_and_several_columns():
    from ims_xl.formats.register import parse_map
    m = parse_map("doc_no=Bill No, txval=Purchase 18% + Purchase 5%,tradenm=Name, Firm")
    assert m == {"doc_no": ["Bill No"], "txval": ["Purchase 18%", "Purchase 5%"], "tradenm": ["Name, Firm"]}
    with pytest.raises(RegisterError, match="unknown field 'bill'"):
        parse_map("bill=Bill No")


def test_identical_item_lines_under_the_bills_total_are_one_document():
    # Zoho Books repeats the bill's Total on every item line: two identical items are one bill
    header = ["Bill Number", "GSTIN", "Item Total", "CGST", "SGST", "Total"]
    items = simple(header, ["B-9", G1, "500", "45", "45", "1180"], ["B-9", G1, "500", "45", "45", "1180"])
    b = read_register_grid(items, "bills.csv").books
    assert b[["txval", "camt", "val", "source_rows"]].values.tolist() == [[100000, 9000, 118000, "2,3"]]
    # the same line booked twice under its own value stays two bookings (a duplicate)
    twice = simple(header, ["B-9", G1, "500", "45", "45", "590"], ["B-9", G1, "500", "45", "45", "590"])
    assert read_register_grid(twice, "r.csv").books["val"].tolist() == [59000, 59000]


def test_an_unlabelled_line_below_a_document_is_its_next_rate_unless_it_totals_everything_above():
    # Marg prints a second tax rate on a line with blank identity cells; a bare total line
    # (no label at all) adds up every line above it and is not a document line
    head = ["GSTIN", "Invoice No", "Taxable Value", "IGST"]
    rate = read_register_grid(simple(head, [G1, "A1", "100", "18"], ["", "", "50", "9"]), "r.csv").books
    assert rate[["doc_no", "txval", "iamt", "source_rows"]].values.tolist() == [["A1", 15000, 2700, "2,3"]]
    total = read_register_grid(simple(head, [G1, "A1", "100", "18"], [G1, "A2", "200", "36"],
                                      [G1, "A3", "300", "54"], ["", "", "600", "108"]), "r.csv").books
    assert total["txval"].tolist() == [10000, 20000, 30000] and total["source_rows"].tolist() == ["2", "3", "4"]
