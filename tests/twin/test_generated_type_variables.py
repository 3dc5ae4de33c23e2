"""Type variables and generics in generated twins.

``AnyStr`` in a base list (asyncssh), bare generics given explicit ``Any`` arguments (also ``os.PathLike`` and
``weakref``), ``Self`` aliases and untyped overloads, alike private type variables of two modules, type variables
bound to listed classes (psycopg_pool) or bound differently for type checkers (ormar), a type variable no
parameter uses, PEP 696 defaults and generic aliases (pydantic-ai), ``TypeVarTuple`` written with a star
(SQLAlchemy), and overloads told apart by the receiver's type arguments (aiohttp).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dualio.twin import GenerateError
from dualio.twin._generator import render_module
from dualio.twin._source import Target

from ._helpers_generate import _generate, _package
from .test_generated_spellings import check_and_run_usage, generate_and_use

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


SOURCE = """
from typing import AnyStr, Generic, Tuple, overload

from typing_extensions import Self


class AsyncReader(Generic[AnyStr]):
    def __init__(self, data: AnyStr) -> None:
        self.data: AnyStr = data

    async def read(self) -> AnyStr:
        return self.data


class AsyncConnection:
    async def open_reader(self) -> Tuple[AsyncReader, int]:  # type: ignore[type-arg]  # bare, as asyncssh's
        return AsyncReader(b"data"), 1

    def copy(self, *, timeout: float | None = None) -> Self:
        return self

    with_options = copy  # as openai's clients

    @overload
    async def chown(self, path: str, uid: int) -> str: ...
    @overload
    async def chown(self, path: str, owner: str, group: str) -> str: ...
    async def chown(self, path, uid_or_owner=None, group=None):  # type: ignore[no-untyped-def]  # as asyncssh's
        return f"{path}:{uid_or_owner}:{group}"
"""


USAGE = """
from typing import Any, assert_type

from gen_review11.sync import Connection, Reader

connection = Connection()
reader, count = connection.open_reader()
assert_type(reader, Reader[Any])
assert reader.read() == b"data"
copied = connection.with_options(timeout=1.0)
assert_type(copied, Connection)
assert copied is connection
assert_type(connection.chown("f", 1), str)
assert connection.chown("f", 1) == "f:1:None"
assert connection.chown("f", "ann", "staff") == "f:ann:staff"
connection.close()
"""


def test_bare_twinned_generics_self_aliases_and_untyped_overloads_pass_mypy_strict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = generate_and_use(tmp_path, monkeypatch, "gen_review11", SOURCE, "AsyncConnection", USAGE, "AsyncReader")
    assert "def open_reader(self) -> Tuple[Reader[_typing.Any], int]:" in text  # before: Tuple[Reader, int]
    assert (
        "_support.call_sync(self, AsyncConnection.copy, **_support.given(Connection.with_options, timeout=timeout))"
        in text
    )  # before: AsyncConnection.with_options
    assert "def chown(self, *args: _typing.Any, **kwargs: _typing.Any) -> _typing.Any:" in text  # the implementation


def test_alike_private_type_variables_of_two_modules_share_one_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: "the twin module would need both `from ..._streaming import _T` and `from ..._base import _T`"
    # (every module of openai has its own `_T = TypeVar("_T")`).
    stream_module = """
from collections.abc import AsyncIterator
from typing import Generic, TypeVar

_T = TypeVar("_T")


class AsyncStream(Generic[_T]):
    def __init__(self, items: list[_T]) -> None:
        self.items = items

    async def __aiter__(self) -> AsyncIterator[_T]:
        for item in self.items:
            yield item
"""
    source = """
from typing import TypeVar

from gen_alike_typevars.streams import AsyncStream

_T = TypeVar("_T")


class AsyncClient:
    async def first(self, items: list[_T]) -> _T:
        return items[0]

    async def stream(self, items: list[_T]) -> AsyncStream[_T]:
        return AsyncStream(items)
"""
    usage = """
from typing import assert_type

from gen_alike_typevars.sync import Client, Stream

