"""The review workbook's layout: sheet names, columns, headers. One place, used by every shell.

A column has a *field* (the name used in frames), a header per section, and a kind that says
how it is written and read back. The xlsx shell, the xlwings shell and the template builder
all use :func:`columns_for`; a test checks the template against it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import SECTIONS, Section

#: Sheet names other than the section sheets.
README_SHEET = "Read me"
SUMMARY_SHEET = "Summary"
BOOKS_SHEET = "Books"
REMOVED_SHEET = "Removed records"
LOG_SHEET = "Log"            # the audit trail (audit.py): appended to, never rewritten
MISSING_SHEET = "Missing in IMS"
AGEING_SHEET = "Ageing"           # every open item, its age, owner and deadline (carry.py)
CARRIED_SHEET = "Carried forward" # open items of earlier months not on the section sheets (carry.py)
SUPPLIERS_SHEET = "Suppliers"
GSTR2B_SHEET = "GSTR-2B"          # the three-way check with GSTR-2B (month_end.py)
GSTR3B_SHEET = "GSTR-3B ITC"      # the GSTR-3B Table 4 working (month_end.py)
#: Report sheets written by reconcile and the GSTR-2B check, carried as they are until rerun.
REPORT_SHEETS: tuple[str, ...] = (MISSING_SHEET, SUPPLIERS_SHEET, GSTR2B_SHEET, GSTR3B_SHEET, AGEING_SHEET,
                                   CARRIED_SHEET)
DATA_SHEET = "_ims_data"   # hidden: the downloaded records, as downloaded
META_SHEET = "_ims_meta"   # hidden: key/value facts about the workbook

#: Order of sheets in a review workbook.
SECTION_SHEETS: tuple[str, ...] = tuple(s.sheet for s in SECTIONS)

#: Summary cells the accountant may edit: label in column A, value in column B.
SUMMARY_RTIN_ROW = 3
SUMMARY_PERIOD_ROW = 4

#: Kinds of column.
#:   text: downloaded identifier or text, written as text
#:   amount: downloaded amount (paise in frames)
#:   date: downloaded dd-mm-yyyy date
#:   flag: downloaded Y/N flag shown as Yes/No
#:   status: downloaded action code shown as a word
#:   action: the accountant's action (dropdown)
#:   input_text / input_yesno / input_amount: the accountant's other entries
#:   output: written by ims-xl (validation, portal errors, re-import notes, reconcile)
#:   ref: the hidden record reference linking a row to the downloaded record
KINDS = ("text", "amount", "date", "flag", "status", "action", "input_text", "input_yesno",
         "input_amount", "output", "ref")


@dataclass(frozen=True)
class Column:
    """One column of a section sheet."""

    field: str
    header: str
    kind: str
    width: float
    hidden: bool = False

    @property
    def editable(self) -> bool:
        """Columns the accountant is expected to type in."""
        return self.kind in ("action", "input_text", "input_yesno", "input_amount")

    @property
    def downloaded(self) -> bool:
        """Columns showing a downloaded value (editing them changes nothing that is uploaded)."""
        return self.kind in ("text", "amount", "date", "flag", "status")


#: Output columns written by reconcile (README, "In the workbook"); empty until a reconcile runs.
RECONCILE_FIELDS: tuple[str, ...] = ("match_status", "books_row", "match_reasons",
                                     "suggested_action", "suggested_remarks", "match_fields",
                                     "match_detail")
#: Output columns written by the GSTR-2B check (README, "Closing the month").
GSTR2B_FIELDS: tuple[str, ...] = ("gstr2b_status", "gstr2b_check")


def columns_for(section: Section) -> tuple[Column, ...]:
    """The columns of a section sheet, in order (GSTN offline tool order, IMS_FORMAT §1.3)."""
    w = section.doc_word           # "Invoice" or "Note"
    lw = w.lower()
    cols: list[Column] = []
    if section.is_amendment:
        cols += [Column("orig_doc_no", f"Original {lw} number", "text", 18),
                 Column("orig_doc_date", f"Original {lw} date", "date", 12)]
    cols += [Column("stin", "GSTIN of supplier", "text", 17),
             Column("tradenm", "Trade/Legal name", "text", 28),
             Column("doc_no", f"{w} number", "text", 18)]
    if section.has_inv_typ:
        cols.append(Column("inv_typ", f"{w} type", "text", 8))
    cols += [Column("doc_date", f"{w} date", "date", 12),
             Column("val", f"{w} value", "amount", 15),
             Column("action_text", "Action", "action", 12),
             Column("pos", "Place of supply", "text", 8),
             Column("txval", "Taxable value", "amount", 15),
             Column("iamt", "IGST", "amount", 13),
             Column("camt", "CGST", "amount", 13),
             Column("samt", "SGST", "amount", 13),
             Column("cess", "Cess", "amount", 11),
             Column("remarks_text", "Remarks", "input_text", 30)]
    if section.itc_reduction:
        cols += [Column("itc_red_text", "Whether ITC to be reduced", "input_yesno", 12),
                 Column("decl_igst_in", "ITC reduction IGST", "input_amount", 13),
                 Column("decl_cgst_in", "ITC reduction CGST", "input_amount", 13),
                 Column("decl_sgst_in", "ITC reduction SGST", "input_amount", 13),
                 Column("decl_cess_in", "ITC reduction Cess", "input_amount", 11)]
    cols += [Column("srcform", "Source", "text", 8),
             Column("rtnprd", "Source return period", "text", 10),
             Column("srcfilstatus", "Source filing status", "text", 11),
             Column("sheet_errors", "Sheet validation errors", "output", 45),
             Column("portal_errors", "GST portal validation errors", "output", 40),
             Column("action", "Previous status", "status", 11),
             Column("remarks", "Remarks saved on portal", "text", 20),
             Column("pend_blocked", "Pending blocked", "flag", 9),
             Column("remarks_blocked", "Remarks blocked", "flag", 9)]
    if section.itc_reduction:
        cols.append(Column("itc_blocked", "ITC reduction blocked", "flag", 9))
    # ims-xl's own columns after the offline tool's: follow-up inputs, then outputs
    cols += [Column("owner_text", "Owner", "input_text", 14),
             Column("follow_up_text", "Follow-up date", "input_text", 12),
             Column("reimport_note", "Re-import note", "output", 30),
             Column("match_status", "Match status", "output", 18),
             Column("books_row", "Books row", "output", 8),
             Column("match_reasons", "Match reasons", "output", 40),
             Column("suggested_action", "Suggested action", "output", 11),
             Column("suggested_remarks", "Suggested remarks", "output", 30),
             Column("match_fields", "Differing fields", "output", 18),
             Column("gstr2b_status", "In GSTR-2B", "output", 16),
             Column("gstr2b_check", "GSTR-2B check", "output", 30),
             Column("first_seen", "First seen (period)", "output", 10),
             Column("match_detail", "Match detail (ims-xl)", "output", 10, hidden=True),
             Column("cell_marks", "Cell marks (ims-xl)", "output", 10, hidden=True),
             Column("ref", "IMS ref (do not edit)", "ref", 6, hidden=True)]
    return tuple(cols)


#: Fields the accountant types, with their frame dtype meaning: raw cell values, parsed by checks.
INPUT_FIELDS: tuple[str, ...] = ("action_text", "remarks_text", "itc_red_text", "decl_igst_in",
                                 "decl_cgst_in", "decl_sgst_in", "decl_cess_in", "owner_text", "follow_up_text")
OUTPUT_FIELDS: tuple[str, ...] = ("sheet_errors", "portal_errors", "reimport_note", *RECONCILE_FIELDS,
                                  *GSTR2B_FIELDS, "first_seen",
                                  "cell_marks")

#: Which marks a column can carry, for the conditional-format rules that colour the cells
#: from the hidden ``Cell marks`` column (``|field=mark|...``). Errors first: they win.
MARK_ORDER: tuple[str, ...] = ("error", "warning", "portal", "reimport", "diff_taxhead", "diff_amount",
                               "diff_date", "diff_number", "diff_gstin", "missing")
_MARKS_BY_FIELD: dict[str, tuple[str, ...]] = {
    "doc_no": ("portal", "diff_number", "missing"), "orig_doc_no": ("diff_number",),
    "portal_errors": ("portal",), "reimport_note": ("reimport",), "stin": ("diff_gstin",),
    "doc_date": ("diff_date",), "orig_doc_date": ("diff_date",),
    **{f: ("diff_amount",) for f in ("txval", "cess", "val")},
    **{f: ("diff_amount", "diff_taxhead") for f in ("iamt", "camt", "samt")},
}


def mark_rules(section: Section) -> list[tuple[int, str, str]]:
    """``(column index, mark, field)`` for every colour a cell of this sheet can take."""
    out = []
    for j, c in enumerate(columns_for(section)):
        if c.hidden:
            continue
        kinds = ("error", "warning") + _MARKS_BY_FIELD.get(c.field, ())
        out += [(j, m, c.field) for m in MARK_ORDER if m in kinds]
    return sorted(out, key=lambda t: (MARK_ORDER.index(t[1]), t[0]))

#: Columns that must be present for a sheet to be usable (others may be deleted by the user).
REQUIRED_FIELDS: frozenset[str] = frozenset({"ref", "action_text"})

#: Books sheet header: the purchase-register template (reconcile maps other layouts too).
BOOKS_HEADER: tuple[str, ...] = (
    "GSTIN of supplier", "Supplier name", "Document type", "Document number", "Document date",
    "Place of supply", "Taxable value", "IGST", "CGST", "SGST", "Cess", "Document value",
)

#: Removed-records sheet columns: what was there and what the accountant had entered.
REMOVED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("section", "Section"), ("stin", "GSTIN of supplier"), ("tradenm", "Trade/Legal name"),
    ("doc_no", "Document number"), ("doc_date", "Document date"), ("val", "Document value"),
    ("action", "Previous status"), ("action_text", "Your action"), ("remarks_text", "Your remarks"),
    ("itc_red_text", "Whether ITC to be reduced"), ("decl_igst_in", "ITC reduction IGST"),
    ("decl_cgst_in", "ITC reduction CGST"), ("decl_sgst_in", "ITC reduction SGST"),
    ("decl_cess_in", "ITC reduction Cess"), ("owner_text", "Owner"), ("follow_up_text", "Follow-up date"),
    ("removed_in", "Missing from download"),
)

#: Fill colours by meaning (the Read me legend lists them).
COLOURS: dict[str, str] = {
    "error": "#F8CBAD",      # validation error: the cell to fix
    "warning": "#FFE699",    # validation warning
    "portal": "#F4B183",     # GST portal rejected this record
    "reimport": "#BDD7EE",   # changed by supplier / portal since review
    "header": "#1F4E78",
    "input": "#FFF2CC",
    # reconcile: one colour per kind of difference with the books (the IMS cell is coloured,
    # the books value is in the cell's note)
    "diff_amount": "#D9D2E9",    # an amount differs from the books
    "diff_taxhead": "#B4A7D6",   # IGST reported as CGST+SGST or the reverse
    "diff_date": "#FCE4D6",      # the document date differs
    "diff_number": "#E2EFDA",    # the document number differs (format or fuzzy)
    "diff_gstin": "#DDEBF7",     # another GSTIN of the same PAN
    "missing": "#D0CECE",        # not found in the books
}
