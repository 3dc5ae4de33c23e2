"""``sync_class``: build a sync twin class of an async class at run time.

What maps to what (the same rules as the generator, see docs/twin.md):

===================================  ================================================================
async class member                   twin member
===================================  ================================================================
``__init__``                         constructor; the async object is created on the portal's loop
``async def m``                      ``def m``, blocking, run on the loop
``async def m`` with ``yield``       ``def m`` returning an iterator (break / close ``aclose()``\\ s it)
``def m`` (sync)                     ``def m`` run on the loop; an awaitable it returns is awaited there
classmethod / staticmethod           the same, run on the loop (async factories return twins)
property, data descriptor            property, read and written in the calling thread
``__aenter__`` / ``__aexit__``       ``__enter__`` / ``__exit__``
``__aiter__`` / ``__anext__``        ``__iter__`` / ``__next__``
``aclose`` / ``close``               ``close()`` (also closes the twin)
``__call__``, ``__len__``, ...       the same dunder, run on the loop
plain class attribute                the same class attribute
public member of the metaclass       read on the twin class (``SyncAuthor.objects``), value mapped
instance attribute                   read and written through the twin (``__getattr__``/``__setattr__``)
``_private`` names, other dunders    not mapped (``dualio.twin.unwrap(twin)`` reaches the async object)
===================================  ================================================================
"""

from __future__ import annotations

import ast
import functools
import inspect
import sys
import textwrap
import types
import warnings
from collections.abc import Callable
from types import TracebackType
from typing import Any

from . import _registry, _runtime
from ._deprecation import deprecation, undeprecated, warning_first
from ._metaclass_members import MetaclassMembers, metaclass_members
from ._method_attributes import MethodWithAttributes, has_own_attributes
from ._registry import partial_target
from ._runtime import Twin
from ._source import skips_the_loop, twin_name

__all__ = ("instance_twin_class", "map_unread_members", "register_generated", "sync_class", "through_instance")

# Operators a twin passes through (anyio's ``Path``: ``path / "name"``, ``a < b``); ``==`` and ``hash()`` are
# the Twin base's, in the calling thread. In-place forms fall back to these (``t += x`` is ``t = t + x``).
_BINARY = ("add", "sub", "mul", "matmul", "truediv", "floordiv", "mod", "pow", "and", "or", "xor", "lshift", "rshift")
_OPERATORS = frozenset(f"__{prefix}{name}__" for name in _BINARY for prefix in ("", "r")) | {
    "__lt__",
    "__le__",
    "__gt__",
    "__ge__",
    "__neg__",
    "__pos__",
    "__abs__",
    "__invert__",
}
# Sync dunders that pass through to the async object (run on the loop, the result mapped).
PASSED_DUNDERS = (
    frozenset({"__call__", "__len__", "__getitem__", "__setitem__", "__delitem__", "__contains__", "__bool__"})
    | _OPERATORS
)
_TWIN_OWN = frozenset({"close", "aclose"})


