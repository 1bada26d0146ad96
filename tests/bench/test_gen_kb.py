"""bench/gen_kb.py at a tiny size, read back through the real app on SQLite and PostgreSQL:
the annotations, the change log and the mentions it writes are what the app's own writes
would have left."""

from __future__ import annotations

import datetime as dt
import json
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
from app.models.change import ChangeEntity
from app.services.access.keys import create_key
from app.services.curation.records import document_text, record_of
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
            _assert_stored_records_are_the_apps(s)
            curator = create_key(s, name="checker", scopes=[Scope.admin], actor=None, origin="cli")
        headers = {"Authorization": f"Bearer {curator.secret}"}
        with TestClient(create_app(engine, app_settings())) as client:
            # Annotations: every public one is listed to anyone, a hidden one is not.
            listed = _walk(client, "/v1/annotations")
            assert len(listed) == public
            assert {a["motivation"] for a in listed} >= {"assessing", "replying", "commenting"}
            assert client.get(f"/v1/annotations/{hidden_id}").status_code == 404
            seen = client.get(f"/v1/annotations/{hidden_id}", headers=headers)
            assert seen.status_code == 200 and seen.json()["hidden"] is True

            # The change log: one row per generated write, in order, as admins see it (API-key
            # rows reach admin keys only).
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


def _assert_stored_records_are_the_apps(s: Session) -> None:
    """Every change row but a delete stores a record, and the record of each entity's current
    version is byte for byte what app/services/curation/records.py builds from the rows; an
    annotation's earlier versions agree with the content its version rows kept."""
    missing = s.execute(
        text("SELECT count(*) FROM change WHERE document IS NULL AND op <> 'delete'")
    ).scalar_one()
    assert missing == 0
    assert (
        s.execute(
            text("SELECT count(*) FROM change WHERE document IS NOT NULL AND op = 'delete'")
        ).scalar_one()
        == 0
    )
    checked: Counter[str] = Counter()
    for entity in ChangeEntity:
        table = entity.value
        current = s.execute(
            text(
                f"SELECT c.entity_id, c.document FROM change c JOIN {table} e "
                "ON e.id = c.entity_id AND e.version = c.version "
                "WHERE c.entity_type = :t AND c.origin <> 'seed' AND c.op <> 'delete'"
            ),
            {"t": entity.value},
        ).all()
        for entity_id, document in current:
            record = record_of(s, entity, entity_id)
            assert record is not None
            assert document == document_text(record), (entity.value, entity_id)
            checked[entity.value] += 1
    assert checked == {
        "person": PERSONS,
        "organization": ORGS,
        "role": checked["role"],
        "source": checked["source"],
        "claim": CLAIMS,
        # deleted annotations have no current record to compare with
        "annotation": ANNOTATIONS - round(ANNOTATIONS * 0.02),
        "api_key": 36,
    }
    assert checked["role"] >= PERSONS and checked["source"] >= 1
    versions = s.execute(
        text(
            "SELECT c.document, v.content, v.at FROM change c JOIN annotation_version v "
            "ON v.annotation_id = c.entity_id AND v.version = c.version "
            "WHERE c.entity_type = 'annotation' AND c.op <> 'delete'"
        )
    ).all()
    assert (
        len(versions)
        == s.execute(
            text("SELECT count(*) FROM annotation_version WHERE op <> 'delete'")
        ).scalar_one()
    )
    keys = ("body", "tags", "assessment", "links", "hidden", "hidden_reason", "deleted")
    for document, content, at in versions:
        stored = json.loads(document)
        kept = content if isinstance(content, dict) else json.loads(content)
        assert {k: stored[k] for k in keys} == {k: kept[k] for k in keys}
        # SQLite hands back text (naive UTC), PostgreSQL an aware datetime.
        at = dt.datetime.fromisoformat(at) if isinstance(at, str) else at
        updated = dt.datetime.fromisoformat(stored["updated_at"])
        assert updated == at.replace(tzinfo=at.tzinfo or dt.UTC)
