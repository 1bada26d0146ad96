"""Curating claims: create, edit (re-anchoring the quote when it or its offsets change), delete.

A claim is accepted only when its quote is the source's text at its offsets: given offsets are
verified, otherwise they are found from the quote (and `occurrence`). A hedge must be words of
the quote. Prefix and suffix are always computed, never sent.

`insert_claim` and `apply_claim_update` check and write inside the caller's transaction (with
the change-log row, without reindexing or committing), so the seed loader writes through the
same rules under its own ids; `create_claim` and `update_claim` are those plus the reindex and
the one commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlmodel import Session, col

from app.auth import Actor
from app.models import Claim, ClaimSubject, Organization, Person, Source
from app.models.annotation import TargetType
from app.models.change import ChangeEntity, ChangeOp
from app.models.claim import ClaimCreate, ClaimPublic, ClaimUpdate, EntityRefIn
from app.models.common import EntityType, utcnow
from app.problems import ValidationFailed
from app.services.annotations.about import retarget
from app.services.catalog.claims import get_claim
from app.services.curation.denormalised import move_keyset, retally, subject_rows, tally_of
from app.services.curation.integrity import delete_unreferenced, must_exist
from app.services.curation.transaction import (
    Precondition,
    bump,
    flush_or_conflict,
    lock,
    new_id,
    plain,
    record_change,
)
from app.services.search.index import reindex
from app.services.text.spans import Span, anchor

_MODELS: dict[EntityType, Any] = {EntityType.person: Person, EntityType.organization: Organization}
_ANCHOR_FIELDS = {"source_id", "quote", "start", "end", "occurrence"}
_SCALARS = ("kind", "statement", "modality", "hedge", "stance", "rationale")


def _invalid(loc: str, message: str, kind: str) -> ValidationFailed:
    return ValidationFailed(
        f"The claim is not valid: {message}.",
        errors=[{"loc": ["body", loc], "msg": message, "type": kind}],
    )


def _check_refs(
    session: Session,
    source_id: str | None,
    subjects: list[EntityRefIn] | None,
    attributed_to: EntityRefIn | None,
) -> None:
    """422 for a subject listed twice, or naming every referenced record that does not exist."""
    wanted: list[tuple[list[Any], Any, str]] = []
    if source_id is not None:
        wanted.append((["source_id"], Source, source_id))
    seen: set[tuple[EntityType, str]] = set()
    for i, s in enumerate(subjects or []):
        if (s.type, s.id) in seen:
            raise _invalid(
                "subjects", f"the subject {s.type.value} {s.id!r} is listed twice", "duplicate"
            )
        seen.add((s.type, s.id))
        wanted.append((["subjects", i, "id"], _MODELS[s.type], s.id))
    if attributed_to is not None:
        wanted.append((["attributed_to", "id"], _MODELS[attributed_to.type], attributed_to.id))
    must_exist(session, wanted)


def _attribution(attributed_to: EntityRefIn | None, label: str | None) -> dict[str, Any]:
    if (attributed_to is None) == (label is None):
        raise _invalid(
            "attributed_to",
            "give exactly one of attributed_to (a person or organisation) and "
            "attributed_to_label (e.g. 'many')",
            "attribution",
        )
    return {
        "attributed_to_person_id": attributed_to.id
        if attributed_to and attributed_to.type is EntityType.person
        else None,
        "attributed_to_organization_id": attributed_to.id
        if attributed_to and attributed_to.type is EntityType.organization
        else None,
        "attributed_to_label": label,
    }


def _anchor(
    text: str,
    quote: str,
    *,
    start: int | None,
    end: int | None,
    occurrence: int | None,
    label: str,
) -> Span:
    if occurrence is not None and (start is not None or end is not None):
        raise _invalid("occurrence", "give start and end, or occurrence, not both", "anchor")
    try:
        return anchor(text, quote, start=start, end=end, occurrence=occurrence, label=label)
    except ValidationFailed as exc:
        raise ValidationFailed(
            exc.detail,
            errors=[{"loc": ["body", "quote"], "msg": exc.detail, "type": "quote_anchor"}],
        ) from exc


def _span_values(span: Span) -> dict[str, Any]:
    return {
        "quote": span.quote,
        "quote_start": span.start,
        "quote_end": span.end,
        "prefix": span.prefix,
        "suffix": span.suffix,
    }


def _check_hedge(hedge: str | None, quote: str) -> None:
    if hedge is not None and hedge not in quote:
        raise _invalid("hedge", f"the hedge {hedge!r} does not occur in the quote", "hedge")


def _current_subjects(session: Session, claim_id: str) -> list[tuple[EntityType, str]]:
    rows = session.execute(
        select(col(ClaimSubject.person_id), col(ClaimSubject.organization_id))
        .where(col(ClaimSubject.claim_id) == claim_id)
        .order_by(col(ClaimSubject.ordinal))
    )
    return [
        (EntityType.person, p) if p is not None else (EntityType.organization, o) for p, o in rows
    ]


def _persons(subjects: list[tuple[EntityType, str]]) -> list[str]:
    return [entity_id for kind, entity_id in subjects if kind is EntityType.person]


def create_claim(session: Session, actor: Actor, data: ClaimCreate) -> ClaimPublic:
    claim = insert_claim(session, actor, data)
    reindex(session, [("claim", claim.id)])
    session.commit()
    return get_claim(session, claim.id)


def insert_claim(
    session: Session,
    actor: Actor | None,
    data: ClaimCreate,
    *,
    claim_id: str | None = None,
    origin: str = "api",
    label: str = "claim",
) -> Claim:
    """Check a new claim against the API's rules (attribution, references, the quote at its
    offsets, the hedge) and add it, its subjects and its change-log row under `claim_id` (a new
    random id if None); the caller reindexes and commits. `label` names the claim in a quote
    that does not anchor."""
    attribution = _attribution(data.attributed_to, data.attributed_to_label)
    _check_refs(session, data.source_id, data.subjects, data.attributed_to)
    source = session.get(Source, data.source_id)
    assert source is not None
    span = _anchor(
        source.text,
        data.quote,
        start=data.start,
        end=data.end,
        occurrence=data.occurrence,
        label=label,
    )
    _check_hedge(data.hedge, span.quote)
    now = utcnow()
    claim = Claim(
        id=claim_id or new_id("clm_"),
        source_id=source.id,
        **_span_values(span),
        **attribution,
        **{name: plain(getattr(data, name)) for name in _SCALARS},
        created_at=now,
        updated_at=now,
        version=1,
    )
    session.add(claim)
    flush_or_conflict(session)
    session.add_all(subject_rows(claim, data.subjects))
    retally(session, tally_of((s.id for s in data.subjects), claim.kind, +1))
    record_change(session, actor, ChangeEntity.claim, claim.id, ChangeOp.create, 1, origin=origin)
    flush_or_conflict(session)
    return claim


def update_claim(
    session: Session, actor: Actor, claim_id: str, patch: ClaimUpdate, *, if_match: Precondition
) -> ClaimPublic:
    row = lock(session, Claim, claim_id)
    if_match.check(get_claim(session, claim_id))
    if not apply_claim_update(session, actor, row, patch):
        session.rollback()
        return get_claim(session, claim_id)
    reindex(session, [("claim", claim_id)])
    session.commit()
    return get_claim(session, claim_id)


def apply_claim_update(
    session: Session,
    actor: Actor | None,
    row: Claim,
    patch: ClaimUpdate,
    *,
    origin: str = "api",
    label: str | None = None,
) -> bool:
    """Check and apply an edit of a (locked) claim, anchoring it again if its quote, offsets or
    source are sent, with a new version and its change-log row; False, with nothing written, if
    it changes nothing. `label` (default `claim <id>`) names the claim in a quote that does not
    anchor. The caller reindexes and commits."""
    sent = patch.model_fields_set
    values: dict[str, Any] = {
        name: plain(getattr(patch, name)) for name in _SCALARS if name in sent
    }
    if sent & {"attributed_to", "attributed_to_label"}:
        values |= _attribution(patch.attributed_to, patch.attributed_to_label)
    source_id = patch.source_id if "source_id" in sent and patch.source_id else row.source_id
    subjects = patch.subjects if "subjects" in sent else None
    _check_refs(
        session,
        source_id if source_id != row.source_id else None,
        subjects,
        patch.attributed_to if "attributed_to" in sent else None,
    )
    if sent & _ANCHOR_FIELDS:
        values |= {"source_id": source_id, **_reanchor(session, row, patch, source_id, label)}
    _check_hedge(values.get("hedge", row.hedge), values.get("quote", row.quote))
    values = {name: v for name, v in values.items() if v != getattr(row, name)}
    current = _current_subjects(session, row.id)
    new_subjects = [(s.type, s.id) for s in subjects] if subjects is not None else None
    if new_subjects == current:
        new_subjects = None
    if not values and new_subjects is None:
        return False
    old_kind, old_keyset = row.kind, (row.source_id, row.quote_start)
    for name, value in values.items():
        setattr(row, name, value)
    _follow(session, row, current, new_subjects, old_kind, old_keyset)
    bump(row)
    record_change(
        session, actor, ChangeEntity.claim, row.id, ChangeOp.update, row.version, origin=origin
    )
    flush_or_conflict(session)
    return True


def _follow(
    session: Session,
    row: Claim,
    current: list[tuple[EntityType, str]],
    new_subjects: list[tuple[EntityType, str]] | None,
    old_kind: str,
    old_keyset: tuple[str, int],
) -> None:
    """Bring an edited claim's subject rows, their copies, the tallies and the annotations'
    persons in line with the claim (`new_subjects`: None if the subjects stay)."""
    if new_subjects is not None:
        session.execute(delete(ClaimSubject).where(col(ClaimSubject.claim_id) == row.id))
        session.flush()
        refs = [EntityRefIn(type=kind, id=entity_id) for kind, entity_id in new_subjects]
        session.add_all(subject_rows(row, refs))
        retarget(session, TargetType.claim, row.id, _persons(current), _persons(new_subjects))
    elif (row.source_id, row.quote_start) != old_keyset:
        move_keyset(session, row)
    before = [entity_id for _, entity_id in current]
    after = before if new_subjects is None else [entity_id for _, entity_id in new_subjects]
    if after != before or row.kind != old_kind:
        delta = tally_of(before, old_kind, -1)
        delta.update(tally_of(after, row.kind, +1))
        retally(session, delta)


def _reanchor(
    session: Session, row: Claim, patch: ClaimUpdate, source_id: str, label: str | None
) -> dict[str, Any]:
    sent = patch.model_fields_set
    source = session.get(Source, source_id)
    assert source is not None
    offsets = "start" in sent or "end" in sent
    span = _anchor(
        source.text,
        patch.quote if "quote" in sent and patch.quote else row.quote,
        start=patch.start if offsets else None,
        end=patch.end if offsets else None,
        occurrence=patch.occurrence if "occurrence" in sent else None,
        label=label or f"claim {row.id}",
    )
    return _span_values(span)


def delete_claim(session: Session, actor: Actor, claim_id: str, *, if_match: Precondition) -> None:
    row = lock(session, Claim, claim_id)
    if_match.check(get_claim(session, claim_id))
    subjects = [entity_id for _, entity_id in _current_subjects(session, claim_id)]
    retally(session, tally_of(subjects, row.kind, -1))
    delete_unreferenced(session, actor, ChangeEntity.claim, row, claim_id)
