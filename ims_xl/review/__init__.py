"""The review book and its rules: the book as frames (``book``), what the accountant typed
(``inputs``), every validation rule (``checks``), the upload built from decisions and
downloaded values (``upload``), the Log (``audit``), grids <-> book (``sheets``), the
workbook's columns and colours (``layout``). Core: imports the vocabulary and ``formats``;
never a workbook, Excel or CLI library, never a shell."""
