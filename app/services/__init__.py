"""The work behind the API and the CLI, one package per capability.

- `catalog`: reading the curated knowledge base (persons, organisations, sources, claims,
  roles, mentions, the change log) as the public shapes of app/models, a page at a time.
- `curation`: the curate-scope writes, and the write transaction every write shares (ids,
  row locks, If-Match, the change log in the same commit) and referential checks.
- `annotations`: analysts' annotations: who may see which, their versions, and their writes.
- `search`: words and names as search compares them, the search rows and their backends,
  ranked search, matching by example, and finding mentions of known names in texts.
- `text`: source text itself: anchoring quotes at code-point offsets, and deriving canonical
  text from a saved article.
- `loading`: bulk loading through the curation path: the curated seed and text ingest.
- `access`: API keys (issuing, listing, revoking).
- `migrations`: Alembic driven from code (the CLI, the readiness probe and the tests).

Services take a `Session` and typed arguments and return app/models shapes; they never import
app/api (HTTP belongs there) and raise app/problems errors, which the API renders.
"""
