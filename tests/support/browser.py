"""Debian's Chromium, headless, for the tests that render /docs and /redoc."""

from __future__ import annotations

import os
import shutil

import pytest

REQUIRE_CHROMIUM = os.environ.get("ELITEKB_REQUIRE_CHROMIUM", "") == "1"
CHROMIUM = os.environ.get("ELITEKB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_TIMEOUT_S = 60


def chromium_path() -> str:
    found = CHROMIUM if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")
    if found:
        return found
    message = (
        "Chromium is not installed, so /docs and /redoc were NOT rendered in a browser. "
        "Install it with: apt-get install -y chromium"
    )
    if REQUIRE_CHROMIUM:
        pytest.fail(message + " (required: ELITEKB_REQUIRE_CHROMIUM=1)")
    pytest.skip(message)
