"""The copies the read paths index (app/services/curation/denormalised.py) follow every claim
write: after each create, edit (kind, subjects, a re-anchored quote) and delete, the subject
rows' copies equal their claim's columns and the tallies equal a count made from scratch, and
the records show those counts."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.support.api import SOURCE_ID, canonical_text
from tests.support.clients import Keys

CURATOR = "carol"
QUOTE = "they almost certainly realize"
RECOUNT = (
    "SELECT COALESCE(cs.person_id, cs.organization_id), c.kind, COUNT(*) FROM claim_subject cs "
    "JOIN claim c ON c.id = cs.claim_id GROUP BY 1, 2 ORDER BY 1, 2"
)
COPIES_OFF = (
    "SELECT cs.claim_id FROM claim_subject cs JOIN claim c ON c.id = cs.claim_id WHERE "
    "cs.subject_id <> COALESCE(cs.person_id, cs.organization_id) OR cs.source_id <> c.source_id "
    "OR cs.quote_start <> c.quote_start"
)


def assert_consistent(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        tallies = [
            tuple(r)
            for r in conn.execute(
                text("SELECT subject_id, kind, n FROM claim_tally ORDER BY subject_id, kind")
            )
        ]
        recount = [tuple(r) for r in conn.execute(text(RECOUNT))]
        off = conn.execute(text(COPIES_OFF)).all()
    assert tallies == recount
    assert off == []
    return tallies


def counts(client: TestClient, entity: str) -> dict[str, Any]:
    kind = "organizations" if entity == "central-bank-of-russia" else "persons"
    return client.get(f"/v1/{kind}/{entity}").json()["claim_counts"]


def test_claim_writes_keep_the_copies_and_tallies(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    assert_consistent(engine)
    kudrin, gref = counts(client, "alexei-kudrin"), counts(client, "german-gref")
    start = canonical_text().index(QUOTE)
    made = client.post(
        "/v1/claims",
        json={
            "source_id": SOURCE_ID,
            "quote": QUOTE,
            "start": start,
            "end": start + len(QUOTE),
            "subjects": [
                {"type": "person", "id": "alexei-kudrin"},
                {"type": "person", "id": "german-gref"},
            ],
            "attributed_to": {"type": "person", "id": "boris-bondarev"},
            "kind": "belief_attribution",
            "statement": "The author believes they realize where Putin is leading Russia.",
            "modality": "hedged",
            "hedge": "almost certainly",
            "stance": "mixed",
        },
        headers=keys[CURATOR],
    )
    assert made.status_code == 201, made.text
    url, etag = f"/v1/claims/{made.json()['id']}", made.headers["etag"]
    assert_consistent(engine)
    after = counts(client, "alexei-kudrin")
    assert after["total"] == kudrin["total"] + 1
    assert (
        after["by_kind"]["belief_attribution"] == kudrin["by_kind"].get("belief_attribution", 0) + 1
    )
    assert counts(client, "german-gref")["total"] == gref["total"] + 1

    def patch(body: dict[str, Any]) -> None:
        nonlocal etag
        r = client.patch(url, json=body, headers={**keys[CURATOR], "If-Match": etag})
        assert r.status_code == 200, r.text
        etag = r.headers["etag"]
        assert_consistent(engine)

    patch({"kind": "assertion"})
    assert counts(client, "alexei-kudrin")["by_kind"].get("belief_attribution", 0) == (
        kudrin["by_kind"].get("belief_attribution", 0)
    )
    patch({"subjects": [{"type": "organization", "id": "central-bank-of-russia"}]})
    assert counts(client, "alexei-kudrin") == kudrin
    assert counts(client, "german-gref") == gref
    # Re-anchored at the quote's other place in the text, or the same words once more.
    patch({"quote": "Putin", "occurrence": 2, "hedge": None})
    listed = client.get("/v1/claims?subject=central-bank-of-russia&limit=500").json()["items"]
    assert made.json()["id"] in {c["id"] for c in listed}

    gone = client.delete(url, headers={**keys[CURATOR], "If-Match": etag})
    assert gone.status_code == 204, gone.text
    assert_consistent(engine)
    assert counts(client, "alexei-kudrin") == kudrin
