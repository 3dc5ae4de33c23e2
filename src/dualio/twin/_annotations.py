"""How an annotation of an async class reads in its generated twin: the type of what sync code really gets.

A twin changes a value only where it goes through the twin, so an annotation is rewritten only there; written
anywhere else, a type stays as the async class wrote it (a type that promised more would let ``mypy`` pass code
that fails when run). Where a type is written (``Place``) decides:

- ``AWAITED``, what a sync ``def`` returns, which the twin awaits if it is awaitable: ``Awaitable[T]`` and
  ``Coroutine[..., T]`` become ``T``, read as ``RETURNED``;
- ``RETURNED``, what a call or an attribute read returns: a twinned class becomes its twin, ``AsyncIterator[T]``
  (and ``AsyncIterable``, ``AsyncGenerator``) becomes ``Iterator[T]`` and ``AbstractAsyncContextManager[T]``
  becomes ``AbstractContextManager[T]``, with ``T`` read as ``ITEM``; ``asyncio.Future[T]``, ``asyncio.Task[T]``
  and ``Awaitable[T]`` (a future given as a value) become ``PortalFuture[T]``; the members of a union are read in
  the same place, and so are the elements of a built-in container (``list``, ``tuple``, ``dict``, ``set``,
  ``frozenset``), whose values the twin then maps one by one (``traversed``);
- ``ITEM``, what an iterator yields, what ``with`` enters, what ``__next__`` returns: as ``RETURNED``, except
  that containers are not traversed;
- ``PASSED``, what sync code passes in (a parameter, a property's new value): only twinned classes change
  (the twin hands their async objects on), in unions and in built-in containers, which are then traversed.
  ``Awaitable``, ``AsyncIterator`` and the like stay: the async code still gets what it was written for;
- ``AS_WRITTEN``: anywhere else (inside ``Callable``, ``Sequence``, a class variable, ...) nothing changes.

String forward references are read in the place they are written. A type variable a generic base binds is
resolved by the caller (``resolve``), in the place where it is used; ``P.args``/``P.kwargs`` of a bound
``ParamSpec`` read ``Q.args`` when it is bound to another one, else ``Any``.
"""

from __future__ import annotations

import ast
import builtins
import enum
from collections.abc import Callable

__all__ = ("Annotations", "Place", "copy_expression", "names_used")

_UNWRAP = {"Awaitable", "Coroutine"}  # -> their last argument
_ASYNCIO_AWAITABLES = {"asyncio.Future", "asyncio.Task"}  # read as Awaitable (a bare Future may be concurrent's)
_PORTAL_FUTURE = "_support.PortalFuture"  # what sync code gets for a task, or a future returned as a value
_TO_ITERATOR = {"AsyncIterator", "AsyncIterable", "AsyncGenerator"}
_TO_CONTEXT = {"AbstractAsyncContextManager", "AsyncContextManager"}
_UNIONS = {"Optional", "Union"}
_REWRITTEN = _UNWRAP | _TO_ITERATOR | _TO_CONTEXT  # standard names whose values the twin changes
# Built-in containers a generated twin traverses (exactly these types at run time; subclasses are left as they are).
_CONTAINERS = {"list", "List", "tuple", "Tuple", "dict", "Dict", "set", "frozenset", "FrozenSet"}
# Abstract collections a parameter may be written as; the twin unwraps the built-in containers among them.
_ABSTRACT_COLLECTIONS = {"Iterable", "Sequence", "Collection"}
_UNWRAPPED_SHAPES = ("list[{}]", "tuple[{}, ...]", "set[{}]", "frozenset[{}]")  # what ``passed_each`` unwraps
_BUILTINS = set(dir(builtins))
_OWN_NAMES = {"_abc", "_builtins", "_contextlib", "_types", "_typing", "_support"}


class Place(enum.Enum):
    """Where a type is written, which decides what the twin does to the value (see the module docstring)."""

    AWAITED = "awaited"
    RETURNED = "returned"
    ITEM = "item"
    PASSED = "passed"
    AS_WRITTEN = "as written"


