"""The provider's algorithms: ``superad:detect``, ``superad:rx`` and ``superad:threshold``.

Each builds its ``superad-geo`` command line on :class:`.base.SuperadAlgorithm`,
which runs it; parameter names mirror the command line's flags and their
defaults come from :mod:`.defaults`.
"""

from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterVectorDestination,
)

from . import defaults
from .base import SuperadAlgorithm, _is_set, _raster_file
from .styles import MASK_QML

__all__ = ["DetectAlgorithm", "RxAlgorithm", "ThresholdAlgorithm"]


def parameters_help(specs: list) -> str:
    """The help text's list of parameters: each one's label, flag and help."""
    rows = [f"{spec['label']} [{defaults.flag(spec['key'])}]: {spec['help']}" for spec in specs]
    return (
        "<p><b>Parameters</b> (command line flag in brackets)<br>"
        "Scene: any GDAL raster with the bands as layers (GeoTIFF, ENVI, VRT).<br>"
        + "<br>".join(rows)
        + "<br>Anomaly mask [--mask-out] with QUANTILE or FAR: also write a binary mask.</p>"
    )


def option_keys(specs: list) -> tuple:
    """The keys of the options of a run, then the mask's, in command-line order."""
    return (*(spec["key"] for spec in specs), *defaults.MASK)


class DetectAlgorithm(SuperadAlgorithm):
    """``superad:detect``: the Super-AD score raster of a hyperspectral scene."""

    ID = "detect"
    DISPLAY_NAME = "Detect anomalies (Super-AD)"
    #: The options of a run it offers (rows of ``defaults.PARAMETERS``).
    PARAMETERS = defaults.PARAMETERS
    HELP = (
        "<p>Scores every pixel of a hyperspectral scene for how anomalous it is, with "
        "Super-AD (Cui et al. 2025): a small network learns, per tile and without "
        "labels, to reconstruct the background; pixels it reconstructs badly score "
        "high. The score raster has the scene's grid and CRS. METHOD rx runs the "
        "global RX detector instead (see the RX algorithm).</p>"
        + parameters_help(defaults.PARAMETERS)
        + "<p><b>Typical times</b>: Super-AD trains a network per tile. With the default "
        "1000 steps a 256 × 256 tile takes minutes on a CPU and well under a minute on "
        "a GPU; the fast preset is about five times quicker. Try settings on a small "
        "subset first.</p>"
        "<p>Runs the superad-geo command line (pip install superad-geo, in its own "
        "environment); set its path in Processing > Options > Providers > Super-AD if it "
        "is not on PATH.</p>"
    )
    #: Option parameters, in the order they go on the command line.
    OPTIONS = option_keys(defaults.PARAMETERS)
    OUTPUT_NAME = "Anomaly scores"

    def initAlgorithm(self, config=None):
        self.addParameter(
            QgsProcessingParameterRasterLayer(self.INPUT, self.tr("Hyperspectral scene"))
        )
        for spec in self.PARAMETERS:
            self._add_option(spec)
        self._add_thresholds(defaults.MASK)
        self._add_mask_out()
        self._add_extra()
        self.addParameter(
            QgsProcessingParameterRasterDestination(self.OUTPUT, self.tr(self.OUTPUT_NAME))
        )

    def checkParameterValues(self, parameters, context):
        ok, message = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, message
        wants_mask = _is_set(parameters, "MASK_OUT") and bool(
            self.parameterAsOutputLayer(parameters, "MASK_OUT", context)
        )
        has_threshold = _is_set(parameters, "QUANTILE") or _is_set(parameters, "FAR")
        if wants_mask and not has_threshold:
            return False, self.tr("The anomaly mask needs a threshold: set QUANTILE or FAR.")
        if has_threshold and not wants_mask:
            return False, self.tr("QUANTILE and FAR apply to the anomaly mask: set MASK_OUT.")
        return True, ""

    def _fixed_options(self) -> list[str]:
        """Options this algorithm always passes (``rx``: the method)."""
        return []

    def build_command(self, parameters, context, executing=True, feedback=None):
        scene = self.parameterAsRasterLayer(parameters, self.INPUT, context)
        if scene is None:
            raise QgsProcessingException(self.invalidRasterError(parameters, self.INPUT))
        self._output_paths = {}
        output = self._output(parameters, self.OUTPUT, context)
        return [
            self.executable(executing),
            "detect",
            _raster_file(scene),
            "-o",
            output,
            *self._fixed_options(),
            *self._options(parameters, context, feedback, self.OPTIONS, executing),
            *self._common_tail(parameters, context),
        ]


