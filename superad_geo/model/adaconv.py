"""Error-adaptive convolution (AdaConv), §4 of the Super-AD method.

A pixel is rebuilt from the ``k²`` neighbours of its ``w × w`` window whose
reconstruction error at the previous step was lowest; tap ``j`` of the kernel
is the neighbour with the ``j``-th smallest error. The taps are gathered one at
a time by a custom autograd function that keeps only the padded input and the
tap indices, so memory stays at a few feature-sized copies per layer instead
of the ``k²`` copies of an ``unfold``. Features are gathered pixel-major, which
is the memory order of channels-last tensors.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

ERROR_PADDING = float("inf")
"""Error given to the padded border so that it is never chosen before a real pixel."""


def select_taps(error: torch.Tensor, kernel: int, window: int) -> torch.Tensor:
    """Return the flat indices of each pixel's lowest-error window neighbours.

    Parameters
    ----------
    error : torch.Tensor
        Error map of shape ``(H, W)``; invalid pixels carry ``inf``.
    kernel, window : int
        Kernel size ``k`` and window size ``w`` (odd, ``w >= k``).

    Returns
    -------
    torch.Tensor
        int64 tensor of shape ``(k², H·W)``: row ``j`` holds, for every pixel,
        the index into the reflect-padded ``(H + w - 1) × (W + w - 1)`` grid of
        its neighbour with the ``j``-th smallest error. Ties keep the window's
        row-major order (a stable sort).
    """
    height, width = error.shape
    pad = (window - 1) // 2
    padded = F.pad(error[None, None], (pad, pad, pad, pad), value=ERROR_PADDING)[0, 0]
    padded_width = width + 2 * pad
    # (w², H, W): the error at each window offset, offsets in row-major order
    candidates = padded.unfold(0, window, 1).unfold(1, window, 1)
    candidates = candidates.reshape(height * width, window * window)
    order = torch.sort(candidates, dim=1, stable=True).indices[:, : kernel * kernel]
    offset_rows = torch.div(order, window, rounding_mode="floor")
    offset_cols = order % window
    rows = torch.arange(height, device=error.device).repeat_interleave(width)
    cols = torch.arange(width, device=error.device).repeat(height)
    flat = (rows[:, None] + offset_rows) * padded_width + cols[:, None] + offset_cols
    return flat.T.contiguous()


class _GatherConv(torch.autograd.Function):
    """``out_b = Σ_j x[taps_bj] @ W_bjᵀ + bias_b`` per model ``b``; backward gathers again.

    ``pixels`` is ``(N, in)`` pixel-major, ``taps`` ``(B, k², M)`` rows of
    ``pixels``, ``weight`` ``(B, out, in, k²)``, ``bias`` ``(B, out)``; the
    result is ``(B, M, out)``.
    """

    @staticmethod
    def forward(ctx, pixels, taps, weight, bias):  # type: ignore[override]
        ctx.save_for_backward(pixels, taps, weight)
        models, kernel_area, count = taps.shape

        def gather(j: int) -> torch.Tensor:
            return pixels.index_select(0, taps[:, j].reshape(-1)).view(models, count, -1)

        out = torch.baddbmm(bias[:, None, :], gather(0), weight[..., 0].transpose(1, 2))
        for j in range(1, kernel_area):
            out.baddbmm_(gather(j), weight[..., j].transpose(1, 2))
        return out

    @staticmethod
    def backward(ctx, grad_out):  # type: ignore[override]
        pixels, taps, weight = ctx.saved_tensors
        models, kernel_area, count = taps.shape
        grad_pixels = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_pixels = torch.zeros_like(pixels)
            for j in range(kernel_area):
                grad_taps = torch.bmm(grad_out, weight[..., j]).view(models * count, -1)
                grad_pixels.index_add_(0, taps[:, j].reshape(-1), grad_taps)
        if ctx.needs_input_grad[2]:
            grad_weight = torch.stack(
                [
                    torch.bmm(
                        grad_out.transpose(1, 2),
                        pixels.index_select(0, taps[:, j].reshape(-1)).view(models, count, -1),
                    )
                    for j in range(kernel_area)
                ],
                dim=-1,
            )
        if ctx.needs_input_grad[3]:
            grad_bias = grad_out.sum(dim=1)
        return grad_pixels, None, grad_weight, grad_bias


class AdaConv(nn.Module):
    """Error-adaptive convolution over ``(1, B·C, H, W)`` feature maps of ``B`` models.

    Parameters
    ----------
    in_channels, out_channels : int
        Feature widths of one model.
    kernel : int
        Kernel size ``k``: ``k²`` taps per output pixel.
    window : int
        Window size ``w`` (odd, ``w >= k``) in which the taps are chosen.
    models : int
        Number ``B`` of independent models trained side by side; their
        channels are stacked model after model (grouped convolution).

    Notes
    -----
    Without taps the layer is an ordinary ``k × k`` convolution with zero
    padding, using each model's weight reshaped to ``(out, in, k, k)``. With
    taps from :func:`select_taps`, tap ``j`` of the kernel is applied to each
    pixel's neighbour of ``j``-th lowest error. A model's weight is stored as
    ``(out, in·k²)``, channel-major, as the method states.
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel: int = 3, window: int = 5, models: int = 1
    ):
        super().__init__()
        if window % 2 == 0 or window < kernel:
            raise ValueError(f"window must be odd and >= kernel, got {window} for kernel {kernel}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel, self.window, self.models = kernel, window, models
        fan_in = in_channels * kernel * kernel
        self.weight = nn.Parameter(torch.empty(models * out_channels, fan_in))
        self.bias = nn.Parameter(torch.empty(models * out_channels))
        for model in range(models):
            rows = slice(model * out_channels, (model + 1) * out_channels)
            nn.init.kaiming_uniform_(self.weight.data[rows], a=math.sqrt(5))
            bound = 1 / math.sqrt(fan_in)
            nn.init.uniform_(self.bias.data[rows], -bound, bound)

    def forward(self, features: torch.Tensor, taps: torch.Tensor | None = None) -> torch.Tensor:
        """Convolve ``features`` (1, B·C, H, W); ``taps`` (B, k², H·W) from :func:`select_taps`."""
        k, models = self.kernel, self.models
        if taps is None:
            weight = self.weight.view(models * self.out_channels, self.in_channels, k, k)
            return F.conv2d(features, weight, self.bias, padding=(k - 1) // 2, groups=models)
        _, _, height, width = features.shape
        pad = (self.window - 1) // 2
        padded = F.pad(features, (pad, pad, pad, pad), mode="reflect")
        # pixel-major rows (pixel, model): a view of channels-last memory
        pixels = padded.permute(0, 2, 3, 1).reshape(-1, self.in_channels)
        rows = taps * models + torch.arange(models, device=taps.device)[:, None, None]
        weight = self.weight.view(models, self.out_channels, self.in_channels, k * k)
        bias = self.bias.view(models, self.out_channels)
        out = _GatherConv.apply(pixels, rows, weight, bias)  # (B, M, out)
        out = out.transpose(0, 1).reshape(1, height, width, models * self.out_channels)
        return out.permute(0, 3, 1, 2)
