"""The action registry's metadata: one entry per action a user can run.

The CLI, the xlwings shell and the ribbon add-in (``workbook/build_addin.py``) are all
generated from or checked against this tuple, so buttons and actions cannot drift.
This module is pure data; the functions behind the names live in ``ims_xl.actions``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ActionInfo:
    """One user action.

    Attributes:
        name: the ribbon button's tag and the registry key (snake_case).
        command: the CLI sub-command (kebab-case).
        label: the button label.
        group: the ribbon group (``Review``, ``Reconcile`` or ``Upload``).
        image_mso: a built-in Office icon name.
        help: one line for the button's screentip and the CLI help.
    """

    name: str
    command: str
    label: str
    group: str
    image_mso: str
    help: str


ACTIONS: tuple[ActionInfo, ...] = (
    ActionInfo("import_json", "import", "Import IMS JSON", "Review", "ImportTextFile",
               "Read the IMS JSON downloaded from the GST portal into this review workbook, "
               "keeping every action and remark already entered."),
    ActionInfo("validate", "validate", "Validate sheet", "Review", "ReviewAcceptChange",
               "Check every action, remark and ITC-reduction entry against the portal's rules."),
    ActionInfo("carry_forward", "carry-forward", "Carry forward", "Review", "Forward",
               "Bring last month's open items (Pending records, books documents missing in IMS) into this "
               "workbook with their remarks, owner and history, and rebuild the Ageing sheet."),
    ActionInfo("refresh_summary", "summary", "Refresh summary", "Review", "Refresh",
               "Recount records, amounts and ITC per section and action on the Summary sheet."),
    ActionInfo("reconcile", "reconcile", "Reconcile with books", "Reconcile", "DataRefreshAll",
               "Match every IMS record with the purchase register (Books sheet or a file), "
               "colour the differences and suggest actions."),
    ActionInfo("apply_suggestions", "apply-suggestions", "Apply suggested actions", "Reconcile",
               "AcceptInvitation",
               "Copy the suggested action into rows still at No Action; never overwrites yours."),
    ActionInfo("gstr2b", "gstr2b", "Check GSTR-2B", "Reconcile", "AccountingFormat",
               "Compare the GSTR-2B JSON with your actions and books, flag a needed recompute, "
               "and work out GSTR-3B Table 4 (ITC)."),
    ActionInfo("letters", "letters", "Supplier letters", "Reconcile", "FileSendAsAttachment",
               "Write, per supplier with something to fix, a statement workbook and an e-mail draft "
               "(.eml) beside this workbook; each is listed on the Log sheet."),
    ActionInfo("export", "export", "Export upload JSON", "Upload", "ExportTextFile",
               "Write the JSON to upload on the GST portal, with only the records you changed."),
    ActionInfo("import_errors", "import-errors", "Import portal errors", "Upload",
               "ErrorChecking",
               "Read the portal's error file and show each message beside its record."),
)

ACTION_BY_NAME: dict[str, ActionInfo] = {a.name: a for a in ACTIONS}
GROUPS: tuple[str, ...] = ("Review", "Reconcile", "Upload")