_TRAVERSED_PLACES = (Place.RETURNED, Place.PASSED)  # where the twin traverses built-in containers
_RETURNED_PLACES = (Place.RETURNED, Place.AWAITED)  # what a call gives the caller
_AS_VALUE = (Place.RETURNED, Place.ITEM)  # a value the twin maps but does not await (an awaitable stays one)
_CLASS_NODES = (ast.Name, ast.Attribute, ast.Subscript)  # what may name an awaitable class (``C``, ``m.C``, ``C[T]``)

Resolver = Callable[[str, Place], "tuple[str, bool] | None"]


class Annotations:
    """Rewrite annotations for the sync side; record the module-level names they use and what changed.

    ``twins`` maps async class names to their twins' names; ``twin_of_attribute`` names the twin of a listed
    class written as ``module.AsyncClass``. ``resolve(name, place)`` returns a bound type variable's text and
    whether reading it changed anything, or None for any other name. ``twinned_on_the_spot(node)`` says whether
    a class that is not listed gets a twin built at run time when a call returns one (a class with async members
    of the same package): returned, it is typed ``Any``; passed in a container, the container is traversed, so
    that such twins reach the async code unwrapped. ``type_variables`` are the twin's own, unbound ones: a
    container of such a value may hold twinned values, so it is traversed.
    """

    def __init__(
        self,
        twins: dict[str, str],
        resolve: Resolver | None = None,
        twinned_on_the_spot: Callable[[ast.expr], bool] | None = None,
        twin_of_attribute: Callable[[ast.Attribute], str | None] | None = None,
        type_variables: frozenset[str] = frozenset(),
        shadowed: frozenset[str] = frozenset(),
        bare_arguments: Callable[[ast.expr], list[str]] | None = None,
        nested: dict[str, str] | None = None,
        awaited: Callable[[ast.expr, Place], tuple[str, bool] | None] | None = None,
        own_class: Callable[[ast.expr], bool] | None = None,
        entered: Callable[[ast.expr], str | None] | None = None,
        generic_twin: Callable[[str], bool] | None = None,
    ) -> None:
        self.twins = twins
        # Whether the twin of a listed class (by its name here) takes type arguments: one of a class with no type
        # parameters takes none, though the source subscripts it (faststream's `Redis[bytes]` of redis-py's `Redis`).
        self.generic_twin = generic_twin
        # Whether a name is a class of the package itself (its own `AsyncContextManager`), not the standard one
        # whose name it shares: asked only for the names the twin rewrites (`Awaitable`, `AsyncIterator`, ...).
        self.own_class = own_class
        # What `as` gives for a class of the package that is only a sync context manager (aiopg's
        # `_PoolCursorContextManager`), which the twin enters on the loop: returned, it is read as a context manager.
        self.entered = entered
        self.nested = nested or {}  # a class nested in the one whose member is read, by name -> ``Outer.Name``
        self.bare_arguments = bare_arguments  # Any for each type parameter of a generic class written bare
        self.awaited = awaited  # what awaiting an instance of an awaitable class gives, read for the sync side
        self.resolve = resolve
        self.twinned_on_the_spot = twinned_on_the_spot
        self.twin_of_attribute = twin_of_attribute
        self.type_variables = type_variables
        self.shadowed = shadowed  # builtins that a member of the twin shadows in its class body
        self.names: set[str] = set()
        self.twins_used: set[str] = set()  # keys of ``twins`` met where they were replaced
        self.changed = False  # something was rewritten
        self.traversed = False  # something was rewritten inside a built-in container: the twin must traverse it
        self._depth = 0  # built-in containers around the node read now
        self._head = False  # the node read now is the head of a subscript (``Box`` in ``Box[int]``)

    def convert(self, annotation: ast.expr | None, place: Place) -> str:
        """The annotation as sync code sees it in ``place``; ``_typing.Any`` if there is none."""
        if annotation is None:
            return "_typing.Any"
        return ast.unparse(self._convert(copy_expression(annotation), place))

    def _convert(self, node: ast.expr, place: Place) -> ast.expr:
        if place is Place.AWAITED and self.awaited is not None and isinstance(node, _CLASS_NODES):
            awaited = self.awaited(node, Place.RETURNED)  # a sync def's awaitable result: the twin awaits it
            if awaited is not None:
                self._mark_changed()
                if awaited[1]:  # what awaiting gives is a container of twinned values (tortoise: list[MODEL])
                    self.traversed = True
                return ast.Name(awaited[0], ast.Load())  # unparsed as the text itself
        if place in _RETURNED_PLACES and self.entered is not None and isinstance(node, _CLASS_NODES):
            entered = self.entered(node)
            if entered is not None:
                self._mark_changed()
                return ast.Name(f"_contextlib.AbstractContextManager[{entered}]", ast.Load())
        if isinstance(node, ast.Constant):
            if not isinstance(node.value, str):  # None, ...
                return node
            try:  # a forward reference
                inner = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return node
            return self._convert(inner, place)
        if isinstance(node, ast.Name):
            return self._name(node, place)
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.attr in ("args", "kwargs") and self.resolve is not None:
                spec = self.resolve(node.value.id, Place.AS_WRITTEN)  # P.args of a ParamSpec a base binds
                if spec is not None:
                    text = spec[0]
                    return ast.Name(f"{text}.{node.attr}" if text.isidentifier() else "_typing.Any", ast.Load())
            twin = None
            if place is not Place.AS_WRITTEN and self.twin_of_attribute is not None:
                twin = self.twin_of_attribute(node)
            if twin is not None:
                self._mark_changed()
                return self._spelled_out(node, ast.Name(twin, ast.Load()))
            if node.attr == "Self" and place is not Place.AS_WRITTEN:
                self._mark_changed()  # `typing.Self`: the async class, which arrives as its twin (traversed too)
                return node
            spelled = ast.unparse(node)
            if spelled in _ASYNCIO_AWAITABLES and self._as_portal_future(spelled, place):
                return _subscript(_PORTAL_FUTURE, ast.Name("_typing.Any", ast.Load()))
            if spelled in _ASYNCIO_AWAITABLES:
                bare = self._bare("Awaitable", place)
            else:
                bare = None if self._own_named_alike(node.attr, node) else self._bare(node.attr, place)
            return bare if bare is not None else self._other_class(node, place)
        if isinstance(node, ast.Subscript):
            return self._subscript(node, place)
        if place is not Place.AS_WRITTEN and isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            members = _union_members(self._convert(node.left, place)) + _union_members(self._convert(node.right, place))
            unique = list({ast.unparse(member): member for member in members}.values())  # `T | Awaitable[T]`: T
            union = unique[0]
            for member in unique[1:]:
                union = ast.BinOp(union, ast.BitOr(), member)
            return union
        return self._as_written(node)

    def _name(self, node: ast.Name, place: Place) -> ast.expr:
        qualified = self.nested.get(node.id)
        if qualified is not None:  # `-> Metadata` in a method of `Msg`, which nests it: `Msg.Metadata`
            return self._convert(ast.parse(qualified, mode="eval").body, place)
        resolved = self.resolve(node.id, place) if self.resolve is not None else None
        if resolved is not None:
            text, changed = resolved
            if changed:
                self._mark_changed()
            return ast.Name(text, ast.Load())  # unparsed as the text itself
        if node.id in self.twins and place is not Place.AS_WRITTEN:
            self.twins_used.add(node.id)
            self._mark_changed()
            return self._spelled_out(node, ast.Name(self.twins[node.id], ast.Load()))
        if node.id == "Self" and place is not Place.AS_WRITTEN:
            self._mark_changed()  # the async class, which arrives as its twin: a container of it is traversed
        bare = None if self._own_named_alike(node.id, node) else self._bare(node.id, place)
        return bare if bare is not None else self._other_class(node, place)

    def _as_portal_future(self, spelled: str, place: Place) -> bool:
        """Whether an ``asyncio.Future``/``asyncio.Task`` (``spelled``) reaches sync code as a ``PortalFuture``: a
        value returned or yielded, and a task that a sync ``def`` returns (running on its own, not awaited); a
        future that a sync ``def`` returns is awaited."""
        if place in (Place.RETURNED, Place.ITEM) or (place is Place.AWAITED and spelled == "asyncio.Task"):
            self._mark_changed()
            return True
        return False

    def _own_named_alike(self, head: str | None, node: ast.expr) -> bool:
        """Whether ``node``, named ``head`` like a standard type the twin rewrites, is a class of the package's
        own (its `AsyncContextManager`, with methods of its own), which is left to be read as any other class."""
        return head in _REWRITTEN and self.own_class is not None and self.own_class(node)

    def _bare(self, head: str, place: Place) -> ast.expr | None:
        """An unsubscripted ``Awaitable``/``AsyncIterator``/... where the twin changes it: with ``Any`` inside."""
        if place is Place.AWAITED and head in _UNWRAP:
            self._mark_changed()
            return ast.Name("_typing.Any", ast.Load())
        if place in _AS_VALUE and head == "Awaitable":
            self._mark_changed()
            return _subscript(_PORTAL_FUTURE, ast.Name("_typing.Any", ast.Load()))
        if place in (Place.AWAITED, Place.RETURNED, Place.ITEM):
            if head in _TO_ITERATOR:
                self._mark_changed()
                return _subscript("_abc.Iterator", ast.Name("_typing.Any", ast.Load()))
            if head in _TO_CONTEXT:
                self._mark_changed()
                return _subscript("_contextlib.AbstractContextManager", ast.Name("_typing.Any", ast.Load()))
        return None

    def _other_class(self, node: ast.Name | ast.Attribute, place: Place) -> ast.expr:
        """A name that no listed class has: ``Any`` if returned as a twin built at run time; else kept."""
        if isinstance(node, ast.Name) and node.id in self.shadowed and node.id in _BUILTINS:
            return ast.Attribute(ast.Name("_builtins", ast.Load()), node.id, ast.Load())
        if self._on_the_spot(node, place):
            if place is not Place.PASSED:
                return ast.Name("_typing.Any", ast.Load())
        elif isinstance(node, ast.Name) and node.id in self.type_variables and place in _TRAVERSED_PLACES:
            self._mark_changed()  # any value, a twinned one too: a container of it is traversed
        self._record(node)
        return self._spelled_out(node, node)

    def _spelled_out(self, node: ast.Name | ast.Attribute, written: ast.expr) -> ast.expr:
        """``written`` (``node``, or the twin that replaces it) with the ``Any`` arguments a bare generic ``node``
        stands for: ``Callable`` -> ``Callable[..., Any]``, ``AsyncReader`` -> ``Reader[Any]``: the same type,
        spelled out. As it is if ``node`` heads a subscript, or is not generic."""
        if self._head or self.bare_arguments is None:
            return written
        arguments = self.bare_arguments(node)
        if not arguments:
            return written
        return ast.parse(f"{ast.unparse(written)}[{', '.join(arguments)}]", mode="eval").body

    def _on_the_spot(self, node: ast.expr, place: Place) -> bool:
        """Whether a value of class ``node`` comes or goes as a twin built at run time (see ``__init__``)."""
        if place is Place.AS_WRITTEN or self.twinned_on_the_spot is None:
            return False
        if not isinstance(node, (ast.Name, ast.Attribute)) or not self.twinned_on_the_spot(node):
            return False
        self._mark_changed()
        return True

    def _subscript(self, node: ast.Subscript, place: Place) -> ast.expr:
        head = node.value.attr if isinstance(node.value, ast.Attribute) else getattr(node.value, "id", None)
        own = self._own_named_alike(head, node.value)
        spelled = ast.unparse(node.value)
        if spelled in _ASYNCIO_AWAITABLES:
            if self._as_portal_future(spelled, place):
                return _subscript(_PORTAL_FUTURE, self._convert(_elements(node.slice)[0], Place.ITEM))
            head = "Awaitable"  # `asyncio.Future[int]` that a sync def returns: awaited, as an Awaitable is
        if head == "Literal":  # its strings are values, not forward references; its enum members name a class
            self._record(node.value)
            for element in _elements(node.slice):
                if isinstance(element, ast.Attribute):  # `Literal[PureToken.SUM]` (coredis): import PureToken
                    self._record(element)
            return node
        arguments = _elements(node.slice)
        returned = place in (Place.AWAITED, Place.RETURNED, Place.ITEM)
        if place is Place.AWAITED and head in _UNWRAP and not own:
            self._mark_changed()
            return self._convert(arguments[-1], Place.RETURNED)
        if place in _AS_VALUE and head == "Awaitable" and not own:
            # an awaitable given as a value (websockets' `async def ping() -> Awaitable[float]`, a future the pong
            # completes): a future of the loop comes as a PortalFuture, as an `asyncio.Future[T]` does
            self._mark_changed()
            return _subscript(_PORTAL_FUTURE, self._convert(arguments[-1], Place.ITEM))
        if returned and head in _TO_ITERATOR and not own:
            self._mark_changed()
            return _subscript("_abc.Iterator", self._convert(arguments[0], Place.ITEM))
        if returned and head in _TO_CONTEXT and not own:
            self._mark_changed()
            return _subscript("_contextlib.AbstractContextManager", self._convert(arguments[0], Place.ITEM))
        if returned and head == "Callable" and not own and len(arguments) == 2 and _awaitable_result(arguments[1]):
            # an async function a call gives is a FunctionTwin (``_functions``): calling it blocks and gives T
            self._mark_changed()
            self._head = True  # the head itself, not a bare generic to fill in
            try:
                node.value = self._convert(node.value, Place.AS_WRITTEN)
            finally:
                self._head = False
            return _with_elements(node, [self._as_written(arguments[0]), self._convert(arguments[1], Place.AWAITED)])
        inner = Place.RETURNED if place is Place.AWAITED else place
        if place is not Place.PASSED and head not in self.twins and self._on_the_spot(node.value, place):
            return ast.Name("_typing.Any", ast.Load())  # a generic one: Any, unsubscripted
        self._head = True
        try:
            node.value = self._convert(node.value, inner)
        finally:
            self._head = False
        if isinstance(node.value, ast.Name) and not _is_dotted_name(node.value.id):
            # a generic type alias written out (pydantic-ai's `EventStreamHandler[AgentDepsT]`, whose body the twin
            # changes): `Callable[...][AgentDepsT]` is no type, and its parameters are not substituted: Any
            self._mark_changed()
            return ast.Name("_typing.Any", ast.Load())
        if place is Place.AS_WRITTEN:
            return _with_elements(node, [self._as_written(argument) for argument in arguments])
        if head in _UNIONS:
            # a union's members stand where it stands (an awaited one's Awaitable members are awaited too)
            converted = {ast.unparse(a): a for a in (self._convert(argument, place) for argument in arguments)}
            if head == "Union" and len(converted) == 1:  # `Union[Awaitable[T], T]` awaited: just T
                return next(iter(converted.values()))
            return _with_elements(node, list(converted.values()))  # each member once
        if head in _CONTAINERS and place is not Place.ITEM:
            self._depth += 1
            try:
                return _with_elements(node, [self._convert(argument, inner) for argument in arguments])
            finally:
                self._depth -= 1
        if head == "Annotated":  # the metadata is kept as it is, strings included
            for metadata in arguments[1:]:
                self.names |= names_used(metadata)
            return _with_elements(node, [self._convert(arguments[0], inner), *arguments[1:]])
        if place is Place.PASSED and head in _ABSTRACT_COLLECTIONS and len(arguments) == 1:
            passed = self._passed_collection(head, arguments[0])
            if passed is not None:
                return passed
        if head in self.twins and self.generic_twin is not None and not self.generic_twin(head):
            return node.value  # the twin alone: `SyncRedis[bytes]` is no type (mypy), nor a value at run time
        if head in self.twins:  # a generic twinned class: its type arguments are what its twin's methods map
            # but a type variable stays (`QuerySet[T]` -> `SyncQuerySet[T]`, not `SyncQuerySet[SyncModel]` when T's
            # bound is a listed class: the twin's own parameter has the async class's bound; ormar)
            return _with_elements(node, [self._type_argument(argument) for argument in arguments])
        return _with_elements(node, [self._as_written(argument) for argument in arguments])

    def _passed_collection(self, head: str, element: ast.expr) -> ast.expr | None:
        """A parameter written ``Iterable[X]`` (``Sequence``, ``Collection``) whose ``X`` holds a listed class: the
        built-in containers the twin unwraps, of ``X`` with its twins (asyncua's ``read_values(nodes:
        Iterable[Node])`` takes ``list[SyncNode] | tuple[SyncNode, ...] | set[...] | frozenset[...]``, which
        ``_support.passed_each`` unwraps; mypy refused a list of twins). Not an ``Iterable`` of twins:
        a generator of them would reach the async code as twins. None if
        ``X`` holds no listed class (then it is written as it is)."""
        used, self.twins_used = self.twins_used, set()
        depth, traversed, changed, names = self._depth, self.traversed, self.changed, set(self.names)
        self._depth += 1  # a change inside has the twin traverse the argument (``_support.passed_each``)
        try:
            converted = self._convert(copy_expression(element), Place.PASSED)
        finally:
            self._depth = depth
            listed, self.twins_used = self.twins_used, used | self.twins_used
        if not listed:  # no listed class in it (a type alias may still have been written out)
            self.traversed, self.changed, self.names = traversed, changed, names
            return None
        shapes = _UNWRAPPED_SHAPES[:2] if head == "Sequence" else _UNWRAPPED_SHAPES  # a set is no Sequence
        text = " | ".join(shape.format(ast.unparse(converted)) for shape in shapes)
        return ast.parse(text, mode="eval").body

    def _type_argument(self, node: ast.expr) -> ast.expr:
        """A type argument of a generic twinned class: converted as an item, a bare name that is no listed class
        (a type variable) left as written."""
        if isinstance(node, ast.Name) and node.id not in self.twins:
            return self._as_written(node)
        return self._convert(node, Place.ITEM)

    def _as_written(self, node: ast.expr) -> ast.expr:
        """``node`` with nothing rewritten: only names recorded, and bound type variables resolved."""
        if isinstance(node, (ast.Name, ast.Attribute, ast.Constant, ast.Subscript)):
            return self._convert(node, Place.AS_WRITTEN)
        for field_name, value in ast.iter_fields(node):
            if isinstance(value, ast.expr):
                setattr(node, field_name, self._as_written(value))
            elif isinstance(value, list):
                setattr(node, field_name, [self._as_written(v) if isinstance(v, ast.expr) else v for v in value])
        return node

    def _record(self, node: ast.expr) -> None:
        root = node
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name) and root.id not in _BUILTINS and root.id not in _OWN_NAMES:
            self.names.add(root.id)

    def _mark_changed(self) -> None:
        self.changed = True
        if self._depth:
            self.traversed = True


