"""The bare FastAPI baseline of bench/read_bench.py: one async endpoint, a fixed ~300-byte JSON.

    python -m uvicorn bench.baseline_app:app --host 127.0.0.1 --port 8001 --no-access-log

read_bench.py serves it with the options `elitekb serve` gives uvicorn (default loop and HTTP
implementation, one worker, no access log, no proxy headers), pinned to the same CPU, so every
elitekb figure can be read as a ratio to what FastAPI itself costs on this machine in this run.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

# About the size of a small person summary; a dict, so FastAPI serialises it as it would a
# handler's plain return value.
BODY: dict[str, Any] = {
    "id": "elvira-nabiullina",
    "name": "Elvira Nabiullina",
    "description": "Governor of the Central Bank of Russia since 2013.",
    "birth_date": "1963-10-29",
    "claim_count": 12,
    "annotation_count": 3,
    "names": ["Эльвира Набиуллина", "Elvira Nabiullina", "Эльвира Сахипзадовна Набиуллина"],
    "updated_at": "2026-01-01T00:00:00Z",
}


@app.get("/baseline")
async def baseline() -> dict[str, Any]:
    return BODY
