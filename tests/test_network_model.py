"""RoadNetwork: validation, read-only arrays, .npz persistence (round trip, atomic save, bad files)."""

from __future__ import annotations

import dataclasses
import json
import zipfile

import numpy as np
import pytest

from routing.errors import NetworkFileError, NetworkValidationError, RoutingInputError
from routing.network import FORMAT_VERSION, ROAD_CLASS_INDEX, ROAD_CLASSES, RoadNetwork


def triangle_arrays(**changes) -> dict:
    """A tiny valid network: three nodes, every pair joined both ways; one edge has a shape point."""
    arrays = dict(
        name="triangle",
        source="test",
        synthetic=True,
        node_lon=np.array([11.0, 11.01, 11.0]),
        node_lat=np.array([50.0, 50.0, 50.01]),
        node_osm_id=np.array([10, 11, -1]),
        indptr=np.array([0, 2, 4, 6]),
        head=np.array([1, 2, 0, 2, 0, 1]),
        travel_time_s=np.array([60, 90, 60, 80, 90, 80]),
        length_m=np.array([716, 1112, 716, 1300, 1112, 1300]),
        road_class=np.array([ROAD_CLASS_INDEX["residential"]] * 4 + [ROAD_CLASS_INDEX["tertiary"]] * 2),
        geometry_indptr=np.array([0, 1, 1, 1, 1, 1, 1]),
        geometry_lon=np.array([11.005]),
        geometry_lat=np.array([50.0005]),
        largest_component_share=0.75,
        extra={"note": "hand-made", "count": 3},
    )
    arrays.update(changes)
    return arrays


def triangle(**changes) -> RoadNetwork:
    return RoadNetwork(**triangle_arrays(**changes))


def test_valid_network_has_the_documented_dtypes_and_facts():
    net = triangle()
    assert net.node_count == 3 and net.edge_count == 6
    assert net.indptr.dtype == np.int64 and net.head.dtype == np.int32
    assert net.travel_time_s.dtype == np.int32 and net.length_m.dtype == np.int32
    assert net.road_class.dtype == np.uint8
    assert net.node_lon.dtype == np.float64 and net.node_osm_id.dtype == np.int64
    assert net.tail().tolist() == [0, 0, 1, 1, 2, 2]
    assert net.edge_index(1, 2) == 3
    with pytest.raises(KeyError):
        net.edge_index(0, 0)
    # every road is two-way, so each counts once
    assert net.road_km() == pytest.approx((716 + 1112 + 1300) / 1000)
    summary = net.summary()
    assert summary["nodes"] == 3 and summary["edges"] == 6
    assert summary["kind"] == "synthetic" and summary["synthetic"] is True
    assert summary["bbox"] == {"min_lon": 11.0, "min_lat": 50.0, "max_lon": 11.01, "max_lat": 50.01}
    assert summary["largest_component_share"] == 0.75
    assert summary["edges_by_road_class"] == {"tertiary": 2, "residential": 4}
    json.dumps(summary)  # the CLI prints it as JSON


def test_one_way_road_counts_once_in_road_km():
    net = triangle(
        indptr=np.array([0, 1, 2, 3]), head=np.array([1, 2, 0]), travel_time_s=np.array([60, 80, 90]),
        length_m=np.array([700, 1300, 1100]), road_class=np.zeros(3), geometry_indptr=np.zeros(4),
        geometry_lon=np.zeros(0), geometry_lat=np.zeros(0),
    )
    assert net.road_km() == pytest.approx(3.1)


def test_arrays_are_read_only_and_private_copies():
    head = np.array([1, 2, 0, 2, 0, 1], dtype=np.int32)
    net = triangle(head=head)
    for f in dataclasses.fields(net):
        value = getattr(net, f.name)
        if isinstance(value, np.ndarray):
            assert not value.flags.writeable, f.name
            assert value.flags.c_contiguous, f.name
    with pytest.raises(ValueError):
        net.head[0] = 2
    with pytest.raises(ValueError):
        net.travel_time_s[:] = 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        net.name = "other"  # type: ignore[misc]
    # the caller's array stays writeable and changing it does not change the network
    head[0] = 2
    assert net.head[0] == 1


