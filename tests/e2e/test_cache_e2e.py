"""The representation cache (app/api/cache.py) never serves a body older than an acknowledged
write: two real server processes on one database, each write made through one of them and
read back at once through the other, whose cache held the body from before the write."""

from __future__ import annotations

import httpx
import pytest

from app.db import make_engine, write_session
from app.models.api_key import Scope
from app.services.access.keys import create_key
from tests.support.server import running_server

pytestmark = pytest.mark.slow

ROUNDS = 15
PERSON = "/v1/persons/elvira-nabiullina"
CLAIMS = "/v1/claims?subject=elvira-nabiullina&limit=500"
ANNOTATIONS = "/v1/persons/elvira-nabiullina/annotations?limit=500"


def curate_key(db_url: str) -> str:
    engine = make_engine(db_url)
    try:
        with write_session(engine) as session:
            made = create_key(
                session, name="curator", scopes=[Scope.curate], actor=None, origin="cli"
            )
        return made.secret
    finally:
        engine.dispose()


def test_a_write_through_one_process_is_read_at_once_through_another(db_url: str) -> None:
    secret = curate_key(db_url)
    auth = {"Authorization": f"Bearer {secret}"}
    with (
        running_server(db_url) as writer_url,
        running_server(db_url) as reader_url,
        httpx.Client(base_url=writer_url, timeout=30, trust_env=False) as writer,
        httpx.Client(base_url=reader_url, timeout=30, trust_env=False) as reader,
    ):
        claims_before = len(reader.get(CLAIMS).json()["items"])
        for i in range(ROUNDS):
            # The reader's cache holds the person, their claims and their annotations.
            person = reader.get(PERSON)
            assert reader.get(PERSON).content == person.content
            notes_before = len(reader.get(ANNOTATIONS).json()["items"])

            description = f"Chair of the Central Bank of Russia (round {i})."
            edited = writer.patch(
                PERSON,
                json={"description": description},
                headers={**auth, "If-Match": person.headers["etag"]},
            )
            assert edited.status_code == 200, edited.text
            fresh = reader.get(PERSON)
            assert fresh.json()["description"] == description
            assert fresh.json()["version"] == person.json()["version"] + 1
            assert fresh.headers["etag"] == edited.headers["etag"]
            assert fresh.content == edited.content

            note = writer.post(
                "/v1/annotations",
                json={
                    "target": {"type": "person", "id": "elvira-nabiullina"},
                    "motivation": "commenting",
                    "body": f"note {i}",
                },
                headers=auth,
            )
            assert note.status_code == 201, note.text
            assert (
                reader.get(PERSON).json()["annotation_count"]
                == fresh.json()["annotation_count"] + 1
            )
            notes = reader.get(ANNOTATIONS).json()["items"]
            assert len(notes) == notes_before + 1
            assert note.json()["id"] in {n["id"] for n in notes}

        source = reader.get("/v1/sources?limit=1").json()["items"][0]["id"]
        text = reader.get(f"/v1/sources/{source}/text?start=0&end=20").json()["text"]
        made = writer.post(
            "/v1/claims",
            json={
                "source_id": source,
                "quote": text,
                "start": 0,
                "end": 20,
                "subjects": [{"type": "person", "id": "elvira-nabiullina"}],
                "attributed_to_label": "the author",
                "kind": "characterization",
                "statement": "A claim added while the other process had the list cached.",
                "modality": "asserted",
                "stance": "neutral",
            },
            headers=auth,
        )
        assert made.status_code == 201, made.text
        claims = reader.get(CLAIMS).json()["items"]
        assert len(claims) == claims_before + 1
        assert made.json()["id"] in {c["id"] for c in claims}
        counts = reader.get(PERSON).json()["claim_counts"]
        assert counts["total"] == claims_before + 1
