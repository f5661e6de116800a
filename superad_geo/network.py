"""The Super-AD reconstruction network (§3 of the method)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from superad_geo.adaconv import AdaConv
from superad_geo.pooling import pool_superpixels, unpool_superpixels
from superad_geo.transformer import TransformerBlock

STACK_DEPTH = 7
NEGATIVE_SLOPE = 0.1
MEMORY_FORMAT = torch.channels_last


def _conv3x3_reflect(in_channels: int, out_channels: int) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, 3, padding=1, padding_mode="reflect")


class AdaptiveStack(nn.Module):
    """Seven AdaConv layers with LeakyReLU between them (not after the last).

    Only the first ``adaptive_layers`` use the error map (the reference: 1);
    the others run as plain convolutions with zero padding.
    """

    def __init__(self, features: int, kernel: int, window: int, adaptive_layers: int):
        super().__init__()
        self.layers = nn.ModuleList(
            AdaConv(features, features, kernel, window) for _ in range(STACK_DEPTH)
        )
        self.adaptive_layers = adaptive_layers
        self.activation = nn.LeakyReLU(NEGATIVE_SLOPE)

    def forward(self, features: torch.Tensor, taps: torch.Tensor | None) -> torch.Tensor:
        """Run the stack; ``taps`` (from :func:`select_taps`) or None for plain convolutions."""
        for index, layer in enumerate(self.layers):
            if index:
                features = self.activation(features)
            features = layer(features, taps if index < self.adaptive_layers else None)
        return features


class SuperADNet(nn.Module):
    """Reconstructs a ``(1, C, H, W)`` cube through superpixel tokens and AdaConv stacks.

    Parameters
    ----------
    bands : int
        Number of spectral bands ``C``.
    features : int
        Feature width ``D`` (32 in the reference).
    kernel, window : int
        AdaConv kernel and window sizes.
    adaptive_layers : int
        How many layers of each stack use the error map (1 in the reference).
    """

    def __init__(self, bands: int, features: int = 32, kernel: int = 3, window: int = 5,
                 adaptive_layers: int = 1):
        super().__init__()
        self.embed = nn.Sequential(
            _conv3x3_reflect(bands, features),
            nn.LeakyReLU(NEGATIVE_SLOPE),
            _conv3x3_reflect(features, features),
        )
        self.encoder = nn.Sequential(
            TransformerBlock(features), nn.LayerNorm(features), nn.Linear(features, features)
        )
        self.decoder = nn.Sequential(TransformerBlock(features), nn.LayerNorm(features))
        self.middle = _conv3x3_reflect(features, features)
        self.stack_a = AdaptiveStack(features, kernel, window, adaptive_layers)
        self.stack_b = AdaptiveStack(features, kernel, window, adaptive_layers)
        self.head = nn.Sequential(
            _conv3x3_reflect(features, features),
            nn.LeakyReLU(NEGATIVE_SLOPE),
            nn.Conv2d(features, bands, 1),
        )
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                nn.init.zeros_(module.bias)
        # channels-last convolutions are 1.5-2x faster on the CPU (benchmarks/engine.py)
        self.to(memory_format=MEMORY_FORMAT)

    def forward(self, cube: torch.Tensor, labels: torch.Tensor, count: int,
                taps: torch.Tensor | None = None) -> torch.Tensor:
        """Reconstruct ``cube`` (1, C, H, W); the result is in channels-last memory order.

        ``labels`` (H·W,) numbers the superpixels ``0 .. count-1`` (``count``
        for invalid pixels); ``taps`` are the previous step's AdaConv choices,
        None at the first step (then stack A is skipped, as in the reference).
        """
        _, _, height, width = cube.shape
        embedded = self.embed(cube.contiguous(memory_format=MEMORY_FORMAT))
        features = embedded.shape[1]
        pixels = embedded.permute(0, 2, 3, 1).reshape(-1, features)
        tokens = self.decoder(self.encoder(pool_superpixels(pixels, labels, count)))
        unpooled = unpool_superpixels(tokens, labels).view(1, height, width, features)
        unpooled = unpooled.permute(0, 3, 1, 2)
        middle = self.middle(embedded)
        adapted = middle if taps is None else self.stack_a(middle, taps)
        hidden = self.head[1](self.head[0](self.stack_b(adapted * unpooled, taps)))
        # the 1×1 convolution as a matrix product over pixels (faster than conv2d here)
        project = self.head[2]
        pixels = hidden.permute(0, 2, 3, 1)
        out = F.linear(pixels, project.weight.view(project.out_channels, -1), project.bias)
        return out.permute(0, 3, 1, 2)
