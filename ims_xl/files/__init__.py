"""The file shell: ``.xlsx`` read (python-calamine) and written (XlsxWriter, sheet bodies
streamed by ``sheetxml``), register files of every kind, atomic writes, backups, locks and
hostile-file checks (``safety``). Imports the core and file libraries; never xlwings, never
the command line."""
