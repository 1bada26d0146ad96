"""Reading the curated knowledge base: one module per resource, each turning rows into the
public shapes of app/models with keyset pages.

A module here only reads. `loaders` holds the bulk loaders the readers share (names,
identifiers, roles, entity references and claim counts for a whole page in one query each),
so no reader issues a query per row. Writes to the same resources live in
app/services/curation; annotation reads in app/services/annotations.
"""
