"""Reading annotations: visibility rules, the public shape, lists, versions and counts.

Who sees what: hidden annotations are shown only to curators and to their creator; everyone
else gets 404, as if they did not exist. Deleted annotations stay as tombstones (content
gone, id, target and thread kept) so replies keep their place in the thread; their earlier
versions keep their content for the creator and curators only. What the change log shows of
annotations follows the same rules (app/services/catalog/changes.py).

Counts shown on other resources (`reply_count`, `annotation_count`) are the same for every
reader: annotations neither hidden nor deleted. A representation therefore does not depend on
who reads it, and neither does its ETag.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, or_, select, text
from sqlmodel import Session, col

from app.auth import Actor
from app.models import (
    Annotation,
    AnnotationAbout,
    AnnotationTag,
    AnnotationTally,
    AnnotationVersion,
    ApiKey,
    Claim,
    Organization,
    Person,
    Role,
    Source,
)
from app.models.annotation import (
    FLAGGED_SQL,
    AnnotationPublic,
    AnnotationVersionPublic,
    Assessment,
    Creator,
    Motivation,
    Selector,
    Target,
    TargetType,
    Verdict,
)
from app.models.change import ChangeEntity
from app.pagination import Filters, Keyset, paginate
from app.problems import NotFound
from app.services.catalog.loaders import AnySelect, require
from app.services.catalog.versions import missing, record_as_of

ANNOTATIONS = Keyset("annotations", (col(Annotation.id),), lambda a: (a.id,))
# The same order and cursors, read off a person's rows of annotation_about.
ABOUT_PERSON = Keyset("annotations", (col(AnnotationAbout.annotation_id),), lambda a: (a.id,))
VERSIONS = Keyset(
    "annotation-versions",
    (col(AnnotationVersion.version),),
    lambda v: (v.version,),
)

TARGET_MODELS: dict[TargetType, Any] = {
    TargetType.person: Person,
    TargetType.organization: Organization,
    TargetType.role: Role,
    TargetType.source: Source,
    TargetType.claim: Claim,
}


# -- visibility -----------------------------------------------------------------------------


def _owns(annotation: Annotation, actor: Actor) -> bool:
    """Its creator or a curator: who sees all of an annotation, hidden or deleted."""
    return actor.curator or (not actor.anonymous and annotation.creator_key_id == actor.key_id)


def can_see(annotation: Annotation, actor: Actor) -> bool:
    return not annotation.hidden or _owns(annotation, actor)


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


def target_of(a: Annotation) -> Target:
    """What an annotation is on, with the text selector of a source target."""
    selector = None
    if a.selector_start is not None and a.selector_end is not None:
        selector = Selector(
            start=a.selector_start,
            end=a.selector_end,
            quote=a.quote or "",
            prefix=a.prefix or "",
            suffix=a.suffix or "",
        )
    return Target(type=TargetType(a.target_type), id=a.target_id, selector=selector)


def assessment_of(a: Annotation) -> Assessment | None:
    """Its assessment, if it has one and is not deleted."""
    if a.verdict is None or a.confidence is None or a.deleted_at is not None:
        return None
    return Assessment.model_validate({"verdict": a.verdict, "confidence": a.confidence})


def _public(a: Annotation, creator_name: str, reply_count: int) -> AnnotationPublic:
    deleted = a.deleted_at is not None
    return AnnotationPublic(
        id=a.id,
        target=target_of(a),
        motivation=Motivation(a.motivation),
        body=None if deleted else a.body,
        tags=[] if deleted else list(a.tags),
        assessment=assessment_of(a),
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


# -- reads ------------------------------------------------------------------------------------


def annotation_as_written(session: Session, annotation_id: str, actor: Actor) -> AnnotationPublic:
    """The annotation as a write leaves it, a delete's tombstone included."""
    return assemble(session, [_require_visible(session, annotation_id, actor)])[0]


def annotation_as_of(
    session: Session, annotation_id: str, actor: Actor, point: int | datetime
) -> str:
    """The stored record of the annotation's version current at `point`, as the visibility
    rules allow: a hidden annotation (now, or in that version) is 404 and a deleted one 410
    to anyone but its creator and curators."""
    row = _require_visible(session, annotation_id, actor)
    owner = _owns(row, actor)
    if row.deleted_at is not None and not owner:
        raise missing(session, "annotation", annotation_id)
    stored = record_as_of(session, ChangeEntity.annotation, annotation_id, point)
    if not owner and json.loads(stored).get("hidden"):
        raise NotFound(f"No annotation with id {annotation_id!r} as of {point}.")
    return stored


def get_annotation(session: Session, annotation_id: str, actor: Actor) -> AnnotationPublic:
    """The annotation; 410 Gone once deleted (its versions stay listed, with their content
    to its creator and curators)."""
    row = _require_visible(session, annotation_id, actor)
    if row.deleted_at is not None:
        raise missing(session, "annotation", annotation_id)
    return assemble(session, [row])[0]


@dataclass(frozen=True)
class AnnotationFilters(Filters):
    target_type: TargetType | None = None
    target_id: str | None = None
    tag: str | None = None
    motivation: Motivation | None = None
    creator: str | None = None
    verdict: Verdict | None = None
    thread: str | None = None
    flagged: bool = False
    include_deleted: bool = False


