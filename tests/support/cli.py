"""Running the real `elitekb` console script against a test database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ELITEKB = Path(sys.executable).parent / "elitekb"
SOURCE_ID = "bondarev-2023-west-must-drive-a-wedge"


class Cli:
    def __init__(self, database_url: str, cwd: Path) -> None:
        self.cwd = cwd
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ELITEKB_")}
        self.env["ELITEKB_DATABASE_URL"] = database_url

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [str(ELITEKB), *args],
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, *args: str) -> tuple[int, str, str]:
        (result,) = self.run_all([*args])
        return result

    def run_all(self, *commands: list[str]) -> list[tuple[int, str, str]]:
        """Run the commands concurrently; (exit code, stdout, stderr) for each, in order."""
        procs = [self.start(*c) for c in commands]
        results = []
        for p in procs:
            out, err = p.communicate(timeout=60)
            results.append((p.returncode, out, err))
        return results
