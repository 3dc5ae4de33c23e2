"""Review 19 (Celery, gunicorn, Jupyter, Streamlit, piccolo, ormar): what it found, fixed and kept fixed."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

import dualio
from dualio import twin
from dualio.twin import use_portal


class _QuerySet:
    """What ormar's metaclass property ``Model.objects`` gives: an object with async methods."""

    def __init__(self, model: type[Any]) -> None:
        self.model = model

    async def count(self) -> int:
        return len(self.model.rows)


class _ModelMeta(type):
    @property
    def objects(cls) -> _QuerySet:
        return _QuerySet(cls)

    def table_name(cls) -> str:
        return cls.__name__.lower()


class _Model(metaclass=_ModelMeta):
    rows: ClassVar[list[str]] = ["a", "b"]

    async def save(self) -> None:
        type(self).rows.append("c")


def test_a_public_member_of_the_async_class_metaclass_is_read_on_the_twin_class(portal: dualio.Portal) -> None:
    Model = twin.sync_class(_Model)
    with use_portal(portal):
        objects = Model.objects
        assert twin.portal_of(objects) is portal  # a class-level result's twin: on the portal in use
    assert isinstance(twin.unwrap(objects), _QuerySet)
    assert objects.count() == 2
    assert Model.table_name() == "_model"
    assert "objects" in dir(Model)
    with pytest.raises(AttributeError, match="type object '_SyncModel' has no attribute 'nothing'"):
        Model.nothing  # noqa: B018
    with pytest.raises(AttributeError):  # as on the async side: an instance does not see its metaclass's members
        Model().objects  # noqa: B018
