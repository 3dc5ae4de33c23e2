"""Review 25 (type checkers, Python 3.12/3.13 asyncio features, long-lived processes): fixes kept fixed."""

from __future__ import annotations

import asyncio
from typing import Any, Generic, TypeVar

import pytest

from dualio import twin

T = TypeVar("T")


class AsyncPool(Generic[T]):
    def __init__(self, items: list[T]) -> None:
        self.items = items

    async def get(self) -> T:
        await asyncio.sleep(0)
        return self.items[0]


class AsyncPlain:
    async def get(self) -> int:
        return 1


def test_the_run_time_twin_of_a_generic_class_takes_its_type_arguments() -> None:
    """``AsyncPool[str](...)`` works, so ``Pool[str](...)`` must (review 25b: "is not a generic class")."""
    pool_cls: Any = twin.sync_class(AsyncPool)
    pool = pool_cls[str](["a"])
    assert pool.get() == "a"
    assert type(pool) is pool_cls
    assert repr(pool_cls[int]).endswith("Pool[int]")
    assert not hasattr(twin.unwrap(pool), "__orig_class__")  # not passed on to the async object
    with pytest.raises(TypeError, match=r"takes 1 type argument\(s\), as AsyncPool does; got 2"):
        pool_cls[str, int]
    with pytest.raises(TypeError, match="is not a generic class"):
        twin.sync_class(AsyncPlain)[int]
    pool.close()
