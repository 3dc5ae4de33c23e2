"""Write a small project to a temporary directory and audit it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path

from dualio.audit import AuditConfig, Finding, audit_paths


def write_tree(root: Path, files: Mapping[str, str]) -> Path:
    """Create ``files`` (relative path -> source, dedented) under ``root``; return ``root``."""
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    return root


def audit_tree(root: Path, files: Mapping[str, str], select: str = "ALL", **config: object) -> list[Finding]:
    """Audit ``files`` written under ``root`` with the given selection (default: every rule)."""
    write_tree(root, files)
    base = AuditConfig(root=root, **config)  # type: ignore[arg-type]
    return audit_paths([root], base.with_selection([select]))


def audit_source(root: Path, source: str, select: str = "ALL") -> list[Finding]:
    """Audit one module ``mod.py`` holding ``source``."""
    return audit_tree(root, {"mod.py": source}, select)


def codes(findings: list[Finding]) -> list[str]:
    return [finding.code for finding in findings]


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the real ``dualio`` command line in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "dualio", *args], capture_output=True, text=True, timeout=60, cwd=cwd, check=False
    )
