"""Styles of the layers the algorithms load: scores on a stretched ramp, masks transparent at 0.

The ``.qml`` files are in ``styles/``. A post-processor applies them when
QGIS loads an output into the project; the score style is then stretched
from the layer's median (background) to its 99.9th percentile (anomalies),
so Super-AD z-scores and RX scores both use the whole ramp.
"""

from __future__ import annotations

import os

from qgis.core import Qgis, QgsMessageLog, QgsProcessingLayerPostProcessorInterface

STYLE_DIR = os.path.join(os.path.dirname(__file__), "styles")
SCORES_QML = os.path.join(STYLE_DIR, "scores.qml")
MASK_QML = os.path.join(STYLE_DIR, "mask.qml")

#: Post-processors in use: QGIS keeps no Python reference to them.
_ALIVE: dict[str, QgsProcessingLayerPostProcessorInterface] = {}


def stretch_scores(layer, lower: float = 0.5, upper: float = 0.999) -> None:
    """Rescale the score ramp of ``layer`` to its ``lower``–``upper`` cumulative cut."""
    lo, hi = layer.dataProvider().cumulativeCut(1, lower, upper)
    renderer = layer.renderer()
    function = renderer.shader().rasterShaderFunction()
    items = function.colorRampItemList()
    first, last = items[0].value, items[-1].value
    if not hi > lo or not last > first:
        return
    for item in items:
        item.value = lo + (item.value - first) * (hi - lo) / (last - first)
    function.setColorRampItemList(items)
    function.setMinimumValue(lo)
    function.setMaximumValue(hi)
    renderer.setClassificationMin(lo)
    renderer.setClassificationMax(hi)


class StyleLoader(QgsProcessingLayerPostProcessorInterface):
    """Loads a ``.qml`` style into an output layer (and stretches the score ramp)."""

    def __init__(self, qml: str) -> None:
        super().__init__()
        self.qml = qml

    def postProcessLayer(self, layer, context, feedback) -> None:  # noqa: N802 - QGIS API
        apply_style(layer, self.qml)


def apply_style(layer, qml: str) -> str | None:
    """Give ``layer`` the style ``qml``; score styles are stretched to the layer's values.

    Returns None, or why the style could not be loaded (also logged).
    """
    message, loaded = layer.loadNamedStyle(qml)
    if not loaded:
        why = f"style {os.path.basename(qml)} not applied to {layer.name()}: {message}"
        QgsMessageLog.logMessage(why, "superad-geo", Qgis.Warning)
        return why
    if qml == SCORES_QML:
        stretch_scores(layer)
    layer.triggerRepaint()
    return None


def style_outputs(context, outputs: dict, styles: dict) -> None:
    """Attach the style of each output key (``styles``: key → qml) to the layers QGIS will load."""
    for key, path in outputs.items():
        qml = styles.get(key)
        if qml is None or not context.willLoadLayerOnCompletion(path):
            continue
        loader = _ALIVE.setdefault(path, StyleLoader(qml))
        loader.qml = qml
        context.layerToLoadOnCompletionDetails(path).setPostProcessor(loader)
