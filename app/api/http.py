"""Conditional GETs (strong ETags over the exact JSON body, If-None-Match gives 304) and
small helpers shared by the routers."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from pydantic import BaseModel

from app.problems import (
    PROBLEM_MEDIA_TYPE,
    TYPE_BASE,
    PreconditionFailed,
    PreconditionRequired,
    problem_responses,
)

ETAG_HEADERS = {
    "ETag": {
        "description": "Strong validator of this representation; send it back in "
        "If-None-Match to get 304 when nothing changed.",
        "schema": {"type": "string"},
    }
}
# Every /v1 route may answer 429 when rate limits are on (app/api/ratelimit.py).
RATE_LIMITED = 429
LINK_HEADERS = {
    "Link": {
        "description": 'RFC 8288 link to the next page, `<url>; rel="next"`; absent on the last.',
        "schema": {"type": "string"},
    }
}


def single_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"headers": ETAG_HEADERS},
        304: {"description": "Not Modified: the If-None-Match tag is current."},
        **problem_responses(*statuses, RATE_LIMITED),
    }


LOCATION_HEADERS = {
    "Location": {"description": "Path of the created resource.", "schema": {"type": "string"}}
}


def write_responses(success: int, *statuses: int) -> dict[int | str, dict[str, Any]]:
    """A write: the resource as it now stands with its ETag (and Location on 201); 401
    without a key, 403 without the scope, 413 for a body over the size limit, and the
    given problem statuses."""
    headers = {**ETAG_HEADERS, **(LOCATION_HEADERS if success == 201 else {})}
    return {
        success: {"headers": headers},
        **problem_responses(401, 403, 413, *statuses, RATE_LIMITED),
    }


def list_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {200: {"headers": LINK_HEADERS}, **problem_responses(400, 422, *statuses, RATE_LIMITED)}


def representation(model: BaseModel) -> bytes:
    """The bytes of a resource's JSON representation: the body of its GET and of the write
    that changed it, and what its ETag hashes. Nothing else serialises a single resource."""
    return model.model_dump_json().encode()


def etag_of(body: bytes) -> str:
    """The strong ETag of a representation's bytes."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


@dataclass(frozen=True)
class IfMatchHeader:
    """A write's If-Match header as the precondition the write services check once the row
    is locked (app/services/curation/transaction.py `Precondition`): 428 if it is missing,
    412 unless it names the ETag of the record's current representation (strong comparison,
    RFC 9110 13.1.1); the 412 carries the current ETag so the client can re-read and retry."""

    header: str | None

    @property
    def given(self) -> bool:
        return self.header is not None

    def check(self, current: BaseModel) -> None:
        if self.header is None or not self.header.strip():
            raise PreconditionRequired(
                "This edit needs an If-Match header with the ETag of the version you are "
                "changing (GET the resource to read it)."
            )
        if self.header.strip() == "*":
            return
        etag = etag_of(representation(current))
        if etag not in [tag.strip() for tag in self.header.split(",")]:
            raise PreconditionFailed(
                f"The resource has changed since you read it: its ETag is now {etag}. "
                "Read it again, reapply your change and send the new ETag in If-Match.",
                headers={"ETag": etag},
            )


def _matches(header: str, etag: str) -> bool:
    # If-None-Match uses the weak comparison (RFC 9110 13.1.2): W/ prefixes are ignored.
    if header.strip() == "*":
        return True
    candidates = (tag.strip().removeprefix("W/") for tag in header.split(","))
    return etag in candidates


def conditional_response(request: Request, body: bytes, etag: str | None = None) -> Response:
    """The body with its strong ETag (computed unless given), or 304 on a matching
    If-None-Match."""
    etag = etag or etag_of(body)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    inm = request.headers.get("if-none-match")
    if inm is not None and _matches(inm, etag):
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type="application/json", headers=headers)


# -- the OpenAPI shapes of the curation writes (persons, organisations, roles, sources, claims)

CREATE_RESPONSES = write_responses(201, 409, 422)
UPDATE_RESPONSES = write_responses(200, 404, 409, 412, 422, 428)

# What the seed makes refer to Kudrin: seven claims about him and his two roles.
_KUDRIN_REFERENCES = [
    *(
        {"type": "claim", "id": claim_id, "relation": "subject"}
        for claim_id in (
            "clm_b2okhvymxr",
            "clm_n5yx7xj24p",
            "clm_oclad36r4r",
            "clm_s2l7iobuzk",
            "clm_ttsjdujriq",
            "clm_x4rrf4jkbk",
            "clm_y5czbtsop2",
        )
    ),
    {"type": "role", "id": "rol_f43bqcclcv", "relation": "person"},
    {"type": "role", "id": "rol_po3fhpgchi", "relation": "person"},
]
_REFUSED_DELETE = {
    "type": TYPE_BASE + "conflict",
    "title": "Conflict",
    "status": 409,
    "detail": "The person 'alexei-kudrin' cannot be deleted: 9 record(s) still refer to it "
    "(claim subject: 7, role person: 2). Change or delete them first; `references` lists them.",
    "instance": "/v1/persons/alexei-kudrin",
    "request_id": "5f0c6b1e2d7a4c0e9b8a7f6e5d4c3b2a",
    "references": _KUDRIN_REFERENCES,
    "reference_count": 9,
}


def _delete_responses() -> dict[int | str, dict[str, Any]]:
    # A delete answers 204 without a body or ETag, and the same problems as any other write;
    # its 409 lists what still refers to the record.
    responses = write_responses(204, 404, 409, 412, 422, 428)
    responses[204] = {
        "description": "Deleted, with its own name forms, identifiers, authors or subjects."
    }
    conflict = responses[409]
    responses[409] = {
        **conflict,
        "description": "Conflict: other records still refer to it (listed in `references`).",
        "content": {
            PROBLEM_MEDIA_TYPE: {
                **conflict["content"][PROBLEM_MEDIA_TYPE],
                "example": _REFUSED_DELETE,
            }
        },
    }
    return responses


DELETE_RESPONSES = _delete_responses()
