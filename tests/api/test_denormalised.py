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


ABOUT_RECOUNT = (
    "SELECT target_id, id FROM annotation WHERE target_type = 'person' "
    "UNION SELECT cs.person_id, a.id FROM annotation a JOIN claim_subject cs "
    "ON cs.claim_id = a.target_id WHERE a.target_type = 'claim' AND cs.person_id IS NOT NULL "
    "UNION SELECT r.person_id, a.id FROM annotation a JOIN role r ON r.id = a.target_id "
    "WHERE a.target_type = 'role' ORDER BY 1, 2"
)
PUBLIC_RECOUNT = (
    "SELECT ab.person_id, COUNT(*) FROM annotation_about ab JOIN annotation a "
    "ON a.id = ab.annotation_id WHERE a.hidden = false AND a.deleted_at IS NULL "
    "GROUP BY ab.person_id ORDER BY 1"
)


def assert_about_consistent(engine: Engine, client: TestClient) -> dict[str, int]:
    with engine.connect() as conn:
        about = [
            tuple(r)
            for r in conn.execute(
                text("SELECT person_id, annotation_id FROM annotation_about ORDER BY 1, 2")
            )
        ]
        recount = [tuple(r) for r in conn.execute(text(ABOUT_RECOUNT))]
        tally = dict(conn.execute(text("SELECT person_id, n FROM annotation_tally")).all())
        public = dict(conn.execute(text(PUBLIC_RECOUNT)).all())
    assert about == recount
    assert tally == public
    for person in ("alexei-kudrin", "german-gref", "elvira-nabiullina"):
        listed = client.get(f"/v1/persons/{person}/annotations?limit=500").json()["items"]
        assert client.get(f"/v1/persons/{person}").json()["annotation_count"] == len(listed)
        assert len(listed) == tally.get(person, 0)
    return tally


def etag_of(client: TestClient, url: str) -> str:
    return str(client.get(url).headers["etag"])


def test_annotation_writes_keep_who_they_are_about(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    claim = next(
        c
        for c in client.get("/v1/claims?subject=alexei-kudrin").json()["items"]
        if [s["id"] for s in c["subjects"]] == ["alexei-kudrin"]
    )
    role = client.get("/v1/persons/german-gref/roles").json()["items"][0]

    def note(target: dict[str, str], who: str = "alice") -> dict[str, Any]:
        r = client.post(
            "/v1/annotations",
            json={"target": target, "motivation": "commenting", "body": "noted"},
            headers=keys[who],
        )
        assert r.status_code == 201, r.text
        return {"id": r.json()["id"], "etag": r.headers["etag"]}

    on_claim = note({"type": "claim", "id": claim["id"]})
    on_person = note({"type": "person", "id": "alexei-kudrin"}, "bob")
    on_role = note({"type": "role", "id": role["id"]})
    tally = assert_about_consistent(engine, client)
    assert tally["alexei-kudrin"] == 2
    assert tally["german-gref"] == 1

    hidden = client.post(
        f"/v1/annotations/{on_person['id']}/hide", json={"reason": "test"}, headers=keys["carol"]
    )
    assert hidden.status_code == 200, hidden.text
    assert assert_about_consistent(engine, client)["alexei-kudrin"] == 1
    shown = client.post(f"/v1/annotations/{on_person['id']}/unhide", headers=keys["carol"])
    assert shown.status_code == 200, shown.text
    assert assert_about_consistent(engine, client)["alexei-kudrin"] == 2
    gone = client.delete(
        f"/v1/annotations/{on_claim['id']}",
        headers={**keys["alice"], "If-Match": on_claim["etag"]},
    )
    assert gone.status_code == 200, gone.text
    assert assert_about_consistent(engine, client)["alexei-kudrin"] == 1

    # The annotations move with the claim's subjects and the role's person.
    live = note({"type": "claim", "id": claim["id"]})
    assert live["id"]
    assert assert_about_consistent(engine, client)["alexei-kudrin"] == 2
    moved = client.patch(
        f"/v1/claims/{claim['id']}",
        json={"subjects": [{"type": "person", "id": "elvira-nabiullina"}]},
        headers={
            **keys["carol"],
            "If-Match": client.get(f"/v1/claims/{claim['id']}").headers["etag"],
        },
    )
    assert moved.status_code == 200, moved.text
    tally = assert_about_consistent(engine, client)
    assert tally["alexei-kudrin"] == 1
    assert tally["elvira-nabiullina"] == 1
    moved = client.patch(
        f"/v1/roles/{role['id']}",
        json={"person_id": "elvira-nabiullina"},
        headers={
            **keys["carol"],
            "If-Match": client.get(f"/v1/roles/{role['id']}").headers["etag"],
        },
    )
    assert moved.status_code == 200, moved.text
    tally = assert_about_consistent(engine, client)
    assert "german-gref" not in tally
    assert tally["elvira-nabiullina"] == 2
    assert on_role["id"] in {
        a["id"] for a in client.get("/v1/persons/elvira-nabiullina/annotations").json()["items"]
    }
