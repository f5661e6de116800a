"""Superpixel pooling and unpooling."""

import torch

from superad_geo.pooling import pool_superpixels, unpool_superpixels


def test_pool_means_and_unpool_broadcasts_ignoring_invalid_pixels():
    features = torch.tensor([[1.0, 3.0, 5.0, 100.0, 7.0], [2.0, 2.0, 8.0, -100.0, 0.0]]).T
    labels = torch.tensor([0, 0, 1, 2, 1])  # label 2 == count: invalid pixel
    tokens = pool_superpixels(features, labels, 2)
    torch.testing.assert_close(tokens, torch.tensor([[2.0, 2.0], [6.0, 4.0]]))
    back = unpool_superpixels(tokens, labels)
    expected = torch.tensor([[2.0, 2.0, 6.0, 0.0, 6.0], [2.0, 2.0, 4.0, 0.0, 4.0]])
    torch.testing.assert_close(back, expected.T)


def test_pooling_passes_gradients():
    features = torch.randn(10, 3, requires_grad=True)
    labels = torch.tensor([0, 1, 1, 2, 2, 2, 0, 1, 3, 3])
    unpool_superpixels(pool_superpixels(features, labels, 3), labels).sum().backward()
    assert features.grad is not None
    assert torch.all(features.grad[8:] == 0) and torch.all(features.grad[:8] != 0)
