"""Second pass: walk every function body, resolve calls and types, and apply the rules local to one function.

Rules that need the whole project (DIO101/102, DIO201/202 through the call graph, DIO501 across modules) are
decided in ``_callgraph.py`` from what this walk records: each function's call sites with their resolved
targets, and the global names it reads. Rules DIO301, DIO401, DIO601 and DIO602 are decided here.

Scope rules the walk follows: the body of a nested ``def`` or ``lambda`` is not executed by the enclosing
function (a nested ``def`` is walked as a function of its own); comprehensions are; names resolve through the
function's own imports, nested definitions and local variables first, then the module's imports and
definitions.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any, ClassVar

from ._catalog import (
    EXTERNAL_FUNCTIONS,
    EXTERNAL_METHODS,
    LOOP_BOUND,
    LOOP_CALLBACKS,
    TASK_STARTERS,
    TIMEOUT_SCOPES,
    TIMEOUT_WRAPPERS,
)
from ._locate import display, make_finding
from ._model import (
    CallSite,
    FunctionInfo,
    ModuleInfo,
    ProjectIndex,
    annotation_type,
    dotted,
    has_timeout_keyword,
    record_import,
)
from ._resolve import Resolver
from ._syntax import finally_escape, forwards, has_await, has_raise, walk_body

_CANCEL_TYPES = frozenset(
    {
        "builtins.BaseException",
        "asyncio.CancelledError",
        "asyncio.exceptions.CancelledError",
        "concurrent.futures.CancelledError",
        "trio.Cancelled",
    }
)
_SUPPRESS = frozenset({"contextlib.suppress"})
_TASK_METHODS = frozenset({"create_task", "ensure_future", "start_soon", "start"})
_SHUTDOWN_CALLS = {
    "atexit.register": "atexit.register",
    "signal.signal": "signal.signal",
    "asyncio.AbstractEventLoop.add_signal_handler": "loop.add_signal_handler",
}


class FunctionWalker(Resolver):
    """Walks one function body (or a module's top level when ``function`` is ``None``)."""

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
        super().__init__(index, module, function, types, timed, imports, defs)
        self.is_async = function is not None and function.is_async
        self.own_imports = False
        self.loaded: set[str] = set()
        self.declared_global: set[str] = set()
        self.timeout_depth = 0
        self.pending_tasks: list[tuple[str, ast.Call, str]] = []
        self.cancel_handlers: list[tuple[ast.AST, str, list[ast.stmt]]] = []
        self.cancelled: set[str] = set()
        self.stats = module.stats

    # ----------------------------------------------------------------------------------------------- entry
    def walk_function(self) -> None:
        function = self.function
        assert function is not None
        node = function.node
        args = node.args
        all_args = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        if args.vararg is not None:
            all_args.append(args.vararg)
        if args.kwarg is not None:
            all_args.append(args.kwarg)
        for arg in all_args:
            self.locals.add(arg.arg)
            self.types.pop(arg.arg, None)
            type_name = annotation_type(self.module, self.imports, arg.annotation)
            if type_name is not None:
                self.types[arg.arg] = type_name
        positional = [*args.posonlyargs, *args.args]
        if function.class_name is not None and positional:
            decorators = {dotted(d) for d in node.decorator_list}
            if "staticmethod" not in decorators:
                self.self_name = positional[0].arg
        if function.is_async:
            self.stats.async_functions += 1
        else:
            self.stats.sync_functions += 1
        for statement in node.body:
            self.visit(statement)
        self._finish()

    def walk_module(self) -> None:
        for statement in self.module.tree.body:
            self.visit(statement)
        self._finish()

    # ----------------------------------------------------------------------------------------------- walk
    def visit(self, node: ast.AST) -> None:
        kind = type(node)
        method = self._dispatch.get(kind)
        if method is not None:
            method(self, node)
            return
        if kind in _LEAVES:
            return
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        self.visit(item)
            elif isinstance(value, ast.AST):
                self.visit(value)

    def _visit_all(self, nodes: list[ast.stmt]) -> None:
        for node in nodes:
            self.visit(node)

    def _visit_def(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        for default in (*node.args.defaults, *node.args.kw_defaults):
            if default is not None:
                self.visit(default)
        if self.function is None:
            self._check_loop_bound_defaults(node)
            self._note_shutdown_def(node)
            return
        parent = self.function
        info = FunctionInfo(
            f"{parent.qualname}.{node.name}",
            f"{parent.local_name}.{node.name}",
            self.module,
            node,
            None,
            isinstance(node, ast.AsyncFunctionDef),
        )
        info.return_type = annotation_type(self.module, self.imports, node.returns)
        self.index.functions.setdefault(info.qualname, info)
        self.module.functions.append(info)
        self.defs[node.name] = info.qualname
        self.locals.add(node.name)
        child = FunctionWalker(self.index, self.module, info, self.types, self.timed, self.imports, self.defs)
        if self.self_name is not None:
            child.class_name = self.class_name
            child.self_name = self.self_name
        child.walk_function()
        self.loaded |= child.loaded

    def _visit_class(self, node: ast.ClassDef) -> None:
        for expr in (*node.bases, *node.decorator_list):
            self.visit(expr)
        if self.function is None:
            for statement in node.body:
                if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                    self._visit_def(statement)
                elif not isinstance(statement, ast.ClassDef):
                    self.visit(statement)
                else:
                    self._visit_class(statement)
            return
        # A class defined inside a function: its methods are functions of their own.
        qualname = f"{self.function.qualname}.{node.name}"
        self.locals.add(node.name)
        for statement in node.body:
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                info = FunctionInfo(
                    f"{qualname}.{statement.name}",
                    f"{self.function.local_name}.{node.name}.{statement.name}",
                    self.module,
                    statement,
                    qualname,
                    isinstance(statement, ast.AsyncFunctionDef),
                )
                self.index.functions.setdefault(info.qualname, info)
                self.module.functions.append(info)
                FunctionWalker(self.index, self.module, info, imports=self.imports).walk_function()

    def _visit_import(self, node: ast.Import | ast.ImportFrom) -> None:
        if self.function is None:
            return
        if not self.own_imports:
            self.imports = dict(self.imports)
            self.own_imports = True
        record_import(self.imports, self.module, node)
        for alias in node.names:
            self.locals.discard((alias.asname or alias.name).partition(".")[0])
            self.defs.pop(alias.asname or alias.name, None)

    def _bind(self, target: ast.expr, value: ast.expr | None, type_name: str | None = None) -> None:
        if isinstance(target, ast.Name):
            name = target.id
            if self.function is not None:
                self.locals.add(name)
                self.defs.pop(name, None)
            if type_name is None and value is not None:
                type_name = self.type_of(value)
            if type_name is not None:
                self.types[name] = type_name
            else:
                self.types.pop(name, None)
            if isinstance(value, ast.Call) and has_timeout_keyword(value):
                self.timed.add(name)
            else:
                self.timed.discard(name)
        elif isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self._bind(element, None)
        elif isinstance(target, ast.Starred):
            self._bind(target.value, None)
        else:
            self.visit(target)

    def _visit_assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self._bind(target, node.value)
        if (
            self.function is not None
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Call)
        ):
            starter = self._task_starter(node.value)
            if starter is not None:
                self.pending_tasks.append((node.targets[0].id, node.value, starter))

    def _visit_annassign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
        type_name = annotation_type(self.module, self.imports, node.annotation)
        if node.value is not None or type_name is not None:
            self._bind(node.target, node.value, type_name)

    def _visit_namedexpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self._bind(node.target, node.value)

    def _visit_for(self, node: ast.For | ast.AsyncFor) -> None:
        if isinstance(node, ast.AsyncFor):
            self.stats.awaits += 1
        self.visit(node.iter)
        self._bind(node.target, None)
        self._visit_all(node.body)
        self._visit_all(node.orelse)

    def _visit_with(self, node: ast.With | ast.AsyncWith) -> None:
        is_async = isinstance(node, ast.AsyncWith)
        scopes = 0
        for item in node.items:
            expr = item.context_expr
            if is_async:
                self.stats.awaits += 1
            if isinstance(expr, ast.Call):
                target = self.resolve_expr(expr.func)
                if target in TIMEOUT_SCOPES:
                    scopes += 1
                    self.stats.timeout_scopes += 1
                elif target in _SUPPRESS and self.is_async:
                    self._check_suppress(node, expr)
                if is_async:
                    self._check_external(expr, target)
            self.visit(expr)
            if item.optional_vars is not None:
                self._bind(item.optional_vars, expr)
        self.timeout_depth += scopes
        self._visit_all(node.body)
        self.timeout_depth -= scopes

    def _visit_try(self, node: ast.Try | ast.TryStar) -> None:
        self._visit_all(node.body)
        for handler in node.handlers:
            if self.is_async:
                caught = self._catches_cancellation(handler.type)
                if caught is not None:
                    self.stats.cancel_handlers += 1
                    if has_raise(handler.body) or forwards(handler):
                        self.stats.cancel_reraised += 1
                    elif has_await(node.body):
                        self.cancel_handlers.append((handler, caught, node.body))
            if handler.type is not None:
                self.visit(handler.type)
            if handler.name is not None:
                self.locals.add(handler.name)
            self._visit_all(handler.body)
        self._visit_all(node.orelse)
        if self.is_async:
            escape = finally_escape(node.finalbody)
            if escape is not None and has_await(node.body):
                self._report(
                    "DIO401",
                    escape,
                    f"`{type(escape).__name__.lower()}` in `finally` of async function `{self._name()}` discards "
                    "a pending CancelledError",
                )
        self._visit_all(node.finalbody)

    def _visit_expr_statement(self, node: ast.Expr) -> None:
        value = node.value
        if isinstance(value, ast.Call):
            starter = self._task_starter(value)
            if starter is None and isinstance(value.func, ast.Attribute) and value.func.attr == "add_done_callback":
                inner = value.func.value
                if isinstance(inner, ast.Call):
                    starter = self._task_starter(inner)
            if starter is not None:
                self._report(
                    "DIO301",
                    value,
                    f"the task from `{starter}` is not kept: the loop holds only a weak reference, so it can be "
                    "garbage-collected before it finishes",
                )
        self.visit(value)

    def _visit_await(self, node: ast.Await) -> None:
        self.stats.awaits += 1
        value = node.value
        if isinstance(value, ast.Call):
            self._check_external(value, self.resolve_expr(value.func))
        self.visit(value)

    def _visit_call(self, node: ast.Call) -> None:
        func = node.func
        target = self.resolve_expr(func)
        if target is None and isinstance(func, ast.Call):  # `factory(fn)(...)`: calling what a factory built
            factory = self.resolve_expr(func.func)
            if factory is not None:
                target = f"{factory}()"
        method = func.attr if isinstance(func, ast.Attribute) else None
        if self.function is not None:
            self.function.calls.append(CallSite(node, target, method))
            position = LOOP_CALLBACKS.get(method or "")
            if position is not None and len(node.args) > position:
                callback = node.args[position]
                if isinstance(callback, ast.Name | ast.Attribute):
                    scheduled = self.resolve_expr(callback)
                    if scheduled is not None:
                        self.function.calls.append(CallSite(node, scheduled, None, scheduled=True))
        if target in TASK_STARTERS or method in _TASK_METHODS:
            self.stats.tasks_started += 1
        if target is not None:
            self._note_call(node, target)
        if method == "cancel" and isinstance(func, ast.Attribute):
            receiver = dotted(func.value)
            if receiver is not None:
                self.cancelled.add(receiver)
        if target in TIMEOUT_WRAPPERS and node.args:
            first = node.args[0]
            self.timeout_depth += 1
            if isinstance(first, ast.Call):
                self._check_external(first, self.resolve_expr(first.func))
            self.visit(first)
            self.timeout_depth -= 1
            for arg in node.args[1:]:
                self.visit(arg)
            for keyword in node.keywords:
                self.visit(keyword.value)
            self.visit(func)
            return
        self.visit(func)
        for arg in node.args:
            self.visit(arg)
        for keyword in node.keywords:
            self.visit(keyword.value)

    def _visit_name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            name = node.id
            self.loaded.add(name)
            if (
                name in self.index.loop_bound_names
                and self.function is not None
                and name not in self.locals
                and name not in self.defs
            ):
                target = self.resolve_name(name)
                if target is not None:
                    self.function.refs.setdefault(target, node)

    def _visit_attribute(self, node: ast.Attribute) -> None:
        value = node.value
        if node.attr in self.index.loop_bound_names and self.function is not None and isinstance(value, ast.Name):
            if value.id == self.self_name and self.class_name is not None:
                self.function.refs.setdefault(f"{self.class_name}.{node.attr}", node)
            elif value.id in self.imports or value.id in self.module.definitions:
                target = self.resolve_expr(node)
                if target is not None:
                    self.function.refs.setdefault(target, node)
        self.visit(value)

    def _visit_global(self, node: ast.Global | ast.Nonlocal) -> None:
        self.declared_global.update(node.names)

    _dispatch: ClassVar[dict[type[ast.AST], Callable[[FunctionWalker, Any], None]]] = {}

    # ----------------------------------------------------------------------------------------------- rules
    def _name(self) -> str:
        return self.function.local_name if self.function is not None else "<module>"

    def _report(self, code: str, node: ast.AST, message: str) -> None:
        self.module.findings.append(make_finding(self.module, code, node, message))

    def _task_starter(self, call: ast.Call) -> str | None:
        """The display name of the task-starting function ``call`` makes, if it starts a loop task."""
        target = self.resolve_expr(call.func)
        if target in TASK_STARTERS:
            return display(target.replace("asyncio.AbstractEventLoop.", "loop."))
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in ("create_task", "ensure_future"):
            owner = self.type_of(func.value)
            if owner == "asyncio.AbstractEventLoop":
                return f"loop.{func.attr}"
            if owner is None:
                receiver = dotted(func.value)
                if receiver is not None and "loop" in receiver.rpartition(".")[2].lower():
                    return f"{receiver}.{func.attr}"
        return None

    def _catches_cancellation(self, type_expr: ast.expr | None) -> str | None:
        if type_expr is None:
            return "a bare `except:`"
        elements = type_expr.elts if isinstance(type_expr, ast.Tuple) else [type_expr]
        for element in elements:
            if isinstance(element, ast.Call):
                called = self.resolve_expr(element.func)
                if called is not None and called.endswith("get_cancelled_exc_class"):
                    return "`except get_cancelled_exc_class()`"
                continue
            target = self.resolve_expr(element)
            if target in _CANCEL_TYPES:
                return f"`except {display(target)}`"
            if target is None and isinstance(element, ast.Name) and element.id == "CancelledError":
                return "`except CancelledError`"
        return None

    def _check_suppress(self, node: ast.With | ast.AsyncWith, call: ast.Call) -> None:
        for arg in call.args:
            target = self.resolve_expr(arg)
            if target in _CANCEL_TYPES and has_await(node.body) and not self._awaits_cancelled_only(node.body):
                self._report(
                    "DIO401",
                    call,
                    f"`suppress({display(target)})` in async function `{self._name()}` swallows cancellation",
                )

    def _awaits_cancelled_only(self, body: list[ast.stmt]) -> bool:
        """Whether every await in ``body`` waits for a task this function cancelled (``t.cancel(); await t``)."""
        awaited = [node.value for node in walk_body(body) if isinstance(node, ast.Await)]
        if not awaited or any(isinstance(node, ast.AsyncFor | ast.AsyncWith) for node in walk_body(body)):
            return False
        for value in awaited:
            if isinstance(value, ast.Call) and self.resolve_expr(value.func) in TIMEOUT_WRAPPERS and value.args:
                value = value.args[0]
            name = dotted(value)
            if name is None or name not in self.cancelled:
                return False
        return True

    def _check_external(self, call: ast.Call, target: str | None) -> None:
        if target is None:
            return
        default_timeout = EXTERNAL_FUNCTIONS.get(target)
        receiver_timed = False
        if default_timeout is None:
            head, _, method = target.rpartition(".")
            spec = EXTERNAL_METHODS.get(head)
            if spec is None or not (method in spec[0] or ("*" in spec[0] and not method.startswith("_"))):
                return
            default_timeout = spec[1]
            if isinstance(call.func, ast.Attribute):
                receiver_timed = self._is_timed(call.func.value)
        self.stats.external_calls += 1
        explicit_none = any(
            k.arg == "timeout" and isinstance(k.value, ast.Constant) and k.value.value is None for k in call.keywords
        )
        in_scope = (
            self.timeout_depth > 0
            or has_timeout_keyword(call)
            or receiver_timed
            or (default_timeout and not explicit_none)
        )
        if in_scope:
            self.stats.external_with_timeout += 1
        elif self.is_async:
            self._report(
                "DIO601",
                call,
                f"awaited external call `{display(target)}` in `{self._name()}` has no timeout in scope",
            )

    def _note_call(self, node: ast.Call, target: str) -> None:
        if target == "asyncio.shield":
            self.stats.shields += 1
        elif target == "asyncio.gather" and any(
            isinstance(a, ast.Starred) and not isinstance(a.value, ast.List | ast.Tuple) for a in node.args
        ):
            self._report(
                "DIO602", node, "`asyncio.gather(*...)` over an iterable of unknown size starts every item at once"
            )
        hook = _SHUTDOWN_CALLS.get(target)
        if hook is None and target.endswith((".on_event", ".add_event_handler")) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and first.value in ("shutdown", "startup"):
                hook = f"{target.rpartition('.')[2]}({first.value!r})"
        if hook is None and any(keyword.arg == "lifespan" for keyword in node.keywords):
            hook = f"{display(target).rpartition('.')[2]}(lifespan=...)"
        if hook is None and isinstance(node.func, ast.Attribute) and node.func.attr == "add_signal_handler":
            hook = "loop.add_signal_handler"
        if hook is not None:
            self.stats.shutdown_hooks.append((node.lineno, hook))

    def _note_shutdown_def(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if node.name in ("__aexit__", "aclose", "shutdown", "lifespan", "on_shutdown") or (
            node.name.endswith("lifespan")
        ):
            self.stats.shutdown_hooks.append((node.lineno, f"def {node.name}"))

    def _check_loop_bound_defaults(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if not isinstance(node, ast.AsyncFunctionDef):
            return
        for default in (*node.args.defaults, *node.args.kw_defaults):
            if isinstance(default, ast.Call):
                target = self.resolve_expr(default.func)
                description = LOOP_BOUND.get(target or "")
                if description is not None:
                    self._report(
                        "DIO501",
                        default,
                        f"{description} created at import time as a default argument of async function "
                        f"`{node.name}`: it binds to the first event loop that uses it",
                    )

    def _reraised_later(self, handler: ast.AST) -> bool:
        """Whether the handler sets a flag (``cancelled = True``) that an ``if flag: raise`` of the function reads."""
        assert isinstance(handler, ast.ExceptHandler)
        flags = {
            target.id
            for node in walk_body(handler.body)
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and node.value.value is True
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        if not flags or self.function is None:
            return False
        for node in walk_body(self.function.node.body):
            if (
                isinstance(node, ast.If)
                and has_raise(node.body)
                and any(isinstance(name, ast.Name) and name.id in flags for name in ast.walk(node.test))
            ):
                return True
        return False

    def _finish(self) -> None:
        for name, call, starter in self.pending_tasks:
            if name not in self.loaded and name not in self.declared_global:
                self._report(
                    "DIO301",
                    call,
                    f"the task from `{starter}` is assigned to `{name}` and never used: it can be "
                    "garbage-collected before it finishes",
                )
        for handler, caught, body in self.cancel_handlers:
            if self._awaits_cancelled_only(body) or self._reraised_later(handler):
                continue
            self._report(
                "DIO401",
                handler,
                f"{caught} without re-raise in async function `{self._name()}` swallows cancellation",
            )


# Nodes with nothing to look at below them (a lambda's body is not executed by the enclosing function).
_LEAVES: frozenset[type[ast.AST]] = frozenset(
    {ast.Constant, ast.Lambda, ast.Pass, ast.Break, ast.Continue, ast.Load, ast.Store, ast.Del}
    | {cls for cls in vars(ast).values() if isinstance(cls, type) and issubclass(cls, ast.operator | ast.unaryop)}
    | {cls for cls in vars(ast).values() if isinstance(cls, type) and issubclass(cls, ast.cmpop | ast.boolop)}
)

FunctionWalker._dispatch = {
    ast.FunctionDef: FunctionWalker._visit_def,
    ast.AsyncFunctionDef: FunctionWalker._visit_def,
    ast.ClassDef: FunctionWalker._visit_class,
    ast.Import: FunctionWalker._visit_import,
    ast.ImportFrom: FunctionWalker._visit_import,
    ast.Assign: FunctionWalker._visit_assign,
    ast.AnnAssign: FunctionWalker._visit_annassign,
    ast.NamedExpr: FunctionWalker._visit_namedexpr,
    ast.For: FunctionWalker._visit_for,
    ast.AsyncFor: FunctionWalker._visit_for,
    ast.With: FunctionWalker._visit_with,
    ast.AsyncWith: FunctionWalker._visit_with,
    ast.Try: FunctionWalker._visit_try,
    ast.TryStar: FunctionWalker._visit_try,
    ast.Expr: FunctionWalker._visit_expr_statement,
    ast.Await: FunctionWalker._visit_await,
    ast.Call: FunctionWalker._visit_call,
    ast.Name: FunctionWalker._visit_name,
    ast.Attribute: FunctionWalker._visit_attribute,
    ast.Global: FunctionWalker._visit_global,
    ast.Nonlocal: FunctionWalker._visit_global,
}


def walk_module(index: ProjectIndex, module: ModuleInfo) -> None:
    """Walk the module's top level, then every function and method registered by the first pass."""
    FunctionWalker(index, module, None).walk_module()
    for function in list(module.functions):  # nested functions are added (and walked) by their parents
        FunctionWalker(index, module, function).walk_function()
