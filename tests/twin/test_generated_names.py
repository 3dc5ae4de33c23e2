"""How the generator finds and imports the names a twin module needs, and the notes it gives about names.

Imports taken from where a module took them (asyncssh's ``PIPE``) or kept as written, no package code run while
generating, namespace packages, nested classes (nats), members named like modules (aioftp's ``ssl``), re-exported
``AnyStr`` and enum members in ``Literal`` (coredis), the package's own classes named like standard types,
classes of the same name in several modules (openai), names a class body imports (ormar), and notes for a listed
class with no async members or an output that no import can name.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dualio.twin import GenerateError
from dualio.twin._generator import render_module
from dualio.twin._source import Target

from ._helpers_generate import _generate, _package
from .test_generated_spellings import check_and_run_usage, generate_and_use
from .test_generator import run_cli

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


def test_a_namespace_package_inside_a_package_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "gen_namespaced" / "sub" / "ns").mkdir(parents=True)  # ns has no __init__.py
    (tmp_path / "gen_namespaced" / "__init__.py").write_text("")
    (tmp_path / "gen_namespaced" / "sub" / "__init__.py").write_text("")
    (tmp_path / "gen_namespaced" / "sub" / "ns" / "types.py").write_text("Payload = dict[str, int]\n")
    (tmp_path / "gen_namespaced" / "aio.py").write_text(
        "from gen_namespaced.sub.ns.types import Payload\n\n\n"
        "class AsyncClient:\n    async def send(self, payload: Payload) -> int:\n        return len(payload)\n"
    )
    (tmp_path / "pyproject.toml").write_text('[tool.dualio.twin]\n"gen_namespaced.aio:AsyncClient" = "client.py"\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    assert run_cli(config=tmp_path) == 0  # before: a KeyError traceback
    assert "def send(self, payload: Payload) -> int:" in (tmp_path / "client.py").read_text()


SOURCE = """
from __future__ import annotations

from typing import Any, List, Optional


class AsyncMsg:
    class Metadata:
        def __init__(self, sequence: int) -> None:
            self.sequence = sequence

    class Pull:  # nested, with async members: a twin built at run time, typed Any (nats' PullSubscription)
        async def fetch(self) -> int:
            return 3

    async def metadata(self) -> Metadata:
        return AsyncMsg.Metadata(7)

    async def pull(self) -> Pull:
        return AsyncMsg.Pull()

    async def metadata_or_none(self, present: bool = True) -> Optional[Metadata]:
        return AsyncMsg.Metadata(8) if present else None

    async def keys(
        self,
        filters: List[str] = None,  # type: ignore[assignment]  # as nats wrote it
        limit: int = None,  # type: ignore[assignment]
        extra: Any = None,
    ) -> list[str]:
        return [*(filters or ["all"]), str(limit)]

    async def named(self, name: Optional[str] = None, other: str | None = None) -> str:
        return f"{name} {other}"
"""


USAGE = """
from typing import Any, assert_type

from gen_nested.aio import AsyncMsg
from gen_nested.sync import Msg

message = Msg()
metadata = message.metadata()
assert_type(metadata, AsyncMsg.Metadata)
assert metadata.sequence == 7
named_on_twin: Msg.Metadata = metadata  # a nested class is named through the twin too, as on a run-time twin
assert Msg.Metadata is AsyncMsg.Metadata and Msg.Pull is AsyncMsg.Pull
maybe = message.metadata_or_none(present=False)
assert_type(maybe, AsyncMsg.Metadata | None)
assert maybe is None
pulled = message.pull()
assert_type(pulled, Any)
assert pulled.fetch() == 3
assert message.keys() == ["all", "None"]
assert message.keys(None, None) == ["all", "None"]
assert message.keys(["a"], 2) == ["a", "2"]
assert message.named() == "None None"
"""


def test_nested_class_names_and_implicit_optional_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = generate_and_use(tmp_path, monkeypatch, "gen_nested", SOURCE, "AsyncMsg", USAGE)
    assert "def metadata(self) -> AsyncMsg.Metadata:" in text
    assert "def pull(self) -> _typing.Any:" in text
    assert "filters: List[str] | None = None" in text
    assert "limit: int | None = None" in text
    assert "extra: Any = None" in text
    assert "name: Optional[str] = None" in text
    assert "other: str | None = None" in text


def test_listing_a_nested_class_says_only_top_level_classes_can_be(tmp_path: Path) -> None:
    expected = r"names a nested class \(Pull inside AsyncMsg\); only classes defined"
    with pytest.raises(GenerateError, match=expected) as e:
        Target.parse("gen_nested.aio:AsyncMsg.Pull", "sync.py", tmp_path)
    # both kinds of nested classes, said right (before: only the one with async members, review 38e r13)
    assert "one with async members comes back as a twin built at run time, typed Any" in str(e.value)
    assert "one without (a data class) comes back as it is, typed as written: AsyncMsg.Pull" in str(e.value)


SHADOWING_SOURCE = """
from __future__ import annotations

