"""A note for asyncio's "attached to a different loop" errors: which object is at fault and what to do.

asyncio says only that a future (or a lock, a queue) belongs to another loop. Through a portal that nearly always
means an object made outside the portal's loop: in the calling thread (an awaitable that binds a loop when it
is made, as ``asyncpg.create_pool(dsn)`` does) or on another loop (``asyncio.run`` elsewhere).
"""

from __future__ import annotations

import asyncio
import inspect
import os
import types
from collections.abc import Callable

__all__ = (
    "OTHER_LOOP",
    "drop_portal_note",
    "mentions_other_loop",
    "note_foreign_loop",
    "note_object_of_another_loop",
)

_PREFIX = "dualio: "
# What asyncio says when an object of one loop is used on another (the last: a ValueError of asyncio.wrap_future).
OTHER_LOOP = ("attached to a different loop", "is bound to a different event loop", "belongs to a different loop")


def mentions_other_loop(error: BaseException) -> bool:
    """Whether ``error``, or an exception it was raised from or while handling, is asyncio's complaint about
    another loop: aiocache's redis client used after ``asyncio.run()`` raises "Event loop is closed" while
    handling "... attached to a different loop"."""
    seen = 0
    current: BaseException | None = error
    while current is not None and seen < 5:
        if any(words in str(current) for words in OTHER_LOOP):
            return True
        current = current.__cause__ or current.__context__
        seen += 1
    return False


def note_foreign_loop(error: BaseException, portal_name: str, awaitable: object | None = None) -> None:
    """Add the note to ``error`` if it is asyncio's complaint about another loop (once; nothing otherwise).
    For ``Portal.run``; a twin's call adds its own note (``twin._runtime``).

    ``awaitable``: what ``run()`` was given if it was an awaitable object made before the call, not a coroutine.
    """
    if not isinstance(error, Exception) or not mentions_other_loop(error):
        return
    if any(note.startswith(_PREFIX) for note in getattr(error, "__notes__", ())):
        return
    if awaitable is not None:
        error.add_note(
            f"{_PREFIX}run() was given {type(awaitable).__qualname__} {awaitable!r:.80}, made before the "
            f"call, outside the loop of portal {portal_name!r}; if it binds a loop when it is made "
            "(asyncpg.create_pool(dsn) builds its pool at once), make it inside a coroutine, on "
            "the portal: async def make(): return await asyncpg.create_pool(dsn), then pool = dualio.run(make())"
        )
        return
    error.add_note(
        f"{_PREFIX}an object this call used belongs to another event loop than the one of portal {portal_name!r} "
        "(made by asyncio.run() or another portal, or in this thread outside any loop). An object that binds a "
        "loop (a pool, a connection, a lock, a future) must be made and used on one loop: make it on the "
        "portal (dualio.run(make()), or a dualio.twin class, whose objects stay on their portal)"
    )


def note_object_of_another_loop(
    error: BaseException,
    loop: asyncio.AbstractEventLoop,
    portal_name: str,
    owner_of: Callable[[asyncio.AbstractEventLoop], str | None],
) -> None:
    """Name the object of another loop that a failed call used, when the library's error does not say so.

    asyncpg's pool of one portal, used by a call on another, fails with "cannot perform operation: another
    operation is in progress": nothing about loops. The frames the error passed through are looked at
    (only now, on the failure path): the first whose ``self`` keeps a ``_loop`` (an instance attribute or slot,
    read without running any code of it) that another live portal runs (``owner_of``) is named, with that portal.
    A loop no portal runs is no evidence: gql's transports keep the ``asyncio.get_event_loop()`` of the thread
    that made them and never use it (the note blamed a server's refusal on it). Nothing is added if
    a dualio note is there already, or no such object is found.
    """
    if any(note.startswith(_PREFIX) for note in getattr(error, "__notes__", ())):
        return
    traceback, depth = error.__traceback__, 0
    while traceback is not None and depth < _MAX_FRAMES:
        frame = traceback.tb_frame
        holder = None if frame.f_code.co_filename.startswith(_DUALIO_DIR) else frame.f_locals.get("self")
        other = _loop_of(holder) if holder is not None else None
        owner = owner_of(other) if other is not None and other is not loop else None
        if owner is not None:  # another loop no portal runs proves nothing: gql keeps a `_loop` it never uses
            error.add_note(
                f"{_PREFIX}{type(holder).__qualname__} (in {frame.f_code.co_qualname}) belongs to the loop of portal "
                f"{owner!r}, but this call ran on the loop of portal {portal_name!r}, which may be the cause: an "
                f"object that binds a loop works only on it; run the calls that use it on portal {owner!r} "
                "(portal.run(...); twins made under dualio.twin.use_portal(portal))"
            )
            return
        traceback, depth = traceback.tb_next, depth + 1


_MAX_FRAMES = 200
_DUALIO_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _loop_of(holder: object) -> asyncio.AbstractEventLoop | None:
    """``holder._loop`` if it is an event loop, read without calling a property or ``__getattr__`` of it."""
    try:
        value = inspect.getattr_static(holder, "_loop", None)
        if isinstance(value, types.MemberDescriptorType):  # a slot (asyncpg's Connection)
            value = value.__get__(holder, type(holder))
    except Exception:  # an unset slot, an object whose type lookup fails: nothing to say
        return None
    return value if isinstance(value, asyncio.AbstractEventLoop) else None


def drop_portal_note(error: BaseException) -> None:
    """Remove the note :func:`note_foreign_loop` added, for a caller that adds a more specific one (a twin)."""
    notes = getattr(error, "__notes__", None)
    if notes:
        notes[:] = [note for note in notes if not note.startswith(_PREFIX)]
