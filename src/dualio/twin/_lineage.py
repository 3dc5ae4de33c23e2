"""Where a generated twin's members come from: the async class and the base classes the generator reads.

A base is read when it is defined in the same module, or imported from a module of the same top-level package
(a name a package's ``__init__`` re-exports is followed to its module). Bases from other packages (the standard
library, third parties) are not read: their source is not the user's to pin in generated code.

A generic base gives its type variables the values the subclass wrote: for ``class AsyncNotes(AsyncRepo[Note])``
the members of ``AsyncRepo(Generic[T])`` are read with ``T`` standing for ``Note`` (written in the subclass's
module, so ``Note`` is imported from there); an unsubscripted generic base (``class AsyncAny(AsyncRepo)``) gives
them ``Any``, as a type checker does. Each member is returned with its ``Origin``: the module whose names its
annotations use, the class that defines it, and what the type variables there stand for.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from ._branches import bound_names, is_overload, read_as_checked
from ._dynamic import PASSED_DUNDERS
from ._errors import GenerateError
from ._source import Source, in_blocks
from ._syntax import type_alias_value

__all__ = (
    "MAPPED",
    "MAX_REEXPORT_HOPS",
    "Origin",
    "Sources",
    "TypeArgument",
    "alias_any_arguments",
    "ancestors",
    "any_arguments",
    "class_members",
    "is_overload",
    "standard_generic_arguments",
    "type_parameters",
    "type_variable_call",
)

MAX_REEXPORT_HOPS = 8
# Dunders a twin maps: those it passes through as methods (as the run-time twin does), the async protocols,
# the constructor. Other names with a leading underscore are not part of a twin.
MAPPED = PASSED_DUNDERS | {"__init__", "__aenter__", "__aexit__", "__aiter__", "__anext__"}


@dataclass(frozen=True)
class TypeArgument:
    """What a type variable of a base class stands for: an expression, and where it is written."""

    expression: ast.expr
    source: Source  # the module whose names the expression uses
    bindings: dict[str, TypeArgument]  # the type variables in effect where it is written


@dataclass(frozen=True)
class Origin:
    """Where a member is defined, and what that class's type variables stand for in the twin."""

    source: Source
    klass: ast.ClassDef
    bindings: dict[str, TypeArgument]


