"""Mentions: what ingesting a source finds, on SQLite and PostgreSQL alike.

The texts below are ours, written for these tests: a Russian news item and an English one
naming the seeded figures in the forms real texts use (inflected cases, possessives, other
transliterations, initials, a surname alone, surname first) next to look-alikes (other people
who share a surname, initials that do not fit) that must not be attributed to the figures.
Every expected mention is pinned by its exact offsets, and each expected offset is checked
against the text itself, so a wrong offset cannot hide behind a right-looking word.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from app.models import NameVariant
from app.services.search.index import variants_of
from app.services.search.lexicon import load_lexicon
from app.services.search.terms import word_skeleton
from tests.support.api import SOURCE_ID, assert_problem
from tests.support.clients import Keys
from tests.support.curation import CURATOR, created, etag, with_etag

RU_TEXT = (
    "Глава Центрального банка Эльвира Набиуллина заявила, что ставка останется прежней. "
    "Герман Греф поддержал решение Набиуллиной.\n\n"
    "По словам Грефа, Сбербанк готов. Премьер Михаил Мишустин встретился с Собяниным, "
    "а А. Л. Кудрин промолчал. Кудрин Алексей Леонидович позже выступил в Думе. "
    "Тем временем Александр Кудрин, однофамилец бывшего министра, открыл кафе, "
    "а С. Кудрин его поддержал. Мэр Собянин ответил Путину."
)
EN_TEXT = (
    "Moscow Mayor Sobyanin met Prime Minister Mishustin on Monday. Putin's spokesman said "
    "Nabiullina’s policy was sound, while Koudrine (as French papers spell him) stayed silent. "
    "Tatiana Gref, no relation of Herman Gref, runs a bakery. S. Kudrin is someone else too, "
    "and so is Alexander Kudrin. E. Nabiullina chairs the Central Bank of the Russian "
    "Federation; Sberbank is Gref's. Mikhail Mischustin, as German papers spell him, agreed. "
    "Alexei L. Kudrin did not; Alexei S. Kudrin, another man, did."
)

# (words as written, entity id, basis); offsets are found in the text below, in order.
RU_EXPECTED = [
    ("Эльвира Набиуллина", "elvira-nabiullina", "full_name"),
    ("Герман Греф", "german-gref", "full_name"),
    ("Набиуллиной", "elvira-nabiullina", "surname"),
    ("Грефа", "german-gref", "surname"),
    ("Сбербанк", "sberbank", "name"),
    ("Михаил Мишустин", "mikhail-mishustin", "full_name"),
    ("Собяниным", "sergei-sobyanin", "surname"),
    ("А. Л. Кудрин", "alexei-kudrin", "initials"),
    ("Кудрин Алексей Леонидович", "alexei-kudrin", "surname_first"),
    ("Собянин", "sergei-sobyanin", "surname"),
    ("Путину", "vladimir-putin", "surname"),
]
EN_EXPECTED = [
    ("Sobyanin", "sergei-sobyanin", "surname"),
    ("Mishustin", "mikhail-mishustin", "surname"),
    ("Putin", "vladimir-putin", "surname"),
    ("Nabiullina", "elvira-nabiullina", "surname"),
    ("Koudrine", "alexei-kudrin", "surname"),
    ("Herman Gref", "german-gref", "full_name"),
    ("E. Nabiullina", "elvira-nabiullina", "initials"),
    ("Central Bank of the Russian Federation", "central-bank-of-russia", "name"),
    ("Sberbank", "sberbank", "name"),
    ("Gref", "german-gref", "surname"),
    ("Mikhail Mischustin", "mikhail-mishustin", "full_name"),
    ("Alexei L. Kudrin", "alexei-kudrin", "full_name"),
]


def spans(text: str, expected: list[tuple[str, str, str]]) -> list[tuple[int, int, str, str, str]]:
    """(start, end, words, entity, basis), each span located in the text after the previous."""
    out = []
    at = 0
    for words, entity, basis in expected:
        start = text.index(words, at)
        out.append((start, start + len(words), words, entity, basis))
        at = start + len(words)
    return out


def source_body(source_id: str, text: str, language: str) -> dict[str, Any]:
    return {
        "id": source_id,
        "title": f"Test text {source_id}",
        "url": None,
        "published_date": "2024-03-01",
        "language": language,
        "genre": "news",
        "rights": "full_text",
        "text": text,
    }


def mentions(client: TestClient, path: str) -> list[tuple[int, int, str, str, str]]:
    response = client.get(path, params={"limit": 500})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next_cursor"] is None
    return [(m["start"], m["end"], m["text"], m["entity"]["id"], m["basis"]) for m in body["items"]]


def test_ingested_texts_yield_exact_mentions(client: TestClient, keys: Keys) -> None:
    for source_id, text, language, expected in (
        ("test-ru-central-bank", RU_TEXT, "ru", RU_EXPECTED),
        ("test-en-moscow", EN_TEXT, "en", EN_EXPECTED),
    ):
        created(
            client.post(
                "/v1/sources", json=source_body(source_id, text, language), headers=keys[CURATOR]
            ),
            "/v1/sources",
        )
        want = spans(text, expected)
        assert all(text[s:e] == words for s, e, words, _, _ in want)
        assert mentions(client, f"/v1/sources/{source_id}/mentions") == want

    # Look-alikes are nobody: "Александр Кудрин", "С. Кудрин", "Tatiana Gref", "S. Kudrin",
    # "Alexander Kudrin", "Alexei S. Kudrin" appear in the texts but in no mention.
    kudrin = mentions(client, "/v1/persons/alexei-kudrin/mentions")
    assert [(m[2], m[4]) for m in kudrin] == [
        # The essay's own mention comes first: sources are in id order.
        ("Alexei Kudrin", "full_name"),
        ("Koudrine", "surname"),
        ("Alexei L. Kudrin", "full_name"),
        ("А. Л. Кудрин", "initials"),
        ("Кудрин Алексей Леонидович", "surname_first"),
    ]
    response = client.get("/v1/sources/test-ru-central-bank/mentions?person=german-gref")
    assert [m["text"] for m in response.json()["items"]] == ["Герман Греф", "Грефа"]
    response = client.get("/v1/organizations/sberbank/mentions")
    assert [(m["source_id"], m["text"]) for m in response.json()["items"]] == [
        (SOURCE_ID, "Sberbank"),
        ("test-en-moscow", "Sberbank"),
        ("test-ru-central-bank", "Сбербанк"),
    ]


def test_essay_mentions_and_claim_links(client: TestClient, keys: Keys) -> None:
    essay = mentions(client, f"/v1/sources/{SOURCE_ID}/mentions")
    figures = [
        (words, entity, basis) for _, _, words, entity, basis in essay if entity != "vladimir-putin"
    ]
    assert figures[:7] == [
        ("the Russian elite", "russian-elite", "name"),
        ("Alexei Kudrin", "alexei-kudrin", "full_name"),
        ("Central Bank", "central-bank-of-russia", "name"),
        ("Elvira Nabiullina", "elvira-nabiullina", "full_name"),
        ("Sberbank", "sberbank", "name"),
        ("German Gref", "german-gref", "full_name"),
        ("Mikhail Mishustin", "mikhail-mishustin", "full_name"),
    ]
    assert sum(1 for m in essay if m[3] == "vladimir-putin") == 18

    # A curator's claim over a mention links it; deleting the claim unlinks it.
    text = client.get(f"/v1/sources/{SOURCE_ID}/text").json()["text"]
    start = text.index("Sergei Sobyanin")
    body = {
        "source_id": SOURCE_ID,
        "quote": "Sergei Sobyanin",
        "start": start,
        "end": start + len("Sergei Sobyanin"),
        "subjects": [{"type": "person", "id": "sergei-sobyanin"}],
        "attributed_to": {"type": "person", "id": "boris-bondarev"},
        "kind": "role_statement",
        "statement": "The essay names Sobyanin.",
        "modality": "asserted",
        "stance": "neutral",
    }
    before = client.get("/v1/persons/sergei-sobyanin/mentions").json()["items"]
    assert [(m["start"], m["claim_ids"]) for m in before] == [(start, before[0]["claim_ids"])]
    claim = created(client.post("/v1/claims", json=body, headers=keys[CURATOR]), "/v1/claims")
    after = client.get("/v1/persons/sergei-sobyanin/mentions").json()["items"]
    assert after[0]["claim_ids"] == sorted([*before[0]["claim_ids"], claim["id"]])
    tag = etag(client, f"/v1/claims/{claim['id']}")
    deleted = client.delete(f"/v1/claims/{claim['id']}", headers=with_etag(keys, tag))
    assert deleted.status_code == 204
    again = client.get("/v1/persons/sergei-sobyanin/mentions").json()["items"]
    assert again[0]["claim_ids"] == before[0]["claim_ids"]


def test_mentions_follow_names_and_texts(client: TestClient, keys: Keys) -> None:
    text = "Сергей Лавров прилетел в Анкару. Лаврова встретили в аэропорту."
    created(
        client.post(
            "/v1/sources", json=source_body("test-ru-lavrov", text, "ru"), headers=keys[CURATOR]
        ),
        "/v1/sources",
    )
    # Nobody known yet.
    assert mentions(client, "/v1/sources/test-ru-lavrov/mentions") == []
    lavrov = {
        "id": "sergei-lavrov",
        "name": "Sergei Lavrov",
        "names": [
            {
                "name": "Сергей Лавров",
                "lang": "ru",
                "script": "Cyrl",
                "kind": "original",
                "provenance": "curator: reference knowledge",
            }
        ],
    }
    created(client.post("/v1/persons", json=lavrov, headers=keys[CURATOR]), "/v1/persons")
    # A new person's mentions are found in the sources already stored.
    second = text.index("Лаврова")
    assert second == 33
    assert mentions(client, "/v1/sources/test-ru-lavrov/mentions") == [
        (0, 13, "Сергей Лавров", "sergei-lavrov", "full_name"),
        (33, 40, "Лаврова", "sergei-lavrov", "surname"),
    ]
    # Editing the text finds them again, at the new offsets.
    tag = etag(client, "/v1/sources/test-ru-lavrov")
    response = client.patch(
        "/v1/sources/test-ru-lavrov",
        json={"text": "Вчера " + text},
        headers=with_etag(keys, tag),
    )
    assert response.status_code == 200, response.text
    assert mentions(client, "/v1/persons/sergei-lavrov/mentions") == [
        (6, 19, "Сергей Лавров", "sergei-lavrov", "full_name"),
        (39, 46, "Лаврова", "sergei-lavrov", "surname"),
    ]
    # Deleting the person takes their mentions with them; the source stays.
    tag = etag(client, "/v1/persons/sergei-lavrov")
    assert (
        client.delete("/v1/persons/sergei-lavrov", headers=with_etag(keys, tag)).status_code == 204
    )
    assert mentions(client, "/v1/sources/test-ru-lavrov/mentions") == []


def test_mention_lists_refuse_unknown_ids_and_bad_cursors(client: TestClient) -> None:
    assert_problem(
        client.get("/v1/sources/no-such-source/mentions"),
        404,
        "/v1/sources/no-such-source/mentions",
    )
    assert_problem(client.get("/v1/persons/no-one/mentions"), 404, "/v1/persons/no-one/mentions")
    assert_problem(
        client.get("/v1/organizations/no-org/mentions"), 404, "/v1/organizations/no-org/mentions"
    )
    page = client.get(f"/v1/sources/{SOURCE_ID}/mentions", params={"limit": 3}).json()
    assert len(page["items"]) == 3
    cursor = page["next_cursor"]
    assert cursor is not None
    assert_problem(
        client.get("/v1/persons/vladimir-putin/mentions", params={"cursor": cursor}),
        400,
        "/v1/persons/vladimir-putin/mentions",
    )
    # Walking the pages gives the whole list once.
    walked: list[int] = []
    path = f"/v1/sources/{SOURCE_ID}/mentions"
    params: dict[str, Any] = {"limit": 7}
    for _ in range(20):
        body = client.get(path, params=params).json()
        walked += [m["start"] for m in body["items"]]
        if body["next_cursor"] is None:
            break
        params = {"limit": 7, "cursor": body["next_cursor"]}
    whole = [m[0] for m in mentions(client, path)]
    assert walked == whole and len(whole) == len(set(whole)) == 31


def test_lexicon_cache_sees_a_change_that_keeps_the_count(engine: Engine) -> None:
    """Replace the newest spelling by another: the count is unchanged, and on SQLite an id
    could be reused; the cached lexicon must still be rebuilt."""
    with Session(engine) as session:
        family = word_skeleton("Zzyzxov")
        assert family == "zizksov"
        before = load_lexicon(session)
        assert before.by_family.get(family) is None
        newest = session.scalars(select(NameVariant).order_by(col(NameVariant.id).desc())).first()
        assert newest is not None
        session.delete(newest)
        session.flush()
        session.add(
            NameVariant(
                person_id="alexei-kudrin",
                organization_id=None,
                **variants_of("Zakhar Zzyzxov", [])[0],
            )
        )
        session.flush()
        after = load_lexicon(session)
        assert after is not before
        assert after.by_family.get(family) == {"alexei-kudrin"}
        session.rollback()
