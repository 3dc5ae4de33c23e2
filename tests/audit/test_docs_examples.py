"""Every bad/good example of docs/audit.md does what the page says: bad -> a finding of its rule, good -> none."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dualio.audit import RULES

from .helpers import audit_source

DOCS = Path(__file__).resolve().parents[2] / "docs" / "audit.md"
EXAMPLES = re.findall(r"```python (bad|good|suppressed) (DIO\d{3})\n(.*?)```", DOCS.read_text(), flags=re.DOTALL)


def test_every_rule_has_a_bad_and_a_good_example() -> None:
    for rule in RULES:
        kinds = {kind for kind, code, _ in EXAMPLES if code == rule.code}
        assert {"bad", "good"} <= kinds, rule.code


@pytest.mark.parametrize(
    ("kind", "code", "source"), EXAMPLES, ids=[f"{code}-{kind}-{i}" for i, (kind, code, _) in enumerate(EXAMPLES)]
)
def test_docs_example(tmp_path: Path, kind: str, code: str, source: str) -> None:
    found = [finding.code for finding in audit_source(tmp_path, source)]
    if kind == "bad":
        assert code in found
    else:
        assert code not in found, found
    if kind == "suppressed":
        unsuppressed = re.sub(r"#\s*dualio: ignore\[.*$", "", source, flags=re.MULTILINE)
        (tmp_path / "mod.py").unlink()
        assert code in [finding.code for finding in audit_source(tmp_path, unsuppressed)]


def test_bad_examples_find_nothing_else_surprising(tmp_path: Path) -> None:
    """A bad example demonstrates its own rule: any other finding in it would confuse the reader."""
    for kind, code, source in EXAMPLES:
        if kind == "bad" and code != "DIO001":
            target = tmp_path / code
            target.mkdir(exist_ok=True)
            assert {finding.code for finding in audit_source(target, source)} == {code}, code
