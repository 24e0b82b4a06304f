"""The register's vocabulary: the columns of the books frame (``BOOKS_COLUMNS``, the amount
heads), the logical fields a register column can hold (``FIELDS``) and the header synonyms
that find them (``SYNONYMS``), the words that name a document or voucher kind
(``VOUCHER_KINDS``, ``KIND_NAMES``, ``kind_word``), and the result and error types
(``RegisterResult``, ``RegisterError``). Plain data and the standard library (pandas for a
type); every other module of the package imports from here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd


#: Columns of :attr:`RegisterResult.books`, in this order.
BOOKS_COLUMNS: tuple[str, ...] = (
    "books_row", "source_rows", "stin", "tradenm", "doc_kind", "doc_no", "doc_date", "pos",
    "txval", "iamt", "camt", "samt", "cess", "val", "orig_doc_no",
)

#: Amount heads that add up to the document value (IMS_FORMAT §1.2).
HEAD_KEYS: tuple[str, ...] = ("txval", "iamt", "camt", "samt", "cess")
_AMOUNTS: tuple[str, ...] = (*HEAD_KEYS, "val")

#: Logical fields a register column can be mapped to, with what they hold.
FIELDS: dict[str, str] = {
    "stin": "supplier GSTIN",
    "tradenm": "supplier name",
    "doc_no": "supplier's invoice / note number",
    "doc_date": "invoice / note date",
    "doc_type": "the supplier's document type (Invoice, Credit Note, Debit Note, C, D ...)",
    "voucher_type": "the books' voucher type (Purchase, Debit Note = purchase return ...)",
    "pos": "place of supply",
    "txval": "taxable value",
    "iamt": "integrated tax (IGST)",
    "camt": "central tax (CGST)",
    "samt": "state/UT tax (SGST/UTGST)",
    "cess": "cess",
    "val": "invoice / note value",
    "tax": "one combined tax amount (split into IGST or CGST + SGST)",
    "tax_name": "the tax name beside a combined tax amount (GST18, IGST18 ...)",
    "orig_doc_no": "original invoice / note number (amendments, notes)",
    "voucher_no": "the buyer's own voucher number (keeps two bookings of one invoice apart)",
}

#: Header synonyms per logical field, best first. Compared after :func:`_norm_header`
#: (lower case, currency marks and punctuation removed), so "Invoice No." == "invoice no".
SYNONYMS: dict[str, tuple[str, ...]] = {
    "stin": (
        "GSTIN/UIN of Supplier", "GSTIN of Supplier", "Supplier GSTIN", "Supplier GSTIN/UIN",
        "Party GSTIN", "Party GSTIN/UIN", "Party GSTIN No", "Vendor GSTIN", "Vendor GSTIN/UIN",
        "GSTIN/UIN", "GSTIN", "GSTIN No", "GSTIN Number", "GST No", "GST Number",
        "Supplier GST No", "Party GST No", "Vendor GST No", "GST Identification Number (GSTIN)",
        "GST Registration No", "GSTIN of the Supplier", "Counter Party GSTIN", "CTIN", "STIN",
        "Tax Number 3", "Vendor Tax Number 3",
    ),
    "tradenm": (
        "Supplier Name", "Name of Supplier", "Trade/Legal Name", "Trade/Legal name of the Supplier",
        "Trade Name", "Legal Name", "Party Name", "Party A/c Name", "Vendor Name", "Supplier",
        "Party", "Vendor", "Particulars", "Ledger Name", "Account Name", "Name", "Name 1",
        "tradenm",
    ),
    "doc_no": (
        "Supplier Invoice No.", "Supplier Invoice No", "Supplier Invoice Number", "Supplier Inv No",
        "Supplier Bill No", "Vendor Invoice No", "Vendor Invoice Number", "Vendor Bill No",
        "Vendor Credit Number", "Vendor Credit No", "Supplier Credit Number",
        "Credit Note Number", "Credit Note No", "Debit Note Number", "Debit Note No",
        "Invoice No", "Invoice Number", "Invoice No.", "Inv No", "Bill No", "Bill Number",
        "Reference", "Reference Number", "Ref. No.", "Supplier Reference", "Vendor Reference",
        "Bill #", "Invoice #", "Invoice/Note Number", "Invoice/Note No", "Note/Refund Voucher Number",
        "Note Number", "Note No", "Credit/Debit Note No", "Credit/Debit Note Number",
        "Document Number", "Document No", "Doc No", "Doc Number", "Reference No", "Ref No",
        "Supplier Ref", "inum", "nt_num", "No.", "Num", "Vch/Bill No", "Vch/Bill No.",
    ),
    "doc_date": (
        "Supplier Invoice Date", "Supplier Bill Date", "Vendor Invoice Date", "Invoice Date",
        "Vendor Credit Date", "Credit Note Date", "Debit Note Date",
        "Inv Date", "Bill Date", "Invoice/Note Date", "Note/Refund Voucher Date", "Note Date",
        "Credit/Debit Note Date", "Document Date", "Doc Date", "Reference Date", "Ref Date",
        "Date", "Voucher Date", "Vch Date", "idt", "nt_dt",
    ),
    "doc_type": (
        "Document Type", "Doc Type", "Note Type", "Note type", "Type of Note",
        "Type of Note (Debit/Credit)", "Note Type (C/D)", "Transaction Type", "Credit/Debit",
        "Entry Type", "Type", "Typ", "Doc. Type", "Document type",
    ),
    "voucher_type": ("Voucher Type", "Vch Type", "Vch/Bill Type", "Voucher Type Name", "Vch. Type"),
    "pos": (
        "Place Of Supply", "Place of Supply (POS)", "POS", "Place of Supply State",
        "State of Supply", "Supply State", "pos",
    ),
    "txval": (
        "Taxable Value", "Taxable Amount", "Taxable Amt", "Taxable", "Assessable Value",
        "Taxable Val", "Value of Supply", "Tax Base Amount", "Tax Base Amt", "Tax Base",
        "Item Total", "Sub Total", "SubTotal", "txval",
    ),
    "iamt": (
        "Integrated Tax", "Integrated Tax Amount", "Integrated Tax Paid", "IGST", "IGST Amount",
        "IGST Amt", "Integrated Tax (IGST)", "iamt",
    ),
    "camt": (
        "Central Tax", "Central Tax Amount", "Central Tax Paid", "CGST", "CGST Amount",
        "CGST Amt", "Central Tax (CGST)", "camt",
    ),
    "samt": (
        "State/UT Tax", "State/UT Tax Amount", "State/UT Tax Paid", "SGST/UTGST",
        "SGST/UTGST Amount", "SGST", "SGST Amount", "SGST Amt", "UTGST", "UTGST Amount",
        "State Tax", "State Tax Amount", "samt",
    ),
    "cess": (
        "Cess", "Cess Amount", "Cess Amt", "Cess Paid", "Compensation Cess", "CESS Amount",
        "csamt", "cess",
    ),
    "val": (
        "Invoice Value", "Total Invoice Value", "Invoice Amount", "Invoice Total", "Bill Amount",
        "Bill Value", "Document Value", "Note Value", "Note/Refund Voucher Value",
        "Invoice/Note Value", "Total Value", "Total Amount", "Gross Total", "Grand Total",
        "Total", "Net Amount", "Net Amt", "Bill Amt", "Amount in LC", "Amount in Local Currency",
        "Amount in Doc. Curr.", "Amount", "val",
    ),
    "tax": ("Tax Amount", "Total Tax", "Total Tax Amount", "GST Amount", "Tax Amt", "Tax",
            "GST Amt", "Item Tax Amount"),
    "tax_name": ("Tax Name", "Tax Type", "GST Type", "Item Tax", "Tax Code", "Tax Category"),
    "orig_doc_no": (
        "Original Invoice Number", "Original Invoice No", "Original Document Number",
        "Original Note Number", "Original Invoice/Note Number", "Against Invoice No",
        "Original Inv No", "Ref Invoice No", "oinum", "ont_num",
    ),
    "voucher_no": ("Voucher No", "Voucher Number", "Vch No", "Vch No.", "Voucher No.",
                   "Bill ID", "Document No", "DocumentNo", "Doc. No.", "Document Number",
                   "Entry No", "Transaction ID"),
}

#: Fields without which no document can be matched.
_REQUIRED: tuple[str, ...] = ("stin", "doc_no")
#: Rows searched for the header (exports put titles, company and period lines on top).
_HEADER_SCAN_ROWS = 50
_IDENT_FIELDS = ("stin", "doc_no", "orig_doc_no", "voucher_no")


class RegisterError(ValueError):
    """The register cannot be used; the message names the file, sheet, row and column.

    ``kind`` is ``"no-header"`` or ``"no-rows"`` when the grid holds no register at all (a
    workbook's other sheets are then skipped, not refused), else ``""``.
    """

    def __init__(self, message: str, kind: str = "") -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class RegisterResult:
    """A register read into one row per document.

    Attributes:
        books: one row per document, columns :data:`BOOKS_COLUMNS`: ``books_row`` (int, the
            file line of the document's first row, header = its own line), ``source_rows``
            (str, ``"4,5,6"``), ``stin`` (upper case), ``tradenm``, ``doc_kind``
            (``invoice``/``credit_note``/``debit_note``), ``doc_no`` (as typed),
            ``doc_date`` (datetime64[ns], NaT when absent), ``pos`` (2 digits or ""),
            ``txval iamt camt samt cess val`` (int64 paise), ``orig_doc_no`` (str or "").
        mapping: logical field -> the header used.
        header_row: 1-based line of the header row in the file.
        warnings: plain-language notes on what was skipped or guessed.
    """

    books: pd.DataFrame
    mapping: dict[str, str]
    header_row: int
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- kind words


_KIND_WORDS: dict[str, str] = {}
for _kind, _words in {
    "invoice": ("purchase", "purchases", "purchaseinvoice", "invoice", "inv", "i", "taxinvoice",
                "bill", "bills", "purchasebill", "r", "regular", "b2b", "b2ba", "ecom", "ecoma",
                "purchaseregister", "supplierinvoice", "vendorbill", "kr", "re"),
    "credit_note": ("creditnote", "credit", "c", "cn", "crnote", "cr", "creditmemo",
                    "vendorcredit", "vendorcredits", "suppliercreditnote", "b2bcn", "b2bcna",
                    "purchasereturn", "purchasereturns", "suppliercredit", "kg"),
    "debit_note": ("debitnote", "debit", "d", "dn", "drnote", "dr", "debitmemo",
                   "supplierdebitnote", "b2bdn", "b2bdna"),
}.items():
    for _w in _words:
        _KIND_WORDS[_w] = _kind


#: How Tally and Busy book a supplier's documents (voucher type -> the supplier's document):
#: a supplier's credit note is entered as a Debit Note voucher (a purchase return), a
#: supplier's debit note as a Credit Note voucher. Firms that book otherwise say so with
#: ``--voucher-kind "Debit Note=debit_note"`` or the Books settings sheet.
VOUCHER_KINDS: dict[str, str] = {
    "purchase": "invoice", "purchases": "invoice", "purchaseinvoice": "invoice",
    "purchasebill": "invoice", "bill": "invoice", "journal": "invoice",
    "debitnote": "credit_note", "debit": "credit_note", "dn": "credit_note",
    "drnote": "credit_note", "purchasereturn": "credit_note", "purchasereturns": "credit_note",
    "creditnote": "debit_note", "credit": "debit_note", "cn": "debit_note", "crnote": "debit_note",
}
KIND_NAMES: dict[str, str] = {"invoice": "invoice", "invoices": "invoice", "bill": "invoice",
                              "creditnote": "credit_note", "credit": "credit_note",
                              "debitnote": "debit_note", "debit": "debit_note"}


def kind_word(text: str) -> str:
    """The key a voucher type is compared by (lower case, letters only)."""
    return re.sub(r"[^a-z]", "", str(text).lower())


KIND_LABEL = {"invoice": "invoice", "credit_note": "the supplier's credit note",
              "debit_note": "the supplier's debit note"}
