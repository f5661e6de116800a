"""The transformer block that mixes superpixel tokens (§3 of the method).

Every layer holds the parameters of ``B`` independent models side by side
(dimension 0) and works on ``(B, S, D)`` token tensors, so that several tiles
train in one step; ``B = 1`` is the plain single-image network.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class BatchedLinear(nn.Module):
    """``B`` independent linear layers ``D_in → D_out`` (Xavier-uniform weights, zero bias)."""

    def __init__(self, models: int, in_features: int, out_features: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(models, out_features, in_features))
        self.bias = nn.Parameter(torch.zeros(models, out_features))
        for model in range(models):
            nn.init.xavier_uniform_(self.weight.data[model])

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Apply model ``b``'s layer to ``tokens[b]``, ``(B, S, D_in)`` → ``(B, S, D_out)``."""
        return torch.baddbmm(self.bias[:, None, :], tokens, self.weight.transpose(1, 2))


class BatchedLayerNorm(nn.Module):
    """``B`` independent LayerNorms over the last dimension (eps 1e-5)."""

    def __init__(self, models: int, features: int):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(models, features))
        self.bias = nn.Parameter(torch.zeros(models, features))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Normalise ``(B, S, D)`` tokens with each model's scale and shift."""
        normed = F.layer_norm(tokens, tokens.shape[-1:], eps=1e-5)
        return torch.addcmul(self.bias[:, None, :], normed, self.weight[:, None, :])


class TokenAttention(nn.Module):
    """Single-head self-attention with QK-norm over ``(B, S, D)`` tokens."""

    def __init__(self, models: int, features: int):
        super().__init__()
        self.qkv = BatchedLinear(models, features, 3 * features)
        self.q_norm = BatchedLayerNorm(models, features)
        self.k_norm = BatchedLayerNorm(models, features)
        self.proj = BatchedLinear(models, features, features)
        self.scale = 1 / math.sqrt(features)

    def forward(self, tokens: torch.Tensor, key_mask: torch.Tensor) -> torch.Tensor:
        """Attend every token to the real tokens of its model (``key_mask`` (B, S), True = real)."""
        q, k, v = self.qkv(tokens).chunk(3, dim=-1)
        q, k = self.q_norm(q), self.k_norm(k)
        mixed = F.scaled_dot_product_attention(
            q[:, None],
            k[:, None],
            v[:, None],
            attn_mask=key_mask[:, None, None, :],
            scale=self.scale,
        )
        return self.proj(mixed[:, 0])


class TransformerBlock(nn.Module):
    """Pre-norm ViT block: ``z + Attn(LN(z))`` then ``z + MLP(LN(z))``."""

    def __init__(self, models: int, features: int):
        super().__init__()
        self.norm1 = BatchedLayerNorm(models, features)
        self.attention = TokenAttention(models, features)
        self.norm2 = BatchedLayerNorm(models, features)
        self.mlp_in = BatchedLinear(models, features, 2 * features)
        self.mlp_out = BatchedLinear(models, 2 * features, features)

    def forward(self, tokens: torch.Tensor, key_mask: torch.Tensor) -> torch.Tensor:
        """Mix ``tokens`` of shape ``(B, S, D)``."""
        tokens = tokens + self.attention(self.norm1(tokens), key_mask)
        return tokens + self.mlp_out(F.gelu(self.mlp_in(self.norm2(tokens))))
