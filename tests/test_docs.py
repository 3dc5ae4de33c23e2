"""The examples in README.md and docs/ run as written (documentation that users copy must not rot)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

# Run on the main Python only (`make test` skips them on 3.12/3.13): what they check does not depend on the version.
pytestmark = pytest.mark.version_independent

ROOT = Path(__file__).resolve().parent.parent


def test_readme_example_runs_and_prints_what_it_says() -> None:
    readme = (ROOT / "README.md").read_text()
    [example] = re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL)
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-c", example], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[:3] == ["{'id': 42} {'id': 7}", "[0, 1, 2]", "connected"]
    assert (
        "tasks_completed=9, tasks_failed=0, tasks_cancelled=0" in proc.stdout
    )  # 10 before stop 26: an aclose() at the end


GUIDE = ROOT / "docs" / "portal.md"
GUIDE_EXAMPLES = re.findall(r"```python\n(.*?)```", GUIDE.read_text(), flags=re.DOTALL)


@pytest.mark.parametrize("example", GUIDE_EXAMPLES, ids=[f"example-{i}" for i in range(len(GUIDE_EXAMPLES))])
def test_portal_guide_example_runs(example: str) -> None:
    proc = subprocess.run([sys.executable, "-c", example], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
