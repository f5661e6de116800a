"""Per-pixel losses and online background pixel mining (OBPM), §5 of the method."""

from __future__ import annotations

import torch

SMOOTHING_WIDTH = 7
"""Width of the centred moving average applied to the sorted-loss jumps."""


def pixel_loss(
    error: torch.Tensor, kind: str = "transformed", alpha: float = 1.0, beta: float = 1.0
) -> torch.Tensor:
    """Turn per-pixel mean absolute errors into losses.

    ``transformed``: ``exp(β·e)/β + α·e`` (the reference's default);
    ``l1``: ``e``; ``l2``: ``e²``.
    """
    if kind == "transformed":
        return torch.exp(beta * error) / beta + alpha * error
    if kind == "l1":
        return error
    if kind == "l2":
        return error * error
    raise ValueError(f"unknown loss {kind!r}; choose 'transformed', 'l1' or 'l2'")


def background_mask(
    losses: torch.Tensor, labels: torch.Tensor, th: float = 0.25, count: int | None = None
) -> torch.Tensor:
    """Return which pixels OBPM keeps as likely background.

    Within each superpixel the losses are sorted, the jumps between
    neighbours smoothed by a centred moving average of width 7, and the pixels
    beyond the first largest smoothed jump dropped — unless that cut would
    drop 75 % or more of the superpixel (position ``m <= th·n``).
    Runs in ``O(M log M)`` with two stable sorts; no superpixels × pixels
    matrix is formed.

    Parameters
    ----------
    losses : torch.Tensor
        Per-pixel losses, shape ``(N,)``.
    labels : torch.Tensor
        Superpixel of each pixel, int64 in ``0 .. S-1``, shape ``(N,)``.
    th : float
        Smallest cut position, as a fraction of the superpixel, that is mined.
    count : int, optional
        An upper bound of the labels (``S``); given, the function never waits
        for the device (no host synchronisation inside a GPU training loop).

    Returns
    -------
    torch.Tensor
        Boolean ``(N,)``, True where the pixel's loss is kept.
    """
    if losses.numel() == 0:
        return torch.ones_like(losses, dtype=torch.bool)
    by_loss = torch.sort(losses, stable=True).indices
    order = by_loss[torch.sort(labels[by_loss], stable=True).indices]
    sorted_losses, groups = losses[order], labels[order]
    if count is None:
        count = int(groups.max()) + 1

    sizes = torch.zeros(count, dtype=torch.long, device=losses.device)
    sizes.index_add_(0, groups, torch.ones_like(groups))
    starts = torch.cumsum(sizes, 0) - sizes
    positions = torch.arange(groups.numel(), device=losses.device) - starts[groups]

    jumps = torch.zeros_like(sorted_losses)
    jumps[1:] = sorted_losses[1:] - sorted_losses[:-1]
    jumps[positions == 0] = 0
    half = SMOOTHING_WIDTH // 2
    smoothed = torch.zeros_like(jumps)
    for shift in range(-half, half + 1):
        shifted = torch.roll(jumps, -shift)
        same_group = (positions + shift >= 0) & (positions + shift < sizes[groups])
        smoothed = smoothed + torch.where(same_group, shifted, torch.zeros_like(shifted))
    smoothed = smoothed / SMOOTHING_WIDTH

    peak = torch.full((count,), -torch.inf, dtype=smoothed.dtype, device=losses.device)
    peak = peak.scatter_reduce(0, groups, smoothed, reduce="amax")
    candidate = torch.where(smoothed == peak[groups], positions, groups.numel())
    cut = torch.full((count,), groups.numel(), dtype=positions.dtype, device=losses.device)
    cut = cut.scatter_reduce(0, groups, candidate, reduce="amin")
    threshold = sorted_losses[(starts + cut).clamp_max(groups.numel() - 1)]
    mined = cut > th * sizes

    keep_sorted = ~mined[groups] | (sorted_losses <= threshold[groups])
    keep = torch.empty_like(keep_sorted)
    keep[order] = keep_sorted
    return keep
