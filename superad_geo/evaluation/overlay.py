"""The score overlay of a picture: a rank stretch in which every anomaly shows.

Anomaly scores are heavy-tailed: on the demo scene the strongest target
scores about 600 and the weakest about 6, against a background whose 99th
percentile is 4. A linear ramp up to the maximum leaves the weak targets as
dark as the ground. Here the colour follows a score's rank among the shown
pixels instead of its value: only the pixels above the background level are
drawn (opaque), from dark red at that level to yellow at the maximum, so the
weakest shown pixel is as visible as the strongest. The background level is
the lower of the 99th percentile and ``median + 5 × 1.4826 × MAD`` (the
latter for scenes where anomalies cover more than 1 % of the pixels).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["ScoreOverlay", "background_level", "score_overlay"]

#: Rank points kept to map scores to colours (and back, for the colour bar).
_RANK_POINTS = 257


def background_level(scores: np.ndarray) -> float:
    """The score above which a pixel is drawn: ``min(P99, median + 5·1.4826·MAD)`` of the scores.

    >>> background_level(np.r_[np.zeros(990), np.arange(1.0, 11.0)])
    0.0
    """
    finite = np.asarray(scores, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    median = float(np.median(finite))
    spread = 1.4826 * float(np.median(np.abs(finite - median)))
    return min(float(np.percentile(finite, 99.0)), median + 5.0 * spread)


@dataclass(frozen=True)
class ScoreOverlay:
    """An RGBA overlay of scores and what its colour bar needs.

    Attributes
    ----------
    rgba : ndarray, shape (y, x, 4)
        Colours; alpha 1 where a score is drawn, 0 elsewhere (and on NaN).
    norm : matplotlib.colors.Normalize
        Score → colour position (the rank stretch), for the colour bar.
    cmap : matplotlib.colors.Colormap
    level : float
        The background level: scores above it are drawn.
    ticks : ndarray
        Scores at the shown pixels' rank 0, ¼, ½, ¾ and 1, for the colour bar.
    """

    rgba: np.ndarray
    norm: Any
    cmap: Any
    level: float
    ticks: np.ndarray


def score_overlay(scores: np.ndarray) -> ScoreOverlay | None:
    """The rank-stretched overlay of a ``(y, x)`` score array (None without a finite score)."""
    from matplotlib import colormaps
    from matplotlib.colors import FuncNorm, ListedColormap

    s = np.asarray(scores, dtype=np.float64)
    finite = np.isfinite(s)
    if not finite.any():
        return None
    level = background_level(s[finite])
    shown = finite & (s > level)
    if not shown.any():  # a flat map: nothing stands out
        shown = finite & (s >= level)
    ranks = np.linspace(0.0, 1.0, _RANK_POINTS)
    values = np.quantile(s[shown], ranks)
    values = np.maximum.accumulate(values)  # strictly for np.interp: non-decreasing
    hi = float(values[-1]) if values[-1] > level else level + 1e-12

    def forward(v: Any) -> Any:
        return np.interp(v, np.r_[level, values], np.r_[0.0, ranks])

    def inverse(r: Any) -> Any:
        return np.interp(r, np.r_[0.0, ranks], np.r_[level, values])

    norm = FuncNorm((forward, inverse), vmin=level, vmax=hi)
    cmap = ListedColormap(colormaps["inferno"](np.linspace(0.4, 1.0, 256)), name="inferno_bright")
    rgba = cmap(forward(np.where(shown, s, level)))
    rgba[..., 3] = shown
    ticks = np.unique(inverse(np.linspace(0.0, 1.0, 5)))
    return ScoreOverlay(rgba=rgba, norm=norm, cmap=cmap, level=level, ticks=ticks)
