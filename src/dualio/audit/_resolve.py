"""Name and type resolution inside one function body: what a name or a call denotes, what type a value has.

Names resolve through the function's own imports, nested definitions and local variables first, then the
module's imports and definitions, then the project index (re-exports, inheritance). Types come from
constructors and factories in the catalogue, annotations, ``self`` attributes set in ``__init__``, module
variables, and the return annotations of the project's functions. Results for attribute chains and calls are
memoised per node (a long method chain would otherwise be resolved an exponential number of times).
"""

from __future__ import annotations

import ast

from ._catalog import DEEP_CLIENTS
from ._model import _BUILTINS, FunctionInfo, ModuleInfo, ProjectIndex, call_result_type, canonical


class Resolver:
    """The resolution state of one function body (or of a module's top level when ``function`` is ``None``)."""

    def __init__(
        self,
        index: ProjectIndex,
        module: ModuleInfo,
        function: FunctionInfo | None,
        types: dict[str, str] | None = None,
        timed: set[str] | None = None,
        imports: dict[str, str] | None = None,
        defs: dict[str, str] | None = None,
    ) -> None:
        self.index = index
        self.module = module
        self.function = function
        self.class_name = function.class_name if function is not None else None
        self.types: dict[str, str] = dict(types or {})
        self.timed: set[str] = set(timed or ())
        self.imports = imports if imports is not None else module.imports
        self.defs: dict[str, str] = dict(defs or {})
        self.locals: set[str] = set()
        self.self_name: str | None = None
        self._resolved: dict[int, str | None] = {}
        self._typed: dict[int, str | None] = {}

    def resolve_name(self, name: str) -> str | None:
        if name in self.defs:
            return self.defs[name]
        if name in self.imports:
            return canonical(self.imports[name])
        if name in self.locals:
            return None
        if name in self.module.definitions:
            return f"{self.module.name}.{name}"
        if name in _BUILTINS:
            return f"builtins.{name}"
        return None

    def resolve_expr(self, expr: ast.expr) -> str | None:
        """The fully qualified name ``expr`` denotes (memoised per node: chains would be re-resolved otherwise)."""
        if isinstance(expr, ast.Name):
            return self._resolve_expr(expr)
        key = id(expr)
        if key in self._resolved:
            return self._resolved[key]
        result = self._resolve_expr(expr)
        self._resolved[key] = result
        return result

    def _resolve_expr(self, expr: ast.expr) -> str | None:
        if isinstance(expr, ast.Name):
            if expr.id == self.self_name and self.class_name is not None:
                return self.class_name
            return self.resolve_name(expr.id)
        if isinstance(expr, ast.Attribute):
            owner_type = self.type_of(expr.value)
            if owner_type is not None:
                return canonical(f"{owner_type}.{expr.attr}")
            value = expr.value
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "super":
                return self._super_member(expr.attr)
            if isinstance(value, ast.Name | ast.Attribute):
                base = self.resolve_expr(value)
                if base is not None:
                    return canonical(f"{base}.{expr.attr}")
        return None

    def _super_member(self, attr: str) -> str | None:
        info = self.index.classes.get(self.class_name or "")
        if info is None:
            return None
        for base in info.bases:
            resolved = self.index.resolve(f"{base}.{attr}")
            if resolved is not None:
                return resolved
        return None

    def _normalise(self, type_name: str | None) -> str | None:
        if type_name is None:
            return None
        return call_result_type(type_name, self.index) or type_name

    def type_of(self, expr: ast.expr) -> str | None:
        """The inferred type of ``expr`` (a catalogue type or a project class), or ``None``."""
        if isinstance(expr, ast.Name):  # names change type as they are rebound: never memoised
            return self._type_of(expr)
        key = id(expr)
        if key in self._typed:
            return self._typed[key]
        result = self._type_of(expr)
        self._typed[key] = result
        return result

    def _type_of(self, expr: ast.expr) -> str | None:
        if isinstance(expr, ast.Name):
            name = expr.id
            if name == self.self_name and self.class_name is not None:
                return self.class_name
            known = self.types.get(name)
            if known is not None:
                return known
            if name in self.locals or name in self.defs:
                return None
            if name in self.module.definitions and name not in self.imports:
                qualname = f"{self.module.name}.{name}"
                return self._normalise(self.index.var_types.get(qualname))
            imported = self.imports.get(name)
            if imported is not None:
                resolved = self.index.resolve(imported)
                if resolved is not None:
                    return self._normalise(self.index.var_types.get(resolved))
            return None
        if isinstance(expr, ast.Attribute):
            owner = self.type_of(expr.value)
            if owner is not None:
                if owner in DEEP_CLIENTS:
                    return owner
                if owner in self.index.classes:
                    attr_type, _ = self.index.attribute_type(owner, expr.attr)
                    return self._normalise(attr_type)
                return None
            if expr.attr == "objects" and isinstance(expr.value, ast.Name) and expr.value.id[:1].isupper():
                return "django.QuerySet"  # a Django model's manager: `Note.objects`
            if isinstance(expr.value, ast.Name) and expr.value.id in self.imports:
                resolved = self.index.resolve(f"{canonical(self.imports[expr.value.id])}.{expr.attr}")
                if resolved is not None:
                    return self._normalise(self.index.var_types.get(resolved))
            return None
        if isinstance(expr, ast.Call):
            func = expr.func
            if isinstance(func, ast.Attribute):
                owner = self.type_of(func.value)
                if owner in DEEP_CLIENTS or owner == "django.QuerySet":
                    return owner
            return call_result_type(self.resolve_expr(func), self.index)
        if isinstance(expr, ast.Await):
            return self.type_of(expr.value)
        if isinstance(expr, ast.Subscript):
            owner = self.type_of(expr.value)
            return owner if owner in DEEP_CLIENTS else None
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Div):
            left = self.type_of(expr.left)
            if left in ("pathlib.Path", "pathlib.PurePath"):
                return left
        return None

    def _is_timed(self, expr: ast.expr) -> bool:
        """Whether the client ``expr`` was built with a timeout (``httpx.AsyncClient(timeout=5)``)."""
        if isinstance(expr, ast.Name):
            if expr.id in self.timed:
                return True
            if expr.id in self.locals:
                return False
            target = self.resolve_name(expr.id)
            return target is not None and (self.index.resolve(target) or target) in self.index.timed_variables
        if isinstance(expr, ast.Attribute):
            if self.type_of(expr) in DEEP_CLIENTS:  # client.chat.completions: the client's own timeout
                root = expr.value
                while isinstance(root, ast.Attribute):
                    root = root.value
                return self._is_timed(root)
            owner = self.type_of(expr.value)
            if owner is not None and owner in self.index.classes:
                return self.index.attribute_type(owner, expr.attr)[1]
        return False
