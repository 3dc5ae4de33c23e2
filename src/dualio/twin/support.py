"""The functions that generated twin modules call (``dualio twin generate`` writes the calls; do not call by hand).

Each is documented in the private ``_runtime`` module it comes from. This module is public so that generated
code does not import a private module; its names are stable across minor versions of dualio.
"""

from dualio._future import PortalFuture

from ._attributes import Attribute, attribute_like
from ._containers import passed_each, returned_each
from ._deprecation import member_undeprecated as undeprecated
from ._dynamic import map_unread_members, through_instance
from ._dynamic import register_generated as register
from ._given import UNSTATED, given, stated
from ._registry import register_elsewhere
from ._runtime import (
    Twin,
    call,
    call_class,
    call_sync,
    close,
    construct,
    enter,
    enter_self,
    exit,
    get_attribute,
    iterate,
    iterate_self,
    next_item,
    set_attribute,
)

__all__ = (
    "UNSTATED",
    "Attribute",
    "PortalFuture",
    "Twin",
    "attribute_like",
    "call",
    "call_class",
    "call_sync",
    "close",
    "construct",
    "enter",
    "enter_self",
    "exit",
    "get_attribute",
    "given",
    "iterate",
    "iterate_self",
    "map_unread_members",
    "next_item",
    "passed_each",
    "register",
    "register_elsewhere",
    "returned_each",
    "set_attribute",
    "stated",
    "through_instance",
    "undeprecated",
)
