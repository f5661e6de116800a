"""Superpixel pooling and unpooling (the perturbation of §3).

Pixels are addressed pixel-major, ``(M·B, D)`` for ``B`` models side by side,
and each pixel carries a token slot: model ``b``'s superpixel ``s`` is slot
``b·slots + s``. Slots that hold no superpixel (such as the one given to
invalid pixels) are masked out by the caller.
"""

from __future__ import annotations

import torch


def pool_superpixels(features: torch.Tensor, slots: torch.Tensor, count: int) -> torch.Tensor:
    """Average pixel-major ``features`` (N, D) into ``count`` token slots → (count, D).

    ``slots`` (N,) gives each pixel's slot; empty slots are zero.
    """
    sums = features.new_zeros(count, features.shape[1]).index_add_(0, slots, features)
    ones = features.new_ones(slots.shape[0])
    sizes = features.new_zeros(count).index_add_(0, slots, ones).clamp_min(1)
    return sums / sizes[:, None]


def unpool_superpixels(tokens: torch.Tensor, slots: torch.Tensor) -> torch.Tensor:
    """Give every pixel its slot's token, ``(count, D)`` → ``(N, D)``.

    ``index_select`` rather than ``tokens[slots]``: the backward of advanced
    indexing accumulates in parallel in no fixed order on the CPU, which made
    runs with several threads differ in the last bits.
    """
    return tokens.index_select(0, slots)
