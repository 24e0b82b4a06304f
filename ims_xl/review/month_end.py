"""Closing the month: IMS, GSTR-2B and the books side by side, and the GSTR-3B ITC working.

Pure core: the review rows, the GSTR-2B documents (``formats.gstr2b``) and the Log in; frames
and grids out. The rules, with their sources and what is uncertain, are in
``docs/GSTR3B_WORKING.md``; in short:

* every IMS record is looked up in the 2B by section, supplier GSTIN and document number
  (``record_key``), and by document date and return period where that key repeats (a number
  reused in another financial year, :func:`pair_documents`); its 2B treatment (ITC available,
  not available, rejected, absent) is compared with the action in the workbook: Accept and
  No Action (deemed accepted) belong in the 2B's ITC, Reject among its rejected documents,
  Pending outside it;
* a record that disagrees, and whose action changed on or after the 2B's generation date
  (``gendt``, by the Log), means the 2B must be recomputed on the portal before GSTR-3B is
  filed; the ITC the recompute moves is the sum of those records' differences;
* each record lands in one row of GSTR-3B Table 4 per basis: as the 2B stands ("GSTR-2B"),
  as the workbook's actions would make it after a recompute ("Your actions"), and the part of
  that the books hold ("Books"). Amounts are signed (credit notes negative) and summed per
  row; a negative net stays in its 4A row, as the portal fills it since January 2023.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from ..formats.ims_json import DECL_COLUMNS
from ..model import ACTION_WORDS, ITC_SIGN, MatchStatus
from .book import effective_actions, pair_records
from .inputs import declared, yes_nos

HEADS: tuple[str, ...] = ("iamt", "camt", "samt", "cess")
HEAD_NAMES: tuple[str, ...] = ("IGST", "CGST", "SGST", "Cess")
#: GSTR-3B Table 4 rows ims-xl fills (docs/GSTR3B_WORKING.md), in the return's order.
TABLE4: tuple[tuple[str, str], ...] = (
    ("4A(1)", "Import of goods"),
    ("4A(2)", "Import of services (not in GSTR-2B: from your books)"),
    ("4A(3)", "Inward supplies liable to reverse charge"),
    ("4A(4)", "Inward supplies from ISD"),
    ("4A(5)", "All other ITC"),
    ("4B(2)", "ITC reversed: others"),
    ("4C", "Net ITC available (A - B)"),
    ("4D(2)", "Ineligible ITC: section 16(4) and place-of-supply rules"),
)
ROWS_4A: tuple[str, ...] = ("4A(1)", "4A(2)", "4A(3)", "4A(4)", "4A(5)")
BASES: tuple[str, ...] = ("GSTR-2B", "Your actions", "Books")
#: Statuses whose books pairing is trusted: the books support the record's ITC.
BOOKS_OK = frozenset({MatchStatus.MATCHED.value, MatchStatus.WITHIN_TOLERANCE.value})
AGREES = "Agrees"
RECOMPUTE = "Recompute GSTR-2B"
DIFFERS = "Differs"
NOT_IN_2B = "Not in GSTR-2B"
#: Columns of the record frame :func:`three_way` returns (amounts signed paise).
RECORD_COLUMNS: tuple[str, ...] = (
    "source", "sheet", "excel_row", "ref", "doc_id", "stin", "trdnm", "doc_no", "doc_date", "section2b",
    "treatment", "action", "check", "changed_on", "books", "books_ok",
    "row_2b", *(f"{h}_2b" for h in HEADS), "row_act", *(f"{h}_act" for h in HEADS),
)


def table_row(part: str, kind: str, rev: bool) -> str:
    """The GSTR-3B Table 4 row of a 2B document (docs/GSTR3B_WORKING.md, the mapping)."""
    from ..formats.gstr2b import NOT_AVAILABLE, REJECTED
    if part == REJECTED:
        return ""
    if part == NOT_AVAILABLE:
        return "4D(2)"
    if kind == "boe":
        return "4A(1)"
    if rev:
        return "4A(3)"
    if kind == "isd":
        return "4A(4)"
    return "4A(5)"


def change_dates(log: list[list[object]] | None) -> dict[str, str]:
    """Record key -> the date (``YYYY-MM-DD``) of the last change of action the Log holds."""
    from .audit import KEY_COLUMN
    if not log or len(log) < 2:
        return {}
    head = [str(h) for h in log[0]]
    if KEY_COLUMN not in head or "When" not in head or "Source" not in head:
        return {}
    k, w, s = head.index(KEY_COLUMN), head.index("When"), head.index("Source")
    out: dict[str, str] = {}
    for r in log[1:]:
        if len(r) <= max(k, w, s):
            continue
        key, when, src = str(r[k] or ""), str(r[w] or ""), str(r[s] or "")
        if key and not key.startswith("sealed:") and src not in ("portal error", "log check") and len(when) >= 10:
            out[key] = when[:10]
    return out


def _claimed(rows: pd.DataFrame, act: pd.Series, base: pd.DataFrame, as_sent: bool = True) -> pd.DataFrame:
    """The ITC a credit note (or amendment of one) takes back, per head, as the workbook
    says: the note's tax; the declared amounts when the accountant declared a partial
    reduction; nothing when they answered No (ITC was never availed). Accepted notes only:
    No Action is deemed acceptance with the note's full tax. ``base``: each record's tax per
    head (the 2B's figures where the 2B holds it, the download's otherwise). ``as_sent=False``:
    the workbook's answers on every record, uploaded or not (to tell where they differ)."""
    out = base.copy()
    credit = rows["section"].map(ITC_SIGN) < 0
    if "itc_red_text" not in rows:
        return out
    accepted = credit & (act == "A")
    # what the portal holds after the upload: the workbook's answer on a record whose action is
    # uploaded; the downloaded answer on one whose action did not change, which no upload
    # carries (upload.upload_plan: change-not-uploaded); none downloaded reads as full
    sent = (act != rows["action"]).to_numpy() | (not as_sent)
    answer = yes_nos(rows["itc_red_text"]).where(sent, rows.get("itc_red_req", pd.Series("", index=rows.index)))
    out.loc[accepted & (answer == "N"), list(HEADS)] = 0
    decl_cols = ("decl_igst_in", "decl_cgst_in", "decl_sgst_in", "decl_cess_in")
    if all(c in rows for c in decl_cols):
        vals = {h: declared(rows[c])[0] for h, c in zip(HEADS, decl_cols)}
        for h, c in zip(HEADS, DECL_COLUMNS):
            if c in rows:
                vals[h] = vals[h].where(sent, rows[c].astype("Float64"))
        # as the upload sends them (upload.itc_block, IMS_FORMAT §2.3): every amount blank is
        # the full reversal; every amount typed 0 reduces nothing (itcRedReq N); else the
        # amounts typed, a blank one 0
        typed = pd.Series(False, index=rows.index)
        for v in vals.values():
            typed |= v.notna().astype(bool)
        partial = accepted & (answer == "Y") & typed
        for h in HEADS:
            out.loc[partial, h] = vals[h][partial].fillna(0).astype("int64")
    return out


