"""Every command on a table of broken rasters: a valid output, or one line and nothing new.

The contract of issue 14: each command either exits 0 and leaves a valid
output, or exits 2 with one ``Error:`` line on stderr (warnings aside) and
leaves no new file. Never a traceback, never exit 1 for bad input.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import rasterio
import rasterio.shutil
from affine import Affine

ROWS, COLS, BANDS = 24, 28, 6


def _plain(helpers):
    cube, _ = helpers.make_cube(ROWS, COLS, BANDS, seed=3)
    return cube


def _write(helpers, path: Path, cube: np.ndarray, **kwargs) -> Path:
    return helpers.write_tif(path, cube, **kwargs)


def _truncated(helpers, path: Path) -> Path:
    whole = _write(helpers, path.with_name("whole.tif"), _plain(helpers))
    rasterio.shutil.copy(whole, path, driver="COG", COMPRESS="DEFLATE", OVERVIEWS="NONE")
    whole.unlink()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    return path


def _with(values: Callable[[np.ndarray], np.ndarray], **kwargs):
    def make(helpers, path: Path) -> Path:
        return _write(helpers, path, values(_plain(helpers)), **kwargs)

    return make


def _set(cube: np.ndarray, index, value) -> np.ndarray:
    cube[index] = value
    return cube


#: name -> function(helpers, path) writing the broken raster at path.
BROKEN: dict[str, Callable[..., Path]] = {
    "control": _with(lambda c: c),
    "truncated": _truncated,
    "complex dtype": _with(lambda c: c.astype(np.complex64)),
    "uint8 dtype": _with(lambda c: (c * 200).astype(np.uint8)),
    "constant": _with(lambda c: np.full_like(c, 0.25)),
    "all zero": _with(lambda c: np.zeros_like(c)),
    "all nan": _with(lambda c: np.full_like(c, np.nan)),
    "nan and inf": _with(lambda c: _set(_set(c, (slice(None), 3, 3), np.nan), (1, 5, 5), np.inf)),
    "rotated": _with(lambda c: c, transform=Affine(30.0, 5.0, 364095.0, 5.0, -30.0, 5809965.0)),
    "no crs": _with(lambda c: c, crs=None),
    "geographic crs": _with(
        lambda c: c, crs="EPSG:4326", transform=Affine(0.001, 0, 13.0, 0, -0.001, 52.4)
    ),
    "one band": _with(lambda c: c[:1]),
    "3x3 pixels": _with(lambda c: c[:, :3, :3]),
    "not a raster": lambda helpers, path: (path.write_text("not a raster\n"), path)[1],
    "empty file": lambda helpers, path: (path.write_bytes(b""), path)[1],
}


def _check_output(path: Path, shape: tuple[int, int]) -> None:
    assert path.is_file(), f"exit 0 without {path.name}"
    if path.suffix == ".png":
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        return
    with rasterio.open(path) as ds:
        assert ds.count == 1 and (ds.height, ds.width) == shape
        ds.read(1)


def _commands(raster: Path, work: Path, truth: Path):
    """(name, arguments, output to check or None) for every command."""
    yield "detect rx", ["detect", raster, "-o", work / "s.tif", "--method", "rx", "-q"], "s.tif"
    yield "detect superad", ["detect", raster, "-o", work / "s.tif", "--preset", "fast",
                             "--steps", "2", "--tile-size", "16", "--overlap", "4",
                             "-q"], "s.tif"  # fmt: skip
    yield "batch", ["batch", raster, "--out-dir", work / "out", "--method", "rx", "-q"], None
    yield "threshold", ["threshold", raster, "-o", work / "m.tif", "--far", "0.1", "-q"], "m.tif"
    yield "evaluate", ["evaluate", raster, "--truth", truth, "--json"], None
    yield "quicklook", ["quicklook", raster, "-o", work / "q.png", "-q"], "q.png"
    yield "info", ["info", raster], None


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_every_command_keeps_the_contract(run, tmp_path, helpers, case):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    raster = BROKEN[case](helpers, inputs / "scene.tif")
    truth_map = np.zeros((ROWS, COLS), dtype=np.uint8)
    truth_map[5, 7] = 1
    truth = helpers.write_truth_tif(inputs / "truth.tif", truth_map)
    shape = (ROWS, COLS)
    if case not in ("truncated", "not a raster", "empty file"):
        with rasterio.open(raster) as ds:
            shape = (ds.height, ds.width)
    for name, args, output in _commands(raster, tmp_path / "work", truth):
        work = tmp_path / "work"
        work.mkdir()
        result = run(*args)
        assert result.exit_code in (0, 2), f"{case} / {name}: {result.exit_code} {result.stderr}"
        made = sorted(p.relative_to(work).as_posix() for p in work.rglob("*"))
        if result.exit_code == 0:
            if output is not None:
                _check_output(work / output, shape)
            if name == "batch":
                _check_output(work / "out" / "scene.tif", shape)
            if name in ("evaluate", "info"):
                assert result.stdout.strip()
        elif name == "batch":  # one line per failed scene in the manifest, no raster
            rows = list(csv.DictReader((work / "out" / "manifest.csv").open(newline="")))
            assert [r["status"] for r in rows] == ["failed"], f"{case}: {rows}"
            assert rows[0]["error"] and "\n" not in rows[0]["error"]
            assert set(made) == {"out", "out/manifest.csv"}, f"{case} / batch left {made}"
        else:
            errors = [s for s in result.stderr.splitlines() if s and not s.startswith("Warning:")]
            assert len(errors) == 1 and errors[0].startswith("Error: "), (
                f"{case} / {name}: {result.stderr}"
            )
            assert not made, f"{case} / {name} left {made}"
        for p in sorted(work.rglob("*"), reverse=True):
            p.rmdir() if p.is_dir() else p.unlink()
        work.rmdir()
