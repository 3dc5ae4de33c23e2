"""Which async class has which twin class, which async object has which twin object, and result mapping.

Two maps, both thread-safe:

- classes: an async class -> its twin class. Filled by ``sync_class`` and by generated modules (``register``;
  a generated module also names, with ``register_elsewhere``, the generated modules that hold the twins its
  annotations promise, imported the first time one of those classes is looked up);
  a class with async members that nobody registered, from the top-level package of a registered class, gets a
  run-time twin class the first time one of its instances is returned to sync code (see :func:`to_sync`).
  Lookup is by exact class: a subclass of a registered class (``redis.asyncio.client.Pipeline`` subclasses
  ``Redis``) has members of its own and gets its own twin class, built at run time as a subclass of the base's
  twin class (so ``isinstance(pipeline, Redis)`` holds on the sync side too), whatever package it is from.
- objects: ``id(async object)`` -> a weak reference to its twin. A twin holds its async object, so while the
  twin lives the id cannot be reused; when the twin dies its entry is removed. So the same async object maps
  to the same twin object for as long as anyone holds that twin.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import inspect
import sys
import threading
import types
import typing
import weakref
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from dualio import _adapters

from ._handed_out import returned_classes
from ._kept import kept
from ._sync_results import LoopEnteredContext, MappedContext, stepped

if TYPE_CHECKING:
    from dualio._portal import Portal

    from ._runtime import Twin

__all__ = ("has_async_members", "register", "register_elsewhere", "to_sync", "twin_class_of", "twin_for")

_lock = threading.RLock()
_classes: dict[type, type[Twin[Any]]] = {}
# Classes of these modules (event loops, dualio's own machinery) are returned as they are, whatever package is
# registered; so are instances of these types. asyncio's other classes (streams, subprocesses, queues, locks) map
# as any package's do (so a subprocess's `proc.stdout` is a twin, not the raw `StreamReader`).
_NEVER_TWINNED = ("uvloop", "concurrent.", "dualio._", "dualio.twin._")
_NEVER_TWINNED_TYPES = (type, types.CoroutineType, asyncio.AbstractEventLoop, asyncio.Handle)
# Async context managers bound to the task that enters them: a twin's `with` block runs in the caller's thread, so
# asyncio.Timeout could not interrupt it and a failing task of a TaskGroup could not cancel it.
TASK_SCOPED: tuple[type, ...] = (asyncio.Timeout, asyncio.TaskGroup)
_kinds: dict[type, str] = {}  # how values of classes with no twin class are mapped (see _kind_of)
_packages: set[str] = set()  # top-level packages of registered classes: their other async classes get twins
# Top-level packages of the bases of registered classes (boto3 under aioboto3): their objects that hold async
# objects (a resource's `meta`, holding the aiobotocore client) get twins too (``_kind_of``).
_base_packages: set[str] = set()
_async_methods: dict[tuple[type, str], Callable[..., Any] | None] = {}  # async_method_of_twin, per class and name
_objects: dict[int, weakref.ref[Twin[Any]]] = {}
_elsewhere: dict[type, str] = {}  # async class -> the generated module that registers its twin, not imported yet
_async_iterables: dict[type, bool] = {}  # async_iterable(), per class
_chains: dict[tuple[type, str], bool] = {}  # chains_on()'s answer from the class, per class and name

# Results of these types are returned as they are, without a look-up.
_PLAIN: frozenset[type] = frozenset(
    {type(None), bool, int, float, complex, str, bytes, bytearray, list, tuple, dict, set, frozenset}
)
# The containers whose elements a run-time twin maps, one level deep (see map_elements).
CONTAINERS: frozenset[type] = frozenset({list, tuple, dict})
_ASYNC_DUNDERS = ("__aenter__", "__aiter__", "__anext__")
_AWAITABLE_NAMES = frozenset({"Awaitable", "Coroutine"})  # what a plain def annotated so returns: awaited
_ASYNCIO_AWAITABLES = frozenset(
    {
        "asyncio.Future",
        "asyncio.Task",
        "_asyncio.Future",
        "_asyncio.Task",
        "asyncio.futures.Future",
        "asyncio.tasks.Task",
    }
)
_COROUTINE_PROTOCOL = frozenset({"send", "throw", "close"})


def register(async_cls: type, twin_cls: type[Twin[Any]]) -> None:
    """Record ``twin_cls`` as the sync twin of ``async_cls`` (a later registration replaces an earlier one)."""
    with _lock:
        _classes[async_cls] = twin_cls
        _packages.add(async_cls.__module__.partition(".")[0])
        _base_packages.update(
            package
            for base in async_cls.__mro__[1:]
            if (package := base.__module__.partition(".")[0]) not in sys.stdlib_module_names
            and package not in {"builtins", "dualio", "typing_extensions"}
        )
        _kinds.clear()
        _async_methods.clear()


def async_class_of(twin_cls: type) -> type | None:
    """The async class ``twin_cls`` is the twin class of (registered by a generated module, or made by
    ``sync_class``), else None."""
    made = getattr(twin_cls, "_dualio_async_class_", None)
    if isinstance(made, type):
        return made
    with _lock:
        return next((async_cls for async_cls, twin in _classes.items() if twin is twin_cls), None)


def register_elsewhere(async_cls: type, module: str) -> None:
    """Record that the generated module ``module`` holds the twin class of ``async_cls``; import it when needed.

    A generated module calls this for the twinned classes its annotations name that another output file
    holds: a value of such a class then gets the generated twin class its annotation promises, not one built
    at run time, without the two generated modules importing each other when they load.
    """
    with _lock:
        if async_cls not in _classes:
            _elsewhere.setdefault(async_cls, module)
            _kinds.pop(async_cls, None)
            _async_methods.clear()


def twin_class_of(async_cls: type) -> type[Twin[Any]] | None:
    """Return the registered twin class of exactly ``async_cls``, or ``None``.

    Imports the generated module that holds it first, if one was named by ``register_elsewhere``; an error
    importing that module is raised here.
    """
    twin_cls = _classes.get(async_cls)
    if twin_cls is None and async_cls in _elsewhere:
        importlib.import_module(_elsewhere[async_cls])  # outside the lock: the module registers its twins
        _elsewhere.pop(async_cls, None)
        twin_cls = _classes.get(async_cls)
    return twin_cls


def has_async_members(cls: type) -> bool:
    """Tell whether ``cls`` has an ``async def`` or async generator method (a property's getter included), or an
    async dunder protocol.

    A plain ``def`` that declares itself, with ``functools.wraps``, the wrapper of an ``async def`` counts too:
    asyncpg's ``PoolConnectionProxy`` forwards each ``Connection`` method that way (its coroutine marker,
    ``inspect.markcoroutinefunction``, exists only from Python 3.12 on, where ``iscoroutinefunction`` sees it).
    """
    for name, member in _class_members(cls):
        if name in _ASYNC_DUNDERS:
            return True
        if isinstance(member, property) and is_async_def(member.fget):  # `@property async def value(self)`
            return True
        if _descriptor_over_async_def(member):  # asyncstdlib's `@cached_property async def`, a class-based decorator
            return True
        function = member.__func__ if isinstance(member, (classmethod, staticmethod)) else partial_target(member)
        if inspect.isasyncgenfunction(function) or is_async_def(function) or returns_awaitable(function):
            return True
    return False


def returns_awaitable(function: object) -> bool:
    """Whether ``function`` is a plain ``def`` annotated to return an awaitable: ``Awaitable[T]``,
    ``Coroutine[...]``, ``asyncio.Future[T]`` or ``asyncio.Task[T]`` (zmq.asyncio's ``Socket.recv`` is
    ``def recv(...) -> Awaitable[bytes | Frame]``), written as a string or as a type. A twin awaits what it
    returns on the loop, so such a method makes a class worth twinning as an ``async def`` does."""
    if not isinstance(function, types.FunctionType):
        return False
    annotation = function.__annotations__.get("return")
    if isinstance(annotation, str):
        head = annotation.partition("[")[0].strip().strip("'\"")
    else:
        origin = typing.get_origin(annotation) or annotation
        head = f"{getattr(origin, '__module__', '')}.{getattr(origin, '__qualname__', '')}"
    return head.rpartition(".")[2] in _AWAITABLE_NAMES or head in _ASYNCIO_AWAITABLES


def has_public_async_methods(cls: type) -> bool:
    """Whether ``cls`` has a public ``async def`` (or async generator) method, beyond the async protocols: an
    object with an API of its own (``asyncio.StreamReader.read``), not only a context manager or iterator."""
    for name, member in _class_members(cls):
        if name.startswith("_"):
            continue
        function = member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
        if inspect.isasyncgenfunction(function) or inspect.iscoroutinefunction(function):
            return True
    return False


def _class_members(cls: type) -> Iterator[tuple[str, object]]:
    """Every (name, member) of the classes of ``cls``'s MRO but ``object``, nearest first."""
    for klass in cls.__mro__:
        if klass is not object:
            yield from vars(klass).items()


