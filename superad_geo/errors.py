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


class AmbiguousInputError(InputError):
    """The input can be read more than one way (several datasets, unnamed axes); choose one."""


class DependencyError(SuperadGeoError):
    """An optional dependency this command needs is missing (the message names the extra)."""


def causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and the exceptions it was raised from or during, outermost first."""
    chain: list[BaseException] = []
    while exc is not None and exc not in chain:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain


def unreadable_block(exc: BaseException) -> InputError | None:
    """The one-line :class:`InputError` for a raster block GDAL could not read, if ``exc`` is one.

    GDAL's own line names the file, band and block ("scene.tif, band 1:
    IReadBlock failed at X offset 0, Y offset 2"); rasterio raises it as the
    cause of a bare "Read failed".
    """
    chain = causes(exc)
    if not any(type(e).__name__ == "RasterioIOError" and "Read failed" in str(e) for e in chain):
        return None
    details = [str(e) for e in chain if "IReadBlock failed" in str(e)] or [str(chain[-1])]
    return InputError(f"cannot read {details[0]} (truncated or corrupt file)")
