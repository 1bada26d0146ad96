"""API keys: issuing, verifying, revoking; and the Security dependencies handlers declare.

A secret is `ekb_` plus 256 random bits. Only its SHA-256 is stored: a secret that random
cannot be guessed from its hash, so a slow password hash would add cost without adding
safety. Keys are looked up by that hash and the stored hash is compared again with
`hmac.compare_digest`, so no comparison leaks timing. Secrets never appear in logs, errors
or any response but the one that creates the key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import bindparam, select
from sqlmodel import Session, col

from app.models.api_key import SCOPE_INCLUDES, ApiKey, Scope
from app.problems import Forbidden, ProblemError, Unauthorized

SECRET_PREFIX = "ekb_"
SECRET_MAX = 200

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    bearerFormat="ekb_…",
    description="An elitekb API key (`elitekb keys create`), sent as "
    "`Authorization: Bearer ekb_…`. Reads need none unless ELITEKB_PUBLIC_READ=false.",
)


@dataclass(frozen=True)
class Actor:
    """Who is asking: an API key with its (expanded) scopes, or nobody."""

    key_id: str | None
    name: str | None
    scopes: frozenset[Scope]

    @property
    def anonymous(self) -> bool:
        return self.key_id is None

    def has(self, scope: Scope) -> bool:
        return scope in self.scopes

    @property
    def curator(self) -> bool:
        return Scope.curate in self.scopes


ANONYMOUS = Actor(key_id=None, name=None, scopes=frozenset())


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def expand(scopes: str) -> frozenset[Scope]:
    out: set[Scope] = set()
    for name in scopes.split():
        out |= SCOPE_INCLUDES[Scope(name)]
    return frozenset(out)


_BY_HASH = select(ApiKey).where(col(ApiKey.secret_hash) == bindparam("h"))


def authenticate(session: Session, secret: str) -> Actor:
    """The key a secret belongs to, or Unauthorized (unknown, malformed or revoked)."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) > SECRET_MAX or not secret.isascii():
        raise Unauthorized("The API key is not valid: elitekb keys start with 'ekb_'.")
    digest = hash_secret(secret)
    key = session.execute(_BY_HASH, {"h": digest}).scalar_one_or_none()
    if key is None or not hmac.compare_digest(key.secret_hash, digest):
        raise Unauthorized("The API key is not valid.")
    if key.revoked_at is not None:
        raise Unauthorized(f"The API key {key.id} has been revoked.")
    return Actor(key_id=key.id, name=key.name, scopes=expand(key.scopes))


class Caller:
    """Who a request says it is. The `current_caller` dependency makes it without touching the
    database; its key is checked by `resolve`, in the worker thread and the session that do the
    request's database work (app/api/deps.py), so a keyed request costs one thread hop and one
    connection, as an anonymous one does."""

    def __init__(self, secret: str | None) -> None:
        self.secret = secret
        # The scope the route needs (set by `requires`), checked once the key is known.
        self.scope: Scope | None = None
        self._actor: Actor | None = ANONYMOUS if secret is None else None
        self._refusal: ProblemError | None = None

    @property
    def checked(self) -> bool:
        """Whether `resolve` has run (or had nothing to check)."""
        return (self._actor is not None and self.scope is None) or self._refusal is not None

    def resolve(self, session: Session) -> Actor:
        """The caller's Actor: 401 for a bad key, 403 for a key without the route's scope.
        A refusal is remembered, so asking again costs no query."""
        if self._refusal is not None:
            raise self._refusal
        try:
            if self._actor is None:
                assert self.secret is not None
                self._actor = authenticate(session, self.secret)
            if self.scope is not None and not self._actor.has(self.scope):
                raise Forbidden(f"This API key lacks the '{self.scope.value}' scope needed here.")
        except ProblemError as exc:
            self._refusal = exc
            raise
        self.scope = None
        return self._actor

    @property
    def actor(self) -> Actor:
        """The checked Actor; only valid inside the work `resolve` preceded."""
        if self._actor is None or self.scope is not None:
            raise RuntimeError("The caller's key has not been checked yet.")
        return self._actor


def caller_of(request: Request) -> Caller:
    """The request's Caller (anonymous where no guard made one, as on the probes)."""
    caller: Caller | None = getattr(request.state, "caller", None)
    return caller if caller is not None else Caller(None)


async def current_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
) -> Caller:
    """The caller's key if one is sent (checked with the request's work: 401 if it is bad);
    anonymous otherwise. With ELITEKB_PUBLIC_READ=false every request needs a key, whatever its
    method: a POST can read too (/v1/match), and a write needs a key anyway."""
    header = request.headers.get("authorization")
    if header is None:
        if request.app.state.settings.public_read:
            caller = Caller(None)
            request.state.caller = caller
            return caller
        raise Unauthorized("This API needs a key for reads: send 'Authorization: Bearer ekb_…'.")
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Send the key as 'Authorization: Bearer ekb_…'.")
    caller = Caller(credentials.credentials)
    request.state.caller = caller
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]


def requires(scope: Scope) -> object:
    """A dependency giving the request's Caller, which must have a key with `scope`: 401
    without a key at once; a key without the scope gets 403 once the key is checked."""

    async def check(caller: CallerDep) -> Caller:
        if caller.secret is None:
            raise Unauthorized(
                f"This needs an API key with the '{scope.value}' scope: "
                "send 'Authorization: Bearer ekb_…'."
            )
        caller.scope = scope
        return caller

    return Depends(check)


Annotator = Annotated[Caller, requires(Scope.annotate)]
Curator = Annotated[Caller, requires(Scope.curate)]
Admin = Annotated[Caller, requires(Scope.admin)]
