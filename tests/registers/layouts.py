"""The documents of ``documents.BOOKS`` written in each product's purchase-register layout.

Every writer takes a folder and returns the file it wrote. The layouts, their sources and
what was assumed are described in README.md (same folder). Nothing here is copied from a
product or a third-party project: the files are written from the public descriptions.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
from openpyxl.styles import Alignment, Font

from ims_xl.money import format_inr

from .documents import (BOOKS, COMPANY, COMPANY_ADDRESS, D0, PERIOD_FROM, PERIOD_TO, RTIN,
                        STATE_ABBR, STATE_NAME, SUPPLIERS, Doc, Line, q, voucher_numbers)

__all__ = ["HEADER_CHECKS", "LAYOUTS", "LAYOUT_ARGS"]

Cell = object
Row = list[Cell]


# --------------------------------------------------------------------------- helpers


def _indian(x: Decimal) -> str:
    """``1,52,340.50``: Indian digit grouping, two decimals, no sign (the product's own
    formatter writes it; the reader parses amounts by another road, money.parse_amount)."""
    return format_inr(int(abs(x) * 100))


def _western(x: Decimal) -> str:
    return f"{abs(x):,.2f}"


def _rate(r: Decimal) -> str:
    """``18`` / ``2.5``: a rate as products print it."""
    return f"{r.normalize():f}"


def _signed(sign: Decimal, x: Decimal) -> Decimal:
    """``sign * x`` without a negative zero (``-0.00`` would show in the sheet)."""
    return sign * x if x else D0


def _write_xlsx(path: Path, sheets: list[dict]) -> Path:
    """Write sheets: ``{"name", "rows", "merges", "date_fmt", "num_fmt", "bold_rows"}``.

    ``Decimal`` cells become numbers shown with ``num_fmt``; ``date`` cells become Excel
    dates shown with ``date_fmt``; strings stay text (numbers in text are never converted).
    """
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sh in sheets:
        ws = wb.create_sheet(sh["name"])
        date_fmt = sh.get("date_fmt", "dd-mm-yyyy")
        num_fmt = sh.get("num_fmt", "#,##0.00")
        bold = set(sh.get("bold_rows", ()))
        for r, row in enumerate(sh["rows"], start=1):
            for c, v in enumerate(row, start=1):
                if v is None or v == "":
                    continue
                cell = ws.cell(row=r, column=c)
                if isinstance(v, Decimal):
                    cell.value = float(v)
                    cell.number_format = num_fmt
                elif isinstance(v, dt.date):
                    cell.value = dt.datetime(v.year, v.month, v.day)
                    cell.number_format = date_fmt
                elif isinstance(v, str):
                    cell.value = v
                    cell.data_type = "s"  # never a formula, even for text starting with "="
                else:
                    cell.value = v
                if r in bold:
                    cell.font = Font(bold=True)
        for rng in sh.get("merges", ()):
            ws.merge_cells(rng)
            ws[rng.split(":")[0]].alignment = Alignment(horizontal="center", vertical="center",
                                                        wrap_text=True)
        for col, width in sh.get("widths", {}).items():
            ws.column_dimensions[col].width = width
    wb.save(path)
    return path


def _lines(d: Doc) -> list[dict]:
    """The rate lines of a booked document with their heads (``rate``, ``cess_rate``)."""
    return [{"rate": ln.rate, "cess_rate": ln.cess_rate, **h}
            for ln, h in zip(d.lines, d.line_heads())]


# Buyer's voucher types. The buyer books the supplier's credit note as a Debit Note /
# purchase return (the buyer debits the supplier) and the supplier's debit note as a
# Credit Note (the buyer credits the supplier).
_TALLY_VCH = {"invoice": "Purchase", "credit_note": "Debit Note", "debit_note": "Credit Note"}


# --------------------------------------------------------------------------- 1. Tally columnar


def _tally_purchase_ledger(d: Doc, rate: Decimal) -> str:
    return f"{'Interstate Purchase' if d.inter else 'Purchase'} @ {_rate(rate)}%"


def write_tally_purchase_register(folder: Path) -> Path:
    """TallyPrime Purchase Register, columnar, exported to Excel (.xlsx)."""
    vch = voucher_numbers({"invoice": "", "credit_note": "", "debit_note": ""}, width=1)
    ledgers: list[str] = []
    for d in BOOKS:
        for ln in d.lines:
            name = _tally_purchase_ledger(d, ln.rate)
            if name not in ledgers:
                ledgers.append(name)
    ledgers.sort(key=lambda s: (s.startswith("Interstate"), float(s.split("@")[1].strip(" %"))))
    taxes = ["Input CGST", "Input SGST", "Input IGST", "Input Cess"]
    header = ["Date", "Particulars", "Voucher Type", "Voucher No.", "Supplier Invoice No.",
              "Supplier Invoice Date", "GSTIN/UIN", "Gross Total", *ledgers, *taxes]
    rows: list[Row] = [
        [COMPANY], [COMPANY_ADDRESS], ["Purchase Register"],
        [f"{PERIOD_FROM.day}-{PERIOD_FROM:%b-%y} to {PERIOD_TO.day}-{PERIOD_TO:%b-%y}"], [],
        header,
    ]
    grand = {k: D0 for k in header[7:]}
    for d in BOOKS:
        sign = Decimal(-1) if d.kind == "credit_note" else Decimal(1)  # purchase returns reduce
        t = d.totals()
        amounts = {"Gross Total": t["val"], "Input CGST": t["camt"], "Input SGST": t["samt"],
                   "Input IGST": t["iamt"], "Input Cess": t["cess"]}
        for ln in _lines(d):
            name = _tally_purchase_ledger(d, ln["rate"])
            amounts[name] = amounts.get(name, D0) + ln["txval"]
        row: Row = [d.voucher_date, d.supplier.name, _TALLY_VCH[d.kind], vch[d.key], d.number,
                    d.date, d.stin]
        for k in header[7:]:
            v = amounts.get(k, D0)
            row.append(_signed(sign, v) if v else None)
            grand[k] += _signed(sign, v)
        rows.append(row)
    rows.append([])
    rows.append([None, "Grand Total", None, None, None, None, None,
                 *(grand[k] for k in header[7:])])
    return _write_xlsx(folder / "tally_purchase_register.xlsx", [{
        "name": "Purchase Register", "rows": rows, "date_fmt": "d-mmm-yy",
        "bold_rows": (1, 3, 6, len(rows)),
    }])


# --------------------------------------------------------------------------- 2. Tally vouchers


def write_tally_voucher_register(folder: Path) -> Path:
    """Tally Voucher Register (Day Book style), columnar, amounts as ``1,180.00 Dr`` text."""
    vch = voucher_numbers({"invoice": "", "credit_note": "", "debit_note": ""}, width=1)
    purchase_cols: list[str] = []
    tax_cols: list[str] = []
    for d in BOOKS:
        for ln in d.lines:
            p = f"Purchase {'Inter-State ' if d.inter else ''}GST @{_rate(ln.rate)}%"
            if p not in purchase_cols:
                purchase_cols.append(p)
            names = ([f"IGST Input @{_rate(ln.rate)}%"] if d.inter else
                     [f"CGST Input @{_rate(ln.rate / 2)}%", f"SGST Input @{_rate(ln.rate / 2)}%"])
            for n in names:
                if n not in tax_cols:
                    tax_cols.append(n)
    purchase_cols.sort(key=lambda s: ("Inter" in s, float(s.split("@")[1].strip("%"))))
    tax_cols.sort(key=lambda s: (s[:4], float(s.split("@")[1].strip("%"))))
    tax_cols.append("Cess on GST Input")
    header = ["Date", "Particulars", "Vch Type", "Vch No.", "Reference No.", "Reference Date",
              "GSTIN/UIN", "Gross Total", *purchase_cols, *tax_cols]
    rows: list[Row] = [
        [COMPANY], [COMPANY_ADDRESS], ["Voucher Register"],
        [f"{PERIOD_FROM.day}-{PERIOD_FROM:%b-%y} to {PERIOD_TO.day}-{PERIOD_TO:%b-%y}"], [],
        header,
    ]
    # the party is credited on a purchase and on the buyer's Credit Note, debited on the
    # buyer's Debit Note; the purchase and tax ledgers take the other side
    party_side = {"invoice": "Cr", "debit_note": "Cr", "credit_note": "Dr"}
    other = {"Cr": "Dr", "Dr": "Cr"}
    items: list[tuple[dt.date, str, Row]] = []
    for d in BOOKS:
        amounts: dict[str, Decimal] = {"Gross Total": d.totals()["val"]}
        for ln in _lines(d):
            p = f"Purchase {'Inter-State ' if d.inter else ''}GST @{_rate(ln['rate'])}%"
            amounts[p] = amounts.get(p, D0) + ln["txval"]
            if d.inter:
                k = f"IGST Input @{_rate(ln['rate'])}%"
                amounts[k] = amounts.get(k, D0) + ln["iamt"]
            else:
                for head, name in (("camt", "CGST"), ("samt", "SGST")):
                    k = f"{name} Input @{_rate(ln['rate'] / 2)}%"
                    amounts[k] = amounts.get(k, D0) + ln[head]
            if ln["cess"]:
                amounts["Cess on GST Input"] = amounts.get("Cess on GST Input", D0) + ln["cess"]
        side = party_side[d.kind]
        row: Row = [d.voucher_date, d.supplier.name, _TALLY_VCH[d.kind], vch[d.key], d.number,
                    d.date, d.stin]
        for k in header[7:]:
            v = amounts.get(k)
            row.append(None if not v else
                       f"{_indian(v)} {side if k == 'Gross Total' else other[side]}")
        items.append((d.voucher_date, d.key, row))
    # a payment to a supplier sits between the purchases, as in any day book
    pay_date = dt.date(2025, 10, 20)
    items.append((pay_date, "P", [pay_date, "Canara Packaging Pvt Ltd", "Payment", "7", None,
                                  None, None, f"{_indian(Decimal('76110.00'))} Dr"]))
    items.sort(key=lambda it: (it[0], it[1]))
    rows.extend(r for _, _, r in items)
    return _write_xlsx(folder / "tally_voucher_register.xlsx", [{
        "name": "Voucher Register", "rows": rows, "date_fmt": "d-mmm-yy", "bold_rows": (1, 3, 6),
    }])


# --------------------------------------------------------------------------- 3. Tally GSTR-2


_GSTR2_B2B = ["GSTIN of Supplier", "Invoice Number", "Invoice date", "Invoice Value",
              "Place Of Supply", "Reverse Charge", "Invoice Type", "Rate", "Taxable Value",
              "Integrated Tax Paid", "Central Tax Paid", "State/UT Tax Paid", "Cess Paid",
              "Eligibility For ITC", "Availed ITC Integrated Tax", "Availed ITC Central Tax",
              "Availed ITC State/UT Tax", "Availed ITC Cess"]
_GSTR2_CDNR = ["GSTIN of Supplier", "Note/Refund Voucher Number", "Note/Refund Voucher date",
               "Invoice/Advance Payment Voucher Number", "Invoice/Advance Payment Voucher date",
               "Pre GST", "Document Type", "Reason For Issuing document", "Supply Type",
               "Note/Refund Voucher Value", "Rate", "Taxable Value", "Integrated Tax Paid",
               "Central Tax Paid", "State/UT Tax Paid", "Cess Paid", "Eligibility For ITC",
               "Availed ITC Integrated Tax", "Availed ITC Central Tax",
               "Availed ITC State/UT Tax", "Availed ITC Cess"]


def _pos_full(code: str) -> str:
    return f"{code}-{STATE_NAME[code]}"


def _eligible(d: Doc) -> bool:
    # motor vehicles (the cess invoice of an intra-state car dealer) are blocked credit
    return not (d.has_cess and not d.inter)


def write_tally_gstr2(folder: Path) -> Path:
    """Tally's GSTR-2 export in the GSTN offline tool's Excel template (.xlsx)."""
    pos = _pos_full(RTIN[:2])
    b2b: list[Row] = []
    cdnr: list[Row] = []
    for d in BOOKS:
        t = d.totals()
        elg = _eligible(d)
        for ln in _lines(d):
            amounts = [ln["txval"], ln["iamt"], ln["camt"], ln["samt"], ln["cess"]]
            itc = ["Inputs" if elg else "Ineligible",
                   *((ln["iamt"], ln["camt"], ln["samt"], ln["cess"]) if elg else (D0,) * 4)]
            if d.kind == "invoice":
                b2b.append([d.stin, d.number, d.date, t["val"], pos, "N", "Regular",
                            ln["rate"], *amounts, *itc])
            else:
                cdnr.append([d.stin, d.number, d.date, d.orig_number, d.orig_date, "N",
                             "C" if d.kind == "credit_note" else "D",
                             "01-Sales Return" if d.kind == "credit_note" else "07-Others",
                             "Inter State" if d.inter else "Intra State", t["val"],
                             ln["rate"], *amounts, *itc])

    def invoices(rows: list[Row], num_col: int, val_col: int) -> dict:
        seen: dict[tuple, Decimal] = {}
        for r in rows:
            seen[(r[0], r[num_col])] = r[val_col]
        return seen

    inv = invoices(b2b, 1, 3)
    b2b_sheet = [
        ["Summary Of Supplies From Registered Suppliers B2B(3)"],
        ["No. of Suppliers", "No. of Invoices", None, "Total Invoice Value", None, None, None,
         None, "Total Taxable Value", "Total Integrated Tax Paid", "Total Central Tax Paid",
         "Total TState/UT Tax Paid", "Total Cess", None, "Total Availed ITC Integrated Tax",
         "Total Availed ITC Central Tax", "Total Availed ITC State/UT Tax",
         "Total Availed ITC Cess"],
        [len({r[0] for r in b2b}), len(inv), None, sum(inv.values(), D0), None, None, None,
         None, *(sum((r[i] for r in b2b), D0) for i in range(8, 13)), None,
         *(sum((r[i] for r in b2b), D0) for i in range(14, 18))],
        _GSTR2_B2B, *b2b,
    ]
    notes = invoices(cdnr, 1, 9)
    cdnr_sheet = [
        ["Summary For CDNR(6C)"],
        ["No. of Supplier", "No. of Notes/Vouchers", None, "No. of Invoices", None, None, None,
         None, None, "Total Note/Voucher Value", None, "Total Taxable Value",
         "Total Integrated Tax Paid", "Total Central Tax Paid", "Total TState/UT Tax Paid",
         "Total Cess Paid", None, "Total Availed ITC Integrated Tax",
         "Total Availed ITC Central Tax", "Total Availed ITC State/UT Tax",
         "Total Availed ITC Cess"],
        [len({r[0] for r in cdnr}), len(notes), None, len({r[3] for r in cdnr}), None, None,
         None, None, None, sum(notes.values(), D0), None,
         *(sum((r[i] for r in cdnr), D0) for i in range(11, 16)), None,
         *(sum((r[i] for r in cdnr), D0) for i in range(17, 21))],
        _GSTR2_CDNR, *cdnr,
    ]
    b2bur_sheet = [
        ["Summary Of Supplies From Unregistered Suppliers B2BUR(4B)"],
        [None, "No. of Invoices (Of Reg Recipient)", None, "Total Invoice Value"],
        [None, 0, None, D0],
        ["Supplier Name", "Invoice Number", "Invoice date", "Invoice Value", "Place Of Supply",
         "Supply Type", "Rate", "Taxable Value", "Integrated Tax Paid", "Central Tax Paid",
         "State/UT Tax Paid", "Cess Paid", "Eligibility For ITC", "Availed ITC Integrated Tax",
         "Availed ITC Central Tax", "Availed ITC State/UT Tax", "Availed ITC Cess"],
    ]
    hsn_sheet = [
        ["Summary For HSN(13)"],
        ["No. of HSN", None, None, None, "Total Value", "Total Taxable Value",
         "Total Integrated Tax", "Total Central Tax", "Total State/UT Tax", "Total Cess"],
        [0, None, None, None, D0, D0, D0, D0, D0, D0],
        ["HSN", "Description", "UQC", "Total Quantity", "Total Value", "Taxable Value",
         "Integrated Tax Amount", "Central Tax Amount", "State/UT Tax Amount", "Cess Amount"],
    ]
    common = {"date_fmt": "dd-mmm-yyyy", "bold_rows": (1, 2, 4)}
    return _write_xlsx(folder / "tally_gstr2.xlsx", [
        {"name": "b2b", "rows": b2b_sheet, **common},
        {"name": "b2bur", "rows": b2bur_sheet, **common},
        {"name": "cdnr", "rows": cdnr_sheet, **common},
        {"name": "hsnsum", "rows": hsn_sheet, **common},
    ])


# --------------------------------------------------------------------------- 4. Busy (.xls)

# Buyer's voucher types in Busy: goods returned -> "Purc. Return"; a credit note without
# goods -> "Dr. Note" (the buyer debits the supplier); a supplier's debit note -> "Cr. Note".
_BUSY_VCH = {"D19": "Dr. Note"}


def _busy_type(d: Doc) -> str:
    rates = {ln.rate for ln in d.lines}
    scope = "I" if d.inter else "L"
    return f"{scope}/GST-MultiRate" if len(rates) > 1 else f"{scope}/GST-{_rate(min(rates))}%"


def write_busy(folder: Path) -> Path:
    """BUSY GST purchase register exported to Excel 97-2003 (.xls, written with xlwt)."""
    import xlwt  # the .xls writer; the test skips this layout when it is not installed

    vch = voucher_numbers({"invoice": "P/", "credit_note": "PR/", "debit_note": "CN/"}, width=4)
    header = ["Date", "Vch No.", "Bill No.", "Bill Date", "Party Name", "GSTIN/UIN", "Vch Type",
              "Purc. Type", "Taxable Amt.", "IGST Input", "CGST Input", "SGST Input",
              "Cess on GST Input", "Bill Amount"]
    rows: list[Row] = [[COMPANY], [COMPANY_ADDRESS], ["GST Purchase Register"],
                       [f"From {PERIOD_FROM:%d-%m-%Y} To {PERIOD_TO:%d-%m-%Y}"], [], header]
    totals = [D0] * 6
    for d in BOOKS:
        t = d.totals()
        kind_word = (_BUSY_VCH.get(d.key) or
                     {"invoice": "Purchase", "credit_note": "Purc. Return",
                      "debit_note": "Cr. Note"}[d.kind])
        amounts = [t["txval"], t["iamt"], t["camt"], t["samt"], t["cess"], t["val"]]
        totals = [a + b for a, b in zip(totals, amounts)]
        rows.append([d.voucher_date, vch[d.key], d.number, d.date, d.supplier.name, d.stin,
                     kind_word, _busy_type(d), *amounts])
    rows.append([])
    rows.append([None, None, None, None, "Total", None, None, None, *totals])

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("Purchase Register")
    date_style = xlwt.easyxf(num_format_str="dd-mm-yyyy")
    num_style = xlwt.easyxf(num_format_str="#,##0.00")
    bold = xlwt.easyxf("font: bold on")
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if v is None or v == "":
                continue
            if isinstance(v, Decimal):
                ws.write(r, c, float(v), num_style)
            elif isinstance(v, dt.date):
                ws.write(r, c, dt.datetime(v.year, v.month, v.day), date_style)
            elif r in (0, 2, 5):
                ws.write(r, c, v, bold)
            else:
                ws.write(r, c, v)
    path = folder / "busy_purchase_register.xls"
    wb.save(str(path))
    return path


# --------------------------------------------------------------------------- 5. Zoho Books

_ZOHO_BILL_HEADER = [
    "Bill Date", "Bill ID", "Bill Number", "PurchaseOrder", "Bill Status", "Source of Supply",
    "Destination of Supply", "GST Treatment", "GST Identification Number (GSTIN)",
    "Is Inclusive Tax", "TDS Percent", "TDS Account", "Vendor Name", "Due Date", "Currency Code",
    "Exchange Rate", "Item Name", "Product ID", "Account", "Description", "Quantity",
    "Usage unit", "Rate", "HSN/SAC", "Tax ID", "Tax Name", "Tax Percentage", "Tax Amount",
    "Tax Type", "Item Exemption Code", "Item Type", "Reverse Charge Tax Name",
    "Reverse Charge Tax Rate", "Reverse Charge Tax Type", "Item Total", "ITC Eligibility",
    "SubTotal", "Is Discount Before Tax", "Entity Discount Percent", "Entity Discount Amount",
    "Discount Account", "Total", "Balance", "Adjustment", "Adjustment Description",
    "Vendor Notes", "Terms & Conditions", "Payment Terms", "Payment Terms Label", "Is Billable",
    "Is Landed Cost", "Customer Name", "Project Name", "TDSAmount", "TDS Section",
    "TDS Account Name", "CF.Document Type",
]
_ZOHO_VC_HEADER = [
    "Vendor Credit Date", "Vendor Credit ID", "Vendor Credit Number", "Vendor Credit Status",
    "Source of Supply", "Destination of Supply", "GST Treatment",
    "GST Identification Number (GSTIN)", "Vendor Name", "Reference#", "Currency Code",
    "Exchange Rate", "Item Name", "Product ID", "Account", "Description", "Quantity", "Rate",
    "HSN/SAC", "Tax ID", "Tax Name", "Tax Percentage", "Tax Amount", "Tax Type", "Item Total",
    "ITC Eligibility", "SubTotal", "Total", "Balance",
]
_ITEM_NAMES = {"5": "Copper winding wire", "12": "Corrugated boxes", "18": "MS sheet 2mm",
               "28": "Auto spare parts"}
_HSN = {"5": "7408", "12": "4819", "18": "7208", "28": "8708"}


def _item(d: Doc, rate: Decimal) -> tuple[str, str]:
    """Item name and HSN of a line (the cess lines are a car and aerated drinks)."""
    if any(ln.cess_rate for ln in d.lines):
        return ("Aerated beverages 300ml x 24", "2202") if d.inter else ("Passenger car", "8703")
    return _ITEM_NAMES[_rate(rate)], _HSN[_rate(rate)]


def _zoho_tax(d: Doc, rate: Decimal, cess_rate: Decimal) -> tuple[str, Decimal, str]:
    """Zoho tax name, percentage and type of a line (a group for CGST+SGST or with cess)."""
    base = f"{'IGST' if d.inter else 'GST'}{_rate(rate)}"
    if cess_rate:
        return f"{base} + CESS{_rate(cess_rate)}", rate + cess_rate, "Tax Group"
    return base, rate, ("Tax" if d.inter else "Tax Group")


def _tax_of(txval: Decimal, ln: dict, d: Doc) -> dict[str, Decimal]:
    """The tax heads of ``txval`` at the rates of line ``ln``."""
    h = Line(ln["rate"], txval, ln["cess_rate"]).heads(d.inter)
    return {k: v for k, v in h.items() if k != "txval"}


def _zoho_items(ln: dict, d: Doc) -> list[dict]:
    """One rate line as two item rows when the items' own tax adds up to the line's tax."""
    t = ln["txval"]
    whole = ln["iamt"] + ln["camt"] + ln["samt"] + ln["cess"]
    if t >= Decimal("10000"):
        parts = [q(t * Decimal("0.6")), t - q(t * Decimal("0.6"))]
        taxes = [_tax_of(p, ln, d) for p in parts]
        if sum((sum(x.values(), D0) for x in taxes), D0) == whole and all(
                x["camt"] == x["samt"] for x in taxes):
            return [{"txval": p, "tax": sum(x.values(), D0)} for p, x in zip(parts, taxes)]
    return [{"txval": t, "tax": whole}]


def write_zoho_bills(folder: Path) -> Path:
    """Zoho Books Bills export (CSV) with the Vendor Credits export pasted below it."""
    bill_id = 1592870000000123001
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(_ZOHO_BILL_HEADER)
    bills = [d for d in BOOKS if d.kind != "credit_note"]
    credits = [d for d in BOOKS if d.kind == "credit_note"]
    for n, d in enumerate(bills):
        t = d.totals()
        status = "Paid" if d.date.day < 10 else "Open"
        for ln in _lines(d):
            name, pct, ttype = _zoho_tax(d, ln["rate"], ln["cess_rate"])
            for k, item in enumerate(_zoho_items(ln, d)):
                rec = dict.fromkeys(_ZOHO_BILL_HEADER, "")
                rec.update({
                    "Bill Date": d.date.isoformat(), "Bill ID": str(bill_id + n * 1000),
                    "Bill Number": d.number, "PurchaseOrder": f"PO-{n + 101:05d}",
                    "Bill Status": status, "Source of Supply": STATE_ABBR[d.supplier.state],
                    "Destination of Supply": STATE_ABBR[RTIN[:2]],
                    "GST Treatment": "business_gst",
                    "GST Identification Number (GSTIN)": d.stin, "Is Inclusive Tax": "false",
                    "TDS Percent": "0.00", "Vendor Name": d.supplier.name,
                    "Due Date": (d.date + dt.timedelta(days=30)).isoformat(),
                    "Currency Code": "INR", "Exchange Rate": "1.00",
                    "Item Name": _item(d, ln["rate"])[0] + (f" lot {k + 1}" if k else ""),
                    "Product ID": str(1592870000000045001 + int(ln["rate"])),
                    "Account": "Cost of Goods Sold", "Quantity": "1.00", "Usage unit": "nos",
                    "Rate": f"{item['txval']:.2f}", "HSN/SAC": _item(d, ln["rate"])[1],
                    "Tax ID": str(1592870000000067001 + int(pct)), "Tax Name": name,
                    "Tax Percentage": _rate(pct), "Tax Amount": f"{item['tax']:.2f}",
                    "Tax Type": ttype, "Item Type": "goods", "Item Total": f"{item['txval']:.2f}",
                    "ITC Eligibility": ("Eligible For ITC" if _eligible(d)
                                        else "Ineligible - As per Section 17(5)"),
                    "SubTotal": f"{t['txval']:.2f}", "Is Discount Before Tax": "true",
                    "Entity Discount Percent": "0.00", "Entity Discount Amount": "0.00",
                    "Total": f"{t['val']:.2f}",
                    "Balance": "0.00" if status == "Paid" else f"{t['val']:.2f}",
                    "Adjustment": "0.00", "Payment Terms": "30", "Payment Terms Label": "Net 30",
                    "Is Billable": "false", "Is Landed Cost": "false", "TDSAmount": "0.00",
                    "CF.Document Type": "Debit Note" if d.kind == "debit_note" else "",
                })
                w.writerow([rec[h] for h in _ZOHO_BILL_HEADER])
    w.writerow([])
    w.writerow(_ZOHO_VC_HEADER)
    for n, d in enumerate(credits):
        t = d.totals()
        for ln in _lines(d):
            name, pct, ttype = _zoho_tax(d, ln["rate"], ln["cess_rate"])
            for item in _zoho_items(ln, d):
                rec = dict.fromkeys(_ZOHO_VC_HEADER, "")
                rec.update({
                    "Vendor Credit Date": d.date.isoformat(),
                    "Vendor Credit ID": str(1592870000000231001 + n * 1000),
                    "Vendor Credit Number": d.number, "Vendor Credit Status": "Open",
                    "Source of Supply": STATE_ABBR[d.supplier.state],
                    "Destination of Supply": STATE_ABBR[RTIN[:2]],
                    "GST Treatment": "business_gst", "GST Identification Number (GSTIN)": d.stin,
                    "Vendor Name": d.supplier.name, "Reference#": d.orig_number,
                    "Currency Code": "INR", "Exchange Rate": "1.00",
                    "Item Name": _item(d, ln["rate"])[0],
                    "Product ID": str(1592870000000045001 + int(ln["rate"])),
                    "Account": "Cost of Goods Sold", "Description": "Goods returned",
                    "Quantity": "1.00", "Rate": f"{item['txval']:.2f}",
                    "HSN/SAC": _item(d, ln["rate"])[1],
                    "Tax ID": str(1592870000000067001 + int(pct)), "Tax Name": name,
                    "Tax Percentage": _rate(pct), "Tax Amount": f"{item['tax']:.2f}",
                    "Tax Type": ttype, "Item Total": f"{item['txval']:.2f}",
                    "ITC Eligibility": "Eligible For ITC", "SubTotal": f"{t['txval']:.2f}",
                    "Total": f"{t['val']:.2f}", "Balance": f"{t['val']:.2f}",
                })
                w.writerow([rec[h] for h in _ZOHO_VC_HEADER])
    path = folder / "zoho_bills.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- 6. Marg ERP

_MARG_TYPE = {"invoice": "PURCHASE", "credit_note": "PURCHASE RETURN", "debit_note": "CREDIT NOTE"}


def write_marg(folder: Path) -> Path:
    """Marg ERP 9+ GST purchase register printed to Excel: rate-wise lines, page headers."""
    vch = voucher_numbers({"invoice": "A", "credit_note": "R", "debit_note": "C"}, width=5)
    header = ["DATE", "VCH.NO.", "BILL NO.", "BILL DATE", "PARTY NAME", "GSTIN", "TYPE",
              "GST %", "TAXABLE", "CGST", "SGST", "IGST", "CESS", "BILL AMT."]
    title = [[COMPANY.upper()], [COMPANY_ADDRESS.upper()], ["PURCHASE REGISTER (GST)"],
             [f"FROM {PERIOD_FROM:%d/%m/%Y} TO {PERIOD_TO:%d/%m/%Y}"], [], header]
    rows: list[Row] = list(title)
    grand = [D0] * 6
    page_lines = 0
    page = 1
    for d in BOOKS:
        lines = _lines(d)
        if page_lines + len(lines) > 14:  # a printed page is full: footer, new page header
            page += 1
            rows += [[None, None, None, None, None, None, None, None, None, None, None, None,
                      None, f"Page {page - 1}"], [], ["PURCHASE REGISTER (GST)  (Continued)"],
                     header]
            page_lines = 0
        for k, ln in enumerate(lines):
            amounts = [ln["txval"], ln["camt"], ln["samt"], ln["iamt"], ln["cess"]]
            first = k == 0
            rows.append([
                d.voucher_date.strftime("%d/%m/%Y") if first else None,
                vch[d.key] if first else None, d.number if first else None,
                d.date.strftime("%d/%m/%Y") if first else None,
                d.supplier.name.upper() if first else None, d.stin if first else None,
                _MARG_TYPE[d.kind] if first else None, ln["rate"], *amounts,
                d.totals()["val"] if first else None])
            page_lines += 1
        t = d.totals()
        grand = [a + b for a, b in zip(grand, [t["txval"], t["camt"], t["samt"], t["iamt"],
                                               t["cess"], t["val"]])]
    rows.append([])
    rows.append([None, None, None, None, "GRAND TOTAL", None, None, None, *grand])
    rows.append([None, None, None, None, None, None, None, None, None, None, None, None, None,
                 f"Page {page}"])
    return _write_xlsx(folder / "marg_purchase_register.xlsx", [{
        "name": "Sheet1", "rows": rows, "bold_rows": (1, 3, 6),
    }])


# --------------------------------------------------------------------------- 7. QuickBooks


def write_quickbooks(folder: Path) -> Path:
    """QuickBooks Online India "Transaction List by Supplier", customised, exported to Excel."""
    header = [None, "Date", "Transaction Type", "No.", "Posting", "Memo/Description", "Account",
              "GSTIN", "Document Type", "Taxable Amount", "CGST", "SGST", "IGST", "Cess",
              "Amount"]
    rows: list[Row] = [[COMPANY], ["Transaction List by Supplier"],
                       [f"{PERIOD_FROM:%B %Y}"], [], header]
    grand = [D0] * 6
    memo = {"invoice": "Purchase", "credit_note": "Goods returned", "debit_note": "Price revision"}
    for s in sorted(SUPPLIERS, key=lambda s: s.name.lower()):
        docs = [d for d in BOOKS if d.supplier == s]
        if not docs:
            continue
        rows.append([s.name])
        sub = [D0] * 6
        for d in sorted(docs, key=lambda d: (d.date, d.key)):
            t = d.totals()
            sign = Decimal(-1) if d.kind == "credit_note" else Decimal(1)
            amounts = [_signed(sign, t[h]) for h in ("txval", "camt", "samt", "iamt", "cess", "val")]
            sub = [a + b for a, b in zip(sub, amounts)]
            rows.append([None, d.date.strftime("%d/%m/%Y"),
                         "Supplier Credit" if d.kind == "credit_note" else "Bill", d.number,
                         "Yes", f"{memo[d.kind]} {d.number}", "Accounts Payable (A/P)", d.stin,
                         "Debit Note" if d.kind == "debit_note" else None, *amounts])
        rows.append([f"Total for {s.name}", None, None, None, None, None, None, None, None, *sub])
        rows.append([])
        grand = [a + b for a, b in zip(grand, sub)]
    rows.append(["TOTAL", None, None, None, None, None, None, None, None, *grand])
    rows.append([])
    rows.append([])
    rows.append(["Accrual Basis Tuesday, 4 November 2025 11:32 am GMT+05:30"])
    return _write_xlsx(folder / "quickbooks_transaction_list.xlsx", [{
        "name": "Transaction List by Supplier", "rows": rows, "bold_rows": (1, 2, 5),
    }])


# --------------------------------------------------------------------------- 8. SAP


def _sap_amount(x: Decimal) -> str:
    return f"{_western(x)}{'-' if x < 0 else ''}" if x else ""


def write_sap(folder: Path) -> Path:
    """An SAP ALV vendor line-item list (FBL1N-like) saved as "unconverted" local text."""
    cols = [("St", 2), ("Vendor", 10), ("Name 1", 40), ("Tax Number 3", 15), ("DocumentNo", 10),
            ("Typ", 3), ("Doc. Date", 10), ("Pstng Date", 10), ("Reference", 16),
            ("Tax Base Amt", 14), ("CGST Amount", 13), ("SGST Amount", 13), ("IGST Amount", 13),
            ("Cess Amount", 13), ("Amount in LC", 15), ("LCurr", 5), ("Text", 30)]
    amount_cols = {"Tax Base Amt", "CGST Amount", "SGST Amount", "IGST Amount", "Cess Amount",
                   "Amount in LC"}

    def line(values: dict[str, str]) -> str:
        cells = []
        for name, width in cols:
            v = values.get(name, "")
            cells.append(v.rjust(width) if name in amount_cols else v.ljust(width))
        return "|" + "|".join(cells) + "|"

    width = len(line({}))
    docno = {"invoice": 5100000120, "credit_note": 5105600010, "debit_note": 5100900040}
    typ = {"invoice": "RE", "credit_note": "KG", "debit_note": "DN"}
    text = {"invoice": "Purchase of material", "credit_note": "Credit memo - goods returned",
            "debit_note": "Subsequent debit - price"}
    out = [f"{dt.date(2025, 11, 4):%d.%m.%Y}".ljust(width // 2 - 10) + "Dynamic List Display",
           "", "-" * width,
           line({n: n for n, _ in cols}), "|" + "-" * (width - 2) + "|"]
    heads = ("txval", "camt", "samt", "iamt", "cess", "val")
    names = ("Tax Base Amt", "CGST Amount", "SGST Amount", "IGST Amount", "Cess Amount",
             "Amount in LC")
    grand = dict.fromkeys(heads, D0)
    for s in sorted(SUPPLIERS, key=lambda s: s.vendor_no):
        docs = [d for d in BOOKS if d.supplier == s]
        if not docs:
            continue
        sub = dict.fromkeys(heads, D0)
        for d in sorted(docs, key=lambda d: (d.voucher_date, d.key)):
            docno[d.kind] += 3
            t = d.totals()
            sign = Decimal(1) if d.kind == "credit_note" else Decimal(-1)  # vendor credited
            v = {"Vendor": s.vendor_no, "Name 1": s.name, "Tax Number 3": d.stin,
                 "DocumentNo": str(docno[d.kind]), "Typ": typ[d.kind],
                 "Doc. Date": f"{d.date:%d.%m.%Y}", "Pstng Date": f"{d.voucher_date:%d.%m.%Y}",
                 "Reference": d.number, "LCurr": "INR", "Text": text[d.kind]}
            for h, n in zip(heads, names):
                v[n] = _sap_amount(_signed(sign, t[h]))
                sub[h] += _signed(sign, t[h])
            out.append(line(v))
        tot = {"St": "*", "Vendor": s.vendor_no, "LCurr": "INR"}
        tot.update({n: _sap_amount(sub[h]) or "0.00" for h, n in zip(heads, names)})
        out.append(line(tot))
        out.append("|" + "-" * (width - 2) + "|")
        for h in heads:
            grand[h] += sub[h]
    tot = {"St": "**", "LCurr": "INR"}
    tot.update({n: _sap_amount(grand[h]) for h, n in zip(heads, names)})
    out.append(line(tot))
    out.append("-" * width)
    path = folder / "sap_fbl1n.txt"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- 9. CA firm sheet

_CA_TYPE = {"invoice": "Inv", "credit_note": "CN", "debit_note": "DN"}


def _ca_rows() -> tuple[list[Row], list[str]]:
    rows: list[Row] = [
        [f"{COMPANY} - purchase register for GST reconciliation"],
        [f"GSTIN: {RTIN}    Period: {PERIOD_FROM:%B %Y}    Prepared by: S. Joshi & Associates"],
        [],
        ["Sr.", "Supplier GSTIN", "Supplier Name", "Invoice", None, None, "Place of Supply",
         "Taxable Value", "Tax", None, None, None, "Total", "Against Inv. No.", "Remarks"],
        [None, None, None, "No.", "Date", "Type", None, None, "IGST", "CGST", "SGST", "Cess",
         None, None, None],
    ]
    merges = ["A4:A5", "B4:B5", "C4:C5", "D4:F4", "G4:G5", "H4:H5", "I4:L4", "M4:M5", "N4:N5",
              "O4:O5"]
    tot = [D0] * 6
    for n, d in enumerate(BOOKS, start=1):
        t = d.totals()
        sign = Decimal(-1) if d.kind == "credit_note" else Decimal(1)
        amounts = [_signed(sign, t[h]) for h in ("txval", "iamt", "camt", "samt", "cess", "val")]
        tot = [a + b for a, b in zip(tot, amounts)]
        rows.append([n, d.stin, d.supplier.name, d.number, d.date, _CA_TYPE[d.kind],
                     STATE_NAME[RTIN[:2]], *amounts, d.orig_number or None,
                     "ITC blocked u/s 17(5)" if not _eligible(d) else None])
    rows.append([None, None, "Total", None, None, None, None, *tot, None, None])
    return rows, merges


def write_ca_two_row_header(folder: Path) -> Path:
    """A CA firm's own register: two header rows under merged group cells (.xlsx)."""
    rows, merges = _ca_rows()
    return _write_xlsx(folder / "ca_register.xlsx", [{
        "name": "Purchase Oct-25", "rows": rows, "merges": merges, "bold_rows": (1, 4, 5),
        "widths": {"B": 18, "C": 34, "D": 16, "E": 12},
    }])


