"""Settings given to create_app reach every part of the app, not only its middleware: the
default page size, the excerpt limit (text slices and annotation selectors), closed reads and
the cursor key all follow them while the environment's settings stay at their defaults."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.config import get_settings
from app.main import create_app
from app.models import Source
from tests.support.api import stored_cursor_secret
from tests.support.clients import Keys, app_settings

TEXT = "".join(f"Excerpt sentence, number {i:03d}. " for i in range(40))  # 1200 code points


@pytest.fixture
def excerpts_source(session: Session) -> str:
    session.add(
        Source(
            id="test-excerpts-source",
            title="Test source with excerpt rights",
            url="https://example.org/test-excerpts-source",
            publisher_organization_id="the-moscow-times",
            published_date=date(2024, 1, 2),
            language="en",
            genre="news",
            rights="excerpts",
            text=TEXT,
            text_sha256=hashlib.sha256(TEXT.encode()).hexdigest(),
            text_length=len(TEXT),
            derivation=["inserted by the test"],
            publisher_notes=[],
        )
    )
    session.commit()
    return "test-excerpts-source"


def test_the_environment_keeps_its_defaults() -> None:
    """What the other tests here change is not what the environment says."""
    env = get_settings()
    assert (env.page_size_default, env.excerpt_max_chars, env.public_read) == (50, 500, True)
    assert env.cursor_secret is None


def test_page_size(engine: Engine) -> None:
    with TestClient(create_app(engine, app_settings(page_size_default=3))) as client:
        body = client.get("/v1/persons").json()
        assert [p["id"] for p in body["items"]] == [
            "alexei-kudrin",
            "boris-bondarev",
            "elvira-nabiullina",
        ]
        assert body["next_cursor"] is not None
        assert len(client.get("/v1/claims").json()["items"]) == 3


def test_excerpt_limit(engine: Engine, keys: Keys, excerpts_source: str) -> None:
    with TestClient(create_app(engine, app_settings(excerpt_max_chars=20))) as client:
        url = f"/v1/sources/{excerpts_source}"
        assert client.get(url).json()["text_available"] == (
            "Only excerpts: /text serves slices of at most 20 code points."
        )
        assert client.get(f"{url}/text?start=0&end=20").json()["text"] == TEXT[:20]
        refused = client.get(f"{url}/text?start=0&end=21")
        assert refused.status_code == 403
        assert refused.json()["detail"] == (
            f"Source {excerpts_source!r} allows excerpts of at most 20 code points; [0, 21) is 21."
        )
        note = {
            "target": {"type": "source", "id": excerpts_source},
            "motivation": "commenting",
            "body": "Too long a quote for these rights.",
        }
        for end, status in ((20, 201), (21, 422)):
            note["target"]["selector"] = {"start": 0, "end": end}  # type: ignore[index]
            response = client.post("/v1/annotations", json=note, headers=keys["alice"])
            assert response.status_code == status, response.text
    with TestClient(create_app(engine, app_settings())) as client:
        # The same app code with the environment's settings: the limit is 500 again.
        assert client.get(f"/v1/sources/{excerpts_source}/text?start=0&end=21").status_code == 200


def test_closed_reads(engine: Engine, keys: Keys) -> None:
    with TestClient(create_app(engine, app_settings(public_read=False))) as client:
        assert client.get("/v1/persons").status_code == 401
        assert client.get("/v1/persons", headers=keys["bob"]).status_code == 200
    with TestClient(create_app(engine, app_settings())) as client:
        assert client.get("/v1/persons").status_code == 200


def test_cursor_key(engine: Engine) -> None:
    """A configured cursor key signs the app's cursors instead of the database's own."""
    configured = "configured-for-this-deployment"
    with TestClient(create_app(engine, app_settings(cursor_secret=configured))) as client:
        cursor = client.get("/v1/persons?limit=2").json()["next_cursor"]
        blob = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        signature, payload = blob[:12], blob[12:]
        assert signature == hmac.new(configured.encode(), payload, "sha256").digest()[:12]
        assert signature != hmac.new(stored_cursor_secret(engine), payload, "sha256").digest()[:12]
        assert client.get(f"/v1/persons?limit=2&cursor={cursor}").status_code == 200
    with TestClient(create_app(engine, app_settings())) as client:
        # The database's own key does not accept a cursor signed with another.
        assert client.get(f"/v1/persons?limit=2&cursor={cursor}").status_code == 400
