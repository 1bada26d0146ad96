"""The seed loader (app.services.loading.seed) on both backends: idempotence, exact contents,
the five named figures, and refusals that leave the database untouched: the seed is held to
the API's rules, on a first load and on a reseed that updates."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
import tomllib
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, inspect, select
from sqlmodel import Session, col

from app.config import PROJECT_ROOT
from app.db import make_engine
from app.models import Claim, ClaimSubject, Role, Source
from app.models.common import utcnow
from app.models.search import BACKEND_OBJECTS
from app.problems import ValidationFailed
from app.services import migrations
from app.services.loading.seed import load_seed, short_id

SEED_DIR = PROJECT_ROOT / "seed"
SOURCE_ID = "bondarev-2023-west-must-drive-a-wedge"
SOURCE_TOML = f"{SOURCE_ID}.toml"
ENTITY_FILES = {"organization": "organizations.toml", "person": "persons.toml"}
ESSAY_TEXT_SHA256 = "6f74a669fb572e6b5db0bf06728dce12a5df9d6ac138171588649d2c0b6e674d"

# What the seed files hold; test_seed_counts_match_the_files keeps these honest.
ENTITY_COUNTS = {"organization": 9, "person": 7, "source": 1, "claim": 36, "role": 11}
SEED_ROWS = {
    **ENTITY_COUNTS,
    "name_form": 92,
    "identifier": 22,
    "source_author": 1,
    "claim_subject": 61,
}
# Every table after seeding an empty database.
ROW_COUNTS = {
    **SEED_ROWS,
    # One "create" row per seeded entity.
    "change": sum(ENTITY_COUNTS.values()),
    "api_key": 0,
    "annotation": 0,
    "annotation_tag": 0,
    "annotation_version": 0,
    "annotation_flag": 0,
    # Derived search rows: every spelling of the 16 persons and organisations (curated forms,
    # display names, iuliia romanisations), one document per entity, and the essay's mentions.
    "name_variant": 166,
    "search_doc": 53,
    "mention": 31,
    # The cursor-signing key the migration made (the seed does not touch it).
    "instance_secret": 1,
    # Claims per subject and kind: 61 subject rows over 31 (subject, kind) pairs.
    "claim_tally": 31,
    "annotation_about": 0,
    "annotation_tally": 0,
}
TABLES = sorted(ROW_COUNTS)
# What a migrated database holds before anything is seeded.
MIGRATED_ROWS = {**dict.fromkeys(TABLES, 0), "instance_secret": 1}


def claim_id(key: str) -> str:
    return short_id("clm_", SOURCE_ID, key)


# -- helpers -------------------------------------------------------------------------------


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table in the database, as the driver returns it, in primary-key order."""
    insp = inspect(engine)
    out = {}
    with engine.connect() as conn:
        for table in sorted(insp.get_table_names()):
            if table in BACKEND_OBJECTS:
                # SQLite's FTS5 tables mirror name_variant and search_doc, which are dumped.
                continue
            pk = insp.get_pk_constraint(table)["constrained_columns"]
            order = ", ".join(f'"{c}"' for c in pk)
            rows = conn.exec_driver_sql(f'SELECT * FROM "{table}" ORDER BY {order}').all()
            out[table] = [tuple(r) for r in rows]
    return out


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.exec_driver_sql(f'SELECT count(*) FROM "{t}"').scalar_one() for t in TABLES}


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | date):
        return str(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(value)


def write_source_toml(path: Path, data: dict[str, Any]) -> None:
    lines = ["[source]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in data["source"].items()]
    for table in ("claim", "role"):
        for item in data.get(table, []):
            lines += ["", f"[[{table}]]"]
            lines += [f"{k} = {_toml_value(v)}" for k, v in item.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_entities_toml(path: Path, kind: str, items: list[dict[str, Any]]) -> None:
    lines = []
    for item in items:
        lines += [f"[[{kind}]]", *(f"{k} = {_toml_value(v)}" for k, v in item.items()), ""]
    path.write_text("\n".join(lines), encoding="utf-8")


class SeedCopy:
    """A private copy of seed/ whose source TOML a test can edit claim by claim, and whose
    persons and organisations it can edit record by record."""

    def __init__(self, tmp_path: Path) -> None:
        self.dir = tmp_path / "seed"
        shutil.copytree(SEED_DIR, self.dir)
        self.path = self.dir / "data" / "sources" / SOURCE_TOML
        with self.path.open("rb") as fh:
            self.data = tomllib.load(fh)
        self.entities: dict[str, list[dict[str, Any]]] = {}
        for kind, name in ENTITY_FILES.items():
            with (self.dir / "data" / name).open("rb") as fh:
                self.entities[kind] = tomllib.load(fh)[kind]

    def claim(self, key: str) -> dict[str, Any]:
        (found,) = [c for c in self.data["claim"] if c["key"] == key]
        return found

    def entity(self, kind: str, entity_id: str) -> dict[str, Any]:
        (found,) = [e for e in self.entities[kind] if e["id"] == entity_id]
        return found

    def save(self) -> Path:
        write_source_toml(self.path, self.data)
        for kind, name in ENTITY_FILES.items():
            write_entities_toml(self.dir / "data" / name, kind, self.entities[kind])
        return self.dir


@pytest.fixture
def seed_copy(tmp_path: Path) -> SeedCopy:
    return SeedCopy(tmp_path)


@pytest.fixture
def migrated_engine(empty_db_url: str) -> Any:
    migrations.upgrade(empty_db_url)
    eng = make_engine(empty_db_url)
    yield eng
    eng.dispose()


# -- the files themselves --------------------------------------------------------------------


def test_seed_counts_match_the_files() -> None:
    def load(rel: str) -> dict[str, Any]:
        with (SEED_DIR / "data" / rel).open("rb") as fh:
            return tomllib.load(fh)

    orgs = load("organizations.toml")["organization"]
    persons = load("persons.toml")["person"]
    src = load(f"sources/{SOURCE_TOML}")
    assert {
        "organization": len(orgs),
        "person": len(persons),
        "source": 1,
        "claim": len(src["claim"]),
        "role": len(src["role"]),
        "name_form": sum(len(e["names"]) for e in orgs + persons),
        "identifier": sum(len(e["identifiers"]) for e in orgs + persons),
        "source_author": len(src["source"]["authors"]),
        "claim_subject": sum(len(c["subjects"]) for c in src["claim"]),
    } == SEED_ROWS


def test_rewritten_copy_loads_the_same_data(seed_copy: SeedCopy) -> None:
    seed_copy.save()
    with seed_copy.path.open("rb") as fh:
        assert tomllib.load(fh) == seed_copy.data
    for kind, name in ENTITY_FILES.items():
        with (seed_copy.dir / "data" / name).open("rb") as fh:
            rewritten = tomllib.load(fh)
        with (SEED_DIR / "data" / name).open("rb") as fh:
            assert rewritten == tomllib.load(fh) == {kind: seed_copy.entities[kind]}


# -- loading -----------------------------------------------------------------------------


def test_load_into_empty_migrated_db_creates_exactly_the_seed(migrated_engine: Engine) -> None:
    assert row_counts(migrated_engine) == MIGRATED_ROWS
    with Session(migrated_engine) as session:
        report = load_seed(session, SEED_DIR)
    assert report.created == ENTITY_COUNTS
    assert report.updated == {}
    assert report.unchanged == {}
    assert report.summary() == (
        "claim: 36 created, 0 updated, 0 unchanged; "
        "organization: 9 created, 0 updated, 0 unchanged; "
        "person: 7 created, 0 updated, 0 unchanged; "
        "role: 11 created, 0 updated, 0 unchanged; "
        "source: 1 created, 0 updated, 0 unchanged"
    )
    assert row_counts(migrated_engine) == ROW_COUNTS
    with Session(migrated_engine) as session:
        for model in (Claim, Role, Source):
            rows = session.scalars(select(model)).all()
            assert {r.version for r in rows} == {1}
            assert all(r.created_at == r.updated_at for r in rows)


def test_reseed_changes_nothing(engine: Engine, session: Session) -> None:
    before = dump(engine)
    assert {t: len(before[t]) for t in TABLES} == ROW_COUNTS
    report = load_seed(session, SEED_DIR)
    assert report.created == {}
    assert report.updated == {}
    assert report.unchanged == ENTITY_COUNTS
    after = dump(engine)
    assert after == before
    # The dump really covers every table, timestamps and versions included.
    assert set(after) == {*TABLES, "alembic_version"}
    claim_columns = [c["name"] for c in inspect(engine).get_columns("claim")]
    assert {"created_at", "updated_at", "version"} <= set(claim_columns)


def test_source_text_is_the_derived_essay(session: Session) -> None:
    source = session.get(Source, SOURCE_ID)
    assert source is not None
    assert source.title == "The West Must Drive a Wedge Between Putin and Russia's Elites"
    assert source.published_date == date(2023, 2, 23)
    assert source.publisher_organization_id == "the-moscow-times"
    assert source.text_length == len(source.text) == 4500
    assert source.text_sha256 == ESSAY_TEXT_SHA256
    assert hashlib.sha256(source.text.encode()).hexdigest() == ESSAY_TEXT_SHA256


def test_every_claim_quote_is_its_span_of_the_source(session: Session) -> None:
    source = session.get(Source, SOURCE_ID)
    assert source is not None
    text = source.text
    claims = session.scalars(select(Claim).order_by(Claim.quote_start)).all()
    assert len(claims) == 36
    for c in claims:
        assert c.source_id == SOURCE_ID
        assert c.quote == text[c.quote_start : c.quote_end], c.id
        assert c.prefix == text[max(0, c.quote_start - 32) : c.quote_start], c.id
        assert c.suffix == text[c.quote_end : c.quote_end + 32], c.id
    hedge = session.get(Claim, claim_id("five-realize-putin-leading-into-abyss"))
    assert hedge is not None
    assert (hedge.quote_start, hedge.quote_end) == (1355, 1430)
    assert text.index("almost certainly") == 1360


# -- the five named figures ----------------------------------------------------------------

FIGURES = {
    "alexei-kudrin": (
        "ministry-of-finance-of-russia",
        "Minister of Finance",
        "former",
        "kudrin-role-former-finance-minister",
        "former finance minister Alexei Kudrin",
        "kudrin-nabiullina-gref-liberally-minded",
    ),
    "elvira-nabiullina": (
        "central-bank-of-russia",
        "Chair",
        "current",
        "nabiullina-role-central-bank-chair",
        "Central Bank chair Elvira Nabiullina",
        "kudrin-nabiullina-gref-liberally-minded",
    ),
    "german-gref": (
        "sberbank",
        "Chief Executive Officer",
        "current",
        "gref-role-sberbank-ceo",
        "Sberbank CEO German Gref",
        "kudrin-nabiullina-gref-liberally-minded",
    ),
    "mikhail-mishustin": (
        "government-of-russia",
        "Prime Minister",
        "current",
        "mishustin-role-prime-minister",
        "Prime Minister Mikhail Mishustin",
        "mishustin-sobyanin-effective-managers",
    ),
    "sergei-sobyanin": (
        "moscow-city-government",
        "Mayor of Moscow",
        "current",
        "sobyanin-role-moscow-mayor",
        "Moscow mayor Sergei Sobyanin",
        "mishustin-sobyanin-effective-managers",
    ),
}
CHARACTERIZATION_WORDS = {
    "kudrin-nabiullina-gref-liberally-minded": '"liberally" minded',
    "mishustin-sobyanin-effective-managers": "most effective managers",
}
SHARED_CLAIMS = [
    "five-named-as-russian-elite-examples",
    "five-demonstrate-loyalty-to-dictator",
    "five-work-to-preserve-putins-regime",
    "five-realize-putin-leading-into-abyss",
    "five-realize-economic-achievements-undone",
]


def _claims_about(session: Session, *, person: str = "", org: str = "") -> list[Claim]:
    subject = ClaimSubject.person_id == person if person else ClaimSubject.organization_id == org
    return list(
        session.scalars(
            select(Claim)
            .join(ClaimSubject, col(ClaimSubject.claim_id) == Claim.id)
            .where(subject)
            .order_by(Claim.quote_start, Claim.id)
        ).all()
    )


@pytest.mark.parametrize("person_id", sorted(FIGURES))
def test_named_figure(session: Session, person_id: str) -> None:
    org, title, status, role_key, role_quote, character_key = FIGURES[person_id]

    position = session.scalars(
        select(Role).where(Role.person_id == person_id, Role.kind == "position")
    ).one()
    assert (position.organization_id, position.title, position.status) == (org, title, status)
    assert position.claim_id == claim_id(role_key)
    provenance = session.get(Claim, position.claim_id)
    assert provenance is not None
    assert (provenance.kind, provenance.quote) == ("role_statement", role_quote)
    subjects = session.scalars(
        select(ClaimSubject.person_id).where(ClaimSubject.claim_id == provenance.id)
    ).all()
    assert subjects == [person_id]

    membership = session.scalars(
        select(Role).where(Role.person_id == person_id, Role.kind == "membership")
    ).one()
    assert (membership.organization_id, membership.title, membership.status) == (
        "russian-elite",
        "member",
        "current",
    )
    assert membership.claim_id == claim_id("five-named-as-russian-elite-examples")

    claims = {c.id: c for c in _claims_about(session, person=person_id)}
    assert set(claims) == {claim_id(k) for k in [role_key, character_key, *SHARED_CLAIMS]}

    character = claims[claim_id(character_key)]
    assert character.kind == "characterization"
    assert CHARACTERIZATION_WORDS[character_key] in character.quote

    loyalty = claims[claim_id("five-demonstrate-loyalty-to-dictator")]
    assert (loyalty.kind, loyalty.quote) == ("assertion", "all demonstrate loyalty to the dictator")
    preserve = claims[claim_id("five-work-to-preserve-putins-regime")]
    assert (preserve.kind, preserve.quote) == ("assertion", "actively work to preserve his regime")

    beliefs = [c for c in claims.values() if c.kind == "belief_attribution"]
    assert sorted(c.id for c in beliefs) == sorted(
        [
            claim_id("five-realize-putin-leading-into-abyss"),
            claim_id("five-realize-economic-achievements-undone"),
        ]
    )
    for belief in beliefs:
        assert (belief.modality, belief.hedge) == ("hedged", "almost certainly")
        assert belief.quote.startswith("they almost certainly realize that he is leading")
        assert belief.attributed_to_person_id == "boris-bondarev"


def test_claims_about_the_russian_elite(session: Session) -> None:
    claims = _claims_about(session, org="russian-elite")
    assert Counter(c.kind for c in claims) == {
        "prescription": 3,
        "assertion": 2,
        "prediction": 2,
        "belief_attribution": 2,
        "characterization": 1,
    }
    assert {c.quote for c in claims if c.kind == "prescription"} == {
        "The Russian elite needs to become divided",
        "It must be made clear that after Putin's fall, only the central figures in his regime "
        "will be held accountable and punished",
        "Members of Putin's elites who actively oppose the regime, whether that be through acts "
        "of open defiance or in less obvious forms, such as the sabotage of defense procurements, "
        "should be given guarantees they won't face jail time or the confiscation of their "
        "assets, and that even some political prospects will remain open to them",
    }


def test_claims_about_vladimir_putin(session: Session) -> None:
    claims = _claims_about(session, person="vladimir-putin")
    assert Counter(c.kind for c in claims) == {
        "prediction": 8,
        "characterization": 2,
        "assertion": 2,
        "prescription": 1,
        "role_statement": 1,
    }
    assert [c.quote for c in claims if c.kind == "prescription"] == [
        "to end the war and establish a lasting peace in Europe, the single most important task "
        "must be to bring about regime change in the Russian Federation"
    ]
    reported = [c for c in claims if c.attributed_to_person_id is None]
    assert [(c.attributed_to_label, c.modality, c.hedge) for c in reported] == [
        ("many", "reported", "potentially")
    ]


# -- refusals: validated before anything is written ----------------------------------------

WHERE = SOURCE_TOML


def _refused(engine: Engine, seed_dir: Path) -> str:
    with Session(engine) as session, pytest.raises(ValidationFailed) as info:
        load_seed(session, seed_dir)
    assert info.value.status == 422
    assert row_counts(engine) == MIGRATED_ROWS
    return info.value.detail


def test_refuses_quote_not_at_explicit_offsets(
    migrated_engine: Engine, seed_copy: SeedCopy
) -> None:
    claim = seed_copy.claim("kudrin-role-former-finance-minister")
    claim.update(start=0, end=37)
    detail = _refused(migrated_engine, seed_copy.save())
    assert detail == (
        f"{WHERE}: claim 'kudrin-role-former-finance-minister': the quote does not match the "
        "source text at [0, 37): expected 'former finance minister Alexei Kudrin', "
        'the text has "Putin\'s Russia has now been at war wi".'
    )


def test_accepts_quote_at_correct_explicit_offsets(
    migrated_engine: Engine, seed_copy: SeedCopy
) -> None:
    seed_copy.claim("kudrin-role-former-finance-minister").update(start=1034, end=1071)
    with Session(migrated_engine) as session:
        load_seed(session, seed_copy.save())
        claim = session.get(Claim, claim_id("kudrin-role-former-finance-minister"))
        assert claim is not None
        assert (claim.quote_start, claim.quote_end) == (1034, 1071)
    assert row_counts(migrated_engine) == ROW_COUNTS


def test_refuses_quote_not_in_text(migrated_engine: Engine, seed_copy: SeedCopy) -> None:
    seed_copy.claim("putin-called-the-dictator")["quote"] = "the great leader"
    assert _refused(migrated_engine, seed_copy.save()) == (
        f"{WHERE}: claim 'putin-called-the-dictator': the quote 'the great leader' does not "
        "occur in the source text."
    )


def test_refuses_ambiguous_quote_without_occurrence(
    migrated_engine: Engine, seed_copy: SeedCopy
) -> None:
    seed_copy.claim("putin-called-the-dictator")["quote"] = "the Russian elite"
    assert _refused(migrated_engine, seed_copy.save()) == (
        f"{WHERE}: claim 'putin-called-the-dictator': the quote 'the Russian elite' occurs 3 "
        "times (at [915, 1834, 2566]); say which with occurrence (1-based)."
    )


def test_refuses_unknown_subject(migrated_engine: Engine, seed_copy: SeedCopy) -> None:
    seed_copy.claim("putin-called-the-dictator")["subjects"] = ["person:vladimir-putn"]
    assert _refused(migrated_engine, seed_copy.save()) == (
        f"{WHERE}: claim 'putin-called-the-dictator': The request refers to records that do not "
        "exist: subjects.0.id: no person 'vladimir-putn'."
    )


def test_refuses_hedge_not_in_quote(migrated_engine: Engine, seed_copy: SeedCopy) -> None:
    seed_copy.claim("putin-called-the-dictator")["hedge"] = "probably"
    assert _refused(migrated_engine, seed_copy.save()) == (
        f"{WHERE}: claim 'putin-called-the-dictator': The claim is not valid: the hedge "
        "'probably' does not occur in the quote."
    )


def test_refuses_unknown_field(migrated_engine: Engine, seed_copy: SeedCopy) -> None:
    seed_copy.claim("putin-called-the-dictator")["confidence"] = "high"
    assert _refused(migrated_engine, seed_copy.save()) == (
        f"{WHERE}: claim 'putin-called-the-dictator'.confidence: Extra inputs are not permitted"
    )


def test_refuses_duplicate_claim_key(migrated_engine: Engine, seed_copy: SeedCopy) -> None:
    seed_copy.claim("putin-called-the-dictator")["key"] = "putin-role-president"
    assert _refused(migrated_engine, seed_copy.save()) == (
        f"{WHERE}: claim key 'putin-role-president' is used twice."
    )


def test_refuses_duplicate_person_id(migrated_engine: Engine, seed_copy: SeedCopy) -> None:
    persons = seed_copy.entities["person"]
    persons.append({**persons[0], "name": "Another Kudrin"})
    assert _refused(migrated_engine, seed_copy.save()) == (
        "persons.toml: person id 'alexei-kudrin' is used twice."
    )


def test_refuses_a_role_listed_twice(migrated_engine: Engine, seed_copy: SeedCopy) -> None:
    roles = seed_copy.data["role"]
    roles.append({**roles[0], "status": "current"})
    assert _refused(migrated_engine, seed_copy.save()) == (
        f"{WHERE}: role[11]: the same person, organization, title and kind as role[0]."
    )


def test_refuses_role_claim_that_is_not_a_key_here(
    migrated_engine: Engine, seed_copy: SeedCopy
) -> None:
    seed_copy.data["role"][0]["claim"] = "kudrin-role-finance-minister"
    assert _refused(migrated_engine, seed_copy.save()) == (
        f"{WHERE}: role[0].claim: 'kudrin-role-finance-minister' is not a claim key in this file."
    )


def test_refusal_on_seeded_db_leaves_every_row_as_it_was(
    engine: Engine, session: Session, seed_copy: SeedCopy
) -> None:
    # A valid edit earlier in the file must not be written when a later claim is refused.
    seed_copy.claim("putin-role-president")["statement"] = "Changed."
    seed_copy.claim("putin-called-the-dictator")["quote"] = "the great leader"
    before = dump(engine)
    with pytest.raises(ValidationFailed):
        load_seed(session, seed_copy.save())
    assert dump(engine) == before


# -- refusals: the API's rules, which the seed used to skip ----------------------------------
# Each edit breaks one rule of the API's request bodies or curation services. The seed refuses
# it with the same words as the API, naming the file and the record; nothing is written.

KUDRIN = "persons.toml: person 'alexei-kudrin'"
DICTATOR = f"{WHERE}: claim 'putin-called-the-dictator'"
SOURCE = f"{WHERE}: source '{SOURCE_ID}'"
ONE_ATTRIBUTION = (
    "The claim is not valid: give exactly one of attributed_to (a person or organisation) and "
    "attributed_to_label (e.g. 'many')."
)
TOO_LONG_300 = "String should have at most 300 characters"
BIRTH_DATE = "birth_date: Value error, birth_date must be between 1850-01-01 and today"


def _edit_kudrin(**fields: Any) -> Any:
    return lambda copy: copy.entity("person", "alexei-kudrin").update(fields)


def _edit_dictator(**fields: Any) -> Any:
    return lambda copy: copy.claim("putin-called-the-dictator").update(fields)


def _edit_role(index: int, **fields: Any) -> Any:
    return lambda copy: copy.data["role"][index].update(fields)


def _add_organization(copy: SeedCopy) -> None:
    copy.entities["organization"].append(
        {"id": "alexei-kudrin", "name": "Kudrin Holdings", "kind": "company"}
    )


def _lend_identifier(copy: SeedCopy) -> None:
    copy.entity("person", "elvira-nabiullina")["identifiers"].append(
        {"scheme": "enwiki", "value": "Alexei_Kudrin"}
    )


def _repeat_identifier(copy: SeedCopy) -> None:
    identifiers = copy.entity("person", "alexei-kudrin")["identifiers"]
    identifiers.append(dict(identifiers[0]))


def _long_name_form(copy: SeedCopy) -> None:
    copy.entity("person", "alexei-kudrin")["names"][0]["name"] = "К" * 301


def _bad_lang(copy: SeedCopy) -> None:
    copy.entity("person", "alexei-kudrin")["names"][0]["lang"] = "Russian"


def _identifier_url(copy: SeedCopy) -> None:
    copy.entity("person", "alexei-kudrin")["identifiers"][0]["url"] = "https://example.org/k"


def _long_org_name(copy: SeedCopy) -> None:
    copy.entity("organization", "sberbank")["name"] = "S" * 301


def _source_edit(**fields: Any) -> Any:
    return lambda copy: copy.data["source"].update(fields)


# (edit, exact detail). Rules checked on the record alone (the request body's field types)...
BODY_RULES = {
    "birth-date-too-early": (_edit_kudrin(birth_date=date(1700, 1, 1)), f"{KUDRIN}.{BIRTH_DATE}"),
    "birth-date-in-future": (
        _edit_kudrin(birth_date=date.today() + timedelta(days=1)),
        f"{KUDRIN}.{BIRTH_DATE}",
    ),
    "name-form-301-chars": (_long_name_form, f"{KUDRIN}.names.0.name: {TOO_LONG_300}"),
    "display-name-301-chars": (_edit_kudrin(name="A" * 301), f"{KUDRIN}.name: {TOO_LONG_300}"),
    "organization-name-301-chars": (
        _long_org_name,
        f"organizations.toml: organization 'sberbank'.name: {TOO_LONG_300}",
    ),
    "name-on-two-lines": (
        _edit_kudrin(name="Alexei\nKudrin"),
        f"{KUDRIN}.name: Value error, must be a single line",
    ),
    "blank-name": (
        _edit_kudrin(name="   "),
        f"{KUDRIN}.name: String should have at least 1 character",
    ),
    "description-2001-chars": (
        _edit_kudrin(description="d" * 2001),
        f"{KUDRIN}.description: String should have at most 2000 characters",
    ),
    "name-form-lang-not-bcp47": (
        _bad_lang,
        f"{KUDRIN}.names.0.lang: String should match pattern "
        "'^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$'",
    ),
    "identifier-with-url": (
        _identifier_url,
        f"{KUDRIN}.identifiers.0.url: Extra inputs are not permitted",
    ),
    "statement-2001-chars": (
        _edit_dictator(statement="s" * 2001),
        f"{DICTATOR}.statement: String should have at most 2000 characters",
    ),
    "subject-of-unknown-type": (
        _edit_dictator(subjects=["persn:vladimir-putin"]),
        f"{DICTATOR}.subjects.0.type: Input should be 'person' or 'organization'",
    ),
    "genre-41-chars": (
        _source_edit(genre="g" * 41),
        f"{SOURCE}.genre: String should have at most 40 characters",
    ),
    "language-not-bcp47": (
        _source_edit(language="English"),
        f"{SOURCE}.language: String should match pattern '^[a-z]{{2,3}}(?:-[A-Za-z0-9]{{2,8}})*$'",
    ),
    "role-title-301-chars": (
        _edit_role(0, title="t" * 301),
        f"{WHERE}: role[0].title: {TOO_LONG_300}",
    ),
}
# ... and rules the curation services check against the other records.
SERVICE_RULES = {
    "both-attribution-forms": (
        _edit_dictator(attributed_to_label="many"),
        f"{DICTATOR}: {ONE_ATTRIBUTION}",
    ),
    "duplicated-subject": (
        _edit_dictator(subjects=["person:vladimir-putin", "person:vladimir-putin"]),
        f"{DICTATOR}: The claim is not valid: the subject person 'vladimir-putin' is listed twice.",
    ),
    "occurrence-with-offsets": (
        lambda copy: copy.claim("kudrin-role-former-finance-minister").update(
            start=1034, end=1071, occurrence=1
        ),
        f"{WHERE}: claim 'kudrin-role-former-finance-minister': The claim is not valid: give "
        "start and end, or occurrence, not both.",
    ),
    "identifier-listed-twice": (
        _repeat_identifier,
        f"{KUDRIN}: The identifier enwiki:Alexei_Kudrin is listed twice.",
    ),
    "identifier-of-another-person": (
        _lend_identifier,
        "persons.toml: person 'elvira-nabiullina': The identifier enwiki:Alexei_Kudrin already "
        "belongs to person 'alexei-kudrin'; one identifier names one record.",
    ),
    "id-of-an-organization": (
        _add_organization,
        f"{KUDRIN}: The id 'alexei-kudrin' is taken: organization 'alexei-kudrin' has it.",
    ),
    "author-listed-twice": (
        _source_edit(authors=["boris-bondarev", "boris-bondarev"]),
        f"{SOURCE}: The author 'boris-bondarev' is listed twice.",
    ),
    "unknown-publisher": (
        _source_edit(publisher="the-moscow-time"),
        f"{SOURCE}: The request refers to records that do not exist: publisher_id: no "
        "organization 'the-moscow-time'.",
    ),
    "role-ends-before-it-starts": (
        _edit_role(0, start_date=date(2011, 1, 1), end_date=date(2000, 1, 1)),
        f"{WHERE}: role[0]: The role is not valid: end_date 2000-01-01 is before start_date "
        "2011-01-01.",
    ),
    "role-precision-without-date": (
        _edit_role(0, end_date_precision="year"),
        f"{WHERE}: role[0]: The role is not valid: end_date_precision needs end_date.",
    ),
}
API_RULES = {**BODY_RULES, **SERVICE_RULES}


def test_role_zero_is_kudrins_finance_ministry() -> None:
    """The role[0] the rules above edit and name."""
    with (SEED_DIR / "data" / "sources" / SOURCE_TOML).open("rb") as fh:
        role = tomllib.load(fh)["role"][0]
    assert (role["person"], role["organization"]) == (
        "alexei-kudrin",
        "ministry-of-finance-of-russia",
    )


@pytest.mark.parametrize("rule", sorted(API_RULES))
def test_refuses_what_the_api_refuses(
    migrated_engine: Engine, seed_copy: SeedCopy, rule: str
) -> None:
    edit, detail = API_RULES[rule]
    edit(seed_copy)
    assert _refused(migrated_engine, seed_copy.save()) == detail


def test_refuses_a_claim_with_neither_attribution(
    migrated_engine: Engine, seed_copy: SeedCopy
) -> None:
    del seed_copy.claim("putin-called-the-dictator")["attributed_to"]
    assert _refused(migrated_engine, seed_copy.save()) == f"{DICTATOR}: {ONE_ATTRIBUTION}"


# Records the seeded database already holds: the edit goes through the API's update checks.
UPDATE_RULES = [
    "birth-date-too-early",
    "name-form-301-chars",
    "both-attribution-forms",
    "duplicated-subject",
    "identifier-listed-twice",
    "identifier-of-another-person",
    "author-listed-twice",
    "role-ends-before-it-starts",
    "role-precision-without-date",
]


@pytest.mark.parametrize("rule", UPDATE_RULES)
def test_reseed_updates_are_refused_as_the_api_refuses_them(
    engine: Engine, session: Session, seed_copy: SeedCopy, rule: str
) -> None:
    edit, detail = API_RULES[rule]
    edit(seed_copy)
    before = dump(engine)
    with pytest.raises(ValidationFailed) as info:
        load_seed(session, seed_copy.save())
    assert (info.value.status, info.value.detail) == (422, detail)
    assert dump(engine) == before


def _edit_original(seed_copy: SeedCopy, old: str, new: str) -> Path:
    path = seed_copy.dir / "sources" / f"{SOURCE_ID}.original.md"
    original = path.read_text(encoding="utf-8")
    assert original.count(old) == 1
    path.write_text(original.replace(old, new), encoding="utf-8")
    return seed_copy.save()


def test_reseed_refuses_a_new_text_that_moves_the_quotes(
    engine: Engine, session: Session, seed_copy: SeedCopy
) -> None:
    """The API's rule for a new source text (every quote anchored in it stays at its offsets)
    holds for a changed original too; the seed used to move its own claims and leave anything
    else anchored there (annotations) pointing at other words."""
    seed_dir = _edit_original(seed_copy, "has now been at war", "has by now been at war")
    before = dump(engine)
    with pytest.raises(ValidationFailed) as info:
        load_seed(session, seed_dir)
    assert (info.value.status, info.value.detail) == (
        422,
        f"{SOURCE}: The new text of {SOURCE_ID!r} would break 36 quote(s) anchored in it: "
        f"claim {claim_id('war-threat-persists-while-putin-in-kremlin')} at [249, 341): "
        "'the threat of war in Europe will not recede as long as Vladimir Putin remains in the "
        "Kremlin' would become 'at the threat of war in Europe will not recede as long as "
        "Vladimir Putin remains in the Krem'; "
        f"claim {claim_id('putin-will-continue-nuclear-saber-rattling')} at [344, 414): "
        "'Even if he is defeated, Putin will continue his nuclear saber-rattling' would become "
        "'.\\n\\nEven if he is defeated, Putin will continue his nuclear saber-rattl'; "
        f"claim {claim_id('putin-might-use-nuclear-weapons')} at [416, 452): "
        "'or possibly even use nuclear weapons' would become 'g (or possibly even use nuclear "
        "weap' (and 33 more). Edit or delete those first, or keep their words at their offsets.",
    )
    assert dump(engine) == before


def test_reseed_takes_a_new_text_that_keeps_the_quotes(
    engine: Engine, session: Session, seed_copy: SeedCopy
) -> None:
    seed_dir = _edit_original(seed_copy, "for a year.", "for a YEAR.")
    original = (seed_dir / "sources" / f"{SOURCE_ID}.original.md").read_text(encoding="utf-8")
    before = dump(engine)
    old = session.get(Source, SOURCE_ID)
    assert old is not None
    old_derivation, old_text = old.derivation, old.text
    session.expunge_all()

    report = load_seed(session, seed_dir)
    assert (report.created, report.updated) == ({}, {"source": 1})
    source = session.get(Source, SOURCE_ID)
    assert source is not None
    assert source.text == old_text.replace("for a year.", "for a YEAR.")
    assert source.text_sha256 == hashlib.sha256(source.text.encode()).hexdigest()
    assert source.original_sha256 == hashlib.sha256(original.encode()).hexdigest()
    # Still derived from the original, step by step: not "replaced over the API".
    assert source.derivation == old_derivation
    assert source.version == 2
    after = dump(engine)
    assert [r[2:8] for r in after["change"][len(before["change"]) :]] == [
        (None, "seed", "source", SOURCE_ID, "update", 2)
    ]
    # The change stores the source's record as version 2 left it.
    stored = json.loads(after["change"][-1][8])
    assert (stored["version"], stored["text"]) == (2, source.text)
    assert after["claim"] == before["claim"]


# -- updates -------------------------------------------------------------------------------


def test_changing_one_statement_updates_exactly_that_claim(
    engine: Engine, session: Session, seed_copy: SeedCopy
) -> None:
    changed_id = claim_id("putin-called-the-dictator")
    seed_copy.claim("putin-called-the-dictator")["statement"] = "Bondarev calls Putin a dictator."
    original = session.get(Claim, changed_id)
    assert original is not None
    old_updated_at, created_at = original.updated_at, original.created_at
    session.expunge_all()
    # Timestamps have one-second resolution: make sure the update lands in a later second.
    while utcnow().replace(tzinfo=None) <= old_updated_at.replace(tzinfo=None):
        time.sleep(0.05)
    before = dump(engine)

    report = load_seed(session, seed_copy.save())
    assert report.created == {}
    assert report.updated == {"claim": 1}
    assert report.unchanged == {**ENTITY_COUNTS, "claim": 35}

    after = dump(engine)
    assert {t: rows for t, rows in after.items() if t not in ("claim", "change", "search_doc")} == {
        t: rows for t, rows in before.items() if t not in ("claim", "change", "search_doc")
    }
    # The claim's search document follows its statement; no other document changes.
    doc_before = [r for r in before["search_doc"] if r[2] == changed_id]
    doc_after = [r for r in after["search_doc"] if r[2] == changed_id]
    assert [r for r in after["search_doc"] if r[2] != changed_id] == [
        r for r in before["search_doc"] if r[2] != changed_id
    ]
    assert doc_before[0][:2] == doc_after[0][:2]
    assert doc_after[0][3].endswith(" bondarev calls putin a dictator")
    assert not doc_before[0][3].endswith(" bondarev calls putin a dictator")
    # The change log gained exactly one row: this claim's update to version 2.
    assert after["change"][: len(before["change"])] == before["change"]
    assert [r[2:8] for r in after["change"][len(before["change"]) :]] == [
        (None, "seed", "claim", changed_id, "update", 2)
    ]
    changed_before = [r for r in before["claim"] if r[0] == changed_id]
    changed_after = [r for r in after["claim"] if r[0] == changed_id]
    assert [r for r in after["claim"] if r[0] != changed_id] == [
        r for r in before["claim"] if r[0] != changed_id
    ]
    assert len(changed_before) == len(changed_after) == 1
    session.expunge_all()
    claim = session.get(Claim, changed_id)
    assert claim is not None
    assert claim.statement == "Bondarev calls Putin a dictator."
    assert claim.version == 2
    assert claim.created_at == created_at
    assert claim.updated_at > old_updated_at
    columns = [c["name"] for c in inspect(engine).get_columns("claim")]
    differing = {
        name
        for name, old, new in zip(columns, changed_before[0], changed_after[0], strict=True)
        if old != new
    }
    assert differing == {"statement", "updated_at", "version"}

    # And loading the same edited copy again is a no-op.
    again = load_seed(session, seed_copy.dir)
    assert (again.created, again.updated) == ({}, {})
    assert dump(engine) == after
    assert session.scalar(select(func.count()).select_from(Claim)) == 36


def test_openapi_examples_are_real_seeded_rows(session: Session) -> None:
    """The OpenAPI examples are drawn from the seeded essay, so they must match its rows."""
    from app.models.claim import ClaimPublic
    from app.models.role import RolePublic

    example = ClaimPublic.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]
    claim = session.get(Claim, example["id"])
    assert claim is not None
    assert (
        example["quote"],
        example["start"],
        example["end"],
        example["prefix"],
        example["suffix"],
        example["kind"],
        example["statement"],
        example["modality"],
        example["hedge"],
        example["stance"],
    ) == (
        claim.quote,
        claim.quote_start,
        claim.quote_end,
        claim.prefix,
        claim.suffix,
        claim.kind,
        claim.statement,
        claim.modality,
        claim.hedge,
        claim.stance,
    )
    subjects = set(
        session.scalars(select(ClaimSubject.person_id).where(ClaimSubject.claim_id == claim.id))
    )
    assert {s["id"] for s in example["subjects"]} <= subjects

    role_example = RolePublic.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]
    role = session.get(Role, role_example["id"])
    assert role is not None
    provenance = role_example["provenance"]
    assert provenance["claim_id"] == role.claim_id
    role_claim = session.get(Claim, role.claim_id)
    assert role_claim is not None
    assert (provenance["quote"], provenance["start"], provenance["end"]) == (
        role_claim.quote,
        role_claim.quote_start,
        role_claim.quote_end,
    )