client = Client()
assert_type(client.first([1, 2]), int)
stream = client.stream(["a", "b"])
assert_type(stream, Stream[str])
assert list(stream) == ["a", "b"]
client.close()
"""
    modules = {"streams": stream_module}
    listed = ("AsyncClient", usage, "AsyncStream")  # AsyncStream through aio's import of it: its module is read
    text = generate_and_use(tmp_path, monkeypatch, "gen_alike_typevars", source, *listed, modules=modules)
    assert "from gen_alike_typevars.streams import AsyncStream, _T\n" in text  # one _T, for both classes
    assert "from gen_alike_typevars.aio import AsyncClient\n" in text


def test_type_variables_with_bounds_still_clash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "gen_bound_typevars").mkdir()
    (tmp_path / "gen_bound_typevars" / "__init__.py").write_text("")
    for module, bound in (("a", "int"), ("b", "str")):
        (tmp_path / "gen_bound_typevars" / f"{module}.py").write_text(
            f'from typing import TypeVar\n\n_T = TypeVar("_T", bound={bound})\n\n\n'
            f"class Async{module.upper()}:\n    async def echo(self, value: _T) -> _T:\n        return value\n"
        )
    monkeypatch.syspath_prepend(str(tmp_path))
    targets = [Target(f"gen_bound_typevars.{m}", f"Async{m.upper()}", tmp_path / "out.py") for m in ("a", "b")]
    with pytest.raises(GenerateError, match="the name '_T' means two things"):
        render_module(targets)


PATHLIKE_SOURCE = """
from __future__ import annotations

import os
import weakref


class AsyncUploader:
    async def upload(self, file: str | bytes | os.PathLike) -> int:
        return len(os.fspath(file))

    async def cache(self) -> weakref.WeakValueDictionary:
        return weakref.WeakValueDictionary()
"""


PATHLIKE_USAGE = """
import pathlib

from gen_pathlike.sync import Uploader

assert Uploader().upload(pathlib.Path("/tmp/a")) == 6
assert len(Uploader().cache()) == 0
"""


def test_bare_standard_generics_of_os_and_weakref_get_any_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # slack_sdk's `file: Union[str, bytes, IOBase, os.PathLike]`: copied bare, `mypy --strict` refused the twin
    # (before: "Missing type arguments for generic type PathLike"). The async module is as loose as slack_sdk's.
    (tmp_path / "mypy.ini").write_text("[mypy]\n\n[mypy-gen_pathlike.aio]\nignore_errors = True\n")
    text = generate_and_use(tmp_path, monkeypatch, "gen_pathlike", PATHLIKE_SOURCE, "AsyncUploader", PATHLIKE_USAGE)
    assert "os.PathLike[_typing.Any]" in text
    assert "weakref.WeakValueDictionary[_typing.Any, _typing.Any]" in text


_BOUND_MODULES = {
    "conn": "class AsyncConn:\n    async def query(self) -> int:\n        return 1\n",
    "__init__": "from gen_bound_tv.conn import AsyncConn\n",  # a re-export, as `psycopg.AsyncConnection`
    "abc": 'from typing import TypeVar\n\nfrom gen_bound_tv import AsyncConn\n\nC = TypeVar("C", bound="AsyncConn")\n',
    "pool": """
from typing import Generic

from gen_bound_tv.abc import C


class AsyncPool(Generic[C]):
    def __init__(self, kind: type[C]) -> None:
        self.kind = kind

    async def getconn(self) -> C:
        return self.kind()

    async def putconn(self, conn: C) -> None:
        pass
""",
}


@pytest.mark.parametrize("listed_where", ["same output", "another output"])
def test_a_type_variable_bound_to_a_listed_class_gives_its_twin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, listed_where: str
) -> None:
    # Before, psycopg_pool's `ACT = TypeVar("ACT", bound="AsyncConnection[Any]")` was copied as it is, so
    # `pool.connection()` was typed as the AsyncConnection its twin never gives (and its bound's name, imported
    # through psycopg's re-export, was not matched with the listed twin of another output file at all).
    _package(tmp_path, monkeypatch, "gen_bound_tv", _BOUND_MODULES)
    out = tmp_path / "out.py"
    pool = Target("gen_bound_tv.pool", "AsyncPool", out)
    if listed_where == "same output":
        text = render_module([pool, Target("gen_bound_tv.conn", "AsyncConn", out)])
    else:
        text = render_module([pool], {("gen_bound_tv.conn", "AsyncConn"): ("conn_out", "Conn")})
        assert "from conn_out import Conn" in text
    assert "def getconn(self) -> Conn:" in text
    assert "def putconn(self, conn: Conn) -> None:" in text  # a twin passed back is unwrapped
    assert "def __init__(self, kind: type[C]) -> None:" in text  # the async class the pool makes: as written
    assert "class Pool(_support.Twin[AsyncPool[C]], _typing.Generic[C]):" in text


def test_a_method_returning_a_type_variable_no_parameter_uses_keeps_its_signature(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, asyncssh's `SFTPClientFile.read(...) -> AnyStr` (no parameter uses AnyStr) was copied into the
    # twin, where mypy --strict rejects it ("A function returning TypeVar should receive at least one argument
    # containing the same TypeVar"), though mypy never checks it in the installed library. The twin keeps the
    # signature with an ignore for that error, so callers get what async callers get (mypy reads `str`).
    source = """
