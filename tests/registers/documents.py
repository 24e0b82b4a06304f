"""The one list of purchase documents behind every register fixture.

One recipient in Maharashtra (state 27), suppliers in Maharashtra (CGST + SGST) and in other
states (IGST), invoices at one and at two tax rates, three with compensation cess, credit
and debit notes with their original invoice numbers, document numbers of real shapes.

``DOCUMENTS`` is the truth. A document is in the books (``in_books``), in the IMS download
(``ims`` is not ``None``), or in both; ``ims`` overrides what the supplier reported where it
differs from the books, so that reconcile gives several statuses:

=====  ==========================================================  ==========================
doc    what differs                                                status expected
=====  ==========================================================  ==========================
D01    IMS number ``INV/2025-26/42``, books ``INV/25-26/0042``     Matched (number format)
D04    IMS CGST/SGST 20 paise higher                               Matched within tolerance
D05    IMS taxable value of the 5% line 1,200 higher               Value mismatch
D08    supplier charged CGST+SGST, books IGST                      Tax-head mismatch
D09    IMS date 12 days earlier                                    Date mismatch
D14    IMS GSTIN of the supplier's Gujarat branch (same PAN)       GSTIN mismatch (same PAN)
D21    IMS number ``GST2526-131A``                                 a fuzzy suggestion
D11,   only in the books                                           Missing in IMS
D19
D24-   only in the IMS                                             Missing in books
D26
rest   identical                                                   Matched
=====  ==========================================================  ==========================

The statuses are whatever ``ims_xl.reconcile.matcher`` decides; the test only demands that every
layout reconciles exactly as the plain twin (:func:`write_plain`) does.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from ims_xl.gstin import check_char, is_valid_gstin

__all__ = [
    "BOOKS", "COMPANY", "COMPANY_ADDRESS", "DOCUMENTS", "IMS", "PERIOD_FROM", "PERIOD_TO",
    "PLAIN_COLUMNS", "RTIN", "Doc", "Line", "Supplier", "gstin", "q", "write_ims_download",
    "write_plain",
]

D0 = Decimal("0")
CENT = Decimal("0.01")


def q(x: Decimal) -> Decimal:
    """Rupees rounded to paise, half up (how invoices round tax)."""
    return Decimal(x).quantize(CENT, rounding=ROUND_HALF_UP)


def gstin(first14: str) -> str:
    """A valid GSTIN from its first 14 characters (check character computed)."""
    g = first14 + check_char(first14)
    assert is_valid_gstin(g), g
    return g


# --------------------------------------------------------------------------- parties

RTIN = gstin("27AAKFR5247M1Z")
COMPANY = "Rasika Engineering Works"
COMPANY_ADDRESS = "Plot 14, MIDC Bhosari, Pune 411026"
PERIOD_FROM = dt.date(2025, 10, 1)
PERIOD_TO = dt.date(2025, 10, 31)

#: Zoho Books' two-letter state codes (Zoho KB "valid state codes").
STATE_ABBR = {"27": "MH", "29": "KA", "24": "GJ", "07": "DL", "33": "TN", "36": "TG"}
STATE_NAME = {"27": "Maharashtra", "29": "Karnataka", "24": "Gujarat", "07": "Delhi",
              "33": "Tamil Nadu", "36": "Telangana"}


@dataclass(frozen=True)
class Supplier:
    gstin: str
    name: str
    vendor_no: str  # the buyer's own vendor code (SAP vendor number, QuickBooks/Zoho ids)

    @property
    def state(self) -> str:
        return self.gstin[:2]


GANESH = Supplier(gstin("27AABCS1429B1Z"), "Shree Ganesh Traders", "100101")
GANESH_GJ = gstin("24AABCS1429B1Z")  # the same PAN's Gujarat registration (IMS only)
MAHALAXMI = Supplier(gstin("27AAGFM4567K1Z"), "Mahalaxmi Steel & Alloys", "100102")
KULKARNI = Supplier(gstin("27BXYPK3322L1Z"), "Kulkarni Electricals (Prop. S. Kulkarni)", "100103")
CANARA = Supplier(gstin("29AAFCC9980M1Z"), "Canara Packaging Pvt Ltd", "200201")
VORA = Supplier(gstin("24AAUPV7468F1Z"), "Vora Chemicals", "200202")
DELHI = Supplier(gstin("07AAACD5521Q1Z"), "Delhi Auto Components Ltd", "200203")
TAMIL = Supplier(gstin("33AADCT8810H1Z"), "Tamil Polymers Pvt Ltd", "200204")
SAHYADRI = Supplier(gstin("27AAHCS7788R1Z"), "Sahyadri Motors Pvt Ltd", "100104")
DECCAN = Supplier(gstin("36AAECD4455D1Z"), "Deccan Beverages Pvt Ltd", "200205")
OMSAI = Supplier(gstin("27ABVPO6612C1Z"), "Om Sai Logistics", "100105")

SUPPLIERS = (GANESH, MAHALAXMI, KULKARNI, CANARA, VORA, DELHI, TAMIL, SAHYADRI, DECCAN, OMSAI)


# --------------------------------------------------------------------------- documents


@dataclass(frozen=True)
class Line:
    """One tax-rate line of a document: taxable value at a GST rate (and a cess rate)."""

    rate: Decimal
    txval: Decimal
    cess_rate: Decimal = D0

    def heads(self, inter: bool) -> dict[str, Decimal]:
        """txval, iamt, camt, samt, cess of this line (CGST always equals SGST)."""
        t = q(self.txval)
        iamt = q(t * self.rate / 100) if inter else D0
        half = D0 if inter else q(t * self.rate / 200)
        return {"txval": t, "iamt": iamt, "camt": half, "samt": half,
                "cess": q(t * self.cess_rate / 100)}


HEADS = ("txval", "iamt", "camt", "samt", "cess")


@dataclass(frozen=True)
class Doc:
    """A purchase document as booked (and, through ``ims``, as the supplier reported it).

    ``ims`` keys (all optional): ``number``, ``date``, ``stin``, ``lines`` (what the
    supplier reported instead of ``lines``), ``heads`` (document totals replacing the
    computed ones; ``val`` is recomputed unless given), ``swap`` (True: the supplier charged
    CGST+SGST where the books have IGST).
    """

    key: str
    kind: str  # invoice | credit_note | debit_note
    supplier: Supplier
    number: str
    date: dt.date
    lines: tuple[Line, ...]
    orig_number: str = ""
    orig_date: dt.date | None = None
    in_books: bool = True
    ims: dict | None = field(default_factory=dict)
    inter_override: bool | None = None
    booked_after: int = 0  # days between the supplier's date and the buyer's voucher date

    # ---- books view
    @property
    def inter(self) -> bool:
        if self.inter_override is not None:
            return self.inter_override
        return self.supplier.state != RTIN[:2]

    @property
    def stin(self) -> str:
        return self.supplier.gstin

    def line_heads(self) -> list[dict[str, Decimal]]:
        return [ln.heads(self.inter) for ln in self.lines]

    def totals(self) -> dict[str, Decimal]:
        t = {h: sum((lh[h] for lh in self.line_heads()), D0) for h in HEADS}
        t["val"] = sum((t[h] for h in HEADS), D0)
        return t

    @property
    def voucher_date(self) -> dt.date:
        return self.date + dt.timedelta(days=self.booked_after)

    @property
    def has_cess(self) -> bool:
        return any(ln.cess_rate for ln in self.lines)

    # ---- IMS view
    def ims_totals(self) -> dict[str, Decimal]:
        o = self.ims or {}
        if "lines" in o:
            t = {h: sum((ln.heads(self.inter)[h] for ln in o["lines"]), D0) for h in HEADS}
        else:
            t = {h: v for h, v in self.totals().items() if h in HEADS}
        if o.get("swap"):
            half = q(t["iamt"] / 2)
            t["camt"], t["samt"], t["iamt"] = half, t["iamt"] - half, D0
        t.update({h: v for h, v in o.get("heads", {}).items() if h in HEADS})
        t["val"] = o.get("heads", {}).get("val", sum((t[h] for h in HEADS), D0))
        return t


def _l(rate: str, txval: str, cess: str = "0") -> Line:
    return Line(Decimal(rate), Decimal(txval), Decimal(cess))


_D = dt.date
DOCUMENTS: tuple[Doc, ...] = (
    Doc("D01", "invoice", GANESH, "INV/25-26/0042", _D(2025, 10, 3), (_l("18", "10000.00"),),
        ims={"number": "INV/2025-26/42"}, booked_after=1),
    Doc("D02", "invoice", GANESH, "INV/25-26/0057", _D(2025, 10, 14),
        (_l("18", "23456.78"), _l("12", "5000.00"))),
    Doc("D03", "invoice", MAHALAXMI, "0001234", _D(2025, 10, 6), (_l("18", "152340.50"),),
        booked_after=2),
    Doc("D04", "invoice", MAHALAXMI, "0001260", _D(2025, 10, 21), (_l("18", "8750.00"),),
        ims={"heads": {"camt": Decimal("787.70"), "samt": Decimal("787.70")}}),
    Doc("D05", "invoice", KULKARNI, "GST-2526-118", _D(2025, 10, 9),
        (_l("5", "42000.00"), _l("18", "3150.00")),
        ims={"lines": (_l("5", "43200.00"), _l("18", "3150.00"))}, booked_after=1),
    Doc("D06", "invoice", CANARA, "25-26/77", _D(2025, 10, 2), (_l("18", "64500.00"),),
        booked_after=3),
    Doc("D07", "invoice", CANARA, "25-26/91", _D(2025, 10, 17),
        (_l("12", "12800.00"), _l("18", "2400.00"))),
    Doc("D08", "invoice", VORA, "VC/1047", _D(2025, 10, 8), (_l("18", "31250.00"),),
        ims={"swap": True}, booked_after=2),
    Doc("D09", "invoice", VORA, "VC/1088", _D(2025, 10, 24), (_l("18", "9999.99"),),
        ims={"date": _D(2025, 10, 12)}),
    Doc("D10", "invoice", DELHI, "DAC/2025/5512", _D(2025, 10, 11), (_l("28", "85000.00"),),
        booked_after=1),
    Doc("D11", "invoice", TAMIL, "TPPL-INV-3391", _D(2025, 10, 13), (_l("18", "47220.00"),),
        ims=None),
    Doc("D12", "invoice", SAHYADRI, "SM/25-26/0019", _D(2025, 10, 15),
        (_l("28", "650000.00", "22"),), booked_after=2),
    Doc("D13", "invoice", DECCAN, "DBPL/2526/4410", _D(2025, 10, 18),
        (_l("28", "40000.00", "12"),)),
    Doc("D14", "invoice", GANESH, "GJB/118", _D(2025, 10, 20), (_l("18", "18000.00"),),
        inter_override=True, ims={"stin": GANESH_GJ}),
    Doc("D15", "credit_note", MAHALAXMI, "CN/25-26/007", _D(2025, 10, 22),
        (_l("18", "2500.00"),), orig_number="0001234", orig_date=_D(2025, 10, 6)),
    Doc("D16", "credit_note", CANARA, "CRN-0456", _D(2025, 10, 25), (_l("18", "1200.00"),),
        orig_number="25-26/77", orig_date=_D(2025, 10, 2), booked_after=1),
    Doc("D17", "debit_note", KULKARNI, "DN-25-26/003", _D(2025, 10, 27), (_l("5", "1000.00"),),
        orig_number="GST-2526-118", orig_date=_D(2025, 10, 9)),
    Doc("D18", "debit_note", DELHI, "DAC/DN/0061", _D(2025, 10, 28), (_l("28", "3000.00"),),
        orig_number="DAC/2025/5512", orig_date=_D(2025, 10, 11)),
    Doc("D19", "credit_note", VORA, "VC/CN/0012", _D(2025, 10, 29), (_l("18", "5000.00"),),
        orig_number="VC/1047", orig_date=_D(2025, 10, 8), ims=None),
    Doc("D20", "invoice", OMSAI, "OSL/1123", _D(2025, 10, 30), (_l("18", "7500.00"),)),
    Doc("D21", "invoice", KULKARNI, "GST-2526-131", _D(2025, 10, 28), (_l("18", "12345.67"),),
        ims={"number": "GST2526-131A"}),
    Doc("D22", "invoice", DELHI, "DAC/2025/5540", _D(2025, 10, 30), (_l("12", "14250.00"),),
        booked_after=1),
    Doc("D23", "invoice", MAHALAXMI, "0001275", _D(2025, 10, 29), (_l("18", "640.00"),)),
    Doc("D24", "invoice", TAMIL, "TPPL-INV-3405", _D(2025, 10, 26), (_l("18", "15000.00"),),
        in_books=False),
    Doc("D25", "invoice", OMSAI, "OSL/1140", _D(2025, 10, 31), (_l("18", "4200.00"),),
        in_books=False),
    Doc("D26", "credit_note", SAHYADRI, "SM/CN/0004", _D(2025, 10, 27),
        (_l("28", "20000.00", "22"),), orig_number="SM/25-26/0019", in_books=False),
)

#: The documents in the books, in booking order (voucher date, then key).
BOOKS: tuple[Doc, ...] = tuple(sorted((d for d in DOCUMENTS if d.in_books),
                                      key=lambda d: (d.voucher_date, d.key)))
#: The documents the IMS download carries.
IMS: tuple[Doc, ...] = tuple(d for d in DOCUMENTS if d.ims is not None)


def voucher_numbers(prefixes: dict[str, str], width: int = 4) -> dict[str, str]:
    """The buyer's own voucher number of every booked document, numbered per kind."""
    out: dict[str, str] = {}
    seen: dict[str, int] = {}
    for d in BOOKS:
        seen[d.kind] = seen.get(d.kind, 0) + 1
        out[d.key] = f"{prefixes[d.kind]}{seen[d.kind]:0{width}d}"
    return out


