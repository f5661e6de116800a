"""What the provider's algorithms share: :class:`SuperadAlgorithm`, parameters and command lines.

Each algorithm (:mod:`.algorithms`) builds a ``superad-geo`` command line in :meth:`build_command`
(testable without running anything; ``executing=False`` builds a preview) and
the shared :meth:`SuperadAlgorithm.processAlgorithm` runs it with
:func:`runner.run_command`. Parameter names mirror the command line's flags
(``TILE_SIZE`` ↔ ``--tile-size``); their defaults come from :mod:`defaults`.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from typing import Any

from qgis.core import (
    QgsMapLayerType,
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterMapLayer,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorDestination,
    QgsProcessingUtils,
    QgsProviderRegistry,
    QgsSettings,
    QgsVectorFileWriter,
)
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtGui import QIcon

from . import defaults
from .runner import (
    EXECUTABLE_NAME,
    EXECUTABLE_SETTING,
    CommandError,
    find_executable,
    run_command,
)
from .styles import MASK_QML, SCORES_QML, style_outputs

ICON_PATH = os.path.join(os.path.dirname(__file__), "icon.png")

#: Free-text options appended to the command (an escape hatch, flagged Advanced).
EXTRA = "EXTRA"


def configured_executable() -> str:
    """Return the provider setting "superad-geo executable" ('' when unset)."""
    value = QgsSettings().value(f"Processing/Configuration/{EXECUTABLE_SETTING}", "")
    return str(value or "")


def format_command(args: list[str]) -> str:
    """Return ``args`` as one line a user can paste into a shell."""
    if sys.platform == "win32":
        return subprocess.list2cmdline(args)
    return " ".join(shlex.quote(arg) for arg in args)


def _is_set(parameters: dict[str, Any], key: str, definition=None) -> bool:
    """Whether parameter ``key`` has a value (not ``None`` or ''), or else a default."""
    value = parameters.get(key)
    if value is None and definition is not None:
        value = definition.defaultValue()
    return value is not None and value != ""


def _number(value: float) -> str:
    """Format a number for the command line: integers without a fraction."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _raster_file(layer) -> str:
    """Return the file (GDAL dataset name) behind raster ``layer``."""
    if layer.providerType() != "gdal":
        raise QgsProcessingException(
            f"Layer {layer.name()!r} is not a raster file; superad-geo reads rasters "
            "through GDAL (GeoTIFF, ENVI, VRT, ...). Export it to a GeoTIFF first."
        )
    source = layer.source()
    if os.path.exists(source):
        return source
    parts = QgsProviderRegistry.instance().decodeUri("gdal", source)
    path = parts.get("path") or ""
    if os.path.exists(path) and not parts.get("layerName"):
        return path
    return source  # e.g. NETCDF:"file.nc":variable, which GDAL opens as it is