from typing import AnyStr, TypeVar, cast

T = TypeVar("T")


class AsyncFile:
    async def read(self, size: int = -1) -> AnyStr:  # fine for mypy: an async def returns a coroutine
        data: object = b"data"  # str or bytes, by the file's mode at run time
        return cast(AnyStr, data)

    async def echo(self, value: T) -> T:
        return value
"""
    usage = """
from typing import assert_type

from gen_unsolvable.sync import File

f = File()
assert_type(f.read(), str)
assert_type(f.echo(3), int)
print(f.read())
f.close()
"""
    text = generate_and_use(tmp_path, monkeypatch, "gen_unsolvable", source, "AsyncFile", usage)
    assert "def read(self, size: int = -1) -> AnyStr:  # type: ignore[type-var]\n" in text
    assert "def echo(self, value: T) -> T:\n" in text


_CONDITIONAL_T = {
    "models": 'from typing import TypeVar\n\nT = TypeVar("T")\n',
    "aio": """
from typing import TYPE_CHECKING, Generic, Optional, TypeVar

if TYPE_CHECKING:
    from gen_conditional_t.models import T
else:
    T = TypeVar("T")


class AsyncQuerySet(Generic[T]):
    def __init__(self, model: Optional[type[T]] = None) -> None:
        self.model = model

    async def first(self) -> Optional[T]:
        return None
""",
}


_CONDITIONAL_T_USAGE = """
from typing import assert_type

from gen_conditional_t.sync import QuerySet

with QuerySet(int) as qs:
    assert_type(qs.first(), int | None)
    assert qs.first() is None
"""


def test_a_type_parameter_bound_differently_for_type_checkers_gets_both_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, ormar's QuerySet(Generic[T]) with `if TYPE_CHECKING: from ormar import T` / `else: T = TypeVar()`
    # was refused, blaming "a default value" (the twin's Generic[T] base needs T at run time; any type variable
    # does there, and type checkers read the TYPE_CHECKING one).
    output, text = _generate(tmp_path, monkeypatch, "gen_conditional_t", _CONDITIONAL_T, "AsyncQuerySet")
    checking, _, running = text.partition("if _typing.TYPE_CHECKING:\n")[2].partition("\nelse:\n")
    assert "    from gen_conditional_t.models import T\n" in checking + "\n"  # what type checkers read
    assert running.startswith("    from gen_conditional_t.aio import T\n")  # whichever the module made
    output.write_text(text)
    check_and_run_usage(tmp_path, "gen_conditional_t", _CONDITIONAL_T_USAGE)


_ORMAR_SHAPE = {
    "aio": """
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:  # ormar's newbasemodel defines its T so
    T = TypeVar("T", bound="AsyncModel")


class AsyncModel:
    async def save(self) -> int:
        return 1

    @classmethod
    def build(cls: type["T"]) -> "T":
        return cls()


M = TypeVar("M", bound=AsyncModel)


class AsyncQuerySet(Generic[M]):
    def __init__(self, model: type[M]) -> None:
        self.model = model

    def filter(self) -> "AsyncQuerySet[M]":
        return self

    async def first(self) -> M:
        return self.model()
""",
}


_ORMAR_SHAPE_USAGE = """
from typing import assert_type

from gen_ormar_shape.aio import AsyncModel
from gen_ormar_shape.sync import Model, QuerySet

