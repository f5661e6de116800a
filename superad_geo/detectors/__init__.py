"""Scoring methods behind one seam (:class:`~superad_geo.detectors.base.Detector`).

A new detector is one module here with a :class:`~.base.Detector` subclass,
and one line in :data:`DETECTORS`; the pipeline, ``info``, the command line's
``--method`` and the QGIS plugin pick it up by name.
"""

from __future__ import annotations

from superad_geo.detectors import rx, superad
from superad_geo.detectors.base import Detector
from superad_geo.errors import OptionError

#: The detectors by ``method`` name.
DETECTORS: dict[str, Detector] = {
    superad.DETECTOR.name: superad.DETECTOR,
    rx.DETECTOR.name: rx.DETECTOR,
}


def get_detector(method: str) -> Detector:
    """The detector called ``method``.

    Raises
    ------
    OptionError
        If no detector has that name.
    """
    try:
        return DETECTORS[method]
    except (KeyError, TypeError):
        raise OptionError(
            f"unknown method {method!r}; use one of {', '.join(DETECTORS)}", option="method"
        ) from None


__all__ = ["DETECTORS", "Detector", "get_detector"]
