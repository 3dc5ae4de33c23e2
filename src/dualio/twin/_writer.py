"""One twin class's source: its signature, members and protocols, written from the async class's AST.

Used by ``_generator``, which assembles the module (imports, registrations). Each member gets the async
member's real signature and docstring, its annotations rewritten for where they stand (``_annotations``), and a
body of one call into :mod:`dualio.twin.support`; what maps to what is the table in ``_dynamic``'s docstring.
"""

from __future__ import annotations

import ast
import copy
import warnings

from ._annotations import Place
from ._branches import is_overload_decorator
from ._constructors import annotation_kind, dataclass_writes_init, is_frozen_dataclass, written_init
from ._decorators import untyped_decorators, without_supplied
from ._dynamic import PASSED_DUNDERS
from ._errors import GenerateError, GenerateNote
from ._foreign_bases import foreign_bases
from ._hierarchy import mark_overrides
from ._lineage import Origin, Sources, ancestors, class_members, is_overload, type_parameters
from ._partials import partial_target, partially_applied, partially_applied_static, taking_anything
from ._signatures import INDENT, OutputModule, SignatureWriter, hands_out_async_objects, returning
from ._source import Source, returns_self_only, skips_the_loop
from ._syntax import (
    NameAsSelf,
    as_argument,
    assigned_value,
    attribute_doc,
    calls_base_init,
    declared_type_parameters,
    decorators_of,
    docstring_lines,
    field_without_default,
    has_async_members,
    has_yield,
    init_attributes,
    is_property_like,
    module_type_variables,
    qualified_type,
    transforming_decorators,
)

__all__ = ("ClassWriter",)

_CLOSERS = ("aclose", "close")
# Class decorators that add no member a twin would map (or whose members the generator reads: dataclass).
_READ_CLASS_DECORATORS = frozenset(
    {"dataclass", "final", "runtime_checkable", "total_ordering", "deprecated", "unique", "type_check_only"}
)
_PROTOCOLS = ("__aenter__", "__aexit__", "__aiter__", "__anext__")
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_PEP_702 = frozenset({"warnings.deprecated", "typing_extensions.deprecated"})  # the @deprecated a twin keeps
_EXIT_PARAMETERS = (
    "self, exc_type: {type}[BaseException] | None, exc: BaseException | None, tb: _types.TracebackType | None"
)


