"""What the generator reads off the syntax of an async class: decorators, docstrings, type parameters, attributes.

Plain functions over ``ast`` nodes, used by the class writer (``_writer``); none of them writes code.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import Any

from ._docstrings import sync_docstring
from ._source import Source, in_blocks

__all__ = (
    "NameAsSelf",
    "QualifyNames",
    "as_argument",
    "assigned_value",
    "attribute_doc",
    "class_body_names",
    "class_level_names",
    "declared_type_parameters",
    "decorators_of",
    "docstring_lines",
    "field_without_default",
    "has_async_members",
    "has_yield",
    "init_attributes",
    "is_property_like",
    "module_type_variables",
    "own_nodes",
    "qualified_type",
    "transforming_decorators",
    "type_alias_value",
)

# Decorators that make a def a read-only attribute (a descriptor that is not a method): the builtins', and by
# name those of other libraries (aiohttp's ``reify``, propcache's ``under_cached_property``, ``abstractproperty``,
# SQLAlchemy's ``hybrid_property``): the last part of the name is ``reify`` or ends in ``property``.
_PROPERTY_NAMES = {"reify"}
_ASYNC_PROTOCOLS = {"__aenter__", "__aiter__", "__anext__"}


class NameAsSelf(ast.NodeTransformer):
    """Replace a name with ``_typing.Self`` wherever it is read."""

    def __init__(self, name: str) -> None:
        self.name = name

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id != self.name:
            return node
        return ast.Attribute(ast.Name("_typing", ast.Load()), "Self", ast.Load())


def module_type_variables(source: Source) -> set[str]:
    """The names ``source`` binds to a ``TypeVar(...)`` at its top level."""
    names: set[str] = set()
    for statement in source.tree.body:
        if not isinstance(statement, ast.Assign) or not isinstance(statement.value, ast.Call):
            continue
        if ast.unparse(statement.value.func).rpartition(".")[2] == "TypeVar":
            names.update(target.id for target in statement.targets if isinstance(target, ast.Name))
    return names


def docstring_lines(text: str | None, indent: str, twins: Mapping[str, str]) -> list[str]:
    """``text`` as the lines of a docstring at ``indent``, its code examples written for the twin (``twins``: async
    class name -> twin class name; see ``_docstrings``)."""
    if not text:
        return []
    body = sync_docstring(text, twins).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if body.endswith('"'):
        body = body[:-1] + '\\"'
    first, *rest = body.splitlines()
    if not rest:
        return [f'{indent}"""{first}"""']
    return [f'{indent}"""{first}', *((indent + line) if line.strip() else "" for line in rest), f'{indent}"""']


def declared_type_parameters(node: ast.AST) -> list[Any]:
    """The type parameters ``node`` declares with Python 3.12's syntax (``class C[T]``, ``def f[T]``)."""
    return list(getattr(node, "type_params", None) or [])


def as_argument(parameter: Any) -> str:
    """How a declared type parameter is passed on: ``T``, ``*Ts``, ``P``."""
    return ("*" if type(parameter).__name__ == "TypeVarTuple" else "") + str(parameter.name)


def class_level_names(klass: ast.ClassDef) -> set[str]:
    """The names a class body assigns a value to (``MAX = 10``, ``limit: int = 3``)."""
    names: set[str] = set()
    for statement in klass.body:
        if isinstance(statement, ast.Assign):
            names.update(target.id for target in statement.targets if isinstance(target, ast.Name))
        elif isinstance(statement, ast.AnnAssign) and statement.value and isinstance(statement.target, ast.Name):
            names.add(statement.target.id)
    return names


class QualifyNames(ast.NodeTransformer):
    """Rewrite each of ``names`` to ``owner.name``."""

    def __init__(self, owner: str, names: set[str]) -> None:
        self.owner = owner
        self.names = names

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id in self.names:
            return ast.Attribute(ast.Name(self.owner, ast.Load()), node.id, ast.Load())
        return node


def class_body_names(klass: ast.ClassDef) -> set[str]:
    """The names ``klass``'s body binds directly: its defs, nested classes and (annotated) assignments."""
    names: set[str] = set()
    for statement in klass.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(statement.name)
        elif isinstance(statement, ast.Assign):
            names.update(target.id for target in statement.targets if isinstance(target, ast.Name))
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            names.add(statement.target.id)
    return names


