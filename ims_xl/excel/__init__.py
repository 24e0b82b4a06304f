"""The Excel shell: the ribbon's entry ``ims_xl.excel.shell.run_action(tag)`` on the open
workbook through xlwings (bulk reads and writes only), and ``doctor``, which checks an Excel
installation. Imports the core and ``files``; never the command line."""
