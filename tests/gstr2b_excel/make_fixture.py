"""Write ``gstr2b_portal_layout.xlsx``: the GSTR-2B of ``tests/test_gstr2b.py::gstr2b_json()`` in
the layout of the GST portal's GSTR-2B Excel download (Returns > GSTR-2B > Download Excel).

The layout follows the public descriptions named in README.md beside this script: 29 sheets in
the portal's order (Read me, four summaries, the section sheets, the ITC reversal sheets, the
Rejected sheets); on each section sheet three title rows and a subtitle, then two header rows
(three on amendment sheets: Original Details / Revised Details) with merged group cells, then
one row per document; amounts as numbers, dates as ``dd/mm/yyyy`` text, Yes/No, state names.
The documents are rendered from the hand-written JSON, field by field, by the table below:
nothing here reads them back (that is the test's job).

Run from the repository root: ``.venv/bin/python tests/gstr2b_excel/make_fixture.py``.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from test_gstr2b import gstr2b_json  # noqa: E402  (tests/ on the path first)

from ims_xl.gstin import STATE_CODES  # noqa: E402

FIXTURE = HERE / "gstr2b_portal_layout.xlsx"
TITLE = "Goods and Services Tax - GSTR-2B"

# ----------------------------------------------------------------- header trees
# A node is a label (one column, merged down to the last header row) or (group, [nodes]).
INV = ("Invoice Details", ["Invoice number", "Invoice type", "Invoice Date", "Invoice Value(₹)"])
NOTE = ("Credit note/Debit note details",
        ["Note number", "Note type", "Note Supply type", "Note date", "Note Value (₹)"])
DNOTE = ("Debit note details", ["Note number", "Note type", "Note Supply type", "Note date", "Note Value (₹)"])
DOCS = ("Document details", ["Document number", "Document type", "Document date", "Document value(₹)"])
TAXES = ["Integrated Tax(₹)", "Central Tax(₹)", "State/UT Tax(₹)", "Cess(₹)"]
TAX = ("Tax Amount", TAXES)
ISD_TAX = ("Input tax distribution by ISD", TAXES)
REDUCE = ["Whether ITC to be reduced (Taxpayer's Input)", ("Amount declared by taxpayer for ITC reduction", TAXES)]
REVERSE = ["Whether ITC to be reversed (Taxpayer's Input)", ("Amount declared by taxpayer for ITC reversal", TAXES)]
P2B = ["GSTR-1/IFF/GSTR-5 Period", "GSTR-1/IFF/GSTR-5 Filing Date"]
PIFF = ["GSTR-1/IFF Period", "GSTR-1/IFF Filing Date"]
PECO = ["GSTR-1/1A/IFF Period", "GSTR-1/1A/IFF Filing Date"]
EINV = ["Source", "IRN", "IRN Date"]
ITC = ["ITC Availability", "Reason"]
BOE = ("Bill of Entry Details", ["Number", "Date", "Taxable Value"])
BOE_TAX = ("Amount of tax (₹)", ["Integrated Tax(₹)", "Cess(₹)"])
SUP = ["GSTIN of supplier", "Trade/Legal name"]
ISD_DOC = ["ISD Document type", "ISD Document number", "ISD Document date", "Original Invoice Number",
           "Original invoice date", ISD_TAX, "ISD GSTR-6 Period", "ISD GSTR-6 Filing Date", "Eligibility of ITC"]
POS_RC_TX = ["Place of supply", "Supply Attract Reverse Charge", "Taxable Value (₹)"]
POS_TX = ["Place of supply", "Taxable Value (₹)"]
APPL = "Applicable % of Tax Rate"


def _amended(original: list, revised: list) -> list:
    return [("Original Details", original), ("Revised Details", revised)]


#: (sheet, subtitle, header tree), in the portal's order after the summaries.
SECTION_SHEETS: list[tuple[str, str, list]] = [
    ("B2B", "Taxable inward supplies received from registered persons",
     [*SUP, INV, *POS_RC_TX, TAX, *P2B, *ITC, APPL, *EINV]),
    ("B2BA", "Amendments to previously filed invoices by supplier",
     _amended(["Invoice number", "Invoice Date"], [*SUP, INV, *POS_RC_TX, TAX, *REDUCE, *P2B, *ITC, APPL])),
    ("B2B-CDNR", "Debit/Credit notes (Original)", [*SUP, NOTE, *POS_RC_TX, TAX, *REDUCE, *P2B, *ITC, APPL, *EINV]),
    ("B2B-CDNRA", "Amendments to previously filed Credit/Debit notes by supplier",
     _amended(["Note type", "Note number", "Note date"], [*SUP, NOTE, *POS_RC_TX, TAX, *REDUCE, *P2B, *ITC, APPL])),
    ("ECO", "Documents reported by ECO on which ECO is liable to pay tax u/s 9(5)",
     ["GSTIN of ECO", "Trade/Legal name", DOCS, *POS_TX, TAX, *PECO, *ITC, *EINV]),
    ("ECOA", "Amendments to documents reported by ECO on which ECO is liable to pay tax u/s 9(5)",
     _amended(["Document number", "Document date"],
              ["GSTIN of ECO", "Trade/Legal name", DOCS, *POS_TX, TAX, *REDUCE, *PECO, *ITC])),
    ("ISD", "ISD Credits", ["GSTIN of ISD", "Trade/Legal name", *ISD_DOC]),
    ("ISDA", "Amendments ISD Credits received",
     _amended(["ISD Document type", "Document Number", "Document date"],
              ["GSTIN of ISD", "Trade/Legal name", *ISD_DOC])),
    ("IMPG", "Import of goods from overseas on bill of entry", ["Icegate Reference Date", "Port Code", BOE, BOE_TAX]),
    ("IMPGA", "Amendments to import of goods from overseas on bill of entry",
     ["Icegate Reference Date", "Port Code", BOE, BOE_TAX, "Type of Amendment"]),
    ("IMPGSEZ", "Import of goods from SEZ units/developers on bill of entry",
     [*SUP, "Icegate Reference Date", "Port Code", BOE, BOE_TAX]),
    ("IMPGSEZA", "Amendments to import of goods from SEZ units/developers on bill of entry",
     _amended(["Bill of Entry number", "Bill of Entry date"],
              [*SUP, "Type of Amendment", "Icegate Reference Date", "Port Code", BOE, BOE_TAX])),
    ("B2B (ITC Reversal)", "Taxable inward supplies received from registered persons",
     [*SUP, INV, *POS_RC_TX, TAX, *REVERSE, *P2B, *ITC, APPL]),
    ("B2BA (ITC Reversal)", "Amendments to previously filed invoices by supplier",
     _amended(["Invoice number", "Invoice Date"], [*SUP, INV, *POS_RC_TX, TAX, *REVERSE, *P2B, *ITC, APPL])),
    ("B2B-DNR", "Debit notes (Original)", [*SUP, DNOTE, *POS_RC_TX, TAX, *PIFF, *ITC, APPL, *EINV]),
    ("B2B-DNRA", "Amendments to previously uploaded Debit notes by supplier",
     _amended(["Note type", "Note number", "Note date"], [*SUP, DNOTE, *POS_RC_TX, TAX, *PIFF, *ITC, APPL])),
    ("B2B(Rejected)", "ITC Rejected for taxable inward supplies received from registered persons",
     [*SUP, INV, *POS_TX, TAX, "Remarks", *P2B, APPL, *EINV]),
    ("B2BA(Rejected)", "Amendments to previously filed invoices by supplier (Rejected)",
     _amended(["Invoice number", "Invoice Date"], [*SUP, INV, *POS_TX, TAX, "Remarks", *PIFF, APPL])),
    ("B2B-CDNR(Rejected)", "ITC Rejected for Debit/Credit notes (Original)",
     [*SUP, NOTE, *POS_TX, TAX, "Remarks", *P2B, APPL, *EINV]),
    ("B2B-CDNRA(Rejected)", "ITC Rejected for amendments to previously filed Credit/Debit notes by supplier",
     _amended(["Note type", "Note number", "Note date"], [*SUP, NOTE, *POS_TX, TAX, "Remarks", *P2B, APPL])),
    ("ECO(Rejected)", "ITC Rejected for documents reported by ECO on which ECO is liable to pay tax u/s 9(5)",
     ["GSTIN of ECO", "Trade/Legal name", DOCS, *POS_TX, TAX, "Remarks", *PIFF, *EINV]),
    ("ECOA(Rejected)", "ITC Rejected for amendments to documents reported by ECO on which ECO is liable to pay "
     "tax u/s 9(5)", _amended(["Document number", "Document date"],
                             ["GSTIN of ECO", "Trade/Legal name", DOCS, *POS_TX, TAX, "Remarks", *PIFF])),
    ("ISD(Rejected)", "ITC Rejected for ISD Credits", ["GSTIN of ISD", "Trade/Legal name", *ISD_DOC]),
    ("ISDA(Rejected)", "ITC Rejected for amendments of ISD Credits received",
     _amended(["ISD Document type", "Document Number", "Document date"],
              ["GSTIN of ISD", "Trade/Legal name", *ISD_DOC])),
]


def _depth(node) -> int:
    return 1 if isinstance(node, str) else 1 + max(_depth(n) for n in node[1])


def _width(node) -> int:
    return 1 if isinstance(node, str) else sum(_width(n) for n in node[1])


def _leaves(nodes, path=()) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for n in nodes:
        out += [(*path, n)] if isinstance(n, str) else _leaves(n[1], (*path, n[0]))
    return out


# ----------------------------------------------------------------- the documents, as the portal shows them
INV_TYPES = {"R": "Regular", "SEWP": "SEZ supplies with payment", "SEWOP": "SEZ supplies without payment",
             "DE": "Deemed Exports", "CBW": "Intra-State supplies attracting IGST"}
NOTE_TYPES = {"C": "Credit Note", "D": "Debit Note"}
REASONS = {"P": "POS and supplier state are same but recipient state is different",
           "C": "Return filed post annual return cut-off date"}
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
HEADS = ("txval", "igst", "cgst", "sgst", "cess")


def _dmy(d: str) -> str:
    return (d or "").replace("-", "/")  # the JSON's dd-mm-yyyy as the sheet shows it


def _period(p: str) -> str:
    return f"{MONTHS[int(p[:2]) - 1]}'{p[4:]}" if p else ""  # 102025 -> Oct'25


def _yes(flag: str) -> str:
    return "Yes" if str(flag).upper() == "Y" else "No"


def _amounts(doc: dict) -> dict[str, Decimal]:
    """Document-level amounts; a document given rate-wise (``items``) shows its totals."""
    items = doc.get("items") or []
    return {h: Decimal(doc[h]) if h in doc else sum((Decimal(i.get(h, 0)) for i in items), Decimal(0))
            for h in HEADS}


def _num(x) -> float:
    return float(Decimal(x))


def _tax_cells(a: dict) -> dict:
    return {"Integrated Tax(₹)": _num(a["igst"]), "Central Tax(₹)": _num(a["cgst"]),
            "State/UT Tax(₹)": _num(a["sgst"]), "Cess(₹)": _num(a["cess"])}


def _b2b_row(sup: dict, inv: dict, rejected: bool = False) -> dict:
    a = _amounts(inv)
    row = {"GSTIN of supplier": sup["ctin"], "Trade/Legal name": sup["trdnm"], "Invoice number": inv["inum"],
           "Invoice type": INV_TYPES[inv["typ"]], "Invoice Date": _dmy(inv["dt"]),
           "Invoice Value(₹)": _num(inv["val"]),
           "Place of supply": STATE_CODES[inv["pos"]], "Supply Attract Reverse Charge": _yes(inv["rev"]),
           "Taxable Value (₹)": _num(a["txval"]), **_tax_cells(a),
           "GSTR-1/IFF/GSTR-5 Period": _period(sup["supprd"]), "GSTR-1/IFF Period": _period(sup["supprd"]),
           "GSTR-1/IFF/GSTR-5 Filing Date": _dmy(sup["supfildt"]), "GSTR-1/IFF Filing Date": _dmy(sup["supfildt"])}
    if not rejected:
        row.update({"ITC Availability": _yes(inv["itcavl"]), "Reason": REASONS.get(inv["rsn"], inv["rsn"])})
    if "oinum" in inv:
        row.update({("Original Details", "Invoice number"): inv["oinum"],
                    ("Original Details", "Invoice Date"): _dmy(inv["oidt"])})
    # diffprcnt 1 (the full rate): the sheet shows 65% only for the 65% rate, else blank
    if Decimal(inv.get("diffprcnt", 1)) != 1:
        row[APPL] = f"{Decimal(inv['diffprcnt']) * 100:.0f}%"
    return row


def _cdnr_row(sup: dict, nt: dict) -> dict:
    a = _amounts(nt)
    row = {"GSTIN of supplier": sup["ctin"], "Trade/Legal name": sup["trdnm"], "Note number": nt["ntnum"],
           "Note type": NOTE_TYPES[nt["typ"]], "Note Supply type": INV_TYPES[nt["suptyp"]],
           "Note date": _dmy(nt["dt"]), "Note Value (₹)": _num(nt["val"]),
           "Place of supply": STATE_CODES[nt["pos"]], "Supply Attract Reverse Charge": _yes(nt["rev"]),
           "Taxable Value (₹)": _num(a["txval"]), **_tax_cells(a),
           "Whether ITC to be reduced (Taxpayer's Input)": "No",
           **{("Amount declared by taxpayer for ITC reduction", t): 0.0 for t in TAXES},
           "GSTR-1/IFF/GSTR-5 Period": _period(sup["supprd"]),
           "GSTR-1/IFF/GSTR-5 Filing Date": _dmy(sup["supfildt"]),
           "ITC Availability": _yes(nt["itcavl"]), "Reason": REASONS.get(nt["rsn"], nt["rsn"])}
    return row


def _isd_row(sup: dict, d: dict) -> dict:
    return {"GSTIN of ISD": sup["ctin"], "Trade/Legal name": sup["trdnm"],
            "ISD Document type": "Credit Note" if d["doctyp"] == "ISDC" else "Invoice",
            "ISD Document number": d["docnum"], "ISD Document date": _dmy(d["docdt"]),
            **_tax_cells({h: Decimal(d.get(h, 0)) for h in HEADS}),
            "ISD GSTR-6 Period": _period(sup["supprd"]), "ISD GSTR-6 Filing Date": _dmy(sup["supfildt"]),
            "Eligibility of ITC": _yes(d["itcelg"])}


def _impg_row(b: dict) -> dict:
    return {"Icegate Reference Date": _dmy(b["refdt"]), "Port Code": b["portcode"], "Number": b["boenum"],
            "Date": _dmy(b["boedt"]), "Taxable Value": _num(b["txval"]),
            "Integrated Tax(₹)": _num(b["igst"]), "Cess(₹)": _num(b["cess"])}


def document_rows(data: dict) -> dict[str, list[dict]]:
    """Sheet name -> rows (leaf label, or (group, leaf), -> value) for the JSON's documents."""
    dd, rej = data["docdata"], data.get("docRejdata", {})
    rows: dict[str, list[dict]] = {
        "B2B": [_b2b_row(s, i) for s in dd.get("b2b", []) for i in s["inv"]],
        "B2B-CDNR": [_cdnr_row(s, n) for s in dd.get("cdnr", []) for n in s["nt"]],
        "ISD": [_isd_row(s, d) for s in dd.get("isd", []) for d in s["doclist"]],
        "IMPG": [_impg_row(b) for b in dd.get("impg", [])],
        "B2BA(Rejected)": [_b2b_row(s, i, rejected=True) for s in rej.get("b2ba", []) for i in s["inv"]],
    }
    handled = {"b2b", "cdnr", "isd", "impg"}, {"b2ba"}
    assert set(dd) <= handled[0] and set(rej) <= handled[1], "a section this script does not render"
    return rows