def sync_class(async_cls: type, *, name: str | None = None) -> type[Any]:
    """Return the sync twin class of ``async_cls``, building and registering it on first use.

    Calling twinned methods, iterating, ``with`` and ``close()`` run on the twin's portal. The class is
    cached: a second call returns the same class (with another ``name``, a ``ValueError``). Thread-safe. The class
    is named ``name`` (default: ``AsyncSession`` -> ``Session``) in the module ``dualio.twin``, not in the async
    class's module, where the library may have a class of that name (psycopg's sync ``Connection``); its
    docstring names the async class. Like any class made at run time, it cannot be pickled by reference.

    Raises:
        TypeError: ``async_cls`` is not a class, or has no async member (no ``async def`` method, async
            generator method, ``__aenter__``, ``__aiter__`` or ``__anext__``, nor a ``def`` that
            ``functools.wraps`` an ``async def``): a sync class needs no twin; or it is bound to the task that
            enters it (``asyncio.Timeout``, ``asyncio.TaskGroup``), which a twin's ``with`` cannot keep.
        ValueError: ``name`` differs from the name of the twin class ``async_cls`` has already.
    """
    if not isinstance(async_cls, type):
        raise TypeError(
            f"sync_class() expects an async class, got {type(async_cls).__name__} {async_cls!r:.80}; "
            "pass the class itself (sync_class(AsyncSession)), not an instance or a function"
        )
    if issubclass(async_cls, Twin):
        raise TypeError(f"sync_class() got {async_cls.__qualname__}, which is already a sync twin class")
    if name is not None and not (isinstance(name, str) and name.isidentifier()):
        raise TypeError(f"sync_class(): name must be a Python identifier, got {name!r}")
    existing = _registry.twin_class_of(async_cls)
    if existing is not None:
        if name is not None and existing.__name__ != name:
            raise ValueError(
                f"sync_class(): {async_cls.__module__}.{async_cls.__qualname__} already has a twin class, "
                f"{existing.__module__}.{existing.__qualname__} (from a generated module, an earlier sync_class(), or "
                f"made when a call first returned one), and a class has one twin class: use that one, or call "
                f"sync_class({async_cls.__qualname__}, name={name!r}) before anything else makes it"
            )
        return existing
    if issubclass(async_cls, _registry.TASK_SCOPED):
        raise TypeError(
            f"sync_class() cannot twin {async_cls.__module__}.{async_cls.__qualname__}: it is bound to the task that "
            "enters it, and a twin's with block runs your block's code in your thread, where it cannot reach (a "
            "timeout could not interrupt the block; a failing task of a group could not cancel it). Limit twin "
            "calls with dualio.twin.timeout(seconds) instead, and run the whole async with in one coroutine: "
            "dualio.run(work()) with an async def work()"
        )
    if not _registry.has_async_members(async_cls) and _is_compiled(async_cls):
        raise TypeError(
            f"sync_class() cannot see the async members of {async_cls.__module__}.{async_cls.__qualname__}: its "
            "methods are compiled (an extension module's, such as pyo3's or Cython's), so inspect cannot tell which "
            "are async (psqlpy's ConnectionPool.connection); generate its twin with `dualio twin generate`, which "
            "reads the module's stub (.pyi); or make the object on the portal and call its methods in coroutines "
            "run there (dualio.run(work()) with an async def work())"
        )
    if not _registry.has_async_members(async_cls):
        raise TypeError(
            f"sync_class() expects a class with async members, but {async_cls.__module__}.{async_cls.__qualname__} "
            "has no async def method, async generator method, __aenter__, __aiter__ or __anext__ (nor a def that "
            "functools.wraps an async def, nor one annotated to return Awaitable[T], Coroutine[...] or "
            "asyncio.Future[T]): a sync class needs no twin, use it directly from sync code (if its "
            "constructor needs a running event loop, as aiohttp.CookieJar's does, create it on the portal's loop: "
            "dualio.run(make()) with an async def make that returns it); if its plain methods return coroutines "
            "or futures without saying so in an annotation, sync_class() cannot tell: write an async def that calls "
            "and awaits them (async def recv(): return await sock.recv()) and run that on the portal, "
            "dualio.run(recv()); not dualio.run(sock.recv()), which calls recv() in your thread, outside the "
            "portal's loop"
        )
    return _built_once(async_cls, name or twin_name(async_cls.__name__))


_HEAP_TYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class made at run time, as pyo3 makes its classes


def _is_compiled(async_cls: type) -> bool:
    """Whether ``async_cls`` is an extension module's class (pyo3, Cython), whose async methods ``inspect`` cannot
    see. Not Python's own built-in types (``dict``), which pyo3's classes resemble but for being heap types."""
    if async_cls.__module__ == "builtins" and not async_cls.__flags__ & _HEAP_TYPE:
        return False
    return any(isinstance(value, types.MethodDescriptorType) for value in vars(async_cls).values())


