"""Sweep outputs: ``kpis.csv``, PNG plots, and a self-contained ``report.html``.

The recommended fleet size per demand level is the **smallest fleet meeting both targets
(served share net of rider cancellations and no-shows, and 95th-percentile wait) in every
seed**; the smallest fleet meeting them on the
mean over seeds is shown beside it. The analytic sanity check estimates the driving
vehicle-hours the demand needs: requests × passengers per request × mean direct trip time ÷
occupancy (passenger-km per vehicle-km).
"""

from __future__ import annotations

import base64
import csv
import html
import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ride_pool.text import csv_cell
from simulations.agents import OUTCOME_CODES

#: Columns of kpis.csv that come first, in this order; the rest follow alphabetically.
LEADING_COLUMNS = ("region", "fleet", "demand", "seed", "requests", "served", "served_share", "served_share_net",
                   "wait_mean_s",
                   "wait_p50_s", "wait_p95_s", "occupancy", "pooled_share", "vehicle_km", "empty_km_share",
                   "vehicle_hours", "cost_per_served_trip_eur")


@dataclass(frozen=True)
class Targets:
    served_share: float = 0.95
    p95_wait_s: float = 20 * 60

    def met(self, row: dict) -> bool:
        """Both targets met; served share net of rider cancellations and no-shows."""
        served, wait = row.get("served_share_net", row.get("served_share")), row.get("wait_p95_s")
        return served is not None and wait is not None and served >= self.served_share and wait <= self.p95_wait_s


# --------------------------------------------------------------------------- kpis.csv
def flatten(row: dict, prefix: str = "") -> dict:
    """Nested dicts become ``parent.child`` columns; arrays (trips) are left out."""
    out = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        elif isinstance(value, (list, tuple, np.ndarray)):
            continue
        else:
            out[name] = value
    return out


def write_kpis_csv(rows: list[dict], path: Path) -> list[str]:
    """One row per run; returns the column names."""
    flat = [flatten(r) for r in rows]
    keys = set().union(*(f.keys() for f in flat)) if flat else set()
    columns = [c for c in LEADING_COLUMNS if c in keys] + sorted(keys - set(LEADING_COLUMNS))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        # csv_cell: a text cell that starts like a formula (e.g. a name from a file) is shown as
        # text by spreadsheets, never run
        writer = csv.writer(fh)
        writer.writerow([csv_cell(c) for c in columns])
        for f in flat:
            writer.writerow(["" if f.get(c) is None else csv_cell(f.get(c)) for c in columns])
    return columns


# --------------------------------------------------------------------------- summaries
def _values(rows, key):
    return [r[key] for r in rows if r.get(key) is not None]


def _stat(rows, key, fn):
    values = _values(rows, key)
    return float(fn(values)) if values else None


