"""Supplier follow-up letters: per supplier, what to fix, the ITC at stake, a statement and an
e-mail draft. Pure core: a review book in, plain values out (no workbook or CLI library).

A supplier gets a letter when something of theirs needs their attention:

* an IMS record reconcile did not match with the books (any status other than ``Matched`` /
  ``Matched within tolerance``: a difference, missing in books, suggested, duplicate ...);
* an IMS record the accountant will reject or keeps pending (the effective action);
* a booked document no IMS record pairs with (the ``Missing in IMS`` report): the supplier
  should file it in GSTR-1/IFF.

Each IMS record gives one item, the first of: rejected, kept pending, not in our books,
differs from our books. A record reconcile never saw (blank status) counts only by its action.
Text from the download, the books or the accountant is cleaned of control characters (no CR/LF
ever reaches a mail header or a cell) and cut when very long; the shells store it as text.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
import email.policy
from email.headerregistry import Address
from email.message import EmailMessage

import pandas as pd

from ..errors import InputError
from ..model import ACTION_LABELS, ITC_SIGN, SECTION_BY_KEY, Action, MatchStatus
from ..money import AmountError, format_inr, paise_from_cell, parse_amount, rupees
from .book import ReviewBook, effective_actions
from .deadlines import parse_period
from .inputs import cell_text
from .layout import MISSING_SHEET

# ---------------------------------------------------------------- vocabulary

DIFFERS = "Differs from our books"
MISSING_IN_IMS = "Not in your GSTR-1/IFF (missing in IMS)"
REJECT = "We will reject"
PENDING = "We keep pending"
NOT_IN_BOOKS = "Not in our books"
#: What an item asks of the supplier, in the order items are listed.
WHATS: tuple[str, ...] = (DIFFERS, MISSING_IN_IMS, REJECT, PENDING, NOT_IN_BOOKS)

#: Statuses whose pair is trusted: no letter for them alone.
_MATCHED = frozenset({MatchStatus.MATCHED.value, MatchStatus.WITHIN_TOLERANCE.value, ""})

#: What each kind of item asks the supplier to do (the body's numbered list).
_ASK: dict[str, str] = {
    DIFFERS: "Please check each one and amend it in your GSTR-1/IFF, or issue a credit or debit note "
             "for the difference.",
    MISSING_IN_IMS: "We have booked each one, but it is not in IMS: please report it in your GSTR-1/IFF, "
                    "or tell us if you did not issue it.",
    REJECT: "We will reject each one in IMS for the reason given: please amend it in your GSTR-1/IFF "
            "or issue a credit note as needed.",
    PENDING: "We keep each one pending in IMS until the point given is settled: please clarify it, amend "
             "it in your GSTR-1/IFF or issue a credit or debit note.",
    NOT_IN_BOOKS: "We have not booked these: please send us a copy of each one, or amend your GSTR-1/IFF "
                  "where one was reported to our GSTIN by mistake.",
}
_ONE = {DIFFERS: "document", MISSING_IN_IMS: "document", REJECT: "record", PENDING: "record",
        NOT_IN_BOOKS: "record"}

#: Why a booked document is listed, in words for the supplier.
_NOT_IN_IMS_REASON = "Booked by us; not reported in your GSTR-1/IFF, so it is not in our IMS"

#: The statement's item columns (amounts in rupees).
STATEMENT_HEADER: tuple[str, ...] = (
    "What", "Our reference", "Document type", "Document number", "Original number", "Document date",
    "Taxable value (₹)", "IGST (₹)", "CGST (₹)", "SGST (₹)", "Cess (₹)", "ITC at stake (₹)",
    "Our action", "Reason / remarks")
#: Columns of :data:`STATEMENT_HEADER` holding amounts.
AMOUNT_COLUMNS: tuple[int, ...] = (6, 7, 8, 9, 10, 11)

#: The statement's content type, for the e-mail attachment.
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")

#: Lengths text is cut to: names, document numbers, reasons; a name in the subject; items
#: listed in the body before "and N more".
NAME_MAX, DOC_MAX, REASON_MAX, SUBJECT_NAME_MAX, BODY_ITEMS = 200, 100, 1000, 60, 25

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


# ---------------------------------------------------------------- values

@dataclass(frozen=True)
class LetterItem:
    """One document of a letter. Amounts in paise; ``itc`` is the ITC at stake (the document's
    IGST + CGST + SGST + cess, negative for a credit note)."""

    what: str
    sheet: str            # the review sheet of an IMS record ("" for a books document)
    row: int              # its Excel row (0 when not known)
    books_row: int        # the row on the Books sheet (0 when none)
    doc_type: str
    doc_no: str
    orig_doc_no: str
    doc_date: str         # dd-mm-yyyy as downloaded or booked
    txval: int
    iamt: int
    camt: int
    samt: int
    cess: int
    itc: int
    action: str           # our action ("Reject", "Pending" ...; "" for a books document)
    reason: str

    @property
    def where(self) -> str:
        """Our reference: ``B2B row 3`` and/or ``Books row 5``."""
        parts = []
        if self.sheet:
            parts.append(f"{self.sheet} row {self.row}" if self.row else self.sheet)
        if self.books_row:
            parts.append(f"Books row {self.books_row}")
        return "; ".join(parts)


def letters_return(book: ReviewBook) -> tuple[str, str]:
    """(our GSTIN, the return period) as the letters of ``book`` name them."""
    return clean_text(book.meta.get("rtin", ""), 40).upper(), clean_text(book.meta.get("period", ""), 40)


@dataclass(frozen=True)
class Letter:
    """A follow-up letter to one supplier: who, what to fix, and the e-mail's text."""

    stin: str
    name: str
    email: str            # the usable addresses of the contacts list, ", "-separated ("" when none)
    items: tuple[LetterItem, ...]
    itc_at_stake: int     # paise: the sum of the items' ITC
    subject: str
    body: str
    rtin: str = ""        # our GSTIN (the recipient of the supplies)
    period: str = ""      # the return period as MMYYYY ("" when the book has none)

    def counts(self) -> dict[str, int]:
        """Items per kind (:data:`WHATS`), kinds with none left out."""
        out: dict[str, int] = {}
        for it in self.items:
            out[it.what] = out.get(it.what, 0) + 1
        return {w: out[w] for w in WHATS if w in out}


