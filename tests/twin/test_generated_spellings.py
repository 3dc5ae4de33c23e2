"""Older or looser spellings in async source, as real libraries write them (redis-py, httpx), read truthfully.

- a method alias in the class body (``get_sharded_message = get_message``) is a method of the twin;
- a bare ``AsyncIterator`` / ``Awaitable`` result becomes ``Iterator[Any]`` / ``Any``;
- a sync def returning ``Union[Awaitable[T], T]`` (redis-py) returns ``T``, each member of a union once;
- ``async def __aiter__(self) -> AsyncIterator[int]`` written as an async generator iterates ``int``s;
- ``def m(self: _T) -> _T`` (``cls: type[_T]``), the spelling before ``typing.Self``, returns ``Self``;
- a class attribute with a value reads on the twin class and on a twin (``_attributes``);
- a property-like decorator of another library (aiohttp's ``reify``) gives a property, not a method.

The module is generated into ``tmp_path``, a usage script is checked with ``mypy --strict`` (``assert_type``)
and run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dualio.twin._generator import render_module
from dualio.twin._source import Target

from .test_generator import assert_mypy_strict, one_module_package

SOURCE = """
import asyncio
from typing import Any, AsyncIterator, Awaitable, TypeVar, Union

_ClientT = TypeVar("_ClientT", bound="AsyncClient")


class AsyncClient:
    async def get_message(self, timeout: float = 0.0) -> str | None:
        \"\"\"The next message, if one came.\"\"\"
        return f"message after {timeout}"

    get_sharded_message = get_message

    async def listen(self) -> AsyncIterator:  # type: ignore[type-arg]
        for number in range(3):
            await asyncio.sleep(0)
            yield number

    def unsubscribe(self, *channels: str) -> Awaitable:  # type: ignore[type-arg]
        return self._unsubscribe(channels)

    async def _unsubscribe(self, channels: Any) -> int:
        return len(channels)

    def exists(self, *keys: str) -> Union[Awaitable[int], int]:  # redis-py's ResponseT
        return self._unsubscribe(keys)

    def ttl(self, key: str) -> Awaitable[int | None] | int | None:
        return self._ttl()

    async def _ttl(self) -> int | None:
        return None

    async def initialize(self: _ClientT) -> _ClientT:
        return self

    @classmethod
    async def connect(cls: type[_ClientT]) -> _ClientT:
        return cls()

    async def __aenter__(self: _ClientT) -> _ClientT:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    async def __aiter__(self) -> AsyncIterator[int]:  # an async generator method
        yield 7
"""

USAGE = """
from collections.abc import Iterator
from typing import Any, assert_type

from gen_spellings.sync import Client

with Client() as client:
    assert_type(client, Client)
    assert type(client) is Client
    assert_type(client.get_sharded_message(1.5), str | None)
    assert client.get_sharded_message(1.5) == client.get_message(1.5) == "message after 1.5"
    assert_type(client.listen(), Iterator[Any])
    assert list(client.listen()) == [0, 1, 2]
    assert_type(client.unsubscribe("a", "b"), Any)
    assert client.unsubscribe("a", "b") == 2
    assert_type(client.exists("a"), int)
    assert client.exists("a") == 1
    assert_type(client.ttl("a"), int | None)
    assert client.ttl("a") is None
    assert_type(list(client), list[int])
    assert list(client) == [7]
    assert_type(client.initialize(), Client)
    assert client.initialize() is client
    connected = Client.connect()
    assert_type(connected, Client)
    assert type(connected) is Client
    connected.close()
"""


def generate_and_use(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    package: str,
    source: str,
    cls: str,
    usage: str,
    *also: str,
    modules: dict[str, str] | None = None,
) -> str:
    """Generate the twins of ``package.aio.cls`` (and ``also``) into one module; check ``usage`` with
    ``mypy --strict`` and run it; return the module's text. ``modules``: more modules of the package."""
    one_module_package(tmp_path, monkeypatch, package, source)
    for module, text in (modules or {}).items():
        (tmp_path / package / f"{module}.py").write_text(text)
    output = tmp_path / package / "sync.py"
    text = render_module([Target(f"{package}.aio", name, output) for name in (cls, *also)])
    output.write_text(text)
    check_and_run_usage(tmp_path, package, usage)
    return text