def builder_class(async_cls: type) -> type[Any]:
    """The twin class of a builder chained on (``_registry.chains_on``): ``sync_class``'s, or, for a class awaitable
    by its own ``__await__`` with no async member (coredis' ``CommandRequest``), one built the same way, whose
    sync methods run on the loop, an awaitable result being chained on again or awaited."""
    if _registry.has_async_members(async_cls):
        return sync_class(async_cls)
    return _built_once(async_cls, twin_name(async_cls.__name__))


def instance_twin_class(async_cls: type, names: tuple[str, ...]) -> type[Any]:
    """The run-time twin class of ``async_cls``, a class with no async member whose instances hold async functions
    in the attributes ``names`` (learnt from an instance): each is a method of the twin, run on the loop.

    openai's ``client.chat.completions.with_raw_response`` is such an object: ``self.create = ...`` in its
    ``__init__``. Registered as any twin class, so later instances of the class get it at once.
    """
    return _built_once(async_cls, twin_name(async_cls.__name__), instance_members=names)


def _built_once(async_cls: type, name: str, *, instance_members: tuple[str, ...] = ()) -> type[Any]:
    """The registered twin class of ``async_cls``, built (``_build``) and registered first if there is none."""
    with _registry._lock:
        existing = _registry.twin_class_of(async_cls)
        if existing is not None:
            return existing
        twin_cls = _build(async_cls, name, instance_members=instance_members)
        _registry.register(async_cls, twin_cls)
        return twin_cls


def map_unread_members(twin_cls: type[Any], async_cls: type) -> None:
    """Give the generated ``twin_cls`` the members of ``async_cls`` it lacks, mapped as ``sync_class`` maps them.

    For an async class whose class decorators add members the generator cannot read (aiofiles'
    ``@delegate_to_executor("read", "write", ...)``): the generated twin declares ``__getattr__ -> Any`` for type
    checkers and calls this when its module loads, so ``f.read()`` runs on the loop like any twin method.
    """
    _map_missing(twin_cls, async_cls, lambda name: not name.startswith("_") or name in PASSED_DUNDERS)


def _map_missing(twin_cls: type[Any], async_cls: type, wanted: Callable[[str], bool]) -> None:
    """Set on ``twin_cls`` each member of ``async_cls`` it lacks whose name is ``wanted``, mapped as ``sync_class``
    maps it (``close``/``aclose`` aside: the twin's own)."""
    for name, member in _members(async_cls).items():
        if wanted(name) and name not in _TWIN_OWN and not hasattr(twin_cls, name):
            mapped = _map_member(async_cls, name, member)
            if mapped is not None:
                setattr(twin_cls, name, mapped)