def _ods_cell(v: Cell, span_cols: int = 1, span_rows: int = 1) -> str:
    span = ""
    if span_cols > 1:
        span += f' table:number-columns-spanned="{span_cols}"'
    if span_rows > 1:
        span += f' table:number-rows-spanned="{span_rows}"'
    if v is None or v == "":
        return f"<table:table-cell{span}/>"
    if isinstance(v, Decimal):
        return (f'<table:table-cell{span} office:value-type="float" office:value="{v}" '
                f'table:style-name="num"><text:p>{_western(v) if v >= 0 else "-" + _western(v)}'
                "</text:p></table:table-cell>")
    if isinstance(v, dt.date):
        return (f'<table:table-cell{span} office:value-type="date" '
                f'office:date-value="{v.isoformat()}" table:style-name="date">'
                f"<text:p>{v:%d-%m-%Y}</text:p></table:table-cell>")
    if isinstance(v, int):
        return (f'<table:table-cell{span} office:value-type="float" office:value="{v}">'
                f"<text:p>{v}</text:p></table:table-cell>")
    return (f'<table:table-cell{span} office:value-type="string"><text:p>{escape(str(v))}'
            "</text:p></table:table-cell>")


def write_ca_two_row_header_ods(folder: Path) -> Path:
    """The same CA firm's register saved from LibreOffice Calc as OpenDocument (.ods)."""
    rows, merges = _ca_rows()
    # merged ranges -> (row, col) of the anchor with spans, and the covered positions
    anchors: dict[tuple[int, int], tuple[int, int]] = {}
    covered: set[tuple[int, int]] = set()
    for rng in merges:
        a, b = rng.split(":")
        c1, r1 = ord(a[0]) - 64, int(a[1:])
        c2, r2 = ord(b[0]) - 64, int(b[1:])
        anchors[(r1, c1)] = (c2 - c1 + 1, r2 - r1 + 1)
        covered |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)} - {(r1, c1)}
    ncols = max(len(r) for r in rows)
    body = []
    for r, row in enumerate(rows, start=1):
        cells = []
        for c in range(1, ncols + 1):
            v = row[c - 1] if c - 1 < len(row) else None
            if (r, c) in covered:
                cells.append("<table:covered-table-cell/>")
            elif (r, c) in anchors:
                cells.append(_ods_cell(v, *anchors[(r, c)]))
            else:
                cells.append(_ods_cell(v))
        body.append("<table:table-row>" + "".join(cells) + "</table:table-row>")
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
          'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
          'xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" '
          'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"')
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} office:version="1.2">'
        "<office:automatic-styles>"
        '<number:date-style style:name="d1"><number:day number:style="long"/><number:text>-'
        '</number:text><number:month number:style="long"/><number:text>-</number:text>'
        '<number:year number:style="long"/></number:date-style>'
        '<number:number-style style:name="n1"><number:number number:decimal-places="2" '
        'number:min-integer-digits="1" number:grouping="true"/></number:number-style>'
        '<style:style style:name="date" style:family="table-cell" style:data-style-name="d1"/>'
        '<style:style style:name="num" style:family="table-cell" style:data-style-name="n1"/>'
        "</office:automatic-styles><office:body><office:spreadsheet>"
        '<table:table table:name="Purchase Oct-25">'
        f'<table:table-column table:number-columns-repeated="{ncols}"/>'
        + "".join(body) +
        "</table:table></office:spreadsheet></office:body></office:document-content>")
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:version="1.2" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>")
    path = folder / "ca_register.ods"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet",
                   compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return path


