"""The README's example runs as written (documentation that users copy must not rot)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_example_runs_and_prints_what_it_says() -> None:
    readme = (ROOT / "README.md").read_text()
    [example] = re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL)
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-c", example], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[:3] == ["{'id': 42} {'id': 7}", "[0, 1, 2]", "connected"]
    assert "tasks_completed=10, tasks_failed=0, tasks_cancelled=0" in proc.stdout
