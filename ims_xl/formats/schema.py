"""The upload (SAVE) file's contract, checked before anything is written (IMS_FORMAT §2).

:data:`UPLOAD_SCHEMA` is a JSON Schema (draft 2020-12) written from IMS_FORMAT.md §2.1-§2.3
(envelope, record fields, the ITC-reduction block) and §3 (V1, V4, V5, V9, V10, V12). It is a
plain dict: ``json.dumps(UPLOAD_SCHEMA)`` gives a schema any JSON Schema tool can use.

:func:`validate_upload` checks a document against it (plus the rules a schema cannot say: the
recipient GSTIN's check character, V6 and V7), and returns plain messages such as
``invdata.b2b[3].inum: the invoice number must be text ...``; an empty list means valid.

:func:`check_upload` proves each uploaded record is its downloaded record, changed only in
``action``, ``prev_status`` (which must be the downloaded status, V11), ``remarks`` and the
ITC-reduction fields (``ims-xl check-upload upload.json --against ims.json``).

Pure core: no file I/O; only ``jsonschema`` beyond the standard library and pandas.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import jsonschema
import numpy as np
from jsonschema import Draft202012Validator, ValidationError

from ..bulk import picked
from ..gstin import GOVT_RE, NORMAL_RE, gstin_problem
from .ims_json import ImsDownload, read_json_bytes, record_key
from ..model import (AMOUNT_KEYS, DECL_CAP, DECL_KEYS, NOT_SENT_KEYS, REMARKS_MAX_LEN, SECTION_BY_KEY,
                    SECTIONS)

# ---------------------------------------------------------------- the schema

#: IMS_FORMAT §4.1: a normal taxpayer's or a government department's GSTIN (the recipient).
GSTIN_PATTERN = f"({NORMAL_RE.pattern})|({GOVT_RE.pattern})"
#: A supplier GSTIN as the portal gives it: 2 digits, then 13 capital letters or digits.
#: Looser than the recipient's on purpose: portal data is echoed, never judged on its checksum
#: (IMS_FORMAT §4.2); validation warns about it instead.
STIN_PATTERN = "^[0-9]{2}[0-9A-Z]{13}$"
DATE_PATTERN = "^(0[1-9]|[12][0-9]|3[01])-(0[1-9]|1[0-2])-[0-9]{4}$"
RTNPRD_PATTERN = "^(0[1-9]|1[0-2])[0-9]{4}$"
#: ITC-reduction keys (V4): only on these sections, only with Accept.
ITC_KEYS: tuple[str, ...] = ("itcRedReq", *DECL_KEYS)
ITC_SECTIONS: tuple[str, ...] = tuple(s.key for s in SECTIONS if s.itc_reduction)
#: Keys of a downloaded record never sent on SAVE (IMS_FORMAT §2.2), forbidden in the upload.
FORBIDDEN_KEYS: tuple[str, ...] = ("hash", "srcfilstatus", "ispendactblocked", "ispendactnallwd",
                                   "isRemarksBlocked", "isItcRedReqBlocked", "itcRedReqBlocked",
                                   "tradenm", "error_msg")
#: Keys a SAVE record may carry with values different from the download (check_upload).
CHANGEABLE_KEYS: frozenset[str] = frozenset({"action", "prev_status", "remarks", *ITC_KEYS})
ACTIONS = ["A", "R", "P", "N"]
#: What a blocked flag of the download forbids in that record's upload (IMS_FORMAT §3 V2, V4,
#: V9), as ``(records-frame column, download key, validation code, forbids(record, status))``.
#: The column is the flag as the download reader reads it (older spellings included), the
#: code the one validation reports for the same refusal (review/checks.py CODES, README
#: "Validation"): what validate passes and export sends never carries these, so an upload
#: that does was not written by export, and the portal refuses it.
BLOCKED_RULES: tuple = (
    # V2 (and V3 through it): as check_actions, only a change to Pending counts
    ("pend_blocked", "ispendactblocked", "pending-blocked",
     lambda rec, status: rec.get("action") == "P" and status != "P"),
    # V9: export never writes remarks where they are blocked (review/upload.py upload_record)
    ("remarks_blocked", "isRemarksBlocked", "remarks-not-sent", lambda rec, status: "remarks" in rec),
    # V4: export never writes the ITC-reduction block where it is blocked (review/upload.py itc_block)
    ("itc_blocked", "isItcRedReqBlocked", "itc-reduction-blocked",
     lambda rec, status: any(k in rec for k in ("itcRedReq", *DECL_KEYS))),
)
#: Decimal(15, 2) (IMS_FORMAT §2.2): 13 digits before the point.
AMOUNT_LIMIT = 9999999999999.99


def _text(desc: str, max_length: int | None = None, pattern: str | None = None) -> dict:
    s: dict = {"type": "string", "description": desc}
    if max_length is not None:
        s["minLength"] = 1
        s["maxLength"] = max_length
    if pattern is not None:
        s["pattern"] = pattern
    return s


def _amount(name: str, minimum: float = -AMOUNT_LIMIT) -> dict:
    # multipleOf on floats misbehaves in plain jsonschema (4049.76 / 0.01 is not an integer in
    # binary); validate_upload's validator checks it on the decimal text instead (_multiple_of).
    return {"type": "number", "multipleOf": 0.01, "minimum": minimum, "maximum": AMOUNT_LIMIT,
            "description": "a JSON number with at most 2 decimals (Decimal(15, 2))"
                           + (", 0 or more" if minimum == 0 else "")}


def _not_sent(why: str) -> dict:
    return {"not": {}, "description": why}


def _section_schema(key: str) -> dict:
    sec = SECTION_BY_KEY[key]
    word = "invoice" if sec.num_key == "inum" else "note"
    props: dict = {
        "stin": _text("the supplier GSTIN: text of 15 capital letters and digits", pattern=STIN_PATTERN),
        sec.num_key: _text(f"the {word} number: text (a JSON string even if all digits, V12), "
                           "1 to 16 characters", 16),
        sec.date_key: _text(f"the {word} date: text dd-mm-yyyy", pattern=DATE_PATTERN),
        "srcform": _text("the source return (srcform): text of 1 to 6 characters", 6),
        "rtnprd": _text("the supplier's return period: text MMYYYY", pattern=RTNPRD_PATTERN),
        "pos": _text("the place of supply: a 2-digit state code as text", pattern="^[0-9]{2}$"),
        "action": {"enum": ACTIONS, "description": "the action: one of A, R, P, N (V1)"},
        "prev_status": {"enum": ACTIONS, "description": "the previous status: the downloaded action, "
                        "one of A, R, P, N (V11)"},
        "remarks": {"type": "string", "maxLength": REMARKS_MAX_LEN,
                    "description": f"remarks: text of at most {REMARKS_MAX_LEN} characters (V10)"},
        **{k: _amount(k) for k in AMOUNT_KEYS},
        **{k: _not_sent(f"'{k}' is not sent on SAVE (IMS_FORMAT §2.2); remove it") for k in FORBIDDEN_KEYS},
    }
    required = ["stin", sec.num_key, sec.date_key, "srcform", "rtnprd", "pos", *AMOUNT_KEYS,
                "action", "prev_status"]
    if sec.orig_num_key:
        props[sec.orig_num_key] = _text(f"the original {word} number: text, 1 to 16 characters", 16)
        props[sec.orig_date_key] = _text(f"the original {word} date: text dd-mm-yyyy", pattern=DATE_PATTERN)
        required[3:3] = [sec.orig_num_key, sec.orig_date_key]
    if sec.has_inv_typ:
        props["inv_typ"] = _text("the invoice type: text of 1 to 15 characters (R for regular)", 15)
        required.insert(3, "inv_typ")
    schema: dict = {"type": "object", "required": required, "properties": props,
                    # Unknown keys of the download are echoed as they came (README "The upload
                    # JSON"; IMS_FORMAT §1.3 "and perhaps others"), so other keys are allowed.
                    "additionalProperties": True}
    rules: list[dict] = [
        # only changed records are uploaded (ADV-658): the action differs from the status
        {"if": {"properties": {"action": {"const": a}}, "required": ["action"]},
         "then": {"properties": {"prev_status": {"not": {"const": a}, "description":
                  "action equals prev_status: an unchanged record is not uploaded"}}}}
        for a in ACTIONS
    ]
    rules.append({"if": {"required": ["remarks"]},
                  "then": {"properties": {"action": {"enum": ["R", "P"], "description":
                           "remarks are sent only with Reject (R) or Pending (P) (V9)"}}}})
    schema["allOf"] = rules
    if sec.itc_reduction:
        props["itcRedReq"] = {"enum": ["Y", "N"], "description": "itcRedReq: Y or N (IMS_FORMAT §2.3)"}
        for k in DECL_KEYS:
            props[k] = _amount(k, minimum=0)
        schema["dependentSchemas"] = {
            "itcRedReq": {"properties": {"action": {"const": "A", "description":
                          "the ITC-reduction answer is sent only with Accept (V4)"}}},
            **{k: {"properties": {"itcRedReq": {"const": "Y", "description":
                   "declared ITC-reduction amounts need itcRedReq Y (V5)"}},
                   "required": ["itcRedReq", *DECL_KEYS]} for k in DECL_KEYS},
        }
    else:
        for k in ITC_KEYS:
            props[k] = _not_sent(f"'{k}' is not allowed on {key}: ITC reduction applies only to "
                                 f"{', '.join(ITC_SECTIONS)} (V4)")
    return schema


UPLOAD_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://ims-xl.invalid/schema/ims-save-upload.json",
    "title": "GST IMS offline upload (SAVE)",
    "description": "Written from ims-xl's IMS_FORMAT.md §2.1-§2.3 and §3.",
    "type": "object",
    "required": ["rtin", "reqtyp", "invdata"],
    "additionalProperties": False,
    "properties": {
        "rtin": _text("the recipient GSTIN (your GSTIN): 15 characters, normal or government pattern",
                      pattern=GSTIN_PATTERN),
        "reqtyp": {"const": "SAVE", "description": "reqtyp must be SAVE"},
        "invdata": {
            "type": "object",
            "description": "invdata: the sections with changed records",
            "propertyNames": {"enum": [s.key for s in SECTIONS],
                              "description": "a section key: one of " + ", ".join(s.key for s in SECTIONS)},
            "properties": {s.key: {"type": "array", "minItems": 1,
                                   "description": f"{s.key}: a non-empty list of records (empty sections are left out)",
                                   "items": {"$ref": f"#/$defs/{s.key}"}} for s in SECTIONS},
        },
    },
    "$defs": {s.key: _section_schema(s.key) for s in SECTIONS},
}


def _multiple_of(validator, dB, instance, schema):
    """``multipleOf`` on the decimal text of the number, exactly (a float prints as its
    shortest round-tripping text, which is what the JSON file holds)."""
    if not validator.is_type(instance, "number"):
        return
    try:
        q = Decimal(str(instance)) / Decimal(str(dB))
        bad = not q.is_finite() or q != q.to_integral_value()
    except (InvalidOperation, ValueError, OverflowError):
        bad = True
    if bad:
        yield ValidationError(f"{instance!r} is not a multiple of {dB}")


_Validator = jsonschema.validators.extend(Draft202012Validator, {"multipleOf": _multiple_of})
# the schema is a constant: tests/test_schema.py checks it against the meta-schema, so no
# command pays that check (0.4 s) at start-up
_VALIDATOR = _Validator(UPLOAD_SCHEMA)


# ---------------------------------------------------------------- messages

NOT_AN_UPLOAD = ("the upload must be a JSON object with rtin, reqtyp and invdata, as ims-xl export "
                 "writes it (IMS_FORMAT §2.1)")


def _path(parts) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(the document)"


def _short(v: object) -> str:
    if isinstance(v, str):
        return repr(v if len(v) <= 40 else v[:37] + "...")
    if isinstance(v, bool) or v is None:
        return {True: "true", False: "false", None: "null"}[v]
    if isinstance(v, (int, float, Decimal)):
        return f"number {v}"
    if isinstance(v, list):
        return f"a list of {len(v)}"
    if isinstance(v, dict):
        return "an object"
    return type(v).__name__


def _message(err: ValidationError) -> str:
    path = list(err.absolute_path)
    if err.validator == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        return f"{_path(path)}: the key '{missing}' is missing"
    if err.validator == "dependentRequired":
        return f"{_path(path)}: {err.message}"
    if err.validator == "additionalProperties":
        return f"{_path(path)}: only rtin, reqtyp and invdata belong in the envelope ({err.message})"
    if err.validator == "propertyNames":
        return f"{_path(path)}: {_short(err.instance)} is not a section; use " + \
            ", ".join(s.key for s in SECTIONS)
    if err.validator == "minItems":
        return f"{_path(path)}: an empty section; leave it out"
    if not path and err.validator == "type":  # the root's description says where the schema came from
        return f"{_path(path)}: {NOT_AN_UPLOAD}; found {_short(err.instance)}"
    desc = err.schema.get("description") if isinstance(err.schema, dict) else None
    if desc:
        return f"{_path(path)}: {desc}; found {_short(err.instance)}"
    return f"{_path(path)}: {err.message}"


def _sort_key(err: ValidationError) -> tuple:
    return tuple((0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in err.absolute_path)


def _semantic(doc: dict) -> list[str]:
    """Rules a JSON Schema cannot state: the recipient's check character, V6, V7."""
    out: list[str] = []
    rtin = doc.get("rtin")
    if isinstance(rtin, str) and (NORMAL_RE.match(rtin) or GOVT_RE.match(rtin)):
        problem = gstin_problem(rtin)
        if problem:
            out.append(f"rtin: {problem}")
    invdata = doc.get("invdata")
    if not isinstance(invdata, dict):
        return out
    for key in ITC_SECTIONS:
        recs = invdata.get(key)
        if not isinstance(recs, list):
            continue
        for i, r in enumerate(recs):
            out += [f"invdata.{key}[{i}].{k}: {m}" for k, m in _record_semantic(r)]
    return out


