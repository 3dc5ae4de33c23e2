"""Whether a class with no async member of its own hands out objects that sync code gets as twins.

Playwright's ``FrameLocator`` has only plain defs, annotated ``-> "Locator"``; its ``ConsoleMessage.page`` is a
property ``-> Optional["Page"]``; grpc.aio's ``UnaryUnaryMultiCallable.__call__`` returns a call object. Such an
object, of a twinned package, came back raw, so what it handed out was the async object (a coroutine from
``frame_locator(...).locator(...).text_content()``). Read from the return annotations of the class's
public plain defs, ``__call__``, properties and cached properties, evaluated in their module's namespace as
``typing.get_type_hints`` does (an annotation that does not evaluate is skipped); once per class, by the registry.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Iterator

__all__ = ("returned_classes",)


def returned_classes(cls: type) -> Iterator[type]:
    """The classes named in the return annotations of ``cls``'s public members (and its ``__call__``), nearest
    base first; generic aliases give their origin and their arguments (``list[Locator]``: ``list``, ``Locator``)."""
    for klass in cls.__mro__:
        if klass is object:
            continue
        for name, member in vars(klass).items():
            if name.startswith("_") and name != "__call__":
                continue
            if isinstance(member, property):
                function: object = member.fget
            elif isinstance(member, functools.cached_property):
                function = member.func
            else:
                function = member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
            if not isinstance(function, types.FunctionType):
                continue
            annotation = function.__annotations__.get("return")
            if annotation is not None:
                yield from _classes_in(annotation, function.__globals__, 0)


def _classes_in(annotation: object, namespace: dict[str, object], depth: int) -> Iterator[type]:
    if depth > 4:  # Optional[list[dict[str, X]]] is deep enough; a self-referring alias is not followed
        return
    if isinstance(annotation, typing.ForwardRef):
        annotation = annotation.__forward_arg__
    if isinstance(annotation, str):
        try:
            annotation = eval(annotation, namespace)  # what typing.get_type_hints does with it
        except Exception:  # a name imported only under TYPE_CHECKING, a syntax of a newer Python: unknown
            return
    origin = typing.get_origin(annotation)
    if origin is None:
        if isinstance(annotation, type):
            yield annotation
        return
    if isinstance(origin, type):
        yield origin
    for argument in typing.get_args(annotation):
        yield from _classes_in(argument, namespace, depth + 1)
