"""What the audit knows about the analysed tree: modules, classes, functions, call sites, and how names link.

Building happens in two passes so that names can refer forward and across modules: :func:`index_module`
records each module's imports, top-level definitions, classes and module-level variables; then
``_walker.walk_module`` walks every function body with the whole project index at hand.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from ._catalog import FACTORY_RESULTS, LOOP_BOUND, RESULT_TYPES, TYPE_ALIASES
from ._discover import SourceFile
from ._finding import Finding

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


def canonical(name: str) -> str:
    """Fold private or alternative spellings of known names (``requests.sessions.Session``) into the public one."""
    alias = TYPE_ALIASES.get(name)
    if alias is not None:
        return alias
    head, dot, tail = name.rpartition(".")
    if dot:
        alias = TYPE_ALIASES.get(head)
        if alias is not None:
            return f"{alias}.{tail}"
    return name


@dataclass(slots=True)
class CallSite:
    """A call in a function body and the fully qualified name it resolved to (``None`` when unknown).

    With ``scheduled``, ``target`` is not called here but handed to the event loop to call
    (``loop.call_soon(target)``): it will run on the loop thread.
    """

    node: ast.Call
    target: str | None
    method: str | None = None
    scheduled: bool = False


@dataclass(slots=True)
class ModuleStats:
    """Counters for the ``--report`` inventory of one module."""

    lines: int = 0
    async_functions: int = 0
    sync_functions: int = 0
    awaits: int = 0
    tasks_started: int = 0
    external_calls: int = 0
    external_with_timeout: int = 0
    timeout_scopes: int = 0
    cancel_handlers: int = 0
    cancel_reraised: int = 0
    shields: int = 0
    shutdown_hooks: list[tuple[int, str]] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class FunctionInfo:
    """A function or method: where it is, whether it is async, and the calls and global names in its body."""

    qualname: str
    local_name: str
    module: ModuleInfo
    node: FunctionNode
    class_name: str | None
    is_async: bool
    offloaded: bool = False
    calls: list[CallSite] = field(default_factory=list)
    refs: dict[str, ast.AST] = field(default_factory=dict)
    return_type: str | None = None


@dataclass(slots=True, eq=False)
class ClassInfo:
    """A class: its resolved bases and the types of attributes assigned in its body or on ``self``."""

    qualname: str
    node: ast.ClassDef
    module: ModuleInfo
    bases: list[str] = field(default_factory=list)
    attr_types: dict[str, str] = field(default_factory=dict)
    timed_attrs: set[str] = field(default_factory=set)


@dataclass(slots=True, eq=False)
class ModuleInfo:
    """One parsed file."""

    source: SourceFile
    name: str
    tree: ast.Module
    lines: list[str]
    imports: dict[str, str] = field(default_factory=dict)
    definitions: set[str] = field(default_factory=set)
    functions: list[FunctionInfo] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    # (name, creating call, what it is, the name of the loop-bound object it is built from: itself for a root)
    loop_bound: list[tuple[str, ast.Call, str, str]] = field(default_factory=list)
    stats: ModuleStats = field(default_factory=ModuleStats)

    @property
    def package(self) -> str:
        """The package relative imports start from."""
        return self.name if self.source.is_package else self.name.rpartition(".")[0]


@dataclass(slots=True, eq=False)
class ProjectIndex:
    """Every module, function, class and typed variable of the analysed tree, by fully qualified name."""

    modules: dict[str, ModuleInfo] = field(default_factory=dict)
    functions: dict[str, FunctionInfo] = field(default_factory=dict)
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    var_types: dict[str, str] = field(default_factory=dict)
    variables: set[str] = field(default_factory=set)
    loop_bound_names: frozenset[str] = frozenset()
    timed_variables: set[str] = field(default_factory=set)
    _resolved: dict[str, str | None] = field(default_factory=dict)

    def resolve(self, name: str) -> str | None:
        """Follow re-exports and inheritance to the project symbol ``name`` denotes, or ``None`` if it is not one.

        ``pkg.save`` re-exported by ``pkg/__init__.py`` from ``pkg.db`` resolves to ``pkg.db.save``;
        ``pkg.mod.Child.method`` inherited from a project base class resolves to the base's method.
        """
        if name in self._resolved:
            return self._resolved[name]
        self._resolved[name] = None  # cycle guard
        result = self._resolve(name, 0)
        self._resolved[name] = result
        return result

    def _known(self, name: str) -> bool:
        return name in self.functions or name in self.classes or name in self.variables

    def _resolve(self, name: str, depth: int) -> str | None:
        if self._known(name):
            return name
        if depth > 8:
            return None
        head, _, tail = name.rpartition(".")
        if not head:
            return None
        module = self.modules.get(head)
        if module is not None:
            imported = module.imports.get(tail)
            if imported is not None and imported != name:
                return self._resolve(imported, depth + 1)
            return None
        owner = self._resolve(head, depth + 1)
        if owner is None or (owner == head and not self._known(owner)):
            return None
        if owner in self.classes:
            return self._member(owner, tail, set())
        candidate = f"{owner}.{tail}"
        return candidate if self._known(candidate) else None

    def _member(self, cls: str, attr: str, seen: set[str]) -> str | None:
        if cls in seen:
            return None
        seen.add(cls)
        candidate = f"{cls}.{attr}"
        if self._known(candidate):
            return candidate
        info = self.classes[cls]
        for base in info.bases:
            resolved = self.resolve(base)
            if resolved is not None and resolved in self.classes:
                found = self._member(resolved, attr, seen)
                if found is not None:
                    return found
        return None

    def attribute_type(self, cls: str, attr: str) -> tuple[str | None, bool]:
        """The inferred type of ``cls().attr`` (also from base classes), and whether it was built with a timeout."""
        seen: set[str] = set()
        pending = [cls]
        while pending:
            current = pending.pop()
            if current in seen or current not in self.classes:
                continue
            seen.add(current)
            info = self.classes[current]
            if attr in info.attr_types:
                return info.attr_types[attr], attr in info.timed_attrs
            pending.extend(base for base in (self.resolve(b) for b in info.bases) if base is not None)
        return None, False


def resolve_relative(module: ModuleInfo, level: int, target: str | None) -> str | None:
    """The absolute module named by ``from .target import ...`` at ``level`` dots inside ``module``."""
    parts = module.package.split(".") if module.package else []
    if level > 1:
        if level - 1 > len(parts):
            return None
        parts = parts[: len(parts) - (level - 1)]
    if target:
        parts.append(target)
    return ".".join(parts) if parts else None


def record_import(imports: dict[str, str], module: ModuleInfo, node: ast.Import | ast.ImportFrom) -> None:
    """Add the names bound by an import statement to ``imports`` (local name -> fully qualified name)."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname is not None:
                imports[alias.asname] = alias.name
            else:
                top = alias.name.partition(".")[0]
                imports[top] = top
        return
    base = resolve_relative(module, node.level, node.module) if node.level else node.module
    if base is None:
        return
    for alias in node.names:
        if alias.name != "*":
            imports[alias.asname or alias.name] = f"{base}.{alias.name}"


