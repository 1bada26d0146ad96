"""Annotations: create, read (with visibility rules), edit, delete, flag, hide, history.

Who sees what: hidden annotations are shown only to curators and to their creator; everyone
else gets 404, as if they did not exist. Deleted annotations stay as tombstones (content
gone, id, target and thread kept) so replies keep their place in the thread.

Counts shown on other resources (`reply_count`, `annotation_count`) are the same for every
reader: annotations neither hidden nor deleted. A representation therefore does not depend on
who reads it, and neither does its ETag.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, bindparam, func, or_, select
from sqlmodel import Session, col

from app.auth import Actor
from app.config import get_settings
from app.models import (
    Annotation,
    AnnotationFlag,
    AnnotationTag,
    AnnotationVersion,
    ApiKey,
    Claim,
    ClaimSubject,
    Organization,
    Person,
    Role,
    Source,
)
from app.models.annotation import (
    AnnotationCreate,
    AnnotationPublic,
    AnnotationUpdate,
    AnnotationVersionPublic,
    Assessment,
    Creator,
    Motivation,
    Selector,
    Target,
    TargetType,
)
from app.models.change import ChangeEntity, ChangeOp
from app.models.common import Rights, utcnow
from app.pagination import Keyset, paginate
from app.problems import Conflict, Forbidden, NotFound, ValidationFailed
from app.services.refs import AnySelect, require
from app.services.spans import CONTEXT_CHARS
from app.services.writes import bump, check_if_match, lock, new_sortable_id, record_change

ANNOTATIONS = Keyset("annotations", (col(Annotation.id),), (str,), lambda a: (a.id,))
VERSIONS = Keyset(
    "annotation-versions",
    (col(AnnotationVersion.version),),
    (int,),
    lambda v: (v.version,),
)

_TARGET_MODELS: dict[TargetType, Any] = {
    TargetType.person: Person,
    TargetType.organization: Organization,
    TargetType.role: Role,
    TargetType.source: Source,
    TargetType.claim: Claim,
}


# -- visibility -----------------------------------------------------------------------------


def can_see(annotation: Annotation, actor: Actor) -> bool:
    return not annotation.hidden or actor.curator or annotation.creator_key_id == actor.key_id


def visible_to(actor: Actor) -> Any:
    """SQL condition: the annotations this reader may see."""
    if actor.curator:
        return True
    if actor.anonymous:
        return col(Annotation.hidden).is_(False)
    return or_(col(Annotation.hidden).is_(False), col(Annotation.creator_key_id) == actor.key_id)


_PUBLIC = and_(col(Annotation.hidden).is_(False), col(Annotation.deleted_at).is_(None))


def _require_visible(session: Session, annotation_id: str, actor: Actor) -> Annotation:
    row = session.get(Annotation, annotation_id)
    if row is None or not can_see(row, actor):
        raise NotFound(f"No annotation with id {annotation_id!r}.")
    return row


# -- the public shape -------------------------------------------------------------------------

_REPLY_COUNTS = (
    select(col(Annotation.target_id), func.count())
    .where(
        col(Annotation.target_type) == TargetType.annotation.value,
        col(Annotation.target_id).in_(bindparam("ids", expanding=True)),
        _PUBLIC,
    )
    .group_by(col(Annotation.target_id))
)
_KEY_NAMES = select(col(ApiKey.id), col(ApiKey.name)).where(
    col(ApiKey.id).in_(bindparam("ids", expanding=True))
)


def assemble(session: Session, rows: list[Annotation]) -> list[AnnotationPublic]:
    """Public annotations with creator names and reply counts, in two queries."""
    if not rows:
        return []
    ids = [a.id for a in rows]
    replies = dict(session.execute(_REPLY_COUNTS, {"ids": ids}).all())
    names = dict(session.execute(_KEY_NAMES, {"ids": list({a.creator_key_id for a in rows})}).all())
    return [_public(a, names[a.creator_key_id], int(replies.get(a.id, 0))) for a in rows]


def _public(a: Annotation, creator_name: str, reply_count: int) -> AnnotationPublic:
    deleted = a.deleted_at is not None
    selector = None
    if a.selector_start is not None and a.selector_end is not None:
        selector = Selector(
            start=a.selector_start,
            end=a.selector_end,
            quote=a.quote or "",
            prefix=a.prefix or "",
            suffix=a.suffix or "",
        )
    assessment = None
    if a.verdict is not None and a.confidence is not None and not deleted:
        assessment = Assessment.model_validate({"verdict": a.verdict, "confidence": a.confidence})
    return AnnotationPublic(
        id=a.id,
        target=Target(type=TargetType(a.target_type), id=a.target_id, selector=selector),
        motivation=Motivation(a.motivation),
        body=None if deleted else a.body,
        tags=[] if deleted else list(a.tags),
        assessment=assessment,
        links=[] if deleted else list(a.links),
        creator=Creator(id=a.creator_key_id, name=creator_name),
        thread_id=a.thread_id,
        reply_count=reply_count,
        flag_count=a.flag_count,
        hidden=a.hidden,
        hidden_reason=a.hidden_reason,
        deleted=deleted,
        created_at=a.created_at,
        updated_at=a.updated_at,
        deleted_at=a.deleted_at,
        version=a.version,
    )


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


# -- reads ------------------------------------------------------------------------------------


def get_annotation(session: Session, annotation_id: str, actor: Actor) -> AnnotationPublic:
    return assemble(session, [_require_visible(session, annotation_id, actor)])[0]


def list_annotations(
    session: Session,
    actor: Actor,
    *,
    filters: dict[str, Any],
    cursor: str | None,
    limit: int | None,
) -> tuple[list[AnnotationPublic], str | None]:
    """Annotations in creation order, filtered; tombstones only with include_deleted."""
    stmt = select(Annotation).where(visible_to(actor))
    if filters.get("target_type"):
        stmt = stmt.where(col(Annotation.target_type) == filters["target_type"])
    if filters.get("target_id"):
        stmt = stmt.where(col(Annotation.target_id) == filters["target_id"])
    for name in ("motivation", "verdict"):
        if filters.get(name):
            stmt = stmt.where(getattr(Annotation, name) == filters[name])
    if filters.get("creator"):
        stmt = stmt.where(col(Annotation.creator_key_id) == filters["creator"])
    if filters.get("thread"):
        stmt = stmt.where(col(Annotation.thread_id) == filters["thread"])
    if filters.get("tag"):
        stmt = stmt.where(
            col(Annotation.id).in_(
                select(col(AnnotationTag.annotation_id)).where(
                    col(AnnotationTag.tag) == filters["tag"].strip().lower()
                )
            )
        )
    if filters.get("flagged"):
        stmt = stmt.where(col(Annotation.flag_count) > 0)
    if not filters.get("include_deleted"):
        stmt = stmt.where(col(Annotation.deleted_at).is_(None))
    return _page(session, stmt, filters, cursor, limit)


def list_replies(
    session: Session, annotation_id: str, actor: Actor, *, cursor: str | None, limit: int | None
) -> tuple[list[AnnotationPublic], str | None]:
    """Direct replies, tombstones included so the thread keeps its shape."""
    _require_visible(session, annotation_id, actor)
    stmt = select(Annotation).where(
        visible_to(actor),
        col(Annotation.target_type) == TargetType.annotation.value,
        col(Annotation.target_id) == annotation_id,
    )
    return _page(session, stmt, {"replies_to": annotation_id}, cursor, limit)


def list_person_annotations(
    session: Session, person_id: str, actor: Actor, *, cursor: str | None, limit: int | None
) -> tuple[list[AnnotationPublic], str | None]:
    """Annotations on a person, on the claims about them and on their roles."""
    require(session, Person, person_id)
    stmt = select(Annotation).where(
        visible_to(actor), col(Annotation.deleted_at).is_(None), _about_person(person_id)
    )
    return _page(session, stmt, {"person": person_id}, cursor, limit)


def _about_person(person_id: str) -> Any:
    return or_(
        and_(
            col(Annotation.target_type) == TargetType.person.value,
            col(Annotation.target_id) == person_id,
        ),
        and_(
            col(Annotation.target_type) == TargetType.claim.value,
            col(Annotation.target_id).in_(
                select(col(ClaimSubject.claim_id)).where(col(ClaimSubject.person_id) == person_id)
            ),
        ),
        and_(
            col(Annotation.target_type) == TargetType.role.value,
            col(Annotation.target_id).in_(
                select(col(Role.id)).where(col(Role.person_id) == person_id)
            ),
        ),
    )


def _page(
    session: Session,
    stmt: Select[Any],
    filters: dict[str, Any],
    cursor: str | None,
    limit: int | None,
) -> tuple[list[AnnotationPublic], str | None]:
    pager = paginate(stmt, ANNOTATIONS, cursor=cursor, limit=limit, filters=filters)
    rows, next_cursor = pager.page(list(session.scalars(pager.stmt)))
    return assemble(session, rows), next_cursor


def list_versions(
    session: Session, annotation_id: str, actor: Actor, *, cursor: str | None, limit: int | None
) -> tuple[list[AnnotationVersionPublic], str | None]:
    _require_visible(session, annotation_id, actor)
    stmt = select(AnnotationVersion).where(col(AnnotationVersion.annotation_id) == annotation_id)
    pager = paginate(stmt, VERSIONS, cursor=cursor, limit=limit, filters={"of": annotation_id})
    rows, next_cursor = pager.page(list(session.scalars(pager.stmt)))
    return [AnnotationVersionPublic.model_validate(v, from_attributes=True) for v in rows], (
        next_cursor
    )


_COUNT_STMTS: dict[TargetType, AnySelect] = {
    t: select(func.count())
    .select_from(Annotation)
    .where(
        col(Annotation.target_type) == t.value,
        col(Annotation.target_id) == bindparam("id"),
        _PUBLIC,
    )
    for t in TargetType
}


def annotation_count(session: Session, target_type: TargetType, target_id: str) -> int:
    """Annotations (neither hidden nor deleted) directly on one resource."""
    return int(session.execute(_COUNT_STMTS[target_type], {"id": target_id}).scalar_one())


def person_annotation_count(session: Session, person_id: str) -> int:
    """What GET /v1/persons/{id}/annotations lists for an anonymous reader."""
    stmt = select(func.count()).select_from(Annotation).where(_PUBLIC, _about_person(person_id))
    return int(session.execute(stmt).scalar_one())


def annotation_counts(session: Session, target_type: TargetType, ids: list[str]) -> dict[str, int]:
    if not ids:
        return {}
    stmt = (
        select(col(Annotation.target_id), func.count())
        .where(
            col(Annotation.target_type) == target_type.value,
            col(Annotation.target_id).in_(ids),
            _PUBLIC,
        )
        .group_by(col(Annotation.target_id))
    )
    return {tid: int(n) for tid, n in session.execute(stmt)}


# -- writes -----------------------------------------------------------------------------------


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
        row = session.get(_TARGET_MODELS[target.type], target.id)
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
                row, target.selector.start, target.selector.end, target.selector.quote
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
    _record(session, actor, row, ChangeOp.create)
    session.commit()
    return get_annotation(session, annotation_id, actor)


def _key_id(actor: Actor) -> str:
    assert actor.key_id is not None, "writes need a key"
    return actor.key_id


def _select(source: Source, start: int, end: int, quote: str | None) -> dict[str, Any]:
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
    limit = get_settings().excerpt_max_chars
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
    session: Session, annotation_id: str, actor: Actor, if_match: str | None
) -> Annotation:
    """Lock an annotation the actor may change and check If-Match against what they see."""
    row = lock(session, Annotation, annotation_id)
    if not can_see(row, actor):
        raise NotFound(f"No annotation with id {annotation_id!r}.")
    if row.creator_key_id != actor.key_id and not actor.curator:
        raise Forbidden(
            f"Only the annotation's creator ({row.creator_key_id}) or a curator may change it."
        )
    check_if_match(if_match, assemble(session, [row])[0])
    if row.deleted_at is not None:
        raise Conflict(f"The annotation {annotation_id!r} is deleted.")
    return row


def update_annotation(
    session: Session,
    actor: Actor,
    annotation_id: str,
    patch: AnnotationUpdate,
    *,
    if_match: str | None,
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
        return get_annotation(session, annotation_id, actor)
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
    return get_annotation(session, annotation_id, actor)


def delete_annotation(
    session: Session, actor: Actor, annotation_id: str, *, if_match: str | None
) -> AnnotationPublic:
    """Soft delete: the annotation becomes a tombstone; its versions and replies stay."""
    row = _editable(session, annotation_id, actor, if_match)
    row.deleted_at = utcnow()
    bump(row)
    for old in session.scalars(
        select(AnnotationTag).where(col(AnnotationTag.annotation_id) == row.id)
    ):
        session.delete(old)
    _record(session, actor, row, ChangeOp.delete)
    session.commit()
    return get_annotation(session, annotation_id, actor)


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
    return get_annotation(session, annotation_id, actor)


def set_hidden(
    session: Session,
    actor: Actor,
    annotation_id: str,
    *,
    hidden: bool,
    reason: str | None,
    if_match: str | None,
) -> AnnotationPublic:
    """Curators hide an annotation from everyone but curators and its creator, or show it
    again. If-Match is optional here: moderation should not lose a race to an edit."""
    row = lock(session, Annotation, annotation_id)
    if if_match is not None:
        check_if_match(if_match, assemble(session, [row])[0])
    if row.hidden == hidden:
        state = "hidden" if hidden else "visible"
        raise Conflict(f"The annotation {annotation_id!r} is already {state}.")
    row.hidden = hidden
    row.hidden_reason = reason if hidden else None
    bump(row)
    _record(session, actor, row, ChangeOp.hide if hidden else ChangeOp.unhide)
    session.commit()
    return get_annotation(session, annotation_id, actor)
