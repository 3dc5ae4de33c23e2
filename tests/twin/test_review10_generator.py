"""Generator fixes from review 10 (real libraries: asyncssh, websockets, aiofiles, httpx, aiosmtplib).

- ``typing.AnyStr`` in a base list is a type variable (asyncssh's ``SSHClientStreamSession(SSHStreamSession[AnyStr])``
  made every asyncssh twin fail with "takes 0 (none)");
- a default or annotation whose name a module imports without exporting it (no ``as N``, not in ``__all__``) is
  imported from where that module took it (asyncssh's ``PIPE``: ``mypy --strict`` said "does not explicitly
  export attribute").
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_generated_spellings import generate_and_use

ANYSTR_SOURCE = """
from typing import AnyStr, Generic


class AsyncStream(Generic[AnyStr]):
    def __init__(self, data: AnyStr) -> None:
        self.data: AnyStr = data

    async def read(self) -> AnyStr:
        return self.data


class AsyncClientStream(AsyncStream[AnyStr]):  # generic in AnyStr through its base (PEP 484), as asyncssh writes it
    pass


class AsyncProcess(AsyncClientStream[AnyStr]):
    async def wait(self) -> int:
        return 0


class AsyncConnection:
    async def create_process(self, command: str) -> AsyncProcess[str]:
        return AsyncProcess(command)
"""

ANYSTR_USAGE = """
from typing import Any, assert_type

from gen_anystr.sync import Connection

connection = Connection()
process = connection.create_process("ls")
assert_type(process, Any)  # AsyncProcess is not listed: a twin built at run time
assert process.read() == "ls"
assert process.wait() == 0
connection.close()
"""


def test_anystr_in_a_base_list_is_a_type_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Before: GenerateError "base AsyncClientStream[AnyStr] of gen_anystr.aio.AsyncProcess: written with 1 type
    # argument(s), but AsyncClientStream takes 0 (none)", though AsyncProcess is only looked at.
    text = generate_and_use(tmp_path, monkeypatch, "gen_anystr", ANYSTR_SOURCE, "AsyncConnection", ANYSTR_USAGE)
    assert "def create_process(self, command: str) -> _typing.Any:" in text


def test_a_listed_generic_subclass_in_anystr_keeps_its_parameter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    usage = """
from typing import assert_type

from gen_anystr2.sync import Connection, Process

connection = Connection()
process = connection.create_process("ls")
assert_type(process, Process[str])
assert_type(process.read(), str)
assert process.read() == "ls"
connection.close()
"""
    source = ANYSTR_SOURCE
    text = generate_and_use(tmp_path, monkeypatch, "gen_anystr2", source, "AsyncConnection", usage, "AsyncProcess")
    assert "class Process(_support.Twin[AsyncProcess[AnyStr]], _typing.Generic[AnyStr]):" in text


REEXPORT_SOURCE = """
from gen_reexport.constants import PIPE  # type: ignore[attr-defined, unused-ignore]  # the library is not strict


class AsyncRunner:
    async def run(self, command: str, stdin: int = PIPE) -> int:
        return stdin
"""

CONSTANTS = """
from subprocess import PIPE  # imported, not exported (no `as PIPE`, no __all__)

TIMEOUT = 5
"""

REEXPORT_USAGE = """
from typing import assert_type
import subprocess

from gen_reexport.sync import Runner

runner = Runner()
assert_type(runner.run("ls"), int)
assert runner.run("ls") == subprocess.PIPE
runner.close()
"""


def test_a_name_imported_without_export_is_imported_from_where_it_was_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = generate_and_use(
        tmp_path,
        monkeypatch,
        "gen_reexport",
        REEXPORT_SOURCE,
        "AsyncRunner",
        REEXPORT_USAGE,
        modules={"constants": CONSTANTS},
    )
    assert "from subprocess import PIPE\n" in text
    assert "gen_reexport.constants" not in text


def test_an_exported_import_is_kept_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exported = {"constants": "from subprocess import PIPE as PIPE\n"}
    source, usage = (text.replace("gen_reexport", "gen_exported") for text in (REEXPORT_SOURCE, REEXPORT_USAGE))
    text = generate_and_use(tmp_path, monkeypatch, "gen_exported", source, "AsyncRunner", usage, modules=exported)
    assert "from gen_exported.constants import PIPE\n" in text