def register_generated(async_cls: type, twin_cls: type[Any]) -> None:
    """Register the generated ``twin_cls`` as the twin of ``async_cls`` (``_registry.register``), and give it the
    iteration protocol if the async class has one the generator did not read.

    The generator reads the bases of the async class's own package only. A class that gets ``__aiter__`` or
    ``__anext__`` from another package's base has no ``__iter__``/``__next__`` in its generated twin; here it gets
    them, mapped as ``sync_class`` maps them, so ``for item in twin`` works (type checkers do not see them). The
    ``with`` statement needs no such help: ``Twin.__enter__`` enters on the loop when the async class has
    ``__aenter__`` and ``__aexit__``. Public members such bases give (botocore's ``Session`` methods under
    aiobotocore's ``AioSession``) are mapped too, where the twin lacks them, and any other attribute is read
    from the async object, as ``sync_class``'s twin reads it: importing a generated twin module then takes nothing
    away from what ``sync_class`` gave (the generated class replaces the run-time one in the registry). Type
    checkers see such attributes only where the generated class declares ``__getattr__ -> Any`` (an async
    class with a ``__getattr__`` of its own, or members the generator could not read): an attribute that a
    method other than ``__init__`` sets (``self.transport`` in ``connect()``) works at run time, but mypy
    refuses it; read it with ``typing.cast(Any, twin).transport`` or list the attribute in the class body.
    """
    _registry.register(async_cls, twin_cls)
    for name, member in _members(async_cls).items():  # `client.cached.cache_info()`: see _method_attributes
        written = vars(twin_cls).get(name)
        if isinstance(written, types.FunctionType) and not name.startswith("_") and has_own_attributes(member):
            setattr(twin_cls, name, MethodWithAttributes(written, name))
    if hasattr(async_cls, "__aiter__") and not hasattr(twin_cls, "__iter__"):
        twin_cls.__iter__ = _runtime.iterate_self
    if hasattr(async_cls, "__anext__") and not hasattr(twin_cls, "__next__"):
        twin_cls.__next__ = _runtime.next_item
    if hasattr(async_cls, "__fspath__") and not hasattr(twin_cls, "__fspath__"):
        twin_cls.__fspath__ = _runtime._fspath
    if not hasattr(twin_cls, "__getattr__"):  # what the generator did not see: set outside __init__, or by a
        twin_cls.__getattr__ = _getattr  # __getattr__ of the class (anyio's AsyncFile forwards `name`, `closed`)
    package = async_cls.__module__.partition(".")[0]

    def from_another_package(name: str) -> bool:
        owner = next(klass for klass in async_cls.__mro__ if name in vars(klass))
        top = owner.__module__.partition(".")[0]
        return top != package and top not in sys.stdlib_module_names

    _map_missing(twin_cls, async_cls, lambda name: not name.startswith("_") and from_another_package(name))


def _members(async_cls: type) -> dict[str, Any]:
    """Every member of ``async_cls`` and its bases (a subclass's definition wins), ``object``'s excluded."""
    members: dict[str, Any] = {}
    for klass in reversed(async_cls.__mro__):
        if klass is not object:
            members.update(vars(klass))
    return members


# The module that run-time twin classes report: not the async class's, whose library may bind the same name to a
# class of its own (psycopg.Connection is psycopg's sync class, not sync_class(psycopg.AsyncConnection)).
_MODULE = "dualio.twin"


def _build(async_cls: type, name: str, *, instance_members: tuple[str, ...] = ()) -> type[Any]:
    namespace: dict[str, Any] = {
        "__slots__": (),
        "__module__": _MODULE,  # <class 'dualio.twin.Connection'>; the docstring names the async class
        "__qualname__": name,
        "__doc__": f"Sync twin of :class:`{async_cls.__module__}.{async_cls.__qualname__}` (built at run time).\n\n"
        + (inspect.getdoc(async_cls) or ""),
        "_dualio_async_class_": async_cls,
        "_dualio_maps_elements_": True,
    }
    members = _members(async_cls)
    for member_name, member in members.items():
        if member_name.startswith("_") and member_name not in PASSED_DUNDERS:
            continue
        if member_name in _TWIN_OWN:
            continue
        mapped = _map_member(async_cls, member_name, member)
        if mapped is not None:
            namespace[member_name] = mapped
    for member_name in instance_members:  # async functions an instance holds (``instance_twin_class``)
        # Run on the loop, what it gives awaited if awaitable: such a function may be a sync wrapper of an async
        # def whose result is an async context manager (openai's `with_streaming_response.create`).
        namespace[member_name] = _wrap(_instance_function(async_cls, member_name), _runtime.call_sync)
    namespace["__init__"] = _constructor(async_cls)
    if "aclose" in members:  # redis-py's docs say r.aclose(): the twin's close, not a raw coroutine function
        namespace["aclose"] = Twin.close
    if "__aenter__" in members and "__aexit__" in members:
        namespace["__enter__"] = _enter_self if _returns_self(members["__aenter__"]) else _enter
        namespace["__exit__"] = _exit
    if "__fspath__" in members:
        namespace["__fspath__"] = _runtime._fspath
    if "__aiter__" in members:
        namespace["__iter__"] = _runtime.iterate_self
    if "__anext__" in members:
        namespace["__next__"] = _runtime.next_item
    namespace["__getattr__"] = _getattr
    namespace["__setattr__"] = _setattr
    if getattr(async_cls, "__parameters__", ()):  # generic: `Pool[str](...)` as `AsyncPool[str](...)`
        namespace["__class_getitem__"] = classmethod(_subscript)
    base = _base_twin_class(async_cls)
    from_metaclass = metaclass_members(async_cls)
    if from_metaclass:  # ormar's `Author.objects`, a property of its metaclass: `SyncAuthor.objects`
        namespace["_dualio_metaclass_members_"] = from_metaclass
        return MetaclassMembers(name, (base,), namespace)
    return type(name, (base,), namespace)