import ssl


class AsyncClient:
    def __init__(self, ssl: ssl.SSLContext | bool | None = None) -> None:
        self.ssl = ssl  # aioftp's Client: an attribute named like the module its annotations use

    async def upgrade_to_tls(self, context: ssl.SSLContext | None = None) -> bool:
        return context is None

    async def protocol(self, protocol: int = ssl.PROTOCOL_TLS_CLIENT) -> int:
        return protocol
"""


SHADOWING_USAGE = """
import ssl
from typing import assert_type

from gen_shadowing.sync import Client

client = Client(ssl=False)
assert_type(client.ssl, ssl.SSLContext | bool | None)
assert client.ssl is False
assert client.upgrade_to_tls() is True
assert client.protocol() == ssl.PROTOCOL_TLS_CLIENT
"""


def test_a_member_named_like_a_module_does_not_shadow_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Before: the `ssl` property came first in the class body: mypy --strict rejected
    # `ssl.SSLContext` after it, and the default `ssl.PROTOCOL_TLS_CLIENT` failed when the module loaded.
    text = generate_and_use(tmp_path, monkeypatch, "gen_shadowing", SHADOWING_SOURCE, "AsyncClient", SHADOWING_USAGE)
    assert text.index("def protocol(") < text.index("def ssl(")


COREDIS_SHAPES = """
from __future__ import annotations

from typing import Generic, Literal

from gen_coredis_shapes.typing_ import AnyStr, PureToken


class CommandMixin(Generic[AnyStr]):
    def __init__(self, value: AnyStr) -> None:
        self.value: AnyStr = value

    async def get(self, key: str) -> AnyStr:
        return self.value


class AsyncRedis(CommandMixin[AnyStr]):
    async def zunion(self, aggregate: Literal[PureToken.SUM, PureToken.MIN] | None = None) -> int:
        return 1 if aggregate is PureToken.SUM else 0
"""


COREDIS_TYPING = """
import enum
from typing import AnyStr as AnyStr


class PureToken(enum.Enum):
    SUM = b"SUM"
    MIN = b"MIN"
"""


COREDIS_USAGE = """
from typing import assert_type

from gen_coredis_shapes.sync import Redis
from gen_coredis_shapes.typing_ import PureToken

redis = Redis("v")
assert_type(redis, Redis[str])
assert_type(redis.get("k"), str)
assert redis.get("k") == "v"
assert redis.zunion(PureToken.SUM) == 1
redis.close()
"""


def test_reexported_anystr_and_enum_members_in_literal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = generate_and_use(
        tmp_path,
        monkeypatch,
        "gen_coredis_shapes",
        COREDIS_SHAPES,
        "AsyncRedis",
        COREDIS_USAGE,
        modules={"typing_": COREDIS_TYPING},
    )
    assert "_typing.Generic[AnyStr]" in text
    assert "PureToken" in text.split("class Redis", 1)[0]  # imported before the class that uses it


OWN_NAMES_SOURCE = """
from __future__ import annotations

import typing
from typing import Generic, TypeVar

T = TypeVar("T")


class AsyncContextManager(Generic[T]):
    def __init__(self, value: T) -> None:
        self.value = value

    async def __aenter__(self) -> T:
        return self.value

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def peek(self) -> T:
        return self.value


class AsyncIterator:
    def __init__(self) -> None:
        self.left = 2

    def __aiter__(self) -> AsyncIterator:
        return self

    async def __anext__(self) -> int:
        if not self.left:
            raise StopAsyncIteration
        self.left -= 1
        return self.left

    async def remaining(self) -> int:
        return self.left


class AsyncClient:
    def session(self) -> AsyncContextManager[int]:
        return AsyncContextManager(1)

    async def opened(self) -> AsyncContextManager[str]:
        return AsyncContextManager("s")

    async def counter(self) -> AsyncIterator:
        return AsyncIterator()

    def standard(self) -> typing.AsyncContextManager[int]:
        return AsyncContextManager(2)

    async def items(self) -> typing.AsyncIterator[int]:
        return AsyncIterator()
"""


OWN_NAMES_USAGE = """
from typing import assert_type

from gen_own_names.sync import Client, ContextManager, Iterator

client = Client()
session = client.session()
assert_type(session, ContextManager[int])
assert session.peek() == 1
with session as value:
    assert_type(value, int)
    assert value == 1
