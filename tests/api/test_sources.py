"""GET /v1/sources, /v1/sources/{id}, /text slices (within the rights) and /claims."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Source
from tests.support.api import (
    ORIGINAL_PATH,
    SOURCE_ID,
    SOURCE_TITLE,
    assert_problem,
    canonical_text,
    claim_json,
    expected_claims,
    ids,
    sha256_hex,
    without_timestamps,
)

TEXT_LENGTH = 4500
JOIN_STEP = (
    "joined paragraph broken after 't were also to acknowledge the' to "
    "'validity of such an approach, ' with a space"
)
EXCERPT_TEXT = "".join(f"Excerpt sentence, number {i:03d}. " for i in range(40))  # 1200 cps
ASTRAL_TEXT = "Греф 🏦 Sberbank\n\nНабиуллина 💱 ЦБ"


def _add_source(session: Session, source_id: str, rights: str, text: str) -> None:
    session.add(
        Source(
            id=source_id,
            title=f"Test source {source_id}",
            url=f"https://example.org/{source_id}",
            publisher_organization_id="the-moscow-times",
            published_date=date(2024, 1, 2),
            language="en",
            genre="news",
            rights=rights,
            text=text,
            text_sha256=sha256_hex(text.encode()),
            text_length=len(text),
            derivation=["inserted by the test"],
            publisher_notes=[],
        )
    )
    session.commit()


@pytest.fixture
def extra_sources(session: Session) -> None:
    """Three more sources, one per rights value, inserted straight into the test's database."""
    _add_source(session, "test-excerpts-source", "excerpts", EXCERPT_TEXT)
    _add_source(session, "test-metadata-only-source", "metadata_only", EXCERPT_TEXT)
    _add_source(session, "test-astral-full-text-source", "full_text", ASTRAL_TEXT)


def test_list_sources(client: TestClient) -> None:
    response = client.get("/v1/sources")
    assert response.status_code == 200
    body = response.json()
    assert body["next_cursor"] is None
    assert [without_timestamps(s) for s in body["items"]] == [
        {
            "id": SOURCE_ID,
            "title": SOURCE_TITLE,
            "url": "https://www.themoscowtimes.com/2023/02/23/the-west-must-drive-a-wedge-"
            "between-putin-and-russia-s-elites-a80296",
            "authors": [{"type": "person", "id": "boris-bondarev", "name": "Boris Bondarev"}],
            "publisher": {
                "type": "organization",
                "id": "the-moscow-times",
                "name": "The Moscow Times",
            },
            "published_date": "2023-02-23",
            "language": "en",
            "genre": "opinion",
            "rights": "full_text",
            "text_length": TEXT_LENGTH,
            "text_sha256": sha256_hex(canonical_text().encode()),
            "claim_count": 36,
            "version": 1,
        }
    ]
    assert "text" not in body["items"][0]
    for params, expected in [
        ({"language": "en"}, [SOURCE_ID]),
        ({"language": "ru"}, []),
        ({"genre": "opinion"}, [SOURCE_ID]),
        ({"genre": "news"}, []),
        ({"author": "boris-bondarev"}, [SOURCE_ID]),
        ({"author": "vladimir-putin"}, []),
        ({"publisher": "the-moscow-times"}, [SOURCE_ID]),
        ({"publisher": "sberbank"}, []),
    ]:
        assert ids(client.get("/v1/sources", params=params)) == expected, params