def _base_twin_class(async_cls: type) -> type[Any]:
    """The twin class of ``async_cls``'s nearest base that has one (else ``Twin``): a twin built at run time for a
    subclass (a ``Pipeline`` of a ``Redis``) is an instance of the base's twin class, generated or not, as the
    annotations that promise the base's twin say."""
    for base in async_cls.__mro__[1:]:
        twin_cls = _registry.twin_class_of(base)
        if twin_cls is not None:
            return twin_cls
    return Twin


def _map_member(async_cls: type, name: str, member: Any) -> Any:
    """The twin's member for the async class's ``member``; one marked ``@deprecated`` warns in its caller's line
    and calls what the decorator wrapped (``_deprecation``)."""
    if isinstance(member, (staticmethod, classmethod)):
        read = getattr(async_cls, name)  # a classmethod's is bound to the async class already
        marked = deprecation(read)
        mapped = _class_level(name, undeprecated(read))
        return staticmethod(mapped if marked is None else warning_first(mapped, marked))
    marked = deprecation(member)
    if marked is not None:
        return warning_first(_map_member(async_cls, name, undeprecated(member)), marked)
    if isinstance(member, type):
        return member  # a nested class: passed through as it is
    if isinstance(member, functools.partialmethod):  # `send_ping = partialmethod(send, "ping")`: a method
        runner = _runner_of(partial_target(member))
        if runner is not None:
            return _wrap(_named(async_cls, name, getattr(async_cls, name)), runner)
    if inspect.isdatadescriptor(member) or (hasattr(type(member), "__get__") and not callable(member)):
        return _property(name, member)  # property, slot, cached_property and other descriptors
    runner = _runner_of(member)
    if runner is not None:
        if _unbound(async_cls, member):  # `fetch = functools.partial(get, "x")`: read as it is, so static
            return staticmethod(_class_level(name, member))
        method = _wrap(_named(async_cls, name, member), runner)
        return MethodWithAttributes(method, name) if has_own_attributes(member) else method  # `cache_info()`
    return _PassThrough(async_cls, name)  # a plain class attribute, which an instance attribute may shadow


def _unbound(async_cls: type, member: object) -> bool:
    """Whether an instance reads the callable class attribute ``member`` unbound (as it is): an object with no
    ``__get__``, or a ``functools.partial`` before Python 3.14 (3.13 gave it a ``__get__`` that returns it, with
    a ``FutureWarning``; from 3.14 on it binds, as a function does)."""
    if not hasattr(type(member), "__get__"):
        return True
    if not isinstance(member, functools.partial):
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return member.__get__(object(), async_cls) is member  # type: ignore[attr-defined, unused-ignore]


def _runner_of(function: object) -> Callable[..., Any] | None:
    """How the twin runs a method: as an iterator, a blocking call, a sync call on the loop; None: not callable."""
    if inspect.isasyncgenfunction(function):
        return _runtime.iterate
    if inspect.iscoroutinefunction(function):
        return _runtime.call
    if callable(function):
        return _runtime.call_sync
    return None