def _is_dotted_name(text: str) -> bool:
    """Whether ``text`` is a name or a dotted name (``Node``, ``_typing.Any``), not a type written out."""
    return all(part.isidentifier() for part in text.split("."))


def _awaitable_result(node: ast.expr) -> bool:
    """Whether ``node``, a ``Callable``'s result type, is ``Awaitable[T]`` or ``Coroutine[..., T]``."""
    if not isinstance(node, ast.Subscript):
        return False
    head = node.value.attr if isinstance(node.value, ast.Attribute) else getattr(node.value, "id", None)
    return head in _UNWRAP


def names_used(node: ast.expr) -> set[str]:
    """The module-level names an expression (a default value) reads; string constants are plain values here."""
    return {
        name.id
        for name in ast.walk(node)
        if isinstance(name, ast.Name) and name.id not in _BUILTINS and name.id not in _OWN_NAMES
    }


def _elements(node: ast.expr) -> list[ast.expr]:
    return list(node.elts) if isinstance(node, ast.Tuple) else [node]


def _union_members(node: ast.expr) -> list[ast.expr]:
    """The members of an ``a | b | c`` union, in order (a single member for anything else)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union_members(node.left) + _union_members(node.right)
    return [node]


def _with_elements(node: ast.Subscript, elements: list[ast.expr]) -> ast.Subscript:
    node.slice = ast.Tuple(elements, ast.Load()) if isinstance(node.slice, ast.Tuple) else elements[0]
    return node


def _subscript(name: str, argument: ast.expr) -> ast.expr:
    return ast.Subscript(ast.parse(name, mode="eval").body, argument, ast.Load())


def copy_expression(node: ast.expr) -> ast.expr:
    """A deep copy of ``node`` that may be changed in place (``*Ts``, the annotation of ``*args: *Ts``, too)."""
    if isinstance(node, ast.Starred):
        return ast.Starred(copy_expression(node.value), ast.Load())
    return ast.parse(ast.unparse(node), mode="eval").body