def _record_semantic(r: object) -> list[tuple[str, str]]:
    """V6 and V7 on one record of a specified-record section: (key, message) pairs."""
    if not isinstance(r, dict) or "declIgst" not in r:
        return []
    dec = {}
    for k in (*DECL_KEYS, *DECL_CAP.values()):
        v = r.get(k)
        if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
            try:
                dec[k] = Decimal(str(v))
            except InvalidOperation:
                pass
    out: list[tuple[str, str]] = []
    if "declCgst" in dec and "declSgst" in dec and dec["declCgst"] != dec["declSgst"]:
        out.append(("declCgst", f"declared CGST {r['declCgst']} must equal declared SGST {r['declSgst']} (V7)"))
    for k, cap in DECL_CAP.items():
        if k in dec and cap in dec and dec[k] > abs(dec[cap]):
            out.append((k, f"{r[k]} is more than the note's {cap} {r[cap]} (V6)"))
    return out


def record_problems(section: str, rec: dict) -> list[tuple[str, str, str]]:
    """Every reason the upload contract refuses one record of ``section``.

    The same schema and rules as :func:`validate_upload`, for one record, so validation can
    report each refusal at its sheet, row and column before export is tried.

    Returns:
        ``(key, kind, message)`` triples: ``key`` the record's JSON key at fault ("" for the
        record as a whole), ``kind`` the JSON Schema keyword (``required``, ``pattern`` ...)
        or ``rule`` for V6/V7; empty when the record may be sent.
    """
    out: list[tuple[str, str, str]] = []
    if not _FAST[section](rec):
        for e in _SECTION_VALIDATORS[section].iter_errors(rec):
            path = list(e.absolute_path)
            key = str(path[0]) if path else ""
            if e.validator == "required":
                key = e.message.split("'")[1] if "'" in e.message else ""
            desc = e.schema.get("description") if isinstance(e.schema, dict) else None
            out.append((key, str(e.validator), desc or e.message))
    out += [(k, "rule", m) for k, m in _record_semantic(rec)]
    return out


