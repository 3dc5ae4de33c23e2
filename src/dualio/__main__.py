"""``python -m dualio``: the same as the ``dualio`` console script."""

from ._cli import main

raise SystemExit(main())