def by_demand_and_fleet(rows: list[dict]) -> dict[float, dict[int, list[dict]]]:
    grouped: dict[float, dict[int, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        grouped[float(r["demand"])][int(r["fleet"])].append(r)
    return {m: dict(sorted(f.items())) for m, f in sorted(grouped.items())}


def recommend(rows: list[dict], targets: Targets) -> list[dict]:
    """Per demand level: recommended fleet (all seeds / mean), its spread and the analytic check."""
    out = []
    for demand, fleets in by_demand_and_fleet(rows).items():
        all_seeds = next((f for f, runs in fleets.items() if all(targets.met(r) for r in runs)), None)
        on_mean = next((f for f, runs in fleets.items()
                        if targets.met({"served_share_net": _stat(runs, "served_share_net", np.mean),
                                        "wait_p95_s": _stat(runs, "wait_p95_s", np.mean)})), None)
        chosen = all_seeds if all_seeds is not None else max(fleets)
        runs = fleets[chosen]
        every = [r for fl in fleets.values() for r in fl]
        requests = _stat(every, "requests", np.mean) or 0.0
        passengers = _stat(every, "request_passengers", np.mean) or 0.0
        direct_s = _stat(every, "direct_mean_s", np.mean)
        occupancy = _stat(runs, "occupancy", np.mean)
        analytic_hours = None
        if direct_s is not None and occupancy:
            analytic_hours = passengers * direct_s / occupancy / 3600.0
        shift_hours = _stat(runs, "vehicle_hours", np.mean)
        hours_per_vehicle = shift_hours / chosen if shift_hours else None
        out.append({
            "demand": demand,
            "requests": requests,
            "seeds": len(runs),
            "recommended_all_seeds": all_seeds,
            "recommended_on_mean": on_mean,
            "shown_fleet": chosen,
            "served_share_mean": _stat(runs, "served_share_net", np.mean),
            "served_share_min": _stat(runs, "served_share_net", min),
            "served_share_max": _stat(runs, "served_share_net", max),
            "wait_p95_s_mean": _stat(runs, "wait_p95_s", np.mean),
            "wait_p95_s_min": _stat(runs, "wait_p95_s", min),
            "wait_p95_s_max": _stat(runs, "wait_p95_s", max),
            "occupancy_mean": occupancy,
            "pooled_share_mean": _stat(runs, "pooled_share", np.mean),
            "cost_per_trip_mean": _stat(runs, "cost_per_served_trip_eur", np.mean),
            "direct_mean_s": direct_s,
            "passengers_per_request": passengers / requests if requests else None,
            "analytic_driving_hours": analytic_hours,
            "simulated_driving_hours": _stat(runs, "driving_hours", np.mean),
            "hours_per_vehicle": hours_per_vehicle,
            "analytic_min_fleet": math.ceil(analytic_hours / hours_per_vehicle)
            if analytic_hours and hours_per_vehicle else None,
        })
    return out


# --------------------------------------------------------------------------- plots
def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_vs_fleet(rows: list[dict], key: str, ylabel: str, path: Path, *, title: str, target: float | None = None,
                  scale: float = 1.0, target_label: str = "target") -> None:
    """Mean over seeds (line) and the min–max spread (band) against fleet size, one line per demand."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 4.6), dpi=110)
    for demand, fleets in by_demand_and_fleet(rows).items():
        xs, mean, lo, hi = [], [], [], []
        for fleet, runs in fleets.items():
            values = [v * scale for v in _values(runs, key)]
            if not values:
                continue
            xs.append(fleet)
            mean.append(np.mean(values))
            lo.append(min(values))
            hi.append(max(values))
        if not xs:
            continue
        line, = ax.plot(xs, mean, marker="o", label=f"demand ×{demand:g}")
        ax.fill_between(xs, lo, hi, color=line.get_color(), alpha=0.2, linewidth=0)
    if target is not None:
        ax.axhline(target, color="black", linestyle="--", linewidth=1, label=target_label)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("fleet size (vehicles)")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10, pad=14)
    ax.text(0.0, 1.01, "line: mean over seeds; band: min–max over seeds", transform=ax.transAxes, fontsize=7,
            color="#555555", va="bottom")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_map(region, trips: np.ndarray | None, path: Path, *, title: str, depots: list[int] | None = None) -> None:
    """The road network, municipality centres, requested origins and the served trips of one run."""
    from matplotlib.collections import LineCollection

    plt = _plt()
    net = region.network
    fig, ax = plt.subplots(figsize=(8, 8), dpi=110)
    tail = net.tail()
    segments = np.stack([np.column_stack((net.node_lon[tail], net.node_lat[tail])),
                         np.column_stack((net.node_lon[net.head], net.node_lat[net.head]))], axis=1)
    ax.add_collection(LineCollection(segments, colors="#c8c8c8", linewidths=0.4, zorder=1))
    if trips is not None and len(trips):
        origins = trips[:, 0]
        ax.scatter(net.node_lon[origins], net.node_lat[origins], s=4, color="#1f77b4", alpha=0.5, zorder=2,
                   label=f"requested pickups ({len(trips)})")
        served = trips[trips[:, 2] == OUTCOME_CODES["served"]]
        if len(served):
            lines = np.stack([np.column_stack((net.node_lon[served[:, 0]], net.node_lat[served[:, 0]])),
                              np.column_stack((net.node_lon[served[:, 1]], net.node_lat[served[:, 1]]))], axis=1)
            ax.add_collection(LineCollection(lines, colors="#d62728", linewidths=0.5, alpha=0.25, zorder=3))
            ax.plot([], [], color="#d62728", label=f"served trips, origin to destination ({len(served)})")
        unserved = trips[trips[:, 2] != OUTCOME_CODES["served"]]
        if len(unserved):
            ax.scatter(net.node_lon[unserved[:, 0]], net.node_lat[unserved[:, 0]], s=10, marker="x",
                       color="#ff7f0e", zorder=4, label=f"not served ({len(unserved)})")
    lon = np.array([m.lon for m in region.municipalities])
    lat = np.array([m.lat for m in region.municipalities])
    size = 20 + 200 * region.population / max(region.population.max(), 1)
    ax.scatter(lon, lat, s=size, facecolors="none", edgecolors="black", linewidths=0.8, zorder=5)
    if len(region.municipalities) <= 40:
        for m in region.municipalities:
            ax.annotate(m.name.split(",")[0], (m.lon, m.lat), fontsize=6, xytext=(3, 3), textcoords="offset points",
                        zorder=6)
    if depots:
        ax.scatter(net.node_lon[depots], net.node_lat[depots], marker="s", s=40, color="black", zorder=7,
                   label="depots")
    ax.set_xlim(float(net.node_lon.min()), float(net.node_lon.max()))
    ax.set_ylim(float(net.node_lat.min()), float(net.node_lat.max()))
    ax.set_aspect(1.0 / math.cos(math.radians(float(net.node_lat.mean()))))
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="lower left")
    fig.text(0.01, 0.005, net.attribution, fontsize=6, color="#555555")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


# --------------------------------------------------------------------------- report.html
def _fmt(value, digits=1, suffix=""):
    if value is None:
        return "–"
    if isinstance(value, float) and not math.isfinite(value):
        return "–"
    return f"{value:,.{digits}f}{suffix}"


def _pct(value):
    return "–" if value is None else f"{100 * value:.1f} %"


def _minutes(seconds):
    return "–" if seconds is None else f"{seconds / 60:.1f}"


def _image(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"><figcaption>' \
           f'{html.escape(alt)}</figcaption></figure>'


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;color:#222;
line-height:1.45;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:0.5rem 0;font-size:0.9rem}
th,td{border:1px solid #ccc;padding:0.25rem 0.5rem;text-align:right}th{background:#f3f3f3}
td.l,th.l{text-align:left}.warn{background:#fff3cd;border:1px solid #e0c36c;padding:0.6rem 1rem}
.rec{font-size:1.05rem;font-weight:600}figure{margin:1rem 0}img{max-width:100%;border:1px solid #ddd}
figcaption{font-size:0.85rem;color:#555}code{background:#f5f5f5;padding:0 0.2rem}
"""


def write_report(path: Path, *, rows: list[dict], recommendations: list[dict], targets: Targets, params: dict,
                 images: list[tuple[Path, str]], region) -> None:
    """A self-contained HTML report (images embedded as base64, no external resources)."""
    e = html.escape
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Fleet sizing — {e(region.name)}"
             f"</title><style>{_CSS}</style></head><body>",
             f"<h1>Fleet sizing report — {e(region.name)}</h1>"]
    if region.synthetic:
        parts.append("<p class='warn'><strong>SYNTHETIC road network.</strong> The roads of this region are "
                     "invented (the <code>demo</code> network); use the numbers to try the tool, never to plan a "
                     "real service.</p>")
    parts.append("<h2>Recommended fleet size</h2>")
    parts.append(f"<p>Targets: served share ≥ <strong>{targets.served_share:.0%}</strong> of the requests riders "
                 "kept (requests minus rider cancellations and no-shows) and "
                 f"95th-percentile wait ≤ <strong>{targets.p95_wait_s / 60:g} min</strong> (wait = boarding time − "
                 "requested pickup time). <strong>Recommended = the smallest fleet that meets both targets in every "
                 f"seed</strong> ({params.get('seeds', '?')} seeds per fleet size); the smallest fleet meeting them "
                 "on the mean over seeds is shown for comparison. Spread = min–max over seeds at the recommended "
                 "fleet.</p>")
    parts.append("<table><tr><th>demand</th><th>requests / day</th><th>recommended fleet<br>(all seeds)</th>"
                 "<th>on the mean</th><th>served share (net)<br>mean (min–max)</th><th>p95 wait min<br>mean (min–max)"
                 "</th><th>occupancy</th><th>pooled</th><th>€ / served trip</th></tr>")
    for rec in recommendations:
        fleet = rec["recommended_all_seeds"]
        fleet_text = (f"<span class='rec'>{fleet}</span>" if fleet is not None else
                      f"none ≤ {rec['shown_fleet']} (figures for {rec['shown_fleet']})")
        parts.append(
            f"<tr><td>×{rec['demand']:g}</td><td>{_fmt(rec['requests'], 0)}</td><td>{fleet_text}</td>"
            f"<td>{rec['recommended_on_mean'] if rec['recommended_on_mean'] is not None else '–'}</td>"
            f"<td>{_pct(rec['served_share_mean'])} ({_pct(rec['served_share_min'])}–{_pct(rec['served_share_max'])})"
            f"</td><td>{_minutes(rec['wait_p95_s_mean'])} ({_minutes(rec['wait_p95_s_min'])}–"
            f"{_minutes(rec['wait_p95_s_max'])})</td><td>{_fmt(rec['occupancy_mean'], 2)}</td>"
            f"<td>{_pct(rec['pooled_share_mean'])}</td><td>{_fmt(rec['cost_per_trip_mean'], 2)}</td></tr>")
    parts.append("</table>")
    parts.append("<h3>Analytic sanity check</h3><p>Driving vehicle-hours the demand needs ≈ requests × passengers per "
                 "request × mean direct trip time ÷ occupancy (passenger-km per vehicle-km, taken from the "
                 "simulation at the fleet shown). Dividing by the shift hours per vehicle gives a lower bound on "
                 "the fleet (vehicles driving all shift long, never waiting).</p>")
    parts.append("<table><tr><th>demand</th><th>requests</th><th>passengers / request</th><th>direct trip min</th>"
                 "<th>occupancy</th><th>analytic driving veh-h</th><th>simulated driving veh-h</th>"
                 "<th>shift h / vehicle</th><th>lower-bound fleet</th><th>simulated fleet</th></tr>")
    for rec in recommendations:
        parts.append(
            f"<tr><td>×{rec['demand']:g}</td><td>{_fmt(rec['requests'], 0)}</td>"
            f"<td>{_fmt(rec['passengers_per_request'], 2)}</td><td>{_minutes(rec['direct_mean_s'])}</td>"
            f"<td>{_fmt(rec['occupancy_mean'], 2)}</td><td>{_fmt(rec['analytic_driving_hours'], 1)}</td>"
            f"<td>{_fmt(rec['simulated_driving_hours'], 1)}</td><td>{_fmt(rec['hours_per_vehicle'], 1)}</td>"
            f"<td>{rec['analytic_min_fleet'] if rec['analytic_min_fleet'] is not None else '–'}</td>"
            f"<td>{rec['shown_fleet']}</td></tr>")
    parts.append("</table>")
    parts.append("<h2>Plots</h2>")
    for image, alt in images:
        parts.append(_image(image, alt))
    parts.append("<h2>Mean KPIs per demand level and fleet size</h2><table><tr><th>demand</th><th>fleet</th>"
                 "<th>requests</th><th>served</th><th>served (net)</th><th>rejected</th><th>declined</th>"
                 "<th>wait mean min</th>"
                 "<th>wait p95 min</th><th>detour mean</th><th>occupancy</th><th>pooled</th><th>empty km</th>"
                 "<th>veh-km</th><th>veh-h</th><th>€ / trip</th></tr>")
    for demand, fleets in by_demand_and_fleet(rows).items():
        for fleet, runs in fleets.items():
            parts.append(
                f"<tr><td>×{demand:g}</td><td>{fleet}</td><td>{_fmt(_stat(runs, 'requests', np.mean), 0)}</td>"
                f"<td>{_pct(_stat(runs, 'served_share', np.mean))}</td>"
                f"<td>{_pct(_stat(runs, 'served_share_net', np.mean))}</td>"
                f"<td>{_fmt(_stat(runs, 'rejected', np.mean), 0)}</td><td>{_fmt(_stat(runs, 'declined', np.mean), 0)}"
                f"</td><td>{_minutes(_stat(runs, 'wait_mean_s', np.mean))}</td>"
                f"<td>{_minutes(_stat(runs, 'wait_p95_s', np.mean))}</td>"
                f"<td>{_fmt(_stat(runs, 'detour_mean', np.mean), 2)}</td>"
                f"<td>{_fmt(_stat(runs, 'occupancy', np.mean), 2)}</td>"
                f"<td>{_pct(_stat(runs, 'pooled_share', np.mean))}</td>"
                f"<td>{_pct(_stat(runs, 'empty_km_share', np.mean))}</td>"
                f"<td>{_fmt(_stat(runs, 'vehicle_km', np.mean), 0)}</td>"
                f"<td>{_fmt(_stat(runs, 'vehicle_hours', np.mean), 0)}</td>"
                f"<td>{_fmt(_stat(runs, 'cost_per_served_trip_eur', np.mean), 2)}</td></tr>")
    parts.append("</table>")
    parts.append("<h2>Inputs</h2><table>")
    for key, value in params.items():
        parts.append(f"<tr><th class='l'>{e(str(key))}</th><td class='l'>{e(str(value))}</td></tr>")
    parts.append("</table>")
    parts.append(f"<p style='font-size:0.8rem;color:#555'>{e(region.network.attribution)}. Per-run KPIs: "
                 "<code>kpis.csv</code>; full results: <code>runs.json</code>.</p></body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")
