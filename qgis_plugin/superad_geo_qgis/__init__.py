"""QGIS plugin: the superad-geo Processing provider (Super-AD and RX anomaly detection).

QGIS calls :func:`classFactory` when it loads the plugin. The plugin never
imports ``superad_geo`` or ``torch``: its algorithms run the ``superad-geo``
command line of a separate environment as a child process.
"""


def classFactory(iface):
    """Return the plugin object QGIS asks for."""
    from .plugin import SuperadPlugin

    return SuperadPlugin(iface)