#: How an IMS record and a 2B document of a repeated key are paired (:func:`book.pair_records`),
#: strictest first: date, return period and taxes alike; date and period; the date alone.
_2B_TIERS = (lambda a, b: a == b, lambda a, b: a[:2] == b[:2], lambda a, b: a[0] == b[0])


def pair_documents(rows: pd.DataFrame, docs: pd.DataFrame) -> np.ndarray:
    """The position in ``docs`` of the 2B document each IMS record is, -1 where none is.

    Args:
        rows: the review rows; uses ``key``, and where a key repeats ``section``, ``stin``,
            ``doc_no``, ``doc_date``, ``rtnprd`` and the heads.
        docs: 2B documents of the kinds IMS lists (:data:`formats.gstr2b.DOC_COLUMNS`, ``key``
            not empty).

    A record and a document are the same when section, supplier GSTIN and number agree; where
    that key repeats (a number reused in another financial year) they are paired by document
    date and return period (the supplier's ``rtnprd`` in IMS, ``supprd`` in 2B), then the
    taxes, then file order among those still alike (:func:`book.pair_records`); a record whose
    date no document of its key has stays unpaired (not in this GSTR-2B), as does such a
    document (2B only).
    """
    return pair_records(rows, docs, _2B_TIERS, their_section="ims_section", their_period="supprd")