class RxAlgorithm(DetectAlgorithm):
    """``superad:rx``: the global RX detector (``superad-geo detect --method rx``)."""

    ID = "rx"
    DISPLAY_NAME = "Detect anomalies (global RX)"
    PARAMETERS = defaults.RX_PARAMETERS
    OPTIONS = option_keys(defaults.RX_PARAMETERS)
    HELP = (
        "<p>Scores every pixel with the global RX detector (Reed and Yu 1990): the "
        "Mahalanobis distance of its spectrum to the mean spectrum of the scene's valid "
        "pixels. A fast baseline that needs no training and no GPU. The score raster "
        "has the scene's grid and CRS. RX needs fewer bands than valid pixels; "
        "dropping noisy bands helps.</p>"
        + parameters_help(defaults.RX_PARAMETERS)
        + "<p><b>Typical times</b>: seconds for a scene of a few million pixels.</p>"
        "<p>Runs superad-geo detect --method rx (pip install superad-geo, in its own "
        "environment).</p>"
    )
    OUTPUT_NAME = "RX scores"

    def _fixed_options(self) -> list[str]:
        return ["--method", "rx"]


class ThresholdAlgorithm(SuperadAlgorithm):
    """``superad:threshold``: a binary anomaly mask (and polygons) from a score raster."""

    ID = "threshold"
    STYLES = {"OUTPUT": MASK_QML}
    DISPLAY_NAME = "Threshold anomaly scores"
    OPTIONS = ("QUANTILE", "FAR", "VECTOR")
    HELP = (
        "<p>Turns a score raster (from Super-AD or RX) into a binary anomaly mask "
        "(uint8, 1 = anomaly, same grid and CRS), by score quantile or by false-alarm "
        "rate; optionally also writes the connected anomaly regions as polygons with "
        "their area and peak score.</p>"
        "<p><b>Parameters</b> (command line flag in brackets)<br>"
        "Scores: a score raster.<br>"
        "Quantile [--quantile]: flag the scores above this quantile, e.g. 0.999.<br>"
        "False-alarm rate [--far]: flag this fraction of the valid pixels, e.g. 0.001.<br>"
        "Set exactly one of the two.<br>"
        "Anomaly polygons [--vector]: GeoPackage or GeoJSON.</p>"
        "<p><b>Typical times</b>: seconds.</p>"
        "<p>Runs superad-geo threshold (pip install superad-geo, in its own "
        "environment).</p>"
    )

    def initAlgorithm(self, config=None):
        table = defaults.THRESHOLD
        self.addParameter(QgsProcessingParameterRasterLayer(self.INPUT, self.tr("Anomaly scores")))
        self._add_thresholds(table)
        self._add(
            QgsProcessingParameterVectorDestination(
                "VECTOR",
                self.tr("Anomaly polygons"),
                type=QgsProcessing.TypeVectorPolygon,
                optional=True,
                createByDefault=False,
            ),
            help_text="Connected anomaly regions with area and peak score (--vector).",
        )
        self._add_extra()
        self.addParameter(
            QgsProcessingParameterRasterDestination(self.OUTPUT, self.tr("Anomaly mask"))
        )

    def checkParameterValues(self, parameters, context):
        ok, message = super().checkParameterValues(parameters, context)
        if ok and not (_is_set(parameters, "QUANTILE") or _is_set(parameters, "FAR")):
            return False, self.tr("Set a threshold: QUANTILE or FAR.")
        return ok, message

    def build_command(self, parameters, context, executing=True, feedback=None):
        scores = self.parameterAsRasterLayer(parameters, self.INPUT, context)
        if scores is None:
            raise QgsProcessingException(self.invalidRasterError(parameters, self.INPUT))
        self._output_paths = {}
        output = self._output(parameters, self.OUTPUT, context)
        return [
            self.executable(executing),
            "threshold",
            _raster_file(scores),
            "-o",
            output,
            *self._options(parameters, context, feedback, self.OPTIONS, executing),
            *self._common_tail(parameters, context),
        ]
