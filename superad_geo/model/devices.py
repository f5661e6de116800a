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
            "use device 'cpu' or 'auto'",
            option="device",
        )
    if name != "cpu" and not name.startswith("cuda"):
        raise DeviceError(f"unknown device {name!r}; choose one of {', '.join(DEVICES)}")
    return torch.device(name)


def automatic_batch_size(device: str, tile_pixels: int, bands: int) -> int:
    """Tiles to train side by side: 1 on the CPU, as many as fit half the free GPU memory.

    On the CPU batching does not pay (``docs/benchmarks.md``). On a GPU a tile
    needs about ``40·bands + 6000`` bytes per pixel during a training step
    (the CPU peak of ``benchmarks/engine.py`` at 512², with margin).
    """
    resolved = resolve_device(device)
    if resolved.type != "cuda":
        return 1
    free, _ = torch.cuda.mem_get_info(resolved)
    return int(max(1, min(64, free // 2 // (tile_pixels * (40 * bands + 6000)))))
