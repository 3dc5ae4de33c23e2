"""``dualio audit``: the command line of the static audit."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ._config import AuditConfigError, discover_config, load_config
from ._engine import AuditPathError, AuditResult, run_audit
from ._report import render_report
from ._rules import RULES
from ._sarif import to_sarif

if TYPE_CHECKING:
    from dualio._cli import Subparsers


def _codes(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def add_audit_command(commands: Subparsers) -> None:
    """Register ``dualio audit`` on the ``dualio`` command line."""
    parser = commands.add_parser(
        "audit",
        help="find async concurrency problems in Python source (blocking calls, sync-over-async, lost tasks...)",
        description="Statically audit async Python code; see docs/audit.md for every rule. "
        "Exit status: 1 with findings, 0 without, 2 on a usage error.",
    )
    parser.add_argument("paths", nargs="*", default=["."], metavar="PATH", help="files or directories (default: .)")
    parser.add_argument("--format", choices=("text", "json", "sarif"), default="text", help="output format")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the findings to FILE instead of stdout")
    parser.add_argument(
        "--config", metavar="FILE", help="configuration file (default: nearest pyproject.toml with [tool.dualio.audit])"
    )
    parser.add_argument("--select", type=_codes, metavar="CODES", help="comma-separated codes/prefixes to run")
    parser.add_argument("--extend-select", type=_codes, default=[], metavar="CODES", help="add codes (e.g. DIO6)")
    parser.add_argument("--ignore", type=_codes, default=[], metavar="CODES", help="codes/prefixes not to run")
    parser.add_argument("--report", metavar="FILE", help="also write a Markdown inventory of the async patterns")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    parser.add_argument("--list-rules", action="store_true", help="print every rule and exit")
    parser.set_defaults(handler=run_command)


def _fail(message: str) -> int:
    print(f"dualio audit: error: {message}", file=sys.stderr)
    return 2


def run_command(args: argparse.Namespace) -> int:
    """Run ``dualio audit`` with parsed arguments; return the exit status."""
    if args.list_rules:
        for rule in RULES:
            print(f"{rule.code}  {rule.name}{'' if rule.default else ' (opt-in)'}\n    {rule.summary}")
        return 0
    paths = [Path(path) for path in args.paths]
    started = time.perf_counter()
    try:
        config = load_config(Path(args.config)) if args.config else discover_config(paths)
        if args.select is not None or args.extend_select or args.ignore:
            config = config.with_selection(args.select, args.extend_select, args.ignore)
        result = run_audit(paths, config)
    except (AuditConfigError, AuditPathError) as exc:
        return _fail(str(exc))
    elapsed = time.perf_counter() - started
    rendered = _render(result, args.format, elapsed)
    try:
        if args.output:
            Path(args.output).write_text(rendered, encoding="utf-8")
        else:
            sys.stdout.write(rendered)
        if args.report:
            Path(args.report).write_text(render_report(result, [str(p) for p in args.paths]), encoding="utf-8")
    except OSError as exc:
        return _fail(f"cannot write output: {exc}")
    return 1 if result.findings and not args.exit_zero else 0


def _render(result: AuditResult, output_format: str, elapsed: float) -> str:
    if output_format == "json":
        document = {
            "files": result.files,
            "lines": result.lines,
            "findings": [finding.to_dict() for finding in result.findings],
        }
        return json.dumps(document, indent=2) + "\n"
    if output_format == "sarif":
        return json.dumps(to_sarif(result.findings), indent=2) + "\n"
    lines = [finding.to_text() for finding in result.findings]
    count = len(result.findings)
    noun = "finding" if count == 1 else "findings"
    files = f"{result.files} file{'' if result.files == 1 else 's'}"
    lines.append(f"{count or 'No'} {noun} in {files} ({result.lines} lines, {elapsed:.2f} s)")
    return "\n".join(lines) + "\n"
