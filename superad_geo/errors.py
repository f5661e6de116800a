"""Exceptions raised by superad-geo.

Every error a user can fix derives from :class:`SuperadGeoError`; the command
line turns these into one clear line and exit status 2.
"""


class SuperadGeoError(Exception):
    """Base class of the errors a user can fix by changing the input.

    Messages speak in the API's terms; ``option``, when set, names the
    keyword of :func:`superad_geo.detect` (or of the writer) that fixes the
    error, so that the command line can name its flag.
    """

    def __init__(self, message: str = "", *, option: str | None = None) -> None:
        super().__init__(message)
        self.option = option


class InputError(SuperadGeoError):
    """The input file or array cannot be used (missing, unreadable, wrong shape)."""


class OptionError(InputError, ValueError):
    """An option is invalid (unknown method, preset or engine parameter, bad value)."""


class TilingError(SuperadGeoError, ValueError):
    """Tile size, overlap and halo do not make a tiling (e.g. overlap ≥ tile size)."""


class NoValidPixelsError(SuperadGeoError):
    """The scene (or its region of interest) has no valid pixel."""


class BandSelectionError(SuperadGeoError):
    """A band specification is malformed or selects no band."""


class DeviceError(SuperadGeoError):
    """The requested compute device is not available."""


class OutputError(SuperadGeoError):
    """The output cannot be written (exists, folder missing, not writable)."""
