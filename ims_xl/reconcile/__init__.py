"""Reconciliation with the purchase register, stage by stage: the vocabulary (``base``:
reason codes, settings, the result type), number normalisation (``numbers``), the frames made
ready (``prepare``), candidate tiers (``candidates``), one-to-one assignment and duplicates
(``assign``), reasons, remarks and suggestions (``explain``), the orchestrating ``matcher``
(``reconcile()``, ``matches_frame``), and the results on a review book (``matching``: section
columns, Missing in IMS, Suppliers). Core: imports the vocabulary, ``formats`` and ``review``;
never a workbook, Excel or CLI library."""
