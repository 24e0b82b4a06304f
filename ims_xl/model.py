"""The vocabulary of ims-xl: sections, actions, severities, findings, settings.

Read this module first. Everything else speaks in these terms.

Facts cited as IMS_FORMAT §x refer to ``shared/docs/IMS_FORMAT.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Action(StrEnum):
    """An IMS action code (IMS_FORMAT §1.2 ``action``, §3 V1)."""

    ACCEPT = "A"
    REJECT = "R"
    PENDING = "P"
    NO_ACTION = "N"

    @property
    def label(self) -> str:
        """The word the accountant sees in the workbook dropdown."""
        return ACTION_LABELS[self]


ACTION_LABELS: dict[Action, str] = {
    Action.ACCEPT: "Accept",
    Action.REJECT: "Reject",
    Action.PENDING: "Pending",
    Action.NO_ACTION: "No Action",
}
#: Action code (A, R, P, N) -> the word a sheet shows.
ACTION_WORDS: dict[str, str] = {a.value: label for a, label in ACTION_LABELS.items()}

#: Words accepted for each action when reading a workbook (case and spaces ignored).
#: V1: labels such as "Accepted" must be converted to codes.
ACTION_SYNONYMS: dict[str, Action] = {}
for _a, _words in {
    Action.ACCEPT: ("a", "accept", "accepted"),
    Action.REJECT: ("r", "reject", "rejected"),
    Action.PENDING: ("p", "pending", "keep pending", "keptpending"),
    Action.NO_ACTION: ("n", "no action", "noaction", "no action taken", "noactiontaken", "no_action"),
}.items():
    for _w in _words:
        ACTION_SYNONYMS[_w.replace(" ", "").replace("_", "")] = _a


def parse_action(text: object) -> Action | None:
    """Map a typed action word (``Accept``, ``accepted``, ``A`` ...) to its code, or ``None``."""
    if text is None:
        return None
    key = str(text).strip().lower().replace(" ", "").replace("_", "")
    return ACTION_SYNONYMS.get(key)


class Severity(StrEnum):
    """An ``ERROR`` blocks the upload JSON; a ``WARNING`` informs."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Section:
    """One IMS section and how it appears in the download, the workbook and the upload.

    Attributes:
        key: the JSON key (``b2b``, ``b2bcn`` ...), IMS_FORMAT §1.1.
        sheet: the sheet name used by GSTN's offline tool (IMS_FORMAT §1.3).
        kind: ``invoice``, ``credit_note`` or ``debit_note`` (for matching).
        num_key / date_key: the document number and date keys.
        orig_num_key / orig_date_key: the original document's keys on amendments.
        itc_reduction: whether the ITC-reduction block applies (IMS_FORMAT §1.2, V4).
        has_inv_typ: ecom/ecoma records carry no ``inv_typ`` (IMS_FORMAT §1.1).
    """

    key: str
    sheet: str
    title: str
    kind: str
    num_key: str
    date_key: str
    orig_num_key: str | None = None
    orig_date_key: str | None = None
    itc_reduction: bool = False
    has_inv_typ: bool = True
    error_keys: tuple[str, ...] = ()

    @property
    def is_amendment(self) -> bool:
        return self.orig_num_key is not None

    @property
    def doc_word(self) -> str:
        """``Invoice`` or ``Note``: the word used in column headers."""
        return "Invoice" if self.num_key == "inum" else "Note"


SECTIONS: tuple[Section, ...] = (
    Section("b2b", "B2B", "Invoices", "invoice", "inum", "idt", error_keys=("b2b",)),
    Section("b2ba", "B2BA", "Amended invoices", "invoice", "inum", "idt", "oinum", "oidt",
            itc_reduction=True, error_keys=("b2ba",)),
    Section("b2bdn", "B2B-DN", "Debit notes", "debit_note", "nt_num", "nt_dt",
            error_keys=("b2bdn", "dn")),
    Section("b2bdna", "B2B-DNA", "Amended debit notes", "debit_note", "nt_num", "nt_dt",
            "ont_num", "ont_dt", itc_reduction=True, error_keys=("b2bdna", "dna")),
    Section("b2bcn", "B2B-CN", "Credit notes", "credit_note", "nt_num", "nt_dt",
            itc_reduction=True, error_keys=("b2bcn", "cn")),
    Section("b2bcna", "B2B-CNA", "Amended credit notes", "credit_note", "nt_num", "nt_dt",
            "ont_num", "ont_dt", itc_reduction=True, error_keys=("b2bcna", "cna")),
    Section("ecom", "ECO", "E-commerce documents", "invoice", "inum", "idt",
            has_inv_typ=False, error_keys=("ecom", "e_b2b", "e_c2b")),
    Section("ecoma", "ECOA", "Amended e-commerce documents", "invoice", "inum", "idt",
            "oinum", "oidt", itc_reduction=True, has_inv_typ=False,
            error_keys=("ecoma", "e_b2ba", "e_c2ba")),
)
SECTION_BY_KEY: dict[str, Section] = {s.key: s for s in SECTIONS}
SECTION_BY_SHEET: dict[str, Section] = {s.sheet: s for s in SECTIONS}
#: Section key -> the sign of its records' tax in ITC: a credit note reduces it.
ITC_SIGN: dict[str, int] = {s.key: -1 if s.kind == "credit_note" else 1 for s in SECTIONS}