class Sources:
    """The modules one twin module is generated from, each parsed once."""

    def __init__(self) -> None:
        self.by_module: dict[str, Source] = {}
        self._type_variables: dict[tuple[str, str], str | None] = {}  # (module, name) -> its kind, if one

    def load(self, module: str) -> Source:
        if module not in self.by_module:
            self.by_module[module] = Source.load(module)
        return self.by_module[module]

    def base_class(
        self, source: Source, base: ast.expr, package: str | None, *, type_only: bool = False
    ) -> tuple[Source, ast.ClassDef] | None:
        """The definition of a base class written in ``source``, if the generator reads it (see above); with
        ``package`` None, in any package whose source can be read.

        ``type_only``: a name imported for type checking only counts too (a class an annotation names).
        """
        if isinstance(base, ast.Name) and base.id in source.classes:
            return source, source.classes[base.id]
        if isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name) and base.value.id in source.classes:
            for statement in source.classes[base.value.id].body:  # `Outer.Inner`, a class nested in one of source's
                if isinstance(statement, ast.ClassDef) and statement.name == base.attr:
                    return source, statement
        qualified = source.qualified_name(base, type_only=type_only)
        if qualified is None and isinstance(base, ast.Name) and base.id in source.defined:
            qualified = _assigned_name(source, base.id)  # `AsyncPubSubCommands = PubSubCommands` (redis-py)
        if qualified is None:
            return None
        reached, found = self.follow(qualified, package)
        name = reached.rpartition(".")[2]
        return (found, found.classes[name]) if found is not None and name in found.classes else None

    def type_variable_kind(self, source: Source, name: str) -> str | None:
        """``TypeVar``, ``TypeVarTuple`` or ``ParamSpec`` if ``source``'s top-level ``name`` is one (bound there, or
        imported from a module of the same top-level package that binds it); else None."""
        key = (source.module, name)
        if key not in self._type_variables:
            kind = _bound_type_variable(source, name)
            if kind is None and name not in source.defined:
                qualified = source.qualified_name(ast.Name(name, ast.Load()), type_only=True)
                if qualified in _LIBRARY_TYPE_VARIABLES:  # `from typing import AnyStr`: asyncssh's sessions
                    kind = _PLAIN
                elif qualified is not None:
                    reached, found = self.follow(qualified, source.module.partition(".")[0])
                    if reached in _LIBRARY_TYPE_VARIABLES:  # re-exported: `from coredis.typing import AnyStr`
                        kind = _PLAIN
                    elif found is not None:
                        kind = _bound_type_variable(found, reached.rpartition(".")[2])
            self._type_variables[key] = kind
        return self._type_variables[key]

    def type_variable_default(self, source: Source, name: str) -> ast.expr | None:
        """The ``default=`` of the ``TypeVar`` ``source``'s top-level ``name`` is (PEP 696: pydantic-ai's
        ``MetadataT_co = TypeVar(..., default=Any)``), there or where it is imported from; None if it has none."""
        call = type_variable_call(source, name)
        if call is None and name not in source.defined:
            qualified = source.qualified_name(ast.Name(name, ast.Load()), type_only=True)
            if qualified is not None:
                reached, found = self.follow(qualified, source.module.partition(".")[0])
                call = type_variable_call(found, reached.rpartition(".")[2]) if found is not None else None
        return next((k.value for k in call.keywords if k.arg == "default"), None) if call is not None else None

    def definition_of(self, qualified: str) -> str:
        """The dotted name where ``qualified`` (``pkg.Item``) is defined, re-exports followed as far as source goes."""
        return self.follow(qualified, None)[0]

    def follow(self, qualified: str, package: str | None) -> tuple[str, Source | None]:
        """Follow ``qualified`` through re-exports: the dotted name reached, and the module defining it if read.

        Re-exports are ``import``/``from ... import`` statements, a top-level assignment of another name
        (``AsyncCopy = _copy_async.AsyncCopy``, as psycopg's ``copy`` module writes it) and, for a name a module
        does not bind itself, its ``from m import *`` statements (the last that exports the name, as at run time:
        httpx's ``__init__``). Stops at a name with no module part, at a module with no Python source (a C extension,
        or a name that is a module), and, given a ``package``, at a name outside that top-level package (nothing
        there is read).
        """
        for _hop in range(MAX_REEXPORT_HOPS):
            module, _, name = qualified.rpartition(".")
            if not module or (package is not None and qualified.partition(".")[0] != package):
                return qualified, None
            try:
                found = self.load(module)
            except GenerateError:
                return qualified, None
            if name in found.defined:
                assigned = _assigned_name(found, name)
                if assigned is None:
                    return qualified, found
                qualified = assigned
                continue
            origin = found.origins.get(name)
            if origin is None:
                star = None if found.binds(name) else self._star_source(found, name)
                if star is None:
                    return qualified, None
                origin = f"{star}.{name}"
            qualified = origin
        return qualified, None

    def type_alias(self, source: Source, name: str, package: str) -> tuple[ast.expr, Source] | None:
        """What the type alias ``name`` of ``source`` stands for, and the module that defines it; None if it is no
        alias. An imported one is followed as a base is (``package``'s modules only)."""
        value = type_alias_value(source.tree, name)
        if value is not None:
            return value, source
        qualified = source.qualified_name(ast.Name(name, ast.Load()), type_only=True)
        if qualified is None:
            return None
        reached, defining = self.follow(qualified, package)
        value = type_alias_value(defining.tree, reached.rpartition(".")[2]) if defining is not None else None
        return (value, defining) if value is not None and defining is not None else None

    def import_for(self, source: Source, name: str, where: str, *, runtime: bool = False) -> tuple[str, bool]:
        """``source.statement_for(name, ...)``, the import that gives the generated module ``name`` of ``source``;
        a name that only a ``from m import *`` of ``source`` binds is imported from ``m`` (rnet's stub names
        ``Cookie`` that way)."""
        if not source.binds(name) and name not in source.class_imports:
            star = self._star_source(source, name)
            if star is not None:
                return f"from {star} import {name}", False
        return source.statement_for(name, where, runtime=runtime)

    def _star_source(self, source: Source, name: str) -> str | None:
        """The module a ``from m import *`` of ``source`` takes ``name`` from, if one does (the last such import)."""
        for module in reversed(source.stars):
            try:
                if self.load(module).exports(name):
                    return module
            except GenerateError:
                continue
        return None