# --------------------------------------------------------------------------- IMS download

_SECTION = {"invoice": "b2b", "credit_note": "b2bcn", "debit_note": "b2bdn"}


def _num(x: Decimal) -> float | int:
    return int(x) if x == x.to_integral_value() else float(x)


def ims_record(d: Doc) -> dict:
    """The downloaded IMS record of a document (IMS_FORMAT §1.2 fields)."""
    o = d.ims or {}
    number = o.get("number", d.number)
    date = o.get("date", d.date)
    stin = o.get("stin", d.stin)
    t = d.ims_totals()
    note = d.kind != "invoice"
    rec: dict = {"stin": stin, "tradenm": d.supplier.name.upper()}
    rec["nt_num" if note else "inum"] = number
    rec["inv_typ"] = "R"
    rec["nt_dt" if note else "idt"] = date.strftime("%d-%m-%Y")
    rec.update({
        "val": _num(t["val"]), "action": "N", "pos": RTIN[:2],
        "txval": _num(t["txval"]), "iamt": _num(t["iamt"]), "camt": _num(t["camt"]),
        "samt": _num(t["samt"]), "cess": _num(t["cess"]),
        "srcform": "R1", "rtnprd": date.strftime("%m%Y"), "srcfilstatus": "Filed",
        "hash": hashlib.sha256(f"{stin}|{number}|{date}".encode()).hexdigest(),
        "ispendactblocked": "N", "isRemarksBlocked": "N",
    })
    if d.kind == "credit_note":
        rec["isItcRedReqBlocked"] = "N"
    return rec


