"""``ride-pool network``: build, inspect and route on road networks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from ride_pool.cli.errors import clean_errors, fail

network_app = typer.Typer(help="Build, inspect and route on road networks.", no_args_is_help=True)


def _print_summary(summary: dict) -> None:
    kind = "SYNTHETIC (invented roads, for trying things out)" if summary["synthetic"] else "OpenStreetMap"
    bbox = summary["bbox"]
    lines = [
        f"network      {summary['name']}",
        f"kind         {kind}",
        f"source       {summary['source']}",
        f"nodes        {summary['nodes']:,}",
        f"edges        {summary['edges']:,}",
        f"road km      {summary['road_km']:,.1f}  (directed edges: {summary['directed_edge_km']:,.1f} km)",
        f"bbox         lon {bbox['min_lon']:.5f} .. {bbox['max_lon']:.5f}, "
        f"lat {bbox['min_lat']:.5f} .. {bbox['max_lat']:.5f}",
        f"largest SCC  {summary['largest_component_share']:.1%} of the source graph's nodes",
        "road classes " + ", ".join(f"{k} {v:,.1f} km" for k, v in summary["edge_km_by_road_class"].items()),
        f"attribution  {summary['attribution']}",
    ]
    typer.echo("\n".join(lines))


@network_app.command("build")
@clean_errors
def network_build(
    source: str = typer.Argument(..., help="'demo', 'state:SN' (synthetic Land from the Destatis "
                                "table), an OSM file (.osm, .osm.gz, .osm.bz2, .osm.pbf) or place:NAME"),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the network (.npz)."),
    name: Optional[str] = typer.Option(None, help="Name of the network (default: from the source)."),
    max_edge_length: float = typer.Option(300.0, help="Split longer edges so nodes are at most this far apart (m)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Build a road network and save it as one .npz file."""
    from routing.gazetteer import gazetteer_path
    from routing.sources import build_gazetteer, build_network

    if out.suffix != ".npz":
        fail(f"{out}: the output file must end in .npz")
    if not out.parent.exists():
        fail(f"{out.parent}: output folder does not exist")
    network = build_network(source, name=name, max_edge_length_m=max_edge_length)
    places = build_gazetteer(source, network)
    network.save(out)
    places_file = places.save(gazetteer_path(out))
    summary = network.summary()
    if as_json:
        typer.echo(json.dumps({**summary, "file": str(out), "places_file": str(places_file),
                               "places": places.counts()}, ensure_ascii=False, indent=2))
    else:
        _print_summary(summary)
        counts = places.counts()
        typer.echo(f"places       {counts['settlement']} settlements, {counts['street']} streets, "
                   f"{counts['address']} addresses, {counts['poi']} points of interest")
        typer.echo(f"written      {out}, {places_file}")


@network_app.command("info")
@clean_errors
def network_info(
    file: str = typer.Argument(..., help="A network file (.npz) or 'demo'."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Show a network's size, extent, road classes and provenance."""
    from routing.sources import open_network

    summary = open_network(file).summary()
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        _print_summary(summary)


def _parse_point(text: str) -> tuple[float, float]:
    parts = text.split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        return float(parts[0]), float(parts[1])
    except ValueError:
        fail(f"{text!r} is not a point; write LON,LAT in degrees, e.g. 13.4737,51.1634")


@network_app.command("route")
@clean_errors
def network_route(
    file: str = typer.Argument(..., help="A network file (.npz) or 'demo'."),
    origin: str = typer.Argument(..., help="Start as LON,LAT"),
    destination: str = typer.Argument(..., help="End as LON,LAT"),
    max_snap: float = typer.Option(500.0, help="How far (m) a point may lie from the nearest road node."),
) -> None:
    """Fastest route between two points: time, distance and the polyline as GeoJSON (stdout)."""
    from routing.sources import open_network
    from routing.travel_times import TravelTimes

    start, end = _parse_point(origin), _parse_point(destination)
    travel = TravelTimes(open_network(file), max_snap_distance_m=max_snap)
    feature = travel.route_between(start, end)
    props = feature["properties"]
    typer.echo(
        f"{props['travel_time_s'] // 60} min {props['travel_time_s'] % 60} s, {props['length_m'] / 1000:.2f} km "
        f"on {props['network']}" + (" (SYNTHETIC network)" if props["synthetic"] else ""),
        err=True,
    )
    typer.echo(json.dumps(feature, ensure_ascii=False))