# ---------------------------------------------------------------- text

_CONTROL = re.compile(r"\s*[\x00-\x1f\x7f-\x9f\u2028\u2029]+\s*")


def clean_text(value: object, limit: int | None = None) -> str:
    """A cell as one line of text: control characters (CR, LF, TAB ...) become one space,
    the ends are stripped, and text longer than ``limit`` is cut with an ellipsis."""
    t = _CONTROL.sub(" ", cell_text(value)).strip()
    if limit is not None and len(t) > limit:
        t = t[:limit - 1].rstrip() + "…"
    return t


def rupees_text(paise: int) -> str:
    """``₹ 1,00,002.00`` (Indian digit grouping)."""
    return "₹ " + format_inr(int(paise))


def period_words(period: str) -> str:
    """``102025`` -> ``October 2025``; anything else as it is (cleaned)."""
    p = parse_period(period)
    return f"{_MONTHS[p[1] - 1]} {p[0]}" if p else clean_text(period, 40)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# ---------------------------------------------------------------- building letters

_KIND_WORD = {"invoice": "Invoice", "credit_note": "Credit note", "debit_note": "Debit note"}


def _doc_type(section: str) -> str:
    s = SECTION_BY_KEY.get(section)
    if s is None:
        return ""
    word = _KIND_WORD.get(s.kind, s.kind)
    if section in ("ecom", "ecoma"):
        word = "E-commerce invoice"
    return ("Amended " + word[0].lower() + word[1:]) if s.is_amendment else word