# ----------------------------------------------------------------- summaries (abridged)
def _sum(docs: list[dict]) -> list[float]:
    return [float(sum((_amounts(d)[h] for d in docs), Decimal(0))) for h in ("igst", "cgst", "sgst", "cess")]


def summary_rows(data: dict) -> dict[str, list[list]]:
    dd, rej = data["docdata"], data.get("docRejdata", {})
    inv = [i for s in dd.get("b2b", []) for i in s["inv"]]
    nts = [n for s in dd.get("cdnr", []) for n in s["nt"]]
    isd = [d for s in dd.get("isd", []) for d in s["doclist"]]
    avl = [d for d in inv + [n for n in nts if n["typ"] == "D"] if d["itcavl"] == "Y"]
    head = ["S.no.", "Heading", "GSTR-3B table", "Integrated Tax  (₹)", "Central Tax (₹)", "State/UT Tax (₹)",
            "Cess  (₹)", "Advisory"]
    banner = ("FORM GSTR-2B has been generated on the basis of the information furnished by your suppliers in "
              "their respective FORMS GSTR-1/IFF, GSTR-1A, 5 and 6. It also contains information on imports of "
              "goods from the ICEGATE system. This information is for guidance purposes only.")

    def sheet(title: str, body: list[list]) -> list[list]:
        return [["FORM GSTR-2B"], [banner], [], [], [title], head, *body]
    return {
        "ITC Available": sheet("FORM SUMMARY - ITC Available", [
            ["Credit which may be availed under FORM GSTR-3B"],
            ["Part A", "ITC Available - Credit may be claimed in relevant headings in GSTR-3B"],
            ["I", "All other ITC - Supplies from registered persons other than reverse charge", "4(A)(5)",
             *_sum([d for d in avl if d["rev"] == "N"]),
             "Net input tax credit may be availed under Table 4(A)(5) of FORM GSTR-3B."],
            ["II", "Inward Supplies from ISD", "4(A)(4)", *_sum([d for d in isd if d["doctyp"] == "ISDI"]),
             "Net input tax credit may be availed under Table 4(A)(4) of FORM GSTR-3B."],
            ["III", "Inward Supplies liable for reverse charge", "3.1(d)\n4(A)(3)",
             *_sum([d for d in avl if d["rev"] == "Y"]),
             "These supplies shall be declared in Table 3.1(d) of FORM GSTR-3B for payment of tax. Net input "
             "tax credit may be availed under Table 4(A)(3) of FORM GSTR-3B on payment of tax."],
            ["IV", "Import of Goods", "4(A)(1)", *_sum(dd.get("impg", [])),
             "Net input tax credit may be availed under Table 4(A)(1) of FORM GSTR-3B."],
            ["Part B", "ITC Available - Credit notes should be net off against relevant ITC available headings "
             "in GSTR-3B"],
            ["I", "Others", "4(A)", *_sum([n for n in nts if n["typ"] == "C" and n["itcavl"] == "Y"]),
             "Credit Notes shall be net-off against relevant ITC available tables [Table 4A(3,4,5)]."]]),
        "ITC not available": sheet("FORM SUMMARY - ITC Not Available", [
            ["Credit which may not be availed under FORM GSTR-3B"],
            ["Part A", "ITC Not Available"],
            ["I", "All other ITC - Supplies from registered persons other than reverse charge", "4(D)(2)",
             *_sum([d for d in inv if d["itcavl"] == "N" and d["rev"] == "N"]),
             "Such credit shall not be taken and has to be reported in table 4(D)(2) of FORM GSTR-3B."]]),
        "ITC Reversal": sheet("FORM SUMMARY - ITC Reversal", [
            ["Credit which may be reversed under FORM GSTR-3B"],
            ["Part A", "ITC Reversal"],
            ["I", "Others", "4(B)(2)", 0.0, 0.0, 0.0, 0.0,
             "Credit shall be reversed under Table 4(B)(2) of FORM GSTR-3B."]]),
        "ITC Rejected": sheet("FORM SUMMARY - ITC Rejected", [
            ["Credit which is rejected on IMS Dashboard"],
            ["Part A", "ITC Rejected - Others"],
            ["I", "All other ITC - Supplies from registered persons other than reverse charge (IMS)", "NA",
             *_sum([i for s in rej.get("b2ba", []) + rej.get("b2b", []) for i in s["inv"]]),
             "Input tax credit cannot be availed in FORM GSTR-3B."]]),
    }