assert_type(client.opened(), ContextManager[str])
counter = client.counter()
assert_type(counter, Iterator)
assert counter.remaining() == 2
assert list(counter) == [1, 0]
with client.standard() as plain:
    assert_type(plain, int)
    assert plain == 2
assert list(client.items()) == [1, 0]
"""


def test_own_classes_named_like_standard_types_are_read_as_themselves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = generate_and_use(
        tmp_path,
        monkeypatch,
        "gen_own_names",
        OWN_NAMES_SOURCE,
        "AsyncClient",
        OWN_NAMES_USAGE,
        "AsyncContextManager",
        "AsyncIterator",
    )
    assert "def session(self) -> ContextManager[int]:" in text
    assert "def counter(self) -> Iterator:" in text
    assert "def standard(self) -> _contextlib.AbstractContextManager[int]:" in text
    assert "def items(self) -> _abc.Iterator[int]:" in text


def test_an_unlisted_class_named_like_a_listed_one_is_not_its_twin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, with openai's chat `AsyncCompletions` listed, `AsyncOpenAI.completions` (the legacy
    # `AsyncCompletions` of another module) was typed as the chat twin: mypy refused the right call.
    completions = "class AsyncCompletions:\n    async def create(self, {}: str) -> str:\n        return ''\n"
    client = """
from gen_same_name.legacy import AsyncCompletions


class AsyncClient:
    async def legacy(self) -> AsyncCompletions:
        return AsyncCompletions()
"""
    modules = {"chat": completions.format("messages"), "legacy": completions.format("prompt"), "client": client}
    _package(tmp_path, monkeypatch, "gen_same_name", modules)
    out = tmp_path / "out.py"
    targets = [
        Target("gen_same_name.client", "AsyncClient", out),
        Target("gen_same_name.chat", "AsyncCompletions", out),
    ]
    text = render_module(targets)
    assert "def legacy(self) -> _typing.Any:" in text  # an unlisted class with async members: a run-time twin
    assert "-> Completions" not in text
    elsewhere = {("gen_same_name.legacy", "AsyncCompletions"): ("legacy_out", "Legacy")}  # listed for another file
    assert "def legacy(self) -> Legacy:" in render_module(targets, elsewhere)


def test_a_listed_class_sharing_its_name_with_one_the_file_needs_is_refused_with_advice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # openai: AsyncOpenAI's `completions` property has a setter taking the legacy AsyncCompletions, which the twin
    # module must import, as it imports the listed chat AsyncCompletions: one name, two classes.
    completions = "class AsyncCompletions:\n    async def create(self, {}: str) -> str:\n        return ''\n"
    client = """
from gen_same_name_set.legacy import AsyncCompletions


class AsyncClient:
    def __init__(self) -> None:
        self._legacy = AsyncCompletions()

    @property
    def legacy(self) -> AsyncCompletions:
        return self._legacy

    @legacy.setter
    def legacy(self, value: AsyncCompletions) -> None:
        self._legacy = value

    async def ping(self) -> None:
        pass
"""
    modules = {"chat": completions.format("messages"), "legacy": completions.format("prompt"), "client": client}
    _package(tmp_path, monkeypatch, "gen_same_name_set", modules)
    out = tmp_path / "out.py"
    targets = [
        Target("gen_same_name_set.client", "AsyncClient", out),
        Target("gen_same_name_set.chat", "AsyncCompletions", out),
    ]
    with pytest.raises(
        GenerateError,
        match=r"one is the listed AsyncCompletions, twinned as Completions.*give AsyncCompletions an output file",
    ):
        render_module(targets)


_CLASS_BODY_IMPORT = {
    "rows": "class Row:\n    name = 'row'\n",
    "aio": """
from typing import TYPE_CHECKING


class AsyncModel:
    if TYPE_CHECKING:  # ormar's ExcludableMixin imports ModelRow so
        from gen_class_import.rows import Row

    async def load(self, kind: type["Row"]) -> "Row":
        return kind()
""",
}


_CLASS_BODY_IMPORT_USAGE = """
from typing import assert_type

from gen_class_import.rows import Row
from gen_class_import.sync import Model

model = Model()
assert_type(model.load(Row), Row)
assert model.load(Row).name == "row"
"""


def test_an_annotation_may_name_what_the_class_body_imports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Before, ormar's Model was refused: "an annotation ... uses the name 'ModelRow', which module ... neither
    # defines nor imports at its top level" (imported in a class body, under TYPE_CHECKING, as mypy reads it).
    output, text = _generate(tmp_path, monkeypatch, "gen_class_import", _CLASS_BODY_IMPORT, "AsyncModel")
    assert "if _typing.TYPE_CHECKING:\n    from gen_class_import.rows import Row\n" in text
    output.write_text(text)
    check_and_run_usage(tmp_path, "gen_class_import", _CLASS_BODY_IMPORT_USAGE)


SYNC_CLIENT_SOURCE = '''
class AsyncResponse:
    async def aread(self) -> bytes:
        return b""


class Client:
    """A library's sync client: blocking I/O in plain defs, returning a class with async members."""

    def get(self, url: str) -> AsyncResponse:
        return AsyncResponse()