BAD_NETWORKS = [
    ("node_lat", {"node_lat": np.array([50.0, 50.0])}, "node_lat has 2 entries"),
    ("node_osm_id", {"node_osm_id": np.array([1, 2, 3, 4])}, "node_osm_id has 4 entries"),
    ("indptr length", {"indptr": np.array([0, 2, 6])}, "indptr must have 4 entries"),
    ("indptr end", {"indptr": np.array([0, 2, 4, 5])}, "ending at the edge count 6"),
    ("indptr order", {"indptr": np.array([0, 4, 2, 6])}, "indptr must be non-decreasing"),
    ("head range", {"head": np.array([1, 2, 0, 2, 0, 3])}, "head must hold node indices in [0, 3)"),
    ("negative head", {"head": np.array([1, 2, 0, 2, 0, -1])}, "head must hold node indices"),
    ("zero time", {"travel_time_s": np.array([60, 0, 60, 80, 90, 80])}, "at least 1 second"),
    ("time count", {"travel_time_s": np.array([60, 90, 60])}, "travel_time_s has 3 entries"),
    ("fractional time", {"travel_time_s": np.array([60.5, 90, 60, 80, 90, 80])}, "whole numbers"),
    ("nan time", {"travel_time_s": np.array([np.nan, 90, 60, 80, 90, 80])}, "whole numbers"),
    ("huge head", {"head": np.array([2**40, 2, 0, 2, 0, 1])}, "range of int32"),
    ("negative length", {"length_m": np.array([716, -1, 716, 1300, 1112, 1300])}, "must not be negative"),
    ("road class", {"road_class": np.array([0, 0, 0, 0, 0, len(ROAD_CLASSES)])}, "road_class must index"),
    ("negative road class", {"road_class": np.array([0, 0, 0, 0, 0, -1])}, "range of uint8"),
    ("latitude", {"node_lat": np.array([50.0, 95.0, 50.0])}, "WGS84"),
    ("nan longitude", {"node_lon": np.array([11.0, np.nan, 11.0])}, "WGS84"),
    ("geometry indptr", {"geometry_indptr": np.array([0, 1, 1])}, "geometry_indptr"),
    ("geometry end", {"geometry_indptr": np.array([0, 1, 1, 1, 1, 1, 2])}, "geometry_indptr"),
    ("geometry lat", {"geometry_lat": np.array([50.0, 50.1])}, "geometry_lat and geometry_lon differ"),
    ("two-dimensional", {"head": np.array([[1, 2, 0], [2, 0, 1]])}, "one-dimensional"),
    ("not numbers", {"head": np.array(["a", "b", "c", "d", "e", "f"])}, "head cannot be read as int32"),
    ("no nodes", {"node_lon": np.zeros(0), "node_lat": np.zeros(0), "node_osm_id": np.zeros(0)}, "no roads"),
    (
        "no edges",
        {"indptr": np.zeros(4), "head": np.zeros(0), "travel_time_s": np.zeros(0), "length_m": np.zeros(0),
         "road_class": np.zeros(0), "geometry_indptr": np.zeros(1), "geometry_lon": np.zeros(0),
         "geometry_lat": np.zeros(0)},
        "no roads",
    ),
]


@pytest.mark.parametrize("changes,message", [b[1:] for b in BAD_NETWORKS], ids=[b[0] for b in BAD_NETWORKS])
def test_bad_arrays_give_a_clear_validation_error(changes, message):
    with pytest.raises(NetworkValidationError) as info:
        triangle(**changes)
    assert message in str(info.value)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, RoutingInputError) and isinstance(info.value, ValueError)


def test_save_load_round_trip(tmp_path):
    net = triangle()
    path = net.save(tmp_path / "triangle.npz")
    assert path == tmp_path / "triangle.npz"
    loaded = RoadNetwork.load(path)
    assert loaded.same_as(net) and net.same_as(loaded)
    assert loaded.extra == {"note": "hand-made", "count": 3}
    assert not loaded.head.flags.writeable
    assert sorted(p.name for p in tmp_path.iterdir()) == ["triangle.npz"]  # no temporary file left


def test_saved_file_gets_the_usual_permissions(tmp_path):
    import os

    mask = os.umask(0o022)
    try:
        path = triangle().save(tmp_path / "triangle.npz")
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o644  # not the 0600 of a temporary file