def dotted(expr: ast.expr) -> str | None:
    """``a.b.c`` as a string, or ``None`` if ``expr`` is not a plain dotted name."""
    parts: list[str] = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return None
    parts.append(expr.id)
    return ".".join(reversed(parts))


def resolve_global(module: ModuleInfo, imports: dict[str, str], expr: ast.expr) -> str | None:
    """Resolve a dotted name through the imports and top-level definitions of ``module`` (no local scope)."""
    name = dotted(expr)
    if name is None:
        return None
    head, dot, rest = name.partition(".")
    if head in imports:
        base = imports[head]
    elif head in module.definitions:
        base = f"{module.name}.{head}"
    elif head in _BUILTINS:
        base = f"builtins.{head}"
    else:
        return None
    return canonical(f"{base}{dot}{rest}")


_BUILTINS = frozenset({"open", "input", "BaseException", "Exception", "print", "exec"})


def annotation_type(module: ModuleInfo, imports: dict[str, str], annotation: ast.expr | None) -> str | None:
    """The type named by an annotation (``Session``, ``"Session"``, ``Session | None``, ``Optional[Session]``)."""
    if annotation is None:
        return None
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return None
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        for side in (annotation.left, annotation.right):
            if not (isinstance(side, ast.Constant) and side.value is None):
                return annotation_type(module, imports, side)
        return None
    if isinstance(annotation, ast.Subscript):
        outer = dotted(annotation.value)
        if outer is not None and outer.rpartition(".")[2] in ("Optional", "Annotated"):
            inner = annotation.slice
            if isinstance(inner, ast.Tuple) and inner.elts:
                inner = inner.elts[0]
            return annotation_type(module, imports, inner)
        return None
    return resolve_global(module, imports, annotation)