def _int(v: object) -> int:
    try:
        return 0 if pd.isna(v) else int(v)
    except (TypeError, ValueError):
        return 0


#: Advice to the accountant at the end of reconcile's reasons (reconcile/explain.py), left out of
#: a letter to the supplier.
_ADVICE = re.compile(r"[;,.]?\s*(check before accepting|ask the supplier)\.?$", re.IGNORECASE)


def _for_supplier(reason: str) -> str:
    return _ADVICE.sub("", reason).strip()


def _ims_items(book: ReviewBook) -> list[tuple[str, str, LetterItem]]:
    """(GSTIN, trade name, item) for every IMS record that needs the supplier's attention."""
    rows = book.rows
    if rows is None or not len(rows):
        return []
    act = effective_actions(rows).tolist()
    out = []
    get = (lambda c, default="": rows[c].tolist() if c in rows.columns else [default] * len(rows))
    cols = {c: get(c) for c in ("section", "sheet", "stin", "tradenm", "doc_no", "orig_doc_no", "doc_date",
                                "remarks_text", "match_status", "books_row", "match_reasons",
                                "suggested_remarks")}
    amounts = {c: get(c, 0) for c in ("txval", "iamt", "camt", "samt", "cess")}
    excel_rows = get("excel_row", 0)
    for i, a in enumerate(act):
        status = clean_text(cols["match_status"][i])
        if a == Action.REJECT.value:
            what = REJECT
        elif a == Action.PENDING.value:
            what = PENDING
        elif status == MatchStatus.MISSING_IN_BOOKS.value:
            what = NOT_IN_BOOKS
        elif status not in _MATCHED:
            what = DIFFERS
        else:
            continue
        section = cell_text(cols["section"][i])
        heads = {c: _int(amounts[c][i]) for c in amounts}
        tax = heads["iamt"] + heads["camt"] + heads["samt"] + heads["cess"]
        sec = SECTION_BY_KEY.get(section)
        itc = ITC_SIGN.get(section, 1) * tax  # an unknown section: counted as it stands
        reason = (clean_text(cols["remarks_text"][i], REASON_MAX)
                  or _for_supplier(clean_text(cols["match_reasons"][i], REASON_MAX))
                  or clean_text(cols["suggested_remarks"][i], REASON_MAX))
        if not reason and status not in _MATCHED:
            reason = status
        books_row = cell_text(cols["books_row"][i])
        item = LetterItem(
            what=what, sheet=clean_text(cols["sheet"][i], 40) or (sec.sheet if sec else ""),
            row=_int(excel_rows[i]), books_row=int(books_row) if books_row.isdigit() else 0,
            doc_type=_doc_type(section), doc_no=clean_text(cols["doc_no"][i], DOC_MAX),
            orig_doc_no=clean_text(cols["orig_doc_no"][i], DOC_MAX), doc_date=clean_text(cols["doc_date"][i], 40),
            **heads, itc=itc, action=ACTION_LABELS[Action(a)] if a in ("A", "R", "P", "N") else "",
            reason=reason)
        out.append((clean_text(cols["stin"][i], 40).upper(), clean_text(cols["tradenm"][i], NAME_MAX), item))
    return out


#: Columns of the Missing in IMS report read here (README "Reconciling").
_REPORT_NEEDS = ("GSTIN of supplier", "Document number")


def _paise(v: object, where: str) -> int:
    if v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and v != v):
        return 0
    try:
        if isinstance(v, bool):
            raise AmountError(repr(v))
        if isinstance(v, (int, float)):
            return paise_from_cell(v)
        return parse_amount(str(v))
    except AmountError:
        raise InputError(f"'{MISSING_SHEET}' sheet, {where}: {clean_text(v, 30)!r} is not an amount; "
                         "run ims-xl reconcile again to rebuild that sheet") from None