#: Up to this many records jsonschema checks every record itself (about 0.8 ms a record).
FULL_CHECK_RECORDS = 2000


def _records(doc: object) -> list[tuple[str, int, dict]]:
    inv = doc.get("invdata") if isinstance(doc, dict) else None
    if not isinstance(inv, dict):
        return []
    return [(k, i, r) for k, recs in inv.items() if k in SECTION_BY_KEY and isinstance(recs, list)
            for i, r in enumerate(recs)]


def validate_upload(doc: object, records_checked: bool = False) -> list[str]:
    """Check an upload document (as parsed from JSON, floats or Decimals) against
    :data:`UPLOAD_SCHEMA` and the rules a schema cannot state.

    Up to :data:`FULL_CHECK_RECORDS` records, jsonschema validates the whole document. Above
    that (jsonschema alone would take 80 s for 100,000 records), jsonschema validates the
    envelope with the first record of each section, a checker compiled from the same schema
    dict (:func:`compile_schema`, proven to give jsonschema's verdict by tests/test_schema.py)
    checks every record, and jsonschema explains each record the compiled checker refuses.

    ``records_checked``: every record was already checked by :func:`record_problems` (the
    same schema and rules) and the caller proved the document carries exactly those records;
    the envelope, the first record of each section and the document's rules are still checked.

    Returns:
        Plain messages, each starting with the JSON path (``invdata.b2b[3].inum: ...``),
        in document order; empty when the upload is valid.
    """
    records = _records(doc)
    if records_checked:
        records = []
    if len(records) <= FULL_CHECK_RECORDS and not records_checked:
        errors = list(_VALIDATOR.iter_errors(doc))
    else:
        head = dict(doc)
        head["invdata"] = {k: (v[:1] if isinstance(v, list) and k in SECTION_BY_KEY else v)
                           for k, v in doc["invdata"].items()}
        errors = [e for e in _VALIDATOR.iter_errors(head)
                  if not (len(e.absolute_path) > 2 and e.absolute_path[0] == "invdata")]
        for key, i, rec in records:
            if _FAST[key](rec):
                continue
            errs = list(_SECTION_VALIDATORS[key].iter_errors(rec))
            if not errs:  # pragma: no cover - the compiled checker disagrees with jsonschema
                raise AssertionError(f"invdata.{key}[{i}]: compiled check and jsonschema disagree")
            for e in errs:
                e.path.extendleft(reversed(["invdata", key, i]))
            errors += errs
    msgs = list(dict.fromkeys(_message(e) for e in sorted(errors, key=_sort_key)))
    if isinstance(doc, dict):
        msgs += _semantic(doc)
    return msgs


