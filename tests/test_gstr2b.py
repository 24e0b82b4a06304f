"""Closing the month: GSTR-2B read, checked three ways and worked into GSTR-3B Table 4.

The GSTR-2B JSON here is written by hand in the portal's shape: the envelope, ``ctin`` ->
``inv``/``nt`` nesting, ``rev``/``itcavl``/``rsn``, ``docRejdata``, ISD ``doclist`` and
top-level bills of entry, as in IMS_FORMAT §6 and the GSTR-2B API sample of
resilient-tech/india-compliance (``../shared/samples/india-compliance_test_gstr_2b.json``, read
below as it is). The expected Table 4 figures are computed by hand in the comments
(docs/GSTR3B_WORKING.md gives the rules), not by the code under test.
"""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import (RTIN, SUP_GJ, SUP_KA, SUP_MH, apply_edits, budget, cell, download, gstin, import_new,
                      record, run, typed_book, write_json)

from ims_xl.errors import InputError
from ims_xl.formats.gstr2b import AVAILABLE, NOT_AVAILABLE, REJECTED, load_gstr2b, parse_gstr2b
from ims_xl.review.month_end import HEADS, ROWS_4A, table4, three_way

SAMPLE_2B = Path(__file__).resolve().parents[2] / "shared" / "samples" / "india-compliance_test_gstr_2b.json"
ISD = gstin("27AAACI1234K1Z")

RECORDS = {
    "b2b": [record("b2b", 1, inum="INV-1", action="A"),                       # CGST 90 + SGST 90
            record("b2b", 2, stin=SUP_KA, inum="INV-2"),                       # IGST 180
            record("b2b", 3, stin=SUP_GJ, inum="INV-3"),                       # filed late: not in 2B
            record("b2b", 4, inum="INV-4", action="P"),                        # pending at generation
            record("b2b", 5, stin=SUP_KA, inum="INV-5", iamt=300)],            # ITC not available
    "b2bcn": [record("b2bcn", 1, nt_num="CN-1", camt=30, samt=30),
              record("b2bcn", 2, stin=SUP_KA, nt_num="CN-2", iamt=100, action="A")],
    "b2bdn": [record("b2bdn", 1, nt_num="DN-1", action="P")],
    "b2ba": [record("b2ba", 1, inum="INV-A1", action="R")],
}


def _inv(num: str, dt: str = "15-10-2025", **amounts) -> dict:
    d = {"inum": num, "typ": "R", "dt": dt, "val": 1180, "pos": "27", "rev": "N", "itcavl": "Y", "rsn": "",
         "diffprcnt": 1, "txval": 1000, "igst": 0, "cgst": 0, "sgst": 0, "cess": 0}
    d.update(amounts)
    return d


def _note(num: str, typ: str = "C", **amounts) -> dict:
    d = {"ntnum": num, "typ": typ, "suptyp": "R", "dt": "15-10-2025", "val": 1180, "pos": "27", "rev": "N",
         "itcavl": "Y", "rsn": "", "diffprcnt": 1, "txval": 1000, "igst": 0, "cgst": 0, "sgst": 0, "cess": 0}
    d.update(amounts)
    return d


def gstr2b_json(generated: str = "14-11-2025") -> dict:
    """The 2B the portal generated on ``generated`` from the download's actions then."""
    inv1 = _inv("INV-1")
    for k in ("txval", "igst", "cgst", "sgst", "cess"):
        inv1.pop(k)  # taxes rate-wise only, as older 2B versions give them
    inv1["items"] = [{"num": 1, "rt": 18, "txval": 500, "igst": 0, "cgst": 50, "sgst": 50, "cess": 0},
                     {"num": 2, "rt": 18, "txval": 500, "igst": 0, "cgst": 40, "sgst": 40, "cess": 0}]
    return {"chksum": "X", "data": {
        "gstin": RTIN, "rtnprd": "102025", "version": "1.0", "gendt": generated,
        "docdata": {
            "b2b": [{"ctin": SUP_MH, "trdnm": "MH SUPPLIER", "supfildt": "11-11-2025", "supprd": "102025",
                     "inv": [inv1]},
                    {"ctin": SUP_KA, "trdnm": "KA SUPPLIER", "supfildt": "11-11-2025", "supprd": "102025",
                     "inv": [_inv("INV-2", igst=180), _inv("INV-5", igst=300, itcavl="N", rsn="P")]},
                    {"ctin": SUP_GJ, "trdnm": "GJ TRANSPORT", "supfildt": "11-11-2025", "supprd": "102025",
                     "inv": [_inv("RC-1", dt="05-10-2025", rev="Y", txval=Decimal("2777.78"), igst=500,
                                  val=Decimal("3277.78"))]}],
            "cdnr": [{"ctin": SUP_MH, "trdnm": "MH SUPPLIER", "supfildt": "11-11-2025", "supprd": "102025",
                      "nt": [_note("CN-1", cgst=30, sgst=30)]},
                     {"ctin": SUP_KA, "trdnm": "KA SUPPLIER", "supfildt": "11-11-2025", "supprd": "102025",
                      "nt": [_note("CN-2", igst=100)]},
                     {"ctin": SUP_GJ, "trdnm": "GJ TRANSPORT", "supfildt": "11-11-2025", "supprd": "102025",
                      "nt": [_note("RCN-1", rev="Y", igst=700)]}],
            "isd": [{"ctin": ISD, "trdnm": "OUR HEAD OFFICE", "supprd": "102025", "supfildt": "12-11-2025",
                     "doclist": [{"doctyp": "ISDI", "docnum": "ISD-1", "docdt": "31-10-2025", "igst": 0,
                                  "cgst": 40, "sgst": 40, "cess": 0, "itcelg": "Y"}]}],
            "impg": [{"refdt": "20-10-2025", "recdt": "21-10-2025", "portcode": "INNSA1", "boenum": "1234567",
                      "boedt": "18-10-2025", "isamd": "N", "txval": 5555, "igst": 1000, "cess": 10}],
        },
        "docRejdata": {
            "b2ba": [{"ctin": SUP_MH, "trdnm": "MH SUPPLIER", "supfildt": "11-11-2025", "supprd": "102025",
                      "inv": [{**_inv("INV-A1", cgst=90, sgst=90), "oinum": "OB2BA-1", "oidt": "01-09-2025"}]}],
        },
    }}