def three_way(rows: pd.DataFrame, docs: pd.DataFrame, log: list[list[object]] | None,
              generated: date | None, books_status: pd.Series | None = None) -> pd.DataFrame:
    """One row per IMS record and per 2B document IMS does not list (:data:`RECORD_COLUMNS`).

    ``books_status``: the books match status of each 2B-only document (index = ``docs``
    index), from reconciling them with the register; absent, they count as not in books.
    """
    from ..formats.gstr2b import REJECTED
    n = len(rows)
    act = effective_actions(rows) if n else pd.Series(dtype=object)
    d = docs[docs["key"] != ""]
    pos = pair_documents(rows, d) if n else np.zeros(0, dtype=np.int64)
    has = pos >= 0
    doc = d.iloc[pos[has]]

    part = np.full(n, "", dtype=object)
    kind = np.full(n, "", dtype=object)
    rev = np.zeros(n, dtype=bool)
    sign = np.ones(n, dtype=np.int64)
    doc_id = np.zeros(n, dtype=np.int64)
    section2b = np.full(n, "", dtype=object)
    itcavl = np.full(n, "", dtype=object)
    rsn = np.full(n, "", dtype=object)
    if has.any():
        part[has] = doc["part"].to_numpy()
        kind[has] = doc["kind"].to_numpy()
        rev[has] = doc["rev"].to_numpy()
        sign[has] = doc["sign"].to_numpy()
        doc_id[has] = doc["doc_id"].to_numpy()
        section2b[has] = doc["section2b"].to_numpy()
        itcavl[has] = doc["itcavl"].to_numpy()
        rsn[has] = doc["rsn"].to_numpy()
    ims_sign = rows["section"].map(ITC_SIGN).to_numpy(dtype=np.int64) if n else np.ones(0, dtype=np.int64)
    taxes_2b = {h: np.zeros(n, dtype=np.int64) for h in HEADS}
    if has.any():
        for h in HEADS:
            taxes_2b[h][has] = doc[h].to_numpy(dtype=np.int64) * doc["sign"].to_numpy(dtype=np.int64)
    row_2b = np.array([table_row(p, k, r) if p else "" for p, k, r in zip(part, kind, rev)], dtype=object)
    rejected = part == REJECTED
    for h in HEADS:
        taxes_2b[h][rejected] = 0

    actv = act.to_numpy(dtype=object) if n else np.zeros(0, dtype=object)
    claims = np.isin(actv, ["A", "N"])
    from ..formats.gstr2b import AVAILABLE, NOT_AVAILABLE
    part_act = np.where(rejected, np.where(itcavl == "N", NOT_AVAILABLE, AVAILABLE), part)
    row_act = np.array([table_row(p, k, r) if (c and p) else "" for p, k, r, c in
                        zip(part_act, kind, rev, claims)], dtype=object)
    changed = change_dates(log)
    # (a key never changed is ""; objects, as an empty map gives floats, which pandas 4 will not fill with text)
    changed_on = (rows["key"].map(changed).astype(object).fillna("").to_numpy(dtype=object) if n
                  else np.zeros(0, dtype=object))
    gen = generated.strftime("%Y-%m-%d") if generated else ""
    after = np.array([bool(gen) and c != "" and c >= gen for c in changed_on], dtype=bool)
    # kept out of the 2B (Pending at its generation) and claimed since: a recompute adds it;
    # every IMS record is a forward-charge supply from a registered person (4A(5))
    row_act[(part == "") & claims & after] = "4A(5)"
    base = pd.DataFrame({h: rows[h].to_numpy(dtype=np.int64) if n else [] for h in HEADS}, index=rows.index)
    if has.any():
        for h in HEADS:
            base.loc[has, h] = doc[h].to_numpy(dtype=np.int64)
    red = _claimed(rows, act, base) if n else base
    typed = _claimed(rows, act, base, as_sent=False) if n else base
    unsent = (red.to_numpy() != typed.to_numpy()).any(axis=1) if n else np.zeros(0, dtype=bool)
    taxes_act = {h: np.where(row_act != "", red[h].to_numpy(dtype=np.int64) * ims_sign, 0) for h in HEADS}

    check = np.full(n, AGREES, dtype=object)
    treatment = np.where(part == "", NOT_IN_2B, part).astype(object)
    for i in range(n):
        p, a = part[i], actv[i]
        if rsn[i] and p and p != REJECTED and itcavl[i] == "N":
            treatment[i] = f"{p} (reason {rsn[i]})"
        if p == "":
            why = "" if a in ("P", "R") else "not in this GSTR-2B"
        elif p == REJECTED:
            why = "" if a == "R" else f"rejected in GSTR-2B, {ACTION_WORDS[a]} in the workbook"
        elif a in ("R", "P"):
            why = f"in GSTR-2B, {ACTION_WORDS[a]} in the workbook"
        elif any(taxes_2b[h][i] != taxes_act[h][i] for h in HEADS):
            why = "the ITC reduction answered in the workbook differs from the note's tax in GSTR-2B"
        elif unsent[i]:
            why = ("the ITC reduction answered in the workbook is not uploaded, as the action did not change: "
                   "the portal keeps its own answer, counted here")
        else:
            why = ""
        if not why:
            continue
        if after[i]:
            check[i] = f"{RECOMPUTE}: action changed on {changed_on[i]}, after GSTR-2B was generated; {why}"
        elif p == "":
            check[i] = f"{NOT_IN_2B}: filed after its cut-off or for another period; not counted this month"
        else:
            check[i] = f"{DIFFERS}: {why}"
    books = rows["match_status"].astype(str).to_numpy(dtype=object) if "match_status" in rows and n else \
        np.full(n, "", dtype=object)
    ims = pd.DataFrame({
        "source": "IMS", "sheet": rows["sheet"].to_numpy() if n else [], "excel_row": rows["excel_row"].to_numpy() if n else [],
        "ref": rows["ref"].to_numpy() if n else [], "doc_id": doc_id, "stin": rows["stin"].to_numpy() if n else [],
        "trdnm": rows["tradenm"].to_numpy() if n else [], "doc_no": rows["doc_no"].to_numpy() if n else [],
        "doc_date": rows["doc_date"].to_numpy() if n else [], "section2b": section2b, "treatment": treatment,
        "action": [ACTION_WORDS.get(a, a) for a in actv], "check": check, "changed_on": changed_on, "books": books,
        "books_ok": np.isin(books, list(BOOKS_OK)), "row_2b": row_2b,
        **{f"{h}_2b": taxes_2b[h] for h in HEADS}, "row_act": row_act, **{f"{h}_act": taxes_act[h] for h in HEADS},
    })
    # the documents IMS does not list: reverse charge, ISD, imports, and any IMS-kind document
    # absent from the download; they count in GSTR-2B and after a recompute alike
    listed = set(doc_id[has].tolist())
    only = docs[~docs["doc_id"].isin(listed)]
    st = books_status.reindex(only.index).fillna("") if books_status is not None else pd.Series("", index=only.index)
    rows_only = np.array([table_row(p, k, r) for p, k, r in zip(only["part"], only["kind"], only["rev"])], dtype=object)
    amt = {h: np.where(rows_only != "", only[h].to_numpy(dtype=np.int64) * only["sign"].to_numpy(dtype=np.int64), 0)
           for h in HEADS}
    why_only = np.where(only["ims_section"].astype(str) != "", "IMS lists no such record (not in the download imported)",
                        np.where(only["rev"].to_numpy(dtype=bool), "reverse charge: not in IMS",
                                 np.where(only["kind"] == "isd", "ISD: not in IMS", "import: not in IMS")))
    extra = pd.DataFrame({
        "source": "GSTR-2B only", "sheet": "", "excel_row": 0, "ref": 0, "doc_id": only["doc_id"].to_numpy(),
        "stin": only["stin"].to_numpy(), "trdnm": only["trdnm"].to_numpy(), "doc_no": only["doc_no"].to_numpy(),
        "doc_date": only["doc_date"].to_numpy(), "section2b": only["section2b"].to_numpy(),
        "treatment": only["part"].to_numpy(), "action": "", "check": [f"{AGREES} ({w})" for w in why_only],
        "changed_on": "", "books": st.astype(str).to_numpy(), "books_ok": st.isin(list(BOOKS_OK)).to_numpy(),
        "row_2b": rows_only, **{f"{h}_2b": amt[h] for h in HEADS}, "row_act": rows_only,
        **{f"{h}_act": amt[h] for h in HEADS},
    })
    out = pd.concat([ims, extra], ignore_index=True) if len(extra) else ims
    return out[list(RECORD_COLUMNS)]