# ---------------------------------------------------------------- a compiled checker

_ANNOTATIONS = frozenset({"description", "title", "$schema", "$id", "$defs", "$comment"})
_TYPES = {
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, (int, float, Decimal)) and not isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
}


def _is_num(v: object) -> bool:
    return isinstance(v, (int, float, Decimal)) and not isinstance(v, bool)


def _multiple_fast(m: float):
    """A fast ``multipleOf`` for m = 0.01 (the amounts); the exact general rule otherwise."""
    if m != 0.01:
        return lambda v: not any(_multiple_of(_VALIDATOR, m, v, {}))

    def check(v: object) -> bool:
        if isinstance(v, int) or not _is_num(v):
            return True
        if isinstance(v, float):
            t = repr(v)
            if "e" not in t and "n" not in t:
                dot = t.find(".")  # repr is the shortest text: no trailing zeros but "x.0"
                return dot < 0 or len(t) - dot - 1 <= 2
        return not any(_multiple_of(_VALIDATOR, m, v, {}))
    return check


def _num(x: str) -> str:
    """:func:`_is_num` of ``x`` written inline (a function call per amount cost a third of a
    record's check)."""
    return f"(type({x}) in _NUMT or (isinstance({x}, _NUM) and not isinstance({x}, bool)))"


