"""An input's identity: the content of every file it is read from (issue 20)."""

from __future__ import annotations

import shutil

import numpy as np
import rasterio
from rasterio.transform import from_origin

from superad_geo.scene.identity import content_identity, input_files

VRT = """<VRTDataset rasterXSize="8" rasterYSize="4">
  <VRTRasterBand dataType="Float32" band="1">{sources}</VRTRasterBand>
</VRTDataset>"""
SOURCE = """<SimpleSource><SourceFilename relativeToVRT="1">{name}</SourceFilename>
  <SourceBand>1</SourceBand><SrcRect xOff="0" yOff="0" xSize="4" ySize="4" />
  <DstRect xOff="{x}" yOff="0" xSize="4" ySize="4" /></SimpleSource>"""


def _tile(path, value: float):
    with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32",
                       transform=from_origin(0, 4, 1, 1)) as ds:  # fmt: skip
        ds.write(np.full((1, 4, 4), value, np.float32))
    return path


def _vrt(path, *sources: tuple[str, int]):
    path.write_text(VRT.format(sources="".join(SOURCE.format(name=n, x=x) for n, x in sources)))
    return path


def test_a_vrt_is_its_sources_followed_into_the_vrts_among_them(tmp_path):
    _tile(tmp_path / "a.tif", 1.0)
    _tile(tmp_path / "b.tif", 2.0)
    inner = _vrt(tmp_path / "inner.vrt", ("a.tif", 0), ("b.tif", 4))
    outer = _vrt(tmp_path / "outer.vrt", ("inner.vrt", 0))
    names = [p.name for p in input_files(outer)]
    assert names == ["outer.vrt", "inner.vrt", "a.tif", "b.tif"]
    assert [p.name for p in input_files(inner)] == ["inner.vrt", "a.tif", "b.tif"]

    before = content_identity(outer)
    _tile(tmp_path / "b.tif", 3.0)  # a source two VRTs down
    assert content_identity(outer) != before


def test_the_identity_is_the_content_not_the_path(tmp_path):
    one = _tile(tmp_path / "one.tif", 1.0)
    copy = tmp_path / "elsewhere" / "copy.tif"
    copy.parent.mkdir()
    shutil.copy(one, copy)
    assert content_identity(copy) == content_identity(one)
    assert content_identity(copy)["files"] == 1
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 1  # one bit of one byte
    copy.write_bytes(bytes(data))
    assert content_identity(copy) != content_identity(one)


def test_a_gdal_dataset_name_is_its_files_content(tmp_path):
    import h5py
    from product_fixtures import make_emit

    path = make_emit(tmp_path / "emit.nc")
    name = f"netcdf:{path}:reflectance"
    before = content_identity(name)
    assert before["files"] == 1
    with h5py.File(path, "r+") as f:
        f["reflectance"][5, 5, 0] += 0.5
    assert content_identity(name) != before


def test_a_remote_input_is_identified_by_its_name():
    name = "/vsicurl/https://example.org/a.tif"
    assert content_identity(name) == name
    assert content_identity("s3://bucket/a.tif") == "s3://bucket/a.tif"


def test_a_sensor_geometry_scene_is_also_its_loc_file(tmp_path):
    from product_fixtures import make_airborne_line

    rdn, _, _ = make_airborne_line(tmp_path, np.linspace(1.0, 2.0, 6), rows=8, cols=6)
    names = [p.name for p in input_files(rdn)]
    assert names == ["AV3_line_rdn.img", "AV3_line_rdn.hdr", "AV3_line_loc.img", "AV3_line_loc.hdr"]
    before = content_identity(rdn)
    loc = tmp_path / "AV3_line_loc.img"
    with rasterio.open(loc, "r+") as ds:
        ds.write(ds.read(3) + 1.0, 3)  # the elevations
    assert content_identity(rdn) != before