class AsyncClient:
    async def get(self, url: str) -> AsyncResponse:
        return AsyncResponse()
'''


def _generate_notes(project: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """Run `dualio twin generate` on ``project``'s pyproject.toml (it succeeds); the notes it printed."""
    assert run_cli(config=project) == 0
    return [line for line in capsys.readouterr().err.splitlines() if "note:" in line]


def test_a_listed_class_with_no_async_members_of_its_own_gets_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before, `"httpx:Client"` (the sync client) was generated without a word; its blocking methods then ran
    on the portal's loop. It is still generated (grpc stubs and Playwright's FrameLocator are such classes), with
    a note when its module also has an `Async...` class of the same name (the two kinds are otherwise alike)."""
    _package(tmp_path, monkeypatch, "gen_sync_client", {"aio": SYNC_CLIENT_SOURCE})
    (tmp_path / "pyproject.toml").write_text(
        '[tool.dualio.twin]\n"gen_sync_client.aio:Client" = "gen_sync_client/sync.py"\n'
        '"gen_sync_client.aio:AsyncResponse" = "gen_sync_client/sync.py"\n'
    )
    assert _generate_notes(tmp_path, capsys) == [
        "dualio twin generate: note: gen_sync_client.aio:Client has no async members of its own (it is twinned "
        "because its defs return objects that have some), and its module also has AsyncClient: its methods will "
        "run on the portal's loop, and block it if they do I/O (a library's sync client). Did you mean to list "
        "gen_sync_client.aio:AsyncClient?"
    ]


PARENT_CHILD_SOURCE = """
class AsyncChild:
    async def ping(self) -> int:
        return 1


class AsyncParent:
    async def child(self) -> AsyncChild:
        return AsyncChild()
"""


def test_an_output_no_import_can_name_gets_a_note_when_other_outputs_lose_its_twins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before, a twin module written outside the project could not be imported by the others, whose methods
    returning its async classes were then typed Any without a word."""
    project = tmp_path / "project"
    project.mkdir()
    _package(project, monkeypatch, "gen_unnamed", {"aio": PARENT_CHILD_SOURCE})
    (project / "pyproject.toml").write_text(
        '[tool.dualio.twin]\n"gen_unnamed.aio:AsyncChild" = "../elsewhere/child.py"\n'
        '"gen_unnamed.aio:AsyncParent" = "gen_unnamed/parent.py"\n'
    )
    assert _generate_notes(project, capsys) == [
        "dualio twin generate: note: ../elsewhere/child.py cannot be imported by a module name (it is not under the "
        "directory of pyproject.toml, its src/ or a sys.path entry, on a path of identifiers), so the twin modules "
        "of the other output files cannot import Child from it: what they return of its async classes is typed Any "
        "there; write it inside your package"
    ]
    assert "def child(self) -> _typing.Any:" in (project / "gen_unnamed" / "parent.py").read_text()

    (project / "pyproject.toml").write_text(
        '[tool.dualio.twin]\n"gen_unnamed.aio:AsyncChild" = "gen_unnamed/child.py"\n'
        '"gen_unnamed.aio:AsyncParent" = "gen_unnamed/parent.py"\n'
    )
    assert _generate_notes(project, capsys) == []
    assert "def child(self) -> Child:" in (project / "gen_unnamed" / "parent.py").read_text()


UNDER_WITH_SOURCE = """
from __future__ import annotations

import warnings

with warnings.catch_warnings():  # as aiohttp-client-cache defines its CachedSession
    warnings.simplefilter("ignore", DeprecationWarning)

    class AsyncCachedThing:
        async def get(self, key: str) -> str:
            return key * 2
"""

UNDER_WITH_USAGE = """
from typing import assert_type

from gen_under_with.sync import CachedThing

thing = CachedThing()
assert_type(thing.get("a"), str)
assert thing.get("a") == "aa"
thing.close()
"""


def test_a_class_defined_in_a_top_level_with_block_can_be_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A `with` block's body runs whole, so its classes are the module's (aiohttp-client-cache's CachedSession,
    # under `with warnings.catch_warnings():`); before, "module ... has no top-level class" (review 38c r14).
    text = generate_and_use(
        tmp_path, monkeypatch, "gen_under_with", UNDER_WITH_SOURCE, "AsyncCachedThing", UNDER_WITH_USAGE
    )
    assert "class CachedThing(" in text
