"""SARIF 2.1.0 output, for GitHub code scanning and other SARIF viewers."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dualio._version import __version__

from ._finding import Finding
from ._rules import RULES

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_DOCS = "https://github.com/dualio/dualio/blob/main/docs/audit.md"


def _uri(path: str) -> str:
    candidate = Path(path)
    if candidate.is_absolute():
        return candidate.as_uri()
    return candidate.as_posix()


def to_sarif(findings: Sequence[Finding]) -> dict[str, Any]:
    """One SARIF run holding every rule of the catalogue and one result per finding.

    Relative paths are emitted relative to ``%SRCROOT%`` (the directory the audit ran in); a finding reached
    through the project's helpers carries its call path as a ``codeFlow``-free message plus ``properties``.
    """
    rule_index = {rule.code: position for position, rule in enumerate(RULES)}
    rules = [
        {
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.name.replace("-", " ")},
            "fullDescription": {"text": rule.summary},
            "help": {"text": f"Fix: {rule.hint}"},
            "helpUri": f"{_DOCS}#{rule.code.lower()}",
            "defaultConfiguration": {"level": "error" if rule.code == "DIO001" else "warning", "enabled": rule.default},
        }
        for rule in RULES
    ]
    results = []
    for finding in findings:
        location: dict[str, Any] = {"uri": _uri(finding.path)}
        if not Path(finding.path).is_absolute():
            location["uriBaseId"] = "%SRCROOT%"
        region = {"startLine": finding.line, "startColumn": finding.col}
        if finding.end_line >= finding.line and finding.end_col > 0:
            region["endLine"] = finding.end_line
            region["endColumn"] = max(finding.end_col, finding.col if finding.end_line == finding.line else 1)
        result: dict[str, Any] = {
            "ruleId": finding.code,
            "ruleIndex": rule_index[finding.code],
            "level": "error" if finding.code == "DIO001" else "warning",
            "message": {"text": f"{finding.message}. Fix: {finding.hint}"},
            "locations": [{"physicalLocation": {"artifactLocation": location, "region": region}}],
        }
        if finding.call_path:
            result["properties"] = {"callPath": list(finding.call_path)}
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "dualio-audit",
                        "version": __version__,
                        "informationUri": _DOCS,
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