@dataclass(frozen=True)
class _RepliesTo(Filters):
    replies_to: str


@dataclass(frozen=True)
class _AboutPerson(Filters):
    person: str


@dataclass(frozen=True)
class _VersionsOf(Filters):
    of: str


def list_annotations(
    session: Session,
    actor: Actor,
    *,
    filters: AnnotationFilters,
    cursor: str | None,
    limit: int | None,
) -> tuple[list[AnnotationPublic], str | None]:
    """Annotations in creation order, filtered; tombstones only with include_deleted."""
    stmt = select(Annotation).where(visible_to(actor))
    for value, column in (
        (filters.target_type, col(Annotation.target_type)),
        (filters.target_id, col(Annotation.target_id)),
        (filters.motivation, col(Annotation.motivation)),
        (filters.verdict, col(Annotation.verdict)),
        (filters.creator, col(Annotation.creator_key_id)),
        (filters.thread, col(Annotation.thread_id)),
    ):
        if value:
            stmt = stmt.where(column == value)
    if filters.tag:
        stmt = stmt.where(
            col(Annotation.id).in_(
                select(col(AnnotationTag.annotation_id)).where(
                    col(AnnotationTag.tag) == filters.tag.strip().lower()
                )
            )
        )
    if filters.flagged:
        stmt = stmt.where(text(FLAGGED_SQL))
    if not filters.include_deleted:
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
    return _page(session, stmt, _RepliesTo(annotation_id), cursor, limit)


def list_person_annotations(
    session: Session, person_id: str, actor: Actor, *, cursor: str | None, limit: int | None
) -> tuple[list[AnnotationPublic], str | None]:
    """Annotations on a person, on the claims about them and on their roles."""
    require(session, Person, person_id)
    stmt = (
        select(Annotation)
        .join(AnnotationAbout, col(AnnotationAbout.annotation_id) == col(Annotation.id))
        .where(
            col(AnnotationAbout.person_id) == person_id,
            visible_to(actor),
            col(Annotation.deleted_at).is_(None),
        )
    )
    pager = paginate(
        session, stmt, ABOUT_PERSON, cursor=cursor, limit=limit, filters=_AboutPerson(person_id)
    )
    rows, next_cursor = pager.page(list(session.scalars(pager.stmt)))
    return assemble(session, rows), next_cursor


def _page(
    session: Session,
    stmt: Select[Any],
    filters: Filters,
    cursor: str | None,
    limit: int | None,
) -> tuple[list[AnnotationPublic], str | None]:
    pager = paginate(session, stmt, ANNOTATIONS, cursor=cursor, limit=limit, filters=filters)
    rows, next_cursor = pager.page(list(session.scalars(pager.stmt)))
    return assemble(session, rows), next_cursor


def list_versions(
    session: Session, annotation_id: str, actor: Actor, *, cursor: str | None, limit: int | None
) -> tuple[list[AnnotationVersionPublic], str | None]:
    """Every version; once the annotation is deleted, their content only to its creator and
    curators (others see that the versions existed: number, time, key and operation)."""
    row = _require_visible(session, annotation_id, actor)
    content_gone = row.deleted_at is not None and not _owns(row, actor)
    stmt = select(AnnotationVersion).where(col(AnnotationVersion.annotation_id) == annotation_id)
    pager = paginate(
        session, stmt, VERSIONS, cursor=cursor, limit=limit, filters=_VersionsOf(annotation_id)
    )
    rows, next_cursor = pager.page(list(session.scalars(pager.stmt)))
    versions = [AnnotationVersionPublic.model_validate(v, from_attributes=True) for v in rows]
    if content_gone:
        for version in versions:
            version.content = None
    return versions, next_cursor


def annotation_count(session: Session, target_type: TargetType, target_id: str) -> int:
    """Annotations (neither hidden nor deleted) directly on one resource."""
    return annotation_counts(session, target_type, [target_id]).get(target_id, 0)


_PERSON_COUNT = select(col(AnnotationTally.n)).where(
    col(AnnotationTally.person_id) == bindparam("id")
)


def person_annotation_count(session: Session, person_id: str) -> int:
    """What GET /v1/persons/{id}/annotations lists for an anonymous reader (kept by the
    annotation writes: app/services/annotations/about.py)."""
    return int(session.execute(_PERSON_COUNT, {"id": person_id}).scalar_one_or_none() or 0)


_COUNTS_BY_TARGET: dict[TargetType, AnySelect] = {
    t: select(col(Annotation.target_id), func.count())
    .where(
        col(Annotation.target_type) == t.value,
        col(Annotation.target_id).in_(bindparam("ids", expanding=True)),
        _PUBLIC,
    )
    .group_by(col(Annotation.target_id))
    for t in TargetType
}


def annotation_counts(session: Session, target_type: TargetType, ids: list[str]) -> dict[str, int]:
    """Annotations (neither hidden nor deleted) on each of several resources of one type."""
    if not ids:
        return {}
    rows = session.execute(_COUNTS_BY_TARGET[target_type], {"ids": ids})
    return {tid: int(n) for tid, n in rows}
