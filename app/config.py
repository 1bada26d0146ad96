"""Settings, read once from ELITEKB_* environment variables (and an optional .env file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ELITEKB_", env_file=".env", extra="ignore")

    # SQLAlchemy URL. SQLite (the default, a file under ./data/) or PostgreSQL
    # ("postgresql://user@host/db" is accepted and mapped to the psycopg 3 driver).
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'data' / 'elitekb.db'}"
    # Connections per process, and the number of worker threads that run database work: one
    # connection per thread, so a thread never waits for a connection (FastAPI issue 3205).
    db_pool_size: int = Field(default=40, ge=1, le=1000)
    # PostgreSQL statement_timeout in milliseconds (0: none), so one runaway query cannot hold a
    # connection and a worker thread indefinitely.
    pg_statement_timeout_ms: int = Field(default=15000, ge=0)
    # SQLite busy_timeout in milliseconds: how long a writer waits for the lock before failing.
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)
    # Key for the HMAC that makes pagination cursors tamper-evident. Unset (the default), each
    # database uses a random key of its own, made by its migration and shared by every process
    # serving it; set it only to make cursors outlive a restore into a fresh database.
    cursor_secret: str | None = None
    # Default and maximum page size of list endpoints.
    page_size_default: int = Field(default=50, ge=1, le=500)
    # Longest slice GET /v1/sources/{id}/text returns for sources whose rights are "excerpts".
    excerpt_max_chars: int = Field(default=500, ge=1)
    # Address `elitekb serve` binds to.
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Log level for the elitekb and uvicorn loggers.
    log_level: str = "info"
    # Emit one access-log line per request (costs throughput; off by default).
    access_log: bool = False
    # Directory holding the curated seed data and source originals.
    seed_dir: Path = PROJECT_ROOT / "seed"
    # Reads (GET) are open to anonymous clients; false requires an API key of any scope.
    public_read: bool = True
    # Largest request body accepted, in bytes; larger ones get 413 (with or without
    # Content-Length).
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    # Bytes of response bodies each process keeps for anonymous reads (app/api/cache.py);
    # 0 turns the cache off.
    cache_max_bytes: int = Field(default=32 * 1024 * 1024, ge=0)
    # Longest a change-feed long-poll (`GET /v1/changes?wait=`) waits, in seconds: a request
    # asking for more waits this long. Lower it behind a proxy with a shorter read timeout.
    feed_max_wait: float = Field(default=30.0, ge=0, le=30)
    # Rate limits in the `limits` notation ("600/minute", "10/second;1000/hour"); empty
    # disables. Anonymous clients are limited per IP address, API keys per key.
    rate_limit_anonymous: str = "600/minute"
    rate_limit_key: str = "3000/minute"
    # Where the rate-limit counters live: "memory://" (one process) or a Redis URL such as
    # "redis://127.0.0.1:6379/0", which every API process shares so a limit holds across them.
    rate_limit_storage: str = "memory://"
    # Prefix of the rate-limit keys in Redis, so several deployments (or test runs) can share
    # one Redis without counting each other's requests.
    rate_limit_prefix: str = "elitekb"


def normalise_database_url(url: str) -> str:
    """Map plain postgres URLs onto the psycopg 3 driver, which is what we install."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@lru_cache
def get_settings() -> Settings:
    return Settings()