def check_and_run_usage(tmp_path: Path, package: str, usage: str) -> None:
    """``usage`` (a script using ``package.sync``) passes ``mypy --strict`` with the twin module, and runs."""
    (tmp_path / f"usage_{package}.py").write_text(usage)
    assert_mypy_strict(tmp_path, f"{package}/sync.py", f"usage_{package}.py")
    proc = subprocess.run(
        [sys.executable, f"usage_{package}.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr


def test_older_spellings_are_read_as_what_the_twin_returns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Before: the alias was copied as the async function (a call returned an unawaited coroutine), listen() was
    # typed AsyncIterator and unsubscribe() Awaitable, and initialize()/__enter__ returned the async class's
    # type variable (mypy --strict rejected the generated module; `with Client() as c` gave c: Any).
    text = generate_and_use(tmp_path, monkeypatch, "gen_spellings", SOURCE, "AsyncClient", USAGE)
    assert "def get_sharded_message(self, timeout: float = 0.0) -> str | None:" in text
    assert "def listen(self) -> _abc.Iterator[_typing.Any]:" in text
    assert "def unsubscribe(self, *channels: str) -> _typing.Any:" in text
    assert "def initialize(self) -> _typing.Self:" in text
    assert "def exists(self, *keys: str) -> int:" in text  # each member once
    assert "def ttl(self, key: str) -> int | None:" in text
    assert "def __enter__(self) -> _typing.Self:" in text


ATTRIBUTES_SOURCE = """
class AsyncClient:
    MAX_KEYS = 1000
    default_port: int = 7379
    \"\"\"The port used when none is given.\"\"\"
    connected = False

    async def __aenter__(self) -> "AsyncClient":
        self.connected = True
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.connected = False
"""

ATTRIBUTES_USAGE = """
from typing import assert_type

from gen_attributes.sync import Client

assert_type(Client.MAX_KEYS, int)
assert_type(Client.default_port, int)
assert Client.MAX_KEYS == 1000 and Client.default_port + 1 == 7380  # on the class: the async class's values


def connected(client: Client) -> bool:  # read in a function: mypy would narrow client.connected after an assert
    return client.connected


client = Client()
assert_type(client.connected, bool)
assert connected(client) is False
with client:
    assert connected(client) is True  # on a twin: the async object's, which __aenter__ set
client.default_port = 8000
assert client.default_port == 8000 and Client.default_port == 7379
"""


def test_a_class_attribute_reads_on_the_class_and_on_an_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: `connected = AsyncClient.connected` froze the class's False on the twin (client.connected stayed
    # False after __aenter__ set it), and `default_port: int = 7379` was an instance-only property
    # (Client.default_port was a property object).
    text = generate_and_use(tmp_path, monkeypatch, "gen_attributes", ATTRIBUTES_SOURCE, "AsyncClient", ATTRIBUTES_USAGE)
    assert "default_port: _support.Attribute[int] = _support.Attribute(AsyncClient)" in text
    assert '"""The port used when none is given."""' in text
    assert "MAX_KEYS = _support.attribute_like(AsyncClient, AsyncClient.MAX_KEYS)" in text


REIFY_SOURCE = """
from typing import Any, Callable


class reify:  # aiohttp's (propcache's under_cached_property is another): computed once, then read
    def __init__(self, wrapped: Callable[[Any], Any]) -> None:
        self.wrapped = wrapped
        self.name = wrapped.__name__

    def __get__(self, inst: Any, owner: Any = None) -> Any:
        if inst is None:
            return self
        value = inst.__dict__[self.name] = self.wrapped(inst)
        return value


class AsyncResponse:
    def __init__(self) -> None:
        self._url = "http://x"

    @reify
    def url(self) -> str:
        \"\"\"Where the response came from.\"\"\"
        return self._url

    async def text(self) -> str:
        return "body"
"""


def test_a_property_like_decorator_of_another_library_gives_an_attribute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, @reify's def was a method of the twin: response.url was a bound method (and mypy rejected the
    # generated call).
    usage = (
        "from typing import assert_type\n\nfrom gen_reify.sync import Response\n\n"
        "response = Response()\nassert_type(response.url, str)\nassert response.url.upper() == 'HTTP://X'\n"
        "assert response.text() == 'body'\n"
    )
    text = generate_and_use(tmp_path, monkeypatch, "gen_reify", REIFY_SOURCE, "AsyncResponse", usage)
    assert "    @property\n    def url(self) -> str:" in text
    assert "@url.setter" not in text  # read-only, as reify is


OVERLOADS_SOURCE = """
from typing import Literal, Protocol, overload


class ClientProtocol(Protocol):
    pass


class AsyncStore:
    @overload
    async def get(self, key: str) -> str | None: ...
    @overload
    async def get(self, key: str, default: str) -> str: ...
    async def get(self, key: str, default: str | None = None) -> str | None:
        \"\"\"The value, else ``default``.\"\"\"
        return default

    @overload
    async def fetch(self, key: str, *, raw: Literal[True]) -> bytes: ...
    @overload
    async def fetch(self, key: str, *, raw: Literal[False] = ...) -> str: ...
    async def fetch(self, key: str, *, raw: bool = False) -> bytes | str:
        return key.encode() if raw else key

    @overload
    @staticmethod
    async def parse(x: int) -> int: ...
    @overload
    @staticmethod
    async def parse(x: str) -> str: ...
    @staticmethod
    async def parse(x: int | str) -> int | str:
        return x

    @overload
    def ping(self: "AsyncStore") -> bool: ...  # redis-py's style: overloads told apart by self's type
    @overload
    def ping(self: ClientProtocol) -> bool: ...
    def ping(self) -> bool:
        return True
"""

OVERLOADS_USAGE = """
from typing import assert_type

from gen_overloads.sync import Store

store = Store()
assert_type(store.get("k"), str | None)
assert_type(store.get("k", "d"), str)
assert store.get("k", "d") == "d"
assert_type(store.fetch("k", raw=True), bytes)
assert_type(store.fetch("k"), str)
assert store.fetch("k", raw=True) == b"k" and store.fetch("k") == "k"
assert_type(store.ping(), bool)
assert_type(Store.parse(1), int)
assert_type(Store.parse("a"), str)
assert Store.parse(1) == 1 and Store.parse("a") == "a"
store.close()
"""


def test_overloads_are_kept_unless_they_differ_by_the_type_of_self(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, only the implementation's signature was written: get(k, "d") was `str | None` on the twin.
    text = generate_and_use(tmp_path, monkeypatch, "gen_overloads", OVERLOADS_SOURCE, "AsyncStore", OVERLOADS_USAGE)
    assert "    @_typing.overload\n    def get(self, key: str, default: str) -> str: ..." in text
    assert "    @_typing.overload\n    def fetch(self, key: str, *, raw: Literal[True]) -> bytes: ..." in text
    assert "    @_typing.overload\n    @staticmethod\n    def parse(x: str) -> str: ..." in text
    assert "def ping(self) -> bool:" in text
    assert text.count("def ping(") == 1  # self-typed overloads would all read `def ping(self)`: left out


SHADOWING_SOURCE = """
import builtins
from typing import Any, Callable


class Commands:  # a command mixin, as redis-py's
    async def type(self, key: str) -> str:  # TYPE
        return "string"

    async def set(self, key: str, value: str) -> bool:  # SET
        return True

    async def str(self, x: int) -> "builtins.str":
        return "<str command>"

    async def property(self, name: "builtins.str") -> "builtins.str":
        return name

    async def int(self, x: "builtins.str") -> "builtins.int":
        return 0


class Reads:  # here `set` and `type` are the builtins
    async def members(self, key: str) -> set[str]:
        return {key}

    async def factory(self) -> type[int]:
        return int

    async def render(self, n: int, fmt: Callable[[Any], str] = str, width: int = int("3")) -> str:
        return f"{fmt(n)}/{width}"

    @property
    def size(self) -> int:
        return 1


class AsyncKV(Commands, Reads):  # the twin has all of them in one class body
    async def __aenter__(self) -> "AsyncKV":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None
"""

SHADOWING_USAGE = """
from typing import assert_type

from gen_shadowing.sync import KV

with KV() as kv:
    assert_type(kv.type("k"), str)
    assert_type(kv.set("k", "v"), bool)
    assert_type(kv.members("k"), set[str])
    assert_type(kv.factory(), type[int])
    assert kv.type("k") == "string" and kv.members("k") == {"k"} and kv.factory() is int
    assert kv.render(5) == "5/3"  # defaults evaluated in the twin's class body: the builtins str and int
    assert_type(kv.size, int)
    assert kv.size == 1 and kv.property("p") == "p" and kv.str(1) == "<str command>" and kv.int("1") == 0
"""


def test_members_named_like_builtins_do_not_change_what_annotations_mean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, `type` and `set` in annotations of the twin's class body named its own methods: mypy rejected the
    # module ('Function "KV.type" is not valid as a type'), the generator's own __exit__ included; and defaults
    # and decorators (`fmt=str`, `@property`) named them too, so the module failed to import.
    text = generate_and_use(tmp_path, monkeypatch, "gen_shadowing", SHADOWING_SOURCE, "AsyncKV", SHADOWING_USAGE)
    assert "def members(self, key: _builtins.str) -> _builtins.set[_builtins.str]:" in text
    assert "exc_type: _builtins.type[BaseException] | None" in text
    assert "fmt: Callable[[Any], _builtins.str] = _builtins.str, width: _builtins.int = _builtins.int('3')" in text
    assert "    @_builtins.property\n    def size(self) -> _builtins.int:" in text


SELF_SOURCE = """
from typing import Self, TypeVar

_T = TypeVar("_T", bound="AsyncNode")


class AsyncNode:
    async def siblings(self) -> list[Self]:
        return [self]

    async def siblings_t(self: _T) -> list[_T]:
        return [self]

    async def named(self) -> dict[str, Self]:
        return {"me": self}

    async def pair(self) -> tuple[Self, int]:
        return self, 1

    async def which(self) -> str:
        return "node"
"""

SELF_USAGE = """
from typing import assert_type

from gen_self.sync import Node

node = Node()
assert_type(node.siblings(), list[Node])
assert_type(node.siblings_t(), list[Node])
assert_type(node.named(), dict[str, Node])
assert_type(node.pair(), tuple[Node, int])
assert [type(n) for n in node.siblings()] == [Node] and node.siblings()[0] is node
assert node.siblings_t()[0] is node and node.named()["me"] is node and node.pair()[0] is node
assert node.siblings()[0].which() == "node"
node.close()
"""


def test_self_inside_a_container_arrives_as_the_twin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Before, list[Self] was typed list[Node] while it held AsyncNode objects (mypy passed; a call on an item
    # returned a coroutine never awaited): Self inside a container was not traversed.
    generate_and_use(tmp_path, monkeypatch, "gen_self", SELF_SOURCE, "AsyncNode", SELF_USAGE)


QUALIFIED_SOURCE = """
import dataclasses
from typing import ClassVar, Final


async def _send(self: "AsyncClient", data: bytes) -> int:
    return len(data)


async def _get(self: "AsyncClient", url: str) -> str:
    return "got " + url


class AsyncPool:
    async def size(self) -> int:
        return 2


@dataclasses.dataclass
class AsyncClient:
    name: str = "c"
    tags: list[str] = dataclasses.field(default_factory=list)
    instances: ClassVar[int] = 0
    LIMIT: Final = 10
    RETRIES: Final[int] = 3
    pool: ClassVar[AsyncPool | None] = None

    send = _send
    get, fetch = _get, _get

    def __post_init__(self) -> None:
        AsyncClient.instances += 1

    async def ping(self) -> str:
        return "pong"
"""

QUALIFIED_USAGE = """
from typing import assert_type

from gen_qualified.sync import Client

assert_type(Client.LIMIT, int)
assert_type(Client.RETRIES, int)
first, second = Client(), Client()
assert_type(Client.instances, int)
assert Client.instances == 2 and first.instances == 2  # read when asked, not copied when the module loaded
assert Client.LIMIT == 10 and Client.RETRIES == 3
assert_type(first.tags, list[str])
assert first.tags == []
assert_type(first.send(b"abc"), int)
assert first.send(b"abc") == 3  # a module function assigned in the class body is a method
assert_type(first.fetch("v"), str)
assert first.get("u") == "got u" and first.fetch("v") == "got v"  # assigned as a tuple, too
assert first.pool is None
first.close()
second.close()
"""


def test_qualified_and_factory_attributes_and_module_functions_in_the_class_body(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: ClassVar was copied when the module loaded (instances stayed 0); Final[int] gave
    # Attribute[Final[int]], which mypy rejects; a default_factory field was an Attribute that raised on the class;
    # an attribute typed with a twinned class was an Attribute that returned the async object on the class; and
    # `send = _send` was an Attribute whose call returned a coroutine never awaited (and `get, fetch = ...`
    # was dropped without a word).
    text = generate_and_use(
        tmp_path, monkeypatch, "gen_qualified", QUALIFIED_SOURCE, "AsyncClient", QUALIFIED_USAGE, "AsyncPool"
    )
    assert "instances: _support.Attribute[int] = _support.Attribute(AsyncClient)" in text
    assert "LIMIT = _support.attribute_like(AsyncClient, AsyncClient.LIMIT)" in text
    assert "RETRIES: _support.Attribute[int] = _support.Attribute(AsyncClient)" in text
    assert "def tags(self) -> list[str]:" in text
    assert "def send(self, data: bytes) -> int:" in text
    assert "pool: ClassVar[AsyncPool | None] = AsyncClient.pool" in text  # a type the twin changes: as written


ALIASES_SOURCE = """
from typing import Awaitable, Union

from gen_aliases.types import ResponseT

Count = int  # an alias the twin does not change: kept by name
JSON = Union[dict[str, "JSON"], list["JSON"], str, int, None]  # recursive
MaybeAwaitable = Union[Awaitable[int], int]


class AsyncClient:
    def incr(self, key: str) -> ResponseT:  # redis-py's commands: a sync def returning an awaitable
        return self._one()

    def decr(self, key: str) -> MaybeAwaitable:
        return self._one()

    async def _one(self) -> int:
        return 1

    async def count(self) -> Count:
        return 2

    async def document(self) -> JSON:
        return {"a": [1]}
"""

ALIASES_USAGE = """
from typing import Any, assert_type

from gen_aliases.sync import Client
from gen_aliases.aio import JSON

client = Client()
assert_type(client.incr("k"), Any)
assert_type(client.decr("k"), int)
assert client.incr("k") == 1 and client.decr("k") == 1
assert_type(client.count(), int)
assert_type(client.document(), JSON)
assert client.document() == {"a": [1]}
client.close()
"""


def test_a_type_alias_the_twin_changes_is_read_as_what_it_stands_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, `-> ResponseT` (Union[Awaitable[Any], Any]) was kept as written: typed as possibly awaitable while
    # the twin returns the awaited value.
    types = "from typing import Any, Awaitable, Union\n\nResponseT = Union[Awaitable[Any], Any]\n"
    text = generate_and_use(
        tmp_path, monkeypatch, "gen_aliases", ALIASES_SOURCE, "AsyncClient", ALIASES_USAGE, modules={"types": types}
    )
    assert "def incr(self, key: str) -> Any:" in text
    assert "def decr(self, key: str) -> int:" in text
    assert "def count(self) -> Count:" in text  # unchanged aliases keep their names
    assert "def document(self) -> JSON:" in text
