"""AdaConv: plain convolution without an error map, lowest-error taps with one."""

import torch
import torch.nn.functional as F

from superad_geo.model.adaconv import AdaConv, select_taps


def _layer(seed: int = 0, kernel: int = 3, window: int = 5) -> AdaConv:
    torch.manual_seed(seed)
    return AdaConv(4, 3, kernel, window).double()


def test_without_error_map_equals_conv2d():
    layer = _layer()
    features = torch.randn(1, 4, 9, 11, dtype=torch.double)
    expected = F.conv2d(features, layer.weight.view(3, 4, 3, 3), layer.bias, padding=1)
    torch.testing.assert_close(layer(features), expected)


def test_taps_are_the_lowest_error_neighbours_in_ascending_order():
    torch.manual_seed(1)
    height, width, kernel, window = 7, 8, 3, 5
    pad = window // 2
    error = torch.rand(height, width, dtype=torch.double)
    error[2, 3] = error[2, 4] = error[3, 3]  # ties
    taps = select_taps(error, kernel, window)
    padded_width = width + 2 * pad
    padded_error = F.pad(error, (pad, pad, pad, pad), value=float("inf"))
    for y in range(height):
        for x in range(width):
            window_errors = padded_error[y : y + window, x : x + window].reshape(-1)
            chosen = taps[:, y * width + x]
            rows, cols = chosen // padded_width, chosen % padded_width
            assert ((rows >= y) & (rows < y + window) & (cols >= x) & (cols < x + window)).all()
            chosen_errors = padded_error[rows, cols]
            best = torch.sort(window_errors).values[: kernel * kernel]
            torch.testing.assert_close(chosen_errors, best)  # the k² lowest, ascending
            assert len(set(chosen.tolist())) == kernel * kernel


def test_border_padding_is_never_chosen_when_enough_pixels_remain():
    error = torch.rand(6, 6)
    taps = select_taps(error, 3, 5)
    padded_width = 10
    rows, cols = taps // padded_width, taps % padded_width
    assert ((rows >= 2) & (rows < 8) & (cols >= 2) & (cols < 8)).all()


def test_with_error_map_applies_tap_j_to_the_j_th_neighbour():
    layer = _layer(2)
    features = torch.randn(1, 4, 6, 7, dtype=torch.double)
    error = torch.rand(6, 7, dtype=torch.double)
    taps = select_taps(error, 3, 5)
    out = layer(features, taps[None])
    padded = F.pad(features, (2, 2, 2, 2), mode="reflect")[0].reshape(4, -1)
    weight = layer.weight.view(3, 4, 9)
    for pixel in (0, 10, 41):
        gathered = padded[:, taps[:, pixel]]  # (in, k²): tap j is the j-th lowest error
        expected = (weight * gathered[None]).sum(dim=(1, 2)) + layer.bias
        torch.testing.assert_close(out[0, :, pixel // 7, pixel % 7], expected)


def test_gradients_match_autograd_of_the_gather():
    layer = _layer(3)
    features = torch.randn(1, 4, 6, 5, dtype=torch.double, requires_grad=True)
    taps = select_taps(torch.rand(6, 5, dtype=torch.double), 3, 5)
    assert torch.autograd.gradcheck(lambda f: layer(f, taps[None]), (features,))
    out = layer(features, taps[None])
    out.square().sum().backward()
    assert layer.weight.grad is not None and layer.weight.grad.abs().sum() > 0
    assert layer.bias.grad is not None and layer.bias.grad.abs().sum() > 0
