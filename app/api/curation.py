"""What the curation handlers (persons, organisations, roles, sources, claims) share: the
OpenAPI shapes of their writes."""

from __future__ import annotations

from typing import Any

from app.api.http import write_responses
from app.problems import PROBLEM_MEDIA_TYPE, TYPE_BASE

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