BOOKS = [
    ["GSTIN of supplier", "Supplier name", "Document type", "Document number", "Document date", "Place of supply",
     "Taxable value", "IGST", "CGST", "SGST", "Cess", "Document value"],
    [SUP_MH, "MH SUPPLIER", "Invoice", "INV-1", "15-10-2025", "27", "1000", "0", "90", "90", "0", "1180"],
    [SUP_MH, "MH SUPPLIER", "Credit Note", "CN-1", "15-10-2025", "27", "1000", "0", "30", "30", "0", "1180"],
    [SUP_GJ, "GJ TRANSPORT", "Invoice", "RC-1", "05-10-2025", "27", "2777.78", "500", "0", "0", "0", "3277.78"],
]

#: Typed in the workbook after GSTR-2B was generated (the Log dates them today).
TYPED = [
    {"sheet": "B2B", "doc_no": "INV-2", "column": "Action", "value": "Reject"},
    {"sheet": "B2B", "doc_no": "INV-4", "column": "Action", "value": "Accept"},
    {"sheet": "B2B-CN", "doc_no": "CN-2", "column": "Action", "value": "Accept"},
    {"sheet": "B2B-CN", "doc_no": "CN-2", "column": "Whether ITC to be reduced", "value": "Yes"},
    {"sheet": "B2B-CN", "doc_no": "CN-2", "column": "ITC reduction IGST", "value": 50},
    {"sheet": "B2B-CN", "doc_no": "CN-2", "column": "ITC reduction CGST", "value": 0},
    {"sheet": "B2B-CN", "doc_no": "CN-2", "column": "ITC reduction SGST", "value": 0},
    {"sheet": "B2B-CN", "doc_no": "CN-2", "column": "ITC reduction Cess", "value": 0},
]

#: Hand-computed Table 4 (rupees; IGST, CGST, SGST, Cess) per row and basis; credit notes are
#: netted in their row and a negative net stays there (docs/GSTR3B_WORKING.md §2, from 01-2023).
#: GSTR-2B: 4A(1) the bill of entry 1000 + cess 10; 4A(3) RC-1 500 - RCN-1 700 = -200;
#: 4A(4) ISD-1 40/40; 4A(5) INV-1 90/90 + INV-2 180 - CN-1 30/30 - CN-2 100 = 80/60/60;
#: 4B(2) nothing; 4C = 1000-200+80 / 40+60 / 40+60 / 10; 4D(2) INV-5 300.
#: Your actions: INV-2 rejected (0), INV-4 accepted after generation (+90/90), CN-2 takes back
#: its full 100: it was Accepted on the portal already, so the 50 declared in the workbook is
#: not uploaded (only a changed action is) and the portal keeps its answer (none downloaded:
#: the full tax): 4A(5) = 90/90 - 30/30 - 100 + 90/90 = -100/150/150;
#: 4C = 1000-200-100 / 40+150 / 190 / 10.
#: Books: the register holds INV-1, CN-1 and RC-1: 4A(3) 500; 4A(5) 60/60; 4C 500/60/60/0.
EXPECTED = {
    ("4A(1)", "GSTR-2B"): (1000, 0, 0, 10), ("4A(3)", "GSTR-2B"): (-200, 0, 0, 0),
    ("4A(4)", "GSTR-2B"): (0, 40, 40, 0), ("4A(5)", "GSTR-2B"): (80, 60, 60, 0),
    ("4B(2)", "GSTR-2B"): (0, 0, 0, 0), ("4C", "GSTR-2B"): (880, 100, 100, 10),
    ("4D(2)", "GSTR-2B"): (300, 0, 0, 0), ("4A(2)", "GSTR-2B"): (0, 0, 0, 0),
    ("4A(1)", "Your actions"): (1000, 0, 0, 10), ("4A(3)", "Your actions"): (-200, 0, 0, 0),
    ("4A(4)", "Your actions"): (0, 40, 40, 0), ("4A(5)", "Your actions"): (-100, 150, 150, 0),
    ("4B(2)", "Your actions"): (0, 0, 0, 0), ("4C", "Your actions"): (700, 190, 190, 10),
    ("4D(2)", "Your actions"): (300, 0, 0, 0),
    ("4A(1)", "Books"): (0, 0, 0, 0), ("4A(3)", "Books"): (500, 0, 0, 0), ("4A(4)", "Books"): (0, 0, 0, 0),
    ("4A(5)", "Books"): (0, 60, 60, 0), ("4B(2)", "Books"): (0, 0, 0, 0), ("4C", "Books"): (500, 60, 60, 0),
    ("4D(2)", "Books"): (0, 0, 0, 0),
}