def is_async_def(function: object) -> bool:
    """Whether ``function`` is an ``async def``, or a ``functools.wraps`` wrapper of one."""
    if inspect.iscoroutinefunction(function):
        return True
    return isinstance(function, types.FunctionType) and _wraps_async_def(function)


def _wraps_async_def(function: types.FunctionType) -> bool:
    """Whether ``function`` is a ``functools.wraps`` wrapper (``__wrapped__``, at any depth) of an ``async def``."""
    wrapped = getattr(function, "__wrapped__", None)
    if wrapped is None:
        return False
    try:
        inner = inspect.unwrap(function)
    except ValueError:  # a cycle of __wrapped__
        return False
    return inspect.iscoroutinefunction(inner) or inspect.isasyncgenfunction(inner)


def map_elements(value: Any, leaf: Callable[[Any], Any]) -> Any:
    """``value`` (a ``list``, ``tuple`` or ``dict``) with ``leaf`` of each element that is not a plain value (for a
    dict, each value), one level deep; ``value`` itself when no element changes, else a copy of its type.

    What a run-time twin does to the containers its calls return (``leaf``: map to twins) and take (``leaf``:
    unwrap twins), so that a list of async objects (asyncua's ``get_children()``, a JetStream ``fetch()``) is a
    list of twins, and a list of twins passed in reaches the async code as its async objects. A generated twin
    traverses the containers its annotations name, to any depth (``_containers``).
    """
    elements = value.values() if type(value) is dict else value
    if all(type(element) in _PLAIN for element in elements):
        return value
    if type(value) is dict:
        mapped = {key: element if type(element) in _PLAIN else leaf(element) for key, element in value.items()}
        changed = any(mapped[key] is not element for key, element in value.items())
        return mapped if changed else value
    items = [element if type(element) in _PLAIN else leaf(element) for element in value]
    if all(new is old for new, old in zip(items, value, strict=True)):
        return value
    return tuple(items) if type(value) is tuple else items