def readme_rows(data: dict) -> list[list]:
    p = data["rtnprd"]
    month, year = int(p[:2]), int(p[2:])
    start = year if month >= 4 else year - 1
    months = "January February March April May June July August September October November December".split()
    facts = [("Financial Year", f"{start}-{str(start + 1)[2:]}"), ("Tax Period", months[month - 1]),
             ("GSTIN", data["gstin"]), ("Legal Name", "RECIPIENT TRADERS PRIVATE LIMITED"),
             ("Trade Name (if any)", "RECIPIENT TRADERS"), ("Date of generation", _dmy(data["gendt"]))]
    return [[TITLE], [], [], *([k, None, v] for k, v in facts), [],
            ["GSTR-2B Data Entry Instructions"],
            ["Worksheet Name", "GSTR-2B Table Reference", "Field Name", "Instructions"],
            ["B2B", "Taxable inward supplies received from registered person", "GSTIN of Supplier",
             "GSTIN of supplier"],
            ["B2B", "Taxable inward supplies received from registered person", "Invoice date",
             "Invoice date format shall be DD-MM-YYYY"],
            ["B2B", "Taxable inward supplies received from registered person", "Supply attract Reverse charge",
             "Supply attract reverse charge divided into two types:\nY- Purchases attract reverse charge\n"
             "N- Purchases don't attract reverse charge"],
            ["B2B", "Taxable inward supplies received from registered person", "ITC Availability",
             "Is ITC available or not on the document - 'Yes' or 'No'"],
            ["B2B", "Taxable inward supplies received from registered person", "Reason",
             "Reason, if ITC availability is 'No'"],
            ["B2B", "Taxable inward supplies received from registered person", APPL,
             "If the supply is eligible to be taxed at 65% of the existing rate of tax, it shall be 65%, "
             "else blank"],
            ["B2B-CDNR", "Debit/Credit notes(Original)", "Whether ITC to be reduced (Taxpayer's Input)",
             "YES/NO - As per selection by recipient on IMS Dashboard"],
            ["B2B-Rejected", "ITC Rejected for taxable inward supplies received from registered persons",
             "Remarks", "Remark entered by recipient on IMS Dashboard at the time of rejection of record."]]


