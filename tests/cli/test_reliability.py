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
    bare = run()  # the group alone: its help, as click shows it
    assert "Commands:" in bare.stderr


def test_interrupt_exits_130(run, tmp_path, scene, monkeypatch):
    import superad_geo.pipeline.api as api

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(api, "score_tiles", interrupted)
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
    # the background stays bounded: was 2.3e5 with the MAD alone (true anomalies may score more)
    assert np.nanmax(np.abs(z[truth == 0])) < 50
    assert (flagged & (truth == 1)).any()  # the true anomalies are among the flagged
    assert "identical spectrum: a constant patch" in result.stderr


# --- 3. axis order is refused, not reinterpreted ------------------------------------


def test_mat_cube_stored_bands_first_is_refused(run, tmp_path, helpers):
    import scipy.io

    cube, truth = helpers.make_cube(40, 44, 12)  # (bands, y, x)
    with_map = tmp_path / "with_map.mat"
    scipy.io.savemat(with_map, {"data": cube, "map": truth})
    result = run("detect", with_map, "-o", tmp_path / "s.tif", "--method", "rx", "-q")
    assert result.exit_code == 2
    assert "'map' is 40x44 (bands, y, x)?" in _one_error_line(result)

    square, _ = helpers.make_cube(30, 30, 12)  # 12 x 30 x 30 and no map: ambiguous
    no_map = tmp_path / "no_map.mat"
    scipy.io.savemat(no_map, {"data": square})
    result = run("detect", no_map, "-o", tmp_path / "s.tif", "--method", "rx", "-q")
    assert result.exit_code == 2
    assert "may be bands x rows x cols" in _one_error_line(result)
    assert not (tmp_path / "s.tif").exists()


# --- 4. evaluate checks the grid even when the truth has no CRS ---------------------


def test_evaluate_refuses_a_truth_placed_elsewhere(run, tmp_path, helpers, scene):
    from rasterio.transform import from_origin

    scores = tmp_path / "scores.tif"
    assert run("detect", scene, "-o", scores, "--method", "rx", "-q").exit_code == 0
    truth = np.zeros((24, 28), dtype=np.uint8)
    truth[3, 4] = 1
    elsewhere = tmp_path / "elsewhere.tif"
    with rasterio.open(
        elsewhere, "w", driver="GTiff", width=28, height=24, count=1, dtype="uint8",
        transform=from_origin(500000.0, 4000000.0, 30.0, 30.0),
    ) as ds:  # fmt: skip
        ds.write(truth, 1)  # no CRS, another place
    result = run("evaluate", scores, "--truth", elsewhere)
    assert result.exit_code == 2
    assert "not the same CRS/transform" in _one_error_line(result)

    plain = tmp_path / "plain.mat"  # no georeferencing at all, beside georeferenced scores
    import scipy.io

    scipy.io.savemat(plain, {"map": truth})
    result = run("evaluate", scores, "--truth", plain)
    assert result.exit_code == 2
    assert "has no georeferencing" in _one_error_line(result)

    here = helpers.write_truth_tif(tmp_path / "here.tif", truth)
    assert run("evaluate", scores, "--truth", here, "--json").exit_code == 0


def test_evaluate_blames_all_nan_scores(run, tmp_path, helpers):
    nan_scores = helpers.write_tif(tmp_path / "nan.tif", np.full((1, 24, 28), np.nan, np.float32))
    truth = np.zeros((24, 28), dtype=np.uint8)
    truth[3, 4] = 1
    here = helpers.write_truth_tif(tmp_path / "here.tif", truth)
    result = run("evaluate", nan_scores, "--truth", here)
    assert result.exit_code == 2
    assert "scores" in _one_error_line(result) and "no valid pixel" in result.stderr


# --- 5. smaller silent results ------------------------------------------------------


def test_threshold_refuses_a_multiband_raster(run, tmp_path, scene):
    result = run("threshold", scene, "-o", tmp_path / "mask.tif", "--far", "0.01")
    assert result.exit_code == 2
    assert "has 6 bands" in _one_error_line(result)
    assert not (tmp_path / "mask.tif").exists()


def test_geotiff_output_named_png_is_refused(run, tmp_path, scene):
    result = run("detect", scene, "-o", tmp_path / "s.png", "--method", "rx", "-q")
    assert result.exit_code == 2
    assert "give a .tif name" in _one_error_line(result)
    scores = tmp_path / "s.tif"
    assert run("detect", scene, "-o", scores, "--method", "rx", "-q").exit_code == 0
    result = run("threshold", scores, "-o", tmp_path / "m.png", "--far", "0.01")
    assert result.exit_code == 2 and "give a .tif name" in _one_error_line(result)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.tif", "scene.tif"]


