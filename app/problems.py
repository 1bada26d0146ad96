"""RFC 9457 problem details: the one error shape every endpoint answers with."""

from __future__ import annotations

import logging
import uuid
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

log = logging.getLogger("elitekb")

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://elitekb.example/problems/"


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    type: str = Field(examples=[TYPE_BASE + "not-found"])
    title: str = Field(examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["No person with id 'alexei-kudrn'."])
    instance: str = Field(examples=["/v1/persons/alexei-kudrn"])
    request_id: str = Field(examples=["5f0c6b1e2d7a4c0e9b8a7f6e5d4c3b2a"])
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="Per-field validation errors (422 only)."
    )
    references: list[dict[str, Any]] | None = Field(
        default=None,
        description="A refused delete (409): the records that still refer to the entity, "
        '`{"type", "id", "relation"}`, at most 50.',
    )
    reference_count: int | None = Field(
        default=None, description="A refused delete (409): how many records refer to it in all."
    )
    deleted_at: str | None = Field(
        default=None,
        description="A deleted entity (410): when it was deleted (RFC 3339).",
        examples=["2026-11-27T09:05:00Z"],
    )
    last_version: int | None = Field(
        default=None,
        description="A deleted entity (410): its last version, readable with "
        "`/versions` and `as_of=`.",
        examples=[3],
    )


class ProblemError(Exception):
    """Raised by services and handlers; rendered as problem+json by the app's handler."""

    status: int = 500
    slug: str = "internal-error"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        # Further RFC 9457 extension members, e.g. the references that block a delete.
        self.extensions = extensions or {}


class NotFound(ProblemError):
    status = 404
    slug = "not-found"


class InvalidCursor(ProblemError):
    status = 400
    slug = "invalid-cursor"


class ValidationFailed(ProblemError):
    status = 422
    slug = "validation-error"


class InvalidRange(ProblemError):
    status = 422
    slug = "invalid-range"


class Forbidden(ProblemError):
    status = 403
    slug = "forbidden"


class Unauthorized(ProblemError):
    status = 401
    slug = "unauthorized"

    def __init__(self, detail: str) -> None:
        # RFC 6750 3: a 401 names the scheme the client should use.
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="elitekb"'})


class Gone(ProblemError):
    """The entity existed and was deleted: names when, and its last version."""

    status = 410
    slug = "gone"


class Conflict(ProblemError):
    status = 409
    slug = "conflict"


class PreconditionFailed(ProblemError):
    status = 412
    slug = "precondition-failed"


class PreconditionRequired(ProblemError):
    status = 428
    slug = "precondition-required"


class RateLimited(ProblemError):
    status = 429
    slug = "rate-limited"


class NotReady(ProblemError):
    status = 503
    slug = "not-ready"


def _request_id(request: Request) -> str:
    rid = getattr(request.state, "request_id", None)
    if not rid:
        rid = uuid.uuid4().hex
        request.state.request_id = rid
    return str(rid)


def problem_body(
    status: int,
    detail: str,
    *,
    slug: str | None,
    instance: str,
    request_id: str,
    errors: list[dict[str, Any]] | None = None,
    extensions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The problem+json object, for the exception handlers and for ASGI middleware alike."""
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body: dict[str, Any] = {
        "type": TYPE_BASE + (slug or title.lower().replace(" ", "-")),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "request_id": request_id,
    }
    if errors is not None:
        body["errors"] = errors
    for name, value in (extensions or {}).items():
        body.setdefault(name, value)
    return body


def problem_response(
    request: Request,
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> JSONResponse:
    body = problem_body(
        status,
        detail,
        slug=slug,
        instance=request.url.path,
        request_id=_request_id(request),
        errors=errors,
        extensions=extensions,
    )
    return JSONResponse(
        jsonable_encoder(body), status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE
    )


# Longest location part echoed whole: a dict key (a match query's name) can be any length.
LOC_PART_MAX = 100


def _loc_part(part: Any) -> Any:
    if isinstance(part, str) and len(part) > LOC_PART_MAX:
        return part[:LOC_PART_MAX] + "…"
    return part


def _clean_validation_errors(errors: Any) -> list[dict[str, Any]]:
    cleaned = []
    for err in errors:
        # Echoing "input" back could reflect huge or sensitive values; location and message
        # are what a client needs to fix the request.
        cleaned.append(
            {
                "loc": [_loc_part(part) for part in err.get("loc", ())],
                "msg": err.get("msg", ""),
                "type": err.get("type", ""),
            }
        )
    return cleaned


# What FastAPI's HTTPException says when a body cannot be decoded at all.
_FASTAPI_BODY_PARSE_ERROR = "There was an error parsing the body"


def install_problem_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        return problem_response(
            request,
            exc.status,
            exc.detail,
            slug=exc.slug,
            errors=exc.errors,
            headers=exc.headers,
            extensions=exc.extensions,
        )

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = _clean_validation_errors(exc.errors())
        where = ", ".join(".".join(str(p) for p in e["loc"]) + f": {e['msg']}" for e in errors)
        return problem_response(
            request,
            422,
            f"The request is not valid: {where}",
            slug="validation-error",
            errors=errors,
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No resource at {request.url.path}."
        elif exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}."
        elif exc.status_code == 400 and detail == _FASTAPI_BODY_PARSE_ERROR:
            # Bytes that are not UTF-8 JSON are invalid input like any other: 422.
            return problem_response(
                request,
                422,
                "The request body is not valid JSON in UTF-8.",
                slug="validation-error",
                errors=[{"loc": ["body"], "msg": "not valid UTF-8 JSON", "type": "json_invalid"}],
            )
        return problem_response(
            request, exc.status_code, detail, headers=getattr(exc, "headers", None)
        )

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(
            request,
            500,
            "An internal error occurred; it has been logged with this request_id.",
            slug="internal-error",
        )

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries documenting the problem+json bodies a route can return."""
    return {
        status: {
            "model": Problem,
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


def problem_only_openapi(app: FastAPI) -> None:
    """Document error responses as application/problem+json only.

    `problem_responses` names the Problem model so FastAPI registers its schema, but FastAPI
    then also lists application/json for those responses, a type the server never sends.
    """
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    for response in operation.get("responses", {}).values():
                        content = response.get("content", {})
                        if PROBLEM_MEDIA_TYPE in content:
                            content.pop("application/json", None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