def test_get_source_full_text(client: TestClient) -> None:
    response = client.get(f"/v1/sources/{SOURCE_ID}")
    assert response.status_code == 200
    body = response.json()
    listed = client.get("/v1/sources").json()["items"][0]
    assert {k: body[k] for k in listed} == listed
    text = body["text"]
    assert text == canonical_text()
    assert len(text) == body["text_length"] == TEXT_LENGTH
    assert sha256_hex(text.encode("utf-8")) == body["text_sha256"]
    assert body["original_sha256"] == sha256_hex(ORIGINAL_PATH.read_bytes())
    assert body["rights"] == "full_text"
    assert body["text_available"] == "The whole text is included and can be sliced at /text."
    assert body["publisher"] == {
        "type": "organization",
        "id": "the-moscow-times",
        "name": "The Moscow Times",
    }
    assert body["authors"] == [{"type": "person", "id": "boris-bondarev", "name": "Boris Bondarev"}]
    assert body["publisher_notes"] == [
        "The views expressed in opinion pieces do not necessarily reflect the position of "
        "The Moscow Times."
    ]
    derivation = body["derivation"]
    assert derivation[0] == f"derived from seed/sources/{SOURCE_ID}.original.md"
    assert JOIN_STEP in derivation
    assert derivation[-1] == (
        "kept 12 body paragraphs joined by one blank line (1 broken paragraph(s) rejoined); "
        "offsets are Unicode code points into this text"
    )
    # The derivation did what it says: the broken paragraph is joined, the furniture is gone.
    assert "If Ukraine and the West were also to acknowledge the validity of such an" in text
    assert text.count("\n\n") == 11
    assert text.startswith("Putin's Russia has now been at war with Ukraine for a year.")
    assert text.endswith("in the future political processes of a post-Putin Russia.")
    for furniture in ("Related article", "kremlin.ru", "The views expressed", "Original url", "]("):
        assert furniture not in text
    assert text[1360:1376] == "almost certainly"


def test_get_source_text_slices(client: TestClient, subtests: pytest.Subtests) -> None:
    text = canonical_text()
    url = f"/v1/sources/{SOURCE_ID}/text"
    cases: list[tuple[dict[str, int], int, int]] = [
        ({}, 0, TEXT_LENGTH),
        ({"start": 1360, "end": 1376}, 1360, 1376),
        ({"start": 0, "end": 13}, 0, 13),
        ({"start": 4400}, 4400, TEXT_LENGTH),
        ({"end": 57}, 0, 57),
        ({"start": 1360, "end": 1360}, 1360, 1360),
        ({"start": TEXT_LENGTH, "end": TEXT_LENGTH}, TEXT_LENGTH, TEXT_LENGTH),
        ({"start": 0, "end": TEXT_LENGTH}, 0, TEXT_LENGTH),
    ]
    for params, start, end in cases:
        with subtests.test(**params):
            response = client.get(url, params=params)
            assert response.status_code == 200, response.text
            assert response.json() == {
                "source_id": SOURCE_ID,
                "start": start,
                "end": end,
                "text": text[start:end],
                "rights": "full_text",
                "text_sha256": sha256_hex(text.encode()),
            }
    with subtests.test("literal values"):
        got = client.get(url, params={"start": 1360, "end": 1376}).json()["text"]
        assert got == "almost certainly"
        assert client.get(url, params={"end": 13}).json()["text"] == "Putin's Russi"
    with subtests.test("every claim quote"):
        for claim in expected_claims():
            sliced = client.get(url, params={"start": claim.start, "end": claim.end}).json()
            assert sliced["text"] == claim.quote, claim.key


def test_get_source_text_bad_ranges(client: TestClient, subtests: pytest.Subtests) -> None:
    url = f"/v1/sources/{SOURCE_ID}/text"
    range_errors: list[tuple[dict[str, int], str]] = [
        ({"start": 10, "end": 5}, "[10, 5)"),
        ({"start": 0, "end": TEXT_LENGTH + 1}, f"[0, {TEXT_LENGTH + 1})"),
        ({"start": TEXT_LENGTH + 1}, f"[{TEXT_LENGTH + 1}, {TEXT_LENGTH})"),
        ({"end": 10**9}, f"[0, {10**9})"),
    ]
    for params, mention in range_errors:
        with subtests.test(**params):
            body = assert_problem(
                client.get(url, params=params), 422, url, mention, str(TEXT_LENGTH)
            )
            assert body["type"] == "https://elitekb.example/problems/invalid-range"
            assert "errors" not in body
    for params in ({"start": -1}, {"end": -1}, {"start": -5, "end": 3}, {"start": "x"}):
        name = next(iter(params))
        with subtests.test(**params):
            body = assert_problem(
                client.get(url, params=params), 422, url, name, slug="validation-error"
            )
            assert [e["loc"] for e in body["errors"]] == [["query", name]]