def table4(records: pd.DataFrame, summary: dict | None = None) -> pd.DataFrame:
    """GSTR-3B Table 4 per basis: columns ``row``, ``basis``, the heads (paise), ``records``.

    Each 4A row and 4D(2) is the signed sum of the records traced to it: credit notes are
    netted in the row of their document and a negative net stays negative (GSTN advisory of
    17-02-2023, docs/GSTR3B_WORKING.md §2); GSTR-2B sends nothing to 4B(2); 4C = 4A - 4B.
    With the statement's own ``itcsumm`` a further basis, ``GSTR-2B summary``, gives the
    figures as the portal summed them (amendments there count only their difference).
    """
    out = []
    for basis in BASES:
        col = "row_act" if basis != "GSTR-2B" else "row_2b"
        suffix = "_act" if basis != "GSTR-2B" else "_2b"
        rec = records[records["books_ok"]] if basis == "Books" else records
        g = rec.groupby(col)[[f"{h}{suffix}" for h in HEADS]].sum()
        counts = rec.groupby(col).size()
        net = {r: [int(g.loc[r].iloc[j]) if r in g.index else 0 for j in range(len(HEADS))]
               for r in (*ROWS_4A, "4D(2)")}
        out += _rows(basis, net, {r: int(counts.get(r, 0)) for r in net})
    if summary:
        out += _rows(SUMMARY_BASIS, summary_figures(summary), {})
    return pd.DataFrame(out)