def chains_on(value: object, name: str) -> bool:
    """Whether ``value``, an awaitable that a sync method returned, is a builder that its caller reads ``name`` of
    at once (``Item.filter(...).order_by(...)``): then it is not awaited, as ``await Item.filter(...).order_by(...)``
    does not await ``filter(...)`` first.

    True when ``value`` has ``name`` itself (its class, not ``object``, or its ``__dict__``), other than the
    coroutine protocol's ``send``, ``throw`` and ``close`` and a property (data, read after the await), and its
    class gets a twin: it has async members, or
    is awaitable by an ``__await__`` of its own (coredis' ``CommandRequest``: ``client.get(k).transform(int)``;
    not a coroutine, future or task). Else the caller means the awaited value's ``name``
    (``session.get(url).read()``: aiohttp's request context manager has no ``read``; the response it awaits to
    has), and ``value`` is awaited as before.
    """
    cls = type(value)
    key = (cls, name)
    try:
        by_class = _chains[key]
    except KeyError:
        by_class = _chains[key] = name not in _COROUTINE_PROTOCOL and builds(cls) and _a_step(cls, name)
    if by_class:
        return True
    return name in getattr(value, "__dict__", ()) and builds(cls)


def _a_step(cls: type, name: str) -> bool:
    """Whether ``name``, defined by ``cls`` or a base other than ``object``, may continue a chain: a method or
    another plain attribute, not a property or other data descriptor, which is data read from what the call
    gives (lancedb's ``db.list_tables().tables``: the listing awaits to itself, and its ``tables`` need the
    await)."""
    for klass in cls.__mro__:
        if klass is object:
            return False
        if name in vars(klass):
            found = type(vars(klass)[name])
            return not (hasattr(found, "__set__") or hasattr(found, "__delete__"))
    return False


