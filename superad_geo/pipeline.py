"""Scenes of any size: scene-wide statistics, overlapping tiles, seamless mosaic.

:func:`detect` scores a ``(band, y, x)`` DataArray and returns the ``(y, x)``
score DataArray on the same grid; :func:`detect_file` reads any GDAL raster
(or ``.mat`` cube) and writes a Cloud-Optimized GeoTIFF, resuming an
interrupted run from the finished tiles kept in ``<dst>.superad-work/``.

The steps:

1. open lazily, select bands (index or wavelength ranges, bad-band flags,
   optional water-vapour removal), mask nodata;
2. one pass over the scene's blocks gives the valid-pixel count, bands to
   drop (nodata everywhere), per-band fill values and the scaling
   ``(lo, hi)`` used by every tile;
3. each tile is read with a halo (receptive field plus two superpixel
   diameters), scored by the engine, cropped to its core and normalised by
   its background's median and MAD (:mod:`superad_geo.mosaic`);
4. cores are blended with smooth weights across their overlaps and written.

Execution: tiles run one at a time, or in ``workers`` local processes
(torch set to ``threads`` threads per tile), or on a ``dask.distributed``
cluster when ``scheduler``
is given (an address or a ``Client``); then inputs, outputs and the work
folder must be on storage every worker can reach. Memory is bounded by the
tile size and the number of workers, never by the scene.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import json
import math
import os
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import xarray as xr

from superad_geo.bands import select_bands
from superad_geo.errors import InputError
from superad_geo.io import open_scene, output_nodata, prepare_scene, read_roi
from superad_geo.mosaic import background_statistics, blend, normalise
from superad_geo.output import check_output, software_tags, write_cog, write_mask
from superad_geo.presets import PRESETS
from superad_geo.rx import rx_apply, rx_block_moments, rx_statistics
from superad_geo.scaling import SceneStatistics, scene_statistics
from superad_geo.tiling import Tile, Window, default_halo, tile_windows
from superad_geo.validity import fill_block, materialise, valid_pixels

#: Default tile size and overlap in pixels.
DEFAULT_TILE_SIZE = 512
DEFAULT_OVERLAP = 64

#: Rows of the mosaic assembled at a time when writing.
WRITE_ROWS = 512

#: Version of the work-folder layout; bump when tile files change meaning.
_WORK_FORMAT = 1

ProgressCallback = Callable[[int, int, str], None]
METHODS = ("superad", "rx")


@dataclass
class FileResult:
    """What :func:`detect_file` wrote.

    Attributes
    ----------
    path : pathlib.Path
        The score COG.
    mask_path : pathlib.Path or None
        The binary mask, when ``mask_out`` was given.
    threshold : float or None
        Score threshold of the mask.
    tiles : int
        Tiles in the grid.
    skipped : int
        Tiles without any valid pixel (not scored).
    resumed : int
        Tiles taken from an earlier, interrupted run.
    statistics : SceneStatistics
        Scene-wide statistics used.
    """

    path: Path
    mask_path: Path | None
    threshold: float | None
    tiles: int
    skipped: int
    resumed: int
    statistics: SceneStatistics


@dataclass
class _Run:
    """Everything fixed before tiles are processed."""

    scene: xr.DataArray  # (band, y, x), kept bands only
    roi: Any  # (y, x) bool numpy/dask array or None
    stats: SceneStatistics
    tiles: list[Tile]
    config: dict[str, Any]
    parameters: dict[str, Any]
    fingerprint: str
    done: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- execution


class _Executor:
    """Runs functions over items locally (threads) or on a dask.distributed client."""

    def __init__(self, scheduler: Any, workers: int) -> None:
        self.client = None
        self._own_client = False
        self.workers = max(1, int(workers))
        if scheduler is not None:
            try:
                from distributed import Client
            except ImportError as exc:  # pragma: no cover
                raise InputError("a scheduler needs the 'distributed' package") from exc
            if isinstance(scheduler, Client):
                self.client = scheduler
            else:
                try:
                    self.client = Client(scheduler, set_as_default=False)
                except OSError as exc:
                    raise InputError(
                        f"cannot reach the dask scheduler at {scheduler!r} ({exc}); "
                        "start it first or leave the scheduler unset to run locally"
                    ) from exc
                self._own_client = True
        self._processes: concurrent.futures.ProcessPoolExecutor | None = None
        self._pool = (
            concurrent.futures.ThreadPoolExecutor(self.workers)
            if self.client is None and self.workers > 1
            else None
        )

    @property
    def distributed(self) -> bool:
        return self.client is not None

    def ordered(self, func: Callable[..., Any], items: Sequence[tuple]) -> Iterator[Any]:
        """Yield ``func(*item)`` in the items' order."""
        if self.client is not None:
            futures = [self.client.submit(func, *item, pure=False) for item in items]
            try:
                for fut in futures:
                    yield fut.result()
            finally:
                for fut in futures:
                    fut.cancel()
        elif self._pool is not None:
            futures = [self._pool.submit(func, *item) for item in items]
            try:
                for fut in futures:
                    yield fut.result()
            finally:
                for fut in futures:
                    fut.cancel()
        else:
            for item in items:
                yield func(*item)

    def unordered(self, func: Callable[..., Any], items: Sequence[tuple]) -> Iterator[Any]:
        """Yield ``func(*item)`` as they finish (tile tasks).

        Locally with several workers, tasks run in worker *processes* (torch's
        global random generator, which seeds each tile's network, is not
        thread-safe), at most ``workers + 1`` at a time; their windows are
        read here, just before submission, so memory stays bounded.
        """
        if self.client is not None:
            from distributed import as_completed

            futures = [self.client.submit(func, *item, pure=False) for item in items]
            try:
                for fut in as_completed(futures):
                    yield fut.result()
            finally:
                for fut in futures:
                    fut.cancel()
        elif self.workers > 1:
            yield from self._in_processes(func, items)
        else:
            yield from _read_ahead(func, items)

    def _in_processes(self, func: Callable[..., Any], items: Sequence[tuple]) -> Iterator[Any]:
        import multiprocessing

        if self._processes is None:
            self._processes = concurrent.futures.ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn")
            )
        pool = self._processes
        queue = iter(items)
        pending: set[concurrent.futures.Future] = set()

        def submit_next() -> bool:
            item = next(queue, None)
            if item is None:
                return False
            # read the tile's window here: workers get plain arrays
            pending.add(pool.submit(func, *_read_windows(item)))
            return True

        try:
            for _ in range(self.workers + 1):
                if not submit_next():
                    break
            while pending:
                finished, _ = concurrent.futures.wait(
                    pending, return_when=concurrent.futures.FIRST_COMPLETED
                )
                for fut in finished:
                    pending.discard(fut)
                    yield fut.result()
                    submit_next()
        finally:
            for fut in pending:
                fut.cancel()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        if self._processes is not None:
            self._processes.shutdown(wait=True, cancel_futures=True)
        if self._own_client and self.client is not None:
            self.client.close()


