"""The Super-AD network: shapes, the first-step quirk, gradients."""

import numpy as np
import torch

from superad_geo.model.adaconv import select_taps
from superad_geo.model.network import EMBED_ROWS, SuperADNet


def _inputs(bands=6, height=12, width=10, count=4):
    """A cube, pixel slots (3 pixels in the invalid slot ``count``) and the token mask."""
    generator = torch.Generator().manual_seed(0)
    cube = torch.rand(1, bands, height, width, generator=generator)
    slots = torch.randint(0, count, (height * width,), generator=generator)
    slots[:3] = count
    token_mask = torch.arange(count + 1)[None] < count
    return cube, slots, token_mask


def test_gradients_reach_every_parameter():
    torch.manual_seed(0)
    cube, slots, token_mask = _inputs()
    model = SuperADNet(cube.shape[1], features=8)
    taps = select_taps(torch.rand(cube.shape[2:]), 3, 5)
    out = model(model.pad_input(cube), slots, token_mask, taps[None])
    assert out.shape == cube.shape
    (out - cube).abs().mean().backward()
    missing = [
        name for name, p in model.named_parameters() if p.grad is None or not torch.any(p.grad != 0)
    ]
    assert missing == []


def test_first_step_skips_stack_a():
    torch.manual_seed(0)
    cube, slots, token_mask = _inputs()
    model = SuperADNet(cube.shape[1], features=8)
    model(model.pad_input(cube), slots, token_mask, None).sum().backward()
    assert all(p.grad is None for p in model.stack_a.parameters())
    assert all(p.grad is not None for p in model.stack_b.parameters())


def test_only_the_first_layer_of_each_stack_is_adaptive():
    torch.manual_seed(0)
    model = SuperADNet(6, features=8)
    features = torch.rand(1, 8, 12, 10)
    taps = select_taps(torch.rand(12, 10), 3, 5)[None]
    layers = model.stack_a.layers
    expected = layers[0](features, taps)
    for layer in layers[1:]:
        expected = layer(torch.nn.functional.leaky_relu(expected, 0.1), None)
    torch.testing.assert_close(model.stack_a(features, taps), expected)
    assert not torch.allclose(model.stack_a(features, None), expected)


def test_kept_pixels_embed_as_the_masked_cube_and_rows_reconstruct_as_the_whole():
    torch.manual_seed(0)
    height = EMBED_ROWS * 2 + 5  # two full bands of rows and a short one
    cube, slots, token_mask = _inputs(height=height)
    kept = torch.rand(cube.shape[2:], generator=torch.Generator().manual_seed(1)) > 0.3
    model = SuperADNet(cube.shape[1], features=8).eval()
    padded_kept = torch.from_numpy(np.pad(kept.numpy(), 1, mode="reflect"))
    with torch.no_grad():
        expected = model(model.pad_input(cube * kept), slots, token_mask)
        hidden = model.hidden(model.pad_input(cube), slots, token_mask, kept=padded_kept)
        rows = torch.cat(
            [model.reconstruct(hidden[..., r : r + 7, :]) for r in range(0, height, 7)], 2
        )
    torch.testing.assert_close(model.reconstruct(hidden), expected, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(rows, expected, rtol=1e-5, atol=1e-6)
