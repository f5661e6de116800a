"""Optional dependencies: which ``pip install 'superad-geo[EXTRA]'`` brings each."""

from __future__ import annotations

import importlib
from types import ModuleType

from superad_geo.errors import DependencyError

#: Optional module → the extra that installs it.
EXTRAS = {"h5py": "hdf5", "matplotlib": "plots", "distributed": "distributed"}


def require(module: str, purpose: str) -> ModuleType:
    """Import an optional ``module``, or say which extra installs it.

    Raises
    ------
    DependencyError
        ``"<purpose> needs <module>: pip install 'superad-geo[<extra>]'"``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise DependencyError(
            f"{purpose} needs {module}: pip install 'superad-geo[{EXTRAS[module]}]'"
        ) from exc


def available(module: str) -> bool:
    """True when the optional ``module`` can be imported."""
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True
