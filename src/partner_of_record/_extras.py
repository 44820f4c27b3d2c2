"""Optional dependencies: import one, or say which extra of this package installs it.

The runtime dependencies are attrs, cattrs, python-dateutil and numpy; pandas, pyarrow, polars,
matplotlib and pyspark are extras, imported inside the functions that need them. ``require`` is
the one place that turns a missing one into an ``ImportError`` whose message names the extra,
in one form the command line recognises (it prints a message holding ``pip install`` as one
line and exits 2).
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["require"]


def require(module: str, extra: str, what: str) -> ModuleType:
    """Import an optional module, or raise an ``ImportError`` naming the extra to install.

    Args:
        module: the dotted module name (``"pyarrow.parquet"``).
        extra: the extra of this package that installs it (``"arrow"``).
        what: what needs it, to begin the message (``"Parquet"``, ``"Credits.to_pandas"``).

    Returns:
        The module.

    Raises:
        ImportError: the module cannot be imported; the message is ``"{what} needs {package}:
            pip install {package} (the [{extra}] extra)"``, ``package`` being the top-level
            name of ``module``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        package = module.partition(".")[0]
        msg = f"{what} needs {package}: pip install {package} (the [{extra}] extra)"
        raise ImportError(msg) from exc
