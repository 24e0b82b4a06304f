"""Exceptions for "cannot proceed". User data problems that can be listed are Findings instead."""

from __future__ import annotations


class ImsXlError(Exception):
    """Base class: the message is shown to the accountant as it is, on one line."""


class InputError(ImsXlError):
    """A file the user gave cannot be used (broken JSON, wrong file, missing column...)."""


class TemplateError(ImsXlError):
    """A workbook is not an ims-xl review workbook, or its layout was damaged."""


class ValidationFailed(ImsXlError):
    """Validation errors block the action (for example export)."""
