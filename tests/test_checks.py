"""Validation checks on review books in memory (IMS_FORMAT §3): codes, severities, rows, fields.

The golden cases run every code through the workbook; these tests pin the rules' edges at the
core level, where a book is built from a download and cells are "typed" into its rows frame.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from conftest import RTIN, SUP_KA, SUP_MH, download, record, typed_book

from ims_xl.review.checks import CHECKS, CODES, annotate, findings_frame, run_checks
from ims_xl.formats.ims_json import parse_download
from ims_xl.model import FINDING_COLUMNS, Finding, Settings, Severity
from ims_xl.review.book import new_book


book_of = typed_book  # the shared fixture factory (conftest)


def flat(findings: list[Finding]) -> list[tuple]:
    return [(f.sheet, f.row, f.field, f.code) for f in findings]


# ---------------------------------------------------------------- the code registry

def test_codes_are_kebab_with_severity_and_title() -> None:
    for code, (sev, title) in CODES.items():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", code), code
        assert isinstance(sev, Severity) and len(title) > 10, code


def test_codes_are_stable() -> None:
    """Users filter on codes: none may disappear or change severity silently."""
    errors = {"action-unknown", "pending-blocked", "itc-reduction-blocked", "itc-reduction-answer-missing",
              "itc-reduction-answer-invalid", "itc-declared-without-yes", "itc-declared-invalid",
              "itc-declared-exceeds-tax", "itc-cgst-sgst-differ", "remarks-too-long", "remarks-control-character",
              "rtin-missing",
              "rtin-invalid", "download-field-missing", "cell-error", "internal-error",
              "download-value-unsendable", "upload-rule", "duplicate-conflict", "hidden-record-edited", "row-out-of-step"}
    assert {c for c, (s, _) in CODES.items() if s is Severity.ERROR} == errors
    warnings = {"action-blank", "itc-reduction-not-allowed", "remarks-not-sent", "change-not-uploaded",
                "no-action-reset", "identifier-numeric", "doc-number-too-long", "downloaded-value-edited",
                "gstin-invalid", "period-invalid", "pos-unknown", "date-invalid", "date-future",
                "amount-negative", "value-below-taxable", "tax-head-both", "cgst-sgst-unequal",
                "tax-head-vs-pos", "duplicate-record", "duplicate-uploaded-once", "itc-declared-zero"}
    assert {c for c, (s, _) in CODES.items() if s is Severity.WARNING} >= warnings


def test_checks_is_a_tuple_of_functions() -> None:
    assert isinstance(CHECKS, tuple) and all(callable(c) for c in CHECKS)


# ---------------------------------------------------------------- a clean book

def test_clean_book_has_no_findings() -> None:
    book = book_of({"b2b": [record("b2b", 1), record("b2b", 2, stin=SUP_KA)],
                    "b2bcn": [record("b2bcn", 1)], "ecoma": [record("ecoma", 1)]})
    assert run_checks(book) == []


def test_fresh_book_in_memory_has_no_edited_values() -> None:
    """'ims-xl run' validates the imported book before it is ever written."""
    dl = parse_download(download({"b2b": [record("b2b", 1)]}), "ims.json")
    assert [f.code for f in run_checks(new_book(dl, rtin=RTIN))] == []


# ---------------------------------------------------------------- actions (V1, V2)

def test_action_words_and_codes_are_accepted() -> None:
    recs = {"b2b": [record("b2b", i) for i in range(1, 9)]}
    words = ["Accept", "accepted", " A ", "REJECT", "rejected", "keep pending", "P", "No Action"]
    book = book_of(recs, {("b2b", f"INV-{i}"): {"action_text": w} for i, w in enumerate(words, 1)})
    assert run_checks(book) == []


def test_pending_blocked_only_when_the_action_changes() -> None:
    book = book_of({"b2b": [record("b2b", 1, ispendactblocked="Y"),
                            record("b2b", 2, ispendactblocked="Y", action="P"),
                            record("b2b", 3, ispendactnallwd="Y", ispendactblocked=None)]},
                   {("b2b", "INV-1"): {"action_text": "Pending"},
                    ("b2b", "INV-3"): {"action_text": "Pending"}})
    assert flat(run_checks(book)) == [("B2B", 2, "Action", "pending-blocked"),
                                      ("B2B", 4, "Action", "pending-blocked")]


def test_no_action_after_action_is_a_warning() -> None:
    book = book_of({"b2b": [record("b2b", 1, action="A"), record("b2b", 2)]},
                   {("b2b", "INV-1"): {"action_text": "No Action"}, ("b2b", "INV-2"): {"action_text": "No Action"}})
    f = run_checks(book)
    assert flat(f) == [("B2B", 2, "Action", "no-action-reset")]
    assert f[0].severity is Severity.WARNING and "Accept" in f[0].message


# ---------------------------------------------------------------- ITC reduction (V4-V8)

CN = {"b2bcn": [record("b2bcn", 1)]}


def itc(**fields) -> list[tuple]:
    typed = {"action_text": "Accept", **fields}
    return [x[2:] for x in flat(run_checks(book_of(CN, {("b2bcn", "CN-1"): typed})))]


def test_itc_answers() -> None:
    assert itc() == [("Whether ITC to be reduced", "itc-reduction-answer-missing")]
    assert itc(itc_red_text="Yes") == []
    assert itc(itc_red_text="no") == []
    assert itc(itc_red_text="Y", decl_cgst_in=90.0, decl_sgst_in=90.0) == []
    assert itc(itc_red_text="Perhaps") == [("Whether ITC to be reduced", "itc-reduction-answer-invalid")]


def test_itc_amount_rules() -> None:
    assert itc(itc_red_text="No", decl_cgst_in=1.0, decl_sgst_in=1.0) == [
        ("Whether ITC to be reduced", "itc-declared-without-yes")]
    assert itc(itc_red_text="Yes", decl_cgst_in=90.01, decl_sgst_in=90.01) == [
        ("ITC reduction CGST", "itc-declared-exceeds-tax"), ("ITC reduction SGST", "itc-declared-exceeds-tax")]
    assert itc(itc_red_text="Yes", decl_igst_in=0.01) == [("ITC reduction IGST", "itc-declared-exceeds-tax")]
    assert itc(itc_red_text="Yes", decl_cgst_in=10.0, decl_sgst_in=10.5) == [
        ("ITC reduction SGST", "itc-cgst-sgst-differ")]
    assert itc(itc_red_text="Yes", decl_cess_in="1.001") == [("ITC reduction Cess", "itc-declared-invalid")]
    assert itc(itc_red_text="Yes", decl_cess_in=True) == [("ITC reduction Cess", "itc-declared-invalid")]
    assert itc(itc_red_text="Yes", decl_cgst_in="1,0.00", decl_sgst_in="₹10")[0] == (
        "ITC reduction CGST", "itc-declared-invalid")  # a comma that groups no digits: no amount
    assert itc(itc_red_text="Yes", decl_cgst_in="10.00", decl_sgst_in="₹10") == []


def test_itc_exceeds_message_gives_both_amounts() -> None:
    f = run_checks(book_of(CN, {("b2bcn", "CN-1"): {"action_text": "Accept", "itc_red_text": "Yes",
                                                    "decl_cgst_in": 100000.0, "decl_sgst_in": 100000.0}}))
    assert "1,00,000.00" in f[0].message and "90.00" in f[0].message


def test_itc_tolerance_setting_never_loosens_v6() -> None:
    """The upload contract refuses a declared amount above the tax by any amount (V6), so
    the amount tolerance must not let validation pass what export would refuse."""
    book = book_of(CN, {("b2bcn", "CN-1"): {"action_text": "Accept", "itc_red_text": "Yes",
                                            "decl_cgst_in": 90.01, "decl_sgst_in": 90.01}})
    codes = {f.code for f in run_checks(book, Settings(amount_tolerance_paise=100))}
    assert codes == {"itc-declared-exceeds-tax"}


def test_itc_blocked_and_not_on_accept() -> None:
    blocked = {"b2bcna": [record("b2bcna", 1, isItcRedReqBlocked="Y")]}
    book = book_of(blocked, {("b2bcna", "CNA-1"): {"action_text": "Accept"}})
    assert run_checks(book) == []                  # blocked: no answer is needed
    book = book_of(blocked, {("b2bcna", "CNA-1"): {"action_text": "Accept", "itc_red_text": "No"}})
    assert flat(run_checks(book)) == [("B2B-CNA", 2, "Whether ITC to be reduced", "itc-reduction-blocked")]
    book = book_of(CN, {("b2bcn", "CN-1"): {"action_text": "Pending", "itc_red_text": "Yes"}})
    assert flat(run_checks(book)) == [("B2B-CN", 2, "Whether ITC to be reduced", "itc-reduction-not-allowed")]


def test_itc_only_checked_when_the_action_changes() -> None:
    book = book_of({"b2bcn": [record("b2bcn", 1, action="A")]}, {("b2bcn", "CN-1"): {"action_text": "Accept"}})
    assert run_checks(book) == []


# ---------------------------------------------------------------- remarks (V9, V10)

def test_remarks_rules() -> None:
    recs = {"b2b": [record("b2b", 1), record("b2b", 2, isRemarksBlocked="Y"), record("b2b", 3),
                    record("b2b", 4), record("b2b", 5)]}
    book = book_of(recs, {("b2b", "INV-1"): {"action_text": "Accept", "remarks_text": "ok"},
                          ("b2b", "INV-2"): {"action_text": "Reject", "remarks_text": "no"},
                          ("b2b", "INV-3"): {"action_text": "Reject", "remarks_text": "x" * 250},
                          ("b2b", "INV-4"): {"action_text": "Pending", "remarks_text": "x" * 251},
                          ("b2b", "INV-5"): {"action_text": "Reject", "remarks_text": "   "}})
    assert [x[1:] for x in flat(run_checks(book))] == [
        (2, "Remarks", "remarks-not-sent"), (3, "Remarks", "remarks-not-sent"), (5, "Remarks", "remarks-too-long")]


def test_a_remark_holding_a_control_character_is_refused_through_validate_and_export(tmp_path) -> None:
    """A control character pasted into a remark (here BEL, and a C1 character a broken
    encoding leaves) would go into the upload: validate names the cell, export writes nothing.
    A line break typed with Alt+Enter is text; a remark not sent is not looked at. (Excel
    keeps such a character in the file as ``_x0007_`` (ECMA-376 §22.9.2.19), which openpyxl
    writes through as it is and which the workbook's reader decodes.)"""
    from conftest import RTIN, apply_edits, download, export, import_new, run as cli
    recs = [record("b2b", n) for n in range(1, 6)]
    wb = import_new(tmp_path, download({"b2b": recs}, rtin=RTIN))
    apply_edits(wb, [{"sheet": "B2B", "doc_no": "INV-1", "column": "Action", "value": "Reject"},
                     {"sheet": "B2B", "doc_no": "INV-1", "column": "Remarks", "value": "goods_x0007_ returned"},
                     {"sheet": "B2B", "doc_no": "INV-2", "column": "Action", "value": "Pending"},
                     {"sheet": "B2B", "doc_no": "INV-2", "column": "Remarks", "value": "rate _x0096_ wrong"},
                     {"sheet": "B2B", "doc_no": "INV-3", "column": "Action", "value": "Reject"},
                     {"sheet": "B2B", "doc_no": "INV-3", "column": "Remarks", "value": "line one\nline two\tok"},
                     {"sheet": "B2B", "doc_no": "INV-4", "column": "Action", "value": "Accept"},
                     {"sheet": "B2B", "doc_no": "INV-4", "column": "Remarks", "value": "not sent_x0007_"}])
    assert cli("validate", wb) == 1
    found = [f for f in run_checks(__import__("ims_xl.files.xlsx", fromlist=["read_review"]).read_review(wb))
             if f.code == "remarks-control-character"]
    assert [(f.row, f.field) for f in found] == [(2, "Remarks"), (3, "Remarks")]
    assert "U+0007" in found[0].message and "U+0096" in found[1].message
    rc, up = export(wb, tmp_path / "u.json")
    assert rc != 0 and up is None and not (tmp_path / "u.json").exists()
    apply_edits(wb, [{"sheet": "B2B", "doc_no": "INV-1", "column": "Remarks", "value": "goods returned"},
                     {"sheet": "B2B", "doc_no": "INV-2", "column": "Remarks", "value": "rate wrong"}])
    rc, up = export(wb, tmp_path / "u.json")
    assert rc == 0 and [r.get("remarks") for r in up["invdata"]["b2b"]] == [
        "goods returned", "rate wrong", "line one\nline two\tok", None]


def test_change_not_uploaded() -> None:
    book = book_of({"b2b": [record("b2b", 1, action="R", remarks="old")]},
                   {("b2b", "INV-1"): {"remarks_text": "new"}})
    assert [x[3] for x in flat(run_checks(book))] == ["change-not-uploaded"]
    book = book_of({"b2b": [record("b2b", 1, action="R", remarks="same")]},
                   {("b2b", "INV-1"): {"remarks_text": "same"}})
    assert run_checks(book) == []


# ---------------------------------------------------------------- identifiers and the Summary

def test_supplier_gstin() -> None:
    bad = SUP_MH[:14] + ("0" if SUP_MH[14] != "0" else "1")
    book = book_of({"b2b": [record("b2b", 1, stin=bad), record("b2b", 2, stin="27ABC"),
                            record("b2b", 3, stin="AAAAAAAAAAAAAAA")]})
    f = run_checks(book)
    assert [x[1:] for x in flat(f)] == [(2, "GSTIN of supplier", "gstin-invalid"),
                                       (3, "GSTIN of supplier", "gstin-invalid"),
                                       (4, "GSTIN of supplier", "gstin-invalid")]
    assert f"expected {SUP_MH[14]}" in f[0].message and "15 characters" in f[1].message


@pytest.mark.parametrize("rtin, period, expected", [
    ("", "", [("Summary", 3, "Recipient GSTIN", "rtin-missing")]),
    ("27AAPFU0939F1ZX", "", [("Summary", 3, "Recipient GSTIN", "rtin-invalid")]),
    (RTIN, "102025", []),
    (RTIN, "132025", [("Summary", 4, "Return period", "period-invalid")]),
    (RTIN, "10-2025", [("Summary", 4, "Return period", "period-invalid")]),
])
def test_summary_meta(rtin: str, period: str, expected: list) -> None:
    assert flat(run_checks(book_of({"b2b": [record("b2b", 1)]}, rtin=rtin, period=period))) == expected


def test_identifier_typed_as_number() -> None:
    book = book_of({"b2b": [record("b2b", 1, inum="12345")]}, {("b2b", "12345"): {"shown_doc_no": 12345.0}})
    assert [x[2:] for x in flat(run_checks(book))] == [("Invoice number", "identifier-numeric")]


def test_doc_number_length() -> None:
    book = book_of({"b2bdn": [record("b2bdn", 1, nt_num="D" * 16), record("b2bdn", 2, nt_num="D" * 17)]})
    assert flat(run_checks(book)) == [("B2B-DN", 3, "Note number", "doc-number-too-long")]


# ---------------------------------------------------------------- documents

def test_dates_and_settings() -> None:
    today = pd.Timestamp.today()
    tomorrow = (today + pd.Timedelta(days=1)).strftime("%d-%m-%Y")
    book = book_of({"b2b": [record("b2b", 1, idt=tomorrow), record("b2b", 2, idt="2025-10-15")]})
    assert [x[1:] for x in flat(run_checks(book))] == [(2, "Invoice date", "date-future"),
                                                      (3, "Invoice date", "date-invalid")]
    assert [x[1:] for x in flat(run_checks(book, Settings(future_date_days=2)))] == [
        (3, "Invoice date", "date-invalid")]


def test_tax_heads_follow_place_of_supply() -> None:
    book = book_of({"b2b": [
        record("b2b", 1, stin=SUP_KA),                                  # inter-state IGST: fine
        record("b2b", 2, stin=SUP_KA, iamt=0, camt=90, samt=90),        # inter-state with CGST+SGST
        record("b2b", 3, iamt=180, camt=0, samt=0),                     # intra-state with IGST
        record("b2b", 4, stin=SUP_KA, inv_typ="SEWP", pos="27"),        # SEZ: IGST always
        record("b2b", 5, stin=SUP_MH, inv_typ="SEWOP", iamt=180, camt=0, samt=0),
        record("b2b", 6, pos="96", stin=SUP_KA)]})                      # foreign POS, IGST
    assert [x[1:] for x in flat(run_checks(book))] == [(3, "IGST", "tax-head-vs-pos"), (4, "IGST", "tax-head-vs-pos")]


def test_duplicates_point_at_the_first_row() -> None:
    book = book_of({"b2b": [record("b2b", 1, inum="X-1"), record("b2b", 2), record("b2b", 3, inum="x-1"),
                            record("b2b", 4, inum="X-1", stin=SUP_KA)]})
    f = run_checks(book)
    assert flat(f) == [("B2B", 4, "Invoice number", "duplicate-record")]
    assert "row 2" in f[0].message


# ---------------------------------------------------------------- the runner

def test_a_crashing_check_becomes_internal_error() -> None:
    def check_explodes(rows, meta, s):
        raise KeyError("boom")

    book = book_of({"b2b": [record("b2b", 1)]}, {("b2b", "INV-1"): {"action_text": "Pending"}},
                   rtin="")
    f = run_checks(book, checks=(check_explodes, *CHECKS))
    assert ("", None, "check_explodes", "internal-error") in flat(f)
    err = next(x for x in f if x.code == "internal-error")
    assert err.severity is Severity.ERROR and "KeyError" in err.message and "boom" in err.message
    assert "rtin-missing" in [x.code for x in f]           # the other checks still ran


def test_findings_are_sorted_by_sheet_then_row() -> None:
    book = book_of({"b2b": [record("b2b", 1), record("b2b", 2, pos="99")],
                    "ecom": [record("ecom", 1, pos="00")], "b2ba": [record("b2ba", 1, pos="98")]},
                   rtin="")
    assert [(x[0], x[1]) for x in flat(run_checks(book))] == [("Summary", 3), ("B2B", 3), ("B2BA", 2), ("ECO", 2)]


def test_findings_frame_and_annotate() -> None:
    book = book_of({"b2b": [record("b2b", 1, ispendactblocked="Y"), record("b2b", 2)]},
                   {("b2b", "INV-1"): {"action_text": "Pending", "remarks_text": "r" * 300}})
    f = run_checks(book)
    df = findings_frame(f)
    assert tuple(df.columns) == FINDING_COLUMNS
    assert df[["code", "row"]].values.tolist() == [["pending-blocked", 2], ["remarks-too-long", 2]]
    annotated, marks = annotate(book, f)
    errs = dict(zip(annotated.rows["doc_no"], annotated.rows["sheet_errors"]))
    assert errs["INV-2"] == ""
    assert errs["INV-1"].splitlines() == [
        f"ERROR pending-blocked: Action: {f[0].message}", f"ERROR remarks-too-long: Remarks: {f[1].message}"]
    ref = int(book.rows.loc[book.rows["doc_no"] == "INV-1", "ref"].iloc[0])
    assert marks == {(ref, "action_text"): "error", (ref, "remarks_text"): "error"}


@pytest.mark.parametrize("cell", [" #N/A", "#REF!", "#VALUE! "])
def test_an_excel_error_is_found_in_a_column_that_also_holds_numbers_and_blanks(cell) -> None:
    from ims_xl.review.checks import check_cell_errors
    book = book_of({"b2b": [record("b2b", 1), record("b2b", 2), record("b2b", 3)]})
    rows = book.rows.copy()
    rows["remarks_text"] = pd.Series([12.5, cell, None], index=rows.index, dtype=object)  # as a sheet reads
    got = [(f.row, f.field, f.code) for f in check_cell_errors(rows, book.meta, Settings())]
    assert got == [(3, "Remarks", "cell-error")]
    rows["remarks_text"] = pd.Series([12.5, "bill #12 #N/A later", None], index=rows.index, dtype=object)
    assert check_cell_errors(rows, book.meta, Settings()) == []  # a hash inside other text is no Excel error
