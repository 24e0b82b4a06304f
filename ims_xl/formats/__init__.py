"""Files of the GST world, read tolerantly and written strictly: the IMS download
(``ims_json``), the upload contract (``schema``), purchase registers as accounting software
exports them (``register``). Core: imports the vocabulary (``model``, ``money``, ``gstin``,
``errors``) and pandas only; never a workbook, Excel or CLI library, never a shell."""
