"""The database half of search: finding candidates fast. One interface, two implementations.

- SQLite: FTS5. A spelling's known word forms sit in a unicode61 table (exact words, rarer
  and more of them first by bm25); its skeleton sits in a trigram table, so a query word no
  spelling has is still found by the three-letter pieces it shares (typos); documents' terms
  sit in a unicode61 table with their type as a column.
- PostgreSQL: tsvector columns ('simple' configuration) with GIN indexes for the word forms
  (ranked by ts_rank) and the documents, and pg_trgm's word similarity (GIN-indexed `<%`)
  over skeletons for the typo fallback.

Both index exactly the rows app/services/search_index.py writes, and both only propose
candidates: scoring and ranking happen in Python (app/services/search.py), identically for
both, so the same query gives the same answer on either database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import text
from sqlmodel import Session


@dataclass(frozen=True, slots=True)
class VariantRow:
    person_id: str | None
    organization_id: str | None
    variant: str
    origin: str
    scheme: str | None
    key: str
    skel: str
    words: str


_VARIANT_COLUMNS = (
    "v.person_id, v.organization_id, v.variant, v.origin, v.scheme, v.key, v.skel, v.words"
)
# Trigram pieces sent to SQLite per query: enough for a long name, bounded for a huge query.
_MAX_TRIGRAMS = 64
# Word similarity PostgreSQL asks of a fuzzy candidate; lower than pg_trgm's 0.6 default so a
# typo in a short surname still proposes it (the Python score decides).
_PG_WORD_SIMILARITY = "0.4"
# Document types are a fixed set, written into the SQL as literals so PostgreSQL can plan
# for the type at hand.
_DOC_TYPES = frozenset({"person", "organization", "claim", "source"})


class SearchBackend(Protocol):
    def variants_by_key(self, session: Session, key: str, limit: int) -> list[VariantRow]: ...

    def variants_by_words(
        self, session: Session, words: list[str], limit: int
    ) -> list[VariantRow]: ...

    def variants_by_trigrams(
        self, session: Session, words: list[str], limit: int
    ) -> list[VariantRow]: ...

    def doc_matches(
        self, session: Session, entity_type: str, keys: list[str], limit: int
    ) -> list[tuple[str, str]]: ...

    def doc_ids_with_any(
        self, session: Session, entity_type: str, words: list[str]
    ) -> list[str]: ...


def name_candidates(
    session: Session, *, key: str, alternatives: list[frozenset[str]], limit: int
) -> list[VariantRow]:
    """Spellings worth scoring for a name: the exact spelling; spellings sharing a word with
    it (in any of its known forms), those sharing more and rarer words first; and, for a
    query word no spelling has, spellings with a similar word (typos, rarer
    transliterations)."""
    backend = backend_for(session)
    rows = backend.variants_by_key(session, key, limit)
    everything = sorted({w for alts in alternatives for w in alts})
    if everything:
        rows += backend.variants_by_words(session, everything, limit)
    known = {w for row in rows for w in row.words.split()}
    unmatched = sorted({max(alts, key=len) for alts in alternatives if alts and not alts & known})
    if unmatched:
        rows += backend.variants_by_trigrams(session, unmatched, limit)
    return rows


def _trigrams(words: list[str]) -> list[str]:
    out: dict[str, None] = {}
    for word in words:
        for i in range(len(word) - 2):
            out[word[i : i + 3]] = None
    return list(out)[:_MAX_TRIGRAMS]


def _fts_string(token: str) -> str:
    # Keys and skeletons are letters and digits only, but quote defensively all the same.
    return '"' + token.replace('"', '""') + '"'


def _variants(session: Session, sql: str, params: dict[str, Any]) -> list[VariantRow]:
    return [VariantRow(*row) for row in session.execute(text(sql), params)]


def _doc_type(entity_type: str) -> str:
    if entity_type not in _DOC_TYPES:
        raise ValueError(f"not a document type: {entity_type!r}")
    return entity_type


class SqliteSearch:
    def variants_by_key(self, session: Session, key: str, limit: int) -> list[VariantRow]:
        return _variants(
            session,
            f"SELECT {_VARIANT_COLUMNS} FROM name_variant v WHERE v.key = :key "
            "ORDER BY v.id LIMIT :limit",
            {"key": key, "limit": limit},
        )

    def variants_by_words(self, session: Session, words: list[str], limit: int) -> list[VariantRow]:
        return _variants(
            session,
            f"SELECT {_VARIANT_COLUMNS} FROM ("
            "SELECT rowid AS id, rank FROM name_variant_words "
            "WHERE name_variant_words MATCH :q ORDER BY rank LIMIT :limit"
            ") m JOIN name_variant v ON v.id = m.id ORDER BY m.rank, v.id",
            {"q": " OR ".join(_fts_string(w) for w in words), "limit": limit},
        )

    def variants_by_trigrams(
        self, session: Session, words: list[str], limit: int
    ) -> list[VariantRow]:
        grams = _trigrams([w for w in words if len(w) >= 3])
        if not grams:
            return []
        return _variants(
            session,
            f"SELECT {_VARIANT_COLUMNS} FROM ("
            "SELECT rowid AS id, rank FROM name_variant_fts "
            "WHERE name_variant_fts MATCH :q ORDER BY rank LIMIT :limit"
            ") m JOIN name_variant v ON v.id = m.id ORDER BY m.rank, v.id",
            {"q": " OR ".join(_fts_string(g) for g in grams), "limit": limit},
        )

    def doc_matches(
        self, session: Session, entity_type: str, keys: list[str], limit: int
    ) -> list[tuple[str, str]]:
        wanted = " ".join(_fts_string(k) for k in keys)
        match = f"entity_type : {_fts_string(_doc_type(entity_type))} AND terms : ({wanted})"
        return [
            (entity_id, terms)
            for entity_id, terms in session.execute(
                text(
                    "SELECT d.entity_id, d.terms FROM (SELECT rowid AS id FROM search_doc_fts "
                    "WHERE search_doc_fts MATCH :q LIMIT :limit) m "
                    "JOIN search_doc d ON d.id = m.id"
                ),
                {"q": match, "limit": limit},
            )
        ]

    def doc_ids_with_any(self, session: Session, entity_type: str, words: list[str]) -> list[str]:
        wanted = " OR ".join(_fts_string(w) for w in words)
        match = f"entity_type : {_fts_string(_doc_type(entity_type))} AND terms : ({wanted})"
        return list(
            session.scalars(
                text(
                    "SELECT d.entity_id FROM search_doc_fts f JOIN search_doc d ON d.id = f.rowid "
                    "WHERE search_doc_fts MATCH :q"
                ),
                {"q": match},
            )
        )


def _pg_any(words: list[str], params: dict[str, Any]) -> str:
    """A tsquery matching any of the words, each bound as a parameter."""
    parts = []
    for i, word in enumerate(words):
        params[f"w{i}"] = word
        parts.append(f"plainto_tsquery('simple', :w{i})")
    return "(" + " || ".join(parts) + ")"


class PostgresSearch:
    def variants_by_key(self, session: Session, key: str, limit: int) -> list[VariantRow]:
        return _variants(
            session,
            f"SELECT {_VARIANT_COLUMNS} FROM name_variant v WHERE v.key = :key "
            "ORDER BY v.id LIMIT :limit",
            {"key": key, "limit": limit},
        )

    def variants_by_words(self, session: Session, words: list[str], limit: int) -> list[VariantRow]:
        params: dict[str, Any] = {"limit": limit}
        query = _pg_any(words, params)
        return _variants(
            session,
            f"SELECT {_VARIANT_COLUMNS} FROM name_variant v WHERE v.words_tsv @@ {query} "
            f"ORDER BY ts_rank(v.words_tsv, {query}) DESC, v.id LIMIT :limit",
            params,
        )

    def variants_by_trigrams(
        self, session: Session, words: list[str], limit: int
    ) -> list[VariantRow]:
        words = [w for w in words if len(w) >= 3][:8]
        if not words:
            return []
        session.execute(
            text("SELECT set_config('pg_trgm.word_similarity_threshold', :t, true)"),
            {"t": _PG_WORD_SIMILARITY},
        )
        params: dict[str, Any] = {f"w{i}": w for i, w in enumerate(words)}
        params["limit"] = limit
        where = " OR ".join(f":w{i} <% v.skel" for i in range(len(words)))
        best = ", ".join(f"word_similarity(:w{i}, v.skel)" for i in range(len(words)))
        order = f"greatest({best})" if len(words) > 1 else best
        return _variants(
            session,
            f"SELECT {_VARIANT_COLUMNS} FROM name_variant v WHERE {where} "
            f"ORDER BY {order} DESC, v.id LIMIT :limit",
            params,
        )

    def doc_matches(
        self, session: Session, entity_type: str, keys: list[str], limit: int
    ) -> list[tuple[str, str]]:
        # No ORDER BY: the GIN bitmap scan stops fetching rows at the limit.
        kind = _doc_type(entity_type)
        return [
            (entity_id, terms)
            for entity_id, terms in session.execute(
                text(
                    "SELECT entity_id, terms FROM search_doc "
                    f"WHERE entity_type = '{kind}' "
                    "AND tsv @@ plainto_tsquery('simple', :q) LIMIT :limit"
                ),
                {"q": " ".join(keys), "limit": limit},
            )
        ]

    def doc_ids_with_any(self, session: Session, entity_type: str, words: list[str]) -> list[str]:
        params: dict[str, Any] = {}
        query = _pg_any(words, params)
        kind = _doc_type(entity_type)
        return list(
            session.scalars(
                text(
                    f"SELECT entity_id FROM search_doc WHERE entity_type = '{kind}' "
                    f"AND tsv @@ {query}"
                ),
                params,
            )
        )


_SQLITE = SqliteSearch()
_POSTGRES = PostgresSearch()


def backend_for(session: Session) -> SearchBackend:
    bind = session.get_bind()
    return _SQLITE if bind.dialect.name == "sqlite" else _POSTGRES