def builds(cls: type) -> bool:
    """Whether a result of class ``cls`` can be chained on (see :func:`chains_on`): it has async members, or an
    ``__await__`` of its own and is not a coroutine, future or task."""
    return has_async_members(cls) or (
        not issubclass(cls, (types.CoroutineType, asyncio.Future))
        and any("__await__" in vars(klass) for klass in cls.__mro__ if klass is not object)
    )


def chained_twin(value: object, portal: Portal, timeout: float | None, parent: Twin[Any] | None) -> Twin[Any]:
    """The twin of a builder that :func:`chains_on` kept unawaited: its class's twin (``sync_class`` returns the
    registered one, else builds one at run time, whichever package it is from)."""
    from ._dynamic import builder_class  # a cycle: _dynamic builds on this module

    return twin_for(builder_class(type(value)), value, portal, timeout, parent)


def async_iterable(cls: type) -> bool:
    """Whether ``cls`` has ``__aiter__`` (cached per class: ``hasattr`` of a missing name is slow on 3.11)."""
    try:
        return _async_iterables[cls]
    except KeyError:
        found = _async_iterables[cls] = hasattr(cls, "__aiter__")
        return found


_FUNCTIONS = (types.FunctionType, types.MethodType)  # an `async def` one a call returns gets a FunctionTwin
_async_getters: dict[tuple[type, str], bool] = {}  # getter_is_async(), per class and name


def getter_is_async(cls: type, name: str) -> bool:
    """Whether reading ``name`` on an instance of ``cls`` runs an ``async def`` through a descriptor of the class
    (asyncstdlib's ``cached_property``, which gives an awaitable object, not a coroutine, until it is awaited):
    what such a read gives is awaited, as ``await obj.name`` would be. Cached per class and name."""
    try:
        return _async_getters[cls, name]
    except KeyError:
        pass
    try:
        member = inspect.getattr_static(cls, name)
    except AttributeError:
        member = None
    found = _async_getters[cls, name] = _descriptor_over_async_def(member)
    return found


def _descriptor_over_async_def(member: object) -> bool:
    """Whether ``member`` is a descriptor that is not callable itself and wraps an ``async def`` (as its
    ``func`` or, set by ``functools.update_wrapper``, its ``__wrapped__``): asyncstdlib's ``cached_property``, a
    class-based method decorator with ``__get__`` and no ``__call__``. A ``property`` is not one of them."""
    if isinstance(member, property) or callable(member) or not hasattr(type(member), "__get__"):
        return False
    getter = getattr(member, "func", None) or getattr(member, "__wrapped__", None)
    return is_async_def(getter)


def partial_target(member: object) -> object:
    """The function a ``functools.partialmethod`` (or ``partial``) calls in the end; any other member itself."""
    while isinstance(member, (functools.partialmethod, functools.partial)):
        member = member.func
    return member


def _lookup(obj: object) -> Twin[Any] | None:
    ref = _objects.get(id(obj))
    if ref is not None:
        twin = ref()
        if twin is not None and twin._dualio_obj is obj:
            return twin
    return None


def _forget(key: int) -> Callable[[weakref.ref[Twin[Any]]], None]:
    def forget(ref: weakref.ref[Twin[Any]]) -> None:
        with _lock:
            if _objects.get(key) is ref:
                del _objects[key]

    return forget


def remember(twin: Twin[Any]) -> None:
    """Record ``twin`` as the twin of its async object (used when a twin creates its own async object)."""
    key = id(twin._dualio_obj)
    with _lock:
        _objects[key] = weakref.ref(twin, _forget(key))


