"""Small, structure-faithful product files made at test time from the public specifications.

EMIT L2A RFL (EMIT product user guide / data product specification) and
PRISMA L2D (PRISMA product specification document): only the items the
readers use, with the names, groups, dimension order, types and attributes
of the real products. Values are synthetic. EnMAP L2A product folders are
made from a real Potsdam tile (:func:`make_enmap_product`).
"""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import h5py
import numpy as np
import rasterio
from click.testing import CliRunner

from superad_geo_cli.main import cli

WGS84_WKT = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
    'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433],AUTHORITY["EPSG","4326"]]'
)
EMIT_GEOTRANSFORM = (-119.8, 0.000542232520256, 0.0, 36.9, 0.0, -0.000542232520256)


def _scales(f: h5py.File, sizes: dict[str, int]) -> None:
    """NetCDF-4 dimensions without coordinate variables (as netCDF-C writes them)."""
    for name, n in sizes.items():
        f.create_dataset(name, shape=(n,), dtype="f4")
        f[name].make_scale(f"This is a netCDF dimension but not a netCDF variable.{n:10d}")


def _attach(item: h5py.Dataset, f: h5py.File, *dims: str) -> None:
    for i, dim in enumerate(dims):
        item.dims[i].attach_scale(f[dim])


def emit_glt(rows: int, cols: int, angle_deg: float = 20.0) -> tuple[np.ndarray, np.ndarray]:
    """GLT of a swath rotated by ``angle_deg`` on a north-up grid (1-based, 0 = no pixel)."""
    theta = np.deg2rad(angle_deg)
    size = int(np.ceil(rows * abs(np.cos(theta)) + cols * abs(np.sin(theta)))) + 2
    yy, xx = np.mgrid[0:size, 0:size] - (size - 1) / 2
    down = np.rint(yy * np.cos(theta) - xx * np.sin(theta) + (rows - 1) / 2).astype(int)
    cross = np.rint(yy * np.sin(theta) + xx * np.cos(theta) + (cols - 1) / 2).astype(int)
    inside = (down >= 0) & (down < rows) & (cross >= 0) & (cross < cols)
    return np.where(inside, cross + 1, 0).astype("i4"), np.where(inside, down + 1, 0).astype("i4")