def type_parameters(sources: Sources, source: Source, node: ast.ClassDef) -> list[str]:
    """The type variables of the class ``source`` defines as ``node``, in order (a ``TypeVarTuple`` as ``*Ts``).

    Declared (``class C[T]``, Python >= 3.12), listed (``Generic[T]``, ``Protocol[T]``), or else, as PEP 484 says,
    those its bases are written with, in the order they first appear: ``class Mixin(Base[T])`` is generic in
    ``T`` (psycopg's ``ServerCursorMixin``, SQLAlchemy's ``Mapper``). A name counts as a type variable when the
    module binds it to ``TypeVar(...)``, ``TypeVarTuple(...)`` or ``ParamSpec(...)``, imports it from a
    module of its package that does, or imports ``typing.AnyStr`` (asyncssh's ``SSHClientStreamSession``).
    """
    declared = getattr(node, "type_params", None)
    if declared:
        return [parameter.name for parameter in declared]
    for base in node.bases:
        if isinstance(base, ast.Subscript):
            head = base.value.attr if isinstance(base.value, ast.Attribute) else getattr(base.value, "id", None)
            if head in {"Generic", "Protocol"}:
                return [ast.unparse(element) for element in _elements(base.slice)]
    found: list[str] = []
    for base in node.bases:
        if not isinstance(base, ast.Subscript):
            continue
        names = [name for name in ast.walk(base.slice) if isinstance(name, ast.Name)]
        for name in sorted(names, key=lambda name: (name.lineno, name.col_offset)):
            kind = sources.type_variable_kind(source, name.id)
            written = f"*{name.id}" if kind == _TUPLE else name.id
            if kind is not None and written not in found:
                found.append(written)
    return found


_PLAIN, _TUPLE, _SPEC = "TypeVar", "TypeVarTuple", "ParamSpec"
# The type variables the standard library (and typing_extensions) define for others to use.
_LIBRARY_TYPE_VARIABLES = frozenset({"typing.AnyStr", "typing_extensions.AnyStr"})
_ANY = "_typing.Any"
_ANY_ARGUMENT = {_PLAIN: _ANY, _TUPLE: f"*tuple[{_ANY}, ...]", _SPEC: "..."}  # a parameter's argument in a bare use


def any_arguments(sources: Sources, source: Source, node: ast.ClassDef) -> list[str]:
    """What a bare use of the class ``node`` means, spelled out: ``Any`` for each type parameter (``*tuple[Any,
    ...]`` for a ``TypeVarTuple``, ``...`` for a ``ParamSpec``); [] if it is not generic."""
    return [_ANY_ARGUMENT[kind] for _name, kind in _parameter_kinds(sources, source, node)]


def alias_any_arguments(sources: Sources, source: Source, value: ast.expr) -> list[str]:
    """What a bare use of a type alias standing for ``value`` (in ``source``) means, spelled out: ``Any`` for each
    type variable in it, in the order they first appear (as a type checker orders them); [] if there is none."""
    found: dict[str, str] = {}
    names = [name for name in ast.walk(value) if isinstance(name, ast.Name)]
    for name in sorted(names, key=lambda name: (name.lineno, name.col_offset)):
        kind = sources.type_variable_kind(source, name.id)
        if kind is not None:
            found.setdefault(name.id, _ANY_ARGUMENT[kind])
    return list(found.values())