def _read_windows(item: tuple) -> tuple:
    """``item`` with the lazy (dask) arrays in its tuples read into numpy."""
    return tuple(
        tuple(materialise(e) if hasattr(e, "compute") else e for e in v)
        if isinstance(v, tuple)
        else v
        for v in item
    )


def _read_ahead(func: Callable[..., Any], items: Sequence[tuple]) -> Iterator[Any]:
    """Yield ``func(*item)`` one at a time, reading the next item's windows meanwhile.

    Reading a tile (disk, decompression) overlaps the training of the one
    before it, so the engine is not kept waiting; one tile batch is read ahead
    at most.
    """
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="read-ahead") as reader:
        upcoming = reader.submit(_read_windows, items[0]) if items else None
        for index in range(len(items)):
            item = upcoming.result()
            if index + 1 < len(items):
                upcoming = reader.submit(_read_windows, items[index + 1])
            yield func(*item)


@contextlib.contextmanager
def _torch_threads(threads: int | None) -> Iterator[None]:
    if not threads:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(int(threads))
    try:
        yield
    finally:
        torch.set_num_threads(before)


# --------------------------------------------------------------------------- tile task


def _process_tiles(
    tiles: Sequence[Tile],
    cube_sources: Sequence[Any],
    roi_sources: Sequence[Any],
    config: Mapping[str, Any],
    out_dir: str | None,
    engine_progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Score a batch of tiles (one padded shape); save (or return) normalised core scores.

    Runs on a worker: reads each padded window, fills nodata, calls the
    engine (``score_cube``, or ``score_cubes`` for several tiles trained side
    by side) or RX, crops the cores, normalises each by its background and
    writes ``<out_dir>/<tile>.npy`` atomically (``.skip`` for a tile with no
    valid core pixel).
    """
    results: list[dict[str, Any]] = []
    work = []  # (result, filled cube, valid, core slices)
    for tile, cube_source, roi_source in zip(tiles, cube_sources, roi_sources, strict=True):
        cube = materialise(cube_source).astype(np.float32, copy=False)
        roi = None if roi_source is None else materialise(roi_source)
        valid = valid_pixels(cube, roi)
        rows, cols = tile.window.within(tile.padded)
        result: dict[str, Any] = {"name": tile.name, "skipped": False}
        results.append(result)
        if not valid[rows, cols].any():
            result["skipped"] = True
            if out_dir is not None:
                Path(out_dir, tile.name + ".skip").touch()
            continue
        filled = fill_block(cube, valid, np.asarray(config["fill"]))
        work.append((result, filled, valid, rows, cols))
    if not work:
        return results
    if config["method"] == "rx":
        maps = [rx_apply(filled, config["rx"], valid) for _, filled, valid, _, _ in work]
    else:
        import torch

        from superad_geo import training

        threads = config.get("threads")
        if threads and torch.get_num_threads() != threads:
            torch.set_num_threads(int(threads))
        common = {
            "preset": config["preset"],
            "steps": config["steps"],
            "seed": config["seed"],
            "device": config["device"],
            "scaling": (config["lo"], config["hi"]),
            "progress": engine_progress,
            **config["params"],
        }
        if len(work) == 1:
            maps = [training.score_cube(work[0][1], mask=work[0][2], **common)]
        else:
            maps = training.score_cubes([w[1] for w in work], masks=[w[2] for w in work], **common)
    for (result, _, valid, rows, cols), scores in zip(work, maps, strict=True):
        core = np.where(valid, scores, np.nan)[rows, cols]
        centre, spread = (0.0, 1.0) if config["method"] == "rx" else background_statistics(core)
        core = normalise(core, centre, spread)
        result.update(centre=centre, spread=spread, n_valid=int(valid[rows, cols].sum()))
        if out_dir is None:
            result["scores"] = core
            continue
        target = Path(out_dir, result["name"] + ".npy")
        tmp = target.with_name(f".{result['name']}.{os.getpid()}.tmp.npy")
        np.save(tmp, core)
        os.replace(tmp, target)
    return results


def automatic_batch_size(device: str, tile_pixels: int, bands: int) -> int:
    """Tiles to train side by side: 1 on the CPU, as many as fit half the free GPU memory.

    On the CPU batching does not pay (``docs/benchmarks.md``). On a GPU a tile
    needs about ``40·bands + 6000`` bytes per pixel during a training step
    (the CPU peak of ``benchmarks/engine.py`` at 512², with margin).
    """
    from superad_geo.devices import resolve_device

    resolved = resolve_device(device)
    if resolved.type != "cuda":
        return 1
    import torch

    free, _ = torch.cuda.mem_get_info(resolved)
    return int(max(1, min(64, free // 2 // (tile_pixels * (40 * bands + 6000)))))


def _batches(tiles: Sequence[Tile], batch_size: int) -> list[list[Tile]]:
    """Group tiles of one padded shape into batches of at most ``batch_size``, in order."""
    groups: dict[tuple[int, int], list[Tile]] = {}
    for tile in tiles:
        groups.setdefault((tile.padded.height, tile.padded.width), []).append(tile)
    batches = []
    for group in groups.values():
        for i in range(0, len(group), max(1, batch_size)):
            batches.append(group[i : i + max(1, batch_size)])
    return sorted(batches, key=lambda b: b[0].index)


# --------------------------------------------------------------------------- planning


def _superpixel_size(preset: str, params: Mapping[str, Any]) -> float | None:
    value = params.get("superpixel_size") or PRESETS.get(preset, {}).get("superpixel_size")
    return float(value) if value else None


def _default_threads(workers: int, distributed: bool) -> int:
    if distributed:
        return 1
    import torch

    return max(1, torch.get_num_threads() // max(1, workers))


def _blocks(scene: xr.DataArray, roi: Any) -> list[tuple[Any, Any]]:
    """All-band blocks of the scene (its spatial chunks) with matching ROI blocks."""
    data = scene.data
    if not isinstance(data, da.Array):  # pragma: no cover - prepare_scene makes dask
        data = da.from_array(data, chunks=(-1, 1024, 1024))
    if data.numblocks[0] != 1:
        data = data.rechunk({0: -1})
    row_edges = np.cumsum((0,) + data.chunks[1])
    col_edges = np.cumsum((0,) + data.chunks[2])
    out = []
    for r0, r1 in zip(row_edges[:-1], row_edges[1:], strict=True):
        for c0, c1 in zip(col_edges[:-1], col_edges[1:], strict=True):
            block = data[:, r0:r1, c0:c1]
            out.append((block, None if roi is None else roi[r0:r1, c0:c1]))
    return out


def _source_identity(src: Any, scene: xr.DataArray) -> dict[str, Any]:
    """What identifies the input for resuming (never written to output tags)."""
    ident: dict[str, Any] = {"name": str(scene.attrs.get("source", scene.name))}
    if isinstance(src, (str, os.PathLike)) and os.path.exists(os.fspath(src)):
        st = os.stat(os.fspath(src))
        ident.update(size=st.st_size, mtime_ns=st.st_mtime_ns)
    elif isinstance(scene.data, da.Array):
        ident["dask"] = scene.data.name
    return ident


def _plan(
    scene_or_src: Any,
    *,
    tile_size: int | Sequence[int],
    overlap: int | Sequence[int],
    halo: int | None,
    preset: str,
    steps: int | None,
    seed: int,
    device: str,
    bands: Any,
    drop_water_bands: bool,
    nodata: float | None,
    roi: Any,
    method: str,
    scaling: Any,
    threads: int,
    batch_size: int | None,
    params: Mapping[str, Any],
    executor: _Executor,
    progress: ProgressCallback | None,
    cached: Mapping[str, Any] | None = None,
) -> _Run:
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    if isinstance(scene_or_src, xr.DataArray):
        scene = prepare_scene(scene_or_src, nodata=nodata)
    else:
        scene = open_scene(scene_or_src, nodata=nodata)
    identity = _source_identity(scene_or_src, scene)
    scene = select_bands(scene, bands, drop_water_bands=drop_water_bands)
    rows, cols = scene.sizes["y"], scene.sizes["x"]
    roi_mask = read_roi(roi, scene) if roi is not None else None
    if scaling is None:
        preset_scaling = PRESETS.get(preset, {}).get("input_scaling", "minmax")
        scaling = "minmax" if method == "rx" else preset_scaling
    if halo is None:
        halo = default_halo(_superpixel_size(preset, params)) if method == "superad" else 0
    if method == "rx":
        overlap, halo = 0, 0
    transform = scene.rio.transform()
    parameters: dict[str, Any] = {
        "method": method,
        "tile_size": tile_size,
        "overlap": overlap,
        "halo": halo,
        "bands": bands if bands is None or isinstance(bands, str) else list(bands),
        "drop_water_bands": bool(drop_water_bands),
        "nodata": nodata,
        "roi": None
        if roi is None
        else (os.path.basename(os.fspath(roi)) if isinstance(roi, (str, os.PathLike)) else "array"),
        "scaling": scaling if isinstance(scaling, str) else [float(v) for v in scaling],
        "normalisation": "median-mad" if method == "superad" else "none",
    }
    if method == "superad":
        parameters.update(
            preset=preset,
            steps=steps,
            seed=seed,
            device=device,
            params=dict(params),
            threads=threads,
            batch_size=batch_size or "auto",
        )
    pre_key = {
        "format": _WORK_FORMAT,
        "source": identity,
        "shape": [int(v) for v in scene.shape],
        "band_numbers": [int(v) for v in scene["band"].values],
        "transform": list(transform)[:6],
        "parameters": parameters,
    }
    fingerprint = hashlib.sha256(
        json.dumps(pre_key, sort_keys=True, default=str).encode()
    ).hexdigest()[:20]
    blocks = _blocks(scene, roi_mask)
    if cached and cached.get("fingerprint") == fingerprint and "stats" in cached:
        stats = SceneStatistics.from_dict(cached["stats"])
    else:
        stats = scene_statistics(
            blocks,
            scene.sizes["band"],
            scaling=scaling,
            mapper=executor.ordered,
            progress=progress,
            nodata_declared=scene.rio.encoded_nodata is not None or scene.rio.nodata is not None,
        )
    keep = np.flatnonzero(stats.keep)
    if keep.size < scene.sizes["band"]:
        scene = scene.isel(band=keep)
        blocks = _blocks(scene, roi_mask)
    wavelengths = None
    if "wavelength" in scene.coords:
        wl = np.asarray(scene["wavelength"].values, dtype=float)
        if np.isfinite(wl).all():
            wavelengths = [float(v) for v in wl]
    config: dict[str, Any] = {
        "method": method,
        "fill": stats.fill[keep],
        "lo": stats.lo,
        "hi": stats.hi,
        "preset": preset,
        "steps": steps,
        "seed": seed,
        "device": device,
        "threads": threads,
        "batch_size": batch_size,
        "params": {**dict(params), **({"wavelengths": wavelengths} if wavelengths else {})},
    }
    if method == "rx":
        shift = np.asarray(stats.fill[keep], dtype=np.float64)
        items = [(b, r, config["fill"], shift) for b, r in blocks]
        moments = []
        for i, m in enumerate(executor.ordered(rx_block_moments, items)):
            moments.append(m)
            if progress is not None:
                progress(i + 1, len(items), "rx")
        config["rx"] = rx_statistics(moments, shift)
    parameters["scaling_range"] = [stats.lo, stats.hi]
    parameters["bands_used"] = int(keep.size)
    tiles = tile_windows((rows, cols), tile_size, overlap, halo=halo, transform=transform)
    if config["batch_size"] is None:
        largest = max(tile.padded.height * tile.padded.width for tile in tiles)
        config["batch_size"] = (
            automatic_batch_size(device, largest, int(keep.size)) if method == "superad" else 1
        )
    return _Run(scene, roi_mask, stats, tiles, config, parameters, fingerprint)


def _run_tiles(
    run: _Run,
    executor: _Executor,
    out_dir: str | None,
    progress: ProgressCallback | None,
) -> dict[str, Any]:
    """Process every tile not already finished; return in-memory results (if no out_dir)."""
    results: dict[str, Any] = {}
    todo = []
    for tile in run.tiles:
        if out_dir is not None and (
            Path(out_dir, tile.name + ".npy").exists()
            or Path(out_dir, tile.name + ".skip").exists()
        ):
            run.done[tile.name] = "resumed"
            continue
        todo.append(tile)
    total = len(run.tiles)
    done = total - len(todo)
    if progress is not None:
        progress(done, total, "tiles")
    data = run.scene.data
    engine_progress = None
    if progress is not None and not executor.distributed and executor.workers == 1 and total == 1:

        def engine_progress(step: int, steps: int) -> None:
            progress(step, steps, "training")

    items = []
    for batch in _batches(todo, run.config["batch_size"]):
        cubes = tuple(data[:, t.padded.rows, t.padded.cols] for t in batch)
        rois = tuple(
            None if run.roi is None else run.roi[t.padded.rows, t.padded.cols] for t in batch
        )
        items.append((tuple(batch), cubes, rois, run.config, out_dir, engine_progress))
    with _torch_threads(None if executor.distributed else run.config["threads"]):
        for batch_results in executor.unordered(_process_tiles, items):
            for result in batch_results:
                done += 1
                run.done[result["name"]] = "skipped" if result["skipped"] else "scored"
                if out_dir is None and not result["skipped"]:
                    results[result["name"]] = result["scores"]
                if progress is not None:
                    progress(done, total, "tiles")
    return results


def _read_manifest(work: Path) -> dict[str, Any] | None:
    """The manifest of an earlier run in ``work``, if any and readable."""
    path = work / "manifest.json"
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except (ValueError, OSError):
        return None


def _open_work(work: Path, run: _Run, cached: Mapping[str, Any] | None) -> str:
    """Make ``work`` hold this run's manifest (wiping other runs' tiles); return the tile dir."""
    if cached is None or cached.get("fingerprint") != run.fingerprint:
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        manifest = {"fingerprint": run.fingerprint, "stats": run.stats.to_dict()}
        tmp = work / ".manifest.tmp"
        tmp.write_text(json.dumps(manifest, sort_keys=True))
        os.replace(tmp, work / "manifest.json")
    tiles_dir = work / "tiles"
    tiles_dir.mkdir(exist_ok=True)
    return os.fspath(tiles_dir)


def _loader(out_dir: str | None, results: Mapping[str, Any]) -> Callable[[Tile], Any]:
    def load(tile: Tile) -> np.ndarray | None:
        if out_dir is None:
            return results.get(tile.name)
        path = Path(out_dir, tile.name + ".npy")
        return np.load(path, mmap_mode="r") if path.exists() else None

    return load


def _strips(
    run: _Run, load: Callable[[Tile], Any], nodata: float
) -> Iterator[tuple[Window, np.ndarray]]:
    rows, cols = run.scene.sizes["y"], run.scene.sizes["x"]
    for r0 in range(0, rows, WRITE_ROWS):
        window = Window(r0, 0, min(WRITE_ROWS, rows - r0), cols)
        block = blend(window, run.tiles, load)
        if not math.isnan(nodata):
            hit = np.isfinite(block) & (block == np.float32(nodata))
            block[hit] = np.nextafter(np.float32(nodata), np.float32(np.inf))
        yield window, block


def _score_tiles(
    source: Any,
    work: Path | None,
    *,
    scheduler: Any,
    workers: int,
    threads: int | None,
    progress: ProgressCallback | None,
    **plan_options: Any,
) -> tuple[_Run, str | None, dict[str, Any]]:
    """Plan the run and score every tile not finished yet (resuming from ``work``)."""
    cached = _read_manifest(work) if work is not None else None
    executor = _Executor(scheduler, workers)
    if threads is None:
        threads = _default_threads(workers, executor.distributed)
    try:
        run = _plan(
            source,
            threads=threads,
            executor=executor,
            progress=progress,
            cached=cached,
            **plan_options,
        )
        out_dir = _open_work(work, run, cached) if work is not None else None
        results = _run_tiles(run, executor, out_dir, progress)
    finally:
        executor.close()
    return run, out_dir, results


# --------------------------------------------------------------------------- public API


def detect(
    scene: xr.DataArray | str | os.PathLike,
    *,
    tile_size: int | Sequence[int] = DEFAULT_TILE_SIZE,
    overlap: int | Sequence[int] = DEFAULT_OVERLAP,
    halo: int | None = None,
    preset: str = "default",
    steps: int | None = None,
    seed: int = 0,
    device: str = "auto",
    bands: str | Sequence[int] | None = None,
    drop_water_bands: bool = False,
    nodata: float | None = None,
    roi: Any = None,
    method: str = "superad",
    scaling: str | tuple[float, float] | None = None,
    scheduler: Any = None,
    workers: int = 1,
    threads: int | None = None,
    batch_size: int | None = None,
    progress: ProgressCallback | None = None,
    work_dir: str | os.PathLike | None = None,
    **params: Any,
) -> xr.DataArray:
    """Detect anomalies in a scene of any size; return the score map.

    Parameters
    ----------
    scene : xarray.DataArray or path
        ``(band, y, x)`` scene (e.g. from :func:`superad_geo.open_scene`), or a
        path to open.
    tile_size : int or (int, int)
        Tile (core) size in pixels; a scene no larger is one tile.
    overlap : int or (int, int)
        Overlap of neighbouring cores in pixels, blended smoothly.
    halo : int, optional
        Context read around each tile and discarded after scoring; default
        ``20 + ceil(2 * sqrt(superpixel_size))`` (40 pixels by default).
    preset, steps, seed, device
        Engine settings (see :func:`superad_geo.score_cube`).
    bands : str or sequence of int, optional
        Band selection: ``"1-100,120-150"`` (1-based), ``"400-1300nm"``, ...
    drop_water_bands : bool
        Drop the 1.4 and 1.9 µm water-vapour bands (needs wavelengths).
    nodata : float, optional
        Raw nodata value, overriding the input's.
    roi : array or path, optional
        Region of interest: a ``(y, x)`` boolean array, a raster (non-zero
        inside) or a vector file (polygons); pixels outside are nodata.
    method : {"superad", "rx"}
        Super-AD, or the global RX baseline.
    scaling : {"minmax", "percentile"} or (float, float), optional
        Scene-wide input scaling; default the preset's (``"minmax"``).
    scheduler : str or distributed.Client, optional
        Run tiles on a dask.distributed cluster (address or client).
    workers : int
        Tiles processed at once locally (worker processes when above 1; the
        statistics pass uses as many threads).
    threads : int, optional
        Torch threads per tile task; default torch's thread count divided by
        ``workers`` locally, and 1 on a cluster. Results are bit-identical between runs with the
        same value.
    batch_size : int, optional
        Tiles of one shape trained side by side in one step, one network
        each (equal to one at a time to float tolerance); default
        :func:`automatic_batch_size`: 1 on the CPU, by free memory on a GPU.
    progress : callable, optional
        ``progress(done, total, stage)``; stages ``"scaling"``, ``"rx"``,
        ``"tiles"``, ``"training"`` (single tile, steps).
    work_dir : path, optional
        Keep finished tiles there, so that an interrupted call resumes (tiles
        of a run with other inputs or options are wiped); default in memory.
    **params
        Engine parameter overrides (``superpixel_size``, ``lr``, ...).

    Returns
    -------
    xarray.DataArray
        float32 ``(y, x)`` scores on the scene's grid (same CRS, transform and
        coordinates), NaN where the scene has no valid pixel; ``attrs`` hold the
        method and parameters. Super-AD scores are robust z-scores of the
        engine's scores (:func:`superad_geo.score_cube`: reconstruction error,
        local contrast, smoothing), tile background median 0, MAD-scaled
        spread 1.

    Raises
    ------
    SuperadGeoError
        Subclasses for unusable input (no valid pixel, bad band selection, ...).

    Examples
    --------
    >>> from superad_geo.synthetic import make_scene
    >>> scene, truth = make_scene((64, 64), 20)
    >>> scores = detect(scene, method="rx")
    >>> scores.dims, scores.shape
    (('y', 'x'), (64, 64))
    """
    work = Path(work_dir) if work_dir is not None else None
    run, out_dir, results = _score_tiles(
        scene,
        work,
        scheduler=scheduler,
        workers=workers,
        threads=threads,
        progress=progress,
        tile_size=tile_size,
        overlap=overlap,
        halo=halo,
        preset=preset,
        steps=steps,
        seed=seed,
        device=device,
        bands=bands,
        drop_water_bands=drop_water_bands,
        nodata=nodata,
        roi=roi,
        method=method,
        scaling=scaling,
        batch_size=batch_size,
        params=params,
    )
    load = _loader(out_dir, results)
    rows, cols = run.scene.sizes["y"], run.scene.sizes["x"]
    scores = np.empty((rows, cols), dtype=np.float32)
    for window, block in _strips(run, load, float("nan")):
        scores[window.rows, window.cols] = block
    out = xr.DataArray(
        scores,
        dims=("y", "x"),
        coords={"y": run.scene["y"].values, "x": run.scene["x"].values},
        name="score",
        attrs={
            "long_name": "anomaly score",
            "method": method,
            "parameters": json.dumps(run.parameters, sort_keys=True, default=str),
        },
    )
    if run.scene.rio.crs is not None:
        out = out.rio.write_crs(run.scene.rio.crs)
    out = out.rio.write_transform(run.scene.rio.transform())
    return out.rio.write_nodata(output_nodata(run.scene), encoded=True)


def detect_file(
    src: str | os.PathLike | xr.DataArray,
    dst: str | os.PathLike,
    *,
    tile_size: int | Sequence[int] = DEFAULT_TILE_SIZE,
    overlap: int | Sequence[int] = DEFAULT_OVERLAP,
    halo: int | None = None,
    preset: str = "default",
    steps: int | None = None,
    seed: int = 0,
    device: str = "auto",
    bands: str | Sequence[int] | None = None,
    drop_water_bands: bool = False,
    nodata: float | None = None,
    roi: Any = None,
    method: str = "superad",
    scaling: str | tuple[float, float] | None = None,
    scheduler: Any = None,
    workers: int = 1,
    threads: int | None = None,
    batch_size: int | None = None,
    progress: ProgressCallback | None = None,
    overwrite: bool = False,
    mask_out: str | os.PathLike | None = None,
    quantile: float | None = None,
    far: float | None = None,
    keep_work: bool = False,
    **params: Any,
) -> FileResult:
    """Detect anomalies in a raster file and write the score map as a COG.

    Takes the options of :func:`detect`, plus:

    Parameters
    ----------
    src : path or xarray.DataArray
        Any GDAL raster (GeoTIFF, ENVI, VRT, ``/vsis3/...``) or ``.mat`` cube.
    dst : path
        Output score raster: single-band float32 COG with the input's CRS,
        transform and nodata (NaN when the input has none), written atomically.
    overwrite : bool
        Replace existing outputs.
    mask_out : path, optional
        Also write a binary mask (1 anomaly, 0 background, 255 nodata) at the
        threshold given by ``quantile`` or ``far`` (default quantile 0.999).
    quantile, far : float, optional
        Threshold rule of the mask (see :mod:`superad_geo.threshold`).
    keep_work : bool
        Keep ``<dst>.superad-work/`` after success (it is removed by default).

    Finished tiles are kept in ``<dst>.superad-work/`` while running: rerun
    the same command after an interruption and it resumes, giving the same
    pixel values as an uninterrupted run. With a distributed ``scheduler``,
    ``src``, ``dst`` and that folder must be reachable by every worker.

    Returns
    -------
    FileResult

    Raises
    ------
    OutputError
        If ``dst`` (or ``mask_out``) exists and ``overwrite`` is false.
    SuperadGeoError
        Subclasses for unusable input.
    """
    dst = check_output(dst, overwrite=overwrite)
    if mask_out is not None:
        check_output(mask_out, overwrite=overwrite)
        if quantile is None and far is None:
            quantile = 0.999
    elif quantile is not None or far is not None:
        raise InputError("quantile/far set a mask threshold; give mask_out as well")
    work = Path(os.fspath(dst) + ".superad-work")
    run, tiles_dir, _ = _score_tiles(
        src,
        work,
        scheduler=scheduler,
        workers=workers,
        threads=threads,
        progress=progress,
        tile_size=tile_size,
        overlap=overlap,
        halo=halo,
        preset=preset,
        steps=steps,
        seed=seed,
        device=device,
        bands=bands,
        drop_water_bands=drop_water_bands,
        nodata=nodata,
        roi=roi,
        method=method,
        scaling=scaling,
        batch_size=batch_size,
        params=params,
    )
    nodata_out = output_nodata(run.scene)
    load = _loader(tiles_dir, {})
    tags = software_tags(
        method, {**run.parameters, "source": str(run.scene.attrs.get("source", ""))}
    )

    def strips() -> Iterator[tuple[Window, np.ndarray]]:
        total = math.ceil(run.scene.sizes["y"] / WRITE_ROWS)
        for i, (window, block) in enumerate(_strips(run, load, nodata_out)):
            if not math.isnan(nodata_out):
                block = np.where(np.isnan(block), np.float32(nodata_out), block)
            yield window, block
            if progress is not None:
                progress(i + 1, total, "writing")

    write_cog(
        dst,
        strips(),
        shape=(run.scene.sizes["y"], run.scene.sizes["x"]),
        transform=run.scene.rio.transform(),
        crs=run.scene.rio.crs,
        nodata=nodata_out,
        tags=tags,
        overwrite=True,
        work_dir=work,
    )
    mask_path, threshold = None, None
    if mask_out is not None:
        if progress is not None:
            progress(0, 1, "mask")
        mask_path, threshold = write_mask(
            dst, mask_out, quantile=quantile, far=far, overwrite=overwrite
        )
        if progress is not None:
            progress(1, 1, "mask")
    counts = list(run.done.values())
    if not keep_work:
        shutil.rmtree(work, ignore_errors=True)
    return FileResult(
        path=dst,
        mask_path=mask_path,
        threshold=threshold,
        tiles=len(run.tiles),
        skipped=sum(1 for c in counts if c == "skipped"),
        resumed=sum(1 for c in counts if c == "resumed"),
        statistics=run.stats,
    )


__all__ = ["DEFAULT_OVERLAP", "DEFAULT_TILE_SIZE", "FileResult", "detect", "detect_file"]