class _Source:
    """Python source of one boolean expression per schema, and the objects it names."""

    def __init__(self, root: dict) -> None:
        self.root = root
        self.names: dict[str, object] = {"_MISSING": _MISSING, "_is_num": _is_num, "Decimal": Decimal,
                                         "_NUM": (int, float, Decimal), "_NUMT": frozenset({int, float})}
        self.refs: dict[str, str] = {}
        self.count = 0

    def name(self, obj: object) -> str:
        self.count += 1
        n = f"_k{self.count}"
        self.names[n] = obj
        return n

    def var(self) -> str:
        self.count += 1
        return f"_v{self.count}"

    def function(self, schema: object) -> str:
        """The name of a function checking ``schema`` (for values inside a comprehension)."""
        return self.name(_function(self, schema))

    def expr(self, schema: object, x: str, known: str | None = None) -> str:  # noqa: C901 - a branch per keyword
        """``known``: the type of ``x`` when an enclosing schema has tested it already (its
        type test comes first in its conjunction, so nothing after it runs otherwise)."""
        if schema is True or schema == {}:
            return "True"
        if schema is False:
            return "False"
        if not isinstance(schema, dict):
            raise ValueError(f"not a schema: {schema!r}")
        checks: list[str] = []
        obj: list[str] = []  # checks that apply to objects only (the type is tested once)
        if schema.get("type") in _TYPES and schema["type"] != known:  # tested first: what follows needs no guard
            known = schema["type"]
            checks.append({"string": f"isinstance({x}, str)", "object": f"isinstance({x}, dict)",
                           "array": f"isinstance({x}, list)", "number": _num(x)}[known])
        str_only = "" if known == "string" else f"not isinstance({x}, str) or "
        num_only = "" if known == "number" else f"not {_num(x)} or "
        for kw, arg in schema.items():
            if kw in _ANNOTATIONS or kw == "then":
                continue
            if kw == "type":
                if arg not in _TYPES:
                    raise ValueError(f"type {arg!r} is not supported by compile_schema")
            elif kw == "pattern":
                checks.append(f"({str_only}{self.name(re.compile(arg).search)}({x}) is not None)")
            elif kw == "minLength":
                checks.append(f"({str_only}len({x}) >= {int(arg)})")
            elif kw == "maxLength":
                checks.append(f"({str_only}len({x}) <= {int(arg)})")
            elif kw in ("enum", "const"):
                members = arg if kw == "enum" else [arg]
                if not all(isinstance(m, str) for m in members):
                    raise ValueError(f"{kw} with non-text members is not supported")
                checks.append(f"(isinstance({x}, str) and {x} in {self.name(frozenset(members))})")
            elif kw == "minimum":
                checks.append(f"({num_only}{x} >= {self.name(arg)})")
            elif kw == "maximum":
                checks.append(f"({num_only}{x} <= {self.name(arg)})")
            elif kw == "multipleOf":  # an int is a multiple of 0.01 (the amounts): no call for it
                checks.append(f"{self.name(_multiple_fast(arg))}({x})" if arg != 0.01
                              else f"(type({x}) is int or {self.name(_multiple_fast(arg))}({x}))")
            elif kw == "required":
                obj.append("(" + " and ".join(f"{k!r} in {x}" for k in arg) + ")" if arg else "True")
            elif kw == "properties":
                for k, sub in arg.items():
                    t = self.var()
                    e = self.expr(sub, t)
                    if e == "False":  # a key that must be absent (not sent on SAVE)
                        obj.append(f"({k!r} not in {x})")
                    else:
                        obj.append(f"(({t} := {x}.get({k!r}, _MISSING)) is _MISSING or {e})")
            elif kw == "additionalProperties":
                if arg is True:
                    continue
                if arg is not False:
                    raise ValueError("additionalProperties must be true or false here")
                names = self.name(frozenset(schema.get("properties", {})))
                obj.append(f"all(_a in {names} for _a in {x})")
            elif kw == "propertyNames":
                obj.append(f"all({self.function(arg)}(_a) for _a in {x})")
            elif kw == "items":
                checks.append(f"(not isinstance({x}, list) or all({self.function(arg)}(_a) for _a in {x}))")
            elif kw == "minItems":
                checks.append(f"(not isinstance({x}, list) or len({x}) >= {int(arg)})")
            elif kw == "not":
                sub = self.expr(arg, x, known)
                checks.append("False" if sub == "True" else f"(not {sub})")
            elif kw == "allOf":
                checks.append("(" + " and ".join(self.expr(sub, x, known) for sub in arg) + ")" if arg else "True")
            elif kw == "if":
                checks.append(f"(not {self.expr(arg, x, known)} or {self.expr(schema.get('then', True), x, known)})")
            elif kw == "dependentSchemas":
                for k, sub in arg.items():
                    obj.append(f"({k!r} not in {x} or {self.expr(sub, x, known)})")
            elif kw == "$ref":
                if not arg.startswith("#/$defs/"):
                    raise ValueError(f"$ref {arg!r} is not supported")
                name = arg[len("#/$defs/"):]
                if name not in self.refs:  # compiled when first used: a definition may refer to itself
                    self.refs[name] = self.name(_Lazy(self, self.root["$defs"][name]))
                checks.append(f"{self.refs[name]}({x})")
            else:
                raise ValueError(f"keyword {kw!r} is not supported by compile_schema")
        if obj:
            checks.append("(" + ("" if known == "object" else f"not isinstance({x}, dict) or ")
                          + "(" + " and ".join(obj) + "))")
        if "False" in checks:  # a schema nothing passes ("not": {}), whatever else it says
            return "False"
        return "(" + " and ".join(checks) + ")" if checks else "True"


_MISSING = object()


class _Lazy:
    """A ``$ref`` target, compiled on its first call."""

    def __init__(self, source: _Source, schema: object) -> None:
        self.source, self.schema, self.check = source, schema, None

    def __call__(self, v: object) -> bool:
        if self.check is None:
            self.check = _function(self.source, self.schema)
        return self.check(v)


def _function(source: _Source, schema: object):
    body = source.expr(schema, "v")
    code = compile(f"def check(v):\n    return bool({body})\n", "<compiled schema>", "exec")
    exec(code, source.names)  # noqa: S102 - source built above from the schema's keywords only
    return source.names.pop("check")


def compile_schema(schema: object, root: dict | None = None):
    """Compile a JSON Schema that uses only the keywords of :data:`UPLOAD_SCHEMA` into a
    fast ``check(instance) -> bool`` with jsonschema's semantics (``multipleOf`` exact on
    the decimal text, as :data:`_Validator` does).

    The schema becomes the source of one Python function, one boolean expression with every
    keyword inlined (a record's fields looked up once each), so that checking a record costs
    a few microseconds. Property names reach the source as Python literals (``repr``); every
    other value of the schema (patterns, members, bounds) is passed as a named object.

    Raises:
        ValueError: the schema uses a keyword this compiler does not know.
    """
    return _function(_Source(root if root is not None else schema), schema)