def _books_items(book: ReviewBook) -> list[tuple[str, str, LetterItem]]:
    """(GSTIN, supplier name, item) for every booked document of the Missing in IMS report."""
    grid = (book.reports or {}).get(MISSING_SHEET) or []
    if not grid:
        return []
    header = [clean_text(h) for h in grid[0]]
    col = {h: j for j, h in reversed(list(enumerate(header))) if h}
    lacking = [h for h in _REPORT_NEEDS if h not in col]
    if lacking:
        raise InputError(f"the '{MISSING_SHEET}' sheet has no '{lacking[0]}' column; run ims-xl reconcile "
                         "again to rebuild it")

    def cell(r: list[object], h: str) -> object:
        j = col.get(h)
        return r[j] if j is not None and j < len(r) else None
    out = []
    for n, r in enumerate(grid[1:], start=2):
        if not any(cell_text(v) for v in r):
            continue
        status = clean_text(cell(r, "Status"))
        if status and status != MatchStatus.MISSING_IN_IMS.value:
            continue  # a duplicate in the books is the accountant's to fix, not the supplier's
        stin = clean_text(cell(r, "GSTIN of supplier"), 40).upper()
        doc_no = clean_text(cell(r, "Document number"), DOC_MAX)
        if not stin and not doc_no:
            continue
        heads = {k: _paise(cell(r, h), f"row {n}, column '{h}'")
                 for k, h in (("txval", "Taxable value"), ("iamt", "IGST"), ("camt", "CGST"),
                              ("samt", "SGST"), ("cess", "Cess"))}
        kind = clean_text(cell(r, "Document type"), 40)
        tax = heads["iamt"] + heads["camt"] + heads["samt"] + heads["cess"]
        itc = -tax if kind.lower().replace("-", " ") == "credit note" else tax
        brow = cell_text(cell(r, "Books row"))
        item = LetterItem(what=MISSING_IN_IMS, sheet="", row=0, books_row=int(brow) if brow.isdigit() else 0,
                          doc_type=kind, doc_no=doc_no, orig_doc_no="",
                          doc_date=clean_text(cell(r, "Document date"), 40), **heads, itc=itc, action="",
                          reason=_NOT_IN_IMS_REASON)
        out.append((stin, clean_text(cell(r, "Supplier name"), NAME_MAX), item))
    return out


def _item_key(it: LetterItem) -> tuple:
    return (WHATS.index(it.what), it.doc_no, it.doc_date, it.sheet, it.row, it.books_row)


def supplier_letters(book: ReviewBook, contacts: dict[str, dict] | None = None) -> list[Letter]:
    """One :class:`Letter` per supplier GSTIN with something to fix, the largest ITC at stake
    first (then by GSTIN); items by kind (:data:`WHATS`) then document number.

    ``contacts`` maps a GSTIN to ``{"email": ..., "name": ...}`` (``files.letters.read_contacts``).

    Raises:
        InputError: the ``Missing in IMS`` sheet lacks its columns or holds a non-amount.
    """
    ims, booked = _ims_items(book), _books_items(book)
    by: dict[str, list[LetterItem]] = {}
    for stin, _, item in ims + booked:
        by.setdefault(stin, []).append(item)
    # the name: the first IMS trade name of the supplier (any record), else the books' name
    names: dict[str, str] = {}
    rows = book.rows
    if rows is not None and len(rows) and {"stin", "tradenm"} <= set(rows.columns):
        for g, n in zip(rows["stin"].tolist(), rows["tradenm"].tolist()):
            g = cell_text(g).upper()
            if g in by and not names.get(g):
                names[g] = clean_text(n, NAME_MAX)
    for stin, name, _ in ims + booked:
        if name and not names.get(stin):
            names[stin] = name
    known = {clean_text(k, 40).upper(): v for k, v in (contacts or {}).items() if isinstance(v, dict)}
    rtin, period = letters_return(book)
    letters = []
    for stin, items in by.items():
        c = known.get(stin, {})
        name = names.get(stin) or clean_text(c.get("name", ""), NAME_MAX)
        mail = ", ".join(a.addr_spec for a in mail_addresses(c.get("email", "")))
        items = tuple(sorted(items, key=_item_key))
        total = sum(it.itc for it in items)
        subject = _subject(stin, name, rtin, period)
        letters.append(Letter(stin=stin, name=name, email=mail, items=items, itc_at_stake=total,
                              subject=subject, body=_body(stin, name, rtin, period, items, total),
                              rtin=rtin, period=period))
    letters.sort(key=lambda lt: (-lt.itc_at_stake, lt.stin))
    return letters