EXCEL_2B = Path(__file__).parent / "gstr2b_excel" / "gstr2b_portal_layout.xlsx"


def _month(tmp_path: Path, capsys, generated: str = "14-11-2025", statement: Path | None = None
           ) -> tuple[Path, Path, str]:
    wb = import_new(tmp_path, download(RECORDS, rtin=RTIN))
    apply_edits(wb, TYPED)
    books = tmp_path / "books.csv"
    with open(books, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(BOOKS)
    assert run("reconcile", wb, "--books", books) == 0
    src = statement or write_json(tmp_path / "gstr2b.json", _jsonable(gstr2b_json(generated)))
    out = tmp_path / "table4.csv"
    capsys.readouterr()
    assert run("gstr2b", wb, "--2b", src, "--3b", out) == 0
    said = capsys.readouterr().out
    return wb, out, said


def _jsonable(obj):
    return json.loads(json.dumps(obj, default=lambda d: float(d) if isinstance(d, Decimal) else d))


def _table(out: Path) -> dict[tuple[str, str], tuple[Decimal, ...]]:
    with open(out, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {(r["row"], r["basis"]): tuple(Decimal(r[h]) for h in ("igst", "cgst", "sgst", "cess")) for r in rows}


def test_table4_golden_through_the_command(tmp_path, capsys):
    wb, out, said = _month(tmp_path, capsys)
    got = _table(out)
    assert all(line.startswith('"') and line.endswith('"') for line in out.read_text(encoding="utf-8").splitlines())
    for key, want in EXPECTED.items():
        assert got[key] == tuple(Decimal(w) for w in want), key
    assert "Recompute GSTR-2B on the portal" in said
    # INV-2 rejected after generation (-180 IGST), INV-4 accepted after it (+90 CGST/SGST)
    assert "IGST -180.00, CGST 90.00, SGST 90.00, Cess 0.00" in said


def test_table4_golden_from_the_portal_excel(tmp_path, capsys):
    """The same statement as the portal's Excel download (tests/gstr2b_excel): the same working."""
    wb, out, said = _month(tmp_path, capsys, statement=EXCEL_2B)
    got = _table(out)
    for key, want in EXPECTED.items():
        assert got[key] == tuple(Decimal(w) for w in want), key
    assert "Recompute GSTR-2B on the portal" in said


def test_section_sheets_say_where_each_record_stands(tmp_path, capsys):
    wb, _, _ = _month(tmp_path, capsys)
    assert cell(wb, "B2B", "INV-1", "GSTR-2B check") == "Agrees"
    assert cell(wb, "B2B", "INV-1", "In GSTR-2B") == AVAILABLE
    assert cell(wb, "B2B", "INV-2", "GSTR-2B check").startswith("Recompute GSTR-2B")
    assert cell(wb, "B2B", "INV-4", "GSTR-2B check").startswith("Recompute GSTR-2B")
    assert cell(wb, "B2B", "INV-3", "GSTR-2B check").startswith("Not in GSTR-2B")
    assert cell(wb, "B2B", "INV-5", "In GSTR-2B") == f"{NOT_AVAILABLE} (reason P)"
    assert cell(wb, "B2B-CN", "CN-2", "GSTR-2B check").startswith("Differs")
    assert cell(wb, "B2B-DN", "DN-1", "GSTR-2B check") == "Agrees"            # pending, kept out
    assert cell(wb, "B2BA", "INV-A1", "In GSTR-2B") == REJECTED
    assert cell(wb, "B2BA", "INV-A1", "GSTR-2B check") == "Agrees"
    sheet = openpyxl.load_workbook(wb)["GSTR-2B"]
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert values[1][1].startswith("Yes: 2 record(s)")
    only = [r for r in values if r[0] == "GSTR-2B only"]
    assert sorted(r[5] for r in only) == ["1234567", "ISD-1", "RC-1", "RCN-1"]
    rc1 = next(r for r in only if r[5] == "RC-1")
    assert rc1[12] == "Matched" and rc1[13] == "4A(3)"                   # matched with the books


def test_a_change_before_generation_is_not_a_recompute(tmp_path, capsys):
    """The same actions typed before the 2B was generated: the 2B should have them, so the
    disagreement is reported as a difference, not as a recompute."""
    later = (date.today() + timedelta(days=2)).strftime("%d-%m-%Y")
    wb, out, said = _month(tmp_path, capsys, generated=later)
    assert "Recompute GSTR-2B on the portal" not in said
    assert cell(wb, "B2B", "INV-2", "GSTR-2B check").startswith("Differs")
    # a record kept out of the 2B and accepted before it was generated is not counted
    assert cell(wb, "B2B", "INV-4", "GSTR-2B check").startswith("Not in GSTR-2B")
    # (CN-2 takes back its full 100: its typed answer is not uploaded, its action unchanged)
    assert _table(out)[("4A(5)", "Your actions")] == (Decimal(-100), Decimal(60), Decimal(60), Decimal(0))


@pytest.mark.skipif(not SAMPLE_2B.exists(), reason="the public GSTR-2B sample lives in ../shared/samples (GPL, not "
                    "copied into this repository); CI has it beside the checkout, a plain clone does not")
def test_reads_the_public_api_sample_as_it_is():
    g = load_gstr2b(SAMPLE_2B)
    assert (g.gstin, g.period, g.generated) == ("01AABCE2207R1Z5", "032020", "14-04-2020")
    d = g.docs.set_index("section2b")
    assert set(d.index) == {"b2b", "b2ba", "cdnr", "cdnra", "isd", "isda", "impg", "impgsez"}
    assert d.loc["cdnr", "sign"] == -1 and d.loc["cdnr", "ims_section"] == "b2bcn"
    assert d.loc["b2b", "camt"] == 20000 and d.loc["b2b", "part"] == NOT_AVAILABLE   # items summed, paise
    assert d.loc["impg", "iamt"] == 12302 and d.loc["impg", "cess"] == 50


@pytest.mark.parametrize("obj, said", [
    ({"imsDetails": {"b2b": []}}, "this is an IMS download, not GSTR-2B"),
    ({"data": {"foo": 1}}, "not a GSTR-2B JSON"),
    ({"data": {"gendt": "2025-11-14", "docdata": {}}}, "gendt '2025-11-14' is not dd-mm-yyyy"),
    ({"data": {"docdata": {"b2b": [{"ctin": SUP_MH, "inv": [{"inum": "", "dt": "01-10-2025"}]}]}}},
     "docdata.b2b[0].inv[0]: the document number is missing"),
    ({"data": {"docdata": {"b2b": [{"ctin": SUP_MH, "inv": [{"inum": "A", "igst": "12.345"}]}]}}},
     "docdata.b2b[0].inv[0], field igst"),
    ({"data": {"docdata": {"cdnr": [{"ctin": SUP_MH, "nt": [{"ntnum": "A", "typ": "X"}]}]}}},
     "note type (typ) 'X' is not C or D"),
])
def test_refusals_name_the_place(obj, said):
    with pytest.raises(InputError, match=None) as exc:
        parse_gstr2b(obj, "g.json")
    assert said in str(exc.value) and str(exc.value).startswith("g.json")


def test_command_refuses_another_gstin_and_writes_nothing(tmp_path, capsys):
    wb = import_new(tmp_path, download(RECORDS, rtin=RTIN))
    before = wb.read_bytes()
    other = _jsonable(gstr2b_json())
    other["data"]["gstin"] = SUP_KA
    src = write_json(tmp_path / "g.json", other)
    capsys.readouterr()
    assert run("gstr2b", wb, "--2b", src, "--3b", tmp_path / "t.csv") == 2
    err = capsys.readouterr().err
    assert f"GSTR-2B of {SUP_KA}" in err and "Traceback" not in err
    assert wb.read_bytes() == before and not (tmp_path / "t.csv").exists()


def test_hostile_text_in_the_2b_reaches_no_formula(tmp_path, capsys):
    wb = import_new(tmp_path, download(RECORDS, rtin=RTIN))
    g = _jsonable(gstr2b_json())
    g["data"]["docdata"]["b2b"][2]["trdnm"] = "=HYPERLINK(\"http://x\")"
    g["data"]["docdata"]["b2b"][2]["inv"][0]["inum"] = "+1-2"
    src = write_json(tmp_path / "g.json", g)
    assert run("gstr2b", wb, "--2b", src) == 0
    book = openpyxl.load_workbook(wb)
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert not (c.data_type == "f"), f"{ws.title}!{c.coordinate} holds a formula"


# ---------------------------------------------------------------- the working equals its records

_docs = st.lists(st.tuples(
    st.sampled_from(["b2b", "cdnr", "isd", "impg", "b2b_rcm", "cdnr_rcm"]),
    st.sampled_from(["C", "D"]), st.sampled_from(["Y", "N"]),
    st.lists(st.integers(0, 10**9), min_size=4, max_size=4)), max_size=25)
_ims = st.lists(st.tuples(st.sampled_from(["A", "R", "P", "N"]), st.sampled_from(["A", "R", "P", "N"]),
                          st.booleans(), st.integers(0, 10**6)), max_size=12)


def _statement(docs) -> dict:
    data: dict = {"docdata": {}}
    for i, (sec, typ, avl, amts) in enumerate(docs):
        i_, c_, s_, x_ = (Decimal(a) / 100 for a in amts)
        rev = "Y" if sec.endswith("_rcm") else "N"
        base = sec.replace("_rcm", "")
        if base == "b2b":
            entry = {"ctin": SUP_GJ, "inv": [_inv(f"X{i}", igst=i_, cgst=c_, sgst=s_, cess=x_, rev=rev, itcavl=avl)]}
        elif base == "cdnr":
            entry = {"ctin": SUP_GJ, "nt": [_note(f"N{i}", typ, igst=i_, cgst=c_, sgst=s_, cess=x_, rev=rev,
                                                    itcavl=avl)]}
        elif base == "isd":
            entry = {"ctin": ISD, "doclist": [{"doctyp": "ISDC" if typ == "C" else "ISDI", "docnum": f"D{i}",
                                              "igst": i_, "cgst": c_, "sgst": s_, "cess": x_, "itcelg": avl}]}
        else:
            entry = {"boenum": f"{i}", "igst": i_, "cess": x_, "itcavl": avl}
        data["docdata"].setdefault(base, []).append(entry)
    return data


@settings(max_examples=budget(25, 300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=_docs, ims=_ims)
def test_table4_equals_the_sum_of_its_traced_records(docs, ims):
    """For every basis and head: each 4A row's figure and 4D(2) are the sums of the records the
    GSTR-2B sheet traces to them; 4B(2) gets nothing from GSTR-2B; 4C = 4A - 4B."""
    records = {"b2b": [], "b2bcn": []}
    in_2b = []
    for k, (portal, typed, listed, amt) in enumerate(ims):
        sec = "b2bcn" if k % 3 == 0 else "b2b"
        num = f"I{k}"
        records[sec].append(record(sec, k + 1, stin=SUP_KA, action=portal, iamt=Decimal(amt) / 100,
                                   **({"inum": num} if sec == "b2b" else {"nt_num": num})))
        if listed and portal != "P":
            in_2b.append((sec, num, portal, Decimal(amt) / 100))
    typed_ = {(("b2bcn" if k % 3 == 0 else "b2b"), f"I{k}"): {"action_text": {"A": "Accept", "R": "Reject",
                                                                               "P": "Pending", "N": ""}[t]}
              for k, (_, t, _, _) in enumerate(ims)}
    book = typed_book(records, typed_)
    data = _statement(docs)
    for sec, num, portal, amt in in_2b:
        part = "docRejdata" if portal == "R" else "docdata"
        doc = _inv(num, igst=amt) if sec == "b2b" else _note(num, "C", igst=amt)
        data.setdefault(part, {}).setdefault("b2b" if sec == "b2b" else "cdnr", []).append(
            {"ctin": SUP_KA, ("inv" if sec == "b2b" else "nt"): [doc]})
    g = parse_gstr2b({"data": {"gendt": "14-11-2025", **data}}, "p.json")
    recs = three_way(book.rows, g.docs, book.log, g.generated_date, None)
    t = table4(recs).set_index(["row", "basis"])
    for basis, col, suffix in (("GSTR-2B", "row_2b", "_2b"), ("Your actions", "row_act", "_act"),
                               ("Books", "row_act", "_act")):
        r = recs[recs["books_ok"]] if basis == "Books" else recs
        for h in HEADS:
            for row in ROWS_4A:
                assert int(t.loc[(row, basis), h]) == int(r.loc[r[col] == row, f"{h}{suffix}"].sum())
            assert int(t.loc[("4B(2)", basis), h]) == 0
            assert int(t.loc[("4C", basis), h]) == sum(int(t.loc[(x, basis), h]) for x in ROWS_4A)
            assert int(t.loc[("4D(2)", basis), h]) == int(r.loc[r[col] == "4D(2)", f"{h}{suffix}"].sum())
    # every 2B document is traced exactly once
    assert sorted(recs.loc[recs["doc_id"] > 0, "doc_id"]) == sorted(g.docs["doc_id"])


#: The statement's own summary (itcsumm) for a month with a downward amendment: the portal
#: counts an amendment by its change, so b2ba is negative (-50 IGST: an invoice of 250 amended
#: to 200). Category totals are the portal's; credit notes sit in othersup as positives.
ITCSUMM = {
    "itcavl": {
        "nonrevsup": {"igst": 130, "cgst": 90, "sgst": 90, "cess": 0,
                      "b2b": {"igst": 180, "cgst": 90, "sgst": 90, "cess": 0},
                      "b2ba": {"igst": -50, "cgst": 0, "sgst": 0, "cess": 0}},
        "isdsup": {"igst": 0, "cgst": 40, "sgst": 40, "cess": 0},
        "revsup": {"igst": 500, "cgst": 0, "sgst": 0, "cess": 0},
        "imports": {"igst": 1000, "cgst": 0, "sgst": 0, "cess": 10},
        "othersup": {"igst": 800, "cgst": 30, "sgst": 30, "cess": 0,
                     "cdnr": {"igst": 100, "cgst": 30, "sgst": 30, "cess": 0},
                     "cdnrrev": {"igst": 700, "cgst": 0, "sgst": 0, "cess": 0}},
    },
    "itcunavl": {"nonrevsup": {"igst": 300, "cgst": 0, "sgst": 0, "cess": 0}},
}


def test_the_statements_summary_basis_with_a_negative_amendment(tmp_path, capsys):
    """By hand, from ITCSUMM: 4A(1) 1000/0/0/10; 4A(3) 500 - 700 = -200; 4A(4) 0/40/40;
    4A(5) nonrevsup 130/90/90 less cdnr 100/30/30 = 30/60/60 (the -50 amendment inside);
    4C = 1000-200+30 / 100 / 100 / 10; 4D(2) 300."""
    wb = import_new(tmp_path, download(RECORDS, rtin=RTIN))
    g = _jsonable(gstr2b_json())
    g["data"]["itcsumm"] = ITCSUMM
    src = write_json(tmp_path / "g.json", g)
    out = tmp_path / "t4.csv"
    assert run("gstr2b", wb, "--2b", src, "--3b", out) == 0
    t = _table(out)
    want = {"4A(1)": (1000, 0, 0, 10), "4A(3)": (-200, 0, 0, 0), "4A(4)": (0, 40, 40, 0),
            "4A(5)": (30, 60, 60, 0), "4B(2)": (0, 0, 0, 0), "4C": (830, 100, 100, 10), "4D(2)": (300, 0, 0, 0)}
    for row, v in want.items():
        assert t[(row, "GSTR-2B summary")] == tuple(Decimal(x) for x in v), row
    # the documents' basis counts the amended invoice in full: the sheet shows the difference
    grid = [r for r in openpyxl.load_workbook(wb)["GSTR-3B ITC"].iter_rows(values_only=True)]
    assert any(r[0] == "4A(5)" and str(r[2]).startswith("Difference: GSTR-2B summary") for r in grid)


# ------------------------------------------------- a supplier's document number met twice

def _statuses(wb: Path, sheet: str = "B2B") -> dict[tuple[str, str], tuple[str, str]]:
    """(number, dd-mm-yyyy date) -> (In GSTR-2B, GSTR-2B check) of each record on a section sheet;
    the number alone cannot tell the records apart here."""
    ws = openpyxl.load_workbook(wb)[sheet]
    head = {c.value: c.column - 1 for c in ws[1]}
    out = {}
    for r in ws.iter_rows(min_row=2, values_only=True):
        shown = r[head["Invoice date"]]
        when = shown.strftime("%d-%m-%Y") if hasattr(shown, "strftime") else str(shown)
        out[(str(r[head["Invoice number"]]), when)] = (r[head["In GSTR-2B"]], r[head["GSTR-2B check"]])
    return out


def _reused(inum: str, idt: str, rtnprd: str, action: str, igst: int) -> dict:
    """An IMS invoice of SUP_KA (inter-state: IGST only) at 18 %."""
    return record("b2b", 1, stin=SUP_KA, inum=inum, idt=idt, rtnprd=rtnprd, action=action,
                  txval=igst * 100 // 18, iamt=igst, val=igst * 100 // 18 + igst)


def _supplier(invs: list[dict], supprd: str = "092025") -> dict:
    return {"ctin": SUP_KA, "trdnm": "KA SUPPLIER", "supfildt": "11-10-2025", "supprd": supprd, "inv": invs}


def _close(tmp_path: Path, capsys, ims: list[dict], docdata: list[dict], rejected: list[dict] | None = None
           ) -> tuple[Path, dict]:
    """Import ``ims`` (B2B), check it against a GSTR-2B of 09-2025 generated on 14-10-2025
    (before any action typed here), return the workbook and its Table 4."""
    wb = import_new(tmp_path, download({"b2b": ims}, rtin=RTIN))
    g = {"chksum": "", "data": {"gstin": RTIN, "rtnprd": "092025", "version": "1.0", "gendt": "14-10-2025",
                                "docdata": {"b2b": docdata}}}
    if rejected:
        g["data"]["docRejdata"] = {"b2b": rejected}
    out = tmp_path / "t4.csv"
    assert run("gstr2b", wb, "--2b", write_json(tmp_path / "g.json", g), "--3b", out) == 0
    capsys.readouterr()
    return wb, _table(out)


def _igst(table: dict, row: str, basis: str) -> Decimal:
    return table[(row, basis)][0]


def test_a_reused_number_pairs_by_date_not_by_file_order(tmp_path, capsys):
    """Suppliers restart numbering each financial year (CGST rule 46(b): unique for the year),
    so IMS can hold last year's invoice 1 (kept Pending) and this year's invoice 1 (Accepted).
    GSTR-2B holds only this year's (IGST 900). Each record is its own document: both agree,
    and Table 4 has the 900 on either basis (docs/GSTR3B_WORKING.md: 4A(5) all other ITC)."""
    wb, t = _close(tmp_path, capsys,
                   [_reused("1", "05-04-2024", "042024", "P", 180), _reused("1", "05-09-2025", "092025", "A", 900)],
                   [_supplier([_inv("1", "05-09-2025", txval=5000, igst=900)])])
    got = _statuses(wb)
    assert got[("1", "05-04-2024")] == ("Not in GSTR-2B", "Agrees")
    assert got[("1", "05-09-2025")] == (AVAILABLE, "Agrees")
    for basis in ("GSTR-2B", "Your actions"):
        assert t[("4A(5)", basis)] == (900, 0, 0, 0), basis
        assert t[("4C", basis)] == (900, 0, 0, 0), basis
    sheet = [r for r in openpyxl.load_workbook(wb)["GSTR-2B"].iter_rows(values_only=True) if r[0] == "IMS"]
    assert sorted((r[6], r[13], r[14]) for r in sheet) == [("05-04-2024", None, 0), ("05-09-2025", "4A(5)", 900)]


def test_a_reused_number_rejected_last_year_accepted_this_year(tmp_path, capsys):
    """Last year's invoice 1 rejected (in docRejdata), this year's accepted (in docdata, listed
    first there while IMS lists it second), and another supplier's invoice: 4A(5) = 900 + 360
    = 1,260 on either basis; nothing differs."""
    other = record("b2b", 3, stin=SUP_GJ, inum="X1", idt="05-09-2025", rtnprd="092025", action="A",
                   txval=2000, iamt=360, camt=0, samt=0, val=2360)
    wb, t = _close(tmp_path, capsys,
                   [_reused("1", "05-04-2024", "042024", "R", 180), _reused("1", "05-09-2025", "092025", "A", 900),
                    other],
                   [_supplier([_inv("1", "05-09-2025", txval=5000, igst=900)]),
                    {**_supplier([_inv("X1", "05-09-2025", txval=2000, igst=360)]), "ctin": SUP_GJ}],
                   [_supplier([_inv("1", "05-04-2024", txval=1000, igst=180)], supprd="042024")])
    got = _statuses(wb)
    assert got[("1", "05-04-2024")] == (REJECTED, "Agrees")
    assert got[("1", "05-09-2025")] == (AVAILABLE, "Agrees")
    assert got[("X1", "05-09-2025")] == (AVAILABLE, "Agrees")
    for basis in ("GSTR-2B", "Your actions"):
        assert t[("4A(5)", basis)] == (1260, 0, 0, 0), basis
        assert t[("4C", basis)] == (1260, 0, 0, 0), basis


def test_a_number_repeated_in_the_2b_only(tmp_path, capsys):
    """IMS lists this year's invoice 1 once; GSTR-2B also carries last year's invoice 1, filed
    late and so ITC not available (reason C: section 16(4) time limit), listed first. The record
    is this year's document; last year's is 2B-only and lands in 4D(2) (docs/GSTR3B_WORKING.md)."""
    wb, t = _close(tmp_path, capsys, [_reused("1", "05-09-2025", "092025", "A", 900)],
                   [_supplier([_inv("1", "05-04-2024", txval=1000, igst=180, itcavl="N", rsn="C"),
                               _inv("1", "05-09-2025", txval=5000, igst=900)])])
    assert _statuses(wb)[("1", "05-09-2025")] == (AVAILABLE, "Agrees")
    for basis in ("GSTR-2B", "Your actions"):
        assert t[("4A(5)", basis)] == (900, 0, 0, 0), basis
        assert t[("4D(2)", basis)] == (180, 0, 0, 0), basis
        assert t[("4C", basis)] == (900, 0, 0, 0), basis
    only = [r for r in openpyxl.load_workbook(wb)["GSTR-2B"].iter_rows(values_only=True) if r[0] == "GSTR-2B only"]
    assert [(r[5], r[6], r[13]) for r in only] == [("1", "05-04-2024", "4D(2)")]


def test_a_repeat_with_the_same_date_and_period_pairs_by_tax(tmp_path, capsys):
    """Two invoices 1 of the same date and period (the supplier reported the number twice):
    nothing but the tax tells them apart. The 180 one is rejected, the 900 one accepted; the
    2B lists them the other way round. Each agrees; 4A(5) = 900."""
    wb, t = _close(tmp_path, capsys,
                   [_reused("1", "05-09-2025", "092025", "R", 180), _reused("1", "05-09-2025", "092025", "A", 900)],
                   [_supplier([_inv("1", "05-09-2025", txval=5000, igst=900)])],
                   [_supplier([_inv("1", "05-09-2025", txval=1000, igst=180)])])
    sheet = openpyxl.load_workbook(wb)["B2B"]
    head = {c.value: c.column - 1 for c in sheet[1]}
    got = sorted((r[head["IGST"]], r[head["In GSTR-2B"]], r[head["GSTR-2B check"]])
                 for r in sheet.iter_rows(min_row=2, values_only=True))
    assert got == [(180, REJECTED, "Agrees"), (900, AVAILABLE, "Agrees")]
    for basis in ("GSTR-2B", "Your actions"):
        assert t[("4A(5)", basis)] == (900, 0, 0, 0), basis


@pytest.mark.parametrize("items, place, found", [
    ([{"num": 1, "itm_det": [1, 2]}], "docdata.b2b[0].inv[0].items[0].itm_det", "found a list"),
    ([{"num": 1, "itm_det": None}], "docdata.b2b[0].inv[0].items[0].itm_det", "found null"),
    ([5], "docdata.b2b[0].inv[0].items[0]", "found a number"),
    ({"num": 1, "igst": 180}, "docdata.b2b[0].inv[0].items", "found an object"),
])
def test_a_rate_line_that_is_not_an_object_is_refused_with_its_place(tmp_path, capsys, items, place, found):
    """A document whose taxes are only rate-wise (IMS_FORMAT §6: ``items``, amounts in
    ``itm_det`` as GSTR-1 nests them) with a line of another shape: refused in one line naming
    the file and the place (STYLE 6), never an internal error nor a line read as no tax."""
    wb = import_new(tmp_path, download({"b2b": [_reused("1", "05-09-2025", "092025", "A", 180)]}, rtin=RTIN))
    doc = _inv("1", "05-09-2025")
    for k in ("txval", "igst", "cgst", "sgst", "cess"):
        doc.pop(k)
    doc["items"] = items
    g = {"data": {"gstin": RTIN, "rtnprd": "092025", "gendt": "14-10-2025", "docdata": {"b2b": [_supplier([doc])]}}}
    before = wb.read_bytes()
    capsys.readouterr()
    assert run("gstr2b", wb, "--2b", write_json(tmp_path / "g.json", g)) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith(f"ims-xl: error: g.json: {place}:") and found in err and "download GSTR-2B again" in err
    assert wb.read_bytes() == before



# ---------------------------------------------------------------- Your actions as the upload sends them

def _typed_month(tmp_path: Path, capsys, edits: list[dict], books: list[list[str]] | None = None,
                 statement: dict | None = None) -> tuple[Path, dict, str]:
    wb = import_new(tmp_path, download(RECORDS, rtin=RTIN))
    apply_edits(wb, edits)
    if books:
        with open(tmp_path / "b.csv", "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(books)
        assert run("reconcile", wb, "--books", tmp_path / "b.csv") == 0
    out = tmp_path / "table4.csv"
    capsys.readouterr()
    src = write_json(tmp_path / "2b.json", _jsonable(statement or gstr2b_json()))
    assert run("gstr2b", wb, "--2b", src, "--3b", out) == 0
    return wb, _table(out), capsys.readouterr().out


def _accept_cn1(answer: str, amounts: tuple[object, ...]) -> list[dict]:
    heads = ("ITC reduction IGST", "ITC reduction CGST", "ITC reduction SGST", "ITC reduction Cess")
    return [{"sheet": "B2B-CN", "doc_no": "CN-1", "column": "Action", "value": "Accept"},
            {"sheet": "B2B-CN", "doc_no": "CN-1", "column": "Whether ITC to be reduced", "value": answer},
            *({"sheet": "B2B-CN", "doc_no": "CN-1", "column": h, "value": v} for h, v in zip(heads, amounts))]


@pytest.mark.parametrize("answer, amounts, taken", [
    # amounts blank: the full reversal (itcRedReq Y, no amounts); every amount typed 0: nothing
    # (itcRedReq N, IMS_FORMAT §2.3), as the upload sends them
    ("Yes", (0, 0, 0, 0), 0), ("Yes", (None, None, None, None), 30),
    ("Yes", (0, 10, 10, 0), 10), ("No", (None, None, None, None), 0)])
def test_a_credit_notes_reduction_counts_as_the_upload_sends_it(tmp_path, capsys, answer, amounts, taken):
    """CN-1 (CGST 30 + SGST 30, No Action on the portal) accepted: Your actions takes back what
    the upload tells the portal to (IMS_FORMAT §2.3), 4A(5) CGST/SGST = INV-1 90 - taken (INV-2
    at No Action counts its IGST 180, CN-2 its full 100)."""
    wb, got, _ = _typed_month(tmp_path, capsys, _accept_cn1(answer, amounts))
    assert got[("4A(5)", "Your actions")] == (Decimal(80), Decimal(90 - taken), Decimal(90 - taken), Decimal(0))
    up = tmp_path / "up.json"
    assert run("export", wb, "--out", up) == 0
    sent = json.loads(up.read_bytes())["invdata"]["b2bcn"][0]
    assert sent["itcRedReq"] == ("Y" if taken else "N") and ("declCgst" in sent) == (0 < taken < 30), sent


def test_an_answer_the_upload_does_not_carry_is_said_and_not_counted(tmp_path, capsys):
    """CN-2 was Accepted on the portal before: a new answer typed beside it goes nowhere (only
    a changed action is uploaded, validate's change-not-uploaded); Table 4 keeps the portal's
    full reduction and the record says why."""
    wb, got, _ = _typed_month(tmp_path, capsys, [
        {"sheet": "B2B-CN", "doc_no": "CN-2", "column": "Whether ITC to be reduced", "value": "No"}])
    # INV-2 180 (No Action: deemed accepted) - CN-2 100; INV-1 90/90 - CN-1 30/30
    assert got[("4A(5)", "Your actions")] == (Decimal(80), Decimal(60), Decimal(60), Decimal(0))
    assert cell(wb, "B2B-CN", "CN-2", "GSTR-2B check").startswith(
        "Differs: the ITC reduction answered in the workbook is not uploaded")


def test_a_recompute_moves_no_itc_that_is_not_available(tmp_path, capsys):
    """INV-5 sits in 4D(2) (place of supply, reason P): rejecting it after generation changes
    nothing GSTR-3B claims (Notification 14/2022: 4D is never in 4A or 4C), while INV-2's reject
    takes back its IGST 180."""
    _, _, said = _typed_month(tmp_path, capsys, [
        {"sheet": "B2B", "doc_no": "INV-2", "column": "Action", "value": "Reject"},
        {"sheet": "B2B", "doc_no": "INV-5", "column": "Action", "value": "Reject"}])
    assert "ITC it moves: IGST -180.00, CGST 0.00, SGST 0.00, Cess 0.00" in said, said


def test_isd_and_bills_of_entry_match_the_books_by_their_taxes(tmp_path, capsys):
    """GSTR-2B gives ISD documents and bills of entry no value: the books' document total is
    their taxable value and taxes, so the booked ISD-1 (CGST 40 + SGST 40) and the SEZ unit's
    bill of entry SEZ-9 (1,500 + IGST 300) count on the Books basis (they were a Value
    mismatch). (A bill of entry from customs names no GSTIN: nothing to match it by.)"""
    sez = gstin("27AAACS1234K1Z")
    statement = gstr2b_json()
    statement["data"]["docdata"]["impgsez"] = [{"ctin": sez, "trdnm": "SEZ UNIT", "boe": [
        {"refdt": "20-10-2025", "recdt": "21-10-2025", "portcode": "INNSA1", "boenum": "SEZ-9",
         "boedt": "18-10-2025", "isamd": "N", "txval": 1500, "igst": 300, "cess": 0}]}]
    books = [BOOKS[0],
             [ISD, "OUR HEAD OFFICE", "Invoice", "ISD-1", "31-10-2025", "27", "0", "0", "40", "40", "0", "80"],
             [sez, "SEZ UNIT", "Invoice", "SEZ-9", "18-10-2025", "27", "1500", "300", "0", "0", "0", "1800"]]
    _, got, _ = _typed_month(tmp_path, capsys, [], books, statement)
    assert got[("4A(4)", "Books")] == (Decimal(0), Decimal(40), Decimal(40), Decimal(0))
    assert got[("4A(1)", "Books")] == (Decimal(300), Decimal(0), Decimal(0), Decimal(0))
