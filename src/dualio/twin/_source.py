"""Reading async modules for the generator: their source as AST, their top-level names and imports.

Nothing is imported or run to learn a class's shape (only the parent packages of the module are imported to
find its file). How annotations are rewritten for the sync side is ``_annotations``.
"""

from __future__ import annotations

import ast
import importlib.machinery
import importlib.util
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.machinery import ModuleSpec
from pathlib import Path

from ._branches import read_decided_branches
from ._errors import GenerateError

__all__ = ("Source", "Target", "in_blocks", "literal_all", "returns_self_only", "skips_the_loop", "twin_name")

_TYPE_ALIAS: tuple[type, ...] = (ast.TypeAlias,) if hasattr(ast, "TypeAlias") else ()  # Python >= 3.12


def twin_name(async_name: str) -> str:
    """``AsyncSession`` -> ``Session``; a name without the ``Async`` prefix gets ``Sync`` in front, its first
    letter capitalized (websockets' ``connect`` class -> ``SyncConnect``). Leading underscores stay in front, so a
    private class's twin is private too: ``_AsyncPool`` -> ``_Pool``, ``_Pool`` -> ``_SyncPool``."""
    name = async_name.lstrip("_")
    private = async_name[: len(async_name) - len(name)]
    if name.startswith("Async") and len(name) > 5 and name[5].isupper():
        return private + name[5:]
    return private + "Sync" + name[:1].upper() + name[1:]


@dataclass(frozen=True)
class Target:
    """One async class (``module:Class``) and the file its twin is written to."""

    module: str
    cls: str
    output: Path
    name: str | None = None  # the twin class's name, if the configuration chose one

    @property
    def key(self) -> tuple[str, str]:
        """``(module, class)``: the async class, whatever file its twin goes to."""
        return self.module, self.cls

    @property
    def twin(self) -> str:
        """The twin class's name: the one chosen, else ``AsyncSession`` -> ``Session`` (``twin_name``)."""
        return self.name or twin_name(self.cls)

    @classmethod
    def parse(cls, spec: object, value: object, root: Path) -> Target:
        """A ``[tool.dualio.twin]`` entry: ``"mod:AsyncX" = "out.py"`` or ``{ output = "out.py", name = "X" }``."""
        if not isinstance(spec, str) or spec.count(":") != 1 or not all(spec.split(":")):
            raise GenerateError(
                f"[tool.dualio.twin]: a key must be 'package.module:AsyncClass', got {spec!r}; "
                'for example "mylib.aio:AsyncClient" = "src/mylib/client.py"'
            )
        output, name = (value.get("output"), value.get("name")) if isinstance(value, dict) else (value, None)
        if isinstance(value, dict) and set(value) - {"output", "name"}:
            unknown = ", ".join(sorted(map(str, set(value) - {"output", "name"})))
            raise GenerateError(f"[tool.dualio.twin]: {spec!r} has unknown option(s) {unknown}; known: output, name")
        if not isinstance(output, str) or not output.endswith(".py"):
            raise GenerateError(
                f"[tool.dualio.twin]: {spec!r} must map to a .py file path, or to a table "
                f'{{ output = "path.py", name = "TwinName" }}, got {value!r}'
            )
        if name is not None and not (isinstance(name, str) and name.isidentifier() and not name.startswith("_")):
            raise GenerateError(
                f"[tool.dualio.twin]: {spec!r}: name must be a public Python identifier (the twin class's name), "
                f"got {name!r}"
            )
        module, async_name = spec.split(":")
        if "." in async_name:
            outer, _, inner = async_name.rpartition(".")
            raise GenerateError(
                f"[tool.dualio.twin]: {spec!r} names a nested class ({inner} inside {outer}); only classes defined at "
                "a module's top level can be listed. Its objects still work through the twins that return them: one "
                f"with async members comes back as a twin built at run time, typed Any (its class sync_class({outer}."
                f"{inner})); one without (a data class) comes back as it is, typed as written: {outer}.{inner}, which "
                f"the twin of {outer} names too"
            )
        return cls(module, async_name, root / output, name)


