"""Reconciliation with the purchase register: the matcher (``matcher``: number
normalisation, candidate tiers, one-to-one assignment, reasons and suggestions) and its
results on a review book (``matching``: section columns, Missing in IMS, Suppliers). Core:
imports the vocabulary, ``formats`` and ``review``; never a workbook, Excel or CLI library."""