# ----------------------------------------------------------------- writing
NAVY = PatternFill("solid", fgColor="002060")
WHITE_BOLD = Font(bold=True, color="FFFFFF")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
AMOUNT = "#,##0.00"


def _text_cell(ws, r: int, c: int, value) -> None:
    cell = ws.cell(r, c, value)
    if isinstance(value, str):
        cell.data_type = "s"  # identifiers and dates stay text, as on the portal


def _section_sheet(wb, name: str, subtitle: str, tree: list, rows: list[dict]) -> None:
    ws = wb.create_sheet(name)
    leaves = _leaves(tree)
    width, depth = len(leaves), max(_depth(n) for n in tree)
    ws.cell(1, 1, TITLE).font = Font(bold=True, size=16)
    ws.merge_cells(start_row=1, start_column=1, end_row=3, end_column=width)
    ws.cell(4, 1, subtitle).font = Font(bold=True)
    ws.merge_cells(start_row=4, start_column=1, end_row=4, end_column=width)
    bottom = 4 + depth

    def place(nodes, row: int, col: int) -> None:
        for n in nodes:
            label = n if isinstance(n, str) else n[0]
            w = _width(n)
            cell = ws.cell(row, col, label)
            cell.font, cell.fill, cell.alignment = WHITE_BOLD, NAVY, CENTER
            end_row = bottom if isinstance(n, str) else row
            if end_row > row or w > 1:
                ws.merge_cells(start_row=row, start_column=col, end_row=end_row, end_column=col + w - 1)
            if not isinstance(n, str):
                place(n[1], row + 1, col)
            col += w
    place(tree, 5, 1)
    for r, values in enumerate(rows, start=bottom + 1):
        for c, path in enumerate(leaves, start=1):
            # a value is keyed by its leaf label, or by (group, leaf) where the label repeats
            v = values.get(path[-2:], values.get(path[-1])) if len(path) > 1 else values.get(path[-1])
            if v is None or v == "":
                continue
            _text_cell(ws, r, c, v)
            if isinstance(v, float):
                ws.cell(r, c).number_format = AMOUNT
    ws.freeze_panes = ws.cell(bottom + 1, 1)


def write(path: Path = FIXTURE) -> Path:
    data = gstr2b_json()["data"]
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    ws = wb.create_sheet("Read me")
    for r, row in enumerate(readme_rows(data), start=1):
        for c, v in enumerate(row, start=1):
            if v is not None:
                _text_cell(ws, r, c, v)
    ws.merge_cells("A1:F3")
    for r in range(4, 10):
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=2)
        ws.merge_cells(start_row=r, start_column=3, end_row=r, end_column=6)
    for name, rows in summary_rows(data).items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, v in enumerate(row, start=1):
                _text_cell(ws, r, c, v)
                if isinstance(v, float):
                    ws.cell(r, c).number_format = AMOUNT
        ws.merge_cells("A1:J1")
        ws.merge_cells("A2:J4")
        ws.merge_cells("A5:J5")
        ws.merge_cells("H6:J6")
    docs = document_rows(data)
    for name, subtitle, tree in SECTION_SHEETS:
        _section_sheet(wb, name, subtitle, tree, docs.get(name, []))
    wb.save(path)
    return path


if __name__ == "__main__":
    print(write())
