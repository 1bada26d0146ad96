"""Curating the knowledge base (curate scope): creating, editing and deleting persons,
organisations, sources, claims and roles, for the API and the seed loader alike.

`transaction` is what every write shares, annotations included: ids, row locks, If-Match
preconditions and the change-log row appended in the write's own transaction. `integrity`
checks that referenced records exist and refuses deletes that would orphan others. One
`*_writes` module per resource family holds its rules; the rules a request body can state by
itself live with the body in app/models.
"""
