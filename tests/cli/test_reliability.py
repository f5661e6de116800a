"""Regression tests of issue 14: no silent wrong result, no lost file, no hang.

Each test names the item of the issue it covers; docs/reliability.md maps
every class of bad input or fault to its test.
"""

from __future__ import annotations

import csv
import os

import numpy as np
import pytest
import rasterio


def _statuses(folder):
    with open(folder / "manifest.csv", newline="") as f:
        return {os.path.basename(r["scene"]): r for r in csv.DictReader(f)}


def _one_error_line(result) -> str:
    lines = [s for s in result.stderr.splitlines() if s.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


@pytest.fixture
def scene(tmp_path, helpers):
    cube, _ = helpers.make_cube(24, 28, 6, seed=1)
    return helpers.write_tif(tmp_path / "scene.tif", cube, nodata=-9999)


# --- 1. batch decides "already done" from the run's fingerprint ---------------------


def test_batch_reruns_only_with_the_same_fingerprint(run, tmp_path, helpers):
    archive = tmp_path / "archive"
    archive.mkdir()
    for i, name in enumerate(["a.tif", "b.tif"]):
        cube, _ = helpers.make_cube(24, 28, 6, seed=i)
        helpers.write_tif(archive / name, cube, nodata=-9999)
    out = tmp_path / "out"
    first = run("batch", archive, "--out-dir", out, "--method", "rx", "-q")
    assert first.exit_code == 0, first.stderr
    with rasterio.open(out / "a.tif") as ds:
        assert len(ds.tags()["SUPERAD_FINGERPRINT"]) == 32

    same = run("batch", archive, "--out-dir", out, "--method", "rx", "-q")
    assert same.exit_code == 0
    assert {r["status"] for r in _statuses(out).values()} == {"skipped"}

    # other options: every output is stale, refused without --overwrite
    other = run("batch", archive, "--out-dir", out, "--method", "rx", "--bands", "1-5", "-q")
    assert other.exit_code == 2, other.stderr
    rows = _statuses(out)
    assert {r["status"] for r in rows.values()} == {"stale"}
    assert "other input or options" in rows["a.tif"]["error"]
    assert '"bands": "1-5"' in rows["a.tif"]["parameters"]

    # an input replaced by other content under the same name
    cube, _ = helpers.make_cube(24, 28, 6, seed=7)
    helpers.write_tif(archive / "b.tif", cube, nodata=-9999)
    replaced = run("batch", archive, "--out-dir", out, "--method", "rx", "-q")
    assert replaced.exit_code == 2
    rows = _statuses(out)
    assert rows["a.tif"]["status"] == "skipped" and rows["b.tif"]["status"] == "stale"

    rerun = run("batch", archive, "--out-dir", out, "--method", "rx", "-q", "--overwrite")
    assert rerun.exit_code == 0
    rows = _statuses(out)
    assert rows["a.tif"]["status"] == "ok" and rows["b.tif"]["status"] == "rerun"
    assert run("batch", archive, "--out-dir", out, "--method", "rx", "-q").exit_code == 0
    assert {r["status"] for r in _statuses(out).values()} == {"skipped"}


def test_batch_refuses_a_file_it_did_not_make(run, tmp_path, scene):
    out = tmp_path / "out"
    out.mkdir()
    (out / "scene.tif").write_text("a user's notes")
    result = run("batch", scene, "--out-dir", out, "--method", "rx", "-q")
    assert result.exit_code == 2
    assert _statuses(out)["scene.tif"]["status"] == "stale"
    assert (out / "scene.tif").read_text() == "a user's notes"


# --- 6. never delete what we did not create -----------------------------------------


def test_work_folder_without_marker_is_refused_and_kept(run, tmp_path, scene):
    work = tmp_path / "s.tif.superad-work"
    work.mkdir()
    (work / "notes.txt").write_text("keep me")
    result = run("detect", scene, "-o", tmp_path / "s.tif", "--method", "rx", "-q")
    assert result.exit_code == 2
    assert "not made by superad-geo" in _one_error_line(result)
    assert (work / "notes.txt").read_text() == "keep me"
    assert not (tmp_path / "s.tif").exists()


def test_users_partial_file_is_never_touched(run, tmp_path, scene):
    partial = tmp_path / "s.tif.partial"
    partial.write_text("a user's file")
    for extra in ((), ("--overwrite",)):
        result = run("detect", scene, "-o", tmp_path / "s.tif", "--method", "rx", "-q", *extra)
        assert result.exit_code == 0, result.stderr
        assert partial.read_text() == "a user's file"
    assert not list(tmp_path.glob(".*partial"))


# --- 7. the output is never an input ------------------------------------------------


@pytest.mark.parametrize("how", ["same", "symlink"])
def test_output_equal_to_input_is_refused_even_with_overwrite(run, tmp_path, scene, how):
    target = scene
    if how == "symlink":
        target = tmp_path / "link.tif"
        target.symlink_to(scene)
    before = scene.read_bytes()
    result = run("detect", scene, "-o", target, "--method", "rx", "-q", "--overwrite")
    assert result.exit_code == 2
    assert "is the input" in _one_error_line(result)
    assert scene.read_bytes() == before


# --- 9. faults: truncated file, seed, disk full, work folder as a file --------------


def test_truncated_geotiff_names_the_file_and_block(run, tmp_path, scene):
    cog = tmp_path / "cog.tif"
    rasterio.shutil.copy(scene, cog, driver="COG", COMPRESS="DEFLATE", OVERVIEWS="NONE")
    data = cog.read_bytes()
    truncated = tmp_path / "truncated.tif"
    truncated.write_bytes(data[: len(data) * 2 // 3])
    result = run("detect", truncated, "-o", tmp_path / "s.tif", "--method", "rx", "-q")
    assert result.exit_code == 2
    line = _one_error_line(result)
    assert "truncated.tif" in line and "offset" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cog.tif", "scene.tif", "truncated.tif"]


def test_seed_out_of_range_is_refused_before_any_work(run, tmp_path, scene):
    result = run("detect", scene, "-o", tmp_path / "s.tif", "--seed", "99999999999999999999")
    assert result.exit_code == 2
    assert "--seed" in _one_error_line(result)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scene.tif"]


def test_disk_full_says_so_and_leaves_no_temporary_file(run, tmp_path, scene, monkeypatch):
    import errno

    import superad_geo.pipeline.resume as resume

    def full_disk(path, array):
        with open(path, "wb") as f:
            f.write(b"\x93NUMPY")  # a few bytes made it before the disk filled up
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(resume.np, "save", full_disk)
    result = run("detect", scene, "-o", tmp_path / "s.tif", "--method", "rx", "-q",
                 "--tile-size", "16")  # fmt: skip
    assert result.exit_code == 1
    assert "disk full" in _one_error_line(result)
    assert not list(tmp_path.rglob("*.tmp.npy"))
    assert not (tmp_path / "s.tif").exists()


@pytest.mark.parametrize("leftover", ["work-file", "partial-folder"])
def test_work_folder_that_is_a_file(run, tmp_path, scene, leftover):
    if leftover == "work-file":
        (tmp_path / "s.tif.superad-work").write_text("x")
    else:
        (tmp_path / "s.tif.partial").mkdir()
    result = run("detect", scene, "-o", tmp_path / "s.tif", "--method", "rx", "-q")
    if leftover == "work-file":
        assert result.exit_code == 2
        assert "is not a folder" in _one_error_line(result)
    else:  # the partial file has a name of its own: a folder of that name is in no way
        assert result.exit_code == 0, result.stderr
        assert (tmp_path / "s.tif.partial").is_dir()


# --- 10. exit statuses and one-line errors ------------------------------------------


def test_usage_error_is_one_line(run, tmp_path, scene):
    result = run("detect", scene, "-o", tmp_path / "s.tif", "--methd", "rx")
    assert result.exit_code == 2
    assert "--methd" in _one_error_line(result)
    debug = run("--debug", "detect", scene, "-o", tmp_path / "s.tif", "--methd", "rx")
    assert debug.exit_code == 2 and "Usage:" in debug.stderr


def test_interrupt_exits_130(run, tmp_path, scene, monkeypatch):
    import superad_geo.pipeline.api as api

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(api, "_score_tiles", interrupted)
    result = run("detect", scene, "-o", tmp_path / "s.tif", "--method", "rx", "-q")
    assert result.exit_code == 130
    assert result.stderr.strip() == "interrupted"


# --- 2. normalisation that cannot blow up -------------------------------------------


def test_constant_patch_does_not_blow_scores_up(run, tmp_path, helpers):
    """The issue's repro: half of the demo scene's top rows set to one spectrum."""
    from superad_geo.scene.synthetic import make_scene

    scene, truth = make_scene((128, 128), 60, seed=0)  # the demo scene
    cube = np.asarray(scene.values[:, :64], dtype=np.float32)
    truth = np.asarray(truth.values[:64])
    cube[:, :, :64] = cube[:, 0, 0][:, None, None]  # left half: one spectrum
    truth[:, :64] = 0
    flat = helpers.write_tif(tmp_path / "flat.tif", cube, nodata=-9999)
    scores = tmp_path / "scores.tif"
    result = run("detect", flat, "-o", scores, "--preset", "fast", "--steps", "5",
                 "--tile-size", "64", "--overlap", "16", "--progress", "none")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    mask = tmp_path / "mask.tif"
    assert run("threshold", scores, "-o", mask, "--far", "0.01", "-q").exit_code == 0
    with rasterio.open(scores) as ds, rasterio.open(mask) as m:
        z, flagged = ds.read(1), m.read(1) == 1
    assert np.nanmax(np.abs(z)) < 50  # was 2.3e5 with the MAD alone
    assert (flagged & (truth == 1)).any()  # the true anomalies are among the flagged
    assert "identical score: a constant patch" in result.stderr
