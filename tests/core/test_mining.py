"""OBPM against a straightforward dense implementation, and the pixel losses."""

import math

import pytest
import torch

from superad_geo.model.mining import background_mask, pixel_loss


def dense_background_mask(losses, labels, th=0.25):
    """OBPM as §5 of the method states it, one superpixel at a time."""
    keep = torch.ones_like(losses, dtype=torch.bool)
    for label in labels.unique():
        members = (labels == label).nonzero().flatten()
        u = torch.sort(losses[members]).values
        n = len(u)
        d = [0.0] + [float(u[i] - u[i - 1]) for i in range(1, n)]
        d = torch.tensor(d, dtype=losses.dtype)
        a = []
        for i in range(n):
            total = torch.zeros((), dtype=losses.dtype)
            for j in range(i - 3, i + 4):
                total = total + (d[j] if 0 <= j < n else torch.zeros((), dtype=losses.dtype))
            a.append(total / 7)
        a = torch.stack(a)
        m = int(torch.nonzero(a == a.max())[0])
        if m <= th * n:
            continue
        keep[members] = losses[members] <= u[m]
    return keep


@pytest.mark.parametrize("seed", range(6))
def test_matches_dense_on_random_inputs(seed):
    generator = torch.Generator().manual_seed(seed)
    n = 400
    labels = torch.randint(0, 9, (n,), generator=generator)
    losses = torch.rand(n, generator=generator, dtype=torch.float64)
    if seed % 2:  # ties: quantised losses
        losses = torch.round(losses * 8) / 8
    losses[labels == 3] += 5 * (torch.rand(int((labels == 3).sum()), generator=generator) > 0.8)
    torch.testing.assert_close(
        background_mask(losses, labels), dense_background_mask(losses, labels)
    )


def test_one_pixel_and_very_large_superpixels():
    generator = torch.Generator().manual_seed(7)
    labels = torch.cat([torch.tensor([0, 1, 2]), torch.full((5000,), 3), torch.tensor([4])])
    losses = torch.rand(len(labels), generator=generator, dtype=torch.float64)
    losses[100:130] += 3.0  # a cluster of high losses in the big superpixel
    got = background_mask(losses, labels)
    torch.testing.assert_close(got, dense_background_mask(losses, labels))
    assert got[:3].all() and got[-1]  # one-pixel superpixels are never mined
    assert got[100:130].sum() < 6  # the smoothed cut may keep the first few of the cluster
    assert got[:100].all() and got[130:-1].all()


def test_keeps_everything_when_the_cut_would_drop_most_pixels():
    # the largest jump comes after 2 of 40 pixels: its smoothed peak lies at m = 4 <= 0.25·40
    losses = torch.cat([torch.tensor([0.0, 0.1]), 10 + torch.linspace(0, 1, 38)]).double()
    labels = torch.zeros(40, dtype=torch.long)
    assert background_mask(losses, labels).all()
    assert not background_mask(losses, labels, th=0.05).all()


def test_drops_the_high_tail():
    losses = torch.cat([torch.linspace(0, 1, 40), torch.tensor([9.0, 9.5])]).double()
    labels = torch.zeros(42, dtype=torch.long)
    keep = background_mask(losses, labels)
    # the jumps at 40 and 41 are smoothed over positions 37..41; the peak is at 38
    assert keep[:39].all() and not keep[39:].any()


def test_pixel_losses():
    e = torch.tensor([0.0, 0.5, 2.0])
    torch.testing.assert_close(pixel_loss(e), torch.exp(e) + e)
    torch.testing.assert_close(
        pixel_loss(e, "transformed", 2.0, 0.5), torch.exp(0.5 * e) / 0.5 + 2 * e
    )
    torch.testing.assert_close(pixel_loss(e, "l2"), e * e)
    assert math.isclose(float(pixel_loss(e, "l1")[1]), 0.5)
    with pytest.raises(ValueError, match="unknown loss"):
        pixel_loss(e, "huber")
