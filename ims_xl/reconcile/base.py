"""The matcher's vocabulary: reason codes, column lists, settings and the result type."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd

from ..errors import InputError


#: Stable reason codes and what they mean (kebab case; never rename).
REASON_CODES: dict[str, str] = {
    "number-format": "document number differs only in formatting (case, separators, "
                     "financial-year tokens, leading zeros)",
    "amended-original": "paired through the original number of an amended record",
    "fuzzy-number": "document number is similar but not equal (suggested only)",
    "number-ignored": "document number differs; same supplier, amounts and month (suggested only)",
    "taxable-diff": "taxable value differs",
    "igst-diff": "integrated tax differs",
    "cgst-diff": "central tax differs",
    "sgst-diff": "state/UT tax differs",
    "cess-diff": "cess differs",
    "value-diff": "document value differs",
    "tax-head-swapped": "IGST reported as CGST+SGST or the reverse (place-of-supply error)",
    "date-diff": "document date differs",
    "gstin-same-pan": "supplier GSTIN differs but has the same PAN",
    "duplicate-in-ims": "the same document appears again in the IMS",
    "duplicate-in-books": "the same document is booked twice",
    "not-in-books": "no document in the books for this record",
    "not-in-ims": "no IMS record for this booked document",
}

#: Columns the IMS input frame must have.
IMS_COLUMNS: tuple[str, ...] = (
    "ref", "section", "stin", "tradenm", "doc_no", "doc_date", "orig_doc_no", "orig_doc_date",
    "pos", "txval", "iamt", "camt", "samt", "cess", "val", "action", "ispendactblocked",
    "rtnprd",
)
#: Columns of :func:`matches_frame` (README, "--matches MATCHES.csv"), in this order.
MATCHES_COLUMNS: tuple[str, ...] = (
    "section", "stin", "doc_no", "doc_date", "books_row", "status", "score", "reasons",
    "suggested_action",
)
RESULT_COLUMNS: tuple[str, ...] = (
    "ref", "status", "books_row", "score", "reasons", "reason_codes", "diff_fields",
    "books_values", "suggested_action", "suggested_remarks",
)

_HEADS: tuple[str, ...] = ("txval", "iamt", "camt", "samt", "cess", "val")
_HEAD_LABEL = {"txval": "Taxable value", "iamt": "IGST", "camt": "CGST", "samt": "SGST",
               "cess": "Cess", "val": "Invoice value"}
_HEAD_CODE = {"txval": "taxable-diff", "iamt": "igst-diff", "camt": "cgst-diff",
              "samt": "sgst-diff", "cess": "cess-diff", "val": "value-diff"}
_KINDS = {"invoice": 0, "credit_note": 1, "debit_note": 2}
_KIND_WORD = {0: "Invoice", 1: "Credit note", 2: "Debit note"}
_NO_DAY = np.iinfo(np.int64).min


@dataclass(frozen=True)
class MatchSettings:
    """Named tolerances of the matcher (amounts in paise, dates in days).

    Attributes:
        tol_txval, tol_iamt, tol_camt, tol_samt, tol_cess: per-head rounding buffer; ₹1 is
            the common default of reconciliation products (RECONCILE_NOTES "Rounding").
        tol_val: buffer on the document value (invoice values are often rounded to the rupee).
        date_window_days: a date difference up to this still counts as "within tolerance".
        suggest_date_window_days: fuzzy-number suggestions need dates this close.
        value_mismatch_days: a same-number pair whose amounts differ beyond tolerance is
            reported as ``Value mismatch`` only when the dates are this close (or unknown):
            numbers restart every financial year, so the same number far apart is another
            document.
        max_date_diff_days: no pair at all across a larger date gap.
        fuzzy_threshold: rapidfuzz ``ratio`` (0-100) on normalised numbers for a fuzzy
            suggestion. ``ratio`` not ``partial_ratio``: partial scores ``1`` vs ``11`` as 100.
        remarks_max_len: length cap of drafted remarks (model.REMARKS_MAX_LEN).
    """

    tol_txval: int = 100
    tol_iamt: int = 100
    tol_camt: int = 100
    tol_samt: int = 100
    tol_cess: int = 100
    tol_val: int = 100
    date_window_days: int = 3
    suggest_date_window_days: int = 15
    value_mismatch_days: int = 45
    max_date_diff_days: int = 180
    fuzzy_threshold: float = 80.0
    remarks_max_len: int = 250

    def tolerance(self, head: str) -> int:
        """The buffer in paise for an amount head (``txval`` ... ``val``)."""
        return int(getattr(self, f"tol_{head}"))

    @classmethod
    def from_options(cls, tolerance_rupees: str | None = None, date_window: int | None = None) -> MatchSettings:
        """The settings a user asked for: one amount tolerance in rupees for every head
        (``--amount-tolerance``), and the date window in days (``--date-window``)."""
        kw: dict[str, int] = {}
        if tolerance_rupees is not None:
            try:
                paise = Decimal(str(tolerance_rupees).strip().replace(",", "")) * 100
            except InvalidOperation:
                paise = Decimal("NaN")
            if not paise.is_finite() or paise < 0:
                raise InputError(f"--amount-tolerance {tolerance_rupees!r}: give rupees as a number, e.g. 1 or 0.50")
            kw = {f"tol_{h}": int(paise) for h in ("txval", "iamt", "camt", "samt", "cess", "val")}
        if date_window is not None:
            if date_window < 0:
                raise InputError(f"--date-window {date_window}: give a number of days, 0 or more")
            kw["date_window_days"] = date_window
        return cls(**kw)


@dataclass(frozen=True)
class ReconcileResult:
    """The outcome of :func:`reconcile`.

    Attributes:
        ims: one row per IMS ``ref`` (sorted by ref), columns :data:`RESULT_COLUMNS`:
            ``status`` (:class:`MatchStatus`), ``books_row`` (Int64, NA when unpaired),
            ``score`` (0-100), ``reasons`` ("; "-joined text), ``reason_codes``
            ("|"-joined :data:`REASON_CODES`), ``diff_fields`` ("|"-joined IMS fields that
            differ), ``books_values`` (JSON field -> books value as display text),
            ``suggested_action`` ('A', 'P' or ''), ``suggested_remarks``.
        books: one row per books document (sorted by books_row): ``books_row``, ``status``
            (the paired IMS record's status, ``Missing in IMS`` or ``Duplicate in books``),
            ``ref`` (Int64, the paired IMS record), ``reasons``, ``reason_codes``.
        settings: the settings used.
    """

    ims: pd.DataFrame
    books: pd.DataFrame
    settings: MatchSettings

    @property
    def pairs(self) -> pd.DataFrame:
        """``ref, books_row, status`` of every paired IMS record."""
        p = self.ims.loc[self.ims["books_row"].notna(), ["ref", "books_row", "status"]]
        return p.reset_index(drop=True)

    def counts(self) -> dict[str, int]:
        """Number of IMS records per status, then books-only rows per status."""
        out = {str(k): int(v) for k, v in self.ims["status"].value_counts(sort=False).items()}
        only = self.books.loc[self.books["ref"].isna(), "status"].value_counts(sort=False)
        out.update({str(k): int(v) for k, v in only.items()})
        return out