_FAST = {s.key: compile_schema(UPLOAD_SCHEMA["$defs"][s.key], UPLOAD_SCHEMA) for s in SECTIONS}
_SECTION_VALIDATORS = {s.key: _Validator(UPLOAD_SCHEMA["$defs"][s.key]) for s in SECTIONS}


# ---------------------------------------------------------------- many records at once

#: Keywords a section schema's rules beside ``properties`` may use for :func:`records_problems`
#: to read them per shape of record: what they test is which keys a record has and, through
#: nested ``properties``, the values of a few keys (``action``, ``prev_status``, ``itcRedReq``).
_SHAPE_KEYWORDS = frozenset({"type", "required", "allOf", "if", "then", "not", "dependentSchemas"})
#: Fewer records than this are checked one by one (the column pass has a fixed cost).
COLUMN_MIN_RECORDS = 64


def _shape_refs(schema: object, out: set[str]) -> bool:
    """Add to ``out`` the keys whose values ``schema`` (applied to a record) reads through
    nested ``properties``; False when it uses a keyword that reads anything else."""
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict):
        return False
    for kw, arg in schema.items():
        if kw in _ANNOTATIONS or kw in ("type", "required"):
            continue
        if kw == "properties":
            out.update(arg)
        elif kw == "allOf":
            if not all(_shape_refs(sub, out) for sub in arg):
                return False
        elif kw in ("if", "then", "not"):
            if not _shape_refs(arg, out):
                return False
        elif kw == "dependentSchemas":
            if not all(_shape_refs(sub, out) for sub in arg.values()):
                return False
        else:
            return False
    return True


class _Columns:
    """A section schema split for :func:`records_problems`: ``shape``, the schema without its
    ``properties`` (compiled), reading only ``refs``' values; and each property's check."""

    def __init__(self, schema: dict, root: dict) -> None:
        refs: set[str] = set()
        rest = {k: v for k, v in schema.items() if k != "properties"}
        if (schema.get("type") != "object" or schema.get("additionalProperties", True) is not True
                or not set(rest) - _ANNOTATIONS - {"additionalProperties"} <= _SHAPE_KEYWORDS
                or not _shape_refs({k: v for k, v in rest.items() if k != "additionalProperties"}, refs)):
            raise ValueError("the schema does not split into shape and properties")
        self.shape = compile_schema(rest, root)
        self.refs = frozenset(refs)
        self.props = {k: compile_schema(sub, root) for k, sub in schema.get("properties", {}).items()}
        #: the bounds of the amount properties (a number, multipleOf 0.01, minimum, maximum)
        self.amounts = {k: (sub.get("minimum", -np.inf), sub.get("maximum", np.inf))
                        for k, sub in schema.get("properties", {}).items()
                        if isinstance(sub, dict) and sub.get("type") == "number" and sub.get("multipleOf") == 0.01
                        and set(sub) - _ANNOTATIONS <= {"type", "multipleOf", "minimum", "maximum"}}
        #: the length bounds of the text properties tested on their length alone (document numbers)
        self.lengths = {k: (sub.get("minLength", 0), sub.get("maxLength", np.inf))
                        for k, sub in schema.get("properties", {}).items()
                        if isinstance(sub, dict) and sub.get("type") == "string"
                        and set(sub) - _ANNOTATIONS <= {"type", "minLength", "maxLength"}}


_COLUMNS: dict[str, _Columns] = {}


def _amounts_ok(values: tuple, lo: float, hi: float) -> np.ndarray | None:
    """Which of ``values`` (ints and floats) surely pass an amount's schema: a number in
    [lo, hi] that is a multiple of 0.01. A float ``x`` with ``round(x * 100) / 100 == x`` (in
    floats, |x| < 1e15) is the double nearest to a decimal of at most 2 decimals, so its
    shortest text (what ``multipleOf`` is judged on, :func:`_multiple_of`) has at most 2
    decimals; a value failing this test is only doubted. None: not readable as floats."""
    try:
        a = np.array(values, dtype=float)
    except (OverflowError, ValueError, TypeError):
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        return (np.abs(a) < 1e15) & (np.round(a * 100) / 100 == a) & (a >= lo) & (a <= hi)


