"""The stored record (`change.document`) of each generated write, built from the values
bench/gen_kb.py inserts instead of being read back from the database.

app/services/curation/records.py builds a record from the rows of the current transaction and
stores `document_text(record)`. Here the same app.models.record shapes are validated from the
values the generator is about to write, and `document_text` gives the text: ~9 µs a claim,
so a million claims cost seconds, not the hours of a read back per entity.
tests/bench/test_gen_kb.py checks the texts against `records.record_of` on a generated KB.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from app.models.record import (
    AnnotationRecord,
    ApiKeyRecord,
    ClaimRecord,
    OrganizationRecord,
    PersonRecord,
    RoleRecord,
    SourceRecord,
)
from app.services.curation.records import document_text

# (name, lang, script, kind, scheme) of a name form, as gen_kb places them.
Form = tuple[str, str | None, str, str, str | None]


def _stamps(at: dt.datetime, updated: dt.datetime | None = None, version: int = 1) -> dict:
    return {"created_at": at, "updated_at": updated or at, "version": version}


def _names(forms: Sequence[Form], provenance: str) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "lang": lang,
            "script": script,
            "kind": kind,
            "scheme": scheme,
            "provenance": provenance,
        }
        for name, lang, script, kind, scheme in forms
    ]


def person(
    person_id: str,
    name: str,
    description: str | None,
    birth_date: dt.date | None,
    forms: Sequence[Form],
    provenance: str,
    at: dt.datetime,
) -> str:
    return document_text(
        PersonRecord.model_validate(
            {
                "id": person_id,
                "name": name,
                "description": description,
                "birth_date": birth_date,
                "names": _names(forms, provenance),
                "identifiers": [],
                **_stamps(at),
            }
        )
    )


def organization(
    org_id: str,
    name: str,
    kind: str,
    description: str | None,
    forms: Sequence[Form],
    provenance: str,
    at: dt.datetime,
) -> str:
    return document_text(
        OrganizationRecord.model_validate(
            {
                "id": org_id,
                "name": name,
                "kind": kind,
                "description": description,
                "names": _names(forms, provenance),
                "identifiers": [],
                **_stamps(at),
            }
        )
    )


def role(values: dict[str, Any], at: dt.datetime) -> str:
    """`values`: the role's columns (dates as dates or ISO strings)."""
    fields = {k: values[k] for k in RoleRecord.model_fields if k in values}
    return document_text(RoleRecord.model_validate({**fields, **_stamps(at)}))


def source(values: dict[str, Any], author_ids: Sequence[str], at: dt.datetime) -> str:
    """`values`: the source's columns; derivation and publisher notes as lists."""
    return document_text(
        SourceRecord.model_validate(
            {
                "id": values["id"],
                "title": values["title"],
                "url": values["url"],
                "published_date": values["published_date"],
                "language": values["language"],
                "genre": values["genre"],
                "rights": values["rights"],
                "publisher_id": values["publisher_organization_id"],
                "author_ids": list(author_ids),
                "text": values["text"] if values["rights"] == "full_text" else None,
                "text_length": values["text_length"],
                "text_sha256": values["text_sha256"],
                "original_sha256": values["original_sha256"],
                "derivation": list(values["derivation"]),
                "publisher_notes": list(values["publisher_notes"]),
                **_stamps(at),
            }
        )
    )


def claim(
    values: dict[str, Any], subjects: Sequence[tuple[str | None, str | None]], at: dt.datetime
) -> str:
    """`values`: the claim's columns; `subjects`: (person_id, organization_id) in order."""
    attributed = None
    if values["attributed_to_person_id"]:
        attributed = {"type": "person", "id": values["attributed_to_person_id"]}
    elif values["attributed_to_organization_id"]:
        attributed = {"type": "organization", "id": values["attributed_to_organization_id"]}
    return document_text(
        ClaimRecord.model_validate(
            {
                "id": values["id"],
                "source_id": values["source_id"],
                "quote": values["quote"],
                "start": values["quote_start"],
                "end": values["quote_end"],
                "subjects": [
                    {"type": "person", "id": p}
                    if p is not None
                    else {"type": "organization", "id": o}
                    for p, o in subjects
                ],
                "attributed_to": attributed,
                "attributed_to_label": values["attributed_to_label"],
                "kind": values["kind"],
                "statement": values["statement"],
                "modality": values["modality"],
                "hedge": values["hedge"],
                "stance": values["stance"],
                "rationale": values["rationale"],
                **_stamps(at),
            }
        )
    )


def annotation(
    *,
    annotation_id: str,
    target_type: str,
    target_id: str,
    selector: dict[str, Any],
    motivation: str,
    body: str | None,
    tags: Sequence[str],
    verdict: str | None,
    confidence: float | None,
    links: Sequence[str],
    creator: str,
    thread_id: str,
    hidden: bool,
    hidden_reason: str | None,
    created: dt.datetime,
    updated: dt.datetime,
    version: int,
) -> str:
    """The annotation as one of its versions left it (never deleted: a delete stores none).
    `selector`: gen_annotations' selector columns, or empty."""
    target: dict[str, Any] = {"type": target_type, "id": target_id, "selector": None}
    if selector.get("selector_start") is not None and selector.get("selector_end") is not None:
        target["selector"] = {
            "start": selector["selector_start"],
            "end": selector["selector_end"],
            "quote": selector.get("quote") or "",
            "prefix": selector.get("prefix") or "",
            "suffix": selector.get("suffix") or "",
        }
    assessment = None
    if verdict is not None and confidence is not None:
        assessment = {"verdict": verdict, "confidence": confidence}
    return document_text(
        AnnotationRecord.model_validate(
            {
                "id": annotation_id,
                "target": target,
                "motivation": motivation,
                "body": body,
                "tags": list(tags),
                "assessment": assessment,
                "links": list(links),
                "creator_id": creator,
                "thread_id": thread_id,
                "hidden": hidden,
                "hidden_reason": hidden_reason,
                "deleted": False,
                "deleted_at": None,
                **_stamps(created, updated, version),
            }
        )
    )


def api_key(
    key_id: str, name: str, scopes: str, hint: str, at: dt.datetime, created_by: str | None = None
) -> str:
    return document_text(
        ApiKeyRecord.model_validate(
            {
                "id": key_id,
                "name": name,
                "scopes": scopes.split(),
                "hint": hint,
                "created_at": at,
                "created_by": created_by,
                "revoked_at": None,
                "version": 1,
            }
        )
    )
