"""Purchase-register fixtures in real product layouts, each with a plain-columns twin.

``documents`` holds the one list of documents and writes the IMS download and the plain
twin; ``layouts`` writes the same documents in each product's export layout (``LAYOUTS``).
See README.md in this folder for the sources of every layout.
"""