class SuperadAlgorithm(QgsProcessingAlgorithm):
    """Base class: runs the command that :meth:`build_command` returns.

    Subclasses set :attr:`ID`, :attr:`DISPLAY_NAME` and :attr:`HELP` and
    implement :meth:`initAlgorithm` and :meth:`build_command`.
    """

    INPUT = "INPUT"
    OUTPUT = "OUTPUT"
    #: Style of each output loaded into the project (parameter key -> .qml).
    STYLES = {"OUTPUT": SCORES_QML, "MASK_OUT": MASK_QML}
    ID = ""
    DISPLAY_NAME = ""
    HELP = ""

    def __init__(self) -> None:
        super().__init__()
        #: Destination parameter -> file, filled by build_command, returned as results.
        self._output_paths: dict[str, str] = {}

    def _output(self, parameters, key: str, context) -> str:
        """Return the file for destination ``key`` ('' when skipped) and remember it."""
        path = self.parameterAsOutputLayer(parameters, key, context)
        if path:
            self._output_paths[key] = path
        return path

    # -- identity -------------------------------------------------------------

    def createInstance(self) -> SuperadAlgorithm:
        return type(self)()

    def name(self) -> str:
        return self.ID

    def displayName(self) -> str:
        return self.tr(self.DISPLAY_NAME)

    def group(self) -> str:
        return self.tr("Anomaly detection")

    def groupId(self) -> str:
        return "anomaly"

    def shortHelpString(self) -> str:
        return self.tr(self.HELP)

    def icon(self) -> QIcon:
        return QIcon(ICON_PATH)

    def tr(self, text: str) -> str:
        return QCoreApplication.translate("SuperadAlgorithm", text)

    # -- parameters -----------------------------------------------------------

    def _add(self, parameter, *, help_text: str = "", advanced: bool = False):
        """Add ``parameter`` with a tooltip, optionally in the Advanced group."""
        if help_text:
            parameter.setHelp(self.tr(help_text))
        if advanced:
            parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
        self.addParameter(parameter)
        return parameter

    def _add_option(self, spec: dict) -> None:
        """Add the parameter of an option of a run (a row of ``defaults.PARAMETERS``)."""
        key, kind, default = spec["key"], spec["kind"], spec["default"]
        label = self.tr(spec["label"])
        if kind == "enum":
            parameter = QgsProcessingParameterEnum(
                key,
                label,
                options=list(spec["choices"]),
                defaultValue=default,
                optional=default is None,
                usesStaticStrings=True,
            )
        elif kind == "bool":
            parameter = QgsProcessingParameterBoolean(key, label, defaultValue=default)
        elif kind in ("int", "float"):
            number = QgsProcessingParameterNumber
            parameter = number(
                key,
                label,
                type=number.Integer if kind == "int" else number.Double,
                defaultValue=default,
                optional=default is None,
            )
            if spec["minimum"] is not None:
                parameter.setMinimum(spec["minimum"])
        elif kind == "layer":
            parameter = QgsProcessingParameterMapLayer(
                key,
                label,
                defaultValue=default,
                optional=True,
                types=[QgsProcessing.TypeRaster, QgsProcessing.TypeVectorPolygon],
            )
        else:
            parameter = QgsProcessingParameterString(
                key, label, defaultValue=default, optional=True
            )
        help_text = f"{spec['help']} ({defaults.flag(key)})"
        self._add(parameter, help_text=help_text, advanced=spec["advanced"])

    def _add_float(self, key, description, table, *, minimum=None, maximum=None, **kwargs):
        parameter = QgsProcessingParameterNumber(
            key,
            self.tr(description),
            type=QgsProcessingParameterNumber.Double,
            defaultValue=table[key],
            optional=table[key] is None,
        )
        if minimum is not None:
            parameter.setMinimum(minimum)
        if maximum is not None:
            parameter.setMaximum(maximum)
        self._add(parameter, **kwargs)

    def _add_string(self, key, description, table, **kwargs) -> None:
        self._add(
            QgsProcessingParameterString(
                key, self.tr(description), defaultValue=table.get(key), optional=True
            ),
            **kwargs,
        )

    def _add_thresholds(self, table: dict) -> None:
        """QUANTILE and FAR: the two ways to threshold scores (set one)."""
        self._add_float(
            "QUANTILE",
            "Threshold: score quantile (e.g. 0.999)",
            table,
            minimum=0.0,
            maximum=1.0,
            help_text="Flag the pixels whose score is above this quantile of the valid "
            "pixels' scores (--quantile). Set this or the false-alarm rate, not both.",
        )
        self._add_float(
            "FAR",
            "Threshold: false-alarm rate (e.g. 0.001)",
            table,
            minimum=0.0,
            maximum=1.0,
            help_text="Flag this fraction of the valid pixels, the highest scores (--far). "
            "Set this or the quantile, not both.",
        )

    def _add_mask_out(self) -> None:
        """The optional mask written beside the scores (``detect`` and ``rx``)."""
        self._add(
            QgsProcessingParameterRasterDestination(
                "MASK_OUT", self.tr("Anomaly mask"), optional=True, createByDefault=False
            ),
            help_text="Also write a binary anomaly mask (uint8, 1 = anomaly) with the "
            "threshold QUANTILE or FAR (--mask-out).",
        )

    def _add_extra(self) -> None:
        self._add_string(
            EXTRA,
            "Additional command line options",
            {},
            help_text="Appended as they are to the superad-geo command, e.g. --workers 4.",
            advanced=True,
        )

    def checkParameterValues(self, parameters, context):
        ok, message = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, message
        if _is_set(parameters, "QUANTILE") and _is_set(parameters, "FAR"):
            return False, self.tr("Set either QUANTILE or FAR, not both.")
        return True, ""

    # -- command --------------------------------------------------------------

    def executable(self, executing: bool) -> str:
        """Return the executable's path; when previewing, its name if it is missing.

        Raises
        ------
        QgsProcessingException
            When ``executing`` and no executable is found; the message says how
            to install it.
        """
        try:
            return find_executable(configured_executable())
        except CommandError as exc:
            if executing:
                raise QgsProcessingException(str(exc)) from exc
            return EXECUTABLE_NAME

    def build_command(self, parameters, context, executing=True, feedback=None) -> list[str]:
        """Return the program and its arguments for ``parameters``.

        With ``executing=False`` nothing is written (a vector region of
        interest is not exported) and a missing executable is no error: the
        result is a preview to show the user.
        """
        raise NotImplementedError

    def _common_tail(self, parameters, context) -> list[str]:
        """Options every command gets: machine-readable progress, overwrite, extras."""
        # Processing asks before replacing an existing file: the CLI may overwrite.
        args = ["--progress", "json", "--overwrite"]
        extra = self.parameterAsString(parameters, EXTRA, context).strip()
        if extra:
            args += shlex.split(extra, posix=sys.platform != "win32")
        return args

    def _options(self, parameters, context, feedback, keys, executing) -> list[str]:
        """Return the flags for the option parameters ``keys``, in that order."""
        args: list[str] = []
        for key in keys:
            flag = defaults.flag(key)
            definition = self.parameterDefinition(key)
            if definition is None or not _is_set(parameters, key, definition):
                continue
            if isinstance(definition, QgsProcessingParameterBoolean):
                if self.parameterAsBoolean(parameters, key, context):
                    args.append(flag)
            elif isinstance(definition, QgsProcessingParameterEnum):
                args += [flag, self.parameterAsEnumString(parameters, key, context)]
            elif isinstance(definition, QgsProcessingParameterNumber):
                value = self.parameterAsDouble(parameters, key, context)
                # "--nodata=-9999" so that a negative value is not read as a flag
                args.append(f"{flag}={_number(value)}")
            elif isinstance(definition, QgsProcessingParameterMapLayer):
                layer = self.parameterAsLayer(parameters, key, context)
                if layer is not None:
                    args += [flag, self._layer_file(layer, context, feedback, executing)]
            elif isinstance(
                definition,
                (QgsProcessingParameterRasterDestination, QgsProcessingParameterVectorDestination),
            ):
                path = self._output(parameters, key, context)
                if path:
                    args += [flag, path]
            else:
                value = self.parameterAsString(parameters, key, context).strip()
                if value:
                    args += [flag, value]
        return args

    def _layer_file(self, layer, context, feedback, executing: bool) -> str:
        """Return a file the command line can read for ``layer`` (raster or polygons)."""
        if layer.type() == QgsMapLayerType.RasterLayer:
            return _raster_file(layer)
        parts = QgsProviderRegistry.instance().decodeUri(layer.providerType(), layer.source())
        path = parts.get("path") or ""
        single_layer_file = path.lower().endswith((".shp", ".geojson", ".json"))
        if (
            layer.providerType() == "ogr"
            and os.path.isfile(path)
            and not layer.subsetString()
            and (single_layer_file or not parts.get("layerName"))
        ):
            return path
        if not executing:
            return layer.source()
        # a layer in a multi-layer file, a filtered layer, a database or memory layer
        target = QgsProcessingUtils.generateTempFilename("roi.gpkg")
        options = QgsVectorFileWriter.SaveVectorOptions()
        options.driverName = "GPKG"
        error, message, _, _ = QgsVectorFileWriter.writeAsVectorFormatV3(
            layer, target, context.transformContext(), options
        )
        if error != QgsVectorFileWriter.NoError:
            raise QgsProcessingException(f"Could not export layer {layer.name()!r}: {message}")
        if feedback is not None:
            feedback.pushInfo(f"Region of interest exported to {target}")
        return target

    def processAlgorithm(self, parameters, context, feedback):
        if feedback is None:
            feedback = QgsProcessingFeedback()
        args = self.build_command(parameters, context, executing=True, feedback=feedback)
        feedback.pushCommandInfo(format_command(args))
        try:
            run_command(args, feedback)
        except CommandError as exc:
            raise QgsProcessingException(str(exc)) from exc
        style_outputs(context, self._output_paths, self.STYLES)
        # the paths build_command chose (a temporary output gets a new name per call)
        return dict(self._output_paths)
