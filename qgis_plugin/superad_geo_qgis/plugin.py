"""The plugin object: registers the Super-AD provider with the Processing registry."""

from __future__ import annotations

from qgis.core import QgsApplication

from .provider import SuperadProvider


class SuperadPlugin:
    """Add the ``superad`` provider to Processing; remove it on unload.

    ``initProcessing`` is what ``qgis_process`` calls for plugins with
    ``hasProcessingProvider=yes``; the desktop calls ``initGui``.
    """

    def __init__(self, iface=None) -> None:
        self.iface = iface
        self.provider: SuperadProvider | None = None

    def initProcessing(self) -> None:
        """Create the provider and add it to the Processing registry (once)."""
        if self.provider is None:
            self.provider = SuperadProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self) -> None:
        """Called by the desktop application: the provider is all this plugin adds."""
        self.initProcessing()

    def unload(self) -> None:
        """Remove the provider when the plugin is disabled or reloaded."""
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
