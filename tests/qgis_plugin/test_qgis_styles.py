"""The plugin's styles in a QGIS Python session: stretched score ramp, transparent-zero mask."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from plugin_support import PLUGIN_ROOT, base_environment, run_qgis_driver, system_path

from superad_geo.evaluation.threshold import threshold_raster
from superad_geo.scene.write import write_cog

pytestmark = pytest.mark.qgis

DRIVER = textwrap.dedent(
    """
    import json
    import sys

    plugin_root, scores, mask = sys.argv[1:4]
    sys.path.insert(0, plugin_root)
    from qgis.core import (
        QgsApplication, QgsProcessingContext, QgsProject, QgsRasterLayer,
    )

    app = QgsApplication([], False)
    app.initQgis()
    from superad_geo_qgis.styles import MASK_QML, SCORES_QML, apply_style, style_outputs

    report = {}
    layer = QgsRasterLayer(scores, "scores")
    report["scores_failure"] = apply_style(layer, SCORES_QML)
    renderer = layer.renderer()
    items = renderer.shader().rasterShaderFunction().colorRampItemList()
    report["scores"] = {
        "type": renderer.type(),
        "min": renderer.classificationMin(),
        "max": renderer.classificationMax(),
        "ramp": [items[0].value, items[-1].value],
    }
    # the scores layer's renderer dies with it; a stale wrapper left in sip's map would be
    # handed back, with its old type, for a new renderer made at the same address
    del renderer, items
    layer = QgsRasterLayer(mask, "mask")
    report["mask_failure"] = apply_style(layer, MASK_QML)
    renderer = layer.renderer()
    report["mask"] = {"type": renderer.type()}
    if renderer.type() == "paletted":
        report["mask"]["classes"] = {int(c.value): c.color.alpha() for c in renderer.classes()}
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    details = QgsProcessingContext.LayerDetails("mask", QgsProject.instance(), "OUTPUT")
    context.addLayerToLoadOnCompletion(mask, details)
    style_outputs(context, {"OUTPUT": mask}, {"OUTPUT": MASK_QML})
    report["post_processor"] = (
        context.layerToLoadOnCompletionDetails(mask).postProcessor() is not None
    )
    print("REPORT " + json.dumps(report))
    del layer, renderer, context, details
    app.exitQgis()
    """
)


def test_score_and_mask_styles(qgis_python, tmp_path):
    rng = np.random.default_rng(0)
    values = rng.normal(size=(64, 64)).astype(np.float32)
    scores, mask = tmp_path / "scores.tif", tmp_path / "mask.tif"
    write_cog(scores, [(_Window(64, 64), values)], shape=(64, 64), transform=None)
    threshold_raster(scores, mask, far=0.01)
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    runtime = tmp_path / "xdg-runtime"
    runtime.mkdir(mode=0o700)
    env = base_environment(tmp_path / "profile", runtime, system_path())
    report = run_qgis_driver(qgis_python, driver, [str(PLUGIN_ROOT), str(scores), str(mask)], env)
    assert report["scores_failure"] is None and report["mask_failure"] is None
    median, top = np.quantile(values, [0.5, 0.999])
    assert report["scores"]["type"] == "singlebandpseudocolor"
    assert report["scores"]["min"] == pytest.approx(median, abs=0.1)
    assert report["scores"]["max"] == pytest.approx(top, abs=0.3)
    assert report["scores"]["ramp"] == [report["scores"]["min"], report["scores"]["max"]]
    assert report["mask"] == {"type": "paletted", "classes": {"0": 0, "1": 255}}
    assert report["post_processor"] is True


class _Window:
    """The whole raster as one block (what write_cog needs of a window)."""

    def __init__(self, height: int, width: int) -> None:
        self.row_off, self.col_off, self.height, self.width = 0, 0, height, width