def _subject(stin: str, name: str, rtin: str, period: str) -> str:
    who = clean_text(name, SUBJECT_NAME_MAX)
    text = f"GST documents to correct: {who} (GSTIN {stin})" if who else f"GST documents to correct: GSTIN {stin}"
    if period:
        text += f", IMS {period_words(period)}"
    if rtin:
        text += f", our GSTIN {rtin}"
    return clean_text(text, 200)


def _body(stin: str, name: str, rtin: str, period: str, items: tuple[LetterItem, ...], total: int) -> str:
    greeting = clean_text(name, 100) or f"Sir/Madam (GSTIN {stin})"
    us = f" to our GSTIN {rtin}" if rtin else " to us"
    when = f" for {period_words(period)}" if period else ""
    lines = [f"Dear {greeting},", "",
             f"We have reconciled the invoices and notes you reported{us} in the GST portal's Invoice "
             f"Management System (IMS){when} with our purchase register. "
             f"{_plural(len(items), 'document')} of your GSTIN {stin} "
             f"{'needs' if len(items) == 1 else 'need'} your attention; "
             f"the input tax credit (ITC) at stake is {rupees_text(total)}.", ""]
    n = 0
    for what in WHATS:
        group = [it for it in items if it.what == what]
        if not group:
            continue
        n += 1
        itc = sum(it.itc for it in group)
        lines.append(f"{n}. {what}: {_plural(len(group), _ONE[what])}, ITC {rupees_text(itc)}. {_ASK[what]}")
    lines += ["", "The documents:"]
    for it in items[:BODY_ITEMS]:
        doc = f"{it.doc_type} {it.doc_no}".strip() if it.doc_type else it.doc_no
        dated = f" dated {it.doc_date}" if it.doc_date else ""
        reason = f" {clean_text(it.reason, 300)}" if it.reason else ""
        lines.append(f"- {doc}{dated}, taxable value {rupees_text(it.txval)}, ITC {rupees_text(it.itc)}: "
                     f"{it.what}.{reason}")
    if len(items) > BODY_ITEMS:
        lines.append(f"- and {len(items) - BODY_ITEMS} more, listed in the attached statement.")
    lines += ["",
              "The attached statement lists every document with its amounts, our action and the reason.",
              "Please make the corrections in your next GSTR-1/IFF (or issue the credit or debit notes) "
              "and let us know, so that the credit reaches our GSTR-2B. If you think a document is "
              "right as it is, please reply with the details.",
              "", "Thank you.", "", "Regards,"]
    if rtin:
        lines.append(f"GSTIN {rtin}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- the statement

def statement_grid(letter: Letter) -> list[list[object]]:
    """The statement sheet: title rows, a blank row, :data:`STATEMENT_HEADER`, one row per
    item (amounts in rupees), and a total row. Nothing dated: the same letter gives the
    same grid."""
    grid: list[list[object]] = [
        [f"Statement of documents to review: {letter.name}" if letter.name else "Statement of documents to review"],
        ["Supplier", letter.name],
        ["GSTIN of supplier", letter.stin],
    ]
    if letter.rtin:
        grid.append(["Our GSTIN", letter.rtin])
    if letter.period:
        grid.append(["IMS return period", period_words(letter.period)])
    grid.append(["ITC at stake (₹)", rupees(letter.itc_at_stake)])
    grid.append([])
    grid.append(list(STATEMENT_HEADER))
    for it in letter.items:
        grid.append([it.what, it.where, it.doc_type, it.doc_no, it.orig_doc_no, it.doc_date,
                     rupees(it.txval), rupees(it.iamt), rupees(it.camt), rupees(it.samt), rupees(it.cess),
                     rupees(it.itc), it.action, it.reason])
    tot = {k: sum(getattr(it, k) for it in letter.items) for k in ("txval", "iamt", "camt", "samt", "cess", "itc")}
    grid.append([f"Total ({_plural(len(letter.items), 'document')})", "", "", "", "", "",
                 rupees(tot["txval"]), rupees(tot["iamt"]), rupees(tot["camt"]), rupees(tot["samt"]),
                 rupees(tot["cess"]), rupees(tot["itc"]), "", ""])
    return grid


# ---------------------------------------------------------------- the e-mail draft

_ADDR = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")


_ADDR_SPLIT = re.compile(r"[,;\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_ANGLE = re.compile(r"^(.*)<([^<>]*)>\s*$")


def _ascii_addr(addr: str) -> str:
    """``addr`` when it is a usable ASCII address (an internationalised domain IDNA-encoded), or ""."""
    addr = addr.strip()
    if "@" in addr and not addr.isascii():
        local, _, domain = addr.rpartition("@")
        try:
            addr = f"{local}@{domain.encode('idna').decode('ascii')}"
        except UnicodeError:
            return ""
    return addr if _ADDR.match(addr) else ""


def mail_addresses(text: str) -> list[Address]:
    """The usable addresses in ``text``: separated by commas, semicolons, line breaks or spaces,
    each plain (``a@b.in``) or with a name (``Name <a@b.in>``). Only ASCII addresses are kept
    (an internationalised domain is IDNA-encoded); a piece holding a colon outside ``<>``
    (``Bcc: x@y.in``: a header smuggled into a cell) or anything else unusable is left out, for
    the accountant to type in the draft."""
    out: list[Address] = []
    seen: set[str] = set()
    for token in _ADDR_SPLIT.split(cell_text(text)):
        token = token.strip()
        m = _ANGLE.match(token)
        if m:
            display, pieces = m.group(1).strip().strip('"\'').strip(), [m.group(2)]
            if ":" in display:
                continue
        elif ":" in token:
            continue
        else:
            display, pieces = "", token.split()
        for piece in pieces:
            addr = _ascii_addr(piece)
            if not addr or addr.lower() in seen:
                continue
            try:
                out.append(Address(display_name=clean_text(display, 100), addr_spec=addr))
            except (ValueError, IndexError):
                continue
            seen.add(addr.lower())
    return out


def eml_bytes(letter: Letter, attachment: bytes, attachment_name: str, sender: str = "") -> bytes:
    """The letter as an RFC 5322 e-mail draft (CRLF line ends): To the letter's e-mail (left
    out when none is usable), From ``sender`` when given, the subject, the plain-text body and
    the statement attached; ``X-Unsent: 1`` makes Outlook open it as a draft to send."""
    msg = EmailMessage(policy=email.policy.default)
    frm = mail_addresses(sender)
    if frm:
        msg["From"] = frm[0]
    to = mail_addresses(letter.email)
    if to:
        msg["To"] = to
    msg["Subject"] = clean_text(letter.subject, 250)
    msg["X-Unsent"] = "1"
    msg.set_content(letter.body, subtype="plain", charset="utf-8", cte="quoted-printable")
    name = clean_text(attachment_name, 200).replace('"', "'") or "statement.xlsx"
    msg.add_attachment(attachment, maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1], filename=name)
    # a boundary from the content, not a random one: the same letter gives the same bytes
    digest = hashlib.sha256(letter.body.encode("utf-8") + bytes(attachment)).hexdigest()[:32]
    msg.set_boundary(f"=_ims-xl_{digest}")
    return msg.as_bytes(policy=email.policy.default.clone(linesep="\r\n"))
