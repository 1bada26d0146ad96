"""The database half of search: finding candidates fast. One interface, two implementations.

- SQLite: FTS5. Name skeletons sit in a trigram-tokenised table, so a name is found by the
  three-letter pieces it shares with the query (typos and other spellings included), best
  bm25 first; documents' terms sit in a unicode61 table.
- PostgreSQL: pg_trgm's word similarity (GIN-indexed `<%`) for name skeletons, and a
  tsvector column ('simple' configuration) with a GIN index for documents.

Both index exactly the rows app/services/search_index.py writes, and both only propose
candidates: scoring and ranking happen in Python (app/services/search.py), identically for
both, so the same query gives the same answer on either database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import text
from sqlmodel import Session

# Trigram pieces sent to SQLite per query: enough for a long name, bounded for a huge query.
_MAX_TRIGRAMS = 64
# Word similarity PostgreSQL asks of a candidate; lower than pg_trgm's 0.6 default so a typo
# in a short surname still proposes it (the Python score decides).
_PG_WORD_SIMILARITY = "0.4"


@dataclass(frozen=True, slots=True)
class VariantRow:
    person_id: str | None
    organization_id: str | None
    variant: str
    origin: str
    scheme: str | None
    key: str
    skel: str


_VARIANT_COLUMNS = "v.person_id, v.organization_id, v.variant, v.origin, v.scheme, v.key, v.skel"


class SearchBackend(Protocol):
    def name_candidates(
        self, session: Session, *, key: str, skel_words: list[str], limit: int
    ) -> list[VariantRow]: ...

    def doc_matches(
        self, session: Session, entity_type: str, keys: list[str], limit: int
    ) -> list[str]: ...

    def doc_ids_with_any(
        self, session: Session, entity_type: str, words: list[str]
    ) -> list[str]: ...


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


class SqliteSearch:
    def name_candidates(
        self, session: Session, *, key: str, skel_words: list[str], limit: int
    ) -> list[VariantRow]:
        rows = _variants(
            session,
            f"SELECT {_VARIANT_COLUMNS} FROM name_variant v WHERE v.key = :key "
            "ORDER BY v.id LIMIT :limit",
            {"key": key, "limit": limit},
        )
        grams = _trigrams([w for w in skel_words if len(w) >= 3])
        if grams:
            rows += _variants(
                session,
                f"SELECT {_VARIANT_COLUMNS} FROM ("
                "SELECT rowid AS id, rank FROM name_variant_fts "
                "WHERE name_variant_fts MATCH :q ORDER BY rank LIMIT :limit"
                ") m JOIN name_variant v ON v.id = m.id ORDER BY m.rank",
                {"q": " OR ".join(_fts_string(g) for g in grams), "limit": limit},
            )
        return rows

    def doc_matches(
        self, session: Session, entity_type: str, keys: list[str], limit: int
    ) -> list[str]:
        wanted = " ".join(_fts_string(k) for k in keys)
        match = f"entity_type : {_fts_string(entity_type)} AND terms : ({wanted})"
        return list(
            session.scalars(
                text(
                    "SELECT d.entity_id FROM (SELECT rowid AS id FROM search_doc_fts "
                    "WHERE search_doc_fts MATCH :q LIMIT :limit) m "
                    "JOIN search_doc d ON d.id = m.id ORDER BY d.id"
                ),
                {"q": match, "limit": limit},
            )
        )

    def doc_ids_with_any(self, session: Session, entity_type: str, words: list[str]) -> list[str]:
        wanted = " OR ".join(_fts_string(w) for w in words)
        match = f"entity_type : {_fts_string(entity_type)} AND terms : ({wanted})"
        return list(
            session.scalars(
                text(
                    "SELECT d.entity_id FROM search_doc_fts f JOIN search_doc d ON d.id = f.rowid "
                    "WHERE search_doc_fts MATCH :q"
                ),
                {"q": match},
            )
        )


class PostgresSearch:
    def name_candidates(
        self, session: Session, *, key: str, skel_words: list[str], limit: int
    ) -> list[VariantRow]:
        rows = _variants(
            session,
            f"SELECT {_VARIANT_COLUMNS} FROM name_variant v WHERE v.key = :key "
            "ORDER BY v.id LIMIT :limit",
            {"key": key, "limit": limit},
        )
        words = [w for w in skel_words if len(w) >= 3][:8]
        if words:
            session.execute(
                text("SELECT set_config('pg_trgm.word_similarity_threshold', :t, true)"),
                {"t": _PG_WORD_SIMILARITY},
            )
            params: dict[str, Any] = {f"w{i}": w for i, w in enumerate(words)}
            params["limit"] = limit
            where = " OR ".join(f":w{i} <% v.skel" for i in range(len(words)))
            best = ", ".join(f"word_similarity(:w{i}, v.skel)" for i in range(len(words)))
            order = f"greatest({best})" if len(words) > 1 else best
            rows += _variants(
                session,
                f"SELECT {_VARIANT_COLUMNS} FROM name_variant v WHERE {where} "
                f"ORDER BY {order} DESC, v.id LIMIT :limit",
                params,
            )
        return rows

    def doc_matches(
        self, session: Session, entity_type: str, keys: list[str], limit: int
    ) -> list[str]:
        return list(
            session.scalars(
                text(
                    "SELECT entity_id FROM search_doc WHERE entity_type = :t "
                    "AND tsv @@ plainto_tsquery('simple', :q) ORDER BY id LIMIT :limit"
                ),
                {"t": entity_type, "q": " ".join(keys), "limit": limit},
            )
        )

    def doc_ids_with_any(self, session: Session, entity_type: str, words: list[str]) -> list[str]:
        params: dict[str, Any] = {f"w{i}": w for i, w in enumerate(words)}
        params["t"] = entity_type
        query = " || ".join(f"plainto_tsquery('simple', :w{i})" for i in range(len(words)))
        return list(
            session.scalars(
                text(
                    f"SELECT entity_id FROM search_doc WHERE entity_type = :t AND tsv @@ ({query})"
                ),
                params,
            )
        )


_SQLITE = SqliteSearch()
_POSTGRES = PostgresSearch()


def backend_for(session: Session) -> SearchBackend:
    bind = session.get_bind()
    return _SQLITE if bind.dialect.name == "sqlite" else _POSTGRES
