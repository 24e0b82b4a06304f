"""One rule set: what validate passes, export sends, and check-upload proves.

The property: for any review book (downloaded values odd or hostile, typed cells of any
type, columns of any dtype), validation without errors implies that export succeeds and
that ``check-upload --against`` the download passes on its output. And V5-V7 fire whatever
dtype the ITC-reduction columns arrive in (README "Validation"; IMS_FORMAT §3).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import budget
from ims_xl import actions
from ims_xl.review.checks import run_checks
from ims_xl.errors import InputError, ValidationFailed
from ims_xl.formats.ims_json import parse_download
from ims_xl.model import SECTIONS, Severity
from ims_xl.review.book import new_book
from ims_xl.formats.schema import check_upload, validate_upload

RTIN = "27AAPFU0939F1ZV"
SUP = "27AABCS1429B1ZU"
MISSING = object()


class mostly:
    """Good values, or (in a record or row drawn as odd) good and odd ones: many generated
    books validate and export, the rest carry the shapes real files and hostile edits do."""

    def __init__(self, good: list, odd: list):
        self.good, self.any = st.sampled_from(good), st.sampled_from(good + odd)

    def pick(self, draw, odd: bool):
        return draw(self.any if odd else self.good)


# downloaded values: the portal's own shapes and the odd ones real files carry
STINS = mostly([SUP, "29AAFCC9980M1ZR"], [SUP.lower(), SUP + "\u200b", " " + SUP, SUP + " ", "27AABCS1429B1Z",
                                          MISSING, 271234567890123])
NUMBERS = mostly(["INV-1", "INV-2", "0001234567890123", "=HYPERLINK(1)", "+91", "-5", "@SUM"],
                 ["INV-2025-26-000001", " INV-1 ", MISSING, 12345])
DATES = mostly(["15-10-2025", "31-12-2024"], ["2025-10-15", "15/10/2025", "15-10-25", "", MISSING])
PERIODS = mostly(["102025", "112025"], ["13-2025", "10", "", MISSING, 102025])
AMOUNTS = mostly([0, 90, 90.5, 1180, 1000.25], [None, MISSING, -10])
POS = mostly(["27", "29"], [7, "99", "", MISSING])
SRC = mostly(["R1", "R1A"], ["", "GSTR1AX", MISSING])
FLAGS = mostly(["Y", "N", "N"], [MISSING])
ACTS = mostly(["N", "N", "A", "R", "P"], [])

# typed cells: what a bulk read of a worksheet can give
TYPED_ACTION = mostly([None, "Accept", "Reject", "Pending", "No Action", "accepted"],
                      ["maybe", 1.0, float("nan"), ""])
TYPED_REMARK = mostly([None, "Price differs", 12345.0, 4500012345.0, datetime(2025, 10, 15), "=cmd|' /C calc'!A0"],
                      ["x" * 251, float("nan"), True])
TYPED_ANSWER = mostly([None, "Yes", "No", "Y", "n"], [True, "Perhaps", float("nan"), 1.0])
TYPED_AMOUNT = mostly([None, float("nan"), 0.0, 45.0, 90.0, "45", 5],
                      [10.0, 90.5, 100.0, "1,000", "abc", -5.0, 10.005])


@st.composite
def records(draw, section):
    sec = next(s for s in SECTIONS if s.key == section)
    rec: dict = {}
    odd = draw(st.integers(0, 3)) == 0

    def put(key, value):
        if value is not MISSING:
            rec[key] = value
    put("stin", STINS.pick(draw, odd))
    put(sec.num_key, NUMBERS.pick(draw, odd))
    put(sec.date_key, DATES.pick(draw, odd))
    if sec.orig_num_key:
        put(sec.orig_num_key, NUMBERS.pick(draw, odd))
        put(sec.orig_date_key, DATES.pick(draw, odd))
    if sec.has_inv_typ:
        put("inv_typ", draw(st.sampled_from(["R", "SEWP", "", MISSING] if odd else ["R", "SEWP"])))
    for k in ("val", "txval", "iamt", "camt", "samt", "cess"):
        put(k, AMOUNTS.pick(draw, odd))
    put("pos", POS.pick(draw, odd))
    put("srcform", SRC.pick(draw, odd))
    put("rtnprd", PERIODS.pick(draw, odd))
    put("action", ACTS.pick(draw, odd))
    put("ispendactblocked", FLAGS.pick(draw, odd))
    put("isRemarksBlocked", FLAGS.pick(draw, odd))
    if sec.itc_reduction:
        put("isItcRedReqBlocked", FLAGS.pick(draw, odd))
        put("itcRedReq", draw(st.sampled_from(["Y", "N", MISSING])))
    if draw(st.booleans()):
        rec["hash"] = "ab" * 32
    return rec


@st.composite
def books(draw):
    sections: dict = {}
    for _ in range(draw(st.integers(1, 5))):
        key = draw(st.sampled_from([s.key for s in SECTIONS]))
        sections.setdefault(key, []).append(draw(records(key)))
        if draw(st.integers(0, 6)) == 0:  # the same record twice in the download
            sections[key].append(dict(sections[key][-1]))
    obj = {"rtin": RTIN, "imsDetails": sections}
    try:
        download = parse_download(json.loads(json.dumps(obj), parse_float=Decimal), "ims.json")
    except InputError:
        return None
    book = new_book(download)
    rows = book.rows.copy()
    n = len(rows)
    odd = [draw(st.integers(0, 3)) == 0 for _ in range(n)]
    rows["action_text"] = pd.Series([TYPED_ACTION.pick(draw, o) for o in odd], index=rows.index, dtype=object)
    rows["remarks_text"] = pd.Series([TYPED_REMARK.pick(draw, o) for o in odd], index=rows.index, dtype=object)
    rows["itc_red_text"] = pd.Series([TYPED_ANSWER.pick(draw, o) for o in odd], index=rows.index, dtype=object)
    for c in ("decl_igst_in", "decl_cgst_in", "decl_sgst_in", "decl_cess_in"):
        col = pd.Series([TYPED_AMOUNT.pick(draw, o) for o in odd], index=rows.index, dtype=object)
        if draw(st.booleans()):  # the dtype a column of numbers and blanks takes
            col = pd.to_numeric(col, errors="coerce")
        rows[c] = col
    return obj, download, actions.replace(book, rows=rows)


@settings(max_examples=budget(30, 300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(books())
def test_validate_passes_implies_export_sends_and_check_upload_proves(case) -> None:
    if case is None:
        return
    obj, download, book = case
    findings = run_checks(book)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    assert not any(f.code == "internal-error" for f in findings), findings
    try:
        parts, _ = actions.export(book)
    except ValidationFailed as exc:
        assert errors, f"export refused a book validate passed: {exc}"
        return
    assert not errors, "export succeeded although validate reported errors"
    docs = [json.loads(p, parse_float=Decimal) for p in parts]
    for d in docs:
        assert validate_upload(d) == []
    assert check_upload(docs if len(docs) > 1 else docs[0], download) == []


# ---------------------------------------------------------------- V5-V7 under every dtype

def _cn_book(typed: dict[str, object], dtype: str):
    rec = {"stin": SUP, "nt_num": "CN-1", "inv_typ": "R", "nt_dt": "15-10-2025", "val": 1180, "action": "N",
           "pos": "27", "txval": 1000, "iamt": 0, "camt": 90, "samt": 90, "cess": 0, "srcform": "R1",
           "rtnprd": "102025", "ispendactblocked": "N", "isRemarksBlocked": "N", "isItcRedReqBlocked": "N"}
    other = dict(rec, nt_num="CN-2")
    download = parse_download({"rtin": RTIN, "imsDetails": {"b2bcn": [rec, other]}}, "ims.json")
    book = new_book(download)
    rows = book.rows.copy()
    first = rows.index[rows["doc_no"] == "CN-1"][0]
    rows["action_text"] = rows["action_text"].astype(object)
    rows.loc[first, "action_text"] = "Accept"
    rows["itc_red_text"] = pd.Series([typed.get("itc", None) if i == first else None for i in rows.index],
                                     index=rows.index, dtype=object)
    for c in ("decl_igst", "decl_cgst", "decl_sgst", "decl_cess"):
        vals = [typed.get(c) if i == first else None for i in rows.index]  # the other row: blank
        if dtype == "object":
            col = pd.Series(vals, index=rows.index, dtype=object)
        elif dtype == "float64":
            col = pd.Series([np.nan if v is None else float(v) for v in vals], index=rows.index, dtype="float64")
        elif dtype == "Int64":
            col = pd.Series([pd.NA if v is None else int(round(float(v) * 100)) // 100 if float(v).is_integer()
                             else pd.NA for v in vals], index=rows.index, dtype="Int64")
        elif dtype == "str":
            col = pd.Series([None if v is None else str(v) for v in vals], index=rows.index, dtype="str")
        else:
            raise AssertionError(dtype)
        rows[c + "_in"] = col
    return actions.replace(book, rows=rows)


DTYPES = ["object", "float64", "Int64", "str"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("typed, code", [
    ({"itc": "No", "decl_cgst": 10, "decl_sgst": 10}, "itc-declared-without-yes"),          # V5
    ({"itc": "Yes", "decl_cgst": 91, "decl_sgst": 91}, "itc-declared-exceeds-tax"),         # V6
    ({"itc": "Yes", "decl_cgst": 10, "decl_sgst": 20}, "itc-cgst-sgst-differ"),             # V7
])
def test_itc_rules_fire_under_every_dtype(dtype, typed, code) -> None:
    book = _cn_book(typed, dtype)
    codes = {f.code for f in run_checks(book) if f.severity is Severity.ERROR}
    assert code in codes
    with pytest.raises(ValidationFailed):
        actions.export(book)


@pytest.mark.parametrize("dtype", ["object", "float64", "str"])
def test_v6_fires_for_fifty_paise_over_the_tax(dtype) -> None:
    book = _cn_book({"itc": "Yes", "decl_cgst": 90.5, "decl_sgst": 90.5}, dtype)
    assert {f.code for f in run_checks(book)} == {"itc-declared-exceeds-tax"}


@pytest.mark.parametrize("dtype", DTYPES)
def test_valid_partial_reduction_is_sent_under_every_dtype(dtype) -> None:
    book = _cn_book({"itc": "Yes", "decl_cgst": 45, "decl_sgst": 45}, dtype)
    assert [f for f in run_checks(book) if f.severity is Severity.ERROR] == []
    parts, _ = actions.export(book)
    rec = json.loads(parts[0])["invdata"]["b2bcn"][0]
    assert (rec["itcRedReq"], rec["declCgst"], rec["declSgst"], rec["declIgst"]) == ("Y", 45, 45, 0)


# ---------------------------------------------------------------- the contract's safety net

def test_a_rule_no_named_check_covers_is_still_reported_before_export(monkeypatch) -> None:
    """If a future contract rule has no named check, validation still reports it at the
    record (upload-rule) instead of export refusing the whole upload."""
    import ims_xl.formats.schema as schema
    import ims_xl.review.checks as checks
    book = _cn_book({}, "object")
    rows = book.rows.copy()
    rows["itc_red_text"] = rows["itc_red_text"].astype(object)
    rows.loc[rows["doc_no"] == "CN-1", "itc_red_text"] = "Yes"
    book = actions.replace(book, rows=rows)
    real = schema.record_problems  # the check imports it from the schema when it runs
    monkeypatch.setattr(schema, "record_problems",
                        lambda sec, rec: real(sec, rec) + [("itcRedReq", "const", "a rule from the future")])
    found = [f for f in checks.run_checks(book) if f.code == "upload-rule"]
    assert len(found) == 1 and found[0].field == "Whether ITC to be reduced" and found[0].row == 2


# ---------------------------------------------------------------- text as the person sees it

@pytest.mark.parametrize("typed, sent", [
    (12345.0, "12345"), (4500012345.0, "4500012345"), (12.5, "12.5"), (datetime(2025, 10, 15), "15-10-2025"),
    (date(2025, 10, 15), "15-10-2025"), (np.float64(7.0), "7"), (" spaced ", "spaced"), (True, "TRUE"),
])
def test_remarks_are_sent_as_the_text_shown(typed, sent) -> None:
    rec = {"stin": SUP, "inum": "INV-1", "inv_typ": "R", "idt": "15-10-2025", "val": 1180, "action": "N",
           "pos": "27", "txval": 1000, "iamt": 0, "camt": 90, "samt": 90, "cess": 0, "srcform": "R1",
           "rtnprd": "102025"}
    book = new_book(parse_download({"rtin": RTIN, "imsDetails": {"b2b": [rec]}}, "ims.json"))
    rows = book.rows.copy()
    rows["action_text"] = pd.Series(["Reject"], index=rows.index, dtype=object)
    rows["remarks_text"] = pd.Series([typed], index=rows.index, dtype=object)
    parts, _ = actions.export(actions.replace(book, rows=rows))
    assert json.loads(parts[0])["invdata"]["b2b"][0]["remarks"] == sent
