"""``send_ping = functools.partialmethod(send, "ping")`` in an async class, read by the generator.

The twin gets a method ``send_ping`` whose signature is ``send``'s with the arguments the ``partialmethod``
binds taken out, as ``inspect.signature`` shows it: each positional argument removes the next parameter after
``self``; a keyword argument makes its parameter keyword-only with that value as its default (a caller may still
pass it), and so every positional-or-keyword parameter after it (which could no longer be passed by position).
The twin's method calls the async class's ``send_ping``, so the partial's own arguments are applied by the
partial itself, on the loop. A call this module cannot read exactly (``*args`` or ``**kwargs`` in it, more
positional arguments than ``send`` has parameters, a keyword naming no parameter of ``send``) keeps only
``self`` and takes ``*args: Any, **kwargs: Any``: the result is still typed as ``send``'s.

A plain ``fetch_home = functools.partial(fetch, "/")`` in a class body is no descriptor: an instance reads it
unbound, so it is a static method of both twins, with ``fetch``'s signature less the bound arguments.
"""

from __future__ import annotations

import ast
import copy

__all__ = ("partial_target", "partially_applied", "partially_applied_static", "taking_anything")


def partial_target(value: ast.expr | None) -> tuple[ast.expr, ast.Call, bool] | None:
    """``partialmethod(send, ...)`` or ``partial(send, ...)`` (under any import spelling): the function it wraps,
    the call, and whether it is a ``partialmethod`` (a method) rather than a ``partial`` (static); else None."""
    if not isinstance(value, ast.Call) or not value.args:
        return None
    kind = ast.unparse(value.func).rpartition(".")[2]
    if kind not in {"partialmethod", "partial"}:
        return None
    return value.args[0], value, kind == "partialmethod"


def partially_applied_static(
    node: ast.FunctionDef | ast.AsyncFunctionDef, call: ast.Call
) -> ast.FunctionDef | ast.AsyncFunctionDef:
    """A ``@staticmethod`` copy of ``node`` with the signature the ``partial`` ``call`` leaves."""
    with_self = copy.deepcopy(node)
    with_self.args.posonlyargs.insert(0, ast.arg("_bound_to"))  # what partially_applied keeps as `self`
    applied = partially_applied(with_self, call)
    del (applied.args.posonlyargs or applied.args.args)[0]
    applied.decorator_list = [ast.Name("staticmethod", ast.Load())]
    return applied


def partially_applied(
    node: ast.FunctionDef | ast.AsyncFunctionDef, call: ast.Call
) -> ast.FunctionDef | ast.AsyncFunctionDef:
    """A copy of ``node`` with the signature the ``partialmethod`` ``call`` leaves (see the module's docstring)."""
    bound = call.args[1:]
    keywords = {keyword.arg: keyword.value for keyword in call.keywords}
    if not _exact(node.args, bound, keywords):
        return taking_anything(node)
    applied = copy.deepcopy(node)
    args = applied.args
    positional = args.posonlyargs + args.args
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    posonly = {id(arg) for arg in args.posonlyargs}
    kept = list(zip(positional, defaults, strict=True))
    kept = kept[:1] + kept[1 + len(bound) :]  # self stays; the next len(bound) parameters are bound
    cut = next((i for i, (arg, _d) in enumerate(kept) if arg.arg in keywords), len(kept))
    still_positional, now_keyword = kept[:cut], kept[cut:]
    args.posonlyargs = [arg for arg, _d in still_positional if id(arg) in posonly]
    args.args = [arg for arg, _d in still_positional if id(arg) not in posonly]
    args.defaults = [default for _arg, default in still_positional if default is not None]
    if now_keyword:
        args.vararg = None  # a keyword-only parameter now ends the positional ones: inspect drops *args too
    kwonly = now_keyword + list(zip(args.kwonlyargs, args.kw_defaults, strict=True))
    args.kwonlyargs = [arg for arg, _d in kwonly]
    args.kw_defaults = [keywords.get(arg.arg, default) for arg, default in kwonly]
    return applied


def taking_anything(node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.FunctionDef | ast.AsyncFunctionDef:
    """A copy of ``node`` that keeps its first parameter (``self``) and takes ``*args: Any, **kwargs: Any``."""
    loose = copy.deepcopy(node)
    args = loose.args
    any_type = ast.Attribute(ast.Name("_typing", ast.Load()), "Any", ast.Load())
    self_only = (args.posonlyargs + args.args)[:1]
    args.posonlyargs, args.args, args.defaults, args.kwonlyargs, args.kw_defaults = [], self_only, [], [], []
    args.vararg, args.kwarg = ast.arg("args", any_type), ast.arg("kwargs", copy.deepcopy(any_type))
    return loose


def _exact(args: ast.arguments, bound: list[ast.expr], keywords: dict[str | None, ast.expr]) -> bool:
    """Whether the signature left by binding ``bound`` and ``keywords`` can be written exactly."""
    positional = args.posonlyargs + args.args
    if not positional or len(bound) > len(positional) - 1 or None in keywords:
        return False  # no self, more arguments than parameters (*args takes them), or **kwargs in the call
    if any(isinstance(arg, ast.Starred) for arg in bound):
        return False
    by_keyword = {arg.arg for arg in positional[1 + len(bound) :] if arg not in args.posonlyargs}
    by_keyword |= {arg.arg for arg in args.kwonlyargs}
    return all(name in by_keyword for name in keywords)
