"""Strong ETags on single resources and If-None-Match answered with 304 (RFC 9110 13.1.2)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.support.api import SOURCE_ID, assert_problem, claim_id
from tests.support.clients import Keys

SINGLE_RESOURCES = [
    "/v1/persons/alexei-kudrin",
    "/v1/persons/elvira-nabiullina",
    "/v1/organizations/russian-elite",
    "/v1/organizations/central-bank-of-russia",
    f"/v1/sources/{SOURCE_ID}",
    f"/v1/sources/{SOURCE_ID}/text",
    f"/v1/sources/{SOURCE_ID}/text?start=1360&end=1376",
    f"/v1/claims/{claim_id('five-realize-putin-leading-into-abyss')}",
    f"/v1/claims/{claim_id('many-suggest-putin-defeat-could-bring-coup')}",
]
STRONG_ETAG = re.compile(r'"[\x21\x23-\x7e]+"')


def test_conditional_get_on_every_single_resource(
    client: TestClient, subtests: pytest.Subtests
) -> None:
    tags: dict[str, str] = {}
    for url in SINGLE_RESOURCES:
        with subtests.test(url=url):
            first = client.get(url)
            assert first.status_code == 200
            etag = first.headers["etag"]
            assert STRONG_ETAG.fullmatch(etag), etag
            assert not etag.startswith("W/")
            tags[url] = etag
            again = client.get(url)
            assert again.headers["etag"] == etag
            assert again.content == first.content

            for header in (
                etag,
                "*",
                f'"something-else", {etag}',
                f'{etag},"something-else"',
                f"W/{etag}",
            ):
                not_modified = client.get(url, headers={"If-None-Match": header})
                assert not_modified.status_code == 304, header
                assert not_modified.content == b""
                assert not_modified.headers["etag"] == etag

            for header in ('"something-else"', '"a", "b"', etag[:-2] + '"', "W/" + etag[:-2] + '"'):
                modified = client.get(url, headers={"If-None-Match": header})
                assert modified.status_code == 200, header
                assert modified.content == first.content
                assert modified.headers["etag"] == etag

    with subtests.test("different representations have different tags"):
        assert len(set(tags.values())) == len(SINGLE_RESOURCES)

    with subtests.test("a tag from another resource does not match"):
        other = tags["/v1/persons/elvira-nabiullina"]
        response = client.get("/v1/persons/alexei-kudrin", headers={"If-None-Match": other})
        assert response.status_code == 200

    with subtests.test("a missing resource is 404 even with If-None-Match: *"):
        path = "/v1/persons/no-such-person"
        assert_problem(
            client.get(path, headers={"If-None-Match": "*"}), 404, path, "'no-such-person'"
        )


def test_etag_changes_when_the_resource_changes(client: TestClient, keys: Keys) -> None:
    url = "/v1/persons/alexei-kudrin"
    before = client.get(url)
    old_tag = before.headers["etag"]
    edited = client.patch(
        url,
        json={"description": "Russian economist; chair of the Accounts Chamber from 2018 to 2022."},
        headers={**keys["carol"], "If-Match": old_tag},
    )
    assert edited.status_code == 200, edited.text

    after = client.get(url, headers={"If-None-Match": old_tag})
    assert after.status_code == 200
    assert after.json()["description"] == (
        "Russian economist; chair of the Accounts Chamber from 2018 to 2022."
    )
    new_tag = after.headers["etag"]
    assert new_tag != old_tag
    assert client.get(url, headers={"If-None-Match": new_tag}).status_code == 304


def test_head_answers_like_get_without_a_body(
    client: TestClient, subtests: pytest.Subtests
) -> None:
    # RFC 9110 9.1: every general-purpose server supports HEAD wherever it supports GET; it is
    # how a client revalidates a cached ETag without downloading the representation.
    for url in SINGLE_RESOURCES[:3]:
        with subtests.test(url=url):
            get = client.get(url)
            head = client.head(url)
            assert head.status_code == 200, head.text[:400]
            assert head.content == b""
            assert head.headers["etag"] == get.headers["etag"]
            assert head.headers["content-type"] == get.headers["content-type"]
            conditional = client.head(url, headers={"If-None-Match": get.headers["etag"]})
            assert conditional.status_code == 304
