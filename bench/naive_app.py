""" "The naive SQLModel way", a baseline of bench/read_bench.py: a person with its claims.

    NAIVE_DATABASE_URL=sqlite:////tmp/kb.db python -m uvicorn naive_app:app --app-dir bench

What a first FastAPI + SQLModel tutorial leads to, on the same tables elitekb serves: table
classes with relationships, a sync handler, a `yield` Session dependency on an engine with the
default pool, ORM objects loaded lazily (the person, then all of its claims through the
claim_subject link, then each shown claim's source) and a response model validated from them.
The handler shows the first 50 claims by id, as elitekb's pages of 50 do, but like most such
code it loads them all to slice in Python. It imports nothing from app/.
"""

# No `from __future__ import annotations`: SQLModel reads the relationship annotations.
import os
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException
from sqlalchemy import Column, ForeignKey, String
from sqlmodel import Field, Relationship, Session, SQLModel, create_engine

PAGE = 50


class ClaimSubject(SQLModel, table=True):
    __tablename__ = "claim_subject"

    claim_id: str = Field(foreign_key="claim.id", primary_key=True)
    ordinal: int = Field(primary_key=True)
    person_id: str | None = Field(default=None, foreign_key="person.id")
    organization_id: str | None = None


class Source(SQLModel, table=True):
    id: str = Field(primary_key=True)
    title: str
    language: str


class Claim(SQLModel, table=True):
    id: str = Field(primary_key=True)
    source_id: str = Field(sa_column=Column(String, ForeignKey("source.id")))
    quote: str
    statement: str
    kind: str
    modality: str
    stance: str
    source: Source = Relationship()


class Person(SQLModel, table=True):
    id: str = Field(primary_key=True)
    name: str
    description: str | None = None
    claims: list[Claim] = Relationship(link_model=ClaimSubject)


class ClaimOut(SQLModel):
    id: str
    quote: str
    statement: str
    kind: str
    modality: str
    stance: str
    source_id: str
    source_title: str


class PersonOut(SQLModel):
    id: str
    name: str
    description: str | None
    claim_count: int
    claims: list[ClaimOut]


def _url() -> str:
    url = os.environ["NAIVE_DATABASE_URL"]
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


engine = create_engine(_url())
app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


def get_session() -> Iterator[Session]:
    with Session(engine) as session:
        yield session


@app.get("/persons/{person_id}", response_model=PersonOut)
def get_person(person_id: str, session: Annotated[Session, Depends(get_session)]) -> PersonOut:
    person = session.get(Person, person_id)
    if person is None:
        raise HTTPException(status_code=404, detail="Person not found")
    claims = sorted(person.claims, key=lambda c: c.id)
    return PersonOut(
        id=person.id,
        name=person.name,
        description=person.description,
        claim_count=len(claims),
        claims=[
            ClaimOut(
                id=c.id,
                quote=c.quote,
                statement=c.statement,
                kind=c.kind,
                modality=c.modality,
                stance=c.stance,
                source_id=c.source_id,
                source_title=c.source.title,
            )
            for c in claims[:PAGE]
        ],
    )
