"""How a generated twin writes what it copies from async source: signatures, annotations, defaults, names.

``SignatureWriter`` holds what one twin class needs to write any member: the module's names to import
(``Names``), the twins of other output files (``ForeignTwins``), the type variables in scope, and the origin of
the member being written (``reading``), whose module's names its annotations use. ``_writer.ClassWriter``
builds on it to write the class and its members.
"""

from __future__ import annotations

import ast
import builtins
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ._annotations import Annotations, Place, _elements, copy_expression, names_used
from ._errors import GenerateError
from ._lineage import (
    Origin,
    Sources,
    TypeArgument,
    alias_any_arguments,
    any_arguments,
    class_members,
    standard_generic_arguments,
    type_parameters,
    type_variable_call,
)
from ._source import Source, returns_self_only
from ._syntax import (
    QualifyNames,
    class_body_names,
    class_level_names,
    declared_type_parameters,
    docstring_lines,
    has_async_members,
)

__all__ = ("INDENT", "ForeignTwins", "Names", "OutputModule", "SignatureWriter", "returning")

INDENT = "    "
_BUILTIN_NAMES = frozenset(dir(builtins))
# What awaiting gives, for a class whose own ``__await__`` does not say (``_SignatureWriter._await_result``).
_AWAITED_UNKNOWN = ast.Name("_typing.Any", ast.Load())


@dataclass
class Names:
    """Names the generated module must import: for type checking only, at run time (defaults), or as the type
    parameters of a generic twin class (at run time too, where any type variable does)."""

    typing: set[str] = field(default_factory=set)
    runtime: set[str] = field(default_factory=set)
    parameters: set[str] = field(default_factory=set)


class ForeignTwins:
    """Twinned classes generated into other output files, as the names of each async module refer to them."""

    def __init__(self, elsewhere: Mapping[tuple[str, str], tuple[str, str]], own_twins: set[str]) -> None:
        # A twin named like one of this output's is left out: the annotation would be ambiguous.
        self.elsewhere = {key: holder for key, holder in elsewhere.items() if holder[1] not in own_twins}
        self.used: dict[tuple[str, str], tuple[str, str]] = {}  # those an annotation of this output named
        self._by_source: dict[str, dict[str, tuple[str, str]]] = {}

    def named_in(self, source: Source, definition_of: Callable[[str], str]) -> dict[str, tuple[str, str]]:
        """The names ``source`` binds to such classes: defined there, or imported, from their module or from one
        that re-exports them (``definition_of`` follows re-exports: psycopg_pool imports ``psycopg.AsyncConnection``,
        defined in ``psycopg.connection_async``)."""
        found = self._by_source.get(source.module)
        if found is None:
            found = {}
            names = {cls for _module, cls in self.elsewhere}
            for module, cls in self.elsewhere:
                if module == source.module and cls in source.classes:
                    found[cls] = (module, cls)
            for name, origin in source.origins.items():
                if origin.rpartition(".")[2] in names:
                    module, _, cls = definition_of(origin).rpartition(".")
                    if (module, cls) in self.elsewhere:
                        found[name] = (module, cls)
            self._by_source[source.module] = found
        return found

    def use(self, key: tuple[str, str]) -> None:
        """An annotation named this class: its twin's module is imported for type checking, and registered."""
        self.used[key] = self.elsewhere[key]


def returning(returns: str, value: str) -> list[str]:
    """The body lines of a twin member typed ``returns`` whose result is the support call ``value``."""
    if returns == "None":
        return [f"{INDENT * 2}{value}"]
    if returns.rpartition(".")[2] in {"NoReturn", "Never"}:  # a return statement would be an error there
        return [f"{INDENT * 2}{value}", f'{INDENT * 2}raise AssertionError("unreachable: it returned")']
    if returns in {"_typing.Any", "typing.Any", "Any"}:  # the support call gives `Any`: no cast to repeat it
        return [f"{INDENT * 2}return {value}"]
    return [f"{INDENT * 2}return _typing.cast({returns!r}, {value})"]


@dataclass(frozen=True)
class OutputModule:
    """What the writers of the classes of one twin module share."""

    sources: Sources  # the modules it is generated from
    names: dict[str, Names]  # per async module, the names its annotations and defaults need
    twins: dict[str, str]  # async class name -> twin class name, for the classes of this module
    foreign: ForeignTwins
    own: set[tuple[str, str]]  # the listed classes of this output, (module, class)


