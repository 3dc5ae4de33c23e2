"""Decorated members in generated twins: class decorators that add members (aiofiles' ``@delegate_to_executor``),
untyped decorators (aiocache's ``@cached``), decorators that supply leading parameters (aiomcache), decorators that
bind in ``__get__`` (async_lru), attributes a decorator puts on a method (asyncstdlib's ``lru_cache``), decorators
annotated to reshape a method, and ``@deprecated`` members (warned once, at the caller's line).
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

from dualio import twin

from ._helpers_generate import _package
from .test_generated_spellings import generate_and_use
from .test_generator import _MYPY_CACHE

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


DECORATORS = """
import functools


class cached:
    def __init__(self, ttl=None):
        self.ttl = ttl
        self.store = {}

    def __call__(self, f):
        @functools.wraps(f)
        async def decorator(*args, cache_read=True, **kwargs):
            key = (args[1:], tuple(sorted(kwargs.items())))
            if cache_read and key in self.store:
                return self.store[key]
            value = await f(*args, **kwargs)
            self.store[key] = value
            return value

        return decorator


def retried(times):
    def wrap(f):
        @functools.wraps(f)
        async def inner(*args, attempts=times, **kwargs):
            return (await f(*args, **kwargs), attempts)

        return inner

    return wrap


class Logged:
    def __call__(self, f: "F") -> "F":
        return f


from typing import TypeVar, Any
from collections.abc import Callable

F = TypeVar("F", bound=Callable[..., Any])
"""


SOURCE = """
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from . import _decorators
from ._decorators import Logged, cached

P = ParamSpec("P")
R = TypeVar("R")