def twin_for(
    twin_cls: type[Twin[Any]], obj: object, portal: Portal, timeout: float | None, parent: Twin[Any] | None = None
) -> Twin[Any]:
    """Return the twin of ``obj`` (an instance of the async class of ``twin_cls``), creating it if needed.

    A new twin is pinned to ``portal`` and starts with ``timeout`` as its default timeout; ``parent`` is the twin
    whose call or attribute gave it (a scoped ``timeout(s, parent)`` covers it too). A twin ``obj`` has whose
    portal is closed (shut down, or inherited through ``fork()``) can run nothing ever again: it is replaced by
    a new one (after ``dualio.shutdown()``, ``twin_of(database)`` gave the dead twin back).
    """
    twin = _lookup(obj)
    if twin is not None and not twin._dualio_portal.closed:
        return twin
    with _lock:
        twin = _lookup(obj)
        if twin is None or twin._dualio_portal.closed:
            twin = twin_cls.__new__(twin_cls)
            set_slot = object.__setattr__  # past a run-time twin's __setattr__, which would only call it too
            set_slot(twin, "_dualio_obj", obj)
            set_slot(twin, "_dualio_own", own_functions(obj))
            set_slot(twin, "_dualio_portal", portal)
            set_slot(twin, "_dualio_timeout", timeout)
            set_slot(twin, "_dualio_closed", False)
            set_slot(twin, "_dualio_parent", parent)
            for name, value in kept(obj).items():  # a dropped twin's close() or set_timeout()
                set_slot(twin, name, value)
            remember(twin)
        return twin


def own_functions(obj: object) -> dict[str, Callable[..., Any]] | None:
    """The callables ``obj`` holds in its own ``__dict__`` under the public names of its class's methods, which they
    replace for it (Playwright's ``async_playwright().start()`` sets ``playwright.stop = cm.__aexit__`` over a
    class ``stop`` that does nothing); None, the common case, if none. Read when its twin is made:
    a twin method calls the instance's own callable, as ``obj.stop()`` would."""
    try:
        own = object.__getattribute__(obj, "__dict__")
    except AttributeError:  # __slots__
        return None
    cls = type(obj)
    try:
        methods = _public_methods[cls]
    except KeyError:
        methods = _public_methods[cls] = frozenset(
            name for name in dir(cls) if not name.startswith("_") and inspect.isfunction(getattr(cls, name, None))
        )
    replaced = methods & own.keys() if own else None  # a set operation: most objects replace none
    if not replaced:
        return None
    found = {name: own[name] for name in replaced if callable(own[name]) and own[name] is not getattr(cls, name)}
    return found or None


_public_methods: dict[type, frozenset[str]] = {}  # the public functions of each class, for own_functions


