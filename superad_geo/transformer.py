"""The transformer block that mixes superpixel tokens (§3 of the method)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class TokenAttention(nn.Module):
    """Single-head self-attention with QK-norm over ``(S, D)`` tokens."""

    def __init__(self, features: int):
        super().__init__()
        self.qkv = nn.Linear(features, 3 * features)
        self.q_norm = nn.LayerNorm(features)
        self.k_norm = nn.LayerNorm(features)
        self.proj = nn.Linear(features, features)
        self.scale = 1 / math.sqrt(features)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Attend every token to every other one."""
        q, k, v = self.qkv(tokens).chunk(3, dim=-1)
        q, k = self.q_norm(q), self.k_norm(k)
        mixed = F.scaled_dot_product_attention(q[None], k[None], v[None], scale=self.scale)
        return self.proj(mixed[0])


class TransformerBlock(nn.Module):
    """Pre-norm ViT block: ``z + Attn(LN(z))`` then ``z + MLP(LN(z))``."""

    def __init__(self, features: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(features)
        self.attention = TokenAttention(features)
        self.norm2 = nn.LayerNorm(features)
        self.mlp = nn.Sequential(
            nn.Linear(features, 2 * features),
            nn.GELU(),
            nn.Linear(2 * features, features),
        )

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Mix ``tokens`` of shape ``(S, D)``."""
        tokens = tokens + self.attention(self.norm1(tokens))
        return tokens + self.mlp(self.norm2(tokens))
