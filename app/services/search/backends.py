"""The database half of search: finding candidates fast. One interface, two implementations.

- SQLite: FTS5. A spelling's known word forms sit in a unicode61 table (exact words, rarer
  and more of them first by bm25); its skeleton sits in a trigram table, which finds any
  string of three or more letters inside it, so a query word no spelling has is still found
  by a piece of it (typos); documents' terms sit in a unicode61 table with their type as a
  column.
- PostgreSQL: tsvector columns ('simple' configuration) with GIN indexes for the word forms
  (ranked by ts_rank) and the documents (one partial index per type), and pg_trgm's GIN
  index over skeletons serving `LIKE '%piece%'` for the typo fallback.

Both index exactly the rows app/services/search/index.py writes, and both only propose
candidates: scoring and ranking happen in Python (app/services/search/ranking.py), identically for
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
# A piece of a word held by more spellings than this says nothing about a misspelt name.
_COMMON_PIECE = 300
# Document types are a fixed set, written into the SQL as literals so PostgreSQL can plan
# for the type at hand.
_DOC_TYPES = frozenset({"person", "organization", "claim", "source"})


@dataclass(frozen=True, slots=True)
class DocMatch:
    """A document holding every required key: how many words it has, and whether the
    query's words stand together in it (worked out by the database, so a long source's
    terms never travel)."""

    entity_id: str
    words: int
    phrase: bool


# The same two measures on both backends: spaces + 1 words; the phrase, space-delimited.
_DOC_MEASURES = (
    "length(d.terms) - length(replace(d.terms, ' ', '')) + 1, "
    "{position}(' ' || d.terms || ' ', :phrase) > 0"
)


class SearchBackend(Protocol):
    def variants_by_key(self, session: Session, key: str, limit: int) -> list[VariantRow]: ...

    def variants_by_words(
        self, session: Session, words: list[str], limit: int
    ) -> list[VariantRow]: ...

    def variants_by_pieces(
        self, session: Session, words: list[str], limit: int
    ) -> list[VariantRow]: ...

    def doc_matches(
        self, session: Session, limits: dict[str, int], keys: list[str], phrase: str
    ) -> dict[str, list[DocMatch]]: ...

    def doc_ids_with_any(
        self, session: Session, entity_type: str, words: list[str]
    ) -> list[str]: ...


def name_candidates(
    session: Session,
    *,
    key: str,
    alternatives: list[frozenset[str]],
    typed: list[str | None],
    limit: int,
) -> list[VariantRow]:
    """Spellings worth scoring for a name: the exact spelling; spellings sharing a word with
    it (in any of its known forms), those sharing more and rarer words first; and, for a
    query word no spelling has, spellings holding a piece of it (typos, rarer
    transliterations). `typed` is each word's skeleton as typed, or None for a word not
    worth a fuzzy look (a common word such as "the")."""
    backend = backend_for(session)
    rows = backend.variants_by_key(session, key, limit)
    everything = sorted({w for alts in alternatives for w in alts})
    if everything:
        rows += backend.variants_by_words(session, everything, limit)
    known = {w for row in rows for w in row.words.split()}
    unmatched = sorted(
        {
            word
            for alts, word in zip(alternatives, typed, strict=True)
            if word is not None and len(word) >= 3 and not alts & known
        }
    )
    if unmatched:
        rows += backend.variants_by_pieces(session, unmatched, limit)
    return rows


def _pieces(words: list[str]) -> list[str]:
    return list(dict.fromkeys(piece for word in words for piece in fuzzy_pieces(word)))


def fuzzy_pieces(word: str) -> list[str]:
    """Pieces of a word that a misspelling of it still holds: its start, middle and end,
    five letters each (four for a word under eleven letters; the word itself under six).
    One typo spoils at most one piece of a long word, and a piece is far more telling than a
    single shared trigram such as "ser" or "ova"."""
    size = 5 if len(word) >= 11 else 4 if len(word) >= 6 else len(word)
    if len(word) <= size:
        return [word]
    middle = (len(word) - size) // 2
    return list(dict.fromkeys([word[:size], word[middle : middle + size], word[-size:]]))


def _fts_string(token: str) -> str:
    # Keys and skeletons are letters and digits only, but quote defensively all the same.
    return '"' + token.replace('"', '""') + '"'


def _variants(session: Session, sql: str, params: dict[str, Any]) -> list[VariantRow]:
    return [VariantRow(*row) for row in session.execute(text(sql), params)]


def _doc_results(
    session: Session, arms: list[str], params: dict[str, Any], limits: dict[str, int]
) -> dict[str, list[DocMatch]]:
    """Run one statement for every wanted type (one round trip), grouped by type."""
    out: dict[str, list[DocMatch]] = {kind: [] for kind in limits}
    if not arms:
        return out
    for kind, entity_id, words, together in session.execute(text(" UNION ALL ".join(arms)), params):
        out[kind].append(DocMatch(entity_id, int(words), bool(together)))
    return out


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

    def variants_by_pieces(
        self, session: Session, words: list[str], limit: int
    ) -> list[VariantRow]:
        pieces = [piece for piece in _pieces(words) if self._few_hold(session, piece)]
        if not pieces:
            return []
        # The trigram tokenizer matches a quoted string of three or more letters anywhere.
        return _variants(
            session,
            f"SELECT {_VARIANT_COLUMNS} FROM ("
            "SELECT rowid AS id, rank FROM name_variant_fts "
            "WHERE name_variant_fts MATCH :q ORDER BY rank LIMIT :limit"
            ") m JOIN name_variant v ON v.id = m.id ORDER BY m.rank, v.id",
            {"q": " OR ".join(_fts_string(piece) for piece in pieces), "limit": limit},
        )

    @staticmethod
    def _few_hold(session: Session, piece: str) -> bool:
        """Whether few enough spellings hold this piece to rank them: "ovich" (every
        patronymic) would cost tens of milliseconds of bm25 for nothing. The probe stops at
        the cap, so it is cheap either way."""
        found = session.execute(
            text(
                "SELECT count(*) FROM (SELECT rowid FROM name_variant_fts "
                "WHERE name_variant_fts MATCH :q LIMIT :cap)"
            ),
            {"q": _fts_string(piece), "cap": _COMMON_PIECE + 1},
        ).scalar_one()
        return int(found) <= _COMMON_PIECE

    def doc_matches(
        self, session: Session, limits: dict[str, int], keys: list[str], phrase: str
    ) -> dict[str, list[DocMatch]]:
        wanted = " ".join(_fts_string(k) for k in keys)
        measures = _DOC_MEASURES.format(position="instr")
        params: dict[str, Any] = {"phrase": phrase}
        arms = []
        for kind, limit in limits.items():
            params[f"q_{_doc_type(kind)}"] = (
                f"entity_type : {_fts_string(kind)} AND terms : ({wanted})"
            )
            arms.append(
                f"SELECT '{kind}', d.entity_id, {measures} FROM (SELECT rowid AS id "
                f"FROM search_doc_fts WHERE search_doc_fts MATCH :q_{kind} "
                f"LIMIT {int(limit)}) m JOIN search_doc d ON d.id = m.id"
            )
        return _doc_results(session, arms, params, limits)

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

    def variants_by_pieces(
        self, session: Session, words: list[str], limit: int
    ) -> list[VariantRow]:
        pieces = [piece for piece in _pieces(words) if self._few_hold(session, piece)]
        if not pieces:
            return []
        params: dict[str, Any] = {f"p{i}": f"%{p}%" for i, p in enumerate(pieces)}
        params |= {f"w{i}": w for i, w in enumerate(words)}
        params["limit"] = limit
        # pg_trgm's GIN index serves LIKE '%piece%'.
        where = " OR ".join(f"v.skel LIKE :p{i}" for i in range(len(pieces)))
        best = ", ".join(f"word_similarity(:w{i}, v.skel)" for i in range(len(words)))
        order = f"greatest({best})" if len(words) > 1 else best
        return _variants(
            session,
            f"SELECT {_VARIANT_COLUMNS} FROM name_variant v WHERE {where} "
            f"ORDER BY {order} DESC, v.id LIMIT :limit",
            params,
        )

    @staticmethod
    def _few_hold(session: Session, piece: str) -> bool:
        found = session.execute(
            text(
                "SELECT count(*) FROM (SELECT 1 FROM name_variant "
                "WHERE skel LIKE :p LIMIT :cap) held"
            ),
            {"p": f"%{piece}%", "cap": _COMMON_PIECE + 1},
        ).scalar_one()
        return int(found) <= _COMMON_PIECE

    def doc_matches(
        self, session: Session, limits: dict[str, int], keys: list[str], phrase: str
    ) -> dict[str, list[DocMatch]]:
        # No ORDER BY: the scan stops fetching rows at each type's limit.
        measures = _DOC_MEASURES.format(position="strpos")
        arms = [
            f"(SELECT '{_doc_type(kind)}', d.entity_id, {measures} FROM search_doc d "
            f"WHERE d.entity_type = '{kind}' AND d.tsv @@ plainto_tsquery('simple', :q) "
            f"LIMIT {int(limit)})"
            for kind, limit in limits.items()
        ]
        return _doc_results(session, arms, {"q": " ".join(keys), "phrase": phrase}, limits)

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