def records_problems(section: str, recs: list) -> dict[int, list[tuple[str, str, str]]]:
    """:func:`record_problems` of many records of ``section``: position -> problems, for the
    records that have any.

    Records are read column by column, as they repeat values (a few thousand GSTINs, a few
    hundred dates, one period): each distinct text is checked once against its property's
    compiled schema, the amounts at once with numpy, the rules between keys once per shape
    of record (its keys, in order, and the texts of the keys those rules read). A record any
    of this doubts, or that V6/V7 may concern (``declIgst``), goes to :func:`record_problems`
    itself, so the verdict and every message are its own (validation's contract check of the
    62,459 records uploaded from 100,000: 0.45 -> 0.30 s).
    """
    if len(recs) < COLUMN_MIN_RECORDS:
        out = {j: record_problems(section, r) for j, r in enumerate(recs)}
        return {j: p for j, p in out.items() if p}
    cols = _COLUMNS.get(section)
    if cols is None:
        cols = _COLUMNS[section] = _Columns(UPLOAD_SCHEMA["$defs"][section], UPLOAD_SCHEMA)
    doubt: list[int] = []
    if set(map(type, recs)) == {dict}:  # records of one shape found at once, by numbers
        keyed = list(map(tuple, recs))
        number = {k: n for n, k in enumerate(dict.fromkeys(keyed))}
        codes = np.fromiter(map(number.__getitem__, keyed), dtype=np.intp, count=len(keyed))
        groups = {k: np.flatnonzero(codes == n).tolist() for k, n in number.items()}
    else:
        groups = {}
        for j, r in enumerate(recs):
            if type(r) is dict:
                groups.setdefault(tuple(r), []).append(j)
            else:
                doubt.append(j)
    memo: dict[str, dict[str, bool]] = {}
    for keys, idx in groups.items():
        if not keys or "declIgst" in keys:  # _record_semantic reads only records with declIgst
            doubt += idx
            continue
        sub = list(map(recs.__getitem__, idx))
        columns = picked(sub, keys)  # each record's keys read together
        bad = np.zeros(len(idx), dtype=bool)
        # the rules between keys, once per distinct tuple of the texts they read
        at = [p for p, k in enumerate(keys) if k in cols.refs]
        if any(set(map(type, columns[p])) != {str} for p in at):
            doubt += idx
            continue
        shapes = list(zip(*(columns[p] for p in at))) if at else [()] * len(idx)
        first = dict(zip(reversed(shapes), range(len(shapes) - 1, -1, -1)))  # each one's first record
        failed = {s for s, n in first.items() if not cols.shape(sub[n])}
        if failed:
            bad |= np.fromiter((s in failed for s in shapes), dtype=bool, count=len(idx))
        # each property on its column
        for p, k in enumerate(keys):
            check = cols.props.get(k)
            if check is None:  # a key the schema does not name: allowed (additionalProperties)
                continue
            col = columns[p]
            types = set(map(type, col))
            if types == {str} and k in cols.lengths:
                lo, hi = cols.lengths[k]
                size = np.fromiter(map(len, col), dtype=np.intp, count=len(col))
                bad |= (size < lo) | (size > hi)
            elif types == {str}:
                seen = memo.setdefault(k, {})
                wrong = set()
                for v in set(col):
                    ok = seen.get(v)
                    if ok is None:
                        ok = seen[v] = check(v)
                    if not ok:
                        wrong.add(v)
                if wrong:
                    bad |= np.fromiter((v in wrong for v in col), dtype=bool, count=len(col))
            else:
                ok_all = None
                if k in cols.amounts and types <= {int, float}:
                    ok_all = _amounts_ok(col, *cols.amounts[k])
                if ok_all is None:
                    ok_all = np.fromiter((check(v) for v in col), dtype=bool, count=len(col))
                bad |= ~ok_all
        if bad.any():
            doubt += [idx[n] for n in np.flatnonzero(bad)]
    out = {}
    for j in sorted(doubt):
        problems = record_problems(section, recs[j])
        if problems:
            out[j] = problems
    return out


# ---------------------------------------------------------------- upload vs download

def _same(a: object, b: object) -> bool:
    """Equal as JSON values: numbers by exact decimal value, everything else by type and value."""
    ta, tb = type(a), type(b)
    if ta is tb and ta is not float:
        return a == b
    if ta is bool or tb is bool:
        return False
    num = (int, float, Decimal)
    if isinstance(a, num) and isinstance(b, num):
        try:
            return Decimal(str(a)) == Decimal(str(b))
        except InvalidOperation:
            return False
    if isinstance(a, num) or isinstance(b, num):
        return False
    return ta is tb and a == b


def _show(v: object) -> str:
    return _short(v) if not isinstance(v, (int, float, Decimal)) or isinstance(v, bool) else \
        f"{v} (number)"


def check_upload(upload: object, download: ImsDownload, titles: dict[str, str] | None = None) -> list[str]:
    """Prove that every uploaded record is its downloaded record.

    ``upload`` is one upload document, or a list of the parts of a split upload (checked
    together: a record in two parts is a duplicate; messages then start with ``part N:``).
    Each record of ``invdata`` is matched with the download by section, supplier GSTIN and
    document number (case and spaces ignored) and then by return period. It must hold
    exactly the downloaded record's sendable keys with equal values (numbers compared as
    exact decimals; an identifier must stay text), except ``action``, ``prev_status`` (which
    must equal the downloaded action, V11), ``remarks`` and the ITC-reduction keys; and it
    may not carry what the downloaded record's blocked flags forbid (:data:`BLOCKED_RULES`).

    ``titles``: validation code -> its title (review/checks.py CODES), to name the rule a
    blocked flag breaks; without it the code alone names it.

    Returns:
        One message per difference, per uploaded record missing from the download, per
        record uploaded twice, per blocked flag broken, and for a recipient GSTIN that
        differs from the download's; empty when the upload is proven.
    """
    parts = upload if isinstance(upload, list) else [upload]
    recs = download.records
    keys = (recs["section"].astype(str) + "|" + recs["stin"].astype(str).str.strip().str.upper() + "|"
            + recs["doc_no"].astype(str).str.strip().str.upper()).tolist()
    index: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        index.setdefault(k, []).append(i)
    statuses = recs["action"].tolist()
    flags = list(zip(*(recs[col].astype(bool).tolist() for col, *_ in BLOCKED_RULES)))
    blocked = (flags, titles or {})
    seen: dict[tuple[str, str], str] = {}
    msgs: list[str] = []
    for n, doc in enumerate(parts, start=1):
        prefix = f"part {n}: " if len(parts) > 1 else ""
        msgs += [prefix + m for m in _check_part(doc, download, index, statuses, seen, prefix, blocked)]
    return msgs