def call_result_type(name: str | None, index: ProjectIndex) -> str | None:
    """What calling ``name`` returns, when the catalogue or the project says."""
    if name is None:
        return None
    known = RESULT_TYPES.get(name)
    if known is not None:
        return known
    resolved = index.resolve(name)
    if resolved is None:
        return None
    if resolved in index.classes:
        return resolved
    factory = index.var_types.get(resolved)
    if factory is not None:
        return FACTORY_RESULTS.get(factory)
    function = index.functions.get(resolved)
    return function.return_type if function is not None else None


def _has_timeout(call: ast.Call) -> bool:
    return any(
        keyword.arg is not None
        and "timeout" in keyword.arg
        and not (isinstance(keyword.value, ast.Constant) and keyword.value.value is None)
        for keyword in call.keywords
    )


def index_module(source: SourceFile, text: str, tree: ast.Module, index: ProjectIndex) -> ModuleInfo:
    """First pass over one module: imports, top-level definitions, classes, methods and module variables."""
    name = source.module
    if name in index.modules:  # two files with one module name (scripts in two directories): keep them apart
        name = next((alias for alias in source.aliases if alias not in index.modules), f"{name}@{source.display}")
    module = ModuleInfo(source, name, tree, text.splitlines())
    module.stats.lines = len(module.lines)
    index.modules.setdefault(module.name, module)
    for alias in source.aliases:
        index.modules.setdefault(alias, module)
    statements = list(_top_level(tree.body))
    for node in statements:
        if isinstance(node, ast.Import | ast.ImportFrom):
            record_import(module.imports, module, node)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            module.definitions.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if isinstance(target, ast.Name):
                    module.definitions.add(target.id)
    for node in statements:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            _register_function(module, index, node, f"{module.name}.{node.name}", node.name, None)
        elif isinstance(node, ast.ClassDef):
            _index_class(module, index, node, module.name, "")
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            _index_assignment(module, index, node, module.name)
    return module


def statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """Every statement of ``body``, also inside compound statements, but not inside nested functions/classes."""
    out: list[ast.stmt] = []
    pending = list(reversed(body))
    while pending:
        node = pending.pop()
        out.append(node)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, name, None)
            if children:
                for child in reversed(children):
                    if isinstance(child, ast.ExceptHandler | ast.match_case):
                        pending.extend(reversed(child.body))
                    else:
                        pending.append(child)
    return out


def _top_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """Statements executed at import time, looking into ``if``/``try``/``with`` blocks."""
    out: list[ast.stmt] = []
    for node in body:
        if isinstance(node, ast.If):
            out += _top_level(node.body) + _top_level(node.orelse)
        elif isinstance(node, ast.Try | ast.TryStar):
            out += _top_level(node.body) + _top_level(node.orelse) + _top_level(node.finalbody)
            for handler in node.handlers:
                out += _top_level(handler.body)
        elif isinstance(node, ast.With):
            out += _top_level(node.body)
        else:
            out.append(node)
    return out


def _register_function(
    module: ModuleInfo,
    index: ProjectIndex,
    node: FunctionNode,
    qualname: str,
    local_name: str,
    class_name: str | None,
) -> FunctionInfo:
    info = FunctionInfo(qualname, local_name, module, node, class_name, isinstance(node, ast.AsyncFunctionDef))
    info.return_type = annotation_type(module, module.imports, node.returns)
    for decorator in node.decorator_list:
        target = resolve_global(
            module, module.imports, decorator.func if isinstance(decorator, ast.Call) else decorator
        )
        if target is not None and target.rpartition(".")[2] in ("sync_to_async", "asyncify", "to_thread"):
            info.offloaded = True
    index.functions.setdefault(qualname, info)
    module.functions.append(info)
    return info