def to_sync(value: Any, portal: Portal, timeout: float | None, parent: Twin[Any] | None = None) -> Any:
    """Map a value that async code returned to what sync code gets.

    ``timeout`` is the default timeout of a twin made for it; ``parent`` the twin whose call or attribute gave it:
    the new twin's parent, and the twin whose timeout in force now (a scoped override included) limits each wait
    of an iterator, context manager or future made for it.

    - an instance of a registered async class -> its twin (the same twin for the same object);
    - an instance of another class with async members, from the top-level package of a registered class (the
      ``ClientResponse`` of a twinned ``aiohttp.ClientSession``) -> a twin of a class built at run time;
    - an instance of another class of such a package whose instance attributes hold ``async def`` functions
      (openai's ``with_raw_response``; learnt from the class's first instance) -> a twin with them as methods;
    - an async generator, or another async iterable -> an iterator over it (``aclose()``\\ d on break or close);
    - another async context manager (``@asynccontextmanager``) -> a context manager run on the loop;
    - a sync generator -> an iterator whose steps run on the loop; a ``@contextmanager`` object -> the same,
      entered in the caller's thread, what it gives mapped (see ``_sync_results``); a sync context manager with no
      public member of its own, of such a package (aiopg's ``Pool.cursor()`` result) -> the same, entered and
      exited on the loop;
    - an ``async def`` function or bound method -> a :class:`FunctionTwin` (``_functions``): calling it blocks;
    - an ``asyncio.Future`` or ``Task`` of the portal's loop -> a :class:`~dualio.PortalFuture` of what it gives
      (mapped), as ``portal.submit`` returns: ``result(timeout)`` waits, ``cancel()`` cancels it on the loop;
    - anything else (numbers, strings, containers, event loops, plain objects) -> itself. Containers are not
      traversed here: a run-time twin maps the elements of those its calls return (:func:`map_elements`), a
      generated one those its annotations name.
    """
    cls = type(value)
    if cls in _PLAIN:
        return value
    twin_cls = _classes.get(cls)
    if twin_cls is not None:
        return twin_for(twin_cls, value, portal, timeout, parent)
    kind = _kinds.get(cls)
    if kind is None:
        kind = _kind_of(cls)
    if kind is _AS_IS:
        if cls in _FUNCTIONS and is_async_def(value.__func__ if cls is types.MethodType else value):
            from ._functions import FunctionTwin  # a cycle: it builds on _runtime, which builds on this module

            return twin_for(FunctionTwin, value, portal, timeout, parent)  # `@db.transaction()`'s wrapper
        if cls not in _by_instance:
            return value
        return _twin_by_instance(value, portal, timeout, parent)
    if kind is _TWIN:
        from ._dynamic import sync_class  # a cycle: _dynamic builds on this module

        return twin_for(sync_class(cls), value, portal, timeout, parent)
    wait = timeout if parent is None else timeout_now(parent)
    if kind is _ITERATE:
        return iterate_mapped(portal, value, wait, parent)
    if kind is _ENTER:
        return _MappedContext(portal, value, wait, parent)
    if kind is _STEP:
        return stepped(portal, value, wait, lambda item: to_sync(item, portal, timeout, parent))
    if kind is _SYNC_ENTER:
        return MappedContext(value, lambda entered: to_sync(entered, portal, timeout, parent))
    if kind is _SYNC_ON_LOOP:
        return LoopEnteredContext(portal, value, wait, lambda entered: to_sync(entered, portal, timeout, parent))
    return portal.submit(_outcome(value, portal, timeout))  # _FUTURE


_AS_IS, _TWIN, _ITERATE, _ENTER, _FUTURE = "as is", "twin", "iterate", "enter", "future"
_STEP, _SYNC_ENTER = "step on the loop", "enter here, value mapped"  # see _sync_results
_SYNC_ON_LOOP = "a sync context manager, entered on the loop"  # see _sync_results


def _no_override(twin: Twin[Any]) -> float | None:
    return twin._dualio_timeout


# The timeout a call on a twin gets now, scoped overrides included: `_runtime.timeout_for`, set when it loads.
timeout_now: Callable[[Twin[Any]], float | None] = _no_override
# Classes of twinned packages with no async member of their own, whose instances may hold async functions
# (stainless-made SDKs' `with_raw_response` objects: `self.create = wrapper(completions.create)`): the names of
# those attributes, learnt from the first instance returned (None until then; () if it holds none).
_by_instance: dict[type, tuple[str, ...] | None] = {}
_holders: set[type] = set()  # those of them whose first instance held objects that get twins, and no functions


def instance_async_names(obj: object) -> tuple[str, ...]:
    """The public attributes of ``obj``'s ``__dict__`` that hold ``async def`` functions (or their wrappers)."""
    found = []
    for name, value in getattr(obj, "__dict__", {}).items():
        if name.startswith("_") or not callable(value):
            continue
        if is_async_def(partial_target(value)):
            found.append(name)
    return tuple(found)


def holds_async_objects(obj: object) -> bool:
    """Whether a public attribute of ``obj``'s ``__dict__`` holds an object that sync code would get as a twin
    (asyncua's ``client.nodes``, a plain object whose ``objects``, ``root``, ... are ``Node``\\ s)."""
    for name, value in getattr(obj, "__dict__", {}).items():
        cls = type(value)
        if name.startswith("_") or cls in _PLAIN:
            continue
        if cls in _classes or cls in _elsewhere or (_kinds.get(cls) or _kind_of(cls)) is _TWIN:
            return True
    return False


def _hands_out_twins(cls: type) -> bool:
    """Whether a public member of ``cls`` (or its ``__call__``) is annotated to return a class whose objects sync
    code gets as twins (Playwright's ``FrameLocator.locator() -> "Locator"``; see ``_handed_out``)."""
    for returned in returned_classes(cls):
        if returned is cls or returned in _PLAIN:
            continue
        if returned in _classes or returned in _elsewhere or (_kinds.get(returned) or _kind_of(returned)) is _TWIN:
            return True
    return False