class _PassThrough:
    """A plain attribute: on the class, the async class's value; on a twin, the async object's (read and set)."""

    def __init__(self, async_cls: type, name: str) -> None:
        self.async_cls = async_cls
        self.name = name

    def __get__(self, twin: Twin[Any] | None, owner: type | None = None) -> Any:
        if twin is None:
            return getattr(self.async_cls, self.name)
        return _runtime.get_attribute(twin, self.name)

    def __set__(self, twin: Twin[Any], value: Any) -> None:
        _runtime.set_attribute(twin, self.name, value)


def _named(async_cls: type, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function``, or a function calling it that is named ``name``, if ``function`` is named otherwise: errors
    (a closed twin, a timeout) then name the member called, not a factory's inner function (aiofiles'
    ``read``, ``write`` are each a ``method``), a function made in a factory under the member's name (botocore's
    API methods: ``ClientCreator._create_api_method.<locals>._api_call`` named ``list_buckets``) or the method an
    alias stands for."""
    if getattr(function, "__name__", None) == name and "<locals>" not in getattr(function, "__qualname__", ""):
        return function

    qualname = f"{async_cls.__qualname__}.{name}"

    def renamed(*args: Any, **kwargs: Any) -> Any:
        result = function(*args, **kwargs)
        if type(result) is types.CoroutineType:
            result.__qualname__ = qualname  # what a timeout names
        return result

    renamed.__name__ = name
    renamed.__qualname__ = qualname
    renamed.__doc__ = getattr(function, "__doc__", None)
    return renamed


_through: dict[tuple[type, str], Callable[..., Any]] = {}


def through_instance(async_cls: type, name: str) -> Callable[..., Any]:
    """A function that calls ``obj.name(...)`` for an instance ``obj`` of ``async_cls``, reading the method through
    the instance as Python does (its descriptor's ``__get__`` binds it); named ``async_cls.name`` in errors.

    Generated twins call decorated methods through it: async_lru's ``alru_cache`` read from the class binds to
    ``None``, so ``AsyncClient.cached(obj, key)`` passes ``obj`` as the key. Made once per class and name."""
    function = _through.get((async_cls, name))
    if function is None:
        function = _through.setdefault((async_cls, name), _instance_function(async_cls, name))
    return function


def _instance_function(async_cls: type, name: str) -> Callable[..., Any]:
    """Call the async function that an instance holds in its attribute ``name`` (``obj.create(...)``)."""

    def held(obj: object, /, *args: Any, **kwargs: Any) -> Any:
        return getattr(obj, name)(*args, **kwargs)

    return _named(async_cls, name, held)  # errors name `create`, not `held`


def _wrap(function: Callable[..., Any], runner: Callable[..., Any]) -> Callable[..., Any]:
    def method(self: Twin[Any], /, *args: Any, **kwargs: Any) -> Any:
        return runner(self, function, *args, **kwargs)

    _copy_names(method, function)
    return method


def _class_level(name: str, bound: Callable[..., Any]) -> Callable[..., Any]:
    def method(*args: Any, **kwargs: Any) -> Any:
        return _runtime.class_elements(_runtime.call_class(bound, *args, **kwargs))

    _copy_names(method, bound)
    method.__name__ = name
    if not isinstance(getattr(bound, "__qualname__", None), str):  # a functools.partial has no name of its own
        method.__qualname__ = name
    return method


def _copy_names(wrapper: Callable[..., Any], function: Any) -> None:
    for attribute in ("__name__", "__qualname__", "__doc__"):
        value = getattr(function, attribute, None)
        if isinstance(value, str):
            setattr(wrapper, attribute, value)


def _property(name: str, member: Any) -> property:
    binds = not (inspect.isdatadescriptor(member) or callable(member) or isinstance(member, functools.cached_property))
    reader = _runtime.get_bound_callable if binds else _runtime.get_attribute

    def get(self: Twin[Any]) -> Any:
        return reader(self, name)

    def set_(self: Twin[Any], value: Any) -> None:
        _runtime.set_attribute(self, name, value)

    settable = getattr(member, "fset", None) is not None or (
        not isinstance(member, property) and hasattr(member, "__set__")
    )
    return property(get, set_ if settable else None, doc=getattr(member, "__doc__", None))


def _constructor(async_cls: type) -> Callable[..., None]:
    def __init__(self: Twin[Any], /, *args: Any, **kwargs: Any) -> None:
        _runtime.construct(self, async_cls, *args, **kwargs)

    try:
        __init__.__signature__ = inspect.signature(async_cls)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        pass
    return __init__


def _enter(self: Twin[Any]) -> Any:
    return _runtime.enter(self)


def _enter_self(self: Twin[Any]) -> Any:
    return _runtime.enter_self(self)


def _returns_self(function: object) -> bool:
    """Whether ``function``'s source is ``async def __aenter__(self): return self`` (read once per class)."""
    try:
        source = textwrap.dedent(inspect.getsource(function))  # type: ignore[arg-type]
        node = ast.parse(source).body[0]
    except (OSError, TypeError, SyntaxError, IndexError):
        return False  # no source (a C extension, a lambda...): take the round trip
    return isinstance(node, ast.AsyncFunctionDef) and skips_the_loop(node)


def _exit(
    self: Twin[Any], exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
) -> bool | None:
    suppress: bool | None = _runtime.exit(self, exc_type, exc, tb)
    return suppress


def _getattr(self: Twin[Any], name: str) -> Any:
    """Instance attributes of the async object (``__init__`` sets them, so the class cannot list them)."""
    if name.startswith("_dualio_"):  # a slot not bound yet: a failed constructor
        raise AttributeError(name)
    if name.startswith("_"):  # private names and dunders are not mapped: docs/twin.md, "What maps to what"
        raise AttributeError(
            f"{type(self).__qualname__!r} twin has no attribute {name!r}: private names and dunders of the async "
            f"object are not mapped; reach them with dualio.twin.unwrap(twin).{name} in code that runs on the "
            "twin's loop",
            name=name,
            obj=self,
        )
    try:
        return _runtime.get_attribute(self, name)
    except AttributeError as error:
        if hasattr(type(self._dualio_obj), "__await__") and not name.startswith("__"):
            error.add_note(
                f"{type(self).__qualname__} is the twin of an awaitable {type(self._dualio_obj).__qualname__}, not "
                "of what it gives when awaited (openers such as aiomysql.connect() and aiofiles.open() return "
                "one): for that, enter it (`with twin_of(opener(...)) as value:`) or await it "
                "(`value = dualio.twin.awaited(twin)`)"
            )
        raise


def _subscript(cls: type[Twin[Any]], params: object) -> types.GenericAlias:
    """``Twin[...]`` of a generic async class's twin: as many type arguments as the async class takes."""
    expected: tuple[object, ...] = getattr(cls._dualio_async_class_, "__parameters__", ())
    given = params if isinstance(params, tuple) else (params,)
    if len(given) != len(expected):
        raise TypeError(
            f"{cls.__qualname__}[...] takes {len(expected)} type argument(s), as "
            f"{cls._dualio_async_class_.__qualname__} does; got {len(given)}"
        )
    return types.GenericAlias(cls, given)


def _setattr(self: Twin[Any], name: str, value: Any) -> None:
    if name.startswith("_dualio_"):
        object.__setattr__(self, name, value)
    elif name == "__orig_class__":  # set by `Pool[str](...)` if it can: not an attribute of the async object
        raise AttributeError(name)
    else:
        _runtime.set_attribute(self, name, value)
