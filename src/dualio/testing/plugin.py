"""The ``dualio`` pytest plugin: pytest loads it through the ``pytest11`` entry point.

Each concern is a private module of its own, listed in ``pytest_plugins`` below (pytest loads each as a plugin).
"""

pytest_plugins: list[str] = [
    "dualio.testing._postgres",
    "dualio.testing._db_fixtures",
]