def _is_namespace(cls: type) -> bool:
    """Whether every public member of ``cls`` (bases but ``object`` included) is a property or a
    ``functools.cached_property``, and it has one: a namespace of objects read as attributes (openai's
    ``client.with_raw_response``, whose ``chat``, ``models``, ... are made on first read from a private client),
    which sync code reads through a twin so that what it reads is mapped too. A class that declares public
    fields by annotation (a dataclass, attrs, pydantic, a ``NamedTuple``) is a value, not a namespace: nats'
    frozen dataclass ``KeyValue.BucketStatus``, whose fields have no defaults and whose other members are
    properties, was returned as a twin."""
    public = {
        name: member
        for klass in reversed(cls.__mro__)
        if klass is not object
        for name, member in vars(klass).items()
        if not name.startswith("_")
    }
    if not public or not all(isinstance(member, (property, functools.cached_property)) for member in public.values()):
        return False
    return not any(not name.startswith("_") for klass in cls.__mro__ for name in vars(klass).get("__annotations__", ()))


def _twin_by_instance(value: Any, portal: Portal, timeout: float | None, parent: Twin[Any] | None) -> Any:
    """``value`` of a class listed in ``_by_instance``: its twin if its instances hold async functions or objects
    that sync code gets as twins (so reading them through the twin maps them)."""
    cls = type(value)
    names = _by_instance[cls]
    if names is None:
        names = instance_async_names(value)
        holder = not names and (holds_async_objects(value) or _is_namespace(cls) or _hands_out_twins(cls))
        with _lock:
            _by_instance[cls] = names
            if holder:
                _holders.add(cls)
    if not names and cls not in _holders:
        return value
    from ._dynamic import instance_twin_class  # a cycle: _dynamic builds on this module

    return twin_for(instance_twin_class(cls, names), value, portal, timeout, parent)


def async_method_of_twin(cls: type, name: str) -> Callable[..., Any] | None:
    """The ``async def`` that the twin of a ``cls`` value runs for ``twin.name()``, or None if not such a method.

    Follows :func:`to_sync`'s choice of twin class (building a run-time one as it would). Both kinds of twin
    map an ``async def`` member of the async class to a method that runs exactly that function (``_dynamic``
    and the generator share the rule); properties, sync methods and generators are not such methods.
    """
    key = (cls, name)
    try:
        return _async_methods[key]
    except KeyError:
        pass
    method: Callable[..., Any] | None = None
    twin_cls = _classes.get(cls)
    if twin_cls is None and cls not in _PLAIN and (_kinds.get(cls) or _kind_of(cls)) is _TWIN:
        from ._dynamic import sync_class  # a cycle: _dynamic builds on this module

        twin_cls = sync_class(cls)
    if twin_cls is not None:
        member = inspect.getattr_static(cls, name, None)  # the twin class was made for exactly ``cls``
        twinned = inspect.getattr_static(twin_cls, name, None)
        if isinstance(member, types.FunctionType) and inspect.iscoroutinefunction(member):
            method = member if isinstance(twinned, types.FunctionType) else None
    with _lock:
        _async_methods[key] = method
    return method


def enters_on_loop(cls: type) -> bool:
    """Whether ``with`` on what :func:`to_sync` makes of a ``cls`` value runs its ``__aenter__`` on the loop.

    True for async context managers that map to a twin (which maps ``__aenter__``/``__aexit__`` to
    ``__enter__``/``__exit__``) or to a plain sync context manager; false for everything returned as it is.
    """
    if cls in _PLAIN or not (hasattr(cls, "__aenter__") and hasattr(cls, "__aexit__")):
        return False
    if cls in _classes:
        return True
    kind = _kinds.get(cls)
    if kind is None:
        kind = _kind_of(cls)
    return kind is _TWIN or kind is _ENTER


