"""Reading async modules for the generator: their source as AST, their top-level names and imports.

Nothing is imported or run to learn a class's shape (only the parent packages of the module are imported to
find its file). How annotations are rewritten for the sync side is ``_annotations``.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ._errors import GenerateError

__all__ = ("Source", "Target", "returns_self_only")

_TYPE_ALIAS: tuple[type, ...] = (ast.TypeAlias,) if hasattr(ast, "TypeAlias") else ()  # Python >= 3.12


@dataclass(frozen=True)
class Target:
    """One async class (``module:Class``) and the file its twin is written to."""

    module: str
    cls: str
    output: Path

    @classmethod
    def parse(cls, spec: object, output: object, root: Path) -> Target:
        if not isinstance(spec, str) or spec.count(":") != 1 or not all(spec.split(":")):
            raise GenerateError(
                f"[tool.dualio.twin]: a key must be 'package.module:AsyncClass', got {spec!r}; "
                'for example "mylib.aio:AsyncClient" = "src/mylib/client.py"'
            )
        if not isinstance(output, str) or not output.endswith(".py"):
            raise GenerateError(f"[tool.dualio.twin]: {spec!r} must map to a .py file path, got {output!r}")
        module, name = spec.split(":")
        return cls(module, name, root / output)


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

    @classmethod
    def load(cls, module: str) -> Source:
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError) as exc:
            raise GenerateError(f"cannot find module {module!r}: {exc}") from exc
        if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
            raise GenerateError(f"cannot find the Python source of module {module!r} (is it installed?)")
        path = Path(spec.origin)
        try:
            tree = ast.parse(path.read_text(), spec.origin)
        except SyntaxError as exc:
            raise GenerateError(
                f"cannot parse module {module!r} ({exc.msg}, {spec.origin} line {exc.lineno}); if it uses syntax of "
                f"a newer Python than this one ({sys.version.split()[0]}), run the generator with that Python"
            ) from exc
        source = cls(module, tree, path)
        package = module if spec.submodule_search_locations else module.rpartition(".")[0]
        source._index(source.tree.body, package, type_only=False)
        return source

    def _index(self, body: list[ast.stmt], package: str, *, type_only: bool) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                self.classes[node.name] = node
                self.defined.add(node.name)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.defined.add(node.name)
            elif isinstance(node, ast.Assign):
                self.defined.update(t.id for t in node.targets if isinstance(t, ast.Name))
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                self.defined.add(node.target.id)
            elif isinstance(node, _TYPE_ALIAS):
                self.defined.add(node.name.id)  # type: ignore[attr-defined]
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    bound = alias.asname or alias.name.partition(".")[0]
                    statement = f"import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
                    self.imports[bound] = (statement, type_only)
                    self.origins[bound] = alias.name if alias.asname else bound
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    anchor = ".".join(parts[: len(parts) - node.level + 1])
                    base = f"{anchor}.{base}" if base else anchor
                for alias in node.names:
                    bound = alias.asname or alias.name
                    as_part = f" as {alias.asname}" if alias.asname else ""
                    self.imports[bound] = (f"from {base} import {alias.name}{as_part}", type_only)
                    self.origins[bound] = f"{base}.{alias.name}"
            elif isinstance(node, ast.If) and _is_type_checking(node.test):
                self._index(node.body, package, type_only=True)

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

    def statement_for(self, name: str, where: str) -> tuple[str, bool]:
        """The import that makes ``name`` available in the generated module, and whether it is type-only."""
        if name in self.imports:
            return self.imports[name]
        if name in self.defined:
            return f"from {self.module} import {name}", False
        raise GenerateError(
            f"{where} uses the name {name!r}, which module {self.module} neither defines nor imports at its top "
            "level; the generated twin could not import it"
        )


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def returns_self_only(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether the body of ``node`` (a method) is only ``return self`` (after an optional docstring).

    Such an ``__aenter__`` runs nothing that needs the loop, so a twin's ``__enter__`` skips the round trip.
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