class ClassWriter(SignatureWriter):
    """Renders the twin class of one async class."""

    def __init__(self, output: OutputModule, source: Source, node: ast.ClassDef) -> None:
        if any(ast.unparse(base).partition("[")[0] in {"Protocol", "typing.Protocol"} for base in node.bases):
            raise GenerateError(
                f"{source.module}:{node.name} is a Protocol: no value is an instance of it, so no call would return "
                "its twin, and it cannot be constructed. List the classes that implement it instead"
            )
        members, origins = class_members(output.sources, source, node)
        self.foreign_bases = foreign_bases(output.sources, Sources(), source, node)
        if not has_async_members(members) and not hands_out_async_objects(output.sources, source, node):
            raise GenerateError(
                f"{source.module}:{node.name} has no async members (no async def, async generator, __aenter__, "
                "__aiter__ or __anext__, nor a def annotated to return Awaitable[T], Coroutine[...] or "
                "asyncio.Future[T]) in its source or in the base classes the generator reads (those of its own "
                "package), nor attributes declared by annotation in its body, nor defs or properties annotated to "
                "return a class that has some: a sync twin "
                "would only repeat it. Remove it from [tool.dualio.twin], or list the async "
                "class it is meant to wrap. If its plain defs return awaitables without saying so, annotate them "
                "(-> Awaitable[T]), or write an async class of your own whose async defs await them, and list that"
                + _foreign_hint(source, node, self.foreign_bases.written)
            )
        counterpart = f"Async{node.name}"
        if not has_async_members(members) and source.binds(counterpart):  # httpx's Client, beside its AsyncClient
            warnings.warn(
                f"{source.module}:{node.name} has no async members of its own (it is twinned because its defs "
                f"return objects that have some), and its module also has {counterpart}: its methods will run on "
                f"the portal's loop, and block it if they do I/O (a library's sync client). Did you mean to list "
                f"{source.module}:{counterpart}?",
                GenerateNote,
                stacklevel=2,
            )
        for name in sorted(self.foreign_bases.iteration - set(members)):
            stub = ast.FunctionDef(name, ast.arguments([], [ast.arg("self")], None, [], [], None, []), [ast.Pass()], [])
            members[name], origins[id(stub)] = [stub], Origin(source, node, {})  # typed Any: see _foreign_bases
        super().__init__(output, source, node, members, origins)
        self._covered: set[tuple[str, str]] = set()  # classes whose members a base twin writes (``render``)
        # `__init__` attributes named like a top-level name of the async module, written last (``render``)
        self._late_attributes: list[tuple[ast.FunctionDef, str, ast.expr | None]] = []
        self.unread_decorators = self._unread_decorators()

    def _unread_decorators(self) -> list[str]:
        """The class decorators of the class and its read bases that may add members the generator cannot see."""
        nodes = [self.node]
        for module, cls in ancestors(self.sources, self.source, self.node):
            nodes.append(self.sources.load(module).classes[cls])
        found = []
        for node in nodes:
            for decorator in node.decorator_list:
                head = decorator.func if isinstance(decorator, ast.Call) else decorator
                name = ast.unparse(head)
                if name.rpartition(".")[2] not in _READ_CLASS_DECORATORS and name not in found:
                    found.append(name)
        return found

    # -- the class ------------------------------------------------------------------------------------------

    def render(self, twin_bases: list[tuple[str, str]], inherited_names: set[str]) -> str:
        """The twin class. ``twin_bases``: the listed classes whose twins (of this module) it subclasses instead of
        ``Twin``; ``inherited_names``: what those twins define or inherit (see ``_hierarchy``)."""
        twin = self.twins[self.async_name]
        self._covered = set(twin_bases)
        for module, cls in twin_bases:
            base = self.sources.load(module)
            self._covered.update(ancestors(self.sources, base, base.classes[cls]))
        parameters = type_parameters(self.sources, self.source, self.node)
        if declared_type_parameters(
            self.node
        ):  # `class AsyncPool[T: Item]` -> `class Pool[T: Item](Twin[AsyncPool[T]])`
            arguments = ", ".join(as_argument(parameter) for parameter in declared_type_parameters(self.node))
            twin_base = f"_support.Twin[{self.async_name}[{arguments}]]"
            self.emit(f"class {twin}{self.type_header(self.node)}({twin_base}):")
        elif parameters:  # a generic async class gets a generic twin: Box[int] -> Twin[AsyncBox[int]]
            self.names.parameters.update(parameter.lstrip("*") for parameter in parameters)  # `*Ts`: Ts
            listed = ", ".join(parameters)
            generic = f"{self.async_name}[{listed}]"
            if self.source.is_stub:  # generic in its stub only: a compiled class takes no arguments
                generic = repr(generic)
            self.emit(f"class {twin}(_support.Twin[{generic}], _typing.Generic[{listed}]):")
        elif twin_bases:  # `class AsyncAdmin(AsyncClient)` -> `class Admin(Client)`
            self.emit(f"class {twin}({', '.join(self.twins[cls] for _module, cls in twin_bases)}):")
        else:
            self.emit(f"class {twin}(_support.Twin[{self.async_name}]):")
        doc = ast.get_docstring(self.node) or f"Sync twin of {self.async_name}."
        self.emit(*docstring_lines(doc, INDENT, self.twins), "", f"{INDENT}__slots__ = ()")
        members = self.members
        own = {name: statements for name, statements in members.items() if not self._inherited(statements)}
        # A member named like a top-level name of the async module (aioftp's `self.ssl` beside `import ssl`) comes
        # last: written earlier, it would shadow that name for the annotations and defaults after it in the class
        # body (mypy rejects `ssl.SSLContext`; a default `ssl.PROTOCOL_TLS_CLIENT` fails when the module loads).
        self._late_attributes.clear()
        self.constructor(members.get("__init__", []) or self._new_as_init(members.get("__new__", [])))
        module_names = self._module_names()
        for name in sorted(own, key=lambda name: name in module_names):  # a stable sort: the order otherwise kept
            self.member(name, own[name])
        for init, attribute, annotation in self._late_attributes:
            if attribute not in self.members:
                self.reading(init)
                self.attribute(attribute, annotation, None)
        # Nested classes, as a run-time twin gives them: the async class's own; written last, not to shadow a
        # module's name for the annotations before them.
        for name in self._nested_classes():
            self.emit("", f"{INDENT}{name}: _typing.TypeAlias = {self.async_name}.{name}")
        if self.unread_decorators:
            decorators = ", ".join(f"@{name}" for name in self.unread_decorators)
            self.emit(
                "",
                f"{INDENT}# Members that {decorators} may add are not read: typed Any here, and mapped",
                f"{INDENT}# when the module loads (`_support.map_unread_members`), as sync_class maps them.",
                f"{INDENT}if _typing.TYPE_CHECKING:",
                f"{INDENT * 2}def __getattr__(self, name: str) -> _typing.Any: ...",
            )
        elif "__getattr__" in self.members or "__getattr__" in self.foreign_bases.names:
            self.emit(
                "",
                f"{INDENT}# {self.async_name} answers other attributes through its own __getattr__: typed Any",
                f"{INDENT}# here, forwarded to the async object when the module registers this twin.",
                f"{INDENT}if _typing.TYPE_CHECKING:",
                f"{INDENT * 2}def __getattr__(self, name: str) -> _typing.Any: ...",
            )
        elif self.foreign_bases.public:
            bases = ", ".join(self.foreign_bases.written)
            self.emit(
                "",
                f"{INDENT}# Members from {bases} (another package) are not read: typed Any here, and mapped",
                f"{INDENT}# when the module registers this twin (`_support.register`), as sync_class maps them.",
                f"{INDENT}if _typing.TYPE_CHECKING:",
                f"{INDENT * 2}def __getattr__(self, name: str) -> _typing.Any: ...",
            )
        closer = next((members[name][-1] for name in _CLOSERS if name in members), None)
        if twin_bases:  # the base twins' close and with, unless this class redefines them
            if closer is not None and not self._inherited([closer]):
                self.closer(closer)
            if not all(self._inherited(members.get(name, [])) for name in _PROTOCOLS):
                self.protocols(members)
            return mark_overrides("\n".join(self.lines), inherited_names)
        inherited = []  # what the Twin base gives at run time, declared with this class's types
        if closer is not None:
            self.closer(closer)
        else:
            inherited.append(f"{INDENT * 2}def close(self) -> None: ...")
        if not self.protocols(members):  # `with` enters an __aenter__ from another package's base, else the twin
            entered = self.foreign_bases.entered or "_typing.Self"
            inherited.append(f"{INDENT * 2}def __enter__(self) -> {entered}: ...")
            inherited += self.exit_header(INDENT * 2, "None: ...")
        if inherited:
            self.emit("", f"{INDENT}if _typing.TYPE_CHECKING:  # the Twin base's, typed for this class", *inherited)
        return "\n".join(self.lines)

    def _inherited(self, statements: list[ast.stmt]) -> bool:
        """Whether ``statements`` (a member's definitions) come from a class whose twin this twin subclasses."""
        if not statements:
            return True
        origin = self._origins[id(statements[-1])]
        return (origin.source.module, origin.klass.name) in self._covered

    def closer(self, closer: ast.stmt) -> None:
        """``close()`` with the signature and result of the async class's ``aclose()`` or ``close()``."""
        if not isinstance(closer, _FUNCTIONS):
            return
        self.reading(closer)
        place = Place.RETURNED if isinstance(closer, ast.AsyncFunctionDef) else Place.AWAITED
        returns, traversed = self.annotation_traversed(closer.returns, place)
        self.method(closer, "close", "_support.close(self{args})", returns, traversed=traversed)
        if "aclose" in self.members:
            self.emit("", f"{INDENT}aclose = close  # the async class's name for it, as its users write it")

    def _new_as_init(self, statements: list[ast.stmt]) -> list[ast.stmt]:
        """A ``__new__`` written instead of an ``__init__`` (pyo3 stubs: rnet's ``Client.__new__(cls,
        user_agent=...)``), as the ``__init__`` its parameters make: ``self`` first, returning None."""
        new = statements[-1] if statements else None
        if not isinstance(new, ast.FunctionDef) or not (new.args.posonlyargs + new.args.args):
            return []
        init = copy.deepcopy(new)
        init.name, init.returns, init.decorator_list = "__init__", ast.Constant(None), []
        first = (init.args.posonlyargs + init.args.args)[0]
        first.arg, first.annotation = "self", None
        self._origins[id(init)] = self._origins[id(new)]
        return [init]

    def constructor(self, statements: list[ast.stmt]) -> None:
        init = statements[-1] if statements else None
        own = init is not None and self._origins[id(init)].klass is self.node
        if not isinstance(init, ast.FunctionDef) or (dataclass_writes_init(self.node) and not own):
            written = written_init(self.node)  # a dataclass's (over a base's), or object's
            if written is None:
                self.emit("", f"{INDENT}def __init__(self, *args: _typing.Any, **kwargs: _typing.Any) -> None:")
                self.emit(f"{INDENT * 2}_support.construct(self, {self.async_name}, *args, **kwargs)")
                return
            self._origin, self._scope = Origin(self.source, self.node, {}), self._class_scope
            self.method(written, "__init__", f"_support.construct(self, {self.async_name}{{args}})", "None")
            return
        overloads: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        for overload in (s for s in statements if isinstance(s, ast.FunctionDef) and is_overload(s)):
            returning_none = copy.deepcopy(overload)  # an overload may leave `-> None` out (psycopg's)
            returning_none.returns = ast.Constant(None)
            self._origins[id(returning_none)] = self._origins[id(overload)]
            overloads.append(returning_none)
        if is_overload(init):  # a stub's overloads alone: an implementation that takes what they all take
            loose = copy.deepcopy(init)
            loose.args = taking_anything(init).args
            loose.decorator_list = [d for d in loose.decorator_list if not is_overload_decorator(d)]
            self._origins[id(loose)] = self._origins[id(init)]
            init = loose
        self.overloads("__init__", overloads, Place.AWAITED)  # aiohttp's TestClient: its type arguments
        self.reading(init)
        self.method(init, "__init__", f"_support.construct(self, {self.async_name}{{args}})", "None")
        module_names = self._module_names()
        seen = set(self.members)
        for chained in self._init_chain(init):
            if self._inherited([chained]):
                break  # the base twin has the attributes this __init__ and those it calls set
            self.reading(chained)
            for attribute, annotation in init_attributes(chained):
                if attribute in seen:
                    continue
                seen.add(attribute)
                if attribute in module_names:  # written after the members: see render
                    self._late_attributes.append((chained, attribute, annotation))
                else:
                    self.attribute(attribute, annotation, None)

    def _init_chain(self, init: ast.FunctionDef) -> list[ast.FunctionDef]:
        """``init`` and the ``__init__``\\ s of the read bases it runs through ``super().__init__(...)`` (or
        ``Base.__init__(self, ...)``), each calling the next, in method resolution order: the attributes a
        base's ``__init__`` sets (websockets' ``Connection``: ``request``, ``latency``, ``id``) are the twin's too."""
        chain = [init]
        read_bases = ancestors(self.sources, self.source, self.node)
        classes = [self.node] + [self.sources.load(module).classes[cls] for module, cls in read_bases]
        owner = self._origins[id(init)].klass
        later = classes[classes.index(owner) + 1 :] if owner in classes else []
        for klass in later:
            if not calls_base_init(chain[-1]):
                break
            base_init = next((s for s in klass.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"), None)
            if base_init is not None and id(base_init) in self._origins:
                chain.append(base_init)
        return chain

    def _nested_classes(self) -> list[str]:
        """The public classes nested in the async class or in a base it reads that no base twin writes (weatherkit's
        ``AsyncWeather.Reading``), first in method resolution order: ``Weather.Reading`` names them, as on a
        run-time twin, which reads class attributes through."""
        owners = [(self.source.module, self.node.name), *ancestors(self.sources, self.source, self.node)]
        found: list[str] = []
        for module, cls in owners:
            if (module, cls) in self._covered:
                continue
            for statement in self.sources.load(module).classes[cls].body:
                name = statement.name if isinstance(statement, ast.ClassDef) else ""
                if name and not name.startswith("_") and name not in self.members and name not in found:
                    found.append(name)
        return found

    def _module_names(self) -> set[str]:
        """The top-level names of the async module, which a twin member of the same name would shadow in the
        class body for the annotations and defaults written after it."""
        return set(self.source.imports) | self.source.defined

    def member(self, name: str, statements: list[ast.stmt]) -> None:
        if (name.startswith("_") and name not in PASSED_DUNDERS) or name in _CLOSERS:
            return
        last = statements[-1]
        klass = self.reading(last)
        if isinstance(last, ast.AnnAssign):
            kind = annotation_kind(last.annotation)
            if kind in {"InitVar", "KW_ONLY"}:
                return  # a dataclass's constructor parameter, or its marker: no attribute
            doc = attribute_doc(klass, last)
            annotation: ast.expr | None = last.annotation
            if kind in {"ClassVar", "Final"}:  # qualifiers: the type is inside, or inferred from the value
                annotation = qualified_type(last.annotation)
                if annotation is None and last.value is not None:
                    self.attribute_like(name, doc)
                    return
            frozen = is_frozen_dataclass(klass) and kind != "ClassVar"
            if last.value is None or frozen or field_without_default(last.value):
                self.accessor(name, annotation, annotation, doc, writable=not frozen)
            elif self.class_attribute(name, annotation, doc):
                return
            elif kind == "ClassVar":  # a type the twin changes: the class's own value, typed as written
                written = self.annotation(last.annotation, Place.AS_WRITTEN)
                self.emit("", f"{INDENT}{name}: {written} = {self.async_name}.{name}")
            else:  # a type the twin changes: read on instances only
                self.accessor(name, annotation, annotation, doc)
        elif isinstance(last, ast.Assign):
            value = assigned_value(last, name)
            partial = partial_target(value)
            aliased = self._aliased_function(partial[0] if partial else value)
            if aliased is not None and partial is not None:  # `send_ping = partialmethod(send, "ping")`, partial()
                self.function(name, self._partially_applied(aliased, partial[1], method=partial[2]))
            elif aliased is not None:  # `get_sharded_message = get_message`: a method of the twin, under this name
                # called as the def it names where the class has it (`with_options = copy` of a `-> Self` method:
                # mypy finds `AsyncOpenAI.with_options` "ambiguous" through the class, `AsyncOpenAI.copy` is not)
                member = value.id if isinstance(value, ast.Name) and value.id in self.members else None
                self.function(name, aliased, calls=member)
            else:  # a class attribute, and the default of an instance attribute (``_attributes``)
                self.attribute_like(name, attribute_doc(klass, last))
        elif isinstance(last, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.function(name, statements)

    def class_attribute(self, name: str, annotation: ast.expr | None, doc: str | None) -> bool:
        """``x: int = 5``: the twin's ``_support.Attribute`` (on the class and on an instance); False if reading it
        changes the value (a twinned class, ``Self``, a container to traverse): on the twin class it would be the
        async value, so a property of instances is written instead.
        """
        origin = self._origin
        read, converter = self._convert(annotation, Place.RETURNED, origin.source, origin.bindings)
        if converter.changed:
            return False
        self.emit("", f"{INDENT}{name}: _support.Attribute[{read}] = _support.Attribute({self.async_name})")
        self.emit(*docstring_lines(doc, INDENT, self.twins))
        return True

    def attribute_like(self, name: str, doc: str | None) -> None:
        """``X = 5`` (no type written): an ``Attribute`` typed as the async class's value is."""
        target = f"{self.async_name}.{name}"
        self.emit("", f"{INDENT}{name} = _support.attribute_like({self.async_name}, {target})")
        self.emit(*docstring_lines(doc, INDENT, self.twins))

    def _self_type_as_self(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef
    ) -> ast.FunctionDef | ast.AsyncFunctionDef:
        """``def m(self: _T) -> _T`` (``cls: type[_T]``), the spelling before ``Self``: ``_T`` read as ``Self``.

        ``_T`` is bound to the async class, which the twin is not; ``Self`` is what the twin's method returns.
        """
        first = (node.args.posonlyargs + node.args.args)[:1]
        annotation = first[0].annotation if first else None
        if isinstance(annotation, ast.Subscript) and ast.unparse(annotation.value) in {"type", "Type", "typing.Type"}:
            annotation = annotation.slice
        if not isinstance(annotation, ast.Name) or annotation.id not in module_type_variables(self._origin.source):
            return node
        copied = NameAsSelf(annotation.id).visit(copy.deepcopy(node))
        assert isinstance(copied, (ast.FunctionDef, ast.AsyncFunctionDef))
        return copied

    def exit_header(self, indent: str, returns: str) -> list[str]:
        """The lines of a ``def __exit__`` with its parameters, up to ``-> returns``."""
        parameters = _EXIT_PARAMETERS.format(type="_builtins.type" if "type" in self._shadowed else "type")
        return [f"{indent}def __exit__(", f"{indent}{INDENT}{parameters}", f"{indent}) -> {returns}"]

    def _aliased_function(self, value: ast.expr | None) -> list[ast.stmt] | None:
        """The definition of the function ``value`` names, if it is one: a member of the class (an alias of a
        method), or a function of the module the class body is in (``send = _send``), which is a method too."""
        if not isinstance(value, ast.Name):
            return None
        statements = self.members.get(value.id)
        if statements and isinstance(statements[-1], _FUNCTIONS):
            return statements
        origin = self._origin
        for statement in origin.source.tree.body:
            if isinstance(statement, _FUNCTIONS) and statement.name == value.id:
                self._origins[id(statement)] = origin  # read with the names of the module the alias is in
                return [statement]
        return None

    def _partially_applied(self, statements: list[ast.stmt], call: ast.Call, *, method: bool) -> list[ast.stmt]:
        """The definitions of a method with ``partialmethod``'s arguments bound, or of a static method with a plain
        ``partial``'s (``_partials``), read as written."""
        applied: list[ast.stmt] = []
        apply = partially_applied if method else partially_applied_static
        for statement in statements:
            if isinstance(statement, _FUNCTIONS):
                copied = apply(statement, call)
                self._origins[id(copied)] = self._origins[id(statement)]
                applied.append(copied)
        return applied

    def attribute(self, name: str, annotation: ast.expr | None, doc: str | None) -> None:
        self.accessor(name, annotation, annotation, doc)

    def _names_covariant_variable(self, annotation: str) -> bool:
        """Whether ``annotation`` (as the twin writes it) is a type variable of the class declared covariant (mypy
        refuses only the bare variable as a parameter's type, not one inside another type)."""
        if annotation not in self._class_type_variables:
            return False
        found = self._type_variable_definition(self._origin.source, annotation)
        return found is not None and any(
            keyword.arg == "covariant" and isinstance(keyword.value, ast.Constant) and keyword.value.value is True
            for keyword in found[0].keywords
        )

    def accessor(
        self, name: str, read: ast.expr | None, written: ast.expr | None, doc: str | None, *, writable: bool = True
    ) -> None:
        """A property of the twin that reads (and, if ``writable``, sets) attribute ``name`` of the async object.

        ``read`` is the type a read returns, ``written`` the one a new value must have (a setter's parameter).
        """
        returns, traversed = self.annotation_traversed(read, Place.RETURNED)
        value = f"_support.get_attribute(self, {name!r})"
        if traversed:
            value = f"_support.returned_each(self, {value})"
        self.emit("", f"{INDENT}@{self.builtin('property')}", f"{INDENT}def {name}(self) -> {returns}:")
        self.emit(*docstring_lines(doc, INDENT * 2, self.twins), *returning(returns, value))
        if not writable:
            return
        accepts, traversed = self.annotation_traversed(written, Place.PASSED)
        # An attribute typed by the class's covariant type variable may be assigned on the async side (mypy lets
        # `self.x = x` be), but a setter's parameter of that type is refused ("covariant type variable as a
        # parameter"): the twin's setter keeps the async side's freedom.
        covariant = "  # type: ignore[misc]" if self._names_covariant_variable(accepts) else ""
        self.emit("", f"{INDENT}@{name}.setter", f"{INDENT}def {name}(self, value: {accepts}) -> None:{covariant}")
        new_value = "_support.passed_each(value)" if traversed else "value"
        self.emit(f"{INDENT * 2}_support.set_attribute(self, {name!r}, {new_value})")

    def function(self, name: str, statements: list[ast.stmt], *, calls: str | None = None) -> None:
        """The twin's member ``name`` for the defs ``statements``; it calls the async class's ``calls`` (``name``)."""
        functions = [s for s in statements if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
        node = functions[0]
        decorators = decorators_of(node)
        target = f"{self.async_name}.{calls or name}"
        overloads = functions[:-1]  # all but the implementation
        if "overload" in decorators or "typing.overload" in decorators:
            node = functions[-1]  # the implementation's signature
            decorators = decorators_of(node)
            parameters = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
            stub_only = is_overload(node)  # a stub's (.pyi): no implementation
            if stub_only or any(parameter.annotation is None for parameter in parameters[1:]):
                # Unannotated (asyncssh's SFTPClient.chown), mypy does not hold it to its overloads, but written
                # with `Any` parameters it would; `*args, **kwargs` accepts what every overload does (a stub's too).
                loose = taking_anything(node)
                self._origins[id(loose)] = self._origins[id(node)]
                if stub_only:  # callers see only the overloads; only what the caller gave is passed on
                    overloads = functions
                    loose.returns = ast.Attribute(ast.Name("_typing", ast.Load()), "Any", ast.Load())
                    loose.decorator_list = [d for d in loose.decorator_list if not is_overload_decorator(d)]
                node, decorators = loose, decorators_of(loose)
        base_accessors = self._base_property(name, node, decorators)
        if base_accessors:  # `@AsyncBase.x.setter` in a subclass: the base's property, an accessor replaced
            functions = base_accessors + functions
            node, decorators = functions[0], decorators_of(functions[0])
        self.reading(node)
        marks = self._deprecation_marks(node)
        if "staticmethod" not in decorators:
            node = self._self_type_as_self(node)
        if is_property_like(decorators):
            setter = next((f for f in reversed(functions) if f"{name}.setter" in decorators_of(f)), None)
            written = node.returns
            if setter is not None and len(setter.args.args) > 1 and setter.args.args[1].annotation is not None:
                written = setter.args.args[1].annotation
            writable = setter is not None or bool(decorators & {"cached_property", "functools.cached_property"})
            self.accessor(name, node.returns, written, ast.get_docstring(node), writable=writable)
            return
        is_async = isinstance(node, ast.AsyncFunctionDef)
        is_async_gen = isinstance(node, ast.AsyncFunctionDef) and has_yield(node)
        # What the twin returns: an async def's result, or what a sync def returns, awaited if awaitable.
        place = Place.RETURNED if is_async else Place.AWAITED
        entered_in_thread = False  # a sync @contextmanager method: its overloads are typed as it is
        returns, traversed = self.annotation_traversed(node.returns, place)
        if is_async_gen and node.returns is None:
            returns = "_abc.Iterator[_typing.Any]"
        if decorators & {"asynccontextmanager", "contextlib.asynccontextmanager"}:
            # The decorator makes it a sync function returning an async context manager: entered on the loop.
            inner = node.returns.slice if isinstance(node.returns, ast.Subscript) else None
            returns, traversed = f"_contextlib.AbstractContextManager[{self.annotation(inner, Place.ITEM)}]", False
            is_async = is_async_gen = False
        elif decorators & {"contextmanager", "contextlib.contextmanager"} and not is_async:
            # A sync generator made a context manager: entered in the caller's thread, its value mapped.
            returns, traversed = self._entered_in_thread(node.returns), False
            entered_in_thread = True
        transforming = transforming_decorators(decorators)
        opaque = is_async and bool(transforming)
        if opaque:
            node = self._as_decorated(node, transforming)  # aiomcache's `@acquire` supplies `conn` itself
        if opaque and untyped_decorators(self._lookup, self._origin.source, node, transforming):
            # An untyped decorator (aiocache's `@cached(ttl=...)`): a type checker types the method `Any`, and the
            # wrapper may take more than the def (`cache_read=`); the twin takes and returns anything, as mypy reads it.
            loose = taking_anything(node)
            self._origins[id(loose)] = self._origins[id(node)]
            node, returns, traversed = loose, "_typing.Any", False
        if opaque and is_async_gen:  # `@asyncstartablecontext`: what the decorator makes of it cannot be read
            returns, traversed = "_typing.Any", False
        if opaque and not decorators & {"staticmethod", "classmethod"}:
            # Read through the instance, as `obj.m(...)` reads it: a decorator's object may bind itself in its own
            # `__get__` (async_lru's `alru_cache` binds to None when read from the class).
            target = f"_support.through_instance({self.async_name}, {(calls or name)!r})"
        if marks and not opaque:  # the twin's `@deprecated` warns; the async def's would name dualio (`_deprecation`)
            target = f"_support.undeprecated({self.async_name}, {(calls or name)!r})"  # not read by name: mypy's
            # `deprecated` error code would flag the generated module
        if "staticmethod" in decorators or "classmethod" in decorators or _implicit_classmethod(node):
            kind = "staticmethod" if "staticmethod" in decorators else "classmethod"
            body = f"_support.call_class({target}{{args}})"
            place = Place.RETURNED if is_async else Place.AWAITED
            returns = _loosened(returns, self.overloads(name, overloads, place, decorator=kind))
            self.method(
                node, name, body, returns, decorator=kind, bound=kind == "classmethod", traversed=traversed, marks=marks
            )
            return
        if opaque:  # run it and map what comes back (awaited if awaitable), as the run-time twin does
            runner = "call_sync"
        elif is_async_gen:
            runner = "iterate"
        elif is_async and not self._origin.source.is_stub:
            runner = "call"
        else:  # a sync def; or a compiled module's async def, called on the loop (rnet's need one running)
            runner = "call_sync"
        overloaded = self.overloads(name, overloads, place, entered_in_thread=entered_in_thread)
        returns = _loosened(returns, overloaded)
        self.method(node, name, f"_support.{runner}(self, {target}{{args}})", returns, traversed=traversed, marks=marks)

    def _deprecation_marks(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
        """``node``'s ``@deprecated(...)`` (PEP 702), as the twin writes it, names imported as the source does.

        Only ``warnings.deprecated`` and ``typing_extensions.deprecated``: another library's decorator of that
        name (lancedb's untyped ``deprecation.deprecated(deprecated_in=...)``) is not copied, as no other
        decorator is (it would make ``mypy --strict`` refuse the module: "Untyped decorator")."""
        source = self._origins.get(id(node), self._origin).source
        return [
            self.default(decorator)
            for decorator in node.decorator_list
            if source.qualified_name(decorator.func if isinstance(decorator, ast.Call) else decorator) in _PEP_702
        ]

    def _as_decorated(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef, transforming: set[str]
    ) -> ast.FunctionDef | ast.AsyncFunctionDef:
        """``node`` without the leading parameters that its decorators (``transforming``) supply, as their
        ``Concatenate`` annotations say (``_decorators.without_supplied``)."""
        origin = self._origins.get(id(node), self._origin)  # a copy made for `Self` is read where `node` is
        trimmed = without_supplied(self._lookup, origin.source, node, transforming)
        if trimmed is not node:
            self._origins[id(trimmed)] = origin
        return trimmed

    def _entered_in_thread(self, written: ast.expr | None) -> str:
        """What a sync ``@contextmanager`` method (or an overload of one) returns on the twin: a context manager
        entered in the caller's thread whose value is mapped (``Iterator[T]``, ``Generator[T, ...]`` or
        ``AbstractContextManager[T]`` as written: ``AbstractContextManager[T's twin]``)."""
        inner = written.slice if isinstance(written, ast.Subscript) else None
        if isinstance(inner, ast.Tuple):  # Generator[T, None, None]
            inner = inner.elts[0] if inner.elts else None
        return f"_contextlib.AbstractContextManager[{self.annotation(inner, Place.ITEM)}]"

    def _base_property(
        self, name: str, node: ast.FunctionDef | ast.AsyncFunctionDef, decorators: set[str]
    ) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
        """For ``@AsyncBase.x.setter`` (``.getter``, ``.deleter``): the defs of ``AsyncBase``'s property ``x``."""
        qualified = next((d for d in decorators if d.endswith((f".{name}.setter", f".{name}.getter"))), None)
        if qualified is None or qualified.count(".") < 2:
            return []
        base = ast.parse(qualified.rsplit(".", 2)[0], mode="eval").body
        found = self.sources.base_class(self._origins[id(node)].source, base, self.package)
        if found is None:
            return []
        statements = class_members(self.sources, found[0], found[1], strict=False)[0].get(name, [])
        functions = [statement for statement in statements if isinstance(statement, _FUNCTIONS)]
        return functions if functions and is_property_like(decorators_of(functions[0])) else []

    def overloads(
        self,
        name: str,
        functions: list[ast.FunctionDef | ast.AsyncFunctionDef],
        place: Place,
        *,
        decorator: str | None = None,
        entered_in_thread: bool = False,
        returned_in: str | None = None,
    ) -> list[str]:
        """The ``@overload`` signatures of a method (``decorator``: ``classmethod``, ``staticmethod``), each read
        as its implementation is (``place``, or as a sync ``@contextmanager``'s if ``entered_in_thread``); returns
        the return types written (none if no overload was). ``returned_in``: a generic the return type is written
        in (``__iter__``'s ``Iterator[...]`` from the overloads of ``__anext__``).

        Left out (the implementation's signature stands alone) when one of them annotates ``self``/``cls``
        with a type other than a ``TypeVar``: redis-py's ``self: SyncClientProtocol`` overloads would all read
        alike on the twin.
        """
        bound = decorator != "staticmethod"
        stubs = [f for f in functions if is_overload(f)]
        stubs = [self._as_decorated(f, transforming_decorators(decorators_of(f))) for f in stubs]
        read: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, ast.FunctionDef | ast.AsyncFunctionDef]] = []
        receivers: dict[int, str] = {}  # `self: "C[Literal[True]]"` of the class's own, as the twin writes it
        for stub in stubs:
            self.reading(stub)
            as_self = self._self_type_as_self(stub) if bound else stub
            first = (stub.args.posonlyargs + stub.args.args)[:1]
            receiver = self._own_receiver(first[0].annotation) if bound and first else None
            if receiver is not None:
                receivers[id(stub)] = receiver
            elif bound and (not first or (first[0].annotation is not None and as_self is stub)):
                return []
            read.append((stub, as_self))
        written = []
        for stub, as_self in read:
            self.reading(stub)
            params, _forward = self.signature(as_self.args, bound=bound)
            if id(stub) in receivers:  # told apart by the receiver's type arguments (aiohttp's `receive_str`)
                receiver_name = (stub.args.posonlyargs + stub.args.args)[0].arg
                params = f"{receiver_name}: {receivers[id(stub)]}{params[len(receiver_name) :]}"
            if entered_in_thread:
                returns = self._entered_in_thread(as_self.returns)
            else:
                returns = self.annotation(as_self.returns, place)
            if returned_in is not None:
                returns = f"{returned_in}[{returns}]"
            self.emit("", f"{INDENT}@_typing.overload")
            if decorator is not None:
                self.emit(f"{INDENT}@{self.builtin(decorator)}")
            ignore = self.ignored(params, returns)
            self.emit(f"{INDENT}def {name}{self.type_header(as_self)}({params}) -> {returns}: ...{ignore}")
            written.append(returns)
        return written

    def _own_receiver(self, annotation: ast.expr | None) -> str | None:
        """``self: "ClientWebSocketResponse[Literal[True]]"``, the class's own with type arguments (overloads told
        apart by them), as the twin writes it (the twin's class, the same arguments); None for anything else."""
        node = annotation
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return None
        if not (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)):
            return None
        if node.value.id != self.async_name or self._origin.klass is not self.node:
            return None  # another class, or a base's overload (its receiver is not this twin)
        return self.annotation(node, Place.PASSED)

    def protocols(self, members: dict[str, list[ast.stmt]]) -> bool:
        """``__enter__``/``__exit__`` and ``__iter__``/``__next__`` from the async dunders; whether ``with`` was."""
        aenter, aexit = members.get("__aenter__"), members.get("__aexit__")
        enter_node = aenter[-1] if aenter and aexit else None
        if isinstance(enter_node, ast.AsyncFunctionDef) and aexit:
            self.reading(enter_node)
            enter_node = self._self_type_as_self(enter_node)
            returns = self.annotation(enter_node.returns, Place.ITEM)
            if returns == "_typing.Any" and returns_self_only(enter_node):  # `return self`, typed with no twin
                returns = "_typing.Self"  # (unannotated, or a base with no twin: websockets' `-> Connection`)
            self.reading(aexit[-1])
            exit_returns = "None"
            if isinstance(aexit[-1], ast.AsyncFunctionDef):
                exit_returns = self.annotation(aexit[-1].returns, Place.ITEM)
            enter = "enter_self" if skips_the_loop(enter_node) else "enter"  # `return self`: no round trip
            self.emit("", f"{INDENT}def __enter__(self) -> {returns}:")
            self.emit(f"{INDENT * 2}return _typing.cast({returns!r}, _support.{enter}(self))")
            self.emit("", *self.exit_header(INDENT, f"{exit_returns}:"))
            if exit_returns == "None":
                self.emit(f"{INDENT * 2}_support.exit(self, exc_type, exc, tb)")
            else:
                self.emit(f"{INDENT * 2}return _typing.cast({exit_returns!r}, _support.exit(self, exc_type, exc, tb))")
        anext, aiter = members.get("__anext__"), members.get("__aiter__")
        item = "_typing.Any"
        if anext and isinstance(anext[-1], ast.AsyncFunctionDef):
            self.reading(anext[-1])
            item = self.annotation(anext[-1].returns, Place.ITEM)
        elif aiter and isinstance(aiter[-1], _FUNCTIONS) and isinstance(aiter[-1].returns, ast.Subscript):
            # def __aiter__(self) -> AsyncIterator[T], or async def __aiter__ written as an async generator
            self.reading(aiter[-1])
            item = self.annotation(aiter[-1].returns.slice, Place.ITEM)
        # `__anext__`'s overloads told apart by the receiver (aiohttp's websocket: a text message's data is `str`
        # with `decode_text=True`) type `__next__`, and `__iter__` when `__aiter__` returns the object itself.
        told_apart: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        if anext and isinstance(anext[-1], ast.AsyncFunctionDef):
            told_apart = [f for f in anext[:-1] if isinstance(f, ast.AsyncFunctionDef)]
        if aiter:
            if told_apart and isinstance(aiter[-1], ast.FunctionDef) and returns_self_only(aiter[-1]):
                self.overloads("__iter__", told_apart, Place.ITEM, returned_in="_abc.Iterator")
            self.emit("", f"{INDENT}def __iter__(self) -> _abc.Iterator[{item}]:")
            self.emit(f"{INDENT * 2}return _support.iterate_self(self)")
        if anext:
            self.overloads("__next__", told_apart, Place.ITEM)
            self.emit("", f"{INDENT}def __next__(self) -> {item}:")
            self.emit(f"{INDENT * 2}return _typing.cast({item!r}, _support.next_item(self))")
        return isinstance(enter_node, ast.AsyncFunctionDef)


def _loosened(returns: str, overloads: list[str]) -> str:
    """The implementation's return type beside its overloads: ``Any`` where it reads ``Self`` (a ``cls:
    type[T]`` implementation) and an overload returns a concrete twin, as coredis' ``from_url`` overloads return
    ``Redis[bytes]``: mypy holds the implementation to every overload, and ``Self`` is not ``SyncRedis[bytes]``.
    Callers see only the overloads."""
    if returns == "_typing.Self" and any(written != returns for written in overloads):
        return "_typing.Any"
    return returns


def _foreign_hint(source: Source, node: ast.ClassDef, written: list[str]) -> str:
    """For the "no async members" error of a class whose bases come from another package (a tortoise ``Model``
    subclass): where its async members probably are, and the two ways to a twin."""
    if not written:
        return ""
    listed = []
    for base in node.bases:
        head = base.value if isinstance(base, ast.Subscript) else base
        qualified = source.qualified_name(head) if ast.unparse(head) in written else None
        if qualified is not None:
            module, _, name = qualified.rpartition(".")
            listed.append(f"{module}:{name}")
    bases = ", ".join(written)
    targets = f" (list {' or '.join(listed)} to generate its twin)" if listed else ""
    return (
        f". Its base {bases} comes from another package, which the generator does not read: if the async members "
        f"are there, use dualio.twin.sync_class({node.name}) at run time, which sees them{targets}"
    )


def _implicit_classmethod(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether a decorated ``def`` whose first parameter is ``cls`` is a classmethod by its decorator's doing:
    pydantic's ``@field_validator`` makes one (langchain's ``set_verbose(cls, verbose)``; the twin
    wrote it as an instance method whose body named ``self``, which mypy refused)."""
    first = (node.args.posonlyargs + node.args.args)[:1]
    return bool(node.decorator_list) and bool(first) and first[0].arg == "cls"