def _kind_of(cls: type) -> str:
    if issubclass(cls, asyncio.Future):
        kind = _FUTURE
    elif issubclass(cls, _NEVER_TWINNED_TYPES + TASK_SCOPED) or cls.__module__.startswith(_NEVER_TWINNED):
        kind = _AS_IS
    elif issubclass(cls, types.AsyncGeneratorType):
        kind = _ITERATE
    elif issubclass(cls, types.GeneratorType):
        kind = _STEP
    elif issubclass(cls, contextlib._GeneratorContextManager):
        kind = _SYNC_ENTER
    elif cls in _elsewhere or (cls.__module__.partition(".")[0] in _packages and has_async_members(cls)):
        kind = _TWIN  # sync_class() returns its generated twin class, importing the module named elsewhere
    elif any(base in _classes or base in _elsewhere for base in cls.__mro__[1:]):
        kind = _TWIN  # a subclass, from another package, of a twinned class: a twin of the base's twin class
    elif has_public_async_methods(cls):  # another package's client (redis.asyncio.Redis under aiocache)
        kind = _TWIN  # not a bare context manager or iterator: that would lose its methods
    elif hasattr(cls, "__aenter__") and hasattr(cls, "__aexit__"):
        kind = _ENTER
    elif hasattr(cls, "__aiter__"):
        kind = _ITERATE
    elif cls.__module__.partition(".")[0] in _packages and _only_a_context_manager(cls):
        kind = _SYNC_ON_LOOP  # aiopg's `_PoolCursorContextManager`: its __exit__ releases to the pool's loop
    else:
        kind = _AS_IS
        package = cls.__module__.partition(".")[0]
        if (package in _packages or package in _base_packages) and cls not in _PLAIN:
            with _lock:
                _by_instance.setdefault(cls, None)  # its first instance tells whether it holds async functions
    with _lock:
        _kinds[cls] = kind
    return kind


def _only_a_context_manager(cls: type) -> bool:
    """Whether ``cls`` is a sync context manager with no public member besides: what it is for is the ``with``
    (aiopg's ``_PoolCursorContextManager``), not an object with an API that also closes itself by ``with``
    (SQLAlchemy's ``Result``, which is returned as it is)."""
    return hasattr(cls, "__enter__") and hasattr(cls, "__exit__") and all(name.startswith("_") for name in dir(cls))


async def _outcome(future: asyncio.Future[Any], portal: Portal, twin_timeout: float | None) -> Any:
    """What a task or future of the portal's loop gives, mapped: the body of the ``PortalFuture`` sync code gets
    for it. Cancelling that ``PortalFuture`` cancels this, which cancels ``future``."""
    return to_sync(await future, portal, twin_timeout)


class _MappedContext:
    """``with`` over an async context manager that has no twin class: as ``Portal.enter``, the value mapped."""

    def __init__(self, portal: Portal, async_cm: Any, timeout: float | None, parent: Twin[Any] | None) -> None:
        self._portal = portal
        self._timeout = timeout
        self._parent = parent
        self._entered = _adapters.enter(portal, async_cm, timeout)  # each half limited by the twin's timeout

    def __enter__(self) -> Any:
        return to_sync(self._entered.__enter__(), self._portal, self._timeout, self._parent)

    def __exit__(self, *exc_info: Any) -> bool:
        return bool(self._entered.__exit__(*exc_info))


def iterate_mapped(
    portal: Portal, async_iterable: Any, timeout: float | None, parent: Twin[Any] | None = None
) -> Iterator[Any]:
    """Iterate over ``async_iterable`` on ``portal``, mapping each item.

    ``parent``: the twin whose call or attribute gave the iterable, the parent of twins made for its items;
    with one, each step waits up to the timeout in force for ``parent`` when ``next()`` is called (a scoped
    ``timeout()`` around that ``next()`` applies), else up to ``timeout``. The arguments are checked now; a step's
    timeout or error leaves the iteration open, and closing or dropping the iterator before its end
    ``aclose()``\\ s the async one (``_adapters.SyncIterator``).
    """

    def mapped(item: Any) -> Any:
        return to_sync(item, portal, timeout, parent)

    if parent is None:
        return _adapters.iterate(portal, async_iterable, timeout, convert=mapped)
    return _adapters.iterate(portal, async_iterable, timeout, timeout_now=lambda: timeout_now(parent), convert=mapped)