def _rows(basis: str, net: dict[str, list[int]], counts: dict[str, int]) -> list[dict]:
    b2 = [0] * len(HEADS)
    c = [sum(net[r][j] for r in ROWS_4A) - b2[j] for j in range(len(HEADS))]
    out = []
    for r, _ in TABLE4:
        vals = net.get(r) or (b2 if r == "4B(2)" else c)
        out.append({"row": r, "basis": basis, **dict(zip(HEADS, vals)), "records": counts.get(r, 0)})
    return out


SUMMARY_BASIS = "GSTR-2B summary"
_SUMMARY_HEADS = (("igst", "iamt"), ("cgst", "camt"), ("sgst", "samt"), ("cess", "cess"))


def summary_figures(summary: dict) -> dict[str, list[int]]:
    """Table 4 from the statement's ``itcsumm`` (docs/GSTR3B_WORKING.md, the mapping table):
    a category's own totals, credit notes (``othersup``) subtracted from their row."""
    from ..money import AmountError, paise_from_json

    def low(d: object) -> dict:
        return {str(k).lower(): v for k, v in d.items()} if isinstance(d, dict) else {}

    def heads(d: object) -> list[int]:
        d = low(d)
        vals = []
        for k, _ in _SUMMARY_HEADS:
            try:
                vals.append(paise_from_json(d[k]) if d.get(k) not in (None, "") else 0)
            except AmountError:
                vals.append(0)
        return vals

    def minus(a: list[int], *bs: list[int]) -> list[int]:
        return [x - sum(b[j] for b in bs) for j, x in enumerate(a)]

    s = low(summary)
    avl, unavl = low(s.get("itcavl")), low(s.get("itcunavl"))
    oth = low(avl.get("othersup"))
    none = [0] * len(HEADS)
    un_oth = heads(unavl.get("othersup")) if unavl.get("othersup") else none
    return {
        "4A(1)": heads(avl.get("imports")),
        "4A(2)": none,
        "4A(3)": minus(heads(avl.get("revsup")), heads(oth.get("cdnrrev")), heads(oth.get("cdnrarev"))),
        "4A(4)": minus(heads(avl.get("isdsup")), heads(oth.get("isd")), heads(oth.get("isda"))),
        "4A(5)": minus(heads(avl.get("nonrevsup")), heads(oth.get("cdnr")), heads(oth.get("cdnra"))),
        "4D(2)": minus([sum(v) for v in zip(*(heads(unavl.get(k)) for k in
                                               ("nonrevsup", "isdsup", "revsup", "imports")))], un_oth),
    }