@dataclass
class Source:
    """A parsed async module: its top-level definitions and imports by the name they bind."""

    module: str
    tree: ast.Module
    path: Path  # the file it was read from
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    defined: set[str] = field(default_factory=set)
    imports: dict[str, tuple[str, bool]] = field(default_factory=dict)  # name -> (import statement, type-only)
    origins: dict[str, str] = field(default_factory=dict)  # name bound by an import -> the dotted name it binds
    conditional: set[str] = field(default_factory=set)  # names the blocks of a top-level if/try bind in different ways
    stars: list[str] = field(default_factory=list)  # modules imported with `from ... import *`, in order
    # Imports in class bodies (ormar's `if TYPE_CHECKING: from ormar.models import ModelRow` inside a class), by the
    # name they bind: what an annotation of the class's methods may name, as type checkers read it.
    class_imports: dict[str, tuple[str, bool]] = field(default_factory=dict)

    @property
    def is_stub(self) -> bool:
        """Read from a stub (``.pyi``) of a compiled module: a name it defines may not exist at run time, and its
        generic classes may take no type arguments there."""
        return self.path.suffix == ".pyi"

    @classmethod
    def load(cls, module: str) -> Source:
        """Parse ``module``'s file (``_python_source_of``) and index its names.

        A ``.py`` with a stub beside it that defines classes, none of which the ``.py`` defines, is read from the
        stub, as type checkers read it: maturin's mixed Rust/Python packages re-export their compiled classes in
        a ``.py`` (pyreqwest's ``client/__init__.py``, rnet's ``from .rnet import *``), or leave it empty (rnet's
        ``cookie.py``), and describe them in the ``.pyi`` beside it. A module a package makes another's alias at
        run time (in ``sys.modules``, or by an import hook) is read, and imported in generated code, as the module
        it is (``urllib3`` for niquests' ``niquests.packages.urllib3``), which type checkers can follow.
        """
        try:
            spec = _find_spec(module)
        except (ImportError, ValueError) as exc:
            raise GenerateError(f"cannot find module {module!r}: {exc}") from exc
        origin = _python_source_of(spec.origin) if spec is not None else None
        if origin is None:
            raise GenerateError(_no_source(module, spec.origin if spec is not None else None))
        module = _own_name(module, spec)
        package = module if spec is not None and spec.submodule_search_locations else module.rpartition(".")[0]
        source = cls._read(module, Path(origin), package)
        stub = source.path.with_suffix(".pyi")
        if source.path.suffix == ".py" and stub.is_file():
            described = cls._read(module, stub, package)
            if described.classes and not described.classes.keys() & source.classes.keys():
                return described
        return source

    @classmethod
    def _read(cls, module: str, path: Path, package: str) -> Source:
        try:
            tree = read_decided_branches(ast.parse(path.read_text(), str(path)))
        except SyntaxError as exc:
            raise GenerateError(
                f"cannot parse module {module!r} ({exc.msg}, {path} line {exc.lineno}); if it uses syntax of "
                f"a newer Python than this one ({sys.version.split()[0]}), run the generator with that Python"
            ) from exc
        source = cls(module, tree, path)
        source._index(source.tree.body, package, type_only=False)
        return source

    def _index(self, body: list[ast.stmt], package: str, *, type_only: bool) -> None:
        """Record the names ``body`` binds; a later statement's binding of a name replaces an earlier one's.

        The blocks of a top-level ``if`` or ``try`` count as top level: see ``_index_branches`` for which of
        their bindings a name keeps; so does the body of a top-level ``with``, which runs whole.
        """
        for node in body:
            if isinstance(node, ast.If):
                self._index_branches(_if_branches(node, type_only), package)
            elif isinstance(node, (ast.Try, ast.TryStar)):
                alternatives = [(node.body + node.orelse, type_only), *((h.body, type_only) for h in node.handlers)]
                self._index_branches(alternatives, package)
                self._index(node.finalbody, package, type_only=type_only)
            elif isinstance(node, ast.With):  # its body always runs (aiohttp-client-cache's `CachedSession` is
                self._index(node.body, package, type_only=type_only)  # defined under `warnings.catch_warnings()`)
            else:
                self._index_statement(node, package, type_only=type_only)

    def _index_statement(self, node: ast.stmt, package: str, *, type_only: bool) -> None:
        if isinstance(node, ast.ClassDef):
            self.classes[node.name] = node
            self._define(node.name)
            self._index_class_imports(node, package)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self._define(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self._define(target.id)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            self._define(node.target.id)
        elif isinstance(node, _TYPE_ALIAS):
            self._define(node.name.id)  # type: ignore[attr-defined]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.partition(".")[0]
                statement = f"import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
                self._import(bound, (statement, type_only), alias.name if alias.asname else bound)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            if node.names[0].name == "*":
                self.stars.append(base)
                return
            for alias in node.names:
                bound = alias.asname or alias.name
                as_part = f" as {alias.asname}" if alias.asname else ""
                self._import(bound, (f"from {base} import {alias.name}{as_part}", type_only), f"{base}.{alias.name}")

    def _index_class_imports(self, node: ast.ClassDef, package: str) -> None:
        """Record the imports of the class body ``node`` (and of its ``if`` blocks) in ``class_imports``, each
        type-only: the generated module imports them for type checking, as the names of annotations."""
        table = Source(self.module, self.tree, self.path)
        for statement in in_blocks(node.body):
            if isinstance(statement, (ast.Import, ast.ImportFrom)):
                table._index_statement(statement, package, type_only=True)
        for name, (written, _type_only) in table.imports.items():
            self.class_imports.setdefault(name, (written, True))

    def _index_branches(self, branches: list[tuple[list[ast.stmt], bool]], package: str) -> None:
        """Record the names bound in the alternative blocks of one ``if``/``elif``/``else`` or ``try``/``except``.

        ``branches`` are (block, type-only) in source order (a ``try`` block with its ``else``, then each handler).
        A name keeps the binding a type checker reads: that of a block only a type checker runs (under
        ``TYPE_CHECKING``), else that of the first block binding it (``if sys.version_info >= (3, 11)``, ``try``).
        A name the blocks bind in different ways is also ``conditional``: which binding exists at run time
        depends on the block that ran.
        """
        tables = []
        for block, type_only in sorted(branches, key=lambda branch: not branch[1]):  # stable: type-only first
            table = Source(self.module, self.tree, self.path)
            table._index(block, package, type_only=type_only)
            tables.append(table)
        for table in reversed(tables):  # the first block's binding is recorded last, so it stays
            self._adopt(table)
        for name in set().union(*(table.defined | table.imports.keys() for table in tables)):
            if len({table._binding(name) for table in tables if table.binds(name)}) > 1:
                self.conditional.add(name)

    def _adopt(self, table: Source) -> None:
        """Record the bindings of ``table`` (one block's names), replacing those recorded before."""
        self.classes.update(table.classes)
        for name in table.defined:
            self._define(name)
        for name, imported in table.imports.items():
            self._import(name, imported, table.origins[name])
        self.conditional.update(table.conditional)
        self.stars.extend(table.stars)

    def _define(self, name: str) -> None:
        self.defined.add(name)
        self.imports.pop(name, None)
        self.origins.pop(name, None)
        self.conditional.discard(name)

    def _import(self, name: str, imported: tuple[str, bool], origin: str) -> None:
        self.defined.discard(name)
        self.imports[name] = imported
        self.origins[name] = origin
        self.conditional.discard(name)

    def _binding(self, name: str) -> str | None:
        """How ``name`` is bound: its import statement, or ``None`` for a definition."""
        return self.imports[name][0] if name in self.imports else None

    def binds(self, name: str) -> bool:
        """Whether the module binds ``name`` at its top level (a definition or an import)."""
        return name in self.defined or name in self.imports

    def exports(self, name: str) -> bool:
        """Whether ``from <this module> import *`` binds ``name``: listed in ``__all__`` (a literal list or tuple
        of strings), or, without one, a public name the module binds itself.
        """
        listed = literal_all(self.tree)
        return name in listed if listed is not None else not name.startswith("_") and self.binds(name)

    def qualified_name(self, expression: ast.expr, *, type_only: bool = False) -> str | None:
        """The dotted name an imported class is written as (``Base``, ``module.Base``) stands for.

        ``None`` for a name this module defines or does not import, and for any other expression; also for a
        name imported for type checking only, unless ``type_only`` (an annotation may name it; a base may not).
        """
        if not isinstance(expression, (ast.Name, ast.Attribute)):
            return None
        head, _, rest = ast.unparse(expression).partition(".")
        origin = self.origins.get(head)
        if origin is None or head in self.defined or (self.imports[head][1] and not type_only):
            return None
        return f"{origin}.{rest}" if rest else origin

    def statement_for(self, name: str, where: str, *, runtime: bool = False) -> tuple[str, bool]:
        """The import that makes ``name`` available in the generated module, and whether it is type-only.

        ``runtime``: the generated module runs the import (a default value uses the name), so a ``conditional``
        name is a ``GenerateError``: no one import is sure to give what the module's own blocks bound.
        """
        if runtime and name in self.conditional:
            raise GenerateError(
                f"{where} uses the name {name!r}, which module {self.module} binds in different ways in the "
                f"blocks of a top-level if/try, so no one import in the generated twin is sure to give the object "
                f"the module has at run time; after the block, bind it once (`DEFAULT_{name.upper()} = {name}`) "
                "and use that name in the default"
            )
        if name in self.imports:
            return self.imports[name]
        if name in self.defined:
            return f"from {self.module} import {name}", False
        if name in self.class_imports and not runtime:
            return self.class_imports[name]
        raise GenerateError(
            f"{where} uses the name {name!r}, which module {self.module} neither defines nor imports at its top "
            "level (nor in a top-level if/try block, nor in a class body); the generated twin could not import it"
        )


_BLOCKS = (ast.If, ast.Try, ast.TryStar, ast.With, ast.AsyncWith, ast.For, ast.AsyncFor, ast.While)


def in_blocks(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements of ``body`` and, in their place, those of its blocks (``_BLOCKS``), in source order."""
    for statement in body:
        if isinstance(statement, _BLOCKS):
            handlers = [line for handler in getattr(statement, "handlers", []) for line in handler.body]
            after = getattr(statement, "orelse", []) + getattr(statement, "finalbody", [])
            yield from in_blocks(statement.body + handlers + after)
        else:
            yield statement


def canonical_module(module: str) -> str:
    """``module``, or the module it is if a package makes it (or a package it is in) another's alias at run time
    (niquests' ``niquests.packages.urllib3`` is ``urllib3``, by an import hook, so its ``...urllib3.contrib`` is
    ``urllib3.contrib``): the name type checkers can follow."""
    parts = module.split(".")
    for depth in range(len(parts), 0, -1):
        prefix = ".".join(parts[:depth])
        try:
            own = _own_name(prefix, _find_spec(prefix))
        except (ImportError, ValueError):
            return module
        if own != prefix:
            return ".".join([own, *parts[depth:]])
    return module


def _own_name(module: str, spec: ModuleSpec | None) -> str:
    """The name of the module ``spec`` describes, where it differs from ``module``, the name it was found by; not
    for the standard library, whose aliases (``os.path``, ``posixpath`` on this platform) type checkers know."""
    if spec is None or spec.name == module or module.partition(".")[0] in sys.stdlib_module_names:
        return module
    return spec.name


def _find_spec(module: str) -> ModuleSpec | None:
    """Where ``module`` is, found without importing it or its parent packages where ``sys.path`` tells.

    Each package on the way is looked for on ``sys.path`` (then in its parent's directories) by the path finder,
    or taken from ``sys.modules`` if already imported. A package that only another finder knows (an editable
    install's, a zip importer's), and a namespace package inside a package (anthropic's ``lib``), fall back to
    ``importlib.util.find_spec``, which imports the parents, running their ``__init__``.
    """
    parts = module.split(".")
    search: list[str] | None = None
    spec: ModuleSpec | None = None
    for depth in range(1, len(parts) + 1):
        name = ".".join(parts[:depth])
        loaded = sys.modules.get(name)
        spec = getattr(loaded, "__spec__", None) if loaded is not None else None
        if spec is None:
            try:
                spec = importlib.machinery.PathFinder.find_spec(name, search)
            except KeyError:  # a namespace package (no __init__.py) in a package not imported: it looks there
                return importlib.util.find_spec(module)
        if spec is None or (depth < len(parts) and spec.submodule_search_locations is None):
            return importlib.util.find_spec(module)
        search = list(spec.submodule_search_locations or [])
    return spec


def literal_all(tree: ast.Module) -> set[str] | None:
    """The names a top-level ``__all__ = [...]`` (or a tuple) lists, ``None`` when the module has no such one."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            value = node.value
            if isinstance(value, (ast.List, ast.Tuple)):
                names = [element.value for element in value.elts if isinstance(element, ast.Constant)]
                return {name for name in names if isinstance(name, str)}
    return None


def _if_branches(node: ast.If, type_only: bool) -> list[tuple[list[ast.stmt], bool]]:
    """The two blocks of ``node`` (an ``elif`` is an ``if`` in the second), each with whether only a type checker
    runs it: ``if TYPE_CHECKING:`` and ``if TYPE_CHECKING and ...:`` blocks, and the ``else`` of ``if not
    TYPE_CHECKING:``.
    """
    test = node.test
    negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and _is_type_checking(test.operand)
    checking = _is_type_checking(test) or (
        isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) and any(map(_is_type_checking, test.values))
    )
    return [(node.body, type_only or checking), (node.orelse, type_only or negated)]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def skips_the_loop(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether a twin's ``__enter__`` may give the twin without running ``node``, an ``__aenter__``: its body is
    only ``return self``, and no decorator wraps it (a wrapper may log, lock or connect)."""
    return not node.decorator_list and returns_self_only(node)


def returns_self_only(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether the body of ``node`` (a method) is only ``return self`` (after an optional docstring).

    Such an ``__aenter__`` runs nothing that needs the loop, so a twin's ``__enter__`` skips the round trip
    (unless it is decorated: see :func:`skips_the_loop`).
    """
    body = node.body[1:] if ast.get_docstring(node) is not None else node.body
    arguments = [*node.args.posonlyargs, *node.args.args]
    return (
        len(body) == 1
        and isinstance(body[0], ast.Return)
        and isinstance(body[0].value, ast.Name)
        and bool(arguments)
        and body[0].value.id == arguments[0].arg
    )


def _no_source(module: str, origin: str | None) -> str:
    """Why module ``module``, whose spec's origin is ``origin``, cannot be read."""
    if origin is None or not Path(origin).is_file():  # not found, a namespace package, built in or frozen
        return f"cannot find the Python source of module {module!r} (is it installed?)"
    return (
        f"module {module!r} is compiled ({origin}) and has no Python source or stub (.pyi) to read beside it; "
        "list a class that a `class` statement in Python source or a stub defines, or twin it at run time with "
        "dualio.twin.sync_class()"
    )


def _python_source_of(origin: str | None) -> str | None:
    """The file a module is read from: its ``.py`` origin; for a compiled module, the source shipped beside it
    (SQLAlchemy compiles ``_result_cy.py`` with Cython and installs both), else the stub beside it (asyncmy ships
    ``connection.pyi`` beside ``connection.cpython-311-x86_64-linux-gnu.so``), or the stub package of its name
    (maturin installs psqlpy's ``_internal/__init__.pyi`` beside ``_internal.cpython-311-x86_64-linux-gnu.so``, as
    type checkers read it); None if there is none of them."""
    if origin is None:
        return None
    if origin.endswith(".py"):
        return origin
    stem, dot, _suffix = Path(origin).name.partition(".")
    if not dot:
        return None
    for name in (stem + ".py", stem + ".pyi", f"{stem}/__init__.pyi"):
        beside = Path(origin).parent / name
        if beside.is_file():
            return str(beside)
    return None
