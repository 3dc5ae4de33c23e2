"""Generator fixes from review 10 (real libraries: asyncssh, websockets, aiofiles, httpx, aiosmtplib).

- ``typing.AnyStr`` in a base list is a type variable (asyncssh's ``SSHClientStreamSession(SSHStreamSession[AnyStr])``
  made every asyncssh twin fail with "takes 0 (none)");
- a default or annotation whose name a module imports without exporting it (no ``as N``, not in ``__all__``) is
  imported from where that module took it (asyncssh's ``PIPE``: ``mypy --strict`` said "does not explicitly
  export attribute");
- members that a class decorator adds (aiofiles' ``@delegate_to_executor``) are ``Any`` and mapped at load time;
- finding a module runs none of its packages' ``__init__`` (asyncssh's printed cryptography's warnings).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from .test_generated_spellings import generate_and_use
from .test_generator import run_cli

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


DECORATED_SOURCE = """
import asyncio
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

C = TypeVar("C", bound=type)


def delegate_to_executor(*names: str) -> Callable[[C], C]:
    \"\"\"As aiofiles: add an async method per name that runs the wrapped file's method in a thread.\"\"\"

    def decorate(cls: C) -> C:
        for name in names:
            setattr(cls, name, _delegate(name))
        return cls

    return decorate


def _delegate(name: str) -> Callable[..., Any]:
    async def method(self: Any, *args: Any) -> Any:
        return await asyncio.to_thread(getattr(self._file, name), *args)

    return method


class Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def write(self, line: str) -> int:
        self.lines.append(line)
        return len(line)

    def read(self) -> str:
        return "".join(self.lines)


@delegate_to_executor("read", "write")
class AsyncTextFile:
    def __init__(self) -> None:
        self._file = Lines()

    async def flush(self) -> None:
        pass


@dataclass
class AsyncPlain:  # a dataclass: its members are read, nothing is mapped late
    name: str = "plain"

    async def ping(self) -> str:
        return self.name
"""

DECORATED_USAGE = """
from typing import Any, assert_type

from gen_decorated.sync import Plain, TextFile

text_file = TextFile()
assert_type(text_file.write("a"), Any)  # added by the class decorator: typed Any
assert text_file.write("a") == 1
assert text_file.write("b") == 1
assert text_file.read() == "aab"  # assert_type ran its call too
assert_type(text_file.flush(), None)  # read from the source: typed
text_file.close()
assert Plain().ping() == "plain"
"""


def test_members_a_class_decorator_adds_are_any_and_mapped_when_the_module_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: the twin had neither read nor write, and `dualio twin generate` said nothing (aiofiles' files).
    text = generate_and_use(
        tmp_path, monkeypatch, "gen_decorated", DECORATED_SOURCE, "AsyncTextFile", DECORATED_USAGE, "AsyncPlain"
    )
    assert "# Members that @delegate_to_executor may add are not read: typed Any here" in text
    assert text.count("def __getattr__(self, name: str) -> _typing.Any: ...") == 1  # not for the dataclass
    assert "_support.map_unread_members(TextFile, AsyncTextFile)\n" in text
    assert "map_unread_members(Plain" not in text


def test_generating_runs_no_code_of_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Before: importlib.util.find_spec imported the parent packages (asyncssh's printed cryptography warnings).
    package = tmp_path / "gen_quiet"
    (package / "inner").mkdir(parents=True)
    (package / "__init__.py").write_text("raise RuntimeError('the package ran')\n")
    (package / "inner" / "__init__.py").write_text("raise RuntimeError('the subpackage ran')\n")
    (package / "inner" / "aio.py").write_text("class AsyncQuiet:\n    async def ping(self) -> int:\n        return 1\n")
    (tmp_path / "pyproject.toml").write_text('[tool.dualio.twin]\n"gen_quiet.inner.aio:AsyncQuiet" = "quiet.py"\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    assert run_cli(config=tmp_path) == 0
    assert "class Quiet(_support.Twin[AsyncQuiet]):" in (tmp_path / "quiet.py").read_text()
    assert "gen_quiet" not in sys.modules


BARE_SOURCE = """
# mypy: disable-error-code="type-arg"
# (the library itself is not strict: only its twin is held to mypy --strict)
from collections.abc import Callable
from typing import Any, AnyStr, Dict, Generic, TypeVar

T = TypeVar("T")


class AsyncSession(Generic[AnyStr]):
    async def read(self) -> AnyStr:
        raise NotImplementedError


Factory = Callable[[], AsyncSession[AnyStr]]  # a generic type alias
Handler = Callable[[T], None]


class AsyncConnection:
    # Bare generics, as libraries that do not run mypy --strict write them (asyncssh, redis-py):
    async def open(self, factory: Factory, handler: Handler, options: Dict, callback: Callable) -> AsyncSession:
        return AsyncSession()

    async def pairs(self) -> list:
        return [1, "a"]

    async def nested(self, groups: dict[str, list]) -> tuple:
        return ()
"""

BARE_USAGE = """
from typing import Any, assert_type

from gen_bare.sync import Connection

connection = Connection()
assert_type(connection.pairs(), list[Any])
assert connection.pairs() == [1, "a"]
assert connection.nested({}) == ()
connection.close()
"""


def test_bare_generics_get_explicit_any_arguments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Before: copied bare, so the twin failed mypy --strict (disallow_any_generics) wherever the library did:
    # asyncssh's twin had 5 such errors, redis-py's PubSub a dozen.
    text = generate_and_use(tmp_path, monkeypatch, "gen_bare", BARE_SOURCE, "AsyncConnection", BARE_USAGE)
    assert (
        "def open(self, factory: Factory[_typing.Any], handler: Handler[_typing.Any], options: Dict[_typing.Any, "
        "_typing.Any], callback: Callable[..., _typing.Any]) -> _typing.Any:" in text  # AsyncSession: built at run time
    )
    assert "def pairs(self) -> list[_typing.Any]:" in text
    assert "def nested(self, groups: dict[str, list[_typing.Any]]) -> tuple[_typing.Any, ...]:" in text


ALIASED_BASE_SOURCE = """
class ListCommands:
    async def lpush(self, name: str, value: str) -> int:
        return 1


AsyncListCommands = ListCommands  # as redis-py names its async command mixins


class AsyncClient(AsyncListCommands):
    async def ping(self) -> bool:
        return True
"""

ALIASED_BASE_USAGE = """
from typing import assert_type

from gen_aliased_base.sync import Client

client = Client()
assert_type(client.lpush("q", "x"), int)
assert client.lpush("q", "x") == 1
client.close()
"""


def test_a_base_named_by_an_alias_in_its_module_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Before: skipped without a word, so redis-py's generated Redis twin lacked 205 of its 526 methods (the list,
    # set, sorted set, hash, stream, geo, pub/sub and ACL commands).
    text = generate_and_use(
        tmp_path, monkeypatch, "gen_aliased_base", ALIASED_BASE_SOURCE, "AsyncClient", ALIASED_BASE_USAGE
    )
    assert "def lpush(self, name: str, value: str) -> int:" in text