def has_async_members(members: dict[str, list[ast.stmt]]) -> bool:
    """Whether a class has something a twin maps: an ``async def`` (generators too), an async protocol, or a
    plain ``def`` annotated to return an awaitable (zmq.asyncio's ``def recv(...) -> Awaitable[bytes]``), as the
    run-time twin counts them (``_registry.returns_awaitable``)."""
    return any(name in _ASYNC_PROTOCOLS for name in members) or any(
        isinstance(statement, ast.AsyncFunctionDef) or _returns_awaitable(statement)
        for statements in members.values()
        for statement in statements
    )


def _returns_awaitable(statement: ast.stmt) -> bool:
    if not isinstance(statement, ast.FunctionDef) or statement.returns is None:
        return False
    returns = statement.returns
    if isinstance(returns, ast.Constant) and isinstance(returns.value, str):
        head = returns.value.partition("[")[0].strip()
    else:
        head = ast.unparse(returns.value if isinstance(returns, ast.Subscript) else returns)
    return head.rpartition(".")[2] in {"Awaitable", "Coroutine"} or head in {"asyncio.Future", "asyncio.Task"}


def is_property_like(decorators: set[str]) -> bool:
    """Whether one of ``decorators`` (as written, ``@x.setter`` aside) makes the def an attribute, not a method."""
    for decorator in decorators:
        last = decorator.partition("(")[0].rpartition(".")[2]
        if last in _PROPERTY_NAMES or (last.endswith("property") and not decorator.endswith(".setter")):
            return True
    return False


# Decorators known to leave a def as written: what calling it returns is what its source says.
_KEEPING = {"abstractmethod", "override", "final", "overload", "staticmethod", "classmethod", "deprecated", "wraps"}


def transforming_decorators(decorators: set[str]) -> set[str]:
    """Those of ``decorators`` (as written) that may change what calling the def returns: any not known to keep
    it, a property-like one or an accessor (``@x.setter``) aside."""
    return {
        decorator
        for decorator in decorators
        if decorator.partition("(")[0].rpartition(".")[2] not in _KEEPING
        and not is_property_like({decorator})
        and not decorator.endswith((".setter", ".getter", ".deleter"))
    }


def decorators_of(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    return {ast.unparse(decorator) for decorator in node.decorator_list}


def has_yield(node: ast.AsyncFunctionDef) -> bool:
    """Whether ``node`` itself (not a nested function) yields: an async generator."""
    return any(isinstance(child, (ast.Yield, ast.YieldFrom)) for child in own_nodes(node))


def own_nodes(node: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.AST]:
    """The nodes of ``node``'s body, not those of the functions, lambdas and classes defined in it."""
    stack: list[ast.AST] = list(node.body)
    while stack:
        child = stack.pop()
        yield child
        if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            stack.extend(ast.iter_child_nodes(child))


def attribute_doc(classdef: ast.ClassDef, statement: ast.stmt) -> str | None:
    """The string literal right after an annotated attribute (the convention Sphinx reads), if any."""
    body = classdef.body
    index = body.index(statement) if statement in body else -1
    if 0 <= index < len(body) - 1:
        after = body[index + 1]
        if isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant) and isinstance(after.value.value, str):
            return after.value.value.strip()
    return None


_LITERAL_TYPES = frozenset({bool, int, float, str, bytes})