class SignatureWriter:
    """Writes the signatures and annotations of one twin class's members (see the module's docstring)."""

    def __init__(
        self,
        output: OutputModule,
        source: Source,
        node: ast.ClassDef,
        members: dict[str, list[ast.stmt]],
        origins: dict[int, Origin],
    ) -> None:
        self.foreign = output.foreign
        self.own = output.own
        self.source = source
        self.node = node
        self.async_name = node.name
        self.twins = output.twins
        self.lines: list[str] = []
        self.sources = output.sources
        self.package = source.module.partition(".")[0]
        self.members, self._origins = members, origins
        self._names = output.names
        self._on_the_spot: dict[tuple[str, str, bool], bool] = {}
        self._reading_bound = False  # converting a type variable's bound (``_bound_twin``)
        self._bare: dict[tuple[str, str], list[str]] = {}  # (module, written name) -> Any arguments of a bare use
        self._generic: dict[tuple[str, str], bool] = {}  # (module, class) -> whether its twin takes type arguments
        self._own_by_source: dict[str, dict[str, str]] = {}  # module -> what ``_own_in`` gives for it
        self._type_variable_calls: dict[tuple[str, str], tuple[ast.Call, Source] | None] = {}
        # (module, written class) -> what awaiting an instance gives, its class's source and type parameters
        self._awaits: dict[tuple[str, str], tuple[ast.expr, Source, list[str]] | None] = {}
        parameters = type_parameters(output.sources, source, node)
        self._class_type_variables = frozenset(name.lstrip("*") for name in parameters)
        # Builtins a member of the twin shadows inside its class body (redis's `type` and `set` commands): the
        # annotations there that mean the builtin are written `_builtins.type`.
        self._shadowed = frozenset(name for name in members if name in _BUILTIN_NAMES)
        self._origin = Origin(source, node, {})  # where the member being written now is defined
        # `class AsyncPool[T]` (3.12+)
        self._class_scope = {parameter.name for parameter in declared_type_parameters(node)}
        self._aliases: dict[tuple[str, str], tuple[ast.expr, Source] | None] = {}  # (module, name) -> definition
        self._expanding: set[tuple[str, str]] = set()  # aliases being read (a recursive one is kept by name)
        self._lookup = Sources()  # modules read only to find an alias: not what the twin is generated from
        self._scope = self._class_scope  # type parameters in scope now: never imported

    @property
    def names(self) -> Names:
        """The names the annotations and defaults written now need, from the module that defines them."""
        return self._names[self._origin.source.module]

    def reading(self, statement: ast.stmt) -> ast.ClassDef:
        """Write what follows with the names and type arguments of ``statement``'s class; return that class."""
        self._origin = self._origins[id(statement)]
        self._scope = self._class_scope | {parameter.name for parameter in declared_type_parameters(statement)}
        return self._origin.klass

    # -- helpers --------------------------------------------------------------------------------------------

    def annotation(self, node: ast.expr | None, place: Place) -> str:
        """``node`` as sync code sees it where it is written (``place``; see ``_annotations``)."""
        return self.annotation_traversed(node, place)[0]

    def annotation_traversed(self, node: ast.expr | None, place: Place) -> tuple[str, bool]:
        """The annotation, and whether the twin must traverse the value's built-in containers to deliver it."""
        origin = self._origin
        text, converter = self._convert(node, place, origin.source, origin.bindings)
        return text, converter.traversed

    def _convert(
        self, node: ast.expr | None, place: Place, source: Source, bindings: dict[str, TypeArgument]
    ) -> tuple[str, Annotations]:
        """``node``, written in ``source``, for the sync side; each bound type variable read where it is used."""
        foreign = self.foreign.named_in(source, self._lookup.definition_of)
        twins = {**{name: self.foreign.elsewhere[key][1] for name, key in foreign.items()}, **self._own_in(source)}
        # A method's annotation sees its class's scope (mypy): `-> Metadata` in `class Msg` is `Msg.Metadata`.
        klass = self._origin.klass
        nested = (
            {s.name: f"{klass.name}.{s.name}" for s in klass.body if isinstance(s, ast.ClassDef)}
            if source is self._origin.source
            else {}
        )

        def resolve(name: str, used_in: Place) -> tuple[str, bool] | None:
            argument = bindings.get(name)
            if argument is None:
                return self._alias(source, name, used_in) or self._bound_twin(source, name, used_in)
            text, inner = self._convert(argument.expression, used_in, argument.source, argument.bindings)
            return text, inner.changed

        converter = Annotations(
            twins,
            resolve,
            lambda class_node: self._twinned_on_the_spot(source, class_node),
            lambda attribute: self._twin_of_attribute(source, attribute),
            self._type_variables,
            self._shadowed,
            lambda class_node: self._bare_arguments(source, class_node),
            nested,
            lambda written, used_in: self._awaited(source, bindings, written, used_in),
            lambda class_node: self._lookup.base_class(source, class_node, self.package, type_only=True) is not None,
            lambda class_node: self._entered(source, class_node),
            lambda name: self._generic_twin(source, name, foreign),
        )
        text = converter.convert(node, place)
        for name in converter.twins_used:
            if name in foreign and name not in self.twins:
                self.foreign.use(foreign[name])
        self._names[source.module].typing.update(converter.names - self._scope)
        return text, converter

    def _alias(self, source: Source, name: str, place: Place) -> tuple[str, bool] | None:
        """A type alias (``ResponseT = Union[Awaitable[Any], Any]``) whose meaning the twin changes where it is used,
        read as what it stands for (redis-py's commands return ``ResponseT``: a twin returns ``Any``); None, and
        the alias kept by name, when nothing in it changes. Aliases are read in the package's own modules only,
        as bases are (``_lineage``)."""
        definition = self._alias_definition(source, name)
        if definition is None or place is Place.AS_WRITTEN:
            return None
        expression, defined_in = definition
        key = (defined_in.module, name)
        if key in self._expanding:
            return None
        recorded = set(self._names[defined_in.module].typing)
        self._expanding.add(key)
        try:
            text, converter = self._convert(expression, place, defined_in, {})
        finally:
            self._expanding.discard(key)
        if not converter.changed:
            self._names[defined_in.module].typing = recorded  # the alias is written by name: import only that
            return None
        self.sources.load(defined_in.module)  # the twin now depends on it (and imports names as it does)
        return text, True

    def _bound_twin(self, source: Source, name: str, place: Place) -> tuple[str, bool] | None:
        """A type variable of the twin whose bound names a listed class, read as that bound where the twin maps
        the value: psycopg_pool's ``ACT`` (``bound="AsyncConnection[Any]"``) is what ``pool.connection()``
        gives, and a twin gives ``Connection[Any]`` (the twin of the bound), not an ``AsyncConnection``. A
        constrained variable is read as the union of its constraints where one of them is changed so. Written
        anywhere else (``type[ACT]``, a callback's argument, the twin's own ``Generic[ACT]``) it stays."""
        if place is Place.AS_WRITTEN or name not in self._type_variables:
            return None
        definition = self._type_variable_definition(source, name)
        if definition is None:
            return None
        call, defined_in = definition
        bound = next((k.value for k in call.keywords if k.arg == "bound"), None)
        # Or its constraints, any of which the value may be (aiohttp's `_ApplicationNone`, `Application` or None:
        # `TestClient.app` gives an `Application` twin), read as their union.
        limits = [bound] if bound is not None else list(call.args[1:])
        if not limits or defined_in.module.partition(".")[0] in sys.stdlib_module_names:
            return None  # (`typing.AnyStr`: builtins, which a twin never changes)
        recorded = set(self._names[defined_in.module].typing)
        # A class whose plain defs hand out async objects is not "twinned on the spot" as a bound: the values are
        # users' subclasses (piccolo's ``TableInstance``, bound to ``Table``), of their own package, which the
        # runtime leaves raw (rows were typed ``list[Any]``, not ``list[Band]``).
        self._reading_bound = True
        try:
            converted = [self._convert(limit, place, defined_in, {}) for limit in limits]
        finally:
            self._reading_bound = False
        if not any(converter.changed for _text, converter in converted):
            self._names[defined_in.module].typing = recorded  # the variable is written by name: import only that
            return None
        self.sources.load(defined_in.module)  # the twin now depends on it (and imports names as it does)
        texts = list(dict.fromkeys(text for text, _converter in converted))
        return " | ".join(texts), True

    def _type_variable_definition(self, source: Source, name: str) -> tuple[ast.Call, Source] | None:
        """The ``TypeVar(...)`` call ``name`` of ``source`` is bound to, there or where it is imported from."""
        key = (source.module, name)
        if key not in self._type_variable_calls:
            found = None
            call = type_variable_call(source, name) if name in source.defined else None
            if call is not None:
                found = (call, source)
            elif name in source.origins:
                module, _, defined = self._lookup.definition_of(source.origins[name]).rpartition(".")
                try:
                    defining = self._lookup.load(module) if module else None
                except GenerateError:
                    defining = None
                call = type_variable_call(defining, defined) if defining is not None else None
                found = (call, defining) if call is not None and defining is not None else None
            self._type_variable_calls[key] = found
        return self._type_variable_calls[key]

    def _alias_definition(self, source: Source, name: str) -> tuple[ast.expr, Source] | None:
        """What type alias ``name`` of ``source`` stands for, and the module that defines it (cached)."""
        key = (source.module, name)
        if key not in self._aliases:
            self._aliases[key] = self._lookup.type_alias(source, name, self.package)
        return self._aliases[key]

    def _twinned_on_the_spot(self, source: Source, node: ast.expr) -> bool:
        """Whether ``node`` (a name in ``source``) is a class of this package with async members, or one that
        declares attributes of such classes or returns them (``hands_out_async_objects``), not listed.

        The runtime builds a twin for such a value when a call returns it (``_registry.to_sync``); no generated
        class says what it has, so its type is ``Any``. Classes the generator cannot read are left as written.
        """
        key = (source.module, ast.unparse(node), self._reading_bound)
        if key not in self._on_the_spot:
            found = self.sources.base_class(source, node, self.package, type_only=True)
            members = class_members(self.sources, *found, strict=False)[0] if found is not None else {}
            self._on_the_spot[key] = has_async_members(members) or (
                found is not None
                and (
                    holds_async_attributes(self.sources, *found)
                    if self._reading_bound  # its values are users' subclasses, which the runtime leaves raw
                    else hands_out_async_objects(self.sources, *found)
                )
            )
        return self._on_the_spot[key]

    def _awaited(
        self, source: Source, bindings: dict[str, TypeArgument], written: ast.expr, place: Place
    ) -> tuple[str, bool] | None:
        """What a sync ``def`` that returns an instance of the awaitable class ``written`` (``CommandRequest[bool]``)
        gives on the twin, which awaits it: the result type of the class's own ``__await__`` (``Generator[Any,
        None, R]``), its type parameters read as ``written`` gives them (unsubscripted: ``Any``); ``Any`` for an
        ``__await__`` of its own not annotated so (distributed's ``Future``: not the class's twin,
        which the call never gives). None where the class is not the package's, defines no
        ``__await__`` itself, or is written with other arguments than it has parameters (left as written).
        coredis: every command returns a ``CommandRequest``."""
        head, arguments = (
            (written.value, _elements(written.slice))
            if isinstance(written, ast.Subscript)
            else (
                written,
                [],
            )
        )
        key = (source.module, ast.unparse(head))
        if key not in self._awaits:
            self._awaits[key] = self._await_result(source, head)
        found = self._awaits[key]
        if found is None:
            return None
        result, defined_in, parameters = found
        if result is _AWAITED_UNKNOWN:
            return "_typing.Any", False
        if arguments and len(arguments) != len(parameters):
            return None
        any_argument = ast.Name("_typing.Any", ast.Load())
        given = {
            name: TypeArgument(arguments[index] if arguments else any_argument, source, bindings)
            for index, name in enumerate(parameters)
        }
        text, converter = self._convert(result, place, defined_in, given)
        return text, converter.traversed  # a container of twinned values is traversed (``returned_each``)

    def _entered(self, source: Source, written: ast.expr) -> str | None:
        """What ``as`` gives for ``written``, a class of the package that is only a sync context manager (no
        public member, ``__enter__`` and ``__exit__`` of its own, not generic): the twin enters such a result on
        the loop and maps its value (``_registry``), so it is typed ``AbstractContextManager[that value]``. None
        for any other class, or for one written with arguments."""
        if not isinstance(written, (ast.Name, ast.Attribute)):
            return None
        found = self.sources.base_class(source, written, self.package, type_only=True)
        if found is None or found[1].bases:
            return None  # not the package's, or with bases (generic, or members the class body does not show)
        defined_in, klass = found
        names = class_body_names(klass)
        if not {"__enter__", "__exit__"} <= names or any(not name.startswith("_") for name in names):
            return None
        enter = next(s for s in klass.body if isinstance(s, ast.FunctionDef) and s.name == "__enter__")
        return self._convert(enter.returns, Place.ITEM, defined_in, {})[0]

    def _await_result(self, source: Source, head: ast.expr) -> tuple[ast.expr, Source, list[str]] | None:
        if not isinstance(head, (ast.Name, ast.Attribute)):
            return None
        found = self.sources.base_class(source, head, self.package, type_only=True)
        if found is None:
            return None
        defined_in, klass = found
        method = next((s for s in klass.body if isinstance(s, ast.FunctionDef) and s.name == "__await__"), None)
        if method is None:
            return None
        parameters = type_parameters(self.sources, defined_in, klass)
        if any(parameter.startswith("*") for parameter in parameters):
            return None
        returns = method.returns
        elements = _elements(returns.slice) if isinstance(returns, ast.Subscript) else []
        gives: ast.expr | None = None  # what awaiting gives, as written
        source_of_self: ast.FunctionDef | ast.AsyncFunctionDef = method
        if isinstance(returns, ast.Subscript) and ast.unparse(returns.value).rpartition(".")[2] == "Generator":
            gives = elements[2] if len(elements) == 3 else None
        elif returns is None:  # `return self.initialize().__await__()` (redis-py): what that coroutine gives
            delegate = _delegate_of(method, klass)
            if delegate is not None:
                source_of_self = delegate
                gives = delegate.returns or (ast.Name("Self", ast.Load()) if returns_self_only(delegate) else None)
        if gives is None:  # awaited by the twin, to what nothing says (distributed's Future): not the class's twin
            return _AWAITED_UNKNOWN, defined_in, []
        first = (source_of_self.args.posonlyargs + source_of_self.args.args)[:1]
        own_type = first[0].annotation if first and first[0].annotation is not None else None
        if _names_self(gives) or (own_type is not None and ast.unparse(gives) == ast.unparse(own_type)):
            # `def __await__(self) -> Generator[Any, None, Self]` (aio-pika's AbstractChannel): awaiting gives the
            # awaited class, not the class of the method whose result it is
            gives = ast.Name(klass.name, ast.Load())
            if parameters:
                arguments: list[ast.expr] = [ast.Name(parameter, ast.Load()) for parameter in parameters]
                gives = ast.Subscript(gives, ast.Tuple(arguments, ast.Load()) if len(arguments) > 1 else arguments[0])
        return gives, defined_in, parameters

    def _bare_arguments(self, source: Source, node: ast.expr) -> list[str]:
        """``Any`` for each type parameter of the generic type ``node`` names, written bare in ``source``; [] if it
        is not generic or not known. A bare generic means the same (a type checker reads ``Any`` arguments), but
        ``mypy --strict`` rejects it (``disallow_any_generics``): redis-py's bare ``Callable``, asyncssh's
        ``SSHClientSession``. Known: the standard library's generic types, the package's generic classes and its
        generic type aliases (asyncssh's ``SSHClientSessionFactory``)."""
        key = (source.module, ast.unparse(node))
        if key not in self._bare:
            qualified = source.qualified_name(node, type_only=True)
            if qualified is None and isinstance(node, ast.Name) and not source.binds(node.id):
                qualified = f"builtins.{node.id}"
            arguments = standard_generic_arguments(qualified) if qualified is not None else None
            if arguments is None:
                found = self.sources.base_class(source, node, self.package, type_only=True)
                arguments = any_arguments(self.sources, *found) if found is not None else []
            if not arguments and isinstance(node, ast.Name):  # `Factory = Callable[[], Session[AnyStr]]`
                definition = self._alias_definition(source, node.id)
                if definition is not None:
                    arguments = alias_any_arguments(self.sources, definition[1], definition[0])
            self._bare[key] = arguments
        return self._bare[key]

    def _own_in(self, source: Source) -> dict[str, str]:
        """The listed classes of this output that ``source`` names by a bare name, each to its twin: a name it
        defines or imports as one of them (or neither defines nor imports). openai's client module imports the
        legacy ``AsyncCompletions``; listing the chat one, of another module, does not make that name its twin."""
        found = self._own_by_source.get(source.module)
        if found is None:
            found = self._own_by_source[source.module] = {
                name: twin for name, twin in self.twins.items() if self._names_own_class(source, name)
            }
        return found

    def _generic_twin(self, source: Source, name: str, foreign: dict[str, tuple[str, str]]) -> bool:
        """Whether the twin of the listed class ``name`` (as ``source`` names it) is generic: its class has type
        parameters. True where that class cannot be read (its type arguments are then kept as written)."""
        key = foreign.get(name) or self._defined_as(source, name)
        if key is None:  # not bound there: taken as the listed class of that name
            key = next(((module, cls) for module, cls in self.own if cls == name), None)
        if key is None:
            return True
        if key not in self._generic:
            defining = self._lookup.load(key[0])
            node = defining.classes.get(key[1])
            self._generic[key] = node is None or bool(type_parameters(self._lookup, defining, node))
        return self._generic[key]

    def _names_own_class(self, source: Source, name: str) -> bool:
        defined = self._defined_as(source, name)
        # not bound there (a string naming the class for a reader): taken as the listed class
        return defined is None or defined in self.own

    def _defined_as(self, source: Source, name: str) -> tuple[str, str] | None:
        """The ``(module, class)`` defining what ``source`` binds ``name`` to (``A = other.A`` followed too);
        None if ``source`` does not bind it."""
        qualified = f"{source.module}.{name}" if name in source.defined else source.origins.get(name)
        if qualified is None:
            return None
        module, _, cls = self._lookup.definition_of(qualified).rpartition(".")
        return module, cls

    def _twin_of_attribute(self, source: Source, node: ast.Attribute) -> str | None:
        """The twin's name if ``node`` (``aio.AsyncNote`` in ``source``) is a listed class, here or elsewhere."""
        qualified = source.qualified_name(node, type_only=True)
        listed = self.own | self.foreign.elsewhere.keys()
        if qualified is None or qualified.partition(".")[0] not in {module.partition(".")[0] for module, _ in listed}:
            return None  # not a package with a listed class: nothing there is read
        module, _, cls = self.sources.definition_of(qualified).rpartition(".")
        if (module, cls) in self.own:
            return self.twins[cls]
        if (module, cls) in self.foreign.elsewhere:
            self.foreign.use((module, cls))
            return self.foreign.elsewhere[(module, cls)][1]
        return None

    @property
    def _type_variables(self) -> frozenset[str]:
        """The twin's own type variables in scope now (of the class, and of the method written now)."""
        return frozenset(self._scope) | self._class_type_variables

    def default(self, node: ast.expr) -> str:
        """A default value as the twin's signature writes it; a name of the class body becomes ``Class.name``.

        (A default is evaluated in the class body, where ``limit: int = MAX`` reads the class's ``MAX``.)
        """
        klass = self._origin.klass
        in_class = class_level_names(klass) & names_used(node)
        if in_class:
            node = QualifyNames(klass.name, in_class).visit(copy_expression(node))
        shadowed = self._shadowed & {name.id for name in ast.walk(node) if isinstance(name, ast.Name)}
        if shadowed:  # `fmt=str` in a twin with a member `str`: the builtin
            node = QualifyNames("_builtins", set(shadowed)).visit(copy_expression(node))
        self.names.runtime.update(names_used(node))
        return ast.unparse(node)

    def builtin(self, name: str) -> str:
        """``property``, ``staticmethod``, ...: as the twin's class body must write it (``_builtins.`` if shadowed)."""
        return f"_builtins.{name}" if name in self._shadowed else name

    def type_header(self, node: ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) -> str:
        """``[T: Bound, *Ts, **P]`` as declared by ``node`` (Python >= 3.12 syntax), or nothing."""
        texts = []
        for parameter in declared_type_parameters(node):
            bound = getattr(parameter, "bound", None)
            default = getattr(parameter, "default_value", None)  # Python >= 3.13
            prefix = {"TypeVarTuple": "*", "ParamSpec": "**"}.get(type(parameter).__name__, "")
            text = prefix + parameter.name + (f": {self.annotation(bound, Place.ITEM)}" if bound is not None else "")
            texts.append(text + (f" = {self.annotation(default, Place.ITEM)}" if default is not None else ""))
        return f"[{', '.join(texts)}]" if texts else ""

    def signature(self, args: ast.arguments, *, bound: bool, given_by: str | None = None) -> tuple[str, str]:
        """The parameter list (with ``self``/``cls`` if ``bound``) and the arguments that forward it.

        ``given_by``: the twin's own function (``SyncRedis.set``), when the parameters with a default are passed
        on only if the caller gave them (``_support.given``): a decorator of the async method may tell a given
        argument from a default (redis-py's ``@experimental_args``, ``@deprecated_args`` warn for any given,
        even ``None``), as the async method is called with what its caller wrote. Not with ``*args``, which the
        positional parameters before it must fill in order. A stub's ``= ...`` (the default not stated) is never
        passed on: a keyword-only parameter's is passed if given; positional ones from the first of them on
        are passed up to the first the caller left out (``_support.stated``), as a caller of the async method
        cannot give a later one without it.
        """
        params: list[str] = []
        forward: list[str] = []
        keywords: list[str] = []  # passed by keyword: a positional parameter after one that may be left out
        optional: list[str] = []  # passed on if given
        filter_defaults = given_by is not None and args.vararg is None
        positional = [*args.posonlyargs, *args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        stated: list[str] = []  # passed by position up to the first the caller left out: `= ...` of a stub
        for index, (arg, default) in enumerate(zip(positional, defaults, strict=True)):
            if bound and index == 0:
                params.append(arg.arg)
            else:
                by_keyword = (
                    filter_defaults and index >= len(args.posonlyargs) and (default is not None or bool(optional))
                )
                unstated = given_by is not None and _left_unstated(default)
                text, value = self.parameter(arg, default, unstated=by_keyword or unstated)
                params.append(text)
                if by_keyword and default is not None and value == arg.arg:
                    optional.append(f"{arg.arg}={value}")
                elif by_keyword:
                    keywords.append(f"{arg.arg}={value}")
                elif stated or (unstated and value == arg.arg):
                    stated.append(value)
                else:
                    forward.append(value)
            if args.posonlyargs and index == len(args.posonlyargs) - 1:
                params.append("/")
        if stated:
            forward.append(f"*_support.stated({', '.join(stated)})")
        if args.vararg is not None:
            text, value = self.parameter(args.vararg, None)
            params.append("*" + text)
            forward.append("*" + value)
        elif args.kwonlyargs:
            params.append("*")
        for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
            unstated = filter_defaults or (given_by is not None and _left_unstated(kw_default))
            text, value = self.parameter(arg, kw_default, unstated=unstated)
            params.append(text)
            given = unstated and kw_default is not None and value == arg.arg
            (optional if given else keywords).append(f"{arg.arg}={value}")
        forward += keywords
        if optional:
            forward.append(f"**_support.given({given_by}, {', '.join(optional)})")
        if args.kwarg is not None:
            text, value = self.parameter(args.kwarg, None)
            params.append("**" + text)
            forward.append("**" + value)
        return ", ".join(params), "".join(", " + item for item in forward)

    def parameter(self, arg: ast.arg, default: ast.expr | None, *, unstated: bool = False) -> tuple[str, str]:
        """``name: type = default`` as sync code passes it, and how the twin passes the value on.

        ``unstated``: the value is passed on only if the caller gave it; a stub's ``= ...`` (the default not
        stated) is then written ``= _support.UNSTATED``, which a type checker accepts in a def with a body.
        """
        annotation, traversed = self.annotation_traversed(arg.annotation, Place.PASSED)
        if _implicitly_optional(arg.annotation, default) and not _admits_none(annotation):
            annotation = f"{annotation} | None"  # `filters: list[str] = None` (nats): what PEP 484 once implied
        text = f"{arg.arg}: {annotation}"
        value = f"_support.passed_each({arg.arg})" if traversed else arg.arg
        if default is None:
            return text, value
        if unstated and not traversed and _left_unstated(default):
            return f"{text} = _support.UNSTATED", value
        return f"{text} = {self.default(default)}", value

    def emit(self, *lines: str) -> None:
        self.lines.extend(lines)

    def ignored(self, params: str, returns: str) -> str:
        """The ``  # type: ignore[...]`` a ``def`` line of the twin needs for what it copies of the library's
        signature, else "":

        - ``type-var`` for a ``def`` returning a bare type variable of the module that no parameter uses
          (asyncssh's ``SFTPClientFile.read() -> AnyStr``), which ``mypy`` rejects where it is written but accepts
          in calls, reading the variable's first constraint: a caller gets what an async caller gets;
        - ``no-untyped-call`` for a default that calls a function (valkey's ``lib_version=get_lib_version()``), which
          may be untyped, as the library is to its own checker (with ``unused-ignore``, for a typed one).
        """
        codes = ["type-var"] if self._unsolvable(params, returns) else []
        if _calls_in_defaults(params):
            codes += ["no-untyped-call", "unused-ignore"]
        return f"  # type: ignore[{', '.join(codes)}]" if codes else ""

    def _unsolvable(self, params: str, returns: str) -> bool:
        if not returns.isidentifier() or returns in self._type_variables:
            return False
        if self._type_variable_definition(self._origin.source, returns) is None:
            return False
        return returns not in _annotation_names(params)

    def method(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        name: str,
        body: str,
        returns: str,
        *,
        decorator: str | None = None,
        bound: bool = True,
        traversed: bool = False,
        marks: list[str] | None = None,
    ) -> None:
        """Emit ``def name`` with ``node``'s signature; ``body`` is the support call with ``{args}`` in it.

        ``traversed``: the result's built-in containers hold values the twin maps (``_annotations``); ``marks``:
        decorators written under ``decorator`` (``deprecated(...)``).
        """
        params, forward = self.signature(node.args, bound=bound, given_by=f"{self.twins[self.async_name]}.{name}")
        call = body.format(args=forward)
        if traversed:
            call = f"_support.returned_each({'self' if bound and decorator is None else 'None'}, {call})"
        self.emit("")
        if decorator:
            self.emit(f"{INDENT}@{self.builtin(decorator)}")
        self.emit(*(f"{INDENT}@{mark}" for mark in marks or ()))
        self.emit(f"{INDENT}def {name}{self.type_header(node)}({params}) -> {returns}:{self.ignored(params, returns)}")
        self.emit(*docstring_lines(ast.get_docstring(node), INDENT * 2, self.twins))
        self.emit(*returning(returns, call))


def _parsed(params: str) -> ast.arguments:
    """A written parameter list (``self, key: str = MAX``), parsed."""
    function = ast.parse(f"def f({params}): pass").body[0]
    assert isinstance(function, ast.FunctionDef)
    return function.args


def _calls_in_defaults(params: str) -> bool:
    """Whether a default of a written parameter list calls something (``= get_lib_version()``)."""
    arguments = _parsed(params)
    defaults = [*arguments.defaults, *(d for d in arguments.kw_defaults if d is not None)]
    return any(isinstance(node, ast.Call) for default in defaults for node in ast.walk(default))


def _annotation_names(params: str) -> set[str]:
    """The names the annotations of a written parameter list use."""
    arguments = _parsed(params)
    found: set[str] = set()
    for arg in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]:
        if arg is not None and arg.annotation is not None:
            found |= names_used(arg.annotation)
    return found