# Generic types of the standard library, by name, and what a bare use of each means (mypy's reading).
_ONE = (_ANY,)
_STANDARD_GENERICS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("list", "set", "frozenset", "List", "Set", "FrozenSet", "Deque", "deque"), _ONE),
    **dict.fromkeys(("dict", "Dict", "DefaultDict", "defaultdict", "OrderedDict", "ChainMap"), (_ANY, _ANY)),
    **dict.fromkeys(("tuple", "Tuple"), (_ANY, "...")),
    "Callable": ("...", _ANY),
    **dict.fromkeys(
        (
            "Awaitable",
            "Iterable",
            "Iterator",
            "AsyncIterable",
            "AsyncIterator",
            "Sequence",
            "MutableSequence",
            "Collection",
            "Container",
            "Reversible",
            "AbstractSet",
            "MutableSet",
            "KeysView",
            "ValuesView",
            "Type",
            "Pattern",
            "Match",
            "ContextManager",
            "AsyncContextManager",
            "AbstractContextManager",
            "AbstractAsyncContextManager",
            "Future",
            "Task",
            "Queue",
        ),
        _ONE,
    ),
    **dict.fromkeys(("PathLike", "Counter", "WeakSet", "ReferenceType", "ref", "Popen", "CompletedProcess"), _ONE),
    **dict.fromkeys(("SimpleQueue", "LifoQueue", "PriorityQueue"), _ONE),
    **dict.fromkeys(("WeakKeyDictionary", "WeakValueDictionary", "MappingProxyType"), (_ANY, _ANY)),
    **dict.fromkeys(("Mapping", "MutableMapping", "ItemsView", "AsyncGenerator"), (_ANY, _ANY)),
    **dict.fromkeys(("Generator", "Coroutine"), (_ANY, _ANY, _ANY)),
}
_STANDARD_MODULES = frozenset(
    {"builtins", "typing", "typing_extensions", "collections", "collections.abc", "contextlib", "re", "asyncio"}
    | {"os", "queue", "weakref", "types", "subprocess"}
)


def standard_generic_arguments(qualified: str) -> list[str] | None:
    """``Any`` arguments for a bare standard generic (``typing.Callable`` -> ``[..., Any]``); None for others."""
    module, _, name = qualified.rpartition(".")
    if module not in _STANDARD_MODULES and not module.startswith("asyncio."):
        return None
    arguments = _STANDARD_GENERICS.get(name)
    return list(arguments) if arguments is not None else None


def _parameter_kinds(sources: Sources, source: Source, node: ast.ClassDef) -> list[tuple[str, str]]:
    """The type parameters of ``node``, in order, each with its kind (``TypeVar``, ``TypeVarTuple``, ``ParamSpec``)."""
    declared = getattr(node, "type_params", None)  # class C[T, *Ts, **P] (Python >= 3.12)
    if declared:
        return [(parameter.name, type(parameter).__name__) for parameter in declared]
    kinds = []
    for written in type_parameters(sources, source, node):  # Generic[T, *Ts], Generic[T, Unpack[Ts]], Generic[P, R]
        if written.startswith("*"):  # `*Ts` does not parse alone
            kinds.append((written[1:], _TUPLE))
            continue
        expression = ast.parse(written, mode="eval").body
        if isinstance(expression, ast.Subscript) and ast.unparse(expression.value).endswith("Unpack"):
            kinds.append((ast.unparse(expression.slice), _TUPLE))
        else:
            kinds.append((written, _SPEC if sources.type_variable_kind(source, written) == _SPEC else _PLAIN))
    return kinds


def _defaults(sources: Sources, source: Source, missing: list[tuple[str, str]]) -> list[ast.expr]:
    """The defaults of the type parameters ``missing`` (the last of a base's, which a subclass did not write),
    as far as each of them has one, in order (a parameter without one ends the list: ``_bind`` then refuses)."""
    found: list[ast.expr] = []
    for name, kind in missing:
        default = sources.type_variable_default(source, name) if kind == _PLAIN else None
        if default is None:
            break
        found.append(default)
    return found