def test_source_rights(client: TestClient, extra_sources: None, subtests: pytest.Subtests) -> None:
    with subtests.test("list shows every source with its rights"):
        items = client.get("/v1/sources").json()["items"]
        assert [(s["id"], s["rights"], s["text_length"]) for s in items] == [
            (SOURCE_ID, "full_text", TEXT_LENGTH),
            ("test-astral-full-text-source", "full_text", 32),
            ("test-excerpts-source", "excerpts", 1200),
            ("test-metadata-only-source", "metadata_only", 1200),
        ]

    with subtests.test("excerpts: detail withholds the text"):
        body = client.get("/v1/sources/test-excerpts-source").json()
        assert body["text"] is None
        assert body["rights"] == "excerpts"
        assert body["text_length"] == 1200
        assert body["text_sha256"] == sha256_hex(EXCERPT_TEXT.encode())
        assert body["text_available"] == (
            "Only excerpts: /text serves slices of at most 500 code points."
        )

    url = "/v1/sources/test-excerpts-source/text"
    for start, end in ((0, 500), (700, 1200), (123, 124), (1200, 1200)):
        with subtests.test("excerpts: short slice served", start=start, end=end):
            response = client.get(url, params={"start": start, "end": end})
            assert response.status_code == 200, response.text
            assert response.json() == {
                "source_id": "test-excerpts-source",
                "start": start,
                "end": end,
                "text": EXCERPT_TEXT[start:end],
                "rights": "excerpts",
                "text_sha256": sha256_hex(EXCERPT_TEXT.encode()),
            }
    for params in ({"start": 0, "end": 501}, {"start": 699, "end": 1200}, {}):
        with subtests.test("excerpts: long slice refused", **params):
            assert_problem(
                client.get(url, params=params),
                403,
                url,
                "test-excerpts-source",
                "500",
                slug="forbidden",
            )

    with subtests.test("metadata_only: detail withholds the text"):
        body = client.get("/v1/sources/test-metadata-only-source").json()
        assert body["text"] is None
        assert body["rights"] == "metadata_only"
        assert body["text_sha256"] == sha256_hex(EXCERPT_TEXT.encode())
    url = "/v1/sources/test-metadata-only-source/text"
    for params in ({"start": 0, "end": 10}, {"start": 5, "end": 5}, {}):
        with subtests.test("metadata_only: no slice at all", **params):
            body = assert_problem(
                client.get(url, params=params),
                403,
                url,
                "test-metadata-only-source",
                "metadata_only",
                slug="forbidden",
            )
            assert EXCERPT_TEXT[:10] not in body["detail"]

    with subtests.test("offsets are code points, astral characters count once"):
        body = client.get("/v1/sources/test-astral-full-text-source").json()
        assert body["text"] == ASTRAL_TEXT
        assert body["text_length"] == len(ASTRAL_TEXT) == 32
        url = "/v1/sources/test-astral-full-text-source/text"
        assert client.get(url, params={"start": 5, "end": 6}).json()["text"] == "🏦"
        assert client.get(url, params={"start": 28, "end": 32}).json()["text"] == "💱 ЦБ"
        assert client.get(url, params={"start": 17, "end": 27}).json()["text"] == "Набиуллина"


def test_list_source_claims(client: TestClient, subtests: pytest.Subtests) -> None:
    url = f"/v1/sources/{SOURCE_ID}/claims"
    with subtests.test("all claims in offset order"):
        body = client.get(url).json()
        assert body["next_cursor"] is None
        assert [without_timestamps(c) for c in body["items"]] == [
            claim_json(c) for c in expected_claims()
        ]
        starts = [c["start"] for c in body["items"]]
        assert starts == sorted(starts)
        assert len(starts) == 36
        assert (
            body["items"] == client.get("/v1/claims", params={"source": SOURCE_ID}).json()["items"]
        )
    for params in ({"kind": "prediction"}, {"modality": "speculative"}, {"stance": "favourable"}):
        with subtests.test(**params):
            expected = [
                c.id for c in expected_claims() if getattr(c, next(iter(params))) in params.values()
            ]
            assert ids(client.get(url, params=params)) == expected
    with subtests.test("unknown source"):
        path = "/v1/sources/no-such-source/claims"
        body = assert_problem(client.get(path), 404, path, "'no-such-source'", slug="not-found")
        assert body["detail"] == "No source with id 'no-such-source'."
    for path in ("/v1/sources/no-such-source", "/v1/sources/no-such-source/text"):
        with subtests.test("unknown source", path=path):
            assert_problem(client.get(path), 404, path, "'no-such-source'", slug="not-found")