def typed(f: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    return f


class AsyncStore:
    calls = 0

    @cached(ttl=10)
    async def get(self, key: str) -> str:
        AsyncStore.calls += 1
        await asyncio.sleep(0)
        return key.upper()

    @_decorators.retried(3)
    async def put(self, key: str) -> bool:
        return bool(key)

    @typed
    async def count(self) -> int:
        return AsyncStore.calls

    @Logged()
    async def name(self, upper: bool = False) -> str:
        return "STORE" if upper else "store"
"""


USAGE = """
from typing import Any, assert_type

from gen_decorated.sync import Store

store = Store()
assert_type(store.get("a"), Any)
assert store.get("a") == "A"
assert store.get("a") == "A"
assert store.count() == 1
assert store.get("a", cache_read=False) == "A"
assert_type(store.count(), int)
assert store.count() == 2
assert store.put("k", attempts=5) == (True, 5)
assert_type(store.name(upper=True), str)
assert store.name(upper=True) == "STORE"
"""


def test_an_untyped_decorator_makes_the_method_take_and_return_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The decorators are untyped as aiocache's are: the package's own modules fail `mypy --strict` for that (a
    # third-party package's would be read as they are), which is not what this checks.
    (tmp_path / "mypy.ini").write_text(
        "[mypy]\n\n[mypy-gen_decorated._decorators]\nignore_errors = True\n\n"
        "[mypy-gen_decorated.aio]\nignore_errors = True\n"
    )
    text = generate_and_use(
        tmp_path, monkeypatch, "gen_decorated", SOURCE, "AsyncStore", USAGE, modules={"_decorators": DECORATORS}
    )
    assert "def get(self, *args: _typing.Any, **kwargs: _typing.Any) -> _typing.Any:" in text
    assert "def put(self, *args: _typing.Any, **kwargs: _typing.Any) -> _typing.Any:" in text
    assert "def count(self) -> int:" in text
    assert "def name(self, upper: bool = False) -> str:" in text


SUPPLIED_SOURCE = """
from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Concatenate, ParamSpec, TypeVar, overload

P = ParamSpec("P")
T = TypeVar("T")
C = TypeVar("C", bound="AsyncCache")
U = TypeVar("U")


class Connection:
    def __init__(self, cache: AsyncCache) -> None:
        self.data = cache.data


def acquire(func: Callable[Concatenate[C, Connection, P], Awaitable[T]]) -> Callable[Concatenate[C, P], Awaitable[T]]:
    @functools.wraps(func)
    async def wrapper(self: C, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await func(self, Connection(self), *args, **kwargs)

    return wrapper


class AsyncCache:
    def __init__(self) -> None:
        self.data: dict[bytes, bytes] = {}

    @acquire
    async def set(self, conn: Connection, key: bytes, value: bytes, exptime: int = 0) -> bool:
        conn.data[key] = value
        return True

    @acquire
    @overload
    async def get(self, conn: Connection, /, key: bytes, default: None = ...) -> bytes | None: ...

    @acquire
    @overload
    async def get(self, conn: Connection, /, key: bytes, default: U) -> bytes | U: ...

    @acquire
    async def get(self, conn: Connection, /, key: bytes, default: U | None = None) -> bytes | U | None:
        return conn.data.get(key, default)
"""


SUPPLIED_USAGE = """
from typing import assert_type

from gen_supplied.sync import Cache

cache = Cache()
assert cache.set(b"k", b"v") is True
assert cache.set(b"k2", b"w", exptime=5)
value = cache.get(b"k")
assert_type(value, bytes | None)
assert value == b"v"
fallback = cache.get(b"missing", 7)
assert_type(fallback, bytes | int)
assert fallback == 7
"""


def test_parameters_a_decorator_supplies_are_not_the_callers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = generate_and_use(tmp_path, monkeypatch, "gen_supplied", SUPPLIED_SOURCE, "AsyncCache", SUPPLIED_USAGE)
    assert "def set(self, key: bytes, value: bytes, exptime: int = 0) -> bool:" in text
    assert "conn" not in text


BINDING_SOURCE = """
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any


class _Bound:
    def __init__(self, wrapper: cache_method, instance: Any) -> None:
        self._wrapper = wrapper
        self._instance = instance

    async def __call__(self, *args: Any) -> Any:
        cache = self._wrapper.cache
        if args not in cache:
            cache[args] = await self._wrapper.fn(self._instance, *args)
        return cache[args]


class cache_method:
    \"\"\"As async_lru's alru_cache: read from the class, it binds to None.\"\"\"

    def __init__(self, fn: Callable[..., Awaitable[Any]]) -> None:
        self.fn = fn
        self.cache: dict[tuple[Any, ...], Any] = {}

    def __get__(self, instance: Any, owner: type | None = None) -> _Bound:
        return _Bound(self, instance)


class AsyncClient:
    def __init__(self) -> None:
        self.fetched = 0

    @cache_method
    async def fetch(self, key: str) -> str:
        self.fetched += 1
        return key.upper()
"""


BINDING_USAGE = """
from gen_binding.sync import Client
from dualio.twin import unwrap

client = Client()
assert client.fetch("a") == "A"
assert client.fetch("a") == "A"
assert unwrap(client).fetched == 1
"""


def test_a_decorator_that_binds_in_get_is_read_through_the_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = generate_and_use(tmp_path, monkeypatch, "gen_binding", BINDING_SOURCE, "AsyncClient", BINDING_USAGE)
    assert "_support.through_instance(AsyncClient, 'fetch')" in text


CACHED_SOURCE = """
from __future__ import annotations

import asyncio

import asyncstdlib


class AsyncLookup:
    def __init__(self) -> None:
        self.misses: list[str] = []

    @asyncstdlib.lru_cache(maxsize=8)
    async def cached(self, key: str) -> str:
        self.misses.append(key)
        await asyncio.sleep(0)
        return key.upper()
"""


CACHED_USAGE = """
from typing import Any, assert_type, cast

from gen_cached.sync import Lookup

lookup = Lookup()
assert_type(lookup.cached("a"), str)
assert lookup.cached("a") == "A"
info = cast(Any, lookup.cached).cache_info()  # not typed: mypy sees the twin's method
assert (info.hits, info.misses) == (1, 1), info
cast(Any, lookup.cached).cache_clear()
assert lookup.cached("a") == "A"
assert lookup.misses == ["a", "a"]
"""


def test_a_generated_twin_reaches_the_attributes_a_decorator_puts_on_a_method(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = generate_and_use(tmp_path, monkeypatch, "gen_cached", CACHED_SOURCE, "AsyncLookup", CACHED_USAGE)
    assert "def cached(self, key: str) -> str:" in text


RESHAPING_DECORATORS = """
from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")
S = TypeVar("S")


def with_prefix(fn: Callable[Concatenate[S, P], Awaitable[T]]) -> Callable[Concatenate[S, str, P], Awaitable[T]]:
    @functools.wraps(fn)
    async def wrapper(self: S, prefix: str, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await fn(self, *args, **kwargs)

    return wrapper


def with_timeout(fn: Callable[P, Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    @functools.wraps(fn)
    async def wrapper(*args: Any, timeout_s: float | None = None, **kwargs: Any) -> T:
        return await asyncio.wait_for(fn(*args, **kwargs), timeout_s)

    return wrapper


def labelled(fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[tuple[str, T]]]:
    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> tuple[str, T]:
        return ("label", await fn(*args, **kwargs))

    return wrapper


def background(fn: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, "asyncio.Task[T]"]:
    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> asyncio.Task[T]:
        return asyncio.get_running_loop().create_task(fn(*args, **kwargs))

    return wrapper
"""


RESHAPED_SOURCE = """
from __future__ import annotations

from ._decorators import background, labelled, with_prefix, with_timeout


class AsyncClient:
    @with_prefix
    async def prefixed(self, x: str) -> str:
        return x

    @with_timeout
    async def slow(self, seconds: float) -> str:
        return f"waited {seconds}"

    @labelled
    async def named(self, x: str) -> str:
        return x

    @background
    async def later(self, x: str) -> str:
        return x * 2
"""


RESHAPED_USAGE = """
from typing import Any, assert_type

from gen_reshaped.sync import Client

client = Client()
assert_type(client.prefixed("P", "x"), Any)  # a parameter added: the twin takes anything, as a superset
assert client.prefixed("P", "x") == "x"
assert client.slow(0.01, timeout_s=5) == "waited 0.01"  # before: "unexpected keyword argument 'timeout_s'"
assert client.named("x") == ("label", "x")
future = client.later("ab")  # a task the call returns comes back as a PortalFuture, not awaited
assert_type(future, Any)
assert future.result(timeout=5) == "abab"
"""


def test_decorators_annotated_to_reshape_a_method_make_the_twin_take_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = generate_and_use(
        tmp_path,
        monkeypatch,
        "gen_reshaped",
        RESHAPED_SOURCE,
        "AsyncClient",
        RESHAPED_USAGE,
        modules={"_decorators": RESHAPING_DECORATORS},
    )
    for name in ("prefixed", "slow", "named", "later"):
        assert f"def {name}(self, *args: _typing.Any, **kwargs: _typing.Any) -> _typing.Any:" in text


DEPRECATED_SOURCE = """
from __future__ import annotations

from collections.abc import AsyncIterator

from typing_extensions import deprecated


class AsyncBox:
    @deprecated("use get() instead")
    async def fetch(self) -> int:
        return 1

    @deprecated("use items() instead", category=FutureWarning)
    async def stream(self) -> AsyncIterator[int]:
        yield 1

    @classmethod
    @deprecated("use AsyncBox() instead")
    async def build(cls) -> AsyncBox:
        return cls()

    @deprecated("documented only", category=None)
    async def quiet(self) -> int:
        return 3

    async def get(self) -> int:
        return 2
"""


DEPRECATED_USAGE = """
import warnings
from typing import assert_type

from gen_deprecated.sync import Box

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    box = Box.build()
    assert_type(box.fetch(), int)
    assert list(box.stream()) == [1]
    assert box.quiet() == 3
    assert box.get() == 2
seen = [(w.category.__name__, str(w.message), w.filename == __file__) for w in caught]
assert seen == [
    ("DeprecationWarning", "use AsyncBox() instead", True),
    ("DeprecationWarning", "use get() instead", True),
    ("FutureWarning", "use items() instead", True),
], seen
"""


def _warnings_of(calls: Any) -> list[tuple[str, str, str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        calls()
    return [(w.category.__name__, str(w.message), Path(w.filename).name) for w in caught]


def test_a_deprecated_member_warns_once_in_the_callers_line_on_a_run_time_twin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, the warning named dualio's ``_runtime.py`` (so Python's default filters hid it) and the twin's
    method had no ``__deprecated__``."""
    _package(tmp_path, monkeypatch, "rt_deprecated", {"aio": DEPRECATED_SOURCE})
    aio = importlib.import_module("rt_deprecated.aio")
    box_cls: Any = twin.sync_class(aio.AsyncBox)
    here = Path(__file__).name

    def calls() -> None:
        box = box_cls.build()
        assert box.fetch() == 1
        assert list(box.stream()) == [1]
        assert box.quiet() == 3
        assert box.get() == 2
        box.close()

    assert _warnings_of(calls) == [
        ("DeprecationWarning", "use AsyncBox() instead", here),
        ("DeprecationWarning", "use get() instead", here),
        ("FutureWarning", "use items() instead", here),
    ]
    assert box_cls.fetch.__deprecated__ == "use get() instead"


def test_a_generated_twin_keeps_deprecated_and_warns_once_in_the_callers_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = generate_and_use(tmp_path, monkeypatch, "gen_deprecated", DEPRECATED_SOURCE, "AsyncBox", DEPRECATED_USAGE)
    assert "    @deprecated('use get() instead')\n    def fetch(self) -> int:" in text
    assert "    @classmethod\n    @deprecated('use AsyncBox() instead')\n    def build(cls) -> Box:" in text
    assert "from typing_extensions import deprecated" in text
    # With mypy's `deprecated` error code on, the generated module is clean and a caller's use is flagged.
    (tmp_path / "calls_fetch.py").write_text("from gen_deprecated.sync import Box\n\nBox().fetch()\n")
    command = [sys.executable, "-m", "mypy", "--strict", "--enable-error-code", "deprecated"]
    checked = subprocess.run(
        [*command, "--cache-dir", str(_MYPY_CACHE), "gen_deprecated/sync.py", "calls_fetch.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert checked.stdout.splitlines()[:-1] == [
        "calls_fetch.py:3: error: function gen_deprecated.sync.Box.fetch is deprecated: use get() instead  [deprecated]"
    ]
