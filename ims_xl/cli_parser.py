"""The command line's arguments: one sub-command per action (``ims-xl COMMAND --help``).

Kept apart from ``cli`` so the commands read as: read inputs, call one action, write, report.
The docs test builds this parser to check every option the README shows.
"""

from __future__ import annotations

import argparse

from . import __version__
from .formats.register import FIELDS as FIELD_NAMES
from .registry import ACTION_BY_NAME


def _help(name: str) -> str:
    return ACTION_BY_NAME[name].help


def _register_options(s: argparse.ArgumentParser, default: str) -> None:
    """The options that say which registers to read and how (reconcile and run)."""
    s.add_argument("--books", action="append", metavar="REGISTER",
                   help="a purchase register: .csv, .xlsx, .xls, .xlsb or .ods, every sheet with a register "
                        "header unless --sheet names one; repeat for registers kept in several files "
                        "(reconciled together)" + default)
    s.add_argument("--sheet", help="read only this sheet of the register workbook")
    s.add_argument("--map", metavar="FIELD=HEADER,...",
                   help="columns the synonyms do not find, e.g. \"doc_no=Bill Ref,txval=Purchase 18%%+Purchase 5%%\" "
                        "(fields: " + ", ".join(FIELD_NAMES) + "); saved in the workbook for later runs; "
                        "--map \"\" clears it")
    s.add_argument("--voucher-kind", metavar="TYPE=KIND,...",
                   help="what a voucher type is on the supplier's side, e.g. \"Debit Note=debit_note\" "
                        "(default: a Debit Note voucher is the supplier's credit note, a Credit Note "
                        "voucher the supplier's debit note, as Tally and Busy book them); saved in the workbook")
    s.add_argument("--replace-books", action="store_true",
                   help="replace what the Books sheet holds instead of adding these registers to it")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used by the docs test)."""
    p = argparse.ArgumentParser(prog="ims-xl", description="Review GST IMS records in Excel: import the "
                                "portal's JSON, validate, export the upload JSON.")
    p.add_argument("--version", action="version", version=f"ims-xl {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("import", help=_help("import_json"), description=_help("import_json"))
    s.add_argument("json", help="the IMS JSON downloaded from the portal")
    s.add_argument("--out", help="a new review workbook to create")
    s.add_argument("--into", help="an existing review workbook to update (re-import)")
    s.add_argument("--rtin", help="your GSTIN, when the download does not carry it")
    s.add_argument("--period", help="the return period, MMYYYY")
    s.add_argument("--force", action="store_true", help="replace --out if it exists; with --into, re-import "
                   "even a download of another GSTIN")
    s.add_argument("--carry-from", metavar="PREVIOUS.xlsx",
                   help="last month's review workbook: bring forward what is still open (Pending records, "
                        "books documents missing in IMS, earlier carried items) with remarks, owner and history")

    s = sub.add_parser("validate", help=_help("validate"), description=_help("validate"))
    s.add_argument("workbook")
    s.add_argument("--json", action="store_true", help="print findings as JSON")
    s.add_argument("--dry-run", action="store_true", help="do not write findings into the workbook")

    s = sub.add_parser("export", help=_help("export"), description=_help("export"))
    s.add_argument("workbook")
    s.add_argument("--out", required=True, help="the upload JSON to write (numbered files if split)")
    s.add_argument("--rtin", help="your GSTIN, overriding the Summary sheet")

    s = sub.add_parser("import-errors", help=_help("import_errors"), description=_help("import_errors"))
    s.add_argument("errors", help="the portal's error JSON")
    s.add_argument("workbook")

    s = sub.add_parser("carry-forward", help=_help("carry_forward"), description=_help("carry_forward"))
    s.add_argument("workbook", help="this month's review workbook")
    s.add_argument("--from", dest="carry_from", required=True, metavar="PREVIOUS.xlsx",
                   help="last month's review workbook")
    s.add_argument("--force", action="store_true", help="carry even from a workbook of another GSTIN")

    s = sub.add_parser("summary", help=_help("refresh_summary"), description=_help("refresh_summary"))
    s.add_argument("workbook")

    s = sub.add_parser("sample", help="write realistic example files (IMS download and register)")
    s.add_argument("--out-dir", required=True)
    s.add_argument("--records", type=int, default=200)
    s.add_argument("--seed", type=int, default=7)

    s = sub.add_parser("reconcile", help=_help("reconcile"), description=_help("reconcile"))
    s.add_argument("workbook")
    _register_options(s, "; default: the Books sheet")
    s.add_argument("--out", help="write the reconciled workbook here (default: in place)")
    s.add_argument("--matches", help="also write one CSV row per IMS record and unpaired books row")
    s.add_argument("--amount-tolerance", type=str, help="rupees per tax head (default 1)")
    s.add_argument("--date-window", type=int, help="days a date may differ and still match (default 3)")

    s = sub.add_parser("apply-suggestions", help=_help("apply_suggestions"),
                       description=_help("apply_suggestions"))
    s.add_argument("workbook")
    s.add_argument("--status", action="append", help="only rows with this match status (repeatable)")

    s = sub.add_parser("run", help="the main job: import, reconcile, validate and export into one folder")
    s.add_argument("json", help="the IMS JSON downloaded from the portal")
    _register_options(s, "")
    s.add_argument("--out-dir", required=True)
    s.add_argument("--rtin")
    s.add_argument("--period")
    s.add_argument("--force", action="store_true",
                   help="update an existing review.xlsx even with a download of another GSTIN")
    s.add_argument("--apply-suggestions", action="store_true",
                   help="set the suggested actions on rows still at No Action")
    s.add_argument("--amount-tolerance", type=str, help="rupees per tax head (default 1)")
    s.add_argument("--date-window", type=int, help="days (default 3)")

    s = sub.add_parser("gstr2b", help=_help("gstr2b"), description=_help("gstr2b"))
    s.add_argument("workbook")
    s.add_argument("--2b", dest="gstr2b", required=True, metavar="GSTR2B.json",
                   help="the GSTR-2B downloaded from the portal (Returns > GSTR-2B): its JSON, or its "
                        "Excel (.xlsx)")
    s.add_argument("--3b", dest="table", metavar="TABLE4.csv",
                   help="also write the GSTR-3B Table 4 working as CSV (exact rupees)")
    s.add_argument("--out", help="write the checked workbook here (default: in place)")
    s.add_argument("--amount-tolerance", type=str, help="rupees per tax head, matching 2B-only documents "
                   "with the books (default 1)")
    s.add_argument("--date-window", type=int, help="days (default 3)")

    s = sub.add_parser("letters", help=_help("letters"), description=_help("letters"))
    s.add_argument("workbook")
    s.add_argument("--out-dir", required=True, help="the folder for the statements (.xlsx) and e-mail drafts (.eml)")
    s.add_argument("--suppliers", metavar="LIST", help="a suppliers list (.csv or .xlsx) with GSTIN and e-mail "
                   "columns, to address the drafts")
    s.add_argument("--from", dest="sender", metavar="EMAIL", help="your e-mail address, for the drafts' From")

    from .batch import add_batch_parser
    add_batch_parser(sub)

    s = sub.add_parser("check-upload", help="prove an upload JSON changes nothing but actions, remarks "
                       "and ITC reduction, against the download")
    s.add_argument("upload", nargs="+", help="the upload JSON file(s)")
    s.add_argument("--against", required=True, help="the IMS JSON it was made from")

    s = sub.add_parser("doctor", help="check an installation and say how to fix what is wrong")
    return p
