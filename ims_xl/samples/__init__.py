"""Sample data: realistic IMS downloads (``download``) and labelled purchase registers
(``register``) for ``ims-xl sample``, the shipped examples and the benchmarks. Imports the
vocabulary, ``formats`` and the matcher's number normalisation; never a shell."""
