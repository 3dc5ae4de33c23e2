"""dualio.twin: write a class async-first, get a sync twin of it whose async object stays on one loop.

At run time::

    from dualio.twin import sync_class

    Session = sync_class(aiohttp.ClientSession)     # a class; twins of what it returns are made as needed
    with Session() as http:                         # the ClientSession is created and closed on the portal loop
        with http.get(url) as response:             # one connection pool, reused by every call
            print(response.text())

Typed, as source: list the async classes under ``[tool.dualio.twin]`` in ``pyproject.toml`` and run
``dualio twin generate`` (``--check`` in CI). See docs/twin.md for what maps to what, timeouts and loop affinity.
"""

from ._control import (
    awaited,
    get_timeout,
    is_closed,
    portal_of,
    set_timeout,
    timeout,
    twin_of,
    unwrap,
    use_portal,
)
from ._deferred import Deferred, defer
from ._dynamic import sync_class
from ._errors import GenerateError, GenerateNote, TwinClosedError
from ._runtime import Twin

__all__ = (
    "Deferred",
    "GenerateError",
    "GenerateNote",
    "Twin",
    "TwinClosedError",
    "awaited",
    "defer",
    "get_timeout",
    "is_closed",
    "portal_of",
    "set_timeout",
    "sync_class",
    "timeout",
    "twin_of",
    "unwrap",
    "use_portal",
)

for _cls in (Deferred, GenerateError, GenerateNote, Twin, TwinClosedError):
    _cls.__module__ = __name__
del _cls