def _left_unstated(default: ast.expr | None) -> bool:
    """Whether a default is written ``...``: a stub's way of not stating it."""
    return isinstance(default, ast.Constant) and default.value is Ellipsis


def _implicitly_optional(annotation: ast.expr | None, default: ast.expr | None) -> bool:
    """Whether a parameter is annotated and defaults to ``None``: an implicit ``Optional`` if the type lacks it."""
    return annotation is not None and isinstance(default, ast.Constant) and default.value is None


def _admits_none(annotation: str) -> bool:
    """Whether the written type plainly admits ``None`` (``None`` or ``Optional`` in it, or ``Any``/``object``)."""
    words = set(re.findall(r"[A-Za-z_][A-Za-z_0-9.]*", annotation))
    return bool(words & {"None", "Optional", "typing.Optional", "_typing.Optional", "object"}) or annotation in {
        "Any",
        "_typing.Any",
        "typing.Any",
    }


def _names_self(annotation: ast.expr) -> bool:
    """Whether ``annotation`` is ``Self`` (``typing.Self``, ``typing_extensions.Self``, or the string ``"Self"``)."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        return annotation.value.strip().rpartition(".")[2] == "Self"
    return isinstance(annotation, (ast.Name, ast.Attribute)) and ast.unparse(annotation).rpartition(".")[2] == "Self"


def _delegate_of(method: ast.FunctionDef, klass: ast.ClassDef) -> ast.AsyncFunctionDef | None:
    """The ``async def`` of ``klass`` whose coroutine an unannotated ``__await__`` hands on, when its body is only
    ``return self.name(...).__await__()`` (redis-py's ``Redis.initialize``, ``Pipeline._async_self``)."""
    body = [statement for statement in method.body if not _is_docstring(statement)]
    if len(body) != 1 or not isinstance(body[0], ast.Return):
        return None
    value = body[0].value
    if not (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr == "__await__"
        and isinstance(value.func.value, ast.Call)
        and isinstance(value.func.value.func, ast.Attribute)
        and isinstance(value.func.value.func.value, ast.Name)
        and value.func.value.func.value.id == "self"
    ):
        return None
    name = value.func.value.func.attr
    return next((s for s in klass.body if isinstance(s, ast.AsyncFunctionDef) and s.name == name), None)


def _is_docstring(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)


def holds_async_attributes(sources: Sources, source: Source, node: ast.ClassDef) -> bool:
    """Whether the class ``node`` declares, by an annotation in its body, a public attribute whose class (of its
    own package) has async members: asyncua's ``Shortcuts`` (``objects: Node``), whose instances the runtime
    returns as twins, since they hold async objects (``client.nodes.objects.get_child(...)``; typed
    as the async ``Shortcuts``, so mypy read ``get_child`` as a coroutine). One level deep."""
    package = source.module.partition(".")[0]
    for statement in node.body:
        if not (isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)):
            continue
        if statement.target.id.startswith("_"):
            continue
        if _names_an_async_class(sources, source, package, statement.annotation):
            return True
    return False


