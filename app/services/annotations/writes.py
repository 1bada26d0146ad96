"""Annotation writes: create, edit, delete (tombstones), flag, hide and unhide.

Each write locks the annotation, checks If-Match against the representation its writer sees,
keeps the new version's content in annotation_version and appends a change-log row, all in
one transaction. Who may see what is decided in app/services/annotations/reads.py.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from app.auth import Actor
from app.db import settings_of
from app.models import Annotation, AnnotationFlag, AnnotationTag, AnnotationVersion, Source
from app.models.annotation import (
    AnnotationCreate,
    AnnotationPublic,
    AnnotationUpdate,
    Motivation,
    TargetType,
)
from app.models.change import ChangeEntity, ChangeOp
from app.models.common import Rights, utcnow
from app.problems import Conflict, Forbidden, NotFound, ValidationFailed
from app.services.annotations.about import is_public, link, republish
from app.services.annotations.reads import (
    TARGET_MODELS,
    annotation_as_written,
    assemble,
    can_see,
)
from app.services.curation.transaction import (
    Precondition,
    bump,
    lock,
    new_sortable_id,
    record_change,
)
from app.services.text.spans import CONTEXT_CHARS


def _content(a: Annotation) -> dict[str, Any]:
    """What a version records: the editable content and the moderation state."""
    deleted = a.deleted_at is not None
    return {
        "body": None if deleted else a.body,
        "tags": [] if deleted else list(a.tags),
        "assessment": None
        if deleted or a.verdict is None
        else {"verdict": a.verdict, "confidence": a.confidence},
        "links": [] if deleted else list(a.links),
        "hidden": a.hidden,
        "hidden_reason": a.hidden_reason,
        "deleted": deleted,
    }


def _check_motivation(
    motivation: Motivation,
    target_type: TargetType,
    body: str | None,
    tags: list[str],
    has_assessment: bool,
    links: list[str],
) -> None:
    problems = []
    if motivation is Motivation.replying and target_type is not TargetType.annotation:
        problems.append("motivation 'replying' needs a target of type 'annotation'")
    if motivation in (Motivation.commenting, Motivation.questioning, Motivation.replying) and (
        body is None
    ):
        problems.append(f"motivation {motivation.value!r} needs a body")
    if motivation is Motivation.tagging and not tags:
        problems.append("motivation 'tagging' needs at least one tag")
    if motivation is Motivation.assessing and not has_assessment:
        problems.append("motivation 'assessing' needs an assessment {verdict, confidence}")
    if motivation is not Motivation.assessing and has_assessment:
        problems.append("an assessment is only allowed with motivation 'assessing'")
    if motivation is Motivation.linking and not links:
        problems.append("motivation 'linking' needs at least one link")
    if problems:
        raise ValidationFailed(
            "The annotation is not valid: " + "; ".join(problems) + ".",
            errors=[{"loc": ["body"], "msg": p, "type": "annotation_rule"} for p in problems],
        )


def _dedupe(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(tags))


def create_annotation(session: Session, actor: Actor, data: AnnotationCreate) -> AnnotationPublic:
    target = data.target
    thread_id: str | None = None
    selector: dict[str, Any] = {}
    if target.type is TargetType.annotation:
        parent = session.get(Annotation, target.id)
        if parent is None or not can_see(parent, actor):
            raise NotFound(f"The target annotation {target.id!r} does not exist.")
        if parent.deleted_at is not None:
            raise Conflict(f"The annotation {target.id!r} was deleted; it takes no new replies.")
        thread_id = parent.thread_id
    else:
        row = session.get(TARGET_MODELS[target.type], target.id)
        if row is None:
            raise NotFound(f"The target {target.type.value} {target.id!r} does not exist.")
        if target.selector is not None:
            if target.type is not TargetType.source:
                raise ValidationFailed(
                    "A selector picks a span of a source's text: it is only allowed on targets "
                    f"of type 'source', not {target.type.value!r}.",
                    errors=[
                        {
                            "loc": ["body", "target", "selector"],
                            "msg": "only for sources",
                            "type": "selector",
                        }
                    ],
                )
            selector = _select(
                session, row, target.selector.start, target.selector.end, target.selector.quote
            )
    links = [str(u) for u in data.links]
    tags = _dedupe(data.tags)
    _check_motivation(
        data.motivation, target.type, data.body, tags, data.assessment is not None, links
    )
    now = utcnow()
    annotation_id = new_sortable_id("ann_")
    row = Annotation(
        id=annotation_id,
        target_type=target.type.value,
        target_id=target.id,
        thread_id=thread_id or annotation_id,
        motivation=data.motivation.value,
        body=data.body,
        tags=tags,
        verdict=data.assessment.verdict.value if data.assessment else None,
        confidence=data.assessment.confidence if data.assessment else None,
        links=links,
        creator_key_id=_key_id(actor),
        created_at=now,
        updated_at=now,
        **selector,
    )
    session.add(row)
    session.add_all(AnnotationTag(annotation_id=annotation_id, tag=t) for t in tags)
    link(session, row)
    _record(session, actor, row, ChangeOp.create)
    session.commit()
    return annotation_as_written(session, annotation_id, actor)


def _key_id(actor: Actor) -> str:
    assert actor.key_id is not None, "writes need a key"
    return actor.key_id


def _select(
    session: Session, source: Source, start: int, end: int, quote: str | None
) -> dict[str, Any]:
    text = source.text
    where = ["body", "target", "selector"]
    if source.rights == Rights.metadata_only.value:
        raise ValidationFailed(
            f"The source {source.id!r} is metadata-only: its text cannot be quoted.",
            errors=[{"loc": where, "msg": "source text not available", "type": "rights"}],
        )
    if end > len(text):
        raise ValidationFailed(
            f"The selector [{start}, {end}) is outside the text of {source.id!r} "
            f"(length {len(text)} code points).",
            errors=[{"loc": where, "msg": "outside the text", "type": "range"}],
        )
    limit = settings_of(session).excerpt_max_chars
    if source.rights == Rights.excerpts.value and end - start > limit:
        raise ValidationFailed(
            f"The source {source.id!r} may only be quoted in excerpts of up to {limit} code "
            "points.",
            errors=[{"loc": where, "msg": "excerpt too long", "type": "rights"}],
        )
    actual = text[start:end]
    if quote is not None and quote != actual:
        raise ValidationFailed(
            f"The selector's quote does not match the text of {source.id!r} at [{start}, {end}): "
            f"expected {quote!r}, the text has {actual!r}.",
            errors=[{"loc": [*where, "quote"], "msg": "quote mismatch", "type": "quote"}],
        )
    return {
        "selector_start": start,
        "selector_end": end,
        "quote": actual,
        "prefix": text[max(0, start - CONTEXT_CHARS) : start],
        "suffix": text[end : end + CONTEXT_CHARS],
    }


def _record(session: Session, actor: Actor, row: Annotation, op: ChangeOp) -> None:
    session.add(
        AnnotationVersion(
            annotation_id=row.id,
            version=row.version,
            at=row.updated_at,
            key_id=_key_id(actor),
            op=op.value,
            content=_content(row),
        )
    )
    record_change(session, actor, ChangeEntity.annotation, row.id, op, row.version)


def _editable(
    session: Session, annotation_id: str, actor: Actor, if_match: Precondition
) -> Annotation:
    """Lock an annotation the actor may change and check If-Match against what they see."""
    row = lock(session, Annotation, annotation_id)
    if not can_see(row, actor):
        raise NotFound(f"No annotation with id {annotation_id!r}.")
    if row.creator_key_id != actor.key_id and not actor.curator:
        raise Forbidden(
            f"Only the annotation's creator ({row.creator_key_id}) or a curator may change it."
        )
    if_match.check(assemble(session, [row])[0])
    if row.deleted_at is not None:
        raise Conflict(f"The annotation {annotation_id!r} is deleted.")
    return row


def update_annotation(
    session: Session,
    actor: Actor,
    annotation_id: str,
    patch: AnnotationUpdate,
    *,
    if_match: Precondition,
) -> AnnotationPublic:
    row = _editable(session, annotation_id, actor, if_match)
    fields = patch.model_fields_set
    body = patch.body if "body" in fields else row.body
    tags = _dedupe(patch.tags or []) if "tags" in fields else list(row.tags)
    links = [str(u) for u in patch.links or []] if "links" in fields else list(row.links)
    if "assessment" in fields:
        verdict = patch.assessment.verdict.value if patch.assessment else None
        confidence = patch.assessment.confidence if patch.assessment else None
    else:
        verdict, confidence = row.verdict, row.confidence
    _check_motivation(
        Motivation(row.motivation),
        TargetType(row.target_type),
        body,
        tags,
        verdict is not None,
        links,
    )
    changed = (body, tags, links, verdict, confidence) != (
        row.body,
        list(row.tags),
        list(row.links),
        row.verdict,
        row.confidence,
    )
    if not changed:
        session.rollback()
        return annotation_as_written(session, annotation_id, actor)
    if tags != list(row.tags):
        for old in session.scalars(
            select(AnnotationTag).where(col(AnnotationTag.annotation_id) == row.id)
        ):
            session.delete(old)
        session.flush()
        session.add_all(AnnotationTag(annotation_id=row.id, tag=t) for t in tags)
    row.body, row.tags, row.links = body, tags, links
    row.verdict, row.confidence = verdict, confidence
    bump(row)
    _record(session, actor, row, ChangeOp.update)
    session.commit()
    return annotation_as_written(session, annotation_id, actor)


def delete_annotation(
    session: Session, actor: Actor, annotation_id: str, *, if_match: Precondition
) -> AnnotationPublic:
    """Soft delete: the annotation becomes a tombstone; its versions and replies stay."""
    row = _editable(session, annotation_id, actor, if_match)
    was_public = is_public(row)
    bump(row)
    row.deleted_at = row.updated_at
    republish(session, row, was_public=was_public)
    for old in session.scalars(
        select(AnnotationTag).where(col(AnnotationTag.annotation_id) == row.id)
    ):
        session.delete(old)
    _record(session, actor, row, ChangeOp.delete)
    session.commit()
    return annotation_as_written(session, annotation_id, actor)


def flag_annotation(
    session: Session, actor: Actor, annotation_id: str, reason: str
) -> AnnotationPublic:
    """Ask curators to look at an annotation; one flag per key and annotation."""
    row = lock(session, Annotation, annotation_id)
    if not can_see(row, actor):
        raise NotFound(f"No annotation with id {annotation_id!r}.")
    already = session.scalars(
        select(AnnotationFlag).where(
            col(AnnotationFlag.annotation_id) == row.id,
            col(AnnotationFlag.key_id) == _key_id(actor),
        )
    ).first()
    if already is not None:
        raise Conflict(f"This key has already flagged annotation {annotation_id!r}.")
    session.add(AnnotationFlag(annotation_id=row.id, key_id=_key_id(actor), reason=reason))
    row.flag_count += 1
    record_change(session, actor, ChangeEntity.annotation, row.id, ChangeOp.flag, row.version)
    session.commit()
    return annotation_as_written(session, annotation_id, actor)


def set_hidden(
    session: Session,
    actor: Actor,
    annotation_id: str,
    *,
    hidden: bool,
    reason: str | None,
    if_match: Precondition,
) -> AnnotationPublic:
    """Curators hide an annotation from everyone but curators and its creator, or show it
    again. If-Match is optional here: moderation should not lose a race to an edit."""
    row = lock(session, Annotation, annotation_id)
    if if_match.given:
        if_match.check(assemble(session, [row])[0])
    if row.hidden == hidden:
        state = "hidden" if hidden else "visible"
        raise Conflict(f"The annotation {annotation_id!r} is already {state}.")
    was_public = is_public(row)
    row.hidden = hidden
    row.hidden_reason = reason if hidden else None
    republish(session, row, was_public=was_public)
    bump(row)
    _record(session, actor, row, ChangeOp.hide if hidden else ChangeOp.unhide)
    session.commit()
    return annotation_as_written(session, annotation_id, actor)
