"""Run the audit: find files, parse them, build the project index, apply every rule, filter and suppress."""

from __future__ import annotations

import ast
import gc
import re
import sys
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dualio.errors import DualioError

from ._callgraph import call_graph_findings, loop_bound_findings
from ._config import AuditConfig, discover_config
from ._discover import SourceFile, discover
from ._finding import Finding
from ._model import ModuleInfo, ProjectIndex, index_module
from ._rules import RULES_BY_CODE
from ._walker import walk_module

_RECURSION_LIMIT = 6000
_SUPPRESSION = re.compile(r"#\s*dualio:\s*ignore\[([A-Za-z0-9_,\s]+)\]")


class AuditPathError(DualioError, FileNotFoundError):
    """A path given to the audit does not exist."""


@dataclass(frozen=True)
class AuditResult:
    """What one audit run found: the findings (after selection and suppression) and what was read."""

    findings: tuple[Finding, ...]
    files: int
    lines: int
    modules: tuple[ModuleInfo, ...] = field(default=(), repr=False, compare=False)


def _read(source: SourceFile) -> tuple[str | None, Finding | None]:
    try:
        data = source.path.read_bytes()
    except OSError as exc:
        return None, _unparseable(source, 1, 1, f"cannot be read: {exc.strerror or exc}")
    try:
        text = data.decode("utf-8") if data.isascii() or not data.startswith(b"#") else _decode(data)
    except (UnicodeDecodeError, SyntaxError, LookupError) as exc:
        return None, _unparseable(source, 1, 1, f"cannot be decoded: {exc}")
    return text, None


def _decode(data: bytes) -> str:
    import io

    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding)


def _unparseable(source: SourceFile, line: int, col: int, why: str) -> Finding:
    return Finding(source.display, line, col, "DIO001", f"file {why}", RULES_BY_CODE["DIO001"].hint, line, col)


def _parse(source: SourceFile, text: str) -> tuple[ast.Module | None, Finding | None]:
    try:
        return ast.parse(text, filename=source.display), None
    except SyntaxError as exc:
        return None, _unparseable(source, exc.lineno or 1, exc.offset or 1, f"does not parse: {exc.msg}")
    except (ValueError, RecursionError, MemoryError) as exc:
        return None, _unparseable(source, 1, 1, f"does not parse: {exc}")


def _suppressions(lines: list[str]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for number, line in enumerate(lines, 1):
        if "dualio:" in line:
            match = _SUPPRESSION.search(line)
            if match is not None:
                codes = {code.strip().upper() for code in match.group(1).split(",") if code.strip()}
                found[number] = codes
    return found


def run_audit(paths: Sequence[str | Path], config: AuditConfig | None = None) -> AuditResult:
    """Audit the Python files under ``paths`` and return every selected, unsuppressed finding, sorted.

    ``config`` defaults to the ``[tool.dualio.audit]`` table of the nearest pyproject.toml above the paths
    (the defaults when there is none). A file that cannot be read or parsed becomes a DIO001 finding; nothing
    is imported or executed. Raise :class:`AuditPathError` if a path does not exist, ``TypeError`` if
    ``paths`` is a single string or holds something that is not a path.

    The cyclic garbage collector is paused while the audit runs (the syntax trees are large and acyclic;
    collecting them repeatedly tripled the run time), and the recursion limit raised so that any file CPython
    can parse can be walked; both are restored afterwards. Not thread-safe with other code that changes them.
    """
    enabled = gc.isenabled()
    limit = sys.getrecursionlimit()
    gc.disable()
    sys.setrecursionlimit(max(limit, _RECURSION_LIMIT))  # the walk recurses once or twice per nesting level
    try:
        return _run_audit(paths, config)
    finally:
        sys.setrecursionlimit(limit)
        if enabled:
            gc.enable()


def _run_audit(paths: Sequence[str | Path], config: AuditConfig | None) -> AuditResult:
    if isinstance(paths, str | Path) or not all(isinstance(path, str | Path) for path in paths):
        raise TypeError(f"paths must be a sequence of str or pathlib.Path, got {paths!r}")
    given = [Path(path) for path in paths]
    missing = [str(path) for path in given if not path.exists()]
    if missing:
        raise AuditPathError(f"no such file or directory: {', '.join(missing)}")
    if config is None:
        config = discover_config(given)
    elif not isinstance(config, AuditConfig):
        raise TypeError(f"config must be an AuditConfig or None, got {type(config).__name__}")
    index = ProjectIndex()
    modules: list[ModuleInfo] = []
    findings: list[Finding] = []
    files = lines = 0
    for source in discover(given, config.root, config.exclude):
        files += 1
        text, problem = _read(source)
        if text is not None:
            lines += text.count("\n") + (0 if text.endswith("\n") or not text else 1)
            tree, problem = _parse(source, text)
            if tree is not None:
                modules.append(index_module(source, text, tree, index))
        if problem is not None:
            findings.append(problem)
    # Global names worth recording where async code reads them (rule DIO501): those of loop-bound objects.
    index.loop_bound_names = frozenset(
        qualname.rpartition(".")[2] for module in modules for qualname, _, _, _ in module.loop_bound
    )
    for module in modules:
        try:
            walk_module(index, module)
        except RecursionError:
            findings.append(_unparseable(module.source, 1, 1, "is nested too deeply to be analysed"))
        findings.extend(module.findings)
    findings.extend(call_graph_findings(index, config.extra_blocking, config.select))
    if "DIO501" in config.select:
        findings.extend(loop_bound_findings(index))
    suppressed = {module.source.display: _suppressions(module.lines) for module in modules}
    kept = set()
    for finding in findings:
        if finding.code not in config.select:
            continue
        marks = suppressed.get(finding.path, {})
        if finding.code in marks.get(finding.line, ()) or finding.code in marks.get(finding.end_line, ()):
            continue
        kept.add(finding)
    return AuditResult(tuple(sorted(kept)), files, lines, tuple(modules))


def audit_paths(paths: Sequence[str | Path], config: AuditConfig | None = None) -> list[Finding]:
    """Audit the files under ``paths``; return the findings sorted by file and position (see :func:`run_audit`)."""
    return list(run_audit(paths, config).findings)