def hands_out_async_objects(sources: Sources, source: Source, node: ast.ClassDef) -> bool:
    """Whether the class ``node`` holds async objects by annotation (``holds_async_attributes``) or one of its
    public plain defs, properties or its ``__call__``, in its body, is annotated to return a class of its own
    package with async members: Playwright's ``FrameLocator.locator() -> "Locator"``, whose instances the runtime
    returns as twins (``_handed_out``; the generator refused to list it, "no async members")."""
    if holds_async_attributes(sources, source, node):
        return True
    package = source.module.partition(".")[0]
    for statement in node.body:
        if not isinstance(statement, ast.FunctionDef) or statement.returns is None:
            continue
        if statement.name.startswith("_") and statement.name != "__call__":
            continue
        if _names_an_async_class(sources, source, package, statement.returns):
            return True
    return False


def _names_an_async_class(sources: Sources, source: Source, package: str, annotation: ast.expr) -> bool:
    """Whether ``annotation`` (in ``source``) names a class of ``package`` that has async members."""
    for written in _classes_in(annotation):
        found = sources.base_class(source, written, package, type_only=True)
        if found is not None and has_async_members(class_members(sources, *found, strict=False)[0]):
            return True
    return False


def _classes_in(annotation: ast.expr) -> list[ast.expr]:
    """The class names an attribute's annotation may stand for: ``X``, ``m.X``, ``"X"``, ``Optional[X]``,
    ``Union[X, Y]``, ``X | None``."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return []
    if isinstance(annotation, (ast.Name, ast.Attribute)):
        return [annotation]
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return _classes_in(annotation.left) + _classes_in(annotation.right)
    unions = {"Optional", "Union"}
    if isinstance(annotation, ast.Subscript) and ast.unparse(annotation.value).rpartition(".")[2] in unions:
        return [name for element in _elements(annotation.slice) for name in _classes_in(element)]
    return []