def make_emit(path: Path, rows: int = 24, cols: int = 20, bands: int = 8, seed: int = 0) -> Path:
    """An EMIT L2A RFL NetCDF-4: swath reflectance, band parameters, GLT, map-grid georeference."""
    rng = np.random.default_rng(seed)
    glt_x, glt_y = emit_glt(rows, cols)
    reflectance = rng.uniform(0.02, 0.6, size=(rows, cols, bands)).astype("f4")
    reflectance[0, :3, :] = -9999.0  # fill at the swath edge
    with h5py.File(path, "w") as f:
        _scales(
            f,
            {
                "downtrack": rows,
                "crosstrack": cols,
                "bands": bands,
                "ortho_y": glt_x.shape[0],
                "ortho_x": glt_x.shape[1],
            },
        )
        item = f.create_dataset("reflectance", data=reflectance, fillvalue=np.float32(-9999))
        item.attrs["_FillValue"] = np.float32(-9999)
        item.attrs["units"] = "unitless"
        _attach(item, f, "downtrack", "crosstrack", "bands")
        params = f.create_group("sensor_band_parameters")
        good = np.ones(bands, dtype="u1")
        good[bands // 2] = 0
        for name, values in (
            ("wavelengths", np.linspace(381.0, 2493.0, bands).astype("f4")),
            ("fwhm", np.full(bands, 8.5, dtype="f4")),
            ("good_wavelengths", good),
        ):
            params[name] = values
            _attach(params[name], f, "bands")
        location = f.create_group("location")
        for name, values in (("glt_x", glt_x), ("glt_y", glt_y)):
            location[name] = values
            _attach(location[name], f, "ortho_y", "ortho_x")
        for name, values in (
            ("lat", np.full((rows, cols), 36.89)),
            ("lon", np.full((rows, cols), -119.79)),
        ):
            location[name] = values
            _attach(location[name], f, "downtrack", "crosstrack")
        f.attrs["title"] = "EMIT L2A Estimated Surface Reflectance 60 m V001"
        f.attrs["geotransform"] = np.array(EMIT_GEOTRANSFORM)
        f.attrs["spatial_ref"] = WGS84_WKT
    return path


PRISMA_SWATH = "HDFEOS/SWATHS/PRS_L2D_HCO"
PRISMA_UL = (500015.0, 4200015.0)  # centre of the upper-left pixel, UTM 33N


def make_prisma(
    path: Path, lines: int = 20, samples: int = 24, seed: int = 0, north_up: bool = True
) -> Path:
    """A PRISMA L2D HE5: uint16 VNIR/SWIR cubes (line, band, sample), band lists, scaling, grid."""
    rng = np.random.default_rng(seed)
    vnir_cw = np.array([0.0, 980.0, 850.0, 660.0, 550.0, 450.0])  # long to short, one unused
    swir_cw = np.array([2450.0, 2200.0, 1650.0, 1400.0, 1100.0, 0.0, 0.0])
    with h5py.File(path, "w") as f:
        fields = f.create_group(f"{PRISMA_SWATH}/Data Fields")
        for name, cw in (("VNIR", vnir_cw), ("SWIR", swir_cw)):
            cube = rng.integers(1000, 40000, size=(lines, cw.size, samples), dtype=np.uint16)
            cube[:, cw == 0, :] = 0
            fields.create_dataset(f"{name}_Cube", data=cube, chunks=(lines, 1, samples))
        fields["VNIR_Cube"][0, :, :2] = 0  # fill outside the footprint
        fields["SWIR_Cube"][0, :, :2] = 0
        geo = f.create_group(f"{PRISMA_SWATH}/Geolocation Fields")
        rows = np.arange(lines)[:, None] if north_up else -np.arange(lines)[:, None]
        geo["Latitude"] = (37.9 - 0.00027 * rows - 0.00001 * np.arange(samples)).astype("f4")
        geo["Longitude"] = (15.0 + 0.00034 * np.arange(samples) + 0 * rows).astype("f4")
        attrs = f.attrs
        attrs["Processing_Level"] = "2D"
        attrs["Product_ID"] = "PRS_L2D_STD"
        for key, cw in (("Vnir", vnir_cw), ("Swir", swir_cw)):
            attrs[f"List_Cw_{key}"] = cw.astype("f4")
            attrs[f"List_Fwhm_{key}"] = np.where(cw > 0, 11.5, 0.0).astype("f4")
            attrs[f"List_Cw_{key}_Flags"] = (cw > 0).astype("i1")
        attrs["L2ScaleVnirMin"], attrs["L2ScaleVnirMax"] = np.float32(0.0), np.float32(1.0)
        attrs["L2ScaleSwirMin"], attrs["L2ScaleSwirMax"] = np.float32(0.0), np.float32(0.8)
        attrs["Epsg_Code"] = np.int32(32633)
        attrs["Product_ULcorner_easting"] = np.float32(PRISMA_UL[0])
        attrs["Product_ULcorner_northing"] = np.float32(PRISMA_UL[1])
        attrs["Product_LRcorner_easting"] = np.float32(PRISMA_UL[0] + 30.0 * (samples - 1))
        attrs["Product_LRcorner_northing"] = np.float32(PRISMA_UL[1] - 30.0 * (lines - 1))
    return path


#: UTM zone 11N position of the shared AVIRIS-3 spectrum's pixel (-115.383286 E, 35.551781 N).
AVIRIS3_UTM = ("EPSG:32611", 646537.04, 3935438.50)


def make_airborne_line(
    folder: Path, spectrum: np.ndarray, *, rows: int = 30, cols: int = 24, seed: int = 0
) -> tuple[Path, tuple[int, int], np.ndarray]:
    """A sensor-geometry radiance line in the AVIRIS-3 L1B layout, around a real spectrum.

    ``<name>_rdn.img`` (ENVI, float32, BSQ: the spectrum scaled by a smooth
    field, with noise and one pixel of the reversed spectrum) and
    ``<name>_loc.img`` (ENVI, float64: longitude, latitude, elevation of
    each pixel centre): 5 m pixels on a line flown on a heading of 30°, no
    map info.

    Returns
    -------
    rdn path, (row, col) of the anomalous pixel, its (easting, northing) in
    :data:`AVIRIS3_UTM`'s CRS.
    """
    from rasterio.warp import transform as warp_transform

    rng = np.random.default_rng(seed)
    bands = spectrum.size
    r, c = np.mgrid[0:rows, 0:cols].astype(np.float64)
    field = 0.8 + 0.2 * np.sin(r / 7.0) * np.cos(c / 5.0)
    cube = spectrum[:, None, None] * field[None] * (1 + rng.normal(0, 0.01, (bands, rows, cols)))
    anomaly = (rows // 2 + 1, cols // 3)
    cube[:, anomaly[0], anomaly[1]] = spectrum[::-1]
    heading = np.radians(30.0)  # along-track direction, clockwise from north
    crs, east0, north0 = AVIRIS3_UTM
    along, across = -5.0 * r, 5.0 * c  # lines run backwards along the heading, samples across
    east = east0 + along * np.sin(heading) + across * np.cos(heading)
    north = north0 + along * np.cos(heading) - across * np.sin(heading)
    lon, lat = warp_transform(crs, "EPSG:4326", east.ravel(), north.ravel())
    loc = np.stack([np.reshape(lon, (rows, cols)), np.reshape(lat, (rows, cols))])
    loc = np.concatenate([loc, np.full((1, rows, cols), 790.0)])
    rdn, loc_path = folder / "AV3_line_rdn.img", folder / "AV3_line_loc.img"
    for path, data in ((rdn, cube.astype(np.float32)), (loc_path, loc)):
        with rasterio.open(path, "w", driver="ENVI", width=cols, height=rows,
                           count=data.shape[0], dtype=data.dtype) as ds:  # fmt: skip
            ds.write(data)
    return rdn, anomaly, np.array([east[anomaly], north[anomaly]])


def info_and_rx(path: Path, out: Path) -> str:
    """Run ``superad-geo info`` and ``detect --method rx -o out`` on ``path``; info's output."""
    runner = CliRunner()
    info = runner.invoke(cli, ["info", str(path)])
    assert info.exit_code == 0, info.output
    result = runner.invoke(cli, ["detect", str(path), "-o", str(out), "--method", "rx"])
    assert result.exit_code == 0, result.output
    return info.output


def enmap_metadata_xml(wavelength, fwhm, gain) -> bytes:
    """A METADATA.XML with the product's band characterisation (other sections left out)."""
    root = ElementTree.Element("level_X")
    ElementTree.SubElement(ElementTree.SubElement(root, "base"), "format").text = "GeoTIFF"
    characterisation = ElementTree.SubElement(
        ElementTree.SubElement(root, "specific"), "bandCharacterisation"
    )
    for i, (w, f) in enumerate(zip(wavelength, fwhm, strict=True), start=1):
        band = ElementTree.SubElement(characterisation, "bandID", number=str(i))
        for tag, value in (
            ("wavelengthCenterOfBand", w),
            ("FWHMOfBand", f),
            ("GainOfBand", gain),
            ("OffsetOfBand", 0.0),
        ):
            ElementTree.SubElement(band, tag).text = repr(float(value))
    return ElementTree.tostring(root, xml_declaration=True, encoding="UTF-8")


def make_enmap_product(parent: Path, tile: Path, name: str, gain: float = 1e-4) -> Path:
    """``<parent>/<name>/``: an int16 SPECTRAL_IMAGE (no band tags, no scale) of a real EnMAP
    tile, its METADATA.XML with the tile's wavelengths and FWHM, and a quality layer."""
    folder = parent / name
    folder.mkdir()
    with rasterio.open(tile) as src:
        wavelength = [float(src.tags(i)["wavelength"]) for i in range(1, src.count + 1)]
        fwhm = [float(src.tags(i)["fwhm"]) for i in range(1, src.count + 1)]
        profile = {**src.profile, "dtype": "int16", "driver": "GTiff"}
        data = src.read().astype(np.int16)
    with rasterio.open(folder / f"{name}-SPECTRAL_IMAGE.TIF", "w", **profile) as out:
        out.write(data)
    (folder / f"{name}-METADATA.XML").write_bytes(enmap_metadata_xml(wavelength, fwhm, gain))
    (folder / f"{name}-QL_QUALITY_CLOUD.TIF").write_bytes(b"")  # other layers are ignored
    return folder
