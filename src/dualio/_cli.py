"""The ``dualio`` console script.

Each part that needs a subcommand (``audit``, ``twin``) keeps it in its own module, as a function that adds its
parser to the subparsers and sets ``handler`` (a function from the parsed arguments to an exit status) as a
default; it is listed once in ``_SUBCOMMANDS`` below. ``doctor`` lives here: it reports the version and checks that
a portal works on this machine with the loops that are installed.
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import sys
import time
from collections.abc import Callable, Sequence
from typing import TypeAlias

from ._portal import Portal
from ._version import __version__
from .audit._cli import add_audit_command


async def _noop() -> None:
    return None


def _doctor() -> int:
    print(f"dualio {__version__} on Python {platform.python_version()} ({sys.platform})")
    factories: list[tuple[str, object]] = [("asyncio", None)]
    if importlib.util.find_spec("uvloop") is not None:
        import uvloop

        factories.append(("uvloop", uvloop.new_event_loop))
    else:
        print("uvloop: not installed (pip install 'dualio[uvloop]')")
    for label, factory in factories:
        with Portal(f"doctor-{label}", loop_factory=factory) as portal:  # type: ignore[arg-type]
            calls = 2000
            start = time.perf_counter()
            for _ in range(calls):
                portal.run(_noop)
            elapsed = time.perf_counter() - start
        print(f"{label}: portal ok, {calls} round trips, {elapsed / calls * 1e6:.1f} us each")
    return 0


Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""What a subcommand's registration function receives."""


def _add_doctor(commands: Subparsers) -> None:
    doctor = commands.add_parser("doctor", help="check that a portal works here, on each installed event loop")
    doctor.set_defaults(handler=lambda _args: _doctor())


# One entry per subcommand: a function that adds the subcommand's parser and sets its ``handler``.
_SUBCOMMANDS: tuple[Callable[[Subparsers], None], ...] = (_add_doctor, add_audit_command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``dualio`` command line; return the exit status (2 on a usage error)."""
    parser = argparse.ArgumentParser(prog="dualio", description="dualio: one codebase for sync and async Python")
    parser.add_argument("--version", action="version", version=f"dualio {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add_subcommand in _SUBCOMMANDS:
        add_subcommand(commands)
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    return handler(args)
