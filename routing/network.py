"""The run-time road network: one frozen dataclass of flat, read-only numpy arrays.

Units are fixed here once: travel times are integer **seconds**, lengths integer **metres**,
coordinates WGS84 degrees. Every network source (OSM file, osmnx place download, the synthetic
demo county) ends in a :class:`RoadNetwork`; it is saved and loaded as one ``.npz`` file.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import BinaryIO, Callable

import numpy as np

from routing.errors import NetworkFileError, NetworkValidationError

#: Road classes, most important first. ``road_class`` holds indices into this tuple.
ROAD_CLASSES: tuple[str, ...] = (
    "motorway",
    "trunk",
    "primary",
    "secondary",
    "tertiary",
    "unclassified",
    "residential",
    "living_street",
    "motorway_link",
    "trunk_link",
    "primary_link",
    "secondary_link",
    "tertiary_link",
    "road",
    "busway",
)
ROAD_CLASS_INDEX = {name: i for i, name in enumerate(ROAD_CLASSES)}

OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"
DESTATIS_ATTRIBUTION = (
    "Municipalities: © Statistisches Bundesamt (Destatis), GV-ISys; Zensus 2022, "
    "© Statistische Ämter des Bundes und der Länder (dl-de/by-2-0)"
)

FORMAT_VERSION = 1

_ARRAY_DTYPES = {
    "node_lon": np.float64,
    "node_lat": np.float64,
    "node_osm_id": np.int64,
    "indptr": np.int64,
    "head": np.int32,
    "travel_time_s": np.int32,
    "length_m": np.int32,
    "road_class": np.uint8,
    "geometry_indptr": np.int64,
    "geometry_lon": np.float64,
    "geometry_lat": np.float64,
}


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomically(path: Path, write: Callable[[BinaryIO], None]) -> Path:
    """Write ``path`` through ``write(handle)`` into a temporary file beside it, then rename it in
    place: readers never see a half-written file, and a failure leaves no file behind. The file
    gets the usual mode (``0666`` less the umask; ``mkstemp`` alone makes ``0600``)."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.chmod(tmp_name, 0o666 & ~_current_umask())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A directed road graph in CSR form.

    Edges leaving node ``u`` are ``indptr[u]:indptr[u+1]``; edge ``e`` goes to ``head[e]``
    and takes ``travel_time_s[e]`` seconds over ``length_m[e]`` metres. The shape points
    between an edge's end nodes (for drawing and navigation) are
    ``geometry_lon/lat[geometry_indptr[e]:geometry_indptr[e+1]]``.
    ``node_osm_id`` is the OSM node id, or -1 for nodes that OSM does not have (synthetic
    networks, points inserted to split long edges).
    """

    name: str
    source: str
    synthetic: bool
    node_lon: np.ndarray
    node_lat: np.ndarray
    node_osm_id: np.ndarray
    indptr: np.ndarray
    head: np.ndarray
    travel_time_s: np.ndarray
    length_m: np.ndarray
    road_class: np.ndarray
    geometry_indptr: np.ndarray
    geometry_lon: np.ndarray
    geometry_lat: np.ndarray
    #: share of the source graph's nodes that lie in the kept largest strongly connected component
    largest_component_share: float = 1.0
    attribution: str = OSM_ATTRIBUTION
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, dtype in _ARRAY_DTYPES.items():
            raw = getattr(self, name)
            try:
                with np.errstate(invalid="ignore", over="ignore"):
                    # always a private copy: the caller's arrays stay theirs, ours stay unchanged
                    value = np.array(raw, dtype=dtype, order="C", copy=True)
            except (TypeError, ValueError, OverflowError) as exc:
                raise NetworkValidationError(
                    f"{name} cannot be read as {np.dtype(dtype).name} numbers ({exc})"
                ) from exc
            source = np.asarray(raw)
            if (
                np.dtype(dtype).kind in "iu"
                and source.dtype.kind in "biuf"
                and source.shape == value.shape
                and not np.array_equal(value, source)
            ):
                raise NetworkValidationError(
                    f"{name} holds values that are not whole numbers in the range of {np.dtype(dtype).name}"
                )
            if value.ndim != 1:
                raise NetworkValidationError(f"{name} must be one-dimensional, got shape {value.shape}")
            value.flags.writeable = False
            object.__setattr__(self, name, value)
        self._validate()

    # ------------------------------------------------------------------ validation
    def _validate(self) -> None:
        n, m = self.node_count, self.edge_count
        if n == 0 or m == 0:
            raise NetworkValidationError("the network has no roads: it needs at least one node and one edge")
        for name in ("node_lat", "node_osm_id"):
            if len(getattr(self, name)) != n:
                raise NetworkValidationError(f"{name} has {len(getattr(self, name))} entries, node_lon has {n}")
        if len(self.indptr) != n + 1 or self.indptr[0] != 0 or self.indptr[-1] != m:
            raise NetworkValidationError(
                f"indptr must have {n + 1} entries starting at 0 and ending at the edge count {m}"
            )
        if np.any(np.diff(self.indptr) < 0):
            raise NetworkValidationError("indptr must be non-decreasing")
        for name in ("travel_time_s", "length_m", "road_class"):
            if len(getattr(self, name)) != m:
                raise NetworkValidationError(f"{name} has {len(getattr(self, name))} entries, head has {m}")
        if self.head.min() < 0 or self.head.max() >= n:
            raise NetworkValidationError(f"head must hold node indices in [0, {n})")
        if self.travel_time_s.min() < 1:
            raise NetworkValidationError("every edge needs a travel time of at least 1 second")
        if self.length_m.min() < 0:
            raise NetworkValidationError("edge lengths must not be negative")
        if self.road_class.max() >= len(ROAD_CLASSES):
            raise NetworkValidationError(f"road_class must index ROAD_CLASSES (0..{len(ROAD_CLASSES) - 1})")
        if not (np.all(np.abs(self.node_lat) <= 90) and np.all(np.abs(self.node_lon) <= 180)):
            raise NetworkValidationError("node coordinates must be WGS84 degrees (|lat| <= 90, |lon| <= 180)")
        g = self.geometry_indptr
        if len(g) != m + 1 or g[0] != 0 or g[-1] != len(self.geometry_lon) or np.any(np.diff(g) < 0):
            raise NetworkValidationError("geometry_indptr must have edge count + 1 non-decreasing entries")
        if len(self.geometry_lat) != len(self.geometry_lon):
            raise NetworkValidationError("geometry_lat and geometry_lon differ in length")

    # ------------------------------------------------------------------ derived facts
    @property
    def node_count(self) -> int:
        return len(self.node_lon)

    @property
    def edge_count(self) -> int:
        return len(self.head)

    def tail(self) -> np.ndarray:
        """The start node of every edge (the CSR row of each entry)."""
        return np.repeat(np.arange(self.node_count, dtype=np.int32), np.diff(self.indptr))

    def edge_index(self, from_node: int, to_node: int) -> int:
        """Index of the edge ``from_node -> to_node``; raises KeyError if there is none."""
        lo, hi = self.indptr[from_node], self.indptr[from_node + 1]
        hits = np.nonzero(self.head[lo:hi] == to_node)[0]
        if len(hits) == 0:
            raise KeyError(f"no edge from node {from_node} to node {to_node}")
        return int(lo + hits[0])

    def road_km(self) -> float:
        """Kilometres of road, counting a two-way road once (a one-way road once too)."""
        tail = self.tail().astype(np.int64)
        head = self.head.astype(np.int64)
        n = self.node_count
        forward = tail * n + head
        backward = head * n + tail
        has_reverse = np.isin(forward, backward)
        weights = np.where(has_reverse, 0.5, 1.0)
        return float((self.length_m * weights).sum() / 1000.0)

    def summary(self) -> dict:
        """Facts for ``ride-pool network info``: sizes, extent, classes, provenance."""
        counts = np.bincount(self.road_class, minlength=len(ROAD_CLASSES))
        km_by_class = np.bincount(self.road_class, weights=self.length_m, minlength=len(ROAD_CLASSES)) / 1000.0
        return {
            "name": self.name,
            "kind": "synthetic" if self.synthetic else "OSM",
            "synthetic": self.synthetic,
            "source": self.source,
            "nodes": self.node_count,
            "edges": self.edge_count,
            "road_km": round(self.road_km(), 1),
            "directed_edge_km": round(float(self.length_m.sum()) / 1000.0, 1),
            "bbox": {
                "min_lon": round(float(self.node_lon.min()), 6),
                "min_lat": round(float(self.node_lat.min()), 6),
                "max_lon": round(float(self.node_lon.max()), 6),
                "max_lat": round(float(self.node_lat.max()), 6),
            },
            "largest_component_share": round(float(self.largest_component_share), 4),
            "edges_by_road_class": {
                ROAD_CLASSES[i]: int(c) for i, c in enumerate(counts) if c > 0
            },
            "edge_km_by_road_class": {
                ROAD_CLASSES[i]: round(float(km_by_class[i]), 1) for i, c in enumerate(counts) if c > 0
            },
            "attribution": self.attribution,
            **({"extra": self.extra} if self.extra else {}),
        }

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> Path:
        """Write the network to one ``.npz`` file, atomically (no half-written file on failure)."""
        path = Path(path)
        if path.suffix != ".npz":
            raise NetworkFileError(f"{path}: network files must end in .npz")
        if not path.parent.exists():
            raise NetworkFileError(f"{path.parent}: output folder does not exist")
        meta = {
            "format_version": FORMAT_VERSION,
            "name": self.name,
            "source": self.source,
            "synthetic": self.synthetic,
            "largest_component_share": float(self.largest_component_share),
            "attribution": self.attribution,
            "extra": self.extra,
            "road_classes": list(ROAD_CLASSES),
        }
        arrays = {name: getattr(self, name) for name in _ARRAY_DTYPES}
        return write_atomically(path, lambda handle: np.savez_compressed(handle, meta=np.array(json.dumps(meta)),
                                                                         **arrays))

    @classmethod
    def load(cls, path: str | os.PathLike) -> "RoadNetwork":
        """Read a network written by :meth:`save`; a clear error for anything else."""
        path = Path(path)
        if not path.is_file():
            raise NetworkFileError(f"{path}: no such network file (build one with 'ride-pool network build')")
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                arrays = {name: data[name] for name in _ARRAY_DTYPES}
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError, TypeError, AttributeError) as exc:
            # TypeError/AttributeError: a plain .npy (one array, no archive) named .npz
            raise NetworkFileError(
                f"{path}: not a ride_pool network file ({exc}); build one with 'ride-pool network build'"
            ) from exc
        if not isinstance(meta, dict):
            raise NetworkFileError(
                f"{path}: not a ride_pool network file (no metadata); build one with 'ride-pool network build'"
            )
        if meta.get("format_version") != FORMAT_VERSION:
            raise NetworkFileError(
                f"{path}: network file format {meta.get('format_version')} is not supported "
                f"(expected {FORMAT_VERSION}); rebuild it with 'ride-pool network build'"
            )
        if meta.get("road_classes") != list(ROAD_CLASSES):
            raise NetworkFileError(
                f"{path}: written with other road classes; rebuild it with 'ride-pool network build'")
        try:
            return cls(
                name=str(meta["name"]),
                source=str(meta["source"]),
                synthetic=bool(meta["synthetic"]),
                largest_component_share=float(meta["largest_component_share"]),
                attribution=str(meta["attribution"]),
                extra=meta.get("extra") or {},
                **arrays,
            )
        except (KeyError, TypeError, ValueError) as exc:
            # NetworkValidationError is a ValueError: the arrays in the file do not fit together
            what = f"metadata field {exc} missing" if isinstance(exc, KeyError) else str(exc)
            raise NetworkFileError(
                f"{path}: damaged network file ({what}); rebuild it with 'ride-pool network build'"
            ) from exc

    def same_as(self, other: "RoadNetwork") -> bool:
        """True when both networks hold identical arrays and metadata."""
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if isinstance(a, np.ndarray):
                if a.dtype != b.dtype or not np.array_equal(a, b):
                    return False
            elif a != b:
                return False
        return True