def _bind(kinds: list[tuple[str, str]], arguments: list[ast.expr] | None, where: str, base: str) -> dict[str, ast.expr]:
    """What each type parameter of a base stands for, given the arguments a subclass wrote (None: unsubscripted).

    An unsubscripted base gives ``Any`` (``tuple[Any, ...]`` for a ``TypeVarTuple``, ``...`` for a ``ParamSpec``),
    as a type checker does. A ``TypeVarTuple`` takes the arguments left between those of the parameters before
    and after it, as a ``tuple[...]`` (``*Ts`` then reads ``*tuple[str, bytes]``); a class whose only parameter
    is a ``ParamSpec`` may be written ``Base[int, str]`` for ``Base[[int, str]]``.
    """
    if arguments is None:
        return {
            name: _expression(_ANY if kind == _PLAIN else "..." if kind == _SPEC else f"tuple[{_ANY}, ...]")
            for name, kind in kinds
        }
    if len(kinds) == 1 and kinds[0][1] == _SPEC and not _is_parameter_list(arguments):
        arguments = [ast.List(arguments, ast.Load())]
    variadic = [index for index, (_, kind) in enumerate(kinds) if kind == _TUPLE]
    fixed = len(kinds) - len(variadic)
    if len(variadic) > 1 or (not variadic and len(arguments) != fixed) or len(arguments) < fixed:
        names = ", ".join(name for name, _ in kinds) or "none"
        raise GenerateError(
            f"{where}: written with {len(arguments)} type argument(s), but {base} takes {fixed}"
            f"{' or more' if variadic else ''} ({names}); a type checker rejects it too"
        )
    if not variadic:
        return {name: argument for (name, _), argument in zip(kinds, arguments, strict=True)}
    at = variadic[0]
    after = len(kinds) - at - 1
    middle = arguments[at : len(arguments) - after]
    packed: ast.expr
    if len(middle) == 1 and isinstance(middle[0], ast.Starred):
        packed = middle[0].value  # *Us or *tuple[int, ...]: what it unpacks
    else:
        packed = _expression(f"tuple[{', '.join(map(ast.unparse, middle)) or '()'}]")
    bound = {name: argument for (name, _), argument in zip(kinds[:at], arguments[:at], strict=True)}
    bound[kinds[at][0]] = packed
    bound.update(zip((name for name, _ in kinds[at + 1 :]), arguments[len(arguments) - after :], strict=True))
    return bound


def _is_parameter_list(arguments: list[ast.expr]) -> bool:
    """Whether ``arguments`` are one ParamSpec value: ``[int, str]``, ``...`` or another ParamSpec's name."""
    return len(arguments) == 1 and isinstance(arguments[0], (ast.List, ast.Name, ast.Constant))


def _expression(text: str) -> ast.expr:
    return ast.parse(text, mode="eval").body


def class_members(
    sources: Sources, source: Source, node: ast.ClassDef, *, strict: bool = True
) -> tuple[dict[str, list[ast.stmt]], dict[int, Origin]]:
    """Members of ``node`` by name, as Python looks them up (the MRO), and each statement's origin.

    ``found[name]`` lists the statements that define ``name`` in the class that wins; a ``@x.setter``, an
    ``@overload`` and the implementation after overloads add to the list of its class's own definition of
    ``name`` instead of starting a new one.
    Raises ``GenerateError`` if a class read defines members under an ``if``/``try``/``with``/loop in its body
    (which one exists at run time cannot be read from source), ``if TYPE_CHECKING:`` blocks aside; not if
    ``strict`` is False (a class only looked at, whose twin is not written: its other members are still read).
    """
    found: dict[str, list[ast.stmt]] = {}
    origins: dict[int, Origin] = {}
    package = source.module.partition(".")[0]
    for origin in reversed(_mro(sources, Origin(source, node, {}), package, ())):
        if strict:
            _refuse_conditional_members(origin, source, node)
        for statement in origin.klass.body:
            origins[id(statement)] = origin
            for name in bound_names(statement):
                same_class = name in found and origins[id(found[name][0])].klass is origin.klass
                follows_overloads = same_class and all(is_overload(earlier) for earlier in found[name])
                if not (same_class and _is_accessor(statement)) and not follows_overloads:
                    found[name] = []
                found[name].append(statement)
    return found, origins


