"""Search: finding persons, organisations, claims and sources by any spelling of a name or
by words, matching names by example, and finding mentions of known names in texts.

`terms` defines the keys words and names are compared by (the same in Python and in both
databases); `index` keeps the derived search rows current inside each write's transaction;
`backends` proposes candidates fast (FTS5 on SQLite, tsvector and pg_trgm on PostgreSQL);
`scoring` scores a name against a known spelling; `ranking` orders one list over every kind;
`matching` answers match-by-example; `detection` finds where a text names a known entity.
"""
