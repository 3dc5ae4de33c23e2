"""Test support for code built on dualio: a pytest plugin and helpers (install ``dualio[testing]``).

The plugin is registered through the ``pytest11`` entry point as ``dualio``; it is made of one module per concern,
listed in :mod:`dualio.testing.plugin`.
"""

__all__ = ()
