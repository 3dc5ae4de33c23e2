"""The constructor a generated twin writes for a class that does not write one: a dataclass's, or object's.

Read from the class's source alone, as the generator reads everything: a ``@dataclass`` gets the ``__init__``
its fields give (defaults, ``field(default=...)``, ``init=False``, ``kw_only`` on the decorator or the field,
the ``KW_ONLY`` marker, ``InitVar``), and a plain class with no base and no decorator gets ``__init__(self)``.
Where the source alone cannot say, ``written_init`` returns None and the twin takes ``*args, **kwargs``: a base
other than ``object``/``Generic``/``ABC`` (its fields or ``__init__`` count too), a ``default_factory`` (a
signature cannot show it), ``@dataclass(init=False)``, or any other class decorator.
"""

from __future__ import annotations

import ast

__all__ = ("annotation_kind", "dataclass_writes_init", "is_frozen_dataclass", "written_init")

_PLAIN_BASES = {"Generic", "typing.Generic", "object", "ABC", "abc.ABC"}
_DATACLASS = {"dataclass", "dataclasses.dataclass"}
_FIELD = {"field", "dataclasses.field"}
_UNSHOWN = object()  # a default the twin's signature cannot write (default_factory)


def written_init(node: ast.ClassDef) -> ast.FunctionDef | None:
    """The ``__init__`` that ``node`` gets without writing one, as a function node, or None (see the docstring)."""
    if any(ast.unparse(base).partition("[")[0] not in _PLAIN_BASES for base in node.bases):
        return None
    arguments = ast.arguments(posonlyargs=[], args=[ast.arg("self")], kwonlyargs=[], kw_defaults=[], defaults=[])
    options = _dataclass_options(node)
    if options is None:
        return None if node.decorator_list else _function(arguments)
    if not dataclass_writes_init(node):
        return None
    kw_only = _is_true(options.get("kw_only"))
    for statement in node.body:
        if not isinstance(statement, ast.AnnAssign) or not isinstance(statement.target, ast.Name):
            continue
        kind = annotation_kind(statement.annotation)
        if kind == "ClassVar":
            continue
        if kind == "KW_ONLY":
            kw_only = True
            continue
        annotation = statement.annotation
        if kind == "InitVar" and isinstance(annotation, ast.Subscript):
            annotation = annotation.slice
        default, field_kw_only, in_init = _field(statement.value)
        if default is _UNSHOWN:
            return None
        if not in_init:
            continue
        parameter = ast.arg(statement.target.id, annotation)
        if field_kw_only if field_kw_only is not None else kw_only:
            arguments.kwonlyargs.append(parameter)
            arguments.kw_defaults.append(default if isinstance(default, ast.expr) else None)
        elif isinstance(default, ast.expr):
            arguments.args.append(parameter)
            arguments.defaults.append(default)
        elif arguments.defaults:
            return None  # a required field after one with a default: the dataclass itself fails
        else:
            arguments.args.append(parameter)
    return _function(arguments)


def dataclass_writes_init(node: ast.ClassDef) -> bool:
    """Whether ``node`` is a dataclass that writes its ``__init__`` (over any a base has)."""
    options = _dataclass_options(node)
    return options is not None and not _is_false(options.get("init"))


def is_frozen_dataclass(node: ast.ClassDef) -> bool:
    """Whether ``node`` is a ``@dataclass(frozen=True)``: its fields cannot be set."""
    options = _dataclass_options(node)
    return options is not None and _is_true(options.get("frozen"))


def annotation_kind(annotation: ast.expr) -> str:
    """The last name of an annotation's head: ``InitVar`` for ``dataclasses.InitVar[int]`` or ``"InitVar[int]"``."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        text = annotation.value
    else:
        text = ast.unparse(annotation)
    return text.partition("[")[0].rpartition(".")[2].strip()


def _dataclass_options(node: ast.ClassDef) -> dict[str | None, ast.expr] | None:
    """The keywords of the ``@dataclass(...)`` decorator (none if it is not called), or None if there is none."""
    for decorator in node.decorator_list:
        called = decorator.func if isinstance(decorator, ast.Call) else decorator
        if ast.unparse(called) in _DATACLASS:
            keywords = decorator.keywords if isinstance(decorator, ast.Call) else []
            return {keyword.arg: keyword.value for keyword in keywords}
    return None


def _field(value: ast.expr | None) -> tuple[object, bool | None, bool]:
    """A field's default (None: required), its own ``kw_only`` (None: the class's), whether ``__init__`` takes it."""
    if not (isinstance(value, ast.Call) and ast.unparse(value.func) in _FIELD):
        return value, None, True
    options = {keyword.arg: keyword.value for keyword in value.keywords}
    if _is_false(options.get("init")):
        return None, None, False
    if value.args or None in options or "default_factory" in options or "init" in options:
        return _UNSHOWN, None, True
    kw_only = options.get("kw_only")
    return options.get("default"), None if kw_only is None else _is_true(kw_only), True


def _is_true(value: ast.expr | None) -> bool:
    return isinstance(value, ast.Constant) and value.value is True


def _is_false(value: ast.expr | None) -> bool:
    return isinstance(value, ast.Constant) and value.value is False


def _function(arguments: ast.arguments) -> ast.FunctionDef:
    return ast.FunctionDef(name="__init__", args=arguments, body=[ast.Pass()], decorator_list=[], returns=None)
