"""The ``.superad`` accessor of xarray DataArrays, registered by ``import superad_geo``.

As rioxarray's ``.rio``: a scene opened by any xarray tool is scored in place,
``scene.superad.detect(...)`` or ``scene.superad.rx()``, with the options
and the result of :func:`superad_geo.detect`. Only xarray is imported here;
the pipeline (and torch, for Super-AD) is loaded when a scene is scored.
"""

from __future__ import annotations

from typing import Any

import xarray as xr

__all__ = ["SuperadAccessor"]


@xr.register_dataarray_accessor("superad")
class SuperadAccessor:
    """Anomaly detection on a ``(band, y, x)`` DataArray.

    Examples
    --------
    >>> import superad_geo
    >>> scene, truth = superad_geo.make_scene((64, 64), 20)
    >>> scene.superad.rx().dims
    ('y', 'x')
    """

    def __init__(self, scene: xr.DataArray) -> None:
        self._scene = scene

    def detect(self, **options: Any) -> xr.DataArray:
        """Score this scene: :func:`superad_geo.detect` with the same keywords.

        Returns
        -------
        xarray.DataArray
            ``(y, x)`` float32 scores on the scene's grid (CRS, transform, coordinates).
        """
        from superad_geo.pipeline.api import detect

        return detect(self._scene, **options)

    def rx(self, **options: Any) -> xr.DataArray:
        """Score this scene with the global RX baseline (``detect(method="rx")``)."""
        return self.detect(method="rx", **options)