def recompute_difference(records: pd.DataFrame) -> dict[str, int]:
    """The ITC (per head, paise) a recompute of GSTR-2B would move: your actions minus
    GSTR-2B, over the records whose action changed after the 2B was generated, in the rows of
    ITC available (4A): ITC not available (4D(2)) is shown, never claimed (Notification
    14/2022, Table 4 instructions), so a change there moves no ITC."""
    r = records[records["check"].astype(str).str.startswith(RECOMPUTE)]
    act = r["row_act"].astype(str).str.startswith("4A").to_numpy()
    in_2b = r["row_2b"].astype(str).str.startswith("4A").to_numpy()
    return {h: int(r[f"{h}_act"].to_numpy()[act].sum() - r[f"{h}_2b"].to_numpy()[in_2b].sum()) for h in HEADS}


#: Table 4 rows whose mapping is uncertain or partial (docs/GSTR3B_WORKING.md, "Where the rules
#: are uncertain"): said on the sheet beside the figures.
ROW_NOTES: dict[str, str] = {
    "4A(2)": "GSTR-2B holds no import of services: declare it from your books (reverse charge paid)",
    "4B(2)": "nothing from GSTR-2B since January 2023: credit notes are netted in 4A and a negative "
             "4A stays negative (GSTN advisory 17-02-2023); your own reversals (rules 38, 42, 43, "
             "s.17(5)) go in 4B(1)",
    "4A(5)": "net of credit notes (may be negative); an accepted credit note takes back the ITC "
             "reduction answered in the workbook (its declared amounts, or none when the answer is No)",
    "4A(3)": "net of reverse-charge credit notes; the tax is also payable in 3.1(d)",
    "4D(2)": "records GSTR-2B marks ITC not available (section 16(4) time limit, place of supply)",
}
_ORDER = {RECOMPUTE: 0, DIFFERS: 1, NOT_IN_2B: 2}


def _rs(paise: int) -> float:
    return paise / 100


def gstr2b_grid(records: pd.DataFrame, info: dict[str, str]) -> list[list[object]]:
    """The ``GSTR-2B`` sheet: the statement, whether a recompute is needed, and one row per
    record (disagreements first), each with the Table 4 row it lands in on either basis."""
    diff = recompute_difference(records)
    n_re = int(records["check"].astype(str).str.startswith(RECOMPUTE).sum())
    grid: list[list[object]] = [
        ["GSTR-2B of", info.get("gstin", ""), "Return period", info.get("period", ""), "Generated on",
         info.get("generated", ""), "File", info.get("source", "")],
        ["Recompute needed", (f"Yes: {n_re:,} record(s) changed action after GSTR-2B was generated; "
                              "recompute GSTR-2B on the portal before filing GSTR-3B. ITC it moves: "
                              + ", ".join(f"{nm} {_rs(diff[h]):,.2f}" for nm, h in zip(HEAD_NAMES, HEADS)))
         if n_re else "No"],
        [],
        ["Source", "Sheet", "Row", "GSTIN of supplier", "Trade/Legal name", "Document number", "Document date",
         "GSTR-2B section", "In GSTR-2B", "Your action", "GSTR-2B check", "Action changed on", "Books",
         "3B row (GSTR-2B)", *(f"{nm} (GSTR-2B)" for nm in HEAD_NAMES),
         "3B row (your actions)", *(f"{nm} (your actions)" for nm in HEAD_NAMES)],
    ]
    key = records["check"].astype(str).map(lambda c: next((v for k, v in _ORDER.items() if c.startswith(k)), 3))
    recs = records.assign(_k=key).sort_values(["_k", "source", "sheet", "excel_row", "doc_id"], kind="stable")
    for r in recs.itertuples(index=False):
        grid.append([r.source, r.sheet, int(r.excel_row) or "", r.stin, r.trdnm, r.doc_no, r.doc_date, r.section2b,
                     r.treatment, r.action, r.check, r.changed_on, r.books, r.row_2b,
                     *(_rs(int(getattr(r, f"{h}_2b"))) for h in HEADS), r.row_act,
                     *(_rs(int(getattr(r, f"{h}_act"))) for h in HEADS)])
    return grid


