"""The docs page's Authorize button, driven in Debian's headless Chromium over the DevTools
protocol: paste an `elitekb keys create` secret into Swagger UI's Authorize dialog, then "Try it
out" on POST /v1/annotations and Execute. The annotation must be created (201) under that key.
Every host but loopback is unresolvable, as in tests/e2e/test_docs.py."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from app.db import make_engine, write_session
from app.models.api_key import Scope
from app.services.access.keys import create_key
from tests.support.browser import chromium_path
from tests.support.server import running_server

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("backend", ["sqlite"])]

STEP_TIMEOUT_S = 20.0

# Sets a React-controlled input's value the way typing would, so Swagger UI's state sees it.
JS_SET = """
(sel, value) => {
  const el = document.querySelector(sel);
  if (!el) return false;
  const proto = el.tagName === 'TEXTAREA'
    ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
  Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, value);
  el.dispatchEvent(new Event('input', {bubbles: true}));
  el.dispatchEvent(new Event('change', {bubbles: true}));
  return true;
}
"""
JS_CLICK = """
(sel) => { const el = document.querySelector(sel); if (!el) return false; el.click(); return true; }
"""
JS_TEXT = "(sel) => { const el = document.querySelector(sel); return el ? el.textContent : null; }"


class Page:
    """Just enough of the Chrome DevTools protocol: evaluate functions in the page."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.next_id = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=STEP_TIMEOUT_S))
            if message.get("id") == self.next_id:
                assert "error" not in message, message
                result: dict[str, Any] = message["result"]
                return result

    def run(self, fn: str, *args: Any) -> Any:
        expression = f"({fn})(...{json.dumps(list(args))})"
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    def until(self, fn: str, *args: Any, what: str) -> Any:
        deadline = time.monotonic() + STEP_TIMEOUT_S
        while time.monotonic() < deadline:
            value = self.run(fn, *args)
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def browser_page(served: str) -> Iterator[Page]:
    chromium = chromium_path()
    # Chromium's helper processes can still be writing the profile for a moment after the
    # browser dies; a leftover temporary profile is not the test's failure.
    with tempfile.TemporaryDirectory(prefix="elitekb-cdp-", ignore_cleanup_errors=True) as profile:
        proc = subprocess.Popen(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            # Its own process group, so the helpers (renderer, zygote) die with it.
            start_new_session=True,
        )
        try:
            assert proc.stderr is not None
            port = None
            deadline = time.monotonic() + STEP_TIMEOUT_S
            while port is None and time.monotonic() < deadline:
                line = proc.stderr.readline()
                found = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
                if found:
                    port = int(found.group(1))
            assert port is not None, "chromium did not open its DevTools port"
            targets = httpx.get(f"http://127.0.0.1:{port}/json/list", trust_env=False).json()
            target = next(t for t in targets if t["type"] == "page")
            with connect(target["webSocketDebuggerUrl"], max_size=None, open_timeout=10) as ws:
                page = Page(ws)
                page.call("Page.navigate", url=served + "/docs")
                yield page
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
            if proc.stderr is not None:
                proc.stderr.close()


@pytest.fixture
def served(db_url: str) -> Iterator[str]:
    with running_server(db_url) as base_url:
        yield base_url


def test_authorize_then_try_it_out_creates_an_annotation(
    db_url: str, served: str, browser_page: Page
) -> None:
    engine = make_engine(db_url)
    try:
        with write_session(engine) as session:
            key = create_key(
                session, name="swagger user", scopes=[Scope.annotate], actor=None, origin="cli"
            )
    finally:
        engine.dispose()
    page = browser_page
    op = "#operations-annotations-create_annotation_v1_annotations_post"

    page.until(JS_CLICK, "button.btn.authorize", what="the Authorize button")
    page.until(JS_SET, ".auth-container input", key.secret, what="the key field")
    page.until(JS_CLICK, ".auth-btn-wrapper button.authorize", what="the dialog's Authorize")
    page.until(JS_TEXT, ".auth-container .btn-done", what="the authorized state")
    page.run(JS_CLICK, ".auth-container .btn-done")

    page.until(JS_CLICK, f"{op} .opblock-summary-control", what="the create operation")
    page.until(JS_CLICK, f"{op} .try-out__btn", what="Try it out")
    body = {
        "target": {"type": "person", "id": "elvira-nabiullina"},
        "motivation": "commenting",
        "body": "Posted from the docs page.",
    }
    page.until(JS_SET, f"{op} textarea.body-param__text", json.dumps(body), what="the body")
    page.until(JS_CLICK, f"{op} .execute", what="Execute")
    status = page.until(
        JS_TEXT, f"{op} .live-responses-table tbody .response-col_status", what="the response"
    )
    curl = page.run(JS_TEXT, f"{op} .curl")
    assert status.strip().startswith("201"), status
    assert f"Authorization: Bearer {key.secret}" in curl

    listed = httpx.get(
        served + "/v1/persons/elvira-nabiullina/annotations", trust_env=False
    ).json()["items"]
    assert [(a["body"], a["creator"]) for a in listed] == [
        ("Posted from the docs page.", {"id": key.id, "name": "swagger user"})
    ]
