"""Choice of the torch device."""

from __future__ import annotations

import torch

from superad_geo.errors import DeviceError

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(name: str = "auto") -> torch.device:
    """Return the torch device for ``name`` ("auto", "cpu", "cuda" or "cuda:N").

    Raises
    ------
    DeviceError
        If CUDA is asked for on a machine without it.
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise DeviceError(
            f"device {name!r} was requested but CUDA is not available on this machine; "
            "use --device cpu or auto"
        )
    if name != "cpu" and not name.startswith("cuda"):
        raise DeviceError(f"unknown device {name!r}; choose one of {', '.join(DEVICES)}")
    return torch.device(name)