def test_same_as_notices_differences():
    net = triangle()
    assert net.same_as(triangle())
    assert not net.same_as(triangle(name="other"))
    assert not net.same_as(triangle(synthetic=False))
    assert not net.same_as(triangle(travel_time_s=np.array([61, 90, 60, 80, 90, 80])))
    assert not net.same_as(triangle(geometry_lon=np.array([11.006])))
    assert not net.same_as(triangle(extra={}))


def test_save_rejects_bad_paths_and_writes_nothing(tmp_path):
    net = triangle()
    with pytest.raises(NetworkFileError, match=r"must end in \.npz"):
        net.save(tmp_path / "triangle.zip")
    with pytest.raises(NetworkFileError, match="output folder does not exist"):
        net.save(tmp_path / "missing" / "triangle.npz")
    assert list(tmp_path.iterdir()) == []


def _failing_savez(handle, **arrays):
    handle.write(b"PK\x03\x04 half a zip file")
    raise OSError(28, "No space left on device")


def test_save_is_atomic_no_file_left_on_failure(tmp_path, monkeypatch):
    monkeypatch.setattr(np, "savez_compressed", _failing_savez)
    with pytest.raises(OSError, match="No space left"):
        triangle().save(tmp_path / "triangle.npz")
    assert list(tmp_path.iterdir()) == []


def test_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    old = triangle(name="old")
    path = old.save(tmp_path / "net.npz")
    monkeypatch.setattr(np, "savez_compressed", _failing_savez)
    with pytest.raises(OSError):
        triangle(name="new").save(path)
    monkeypatch.undo()
    assert RoadNetwork.load(path).same_as(old)
    assert [p.name for p in tmp_path.iterdir()] == ["net.npz"]


def _write_variant(path, mutate):
    """Save the triangle, then rewrite the archive with ``mutate(dict_of_arrays)`` applied."""
    triangle().save(path)
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    mutate(arrays)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def _set_meta(arrays, **changes):
    meta = json.loads(str(arrays["meta"]))
    for key, value in changes.items():
        if value is None:
            meta.pop(key)
        else:
            meta[key] = value
    arrays["meta"] = np.array(json.dumps(meta))


BAD_FILES = {
    "text": lambda p: p.write_text("this is not a network\n"),
    "empty": lambda p: p.write_bytes(b""),
    "random bytes": lambda p: p.write_bytes(np.random.default_rng(1).bytes(4000)),
    "truncated": lambda p: (triangle().save(p), p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])),
    "plain npy": lambda p: p.write_bytes(_npy_bytes()),
    "zip of junk": lambda p: zipfile.ZipFile(p, "w").writestr("meta.npy", b"garbage"),
    "other npz": lambda p: np.savez(p, a=np.arange(3)),
    "no arrays": lambda p: _write_variant(p, lambda a: a.pop("head")),
    "meta not json": lambda p: _write_variant(p, lambda a: a.update(meta=np.array("{not json"))),
    "meta a list": lambda p: _write_variant(p, lambda a: a.update(meta=np.array("[1, 2]"))),
    "old format": lambda p: _write_variant(p, lambda a: _set_meta(a, format_version=FORMAT_VERSION + 1)),
    "other classes": lambda p: _write_variant(p, lambda a: _set_meta(a, road_classes=["motorway"])),
    "meta without name": lambda p: _write_variant(p, lambda a: _set_meta(a, name=None)),
    "inconsistent arrays": lambda p: _write_variant(p, lambda a: a.update(head=a["head"][:3])),
}


def _npy_bytes() -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.arange(5))
    return buffer.getvalue()


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_loading_a_bad_file_gives_network_file_error(tmp_path, kind):
    path = tmp_path / "bad.npz"
    BAD_FILES[kind](path)
    with pytest.raises(NetworkFileError) as info:
        RoadNetwork.load(path)
    message = str(info.value)
    assert str(path) in message
    assert "ride-pool network build" in message


def test_loading_a_missing_file(tmp_path):
    with pytest.raises(NetworkFileError, match="no such network file"):
        RoadNetwork.load(tmp_path / "missing.npz")
    with pytest.raises(NetworkFileError, match="no such network file"):
        RoadNetwork.load(tmp_path)  # a folder is not a network file either
