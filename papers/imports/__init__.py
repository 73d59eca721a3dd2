"""Imports of a reference library (BibTeX, a Zotero export as RIS or CSL JSON, or a
list of DOIs and arXiv ids) as one batch of proposals, previewed first."""
