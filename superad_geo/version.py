"""The version of superad-geo (``superad_geo.__version__``), in a module that imports nothing."""

__version__ = "0.1.0"
