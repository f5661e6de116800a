"""Scenes listed in a STAC Item or ItemCollection: one chosen asset per item.

Read with :mod:`pystac`. An ItemCollection as some APIs return it (a
``features`` list without ``"type": "FeatureCollection"``, as DLR's EnMAP
and DESIS search answers) is accepted. Relative asset hrefs are taken
relative to the JSON file; remote ones are read through GDAL's virtual file
systems (``https://`` → ``/vsicurl/https://``, ``s3://`` → ``/vsis3/``,
``gs://`` → ``/vsigs/``, ``az://`` → ``/vsiaz/``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from superad_geo.errors import InputError

_VSI = {
    "s3://": "/vsis3/",
    "gs://": "/vsigs/",
    "az://": "/vsiaz/",
}


_TIMES = ("datetime", "start_datetime", "end_datetime")


@dataclass(frozen=True)
class StacScene:
    """One item's chosen asset."""

    item_id: str
    href: str
    """The asset's absolute href, as the catalogue gives it."""
    path: str
    """What GDAL reads: a local path or a ``/vsi...`` path."""
    times: tuple[tuple[str, str], ...] = ()
    """The item's ``datetime``, ``start_datetime`` and ``end_datetime`` properties that are set."""


def stac_problem(path: str | os.PathLike) -> str | None:
    """Why a local ``.json`` file is not a STAC Item or a list of Items; None when it is one."""
    try:
        document = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        return f"is not readable JSON ({exc})"
    if not isinstance(document, dict):
        return "is JSON but neither a STAC Item nor an ItemCollection"
    if document.get("type") == "Feature" and "assets" in document:
        return None
    if isinstance(document.get("features"), list):
        return None
    if document.get("type") in ("Catalog", "Collection"):
        return (
            f"is a STAC {document['type']}, not an Item or ItemCollection: give its items "
            "(an ItemCollection, as a STAC API search answers) or one Item"
        )
    return "is JSON but neither a STAC Item nor an ItemCollection"


def is_stac(path: str | os.PathLike) -> bool:
    """True for a local ``.json`` file holding a STAC Item or a list of Items."""
    path = Path(path)
    return path.suffix.lower() == ".json" and path.is_file() and stac_problem(path) is None


def gdal_path(href: str) -> str:
    """The GDAL path of an asset href."""
    if href.startswith(("http://", "https://")):
        return "/vsicurl/" + href
    for prefix, vsi in _VSI.items():
        if href.startswith(prefix):
            return vsi + href[len(prefix) :]
    return href[len("file://") :] if href.startswith("file://") else href


def stac_scenes(path: str | os.PathLike, asset: str) -> list[StacScene]:
    """The ``asset`` of every item of a STAC Item or ItemCollection file, in file order.

    Raises
    ------
    InputError
        If the file is not STAC, or an item has no asset ``asset`` (the
        message lists the keys it has).
    """
    try:
        import pystac
    except ImportError as exc:  # pragma: no cover - pystac is a dependency
        raise InputError("reading STAC needs pystac: pip install pystac") from exc
    path = Path(path)
    try:
        document = json.loads(path.read_text())
        if document.get("type") == "Feature":
            items = [pystac.Item.from_dict(document)]
        else:
            items = [pystac.Item.from_dict(feature) for feature in document["features"]]
    except (OSError, ValueError, KeyError, TypeError, pystac.STACError) as exc:
        raise InputError(
            f"cannot read {str(path)!r} as a STAC Item or ItemCollection: {exc}"
        ) from exc
    scenes = []
    for item in items:
        if asset not in item.assets:
            raise InputError(
                f"STAC item {item.id!r} has no asset {asset!r}; its assets: "
                f"{', '.join(sorted(item.assets))}"
            )
        href = item.assets[asset].href
        if "://" not in href and not href.startswith("/"):
            href = str((path.parent / href).resolve())
        times = tuple((k, item.properties[k]) for k in _TIMES if item.properties.get(k))
        scenes.append(StacScene(item.id, href, gdal_path(href), times))
    return scenes


def write_result_item(scene: StacScene, output: str | os.PathLike) -> Path:
    """Write ``<output>.json``: a STAC Item of the score raster of ``scene``.

    Its id is ``<item id>-anomalies``, its geometry the raster's footprint
    (WGS 84), its times the source item's; the asset ``scores``
    (relative href) is the raster, and the properties hold the raster's run
    record (the ``SUPERAD_*`` tags) and a ``derived_from`` link to the
    source asset.
    """
    import pystac
    import rasterio
    from rasterio.warp import transform_geom

    output = Path(output)
    with rasterio.open(output) as ds:
        left, bottom, right, top = ds.bounds
        footprint = {
            "type": "Polygon",
            "coordinates": [
                [[left, bottom], [right, bottom], [right, top], [left, top], [left, bottom]]
            ],
        }
        if ds.crs is not None:
            footprint = transform_geom(ds.crs, "EPSG:4326", footprint)
        record = {k: v for k, v in ds.tags().items() if k.startswith("SUPERAD_")}
    ring = footprint["coordinates"][0]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    times = dict(scene.times)
    stamp = times.pop("datetime", None)
    item = pystac.Item(
        id=f"{scene.item_id}-anomalies",
        geometry=footprint,
        bbox=[min(xs), min(ys), max(xs), max(ys)],
        datetime=pystac.utils.str_to_datetime(stamp) if stamp else None,
        properties={**times, "superad:record": record},
    )
    item.add_asset(
        "scores",
        pystac.Asset(
            href=f"./{output.name}",
            media_type=pystac.MediaType.COG,
            roles=["data"],
            title="anomaly scores",
        ),
    )
    item.add_link(pystac.Link("derived_from", scene.href, title=scene.item_id))
    target = output.with_name(output.name + ".json")
    target.write_text(json.dumps(item.to_dict(include_self_link=False), indent=1))
    return target
