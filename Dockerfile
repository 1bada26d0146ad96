# elitekb API image.
#   docker build -t elitekb .
#   docker run --rm -v elitekb-data:/data elitekb elitekb db upgrade
#   docker run --rm -v elitekb-data:/data elitekb elitekb seed
#   docker run -d -p 8000:8000 -v elitekb-data:/data elitekb
# The database defaults to SQLite in the /data volume; set ELITEKB_DATABASE_URL for PostgreSQL.

FROM python:3.11-slim-bookworm AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /app
COPY requirements.lock ./
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --require-hashes -r requirements.lock

COPY pyproject.toml README.md alembic.ini ./
COPY app/ app/
COPY migrations/ migrations/
COPY seed/ seed/
# Editable on purpose: the package then runs from /app/app, and app.config.PROJECT_ROOT finds
# seed/, migrations/ and alembic.ini beside it, exactly as in a checkout. The final stage copies
# /app and /opt/venv to the same paths, so the install's path hooks stay valid. The explicit
# compileall leaves bytecode for the non-root user, who cannot write it at run time.
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps -e . \
    && /opt/venv/bin/python -m compileall -q app migrations


FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    ELITEKB_DATABASE_URL=sqlite:////data/elitekb.db

RUN groupadd --system --gid 10001 elitekb \
    && useradd --system --uid 10001 --gid elitekb --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin elitekb \
    && mkdir /data \
    && chown elitekb:elitekb /data

COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app

WORKDIR /app
# Numeric, so runtimes (e.g. Kubernetes runAsNonRoot) can verify the user is not root.
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/livez', timeout=4)"]

CMD ["elitekb", "serve", "--host", "0.0.0.0", "--port", "8000"]