def _blocked(rec: dict, flags: tuple, status: str, titles: dict[str, str]) -> list[str]:
    """The blocked flags of the downloaded record that ``rec`` breaks (:data:`BLOCKED_RULES`)."""
    return [f"{titles.get(code, code)} [{code}: the download has {key} Y; the portal refuses this record]"
            for (_, key, code, forbids), on in zip(BLOCKED_RULES, flags) if on and forbids(rec, status)]


def _check_part(upload: object, download: ImsDownload, index: dict[str, list[int]], statuses: list[str],
                seen: dict[tuple[str, str], str], prefix: str,
                blocked: tuple[list[tuple], dict[str, str]]) -> list[str]:
    msgs: list[str] = []
    if not isinstance(upload, dict) or not isinstance(upload.get("invdata"), dict):
        return ["the upload has no 'invdata' object: it is not an IMS SAVE file"]
    rtin = upload.get("rtin")
    if download.rtin and isinstance(rtin, str) and rtin.strip().upper() != download.rtin:
        msgs.append(f"rtin: the upload is for {rtin}, the download for {download.rtin}")
    originals = download.originals
    for skey, items in upload["invdata"].items():
        sec = SECTION_BY_KEY.get(skey)
        if sec is None:
            msgs.append(f"invdata.{skey}: not an IMS section")
            continue
        if not isinstance(items, list):
            msgs.append(f"invdata.{skey}: not a list of records")
            continue
        for j, rec in enumerate(items):
            where = f"invdata.{skey}[{j}]"
            if not isinstance(rec, dict):
                msgs.append(f"{where}: not a record (an object)")
                continue
            stin, num, prd = rec.get("stin"), rec.get(sec.num_key), rec.get("rtnprd")
            label = f"{where} ({sec.num_key} {num!s} of {stin!s})"
            if not isinstance(stin, str) or not isinstance(num, str):
                msgs.append(f"{label}: stin and {sec.num_key} must be text to be matched")
                continue
            key = record_key(skey, stin, num)
            ident = (key, str(prd))
            if ident in seen:
                msgs.append(f"{label}: uploaded twice (also at {seen[ident]})")
                continue
            seen[ident] = prefix + where
            cands = index.get(key, [])
            if not cands:
                msgs.append(f"{label}: not in the download")
                continue
            same_prd = [i for i in cands if originals[i].get("rtnprd") == prd]
            if not same_prd:
                got = ", ".join(sorted({str(originals[i].get('rtnprd', '')) for i in cands}))
                msgs.append(f"{label}: return period {prd!s} differs from the download's ({got})")
                continue
            best, i = min(((_record_diffs(rec, originals[i], statuses[i]), i) for i in same_prd),
                          key=lambda d: len(d[0]))
            msgs += [f"{label}: {d}" for d in best]
            msgs += [f"{label}: {m}" for m in _blocked(rec, blocked[0][i], statuses[i], blocked[1])]
    return msgs


def _record_diffs(rec: dict, orig: dict, status: str) -> list[str]:
    out: list[str] = []
    expected = {k: v for k, v in orig.items() if k not in NOT_SENT_KEYS}
    for k, v in rec.items():
        if k in CHANGEABLE_KEYS:
            continue
        if k not in expected:
            why = "not sent on SAVE" if k in NOT_SENT_KEYS else "not in the downloaded record"
            out.append(f"{k}: {why} (uploaded {_show(v)})")
        elif not _same(v, expected[k]):
            out.append(f"{k}: uploaded {_show(v)}, downloaded {_show(expected[k])}")
    for k, v in expected.items():
        if k not in rec:
            out.append(f"{k}: missing (downloaded {_show(v)})")
    if rec.get("prev_status") != status:
        out.append(f"prev_status: uploaded {_show(rec.get('prev_status'))}, the downloaded status is "
                   f"'{status}' (the portal refuses a stale prev_status, IMSSAV0010)")
    return out


def check_upload_files(paths: list[str], download: ImsDownload,
                       titles: dict[str, str] | None = None) -> tuple[list[str], int]:
    """Check upload file(s) against the download they were made from: each against the
    upload contract, and together record by record (:func:`check_upload`, ``titles`` as there).

    Returns (problems, how many records the files upload).

    Raises:
        InputError: a file cannot be read, is empty, is not JSON, or is JSON but not an
            object (an upload is one object, IMS_FORMAT §2.1; a list is never read as parts).
    """
    from pathlib import Path
    from ..errors import InputError
    from .ims_json import _decode
    docs, problems = [], []
    for f in paths:
        p = Path(f)
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise InputError(f"{p}: cannot be read ({exc.strerror or exc})") from None
        # the reader would say to download it from the portal; an upload is made by export
        if not data.strip() or not _decode(data, p.name, "an upload JSON").strip():
            raise InputError(f"{p.name}: the file is empty; write the upload again with ims-xl export "
                             "(check-upload checks the upload JSON export writes)")
        doc = read_json_bytes(data, p.name, "an upload JSON")
        if not isinstance(doc, dict):
            raise InputError(f"{p.name}: not an upload: {NOT_AN_UPLOAD}; found {_short(doc)}")
        problems += [f"{p.name}: {m}" for m in validate_upload(doc)]
        docs.append(doc)
    problems += check_upload(docs if len(docs) > 1 else docs[0], download, titles)
    n = sum(len(v) for d in docs if isinstance(d, dict) for v in (d.get("invdata") or {}).values()
            if isinstance(v, list))
    return problems, n
