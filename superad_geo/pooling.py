"""Superpixel pooling and unpooling (the perturbation of §3).

Superpixels are given as one label per pixel in ``0 .. S-1``; the label ``S``
marks invalid pixels, which take part in neither the means nor the output.
"""

from __future__ import annotations

import torch


def pool_superpixels(features: torch.Tensor, labels: torch.Tensor, count: int) -> torch.Tensor:
    """Average pixel-major ``features`` (M, D) over each superpixel → tokens (S, D).

    ``count`` is ``S``; pixels labelled ``S`` (invalid) are ignored.
    """
    dims = features.shape[1]
    sums = features.new_zeros(count + 1, dims).index_add_(0, labels, features)
    sizes = torch.bincount(labels, minlength=count + 1).clamp_min(1)
    return sums[:count] / sizes[:count, None].to(features.dtype)


def unpool_superpixels(tokens: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Give every pixel its superpixel's token → (M, D); invalid pixels get zeros."""
    padded = torch.cat([tokens, tokens.new_zeros(1, tokens.shape[1])])
    return padded[labels]
