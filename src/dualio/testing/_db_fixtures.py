"""Fixtures for ``dualio.db`` tests: ``face`` runs one test body on the sync face and on the async face.

This module imports only pytest at load time, so the plugin loads where ``dualio[db]`` is not installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import pytest

if TYPE_CHECKING:
    from ._faces import Face


@pytest.fixture(params=["sync", "async"])
def face(request: pytest.FixtureRequest) -> Face:
    """Run the test once on the sync face of ``dualio.db`` and once on the async face (see ``dualio.testing``)."""
    from ._faces import Face

    name: Literal["sync", "async"] = request.param
    return Face(name)