# --------------------------------------------------------------------------- 10. GSTR-2B Excel

_2B_TAIL = ["GSTR-1/IFF/GSTR-5 Period", "GSTR-1/IFF/GSTR-5 Filing Date", "ITC Availability",
            "Reason", "Applicable % of Tax Rate", "Source", "IRN", "IRN Date"]


def _2b_title(title: str) -> list[Row]:
    return [["Goods and Services Tax - GSTR 2B"], [], [title], []]


def write_gstr2b_excel(folder: Path) -> Path:
    """The GST portal's GSTR-2B Excel download (.xlsx): Read me, summaries, B2B, B2B-CDNR."""
    period = f"{PERIOD_FROM:%b}'{PERIOD_FROM:%y}"
    filed = "11/11/2025"
    b2b_head1 = ["GSTIN of supplier", "Trade/Legal name", "Invoice Details", None, None, None,
                 "Place of supply", "Supply Attract Reverse Charge", "Rate(%)",
                 "Taxable Value (₹)", "Tax Amount", None, None, None, *_2B_TAIL]
    b2b_head2 = [None, None, "Invoice number", "Invoice type", "Invoice Date",
                 "Invoice Value(₹)", None, None, None, None, "Integrated Tax(₹)",
                 "Central Tax(₹)", "State/UT Tax(₹)", "Cess(₹)"] + [None] * len(_2B_TAIL)
    b2b_merges = ["A5:A6", "B5:B6", "C5:F5", "G5:G6", "H5:H6", "I5:I6", "J5:J6", "K5:N5",
                  *(f"{chr(79 + i)}5:{chr(79 + i)}6" for i in range(len(_2B_TAIL)))]
    cdnr_head1 = ["GSTIN of supplier", "Trade/Legal name", "Credit note/Debit note details",
                  None, None, None, None, "Place of supply", "Supply Attract Reverse Charge",
                  "Rate(%)", "Taxable Value (₹)", "Tax Amount", None, None, None, *_2B_TAIL]
    cdnr_head2 = [None, None, "Note number", "Note type", "Note Supply type", "Note date",
                  "Note Value (₹)", None, None, None, None, "Integrated Tax(₹)",
                  "Central Tax(₹)", "State/UT Tax(₹)", "Cess(₹)"] + [None] * len(_2B_TAIL)
    cdnr_merges = ["A5:A6", "B5:B6", "C5:G5", "H5:H6", "I5:I6", "J5:J6", "K5:K6", "L5:O5",
                   *(f"{chr(80 + i)}5:{chr(80 + i)}6" for i in range(len(_2B_TAIL)))]
    pos = STATE_NAME[RTIN[:2]]
    b2b: list[Row] = []
    cdnr: list[Row] = []
    for d in BOOKS:
        t = d.totals()
        tail = [period, filed, "Yes" if _eligible(d) else "No",
                None if _eligible(d) else "Blocked under section 17(5)", None, None, None, None]
        for ln in _lines(d):
            amounts = [ln["txval"], ln["iamt"], ln["camt"], ln["samt"], ln["cess"]]
            if d.kind == "invoice":
                b2b.append([d.stin, d.supplier.name.upper(), d.number, "Regular",
                            d.date.strftime("%d/%m/%Y"), t["val"], pos, "No", ln["rate"],
                            *amounts, *tail])
            else:
                cdnr.append([d.stin, d.supplier.name.upper(), d.number,
                             "Credit Note" if d.kind == "credit_note" else "Debit Note",
                             "Regular", d.date.strftime("%d/%m/%Y"), t["val"], pos, "No",
                             ln["rate"], *amounts, *tail])
    readme = [
        ["Goods and Services Tax - GSTR-2B"], [],
        [None, "Financial Year", "2025-26"],
        [None, "Tax Period", f"{PERIOD_FROM:%B}"],
        [None, "GSTIN", RTIN],
        [None, "Legal Name", COMPANY.upper()],
        [None, "Trade Name (if any)", COMPANY.upper()],
        [None, "Date of generation", "14/11/2025"], [],
        ["GSTR-2B Data Entry Instructions"],
        ["Worksheet Name", "GSTR-2B Table Reference", "Field Name", "Instructions"],
        ["B2B", "Taxable inward supplies received from registered person", "GSTIN of supplier",
         "GSTIN of supplier"],
        [None, None, "Trade/Legal name", "Trade name of the supplier will be displayed. If "
         "trade name is not available, then legal name of the supplier."],
        [None, None, "Invoice number", "Invoice number"],
        [None, None, "Invoice date", "Invoice date (Date format shall be DD-MM-YYYY)"],
        [None, None, "Invoice value", "Invoice value (in rupees)"],
        [None, None, "Taxable value", "Taxable value (In rupees)"],
        [None, None, "Integrated Tax", "Integrated Tax amount (In rupees)"],
        ["B2B-CDNR", "Debit/Credit notes(Original)", "Note number", "Note number"],
        [None, None, "Note type", "Credit note / Debit note"],
    ]
    itc_available = [
        ["FORM SUMMARY - ITC AVAILABLE"], [],
        ["S.no.", "Heading", "GSTR-3B table", "Integrated Tax  (₹)", "Central Tax (₹)",
         "State/UT Tax (₹)", "Cess  (₹)", "Advisory"],
        ["Part A", "ITC Available - Credit may be claimed in relevant headings in GSTR-3B"],
        ["I", "All other ITC - Supplies from registered persons", "4(A)(5)",
         *(sum((r[i] for r in b2b if r[16] == "Yes"), D0) for i in (10, 11, 12, 13)),
         "Net input tax credit may be availed under Table 4(A)(5) of FORM GSTR-3B."],
    ]
    common = {"bold_rows": (1, 3, 5, 6)}
    return _write_xlsx(folder / "gstr2b.xlsx", [
        {"name": "Read me", "rows": readme, "bold_rows": (1, 10, 11)},
        {"name": "ITC Available", "rows": itc_available, "bold_rows": (1, 3)},
        {"name": "B2B", "rows": [*_2b_title("Taxable inward supplies received from registered "
                                            "persons"), b2b_head1, b2b_head2, *b2b],
         "merges": b2b_merges, **common},
        {"name": "B2BA", "rows": [*_2b_title("Amendments to previously filed invoices by "
                                             "supplier"), b2b_head1, b2b_head2],
         "merges": b2b_merges, **common},
        {"name": "B2B-CDNR", "rows": [*_2b_title("Debit/Credit notes (Original)"), cdnr_head1,
                                      cdnr_head2, *cdnr], "merges": cdnr_merges, **common},
        {"name": "B2B-CDNRA", "rows": [*_2b_title("Amendments to previously filed Credit/Debit "
                                                  "notes by supplier"), cdnr_head1, cdnr_head2],
         "merges": cdnr_merges, **common},
    ])