qs = QuerySet(AsyncModel)
assert_type(qs.filter(), QuerySet[AsyncModel])
first = qs.first()
assert_type(first, Model)
assert isinstance(first, Model) and first.save() == 1
"""


def test_a_generic_twin_keeps_its_type_variable_in_its_own_annotations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, ormar's QuerySet(Generic[T]) with T bound to Model, both listed: `filter() -> QuerySet[T]` was
    # written `SyncQuerySet[SyncModel]`, which the twin's own parameter (bound to the async Model) refuses; and
    # `construct(cls: type[T]) -> T`, with T defined under TYPE_CHECKING, failed mypy (the twin drops `cls`'s
    # annotation: the ignore that a return-only type variable gets was not given, its TypeVar() not found).
    output, text = _generate(tmp_path, monkeypatch, "gen_ormar_shape", _ORMAR_SHAPE, "AsyncModel", "AsyncQuerySet")
    assert "def filter(self) -> QuerySet[M]:" in text
    assert "def first(self) -> Model:" in text
    assert "def build(cls) -> T:  # type: ignore[type-var]" in text
    output.write_text(text)
    check_and_run_usage(tmp_path, "gen_ormar_shape", _ORMAR_SHAPE_USAGE)


_REVIEW_21A_SHAPES = {
    "aio": """
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, Optional, TypeVar, Union

import typing_extensions

T = TypeVar("T")
M = typing_extensions.TypeVar("M", default=int)
Handler = Callable[[T], Awaitable[None]]  # a generic alias whose meaning the twin changes
Toolset = Union[Sequence[T], Callable[[], T]]


class Part(Generic[T, M]):
    pass


class TextPart(Part[str]):  # M's default fills the second argument (pydantic-ai's ToolReturnPart)
    pass


def validator(function: Callable[..., bool]) -> classmethod:  # type: ignore[type-arg]
    return classmethod(function)


class AsyncAgent(Generic[T]):
    def __init__(self, toolsets: Optional[Sequence[Toolset[T]]] = None) -> None:
        self.toolsets = toolsets

    async def run(self, prompt: str) -> str:
        return prompt


    @validator
    def check(cls, value: bool) -> bool:  # pydantic's validators are classmethods by their decorator
        return value

    async def part(self) -> TextPart:
        return TextPart()

    async def handler(self) -> Handler[int]:
        async def handle(value: int) -> None:
            pass

        return handle
""",
}


_REVIEW_21A_USAGE = """
from gen_review21a.sync import Agent

agent: Agent[int] = Agent(toolsets=[[1, 2]])
assert agent.run("hi") == "hi"
assert Agent.check(True) is True
"""


def test_review_21a_generator_shapes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Before (pydantic-ai, langchain), a base written with fewer arguments than parameters, the rest taking
    # their PEP 696 defaults, was refused ("a type checker rejects it too": it does not); a Sequence of a generic
    # alias was written `list[Union[...][T]]`, no type; a pydantic validator `def v(cls, ...)` (a classmethod by
    # its decorator) was written as an instance method whose body named `self`.
    output, text = _generate(tmp_path, monkeypatch, "gen_review21a", _REVIEW_21A_SHAPES, "AsyncAgent")
    assert "][" not in text.partition("class Agent")[2].partition('"""')[0]
    assert "toolsets: Optional[Sequence[Toolset[T]]] = None" in text
    assert "def handler(self) -> _typing.Any:" in text  # Handler[int] with its body written out: not a type
    assert "    @classmethod\n    def check(cls, value: bool) -> bool:" in text
    output.write_text(text)
    check_and_run_usage(tmp_path, "gen_review21a", _REVIEW_21A_USAGE)


_STARRED_PARAMETERS = {
    "aio": """
from typing import Generic, TypeVarTuple

Ts = TypeVarTuple("Ts")


class AsyncResult(Generic[*Ts]):  # SQLAlchemy's AsyncResult: `Generic[Unpack[_Ts]]` written with a star
    def __init__(self, *values: *Ts) -> None:
        self.values = values

    async def one(self) -> tuple[*Ts]:
        return self.values
""",
}