def init_attributes(init: ast.FunctionDef) -> list[tuple[str, ast.expr | None]]:
    """Public ``self.x = ...`` / ``self.x: T = ...`` assignments in ``__init__``, in order, with a type.

    Those in its ``if``/``else``, ``try``, ``with``, ``for`` and ``while`` blocks count (aiocoap's
    ``BlockwiseRequest`` sets ``self.observation`` in both branches of an ``if``), not those of a
    nested ``def`` or ``class``. The type is the annotation written there, else, for ``self.x = x`` of an
    annotated parameter ``x`` (not ``*args``/``**kwargs``), that parameter's annotation, or for ``self.x = True``
    (a ``bool``, ``int``, ``float``, ``str`` or ``bytes`` literal) its type, as a type checker infers them; else
    None (``Any``).
    """
    parameters = {arg.arg: arg.annotation for arg in (*init.args.posonlyargs, *init.args.args, *init.args.kwonlyargs)}
    found: dict[str, ast.expr | None] = {}
    for statement in in_blocks(init.body):
        targets: list[ast.expr] = []
        annotation = None
        if isinstance(statement, ast.Assign):
            targets = statement.targets
            if isinstance(statement.value, ast.Name):
                annotation = parameters.get(statement.value.id)
            elif isinstance(statement.value, ast.Constant) and type(statement.value.value) in _LITERAL_TYPES:
                annotation = ast.Name(type(statement.value.value).__name__, ast.Load())
        elif isinstance(statement, ast.AnnAssign):
            targets, annotation = [statement.target], statement.annotation
        for target in targets:
            if (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id == "self"
                and not target.attr.startswith("_")
            ):
                found[target.attr] = found.get(target.attr) or annotation  # the first type found wins
    return list(found.items())


def calls_base_init(init: ast.FunctionDef) -> bool:
    """Whether ``init`` runs a base's ``__init__``: ``super().__init__(...)``, ``super(C, self).__init__(...)``
    or ``Base.__init__(self, ...)``, anywhere in its body but a nested ``def`` or ``class``."""
    for statement in in_blocks(init.body):
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for node in ast.walk(statement):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr != "__init__":
                continue
            target = node.func.value
            if isinstance(target, ast.Call) and isinstance(target.func, ast.Name) and target.func.id == "super":
                return True
            if isinstance(target, (ast.Name, ast.Attribute)) and node.args and ast.unparse(node.args[0]) == "self":
                return True
    return False


def type_alias_value(module: ast.Module, name: str) -> ast.expr | None:
    """What the top-level type alias ``name`` stands for: ``name = Union[...]`` or ``name = A | B`` (a subscript or
    a union, as type aliases are written), ``name: TypeAlias = ...``, or ``type name = ...``; else None."""
    for statement in module.body:
        if isinstance(statement, ast.Assign) and [ast.unparse(t) for t in statement.targets] == [name]:
            value = statement.value
            is_union = isinstance(value, ast.BinOp) and isinstance(value.op, ast.BitOr)
            return value if isinstance(value, ast.Subscript) or is_union else None
        if isinstance(statement, ast.AnnAssign) and ast.unparse(statement.target) == name:
            is_alias = ast.unparse(statement.annotation).rpartition(".")[2] == "TypeAlias"
            return statement.value if is_alias else None
        alias_name = getattr(statement, "name", None) if type(statement).__name__ == "TypeAlias" else None
        if isinstance(alias_name, ast.Name) and alias_name.id == name:  # `type name = ...` (3.12)
            aliased: ast.expr = getattr(statement, "value")  # noqa: B009  # ast.TypeAlias: not in 3.11's typeshed
            return aliased
    return None


def qualified_type(annotation: ast.expr) -> ast.expr | None:
    """The type inside ``ClassVar[T]``/``Final[T]`` (quoted or not); None for a bare ``ClassVar``/``Final``."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        annotation = ast.parse(annotation.value, mode="eval").body
    return annotation.slice if isinstance(annotation, ast.Subscript) else None


def assigned_value(statement: ast.Assign, name: str) -> ast.expr | None:
    """What ``statement`` assigns to ``name``: the value, or its element for ``get, fetch = _get, _fetch``."""
    for target in statement.targets:
        if isinstance(target, ast.Name) and target.id == name:
            return statement.value
        if isinstance(target, (ast.Tuple, ast.List)) and isinstance(statement.value, (ast.Tuple, ast.List)):
            names = [element.id if isinstance(element, ast.Name) else None for element in target.elts]
            if name in names and len(names) == len(statement.value.elts):
                return statement.value.elts[names.index(name)]
    return None


def field_without_default(value: ast.expr) -> bool:
    """``field(default_factory=list)``: a dataclass field with no class-level value (only instances have one)."""
    if not isinstance(value, ast.Call) or ast.unparse(value.func).rpartition(".")[2] != "field":
        return False
    return not any(keyword.arg == "default" for keyword in value.keywords)