def ancestors(sources: Sources, source: Source, node: ast.ClassDef) -> list[tuple[str, str]]:
    """The bases of ``node`` the generator reads, as ``(module, class)``, in method resolution order."""
    package = source.module.partition(".")[0]
    return [_key(origin) for origin in _mro(sources, Origin(source, node, {}), package, ())[1:]]


def _mro(sources: Sources, origin: Origin, package: str, path: tuple[tuple[str, str], ...]) -> list[Origin]:
    """The classes read for ``origin``'s members in method resolution order (C3, as Python computes it).

    Bases the generator does not read (see the module docstring) are left out. A class reached along two
    paths keeps the type arguments of the first.
    """
    key = (origin.source.module, origin.klass.name)
    path = (*path, key)
    chains: list[list[Origin]] = []
    for base in _read_bases(sources, origin, package):
        if (base.source.module, base.klass.name) not in path:  # an import cycle in the source: read it once
            chains.append(_mro(sources, base, package, path))
    chains.append([chain[0] for chain in chains])
    merged = [origin]
    while any(chains):
        chains = [chain for chain in chains if chain]
        head = next(
            (c[0] for c in chains if not any(_key(c[0]) in {_key(o) for o in other[1:]} for other in chains)), None
        )
        if head is None:
            where = f"{origin.source.module}.{origin.klass.name}"
            raise GenerateError(f"the bases of {where} have no consistent method resolution order (Python refuses it)")
        merged.append(head)
        chains = [chain[1:] if _key(chain[0]) == _key(head) else chain for chain in chains]
    return merged


def _key(origin: Origin) -> tuple[str, str]:
    return origin.source.module, origin.klass.name


def _read_bases(sources: Sources, origin: Origin, package: str) -> Iterator[Origin]:
    """The bases of ``origin``'s class that the generator reads, in the order written, with their bindings."""
    for base in origin.klass.bases:
        head, arguments = (base.value, _elements(base.slice)) if isinstance(base, ast.Subscript) else (base, None)
        if not isinstance(head, (ast.Name, ast.Attribute)):
            continue
        found = sources.base_class(origin.source, head, package)
        if found is None:
            continue
        where = f"base {ast.unparse(base)} of {origin.source.module}.{origin.klass.name}"
        kinds = _parameter_kinds(sources, found[0], found[1])
        if arguments is not None and len(arguments) < len(kinds):  # the last parameters may have defaults
            arguments = arguments + _defaults(sources, found[0], kinds[len(arguments) :])
        bound = _bind(kinds, arguments, where, found[1].name)
        bindings = {name: TypeArgument(argument, origin.source, origin.bindings) for name, argument in bound.items()}
        yield Origin(found[0], found[1], bindings)


def _refuse_conditional_members(origin: Origin, source: Source, node: ast.ClassDef) -> None:
    """Raise ``GenerateError`` if ``origin``'s class body binds names inside compound statements (all named); the
    class read is ``node`` of ``source`` or one of its bases."""
    places = []
    for statement in origin.klass.body:
        if not isinstance(statement, (ast.If, ast.Try, ast.With, ast.For, ast.While, ast.Match)):
            continue
        if isinstance(statement, ast.If) and _is_type_checking(statement.test) and not statement.orelse:
            continue  # declarations for type checkers only: nothing there exists at run time
        names = sorted(name for name in _names_bound_inside(statement) if not name.startswith("_") or name in MAPPED)
        if names:
            kind = {"If": "if", "Try": "try", "With": "with", "For": "for", "While": "while", "Match": "match"}
            places.append(f"{', '.join(names)} (in the {kind[type(statement).__name__]} at line {statement.lineno})")
    if not places:
        return
    where = f"{origin.source.module}.{origin.klass.name}"
    if origin.klass is node:
        raise GenerateError(
            f"{where} defines members inside statements of its class body: {'; '.join(places)}. The generator "
            "reads members a class defines unconditionally, or under an `if` a type checker decides "
            "(TYPE_CHECKING, sys.version_info, sys.platform); for others it cannot tell which exist at run time. "
            "Define them unconditionally, or use dualio.twin.sync_class() at run time for this class"
        )
    read = f"{source.module}.{node.name}"
    raise GenerateError(
        f"{read} cannot be generated: its base {where} defines members inside statements of its class body: "
        f"{'; '.join(places)}. The generator reads members a class defines unconditionally, or under an `if` a "
        "type checker decides (TYPE_CHECKING, sys.version_info, sys.platform); for others it cannot tell which of "
        f"them {node.name} has at run time. Use dualio.twin.sync_class({node.name}) at run time (or "
        f"dualio.twin.twin_of(obj) on its objects) instead of listing it"
    )