def test_a_type_variable_tuple_written_with_a_star_is_imported_by_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, SQLAlchemy's AsyncResult could not be listed: "a type parameter ... uses the name '*_Ts', which
    # module ... neither defines nor imports".
    output, text = _generate(tmp_path, monkeypatch, "gen_starred", _STARRED_PARAMETERS, "AsyncResult")
    assert "from gen_starred.aio import AsyncResult, Ts" in text
    output.write_text(text)
    usage = "from gen_starred.sync import Result\n\nassert Result(1, 'a').one() == (1, 'a')\n"
    check_and_run_usage(tmp_path, "gen_starred", usage)


RECEIVER_SOURCE = """
from typing import Generic, Literal, TypeVar, overload

D = TypeVar("D", bound=bool, covariant=True)  # with a writable attribute of that type (`decode`)


class AsyncSocket(Generic[D]):
    def __init__(self, decode: D) -> None:
        self.decode = decode

    @overload
    async def receive(self: "AsyncSocket[Literal[True]]") -> str: ...

    @overload
    async def receive(self: "AsyncSocket[Literal[False]]") -> bytes: ...

    async def receive(self) -> str | bytes:
        return "text" if self.decode else b"bytes"

    def __aiter__(self) -> "AsyncSocket[D]":
        return self

    @overload
    async def __anext__(self: "AsyncSocket[Literal[True]]") -> str: ...

    @overload
    async def __anext__(self: "AsyncSocket[Literal[False]]") -> bytes: ...

    async def __anext__(self) -> str | bytes:
        return "text" if self.decode else b"bytes"
"""


def test_overloads_told_apart_by_the_receivers_type_arguments_are_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiohttp's ``ClientWebSocketResponse.receive_str`` (before, typed ``str | bytes`` on the twin, ``str``
    for async callers): the receiver is written as the twin with the same type arguments."""
    usage = """
from typing import Literal, assert_type

from gen_receiver.sync import Socket

text = Socket[Literal[True]](True)
assert_type(text.receive(), str)
assert text.receive() == "text"
raw = Socket[Literal[False]](False)
assert_type(raw.receive(), bytes)
assert raw.receive() == b"bytes"
for item in text:  # `__anext__`'s overloads type `__iter__` and `__next__` (aiohttp's `for msg in ws`)
    assert_type(item, str)
    assert item == "text"
    break
assert_type(next(raw), bytes)
assert next(raw) == b"bytes"
"""
    text = generate_and_use(tmp_path, monkeypatch, "gen_receiver", RECEIVER_SOURCE, "AsyncSocket", usage)
    assert "    def receive(self: Socket[Literal[True]]) -> str: ..." in text
    assert "    def __iter__(self: Socket[Literal[False]]) -> _abc.Iterator[bytes]: ..." in text
    assert "    def __next__(self: Socket[Literal[False]]) -> bytes: ..." in text
    # A setter of an attribute typed by a covariant type variable: allowed on the async side, and on the twin.
    assert "    def decode(self, value: D) -> None:  # type: ignore[misc]" in text


SUBSCRIPTED_SOURCE = """
from __future__ import annotations

from typing import Any


class AsyncRedis:  # no type parameters (to mypy), as redis-py's Redis; subscriptable at run time
    def __class_getitem__(cls, item: Any) -> Any:
        return cls

    async def get(self, key: str) -> bytes:
        return key.encode()


class AsyncBroker:  # as faststream's RedisBroker: `-> Redis[bytes]`, mypy's "expects no type arguments" there
    async def connect(self) -> "AsyncRedis[bytes]":  # type: ignore[type-arg]
        return AsyncRedis()
"""

SUBSCRIPTED_USAGE = """
from typing import assert_type

from gen_subscripted.sync import Broker, Redis

broker = Broker()
connection = broker.connect()
assert_type(connection, Redis)
assert connection.get("k") == b"k"
"""


def test_a_listed_class_with_no_type_parameters_written_subscripted_gives_its_twin_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, `SyncRedis[bytes]`: mypy --strict refused the module ("expects no type arguments"), and the twin
    # class cannot be subscripted at run time (review 38f r14, faststream).
    text = generate_and_use(
        tmp_path, monkeypatch, "gen_subscripted", SUBSCRIPTED_SOURCE, "AsyncBroker", SUBSCRIPTED_USAGE, "AsyncRedis"
    )
    assert "def connect(self) -> Redis:" in text