def write_ims_download(path: str | Path) -> Path:
    """The IMS JSON download (IMS Dashboard > Offline > Download JSON) of ``IMS``."""
    p = Path(path)
    sections: dict[str, list[dict]] = {"b2b": [], "b2ba": [], "b2bdn": [], "b2bdna": [],
                                       "b2bcn": [], "b2bcna": [], "ecom": [], "ecoma": []}
    for d in IMS:
        sections[_SECTION[d.kind]].append(ims_record(d))
    p.write_text(json.dumps({"rtin": RTIN, "imsDetails": sections}, indent=1), encoding="utf-8")
    return p


# --------------------------------------------------------------------------- plain twin

PLAIN_COLUMNS = (
    "GSTIN of Supplier", "Supplier Name", "Invoice Number", "Invoice Date", "Document Type",
    "Place Of Supply", "Taxable Value", "Integrated Tax", "Central Tax", "State/UT Tax", "Cess",
    "Invoice Value", "Original Invoice Number",
)
_KIND_WORD = {"invoice": "Invoice", "credit_note": "Credit Note", "debit_note": "Debit Note"}


def write_plain(path: str | Path) -> Path:
    """The plain-columns twin: one CSV row per booked document, columns the reader knows."""
    p = Path(path)
    with p.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(PLAIN_COLUMNS)
        for d in BOOKS:
            t = d.totals()
            w.writerow([d.stin, d.supplier.name, d.number, d.date.strftime("%d-%m-%Y"),
                        _KIND_WORD[d.kind], RTIN[:2], *(f"{t[h]:.2f}" for h in HEADS),
                        f"{t['val']:.2f}", d.orig_number])
    return p
