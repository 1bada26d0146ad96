"""Matching by example, in the manner of OpenSanctions' yente: for a name as someone has it
(and optionally an organisation and a birth date), the known persons or organisations it may
be, each with the features behind its score. Candidates and name scores come from the search
code (app/services/search/ranking.py), so a name matches the same way it is found."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select
from sqlmodel import Session, col

from app.models import NameVariant, Person, Role
from app.models.common import EntityType
from app.models.search import MatchCandidate, MatchQuery
from app.services.catalog.loaders import entity_refs
from app.services.search import scoring
from app.services.search.backends import VariantRow
from app.services.search.ranking import best_names, why_name


def _organization_similarities(
    session: Session, org_query: str, person_ids: list[str]
) -> dict[str, float | None]:
    """Per person, how well the query's organisation names one they hold or held a role at;
    None if no role of theirs names an organisation. Two queries for all the candidates."""
    held: dict[str, set[str]] = defaultdict(set)
    if person_ids:
        for person_id, org_id in session.execute(
            select(col(Role.person_id), col(Role.organization_id)).where(
                col(Role.person_id).in_(person_ids), col(Role.organization_id).is_not(None)
            )
        ):
            held[person_id].add(org_id)
    orgs = sorted(set().union(*held.values())) if held else []
    query = scoring.parse_query(org_query)
    best: dict[str, float] = defaultdict(float)
    if orgs:
        for org_id, v, k, s in session.execute(
            select(
                col(NameVariant.organization_id),
                col(NameVariant.variant),
                col(NameVariant.key),
                col(NameVariant.skel),
            ).where(col(NameVariant.organization_id).in_(orgs))
        ):
            best[org_id] = max(best[org_id], scoring.score(query, v, k, s).score)
    return {pid: (max(best[o] for o in held[pid]) if held.get(pid) else None) for pid in person_ids}


def match(
    session: Session, query: MatchQuery, *, threshold: float, limit: int
) -> list[MatchCandidate]:
    """Candidates for one example, best first. The score is the name's; an organisation
    given in the query moves it by up to 0.1 (up if the person's roles name it, down if they
    name others); a birth date by BIRTH_ADJUSTMENT when the person's is recorded."""
    parsed = scoring.parse_query(query.name)
    if not parsed.words:
        return []
    kind = query.type.value
    candidates = best_names(session, parsed, [kind])
    ids = [entity_id for _, entity_id in candidates]
    births = _birth_dates(session, ids) if query.birth_date is not None and kind == "person" else {}
    orgs = (
        _organization_similarities(
            session, query.organization, _contenders(query, candidates, limit)
        )
        if query.organization and kind == "person"
        else {}
    )
    out = []
    for (_, entity_id), (scored, row) in candidates.items():
        if query.organization and kind == "person" and entity_id not in orgs:
            continue  # out of reach of the answer (see `_contenders`)
        total, features = _features(query, scored.score, births.get(entity_id), orgs.get(entity_id))
        out.append((total, entity_id, features, why_name(scored, row)))
    out.sort(key=lambda c: (-c[0], c[1]))
    top = [c[1] for c in out[:limit]]
    refs = entity_refs(session, top if kind == "person" else [], top if kind != "person" else [])
    return [
        MatchCandidate(
            type=kind,
            id=entity_id,
            name=refs[(EntityType(kind), entity_id)].name,
            score=total,
            match=total >= threshold,
            features=features,
            explanation=why,
        )
        for total, entity_id, features, why in out[:limit]
    ]


def _contenders(
    query: MatchQuery,
    candidates: dict[tuple[str, str], tuple[scoring.NameScore, VariantRow]],
    limit: int,
) -> list[str]:
    """The candidates whose name score can still reach the answer. A candidate can gain at
    most `up` and the limit-th best lose at most `down`: one further below than up + down
    cannot reach it, and is not worth the organisation lookups."""
    up = (0.1 if query.organization else 0.0) + (0.05 if query.birth_date else 0.0)
    down = (0.1 if query.organization else 0.0) + (0.3 if query.birth_date else 0.0)
    by_name = sorted((scored.score for scored, _ in candidates.values()), reverse=True)
    floor = by_name[limit - 1] - up - down if len(by_name) > limit else -1.0
    return [eid for (_, eid), (scored, _) in candidates.items() if scored.score >= floor]


def _features(
    query: MatchQuery, name_score: float, birth: date | None, org: float | None
) -> tuple[float, dict[str, float | None]]:
    """The candidate's score in [0, 1] (rounded to 4 places) and the features behind it."""
    features: dict[str, float | None] = {"name": name_score}
    total = name_score
    if query.birth_date is not None:
        agreement = birth_agreement(query.birth_date, birth)
        features["birth_date"] = agreement
        if agreement is not None:
            total += BIRTH_ADJUSTMENT[agreement]
    if query.organization and query.type.value == "person":
        features["organization"] = org
        if org is not None:
            total += 0.2 * (org - 0.5)
    return round(min(1.0, max(0.0, total)), 4), features


# A same birth date confirms a little; another day of the same year (often a data error)
# doubts a little; another year is strong evidence of another person.
BIRTH_ADJUSTMENT = {1.0: 0.05, 0.5: -0.05, 0.0: -0.3}


def birth_agreement(asked: date, known: date | None) -> float | None:
    """1.0 same date, 0.5 same year only, 0.0 another year, None if no date is recorded."""
    if known is None:
        return None
    if known == asked:
        return 1.0
    return 0.5 if known.year == asked.year else 0.0


def _birth_dates(session: Session, ids: list[str]) -> dict[str, date | None]:
    if not ids:
        return {}
    return dict(
        session.execute(
            select(col(Person.id), col(Person.birth_date)).where(col(Person.id).in_(ids))
        ).all()
    )
