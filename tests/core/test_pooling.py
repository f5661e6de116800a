"""Superpixel pooling and unpooling over token slots."""

import torch

from superad_geo.model.pooling import pool_superpixels, unpool_superpixels


def test_pool_means_per_slot_and_unpool_broadcasts():
    features = torch.tensor([[1.0, 3.0, 5.0, 100.0, 7.0], [2.0, 2.0, 8.0, -100.0, 0.0]]).T
    slots = torch.tensor([0, 0, 1, 2, 1])  # slot 2: the invalid pixel's slot
    tokens = pool_superpixels(features, slots, 4)  # slot 3 is empty
    expected = torch.tensor([[2.0, 2.0], [6.0, 4.0], [100.0, -100.0], [0.0, 0.0]])
    torch.testing.assert_close(tokens, expected)
    back = unpool_superpixels(tokens, slots)
    torch.testing.assert_close(back, expected[slots])


def test_pooling_passes_gradients_only_through_used_slots():
    features = torch.randn(10, 3, requires_grad=True)
    slots = torch.tensor([0, 1, 1, 2, 2, 2, 0, 1, 3, 3])
    tokens = pool_superpixels(features, slots, 4)
    mask = torch.tensor([True, True, True, False])  # slot 3: invalid pixels
    unpool_superpixels(tokens * mask[:, None], slots).sum().backward()
    assert features.grad is not None
    assert torch.all(features.grad[8:] == 0) and torch.all(features.grad[:8] != 0)
