"""The Super-AD reconstruction network (§3 of the method).

One :class:`SuperADNet` holds ``B`` independent networks side by side: their
convolutions are grouped, their token layers batched, so that ``B`` tiles of
the same size train in one step. ``B = 1`` is the plain network of the paper.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from superad_geo.errors import InputError
from superad_geo.model.adaconv import AdaConv
from superad_geo.model.pooling import pool_superpixels, unpool_superpixels
from superad_geo.model.transformer import BatchedLayerNorm, BatchedLinear, TransformerBlock

STACK_DEPTH = 7
NEGATIVE_SLOPE = 0.1
MEMORY_FORMAT = torch.channels_last
"""Channels-last convolutions are 1.2-1.8x faster on the CPU (benchmarks/engine.py)."""
EMBED_ROWS = 32
"""Rows of a masked cube embedded at a time (:meth:`SuperADNet.hidden`)."""


def _conv(in_channels: int, out_channels: int, models: int, kernel: int = 3) -> nn.Conv2d:
    """``models`` independent convolutions, reflect-padded when ``kernel > 1``."""
    return nn.Conv2d(
        models * in_channels,
        models * out_channels,
        kernel,
        padding=kernel // 2,
        padding_mode="reflect" if kernel > 1 else "zeros",
        groups=models,
    )


class AdaptiveStack(nn.Module):
    """Seven AdaConv layers with LeakyReLU between them (not after the last).

    Only the first ``adaptive_layers`` use the error map (the reference: 1);
    the others run as plain convolutions with zero padding.
    """

    def __init__(
        self, features: int, kernel: int, window: int, adaptive_layers: int, models: int = 1
    ):
        super().__init__()
        self.layers = nn.ModuleList(
            AdaConv(features, features, kernel, window, models) for _ in range(STACK_DEPTH)
        )
        self.adaptive_layers = adaptive_layers

    def forward(self, features: torch.Tensor, taps: torch.Tensor | None) -> torch.Tensor:
        """Run the stack; ``taps`` (from :func:`select_taps`) or None for plain convolutions."""
        for index, layer in enumerate(self.layers):
            if index:
                features = F.leaky_relu(features, NEGATIVE_SLOPE)
            features = layer(features, taps if index < self.adaptive_layers else None)
        return features


class SuperADNet(nn.Module):
    """Reconstructs ``B`` cubes, stacked as ``(1, B·C, H, W)``, through superpixel tokens.

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
    models : int
        Number ``B`` of independent networks.
    """

    def __init__(
        self,
        bands: int,
        features: int = 32,
        kernel: int = 3,
        window: int = 5,
        adaptive_layers: int = 1,
        models: int = 1,
    ):
        super().__init__()
        self.bands, self.features, self.models = bands, features, models
        self.embed_in = _conv(bands, features, models)
        self.embed_out = _conv(features, features, models)
        self.encoder = TransformerBlock(models, features)
        self.encoder_norm = BatchedLayerNorm(models, features)
        self.encoder_out = BatchedLinear(models, features, features)
        self.decoder = TransformerBlock(models, features)
        self.decoder_norm = BatchedLayerNorm(models, features)
        self.middle = _conv(features, features, models)
        self.stack_a = AdaptiveStack(features, kernel, window, adaptive_layers, models)
        self.stack_b = AdaptiveStack(features, kernel, window, adaptive_layers, models)
        self.head_conv = _conv(features, features, models)
        self.head_out = _conv(features, bands, models, kernel=1)
        self.to(memory_format=MEMORY_FORMAT)

    @classmethod
    def from_seeds(
        cls,
        seeds: Sequence[int],
        bands: int,
        start: Mapping[str, torch.Tensor] | None = None,
        **options: int,
    ) -> SuperADNet:
        """Stack ``len(seeds)`` networks, network ``b`` initialised from ``seeds[b]``.

        Each is initialised exactly as a single network made after
        ``torch.manual_seed(seeds[b])``, so training them together equals
        training them one by one; or, given ``start`` (a single network's
        ``state_dict``), each is a copy of that network.

        Raises
        ------
        InputError
            If ``start`` is the weights of a network for another band count.
        """
        if start is not None and start["embed_in.weight"].shape[1] != bands:
            raise InputError(
                f"the starting weights are for {start['embed_in.weight'].shape[1]} bands, "
                f"the cube has {bands}"
            )
        singles = []
        for seed in seeds:
            torch.manual_seed(seed)
            singles.append(cls(bands, **options))
            if start is not None:
                singles[-1].load_state_dict(start)
        if len(singles) == 1:
            return singles[0]
        stacked = cls(bands, models=len(seeds), **options)
        with torch.no_grad():
            for name, parameter in stacked.named_parameters():
                parts = [single.get_parameter(name) for single in singles]
                parameter.copy_(torch.cat(parts, dim=0))
        return stacked

    @staticmethod
    def pad_input(cube: torch.Tensor) -> torch.Tensor:
        """Reflect-pad ``cube`` (1, B·C, H, W) by one pixel for :meth:`forward`.

        The input never changes during training, so it is padded once rather
        than at every step (a cube-sized copy saved per step).
        """
        padded = F.pad(cube, (1, 1, 1, 1), mode="reflect")
        return padded.contiguous(memory_format=MEMORY_FORMAT)

    def forward(
        self,
        padded_cube: torch.Tensor,
        slots: torch.Tensor,
        token_mask: torch.Tensor,
        taps: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Reconstruct a cube (1, B·C, H, W) given padded by :meth:`pad_input`.

        The result is in channels-last memory order.
        ``slots`` (H·W·B,) gives each pixel-major (pixel, model) its token slot,
        ``token_mask`` (B, slots) marks the slots that hold a superpixel;
        ``taps`` (B, k², H·W) are the previous step's AdaConv choices, None at
        the first step (then stack A is skipped, as in the reference).
        """
        return self.reconstruct(self.hidden(padded_cube, slots, token_mask, taps))

    def hidden(
        self,
        padded_cube: torch.Tensor,
        slots: torch.Tensor,
        token_mask: torch.Tensor,
        taps: torch.Tensor | None = None,
        kept: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The features (1, B·D, H, W) that :meth:`reconstruct` turns into the cube.

        As :meth:`forward`; with ``kept``, a boolean (H + 2, W + 2) map padded
        as the cube, the pixels outside it enter as 0 (the cube is masked a
        band of rows at a time, never copied whole).
        """
        height, width = padded_cube.shape[2] - 2, padded_cube.shape[3] - 2
        models, features = self.models, self.features
        embedded = self._embed(padded_cube, kept)
        embedded = self.embed_out(F.leaky_relu(embedded, NEGATIVE_SLOPE))

        pixels = embedded.permute(0, 2, 3, 1).reshape(-1, features)
        tokens = pool_superpixels(pixels, slots, token_mask.numel()).view(models, -1, features)
        tokens = self.encoder_out(self.encoder_norm(self.encoder(tokens, token_mask)))
        tokens = self.decoder_norm(self.decoder(tokens, token_mask)) * token_mask[..., None]
        unpooled = unpool_superpixels(tokens.reshape(-1, features), slots)
        unpooled = unpooled.view(1, height, width, models * features).permute(0, 3, 1, 2)

        middle = self.middle(embedded)
        adapted = middle if taps is None else self.stack_a(middle, taps)
        return F.leaky_relu(self.head_conv(self.stack_b(adapted * unpooled, taps)), NEGATIVE_SLOPE)

    def reconstruct(self, hidden: torch.Tensor) -> torch.Tensor:
        """The cube (1, B·C, h, W) of :meth:`hidden`'s features, or of a band of their rows."""
        models, features = self.models, self.features
        _, _, height, width = hidden.shape
        # the 1×1 convolution as a batched matrix product over pixels (faster than conv2d)
        pixels = hidden.permute(0, 2, 3, 1).reshape(-1, models, features).transpose(0, 1)
        weight = self.head_out.weight.view(models, self.bands, features)
        bias = self.head_out.bias.view(models, 1, self.bands)
        out = torch.baddbmm(bias, pixels, weight.transpose(1, 2)).transpose(0, 1)
        return out.reshape(1, height, width, models * self.bands).permute(0, 3, 1, 2)

    def _embed(self, padded_cube: torch.Tensor, kept: torch.Tensor | None) -> torch.Tensor:
        """The first convolution (on the padded cube: no padding of its own), of the cube
        masked by ``kept`` where given."""
        first = self.embed_in
        if kept is None:
            return F.conv2d(padded_cube, first.weight, first.bias, groups=self.models)
        height = padded_cube.shape[2] - 2
        bands = [
            F.conv2d(
                padded_cube[..., start : start + EMBED_ROWS + 2, :]
                * kept[start : start + EMBED_ROWS + 2],
                first.weight,
                first.bias,
                groups=self.models,
            )
            for start in range(0, height, EMBED_ROWS)
        ]
        return torch.cat(bands, dim=2).contiguous(memory_format=MEMORY_FORMAT)