def _names_bound_inside(compound: ast.AST) -> set[str]:
    """Names that the statements nested in ``compound`` bind in the class body (not inside a def or class)."""
    names: set[str] = set()
    for field in ("body", "orelse", "finalbody", "handlers", "cases"):
        for child in getattr(compound, field, []):
            if isinstance(child, (ast.ExceptHandler, ast.match_case)):
                names |= _names_bound_inside(child)
                continue
            names.update(bound_names(child))
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names |= _names_bound_inside(child)
    return names


def _is_type_checking(test: ast.expr) -> bool:
    return ast.unparse(test) in {"TYPE_CHECKING", "typing.TYPE_CHECKING", "_typing.TYPE_CHECKING"}


def _elements(node: ast.expr) -> list[ast.expr]:
    return list(node.elts) if isinstance(node, ast.Tuple) else [node]


def _is_accessor(statement: ast.stmt) -> bool:
    """A ``@x.setter``/``@x.deleter`` or ``@overload`` def adds to its name instead of replacing it."""
    if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    decorators = {ast.unparse(decorator) for decorator in statement.decorator_list}
    return is_overload(statement) or any(d.endswith((".setter", ".deleter")) for d in decorators)


def _bound_type_variable(source: Source, name: str) -> str | None:
    """The kind of type variable ``source`` binds ``name`` to at its top level (``T = TypeVar("T")``), or None."""
    call = type_variable_call(source, name)
    return ast.unparse(call.func).rpartition(".")[2] if call is not None else None


def type_variable_call(source: Source, name: str) -> ast.Call | None:
    """The ``TypeVar(...)`` (``TypeVarTuple``, ``ParamSpec``) call ``source`` binds ``name`` to at its top level,
    a top-level ``if``/``try`` block's included (ormar's ``if TYPE_CHECKING: T = TypeVar("T", bound=...)``)."""
    for statement in in_blocks(source.tree.body):
        if not isinstance(statement, ast.Assign) or not isinstance(statement.value, ast.Call):
            continue
        if any(isinstance(target, ast.Name) and target.id == name for target in statement.targets):
            called = ast.unparse(statement.value.func).rpartition(".")[2]
            return statement.value if called in {_PLAIN, _TUPLE, _SPEC} else None
    return None


def _assigned_name(source: Source, name: str) -> str | None:
    """The dotted name ``source``'s top-level ``name = other`` (its last binding, as a type checker reads the module:
    aiohttp's ``if TYPE_CHECKING: SSLContext = ssl.SSLContext``) makes ``name`` another name for: ``other`` a name
    the module defines or imports, or ``module.Name`` of an imported module; else None."""
    value: ast.expr | None = None
    for statement in read_as_checked(source.tree.body):
        if isinstance(statement, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == name for target in statement.targets
        ):
            value = statement.value
        elif isinstance(statement, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and statement.name == name:
            value = None
    if isinstance(value, ast.Name) and value.id in source.defined and value.id != name:
        return f"{source.module}.{value.id}"
    if isinstance(value, (ast.Name, ast.Attribute)):  # (`ssl` imported for type checking only: read all the same)
        return source.qualified_name(value, type_only=True)
    return None