def test_band_range_beyond_the_scene_is_refused(run, tmp_path, helpers):
    cube, _ = helpers.make_cube(24, 28, 20)
    path = helpers.write_tif(tmp_path / "b20.tif", cube)
    result = run("detect", path, "-o", tmp_path / "s.tif", "--method", "rx", "--bands", "15-40")
    assert result.exit_code == 2
    assert "beyond the scene's bands 1-20" in _one_error_line(result)
    assert run("detect", path, "-o", tmp_path / "s.tif", "--method", "rx", "--bands", "15-20",
               "-q").exit_code == 0  # fmt: skip


# --- 8. a scheduler address that is not a dask scheduler ---------------------------


class _HTTPServer:
    """An HTTP server on a local port (not a dask scheduler) that notes each connection."""

    def __init__(self) -> None:
        import http.server
        import threading

        self.connected = threading.Event()
        outer = self

        class Server(http.server.ThreadingHTTPServer):
            def verify_request(self, request, client_address) -> bool:
                outer.connected.set()
                return True

        class Quiet(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

        self.server = Server(("127.0.0.1", 0), Quiet)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.address = f"127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def http_server():
    """An HTTP server on 127.0.0.1 for the duration of a test; stops itself."""
    server = _HTTPServer()
    yield server
    server.stop()


def test_scheduler_address_needs_a_dask_scheme(run, tmp_path, scene, http_server):
    for address in (f"http://{http_server.address}", http_server.address, "tcp://"):
        result = run("detect", scene, "-o", tmp_path / "s.tif", "--scheduler", address)
        assert result.exit_code == 2
        assert "not a dask scheduler address" in _one_error_line(result)


@pytest.mark.parametrize("command", ["detect", "batch"])
def test_scheduler_that_does_not_answer_times_out(run, tmp_path, scene, http_server, command):
    import time

    pytest.importorskip("distributed")
    out = ["-o", tmp_path / "s.tif"] if command == "detect" else ["--out-dir", tmp_path / "out"]
    start = time.monotonic()
    address = f"tcp://{http_server.address}"
    result = run(command, scene, *out, "--method", "rx", "-q", "--scheduler", address,
                 env={"SUPERAD_GEO_SCHEDULER_TIMEOUT": "2"})  # fmt: skip
    assert time.monotonic() - start < 30
    assert result.exit_code == 2
    assert "no dask scheduler answered" in _one_error_line(result)
    assert not (tmp_path / "s.tif").exists() and not (tmp_path / "s.tif.superad-work").exists()


def test_ctrl_c_while_waiting_for_a_scheduler_terminates(tmp_path, scene, http_server):
    import signal
    import subprocess
    import sys
    import time

    pytest.importorskip("distributed")
    code = "from superad_geo_cli.main import cli; cli()"
    args = ["detect", str(scene), "-o", str(tmp_path / "s.tif"), "--method", "rx",
            "--scheduler", f"tcp://{http_server.address}"]  # fmt: skip
    env = {**os.environ, "SUPERAD_GEO_SCHEDULER_TIMEOUT": "300", "OMP_NUM_THREADS": "1"}
    # as typed at a terminal: a background job (pytest started with `&`, as by some CI
    # runners) ignores SIGINT, the child would inherit that, and Python then leaves it ignored
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env=env,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert http_server.connected.wait(120), "the command never connected"
    time.sleep(1)  # now waiting on the handshake
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 130, err.decode()[-2000:]
    assert err.decode().strip().splitlines()[-1] == "interrupted"


# --- 10. stray NaN warn as the help promises ----------------------------------------


@pytest.mark.parametrize("nodata", [None, -9999.0])
def test_stray_nan_warns(run, tmp_path, helpers, nodata):
    cube, _ = helpers.make_cube(24, 28, 6)
    if nodata is None:
        cube[:, 3, 3] = np.nan  # no nodata declared: any NaN is stray
    else:
        cube[:, :2, :] = nodata  # declared nodata: no warning for it ...
        cube[2, 5, 5] = np.nan  # ... but for a NaN inside a valid pixel
    path = helpers.write_tif(tmp_path / "nan.tif", cube, nodata=nodata)
    result = run("detect", path, "-o", tmp_path / "s.tif", "--method", "rx")
    assert result.exit_code == 0, result.stderr
    assert "NaN or infinite values; they are treated as nodata" in result.stderr
    clean, _ = helpers.make_cube(24, 28, 6)
    clean[:, :2, :] = -9999.0
    path = helpers.write_tif(tmp_path / "clean.tif", clean, nodata=-9999.0)
    result = run("detect", path, "-o", tmp_path / "c.tif", "--method", "rx")
    assert result.exit_code == 0 and "Warning" not in result.stderr
