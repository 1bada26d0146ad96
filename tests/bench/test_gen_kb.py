"""bench/gen_kb.py at a tiny size, read back through the real app on SQLite and PostgreSQL:
the annotations, the change log and the mentions it writes are what the app's own writes
would have left."""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from app.config import PROJECT_ROOT
from app.db import make_engine
from app.main import create_app
from app.models.api_key import Scope
from app.services.access.keys import create_key
from app.services.search.detection import detect
from app.services.search.lexicon import load_lexicon
from tests.support.clients import app_settings

sys.path.insert(0, str(PROJECT_ROOT / "bench"))
import gen_kb  # noqa: E402

PERSONS, CLAIMS, ORGS, ANNOTATIONS = 60, 1_000, 40, 300


def _walk(client: TestClient, path: str, headers: dict[str, str] | None = None) -> list[Any]:
    items: list[Any] = []
    url: str | None = path + ("&" if "?" in path else "?") + "limit=500"
    while url:
        r = client.get(url, headers=headers or {})
        assert r.status_code == 200, r.text
        body = r.json()
        items += body["items"]
        cursor = body["next_cursor"]
        url = f"{path}{'&' if '?' in path else '?'}limit=500&cursor={cursor}" if cursor else None
    return items


def test_generated_kb_reads_back_through_the_app(empty_db_url: str) -> None:
    stats = gen_kb.generate(
        empty_db_url,
        persons=PERSONS,
        claims=CLAIMS,
        organizations=ORGS,
        seed=3,
        annotations=ANNOTATIONS,
    )
    rows = stats["rows"]
    assert rows["annotation"] == ANNOTATIONS
    engine = make_engine(empty_db_url)
    try:
        with Session(engine) as s:
            seeded = Counter(
                dict(
                    s.execute(
                        text(
                            "SELECT entity_type, count(*) FROM change WHERE origin = 'seed' "
                            "GROUP BY entity_type"
                        )
                    ).all()
                )
            )
            hidden_id = s.execute(
                text("SELECT id FROM annotation WHERE hidden ORDER BY id LIMIT 1")
            ).scalar_one()
            public = s.execute(
                text("SELECT count(*) FROM annotation WHERE NOT hidden AND deleted_at IS NULL")
            ).scalar_one()
            sources = list(s.execute(text("SELECT id, text FROM source ORDER BY id")).all())
            lexicon = load_lexicon(s)
            curator = create_key(s, name="checker", scopes=[Scope.curate], actor=None, origin="cli")
        headers = {"Authorization": f"Bearer {curator.secret}"}
        with TestClient(create_app(engine, app_settings())) as client:
            # Annotations: every public one is listed to anyone, a hidden one is not.
            listed = _walk(client, "/v1/annotations")
            assert len(listed) == public
            assert {a["motivation"] for a in listed} >= {"assessing", "replying", "commenting"}
            assert client.get(f"/v1/annotations/{hidden_id}").status_code == 404
            seen = client.get(f"/v1/annotations/{hidden_id}", headers=headers)
            assert seen.status_code == 200 and seen.json()["hidden"] is True

            # The change log: one row per generated write, in order, as curators see it.
            changes = _walk(client, "/v1/changes", headers)
            by_type = Counter(c["entity_type"] for c in changes)
            assert by_type == {
                "person": seeded["person"] + PERSONS,
                "organization": seeded["organization"] + ORGS,
                "role": seeded["role"] + rows["role"],
                "source": seeded["source"] + rows["source"],
                "claim": seeded["claim"] + CLAIMS,
                "api_key": 36 + 1,
                "annotation": rows["annotation_version"],
            }
            seqs = [c["seq"] for c in changes]
            assert seqs == list(range(1, len(changes) + 1))
            generated = [c for c in changes if c["origin"] != "seed"]
            assert [c["at"] for c in generated] == sorted(c["at"] for c in generated)
            ops = Counter(c["op"] for c in changes if c["entity_type"] == "annotation")
            assert ops["create"] == ANNOTATIONS
            assert ops["hide"] == round(ANNOTATIONS * 0.03)
            assert ops["delete"] == round(ANNOTATIONS * 0.02)

            # Mentions: every source's are what detection finds in its text.
            for source_id, source_text in sources:
                got = [
                    (
                        m["entity"]["type"],
                        m["entity"]["id"],
                        m["start"],
                        m["end"],
                        m["text"],
                        m["basis"],
                        m["matched_name"],
                    )
                    for m in _walk(client, f"/v1/sources/{source_id}/mentions")
                ]
                expected = [
                    (
                        f.entity_type.value,
                        f.entity_id,
                        f.start,
                        f.end,
                        f.text,
                        f.basis,
                        f.matched_name,
                    )
                    for f in detect(source_text, lexicon)
                ]
                assert got == expected, source_id

            # The app's own writes carry on after the generated rows (sequences moved on).
            claim_id = gen_kb.claim_id(0, 3)
            made = client.post(
                "/v1/annotations",
                headers=headers,
                json={
                    "target": {"type": "claim", "id": claim_id},
                    "motivation": "commenting",
                    "body": "Checked.",
                },
            )
            assert made.status_code == 201, made.text
            assert max(c["seq"] for c in _walk(client, "/v1/changes", headers)) == len(seqs) + 1
    finally:
        engine.dispose()
