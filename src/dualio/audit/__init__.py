"""Static audit of async code: blocking calls (also through the project's own helpers), sync-over-async,
dropped tasks, swallowed cancellation, loop-bound objects created at import, missing timeouts.

Nothing is imported or executed: the audit reads source with :mod:`ast`. From the command line::

    dualio audit src/ apps/                 # exit 1 with findings, 0 without, 2 on a usage error
    dualio audit --format sarif src/ > audit.sarif
    dualio audit --report audit.md src/     # a Markdown inventory of the async patterns

From Python::

    from dualio.audit import audit_paths
    for finding in audit_paths(["src"]):
        print(finding.to_text())

Every rule, with a bad and a good example, is in docs/audit.md.
"""

from ._config import AuditConfig, AuditConfigError, load_config
from ._engine import AuditPathError, AuditResult, audit_paths, run_audit
from ._finding import Finding
from ._rules import RULES, Rule

__all__ = (
    "RULES",
    "AuditConfig",
    "AuditConfigError",
    "AuditPathError",
    "AuditResult",
    "Finding",
    "Rule",
    "audit_paths",
    "load_config",
    "run_audit",
)

for _cls in (AuditConfig, AuditConfigError, AuditPathError, AuditResult, Finding, Rule):
    _cls.__module__ = __name__
del _cls
