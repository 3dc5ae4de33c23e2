"""The public face of ``dualio.audit``: exports, records, input validation, and robustness on real code."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.util
import sys
from pathlib import Path

import pytest

import dualio.audit
from dualio.audit import AuditConfig, AuditPathError, Finding, audit_paths, run_audit

ROOT = Path(__file__).resolve().parents[2]


def test_public_names_are_exported_and_report_the_public_module() -> None:
    assert isinstance(dualio.audit.__all__, tuple)
    for name in dualio.audit.__all__:
        value = getattr(dualio.audit, name)
        if isinstance(value, type):
            assert value.__module__ == "dualio.audit", name


def test_finding_is_frozen_and_sorts_by_position() -> None:
    late = Finding("a.py", 9, 1, "DIO101", "m", "h")
    early = Finding("a.py", 2, 5, "DIO301", "m", "h")
    with pytest.raises(dataclasses.FrozenInstanceError):
        late.line = 1  # type: ignore[misc]
    assert sorted([late, early]) == [early, late]
    assert early.to_text() == "a.py:2:5 DIO301 m\n    fix: h"


def test_bad_input_is_rejected_clearly(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"sequence of str or pathlib\.Path"):
        audit_paths("src")
    with pytest.raises(TypeError, match=r"sequence of str or pathlib\.Path"):
        audit_paths([42])  # type: ignore[list-item]
    with pytest.raises(AuditPathError, match="no such file or directory"):
        audit_paths([tmp_path / "absent"])
    with pytest.raises(TypeError, match="config must be an AuditConfig"):
        audit_paths([tmp_path], config={"select": []})  # type: ignore[arg-type]
    assert issubclass(AuditPathError, FileNotFoundError)


def test_unicode_columns_count_characters(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("import time\n\nasync def f():\n    x = 'é'; time.sleep(1)\n", encoding="utf-8")
    [finding] = audit_paths([tmp_path])
    assert finding.col == len("    x = 'é'; ") + 1


def test_our_own_source_has_no_findings() -> None:
    result = run_audit([ROOT / "src"])
    assert result.findings == (), [finding.to_text() for finding in result.findings]
    assert result.files > 20


@pytest.mark.parametrize("package", ["anyio", "starlette", "httpx"])
def test_real_projects_are_audited_without_crashing(package: str) -> None:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        pytest.skip(f"{package} is not installed (it comes with the bench extra)")
    result = run_audit([Path(spec.origin).parent], AuditConfig().with_selection(["ALL"]))
    assert result.files > 10
    assert not [finding for finding in result.findings if finding.code == "DIO001"]


def test_the_standard_library_asyncio_package_is_audited_without_crashing() -> None:
    result = run_audit([Path(asyncio.__file__).parent], AuditConfig().with_selection(["ALL"]))
    assert result.files > 20
    assert not [finding for finding in result.findings if finding.code == "DIO001"]


def test_deep_nesting_that_cpython_parses_is_audited(tmp_path: Path) -> None:
    """Long method chains and expressions are walked (memoised resolution, a raised recursion limit)."""
    (tmp_path / "chain.py").write_text("import time\n\nasync def f(a):\n    time.sleep(1)\n    return a" + ".m()" * 900)
    (tmp_path / "sum.py").write_text("x = " + " + ".join(["1"] * 1500) + "\n")  # CPython parses it by default
    limit = sys.getrecursionlimit()
    assert [(f.path.rpartition("/")[2], f.code) for f in audit_paths([tmp_path])] == [("chain.py", "DIO101")]
    assert sys.getrecursionlimit() == limit