def gstr3b_grid(table: pd.DataFrame, info: dict[str, str]) -> list[list[object]]:
    """The ``GSTR-3B ITC`` sheet: Table 4 per basis, the differences, and where each comes from."""
    grid: list[list[object]] = [
        ["GSTR-3B Table 4 (ITC) working", "Return period", info.get("period", ""), "GSTR-2B generated on",
         info.get("generated", "")],
        ["Amounts in rupees. GSTR-2B: Table 4 as the portal fills it from this GSTR-2B. Your actions: after "
         "recomputing GSTR-2B with the actions in this workbook. Books: the part of 'Your actions' your "
         "purchase register holds (matched records). Each figure is the sum of the records on the GSTR-2B "
         "sheet with that '3B row'. GSTR-2B summary: the statement's own totals (itcsumm), when it has "
         "them (docs/GSTR3B_WORKING.md)."],
        [],
        ["Table 4 row", "Description", "Basis", *HEAD_NAMES, "Total", "Records", "Note"],
    ]
    desc = dict(TABLE4)
    t = table.set_index(["row", "basis"])
    for r, d in TABLE4:
        bases = [b for b in (*BASES, SUMMARY_BASIS) if (r, b) in t.index]
        vals = {b: [int(t.loc[(r, b), h]) for h in HEADS] for b in bases}
        for b in bases:
            v = vals[b]
            grid.append([r, desc[r], b, *(_rs(x) for x in v), _rs(sum(v)), int(t.loc[(r, b), "records"]),
                         ROW_NOTES.get(r, "") if b == "GSTR-2B" else ""])
        pairs = [("Difference: your actions - GSTR-2B", "Your actions", "GSTR-2B"),
                 ("Difference: books - your actions", "Books", "Your actions")]
        if SUMMARY_BASIS in vals:
            pairs.append(("Difference: GSTR-2B summary - its documents (amendments count only their "
                          "change in the summary)", SUMMARY_BASIS, "GSTR-2B"))
        for label, a, b in pairs:
            v = [x - y for x, y in zip(vals[a], vals[b])]
            grid.append([r, desc[r], label, *(_rs(x) for x in v), _rs(sum(v)), "", ""])
    return grid


def table4_csv_rows(table: pd.DataFrame) -> list[list[str]]:
    """Table 4 as CSV rows (``--3b``): exact rupees as text, never a float."""
    desc = dict(TABLE4)
    out = [["row", "description", "basis", "igst", "cgst", "sgst", "cess", "total", "records"]]
    for rec in table.itertuples(index=False):
        v = [int(getattr(rec, h)) for h in HEADS]
        out.append([rec.row, desc[rec.row], rec.basis, *(_rupee_text(x) for x in v), _rupee_text(sum(v)),
                    str(int(rec.records))])
    return out


def _rupee_text(paise: int) -> str:
    sign = "-" if paise < 0 else ""
    return f"{sign}{abs(paise) // 100}.{abs(paise) % 100:02d}"
