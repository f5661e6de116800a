"""Names of a module imported on first use (PEP 562), so that importing the module stays light."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_names(
    module: str, targets: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``module``, giving each name of ``targets`` on first use.

    A target is the module that defines the name, or ``"module:name"`` where
    the names differ. A name, once imported, is kept in the module.
    """
    namespace = sys.modules[module].__dict__

    def get(name: str) -> Any:
        target = targets.get(name)
        if target is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        where, _, attribute = target.partition(":")
        value = getattr(importlib.import_module(where), attribute or name)
        namespace[name] = value
        return value

    def listing() -> list[str]:
        return sorted(set(namespace) | set(targets))

    return get, listing