# --------------------------------------------------------------------------- registry

LAYOUTS: dict[str, Callable[[Path], Path]] = {
    "tally_purchase_register": write_tally_purchase_register,
    "tally_voucher_register": write_tally_voucher_register,
    "tally_gstr2": write_tally_gstr2,
    "busy": write_busy,
    "zoho_bills": write_zoho_bills,
    "marg": write_marg,
    "quickbooks": write_quickbooks,
    "sap": write_sap,
    "ca_two_row_header": write_ca_two_row_header,
    "ca_two_row_header_ods": write_ca_two_row_header_ods,
    "gstr2b_excel": write_gstr2b_excel,
}

#: Extra CLI arguments a user would give for a layout (none needed: the reader must cope).
LAYOUT_ARGS: dict[str, list[str]] = {name: [] for name in LAYOUTS}

#: Where each file shows its column headers: (sheet or "" for text, 1-based row, cells).
HEADER_CHECKS: dict[str, list[tuple[str, int, list[str]]]] = {
    "tally_purchase_register": [("Purchase Register", 6, [
        "Date", "Particulars", "Voucher Type", "Voucher No.", "Supplier Invoice No.",
        "Supplier Invoice Date", "GSTIN/UIN", "Gross Total"])],
    "tally_voucher_register": [("Voucher Register", 6, [
        "Date", "Particulars", "Vch Type", "Vch No.", "Reference No.", "Reference Date",
        "GSTIN/UIN", "Gross Total"])],
    "tally_gstr2": [("b2b", 4, _GSTR2_B2B), ("cdnr", 4, _GSTR2_CDNR)],
    "busy": [("Purchase Register", 6, ["Date", "Vch No.", "Bill No.", "Bill Date", "Party Name",
                                       "GSTIN/UIN", "Vch Type", "Purc. Type"])],
    "zoho_bills": [("", 1, _ZOHO_BILL_HEADER[:9])],
    "marg": [("Sheet1", 6, ["DATE", "VCH.NO.", "BILL NO.", "BILL DATE", "PARTY NAME", "GSTIN"])],
    "quickbooks": [("Transaction List by Supplier", 5, [
        "", "Date", "Transaction Type", "No.", "Posting", "Memo/Description", "Account",
        "GSTIN"])],
    "sap": [("", 4, ["", "St", "Vendor", "Name 1", "Tax Number 3", "DocumentNo", "Typ",
                     "Doc. Date", "Pstng Date", "Reference"])],
    "ca_two_row_header": [("Purchase Oct-25", 4, ["Sr.", "Supplier GSTIN", "Supplier Name",
                                                  "Invoice", "", "", "Place of Supply"]),
                          ("Purchase Oct-25", 5, ["", "", "", "No.", "Date", "Type"])],
    "ca_two_row_header_ods": [("Purchase Oct-25", 4, ["Sr.", "Supplier GSTIN", "Supplier Name",
                                                      "Invoice", "", "", "Place of Supply"]),
                              ("Purchase Oct-25", 5, ["", "", "", "No.", "Date", "Type"])],
    "gstr2b_excel": [("B2B", 5, ["GSTIN of supplier", "Trade/Legal name", "Invoice Details"]),
                     ("B2B", 6, ["", "", "Invoice number", "Invoice type", "Invoice Date",
                                 "Invoice Value(₹)"]),
                     ("B2B-CDNR", 6, ["", "", "Note number", "Note type", "Note Supply type",
                                      "Note date", "Note Value (₹)"])],
}