#: Amount keys of a record, echoed on upload (IMS_FORMAT §1.2, "Decimal(15, 2)").
AMOUNT_KEYS: tuple[str, ...] = ("val", "txval", "iamt", "camt", "samt", "cess")
#: Declared ITC-reduction amounts, in the order IGST, CGST, SGST, Cess.
DECL_KEYS: tuple[str, ...] = ("declIgst", "declCgst", "declSgst", "declCess")
#: The tax head each declared amount is capped by (V6).
DECL_CAP: dict[str, str] = {"declIgst": "iamt", "declCgst": "camt", "declSgst": "samt", "declCess": "cess"}

#: Keys of a downloaded record that are never sent back on SAVE (IMS_FORMAT §2.2).
NOT_SENT_KEYS: frozenset[str] = frozenset({
    "hash", "srcfilstatus", "ispendactblocked", "ispendactnallwd", "isRemarksBlocked",
    "isItcRedReqBlocked", "itcRedReqBlocked", "tradenm", "error_msg", "action",
    "remarks", "itcRedReq", *DECL_KEYS, "prev_status",
})

#: Keys ims-xl understands; anything else in a record is "unknown" and round-tripped.
KNOWN_KEYS: frozenset[str] = frozenset({
    "stin", "inum", "idt", "nt_num", "nt_dt", "oinum", "oidt", "ont_num", "ont_dt",
    "inv_typ", *AMOUNT_KEYS, "pos", "action", "srcform", "rtnprd", "srcfilstatus", "hash",
    "ispendactblocked", "ispendactnallwd", "itcRedReq", *DECL_KEYS, "isItcRedReqBlocked",
    "itcRedReqBlocked", "remarks", "isRemarksBlocked", "tradenm", "error_msg",
    "prev_status", "rtnTyp", "sRtnPrd",
})

#: The value types of a column of texts and blanks: ``set(map(type, column)) <= TEXT_OR_NONE``
#: tells a column that needs no conversion cell by cell (the set is built in C).
TEXT_OR_NONE: frozenset[type] = frozenset({str, type(None)})

#: V10: no primary source gives the remarks limit; 250 characters until confirmed (guess, G).
REMARKS_MAX_LEN = 250

#: The portal's request size limit (IMS_FORMAT §2.1: VAYANA 4 MB, EY 5 MB): the smaller.
UPLOAD_MAX_BYTES = 4 * 1000 * 1000


@dataclass(frozen=True)
class Finding:
    """One validation result, located as the user sees it.

    ``row`` is the 1-based Excel row including the header (``None`` for a sheet-level finding).
    """

    code: str
    severity: Severity
    sheet: str
    row: int | None
    field: str
    message: str
    value: str = ""


FINDING_COLUMNS: tuple[str, ...] = ("severity", "code", "sheet", "row", "field", "message", "value")


@dataclass(frozen=True)
class Settings:
    """Named tolerances and switches, passed explicitly (never module state)."""

    #: Tolerance in paise for "declared amount equals the note's tax" and similar checks.
    amount_tolerance_paise: int = 0
    #: Days into the future a document date may lie before it is flagged.
    future_date_days: int = 0
    #: Upload size limit, bytes per file.
    upload_max_bytes: int = UPLOAD_MAX_BYTES
    extra: dict[str, str] = field(default_factory=dict)


class MatchStatus(StrEnum):
    """The fixed status vocabulary (README, "Every IMS record gets exactly one status"). Never
    rename: users filter on them."""

    MATCHED = "Matched"
    WITHIN_TOLERANCE = "Matched within tolerance"
    VALUE_MISMATCH = "Value mismatch"
    TAX_HEAD_MISMATCH = "Tax-head mismatch"
    DATE_MISMATCH = "Date mismatch"
    SUGGESTED = "Suggested"
    GSTIN_MISMATCH = "GSTIN mismatch (same PAN)"
    DUPLICATE_IN_IMS = "Duplicate in IMS"
    MISSING_IN_BOOKS = "Missing in books"
    # books rows left unpaired
    MISSING_IN_IMS = "Missing in IMS"
    DUPLICATE_IN_BOOKS = "Duplicate in books"


def col_letter(j: int) -> str:
    """A column's letters as Excel shows them, from its 0-based index: 0 -> A, 25 -> Z, 26 -> AA."""
    s = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        s = chr(65 + r) + s
    return s


def col_index(letters: str) -> int:
    """A -> 0, Z -> 25, AA -> 26 (the inverse of :func:`col_letter`)."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1