def _index_assignment(module: ModuleInfo, index: ProjectIndex, node: ast.Assign | ast.AnnAssign, owner: str) -> None:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    value = node.value
    type_name = annotation_type(module, module.imports, node.annotation) if isinstance(node, ast.AnnAssign) else None
    loop_bound = None
    if isinstance(value, ast.Call):
        target = resolve_global(module, module.imports, value.func)
        if target is not None:
            type_name = RESULT_TYPES.get(target) or type_name or target  # a constructor: resolved when used
            loop_bound = LOOP_BOUND.get(target)
            if loop_bound is None and target.endswith(".from_url") and "asyncio" in target:
                loop_bound = f"{target} (an async client)"
    for bound in targets:
        if isinstance(bound, ast.Name):
            qualname = f"{owner}.{bound.id}"
            index.variables.add(qualname)
            if type_name is not None:
                index.var_types[qualname] = type_name
            if isinstance(value, ast.Call) and _has_timeout(value):
                index.timed_variables.add(qualname)
            if loop_bound is not None and isinstance(value, ast.Call):
                module.loop_bound.append((qualname, value, loop_bound, qualname))
            elif isinstance(value, ast.Call):
                root = _built_from_loop_bound(module, owner, value)
                if root is not None:
                    module.loop_bound.append((qualname, value, "", root))


def _built_from_loop_bound(module: ModuleInfo, owner: str, call: ast.Call) -> str | None:
    """The loop-bound module object passed to ``call`` (``async_sessionmaker(engine)``), if any."""
    roots = {name: root for name, _, _, root in module.loop_bound}
    for arg in (*call.args, *(keyword.value for keyword in call.keywords)):
        if isinstance(arg, ast.Name):
            root = roots.get(f"{owner}.{arg.id}") or roots.get(f"{module.name}.{arg.id}")
            if root is not None:
                return root
    return None


def _index_class(module: ModuleInfo, index: ProjectIndex, node: ast.ClassDef, prefix: str, local: str) -> None:
    qualname = f"{prefix}.{node.name}"
    local_name = f"{local}{node.name}"
    info = ClassInfo(qualname, node, module)
    for base in node.bases:
        resolved = resolve_global(module, module.imports, base)
        if resolved is not None:
            info.bases.append(resolved)
    index.classes.setdefault(qualname, info)
    for statement in node.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            _register_function(
                module, index, statement, f"{qualname}.{statement.name}", f"{local_name}.{statement.name}", qualname
            )
            _self_attributes(module, index, info, statement)
        elif isinstance(statement, ast.ClassDef):
            _index_class(module, index, statement, qualname, f"{local_name}.")
        elif isinstance(statement, ast.Assign | ast.AnnAssign):
            _index_assignment(module, index, statement, qualname)
            for target in statement.targets if isinstance(statement, ast.Assign) else [statement.target]:
                if isinstance(target, ast.Name) and f"{qualname}.{target.id}" in index.var_types:
                    info.attr_types[target.id] = index.var_types[f"{qualname}.{target.id}"]


def _self_attributes(module: ModuleInfo, index: ProjectIndex, info: ClassInfo, method: FunctionNode) -> None:
    """Record ``self.x = Client(...)`` and ``self.x: Client`` assignments of a method as attribute types."""
    if not method.args.args:
        return
    self_name = method.args.args[0].arg
    for statement in statements(method.body) if method.name == "__init__" else method.body:
        if isinstance(statement, ast.Assign | ast.AnnAssign):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            for target in targets:
                if (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == self_name
                ):
                    type_name = None
                    if isinstance(statement, ast.AnnAssign):
                        type_name = annotation_type(module, module.imports, statement.annotation)
                    if isinstance(statement.value, ast.Call):
                        called = resolve_global(module, module.imports, statement.value.func)
                        if called is not None:
                            type_name = RESULT_TYPES.get(called) or type_name or called
                        if _has_timeout(statement.value):
                            info.timed_attrs.add(target.attr)
                    elif isinstance(statement.value, ast.Name):
                        for arg in (*method.args.args, *method.args.kwonlyargs):
                            if arg.arg == statement.value.id:
                                type_name = type_name or annotation_type(module, module.imports, arg.annotation)
                    if type_name is not None:
                        info.attr_types.setdefault(target.attr, type_name)


has_timeout_keyword = _has_timeout
