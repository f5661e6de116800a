"""The ``superad`` Processing provider: lists the algorithms, holds the executable setting."""

from __future__ import annotations

import os

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtGui import QIcon

from .algorithms import DetectAlgorithm, RxAlgorithm, ThresholdAlgorithm
from .runner import EXECUTABLE_SETTING

ICON_PATH = os.path.join(os.path.dirname(__file__), "icon.png")


def _plugin_version() -> str:
    """Return ``version`` from ``metadata.txt``."""
    path = os.path.join(os.path.dirname(__file__), "metadata.txt")
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("version="):
                return line.split("=", 1)[1].strip()
    return "unknown"


class SuperadProvider(QgsProcessingProvider):
    """Super-AD and RX anomaly detection, run through the ``superad-geo`` command line."""

    def load(self) -> bool:
        """Register the provider's setting in Processing > Options, then the algorithms."""
        try:
            from processing.core.ProcessingConfig import ProcessingConfig, Setting
        except ImportError:  # Processing plugin absent: the setting is still read from QgsSettings
            pass
        else:
            ProcessingConfig.settingIcons[self.name()] = self.icon()
            ProcessingConfig.addSetting(
                Setting(
                    self.name(),
                    EXECUTABLE_SETTING,
                    self.tr("superad-geo executable (empty: look it up on PATH)"),
                    "",
                    valuetype=Setting.FILE,
                )
            )
            ProcessingConfig.readSettings()
        self.refreshAlgorithms()
        return True

    def unload(self) -> None:
        """Remove the setting added by :meth:`load`."""
        try:
            from processing.core.ProcessingConfig import ProcessingConfig
        except ImportError:
            return
        if EXECUTABLE_SETTING in ProcessingConfig.settings:
            ProcessingConfig.removeSetting(EXECUTABLE_SETTING)

    def loadAlgorithms(self) -> None:
        """Add the three algorithms, each named explicitly."""
        self.addAlgorithm(DetectAlgorithm())
        self.addAlgorithm(RxAlgorithm())
        self.addAlgorithm(ThresholdAlgorithm())

    def id(self) -> str:
        return "superad"

    def name(self) -> str:
        return "Super-AD"

    def longName(self) -> str:
        return self.tr("Super-AD hyperspectral anomaly detection (plugin {})").format(
            _plugin_version()
        )

    def icon(self) -> QIcon:
        return QIcon(ICON_PATH)

    def svgIconPath(self) -> str:
        return ICON_PATH

    def supportsNonFileBasedOutput(self) -> bool:
        return False

    def supportedOutputRasterLayerExtensions(self) -> list[str]:
        return ["tif"]

    def defaultRasterFileExtension(self) -> str:
        return "tif"

    def supportedOutputVectorLayerExtensions(self) -> list[str]:
        return ["gpkg", "geojson", "fgb"]

    def defaultVectorFileExtension(self, hasGeometry: bool = True) -> str:
        return "gpkg"

    def tr(self, text: str) -> str:
        return QCoreApplication.translate("SuperadProvider", text)
