"""Sweep outputs: ``kpis.csv``, ``recommendation.json``, PNG plots and a self-contained bilingual
``report.html`` (German first, then English) for a county council.

The recommended fleet per scenario (a combination of ``--param`` values) and demand level is the
**smallest fleet meeting every target in every seed**, found to the vehicle by bisection after the
grid (:mod:`simulations.sizing`); the report shows it with the spread over seeds, the binding
target, warnings where the rules rather than the fleet set a target, the peak-hour lower bound
beside it, and every KPI next to comparison ranges for rural services (each marked with its
source, or as an assumption without one).
"""

from __future__ import annotations

import base64
import csv
import html
import math
from collections import defaultdict
from pathlib import Path

import numpy as np

from ride_pool.text import csv_cell
from simulations.agents import OUTCOME_CODES
from simulations.sizing import Targets

#: Columns of kpis.csv that come first, in this order; the rest follow alphabetically.
LEADING_COLUMNS = ("region", "scenario", "fleet", "demand", "seed", "stage", "requests", "served", "served_share",
                   "served_share_net", "wait_from_requested_p95_s", "wait_from_window_p95_s",
                   "passengers_per_vehicle_hour", "mean_load_on_board", "pooled_share", "detour_ratio",
                   "vehicle_km", "empty_km_share", "cost_per_passenger_eur")
#: columns whose values depend on the machine's speed (left out when comparing kpis.csv files)
WALL_CLOCK_COLUMNS = ("wall_s",)

#: Comparison ranges shown beside the KPIs: KPI key -> (low, high, reference key in REFERENCES).
#: None of these numbers could be traced to a checked publication (issue 19 review, December 2026:
#: the searches found the publications listed as Q1–Q4, but not these figures in them), so every
#: range is marked "A" — an assumption, unsourced — until someone replaces it with a figure whose
#: source they have read. See simulations/README.md ("Comparison ranges in the report").
PUBLISHED_RANGES: dict[str, tuple[float | None, float, str]] = {
    # (low, high, reference); low None: a published upper bound only ("no more than"); low == high: a
    # single published value, not a range
    "passengers_per_vehicle_hour": (None, 3.0, "Q6"),
    "mean_load_on_board": (1.1, 1.6, "A"),
    "pooled_share": (0.2, 0.6, "A"),
    "detour_ratio": (1.2, 1.6, "A"),
    "empty_km_share": (0.3, 0.5, "A"),
    "direct_mean_km": (1.31, 7.9, "Q5"),
    "cost_per_passenger_eur": (10.0, 40.0, "A"),
    "subsidy_per_passenger_eur": (12.86, 12.86, "Q7"),
}
#: the reference key of a range that is an assumption without a checked source
UNSOURCED = "A"

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


def group_key(row: dict) -> tuple[str, float]:
    return (str(row.get("scenario") or "base"), float(row["demand"]))


def by_group_and_fleet(rows: list[dict]) -> dict[tuple[str, float], dict[int, list[dict]]]:
    """(scenario, demand) -> fleet -> the runs, in first-seen scenario order, demand and fleet ascending."""
    order: dict[str, int] = {}
    grouped: dict[tuple[str, float], dict[int, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        key = group_key(r)
        order.setdefault(key[0], len(order))
        grouped[key][int(r["fleet"])].append(r)
    return {k: {f: sorted(v, key=lambda r: r["seed"]) for f, v in sorted(grouped[k].items())}
            for k in sorted(grouped, key=lambda k: (order[k[0]], k[1]))}


def by_demand_and_fleet(rows: list[dict]) -> dict[float, dict[int, list[dict]]]:
    grouped: dict[float, dict[int, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        grouped[float(r["demand"])][int(r["fleet"])].append(r)
    return {m: dict(sorted(f.items())) for m, f in sorted(grouped.items())}


#: KPIs summarised at the recommended fleet (mean, min, max over the seeds used)
SUMMARY_KEYS = ("requests", "served_share_net", "wait_from_requested_p95_s", "wait_from_requested_mean_s",
                "wait_from_window_p95_s", "booking_lead_mean_s", "passengers_per_vehicle_hour", "mean_load_on_board",
                "mean_load_when_occupied", "pooled_share", "detour_ratio", "detour_ratio_trip_p95", "direct_mean_km",
                "empty_km_share", "deadhead_km", "vehicle_km", "revenue_hours", "driver_hours_paid",
                "cost_total_eur", "cost_per_passenger_eur", "subsidy_per_passenger_eur", "co2_kg", "rejected_share",
                "connections_kept", "connections_missed")


def summarise(runs: list[dict]) -> dict:
    out = {}
    for key in SUMMARY_KEYS:
        values = _values(runs, key)
        out[key] = None if not values else {"mean": float(np.mean(values)), "min": float(min(values)),
                                            "max": float(max(values))}
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
    groups = by_group_and_fleet(rows)
    several = len({k[0] for k in groups}) > 1
    for (scenario, demand), fleets in groups.items():
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
        label = f"{scenario}, demand ×{demand:g}" if several else f"demand ×{demand:g}"
        line, = ax.plot(xs, mean, marker="o", markersize=3, label=label)
        ax.fill_between(xs, lo, hi, color=line.get_color(), alpha=0.2, linewidth=0)
    if target is not None:
        ax.axhline(target, color="black", linestyle="--", linewidth=1, label=target_label)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("Flottengröße / fleet size (vehicles)")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10, pad=14)
    ax.text(0.0, 1.01, "Linie: Mittel über Seeds; Band: Min–Max / line: mean over seeds; band: min–max",
            transform=ax.transAxes, fontsize=7,
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
table{border-collapse:collapse;margin:0.5rem 0;font-size:0.9rem;display:block;max-width:100%;overflow-x:auto}
th,td{border:1px solid #ccc;padding:0.25rem 0.5rem;text-align:right}th{background:#f3f3f3}
td.l,th.l{text-align:left}.warn{background:#fff3cd;border:1px solid #e0c36c;padding:0.6rem 1rem}
.rec{font-size:1.05rem;font-weight:600}figure{margin:1rem 0}img{max-width:100%;border:1px solid #ddd}
figcaption{font-size:0.85rem;color:#555}code{background:#f5f5f5;padding:0 0.2rem}
"""


def _range_text(key: str) -> str:
    if key not in PUBLISHED_RANGES:
        return "–"
    lo, hi, ref = PUBLISHED_RANGES[key]
    show = (lambda v: f"{v * 100:.0f} %") if key in ("pooled_share", "empty_km_share") else (lambda v: f"{v:g}")
    if lo is None:
        text = f"≤ {show(hi)}"          # a published upper bound
    elif lo == hi:
        text = f"≈ {show(hi)}"          # one published value
    else:
        text = f"{show(lo)}–{show(hi)}"
    return f"{text} [{ref}]" + (" *" if ref == UNSOURCED else "")


#: (key, German label, English label, formatter) of the KPI table beside the comparison ranges
KPI_TABLE = (
    ("passengers_per_vehicle_hour", "Fahrgäste je Fahrzeugstunde im Einsatz", "passengers per revenue vehicle-hour",
     lambda v: _fmt(v, 2)),
    ("mean_load_on_board", "mittlere Besetzung (Pkm an Bord ÷ Fzkm)", "mean load on board (pkm ÷ vkm)",
     lambda v: _fmt(v, 2)),
    ("mean_load_when_occupied", "Besetzung bei besetzter Fahrt", "mean load when occupied", lambda v: _fmt(v, 2)),
    ("pooled_share", "Anteil gebündelter Fahrten", "pooled share", _pct),
    ("detour_ratio", "Umwegfaktor (Σ Fahrzeit ÷ Σ Direktzeit)", "detour ratio (Σ ride ÷ Σ direct)",
     lambda v: _fmt(v, 2)),
    ("detour_ratio_trip_p95", "Umwegfaktor je Fahrt, 95 %-Perzentil", "detour ratio per trip, p95",
     lambda v: _fmt(v, 2)),
    ("direct_mean_km", "mittlere Direktentfernung (km)", "mean direct trip length (km)", lambda v: _fmt(v, 1)),
    ("wait_from_requested_p95_s", "Wartezeit ab Wunschzeit, p95 (min)", "wait from requested time, p95 (min)",
     _minutes),
    ("wait_from_requested_mean_s", "Wartezeit ab Wunschzeit, Mittel (min)", "wait from requested time, mean (min)",
     _minutes),
    ("wait_from_window_p95_s", "Wartezeit ab Zeitfensterbeginn, p95 (min)", "wait from window start, p95 (min)",
     _minutes),
    ("booking_lead_mean_s", "mittlere Vorbuchungszeit (h)", "mean booking lead (h)",
     lambda v: "–" if v is None else f"{v / 3600:.1f}"),
    ("served_share_net", "Beförderungsquote (netto)", "served share (net)", _pct),
    ("rejected_share", "Anteil abgelehnter Anfragen", "rejected share", _pct),
    ("empty_km_share", "Leerkilometeranteil", "empty-km share", _pct),
    ("deadhead_km", "Leerkilometer je Tag", "deadhead km per day", lambda v: _fmt(v, 0)),
    ("driver_hours_paid", "bezahlte Fahrerstunden je Tag", "paid driver hours per day", lambda v: _fmt(v, 0)),
    ("cost_total_eur", "Kosten je Betriebstag (€)", "cost per service day (€)", lambda v: _fmt(v, 0)),
    ("cost_per_passenger_eur", "Kosten je Fahrgast (€)", "cost per passenger (€)", lambda v: _fmt(v, 2)),
    ("subsidy_per_passenger_eur", "Zuschuss je Fahrgast nach Fahrgeld (€)", "subsidy per passenger after fares (€)",
     lambda v: _fmt(v, 2)),
    ("co2_kg", "CO₂ je Betriebstag (kg)", "CO₂ per service day (kg)", lambda v: _fmt(v, 0)),
    ("connections_kept", "erreichte Anschlüsse an Zug/Bus je Tag", "connections to trains/buses kept per day",
     lambda v: _fmt(v, 1)),
    ("connections_missed", "verpasste Anschlüsse je Tag", "connections missed per day", lambda v: _fmt(v, 1)),
)

#: reference list (German, English): "A" explains the unsourced ranges; Q1–Q4 are publications that
#: were found and checked to exist and say what is quoted here (as context, not as the ranges)
REFERENCES = (
    (UNSOURCED, "Annahme, ohne Quelle: Arbeitswerte dieses Projekts (teils aus der Prüfung in Issue 19 "
                "übernommen). Für die mit [A] markierten Bandbreiten wurde keine Veröffentlichung gefunden und "
                "gelesen, die genau diese Zahlen nennt. Vor einer Vorlage im Kreistag mit eigenen Betreiberdaten "
                "oder mit den Quellen Q1–Q7 abgleichen und hier ersetzen.",
                "Assumption, unsourced: working values of this project (partly taken from the review in issue 19). "
                "For the ranges marked [A], no published source stating exactly these figures was found and read. "
                "Before showing them to a county council, compare them with your operator's data or with Q1–Q7 and "
                "replace them here."),
    ("Q1", "Sörensen, L., Bossert, A., Jokinen, J.-P., Schlüter, J. (2020): How much flexibility does rural public "
           "transport need? – Implications from a fully flexible DRT system. Transport Policy 100, S. 5–20, "
           "doi:10.1016/j.tranpol.2020.09.005 — EcoBus Oberharz: rund 38.000 Fahrten in 6 Monaten, Hauptachsen "
           "zwischen den drei Zentren Goslar, Clausthal-Zellerfeld und Osterode; empfiehlt Zubringer zu "
           "Hauptlinien (Begründung für Hubs und Zonen im Nachfragemodell).",
           "Sörensen, L., Bossert, A., Jokinen, J.-P., Schlüter, J. (2020): How much flexibility does rural public "
           "transport need? – Implications from a fully flexible DRT system. Transport Policy 100, pp. 5–20, "
           "doi:10.1016/j.tranpol.2020.09.005 — EcoBus Oberharz: about 38,000 trips in 6 months, main axes between "
           "the three centres Goslar, Clausthal-Zellerfeld and Osterode; recommends a feeder–trunk design (why the "
           "demand model has hubs and zones)."),
    ("Q2", "Interreg Europe, Good Practice „EcoBus – flexible mobility in rural areas“ (Landkreis Northeim, Pilot "
           "Bad Gandersheim Juni–Aug. 2018): 100 km², rund 14.000 Einwohner, im Mittel 4 Kleinbusse (8 Plätze) "
           "gleichzeitig; Erfahrung: für Spitzenstunden (Schülerverkehr) und Fahrten über 10 km ungeeignet, weil "
           "Bündelung und Fahrzeugzuteilung dann leiden (auch SUMP Central, Good Practices).",
           "Interreg Europe, good practice 'EcoBus – flexible mobility in rural areas' (district of Northeim, pilot "
           "Bad Gandersheim June–Aug 2018): 100 km², about 14,000 inhabitants, on average 4 minibuses (8 seats) at "
           "once; lesson: not suited to peak hours (school traffic) nor to rides over 10 km, where pooling and "
           "vehicle allocation suffer (also SUMP Central, good practices)."),
    ("Q3", "Ellis, E., McCollom, B. (2009): Guidebook for Rural Demand-Response Transportation: Measuring, "
           "Assessing, and Improving Performance. TCRP Report 136, Transportation Research Board, "
           "doi:10.17226/14330 — Kap. 6 (S. 46–58): Kennzahlen von 23 ländlichen Bedarfsverkehren in den USA, "
           "u. a. Fahrgäste je Fahrzeugstunde; die Werte sind hier nicht übernommen (nicht eingesehen).",
           "Ellis, E., McCollom, B. (2009): Guidebook for Rural Demand-Response Transportation: Measuring, "
           "Assessing, and Improving Performance. TCRP Report 136, Transportation Research Board, "
           "doi:10.17226/14330 — ch. 6 (pp. 46–58): performance data of 23 rural US DRT systems, including "
           "passengers per vehicle-hour; the values are not copied here (not read)."),
    ("Q4", "Reallabor Schorndorf (DLR, 2018): Bedarfsbus ersetzte zwei Stadtbuslinien am Wochenende; 10.000 gebuchte "
           "Fahrten vom 10. März bis 21. November 2018; rund 2.000 Fahrzeug-km weniger als die 20.791 km des "
           "Linienbetriebs im gleichen Zeitraum (Zeitungsverlag Waiblingen, zvw.de, Nov. 2018). Auswertung: "
           "Viergutz, Brost, Gebhardt, Karnahl (2019): On-demand-Mobilität – eine Lösung für alle? "
           "Internationales Verkehrswesen 71(4), doi:10.24053/IV-2019-0089.",
           "Reallabor Schorndorf (DLR, 2018): an on-demand bus replaced two town bus lines at weekends; 10,000 booked "
           "trips from 10 March to 21 November 2018; about 2,000 vehicle-km fewer than the 20,791 km of the line "
           "service in the same period (Zeitungsverlag Waiblingen, zvw.de, Nov 2018). Evaluation: Viergutz, Brost, "
           "Gebhardt, Karnahl (2019): On-demand-Mobilität – eine Lösung für alle? Internationales Verkehrswesen "
           "71(4), doi:10.24053/IV-2019-0089."),
    ("Q5", "mobil-am-land.at: Kennzahlen für Bedarfsverkehr (österreichische Datenbank von Bedarfsverkehren, offene "
           "Daten, abgerufen Dezember 2026), Erhebungskennzahl „durchschnittliche gebuchte Reiseweite“ (Strecke, die "
           "ein Fahrgast direkt, ohne Umwege zurücklegen wollte): Wertebereich 1,31–7,9 km über die 7 Angebote, die "
           "sie melden. Vergleichsgröße hier: mittlere Direktentfernung.",
           "mobil-am-land.at: Kennzahlen für Bedarfsverkehr (Austrian database of demand-responsive services, open "
           "data, retrieved December 2026), the figure 'average booked trip length' (the distance a rider wanted "
           "to travel, direct, without detours): range 1.31–7.9 km over the 7 services reporting it. Compared here "
           "with the mean direct trip length."),
    ("Q6", "National Academies of Sciences, Engineering, and Medicine (2025): Microtransit Solutions in Rural "
           "Communities: On-Demand Alternatives to Dial-a-Ride Services and Unproductive Coverage Routes. TCRP "
           "Synthesis 178, The National Academies Press, doi:10.17226/29085 — Zusammenfassung: ländlicher "
           "Dial-a-Ride-Verkehr schafft wegen langer Fahrten oft nicht mehr als zwei bis drei Fahrgastfahrten je "
           "Fahrzeugstunde im Einsatz. Eine Obergrenze, keine Untergrenze.",
           "National Academies of Sciences, Engineering, and Medicine (2025): Microtransit Solutions in Rural "
           "Communities: On-Demand Alternatives to Dial-a-Ride Services and Unproductive Coverage Routes. TCRP "
           "Synthesis 178, The National Academies Press, doi:10.17226/29085 — Summary: rural dial-a-ride, with its "
           "long trips, can often serve no more than two to three passenger trips per vehicle revenue hour. An "
           "upper bound, not a lower one."),
    ("Q7", "Mehlert, C., Weißhand, M. (2023): On-Demand: Wirtschaftlich tragfähig als digitales AST 2.0? Der "
           "Nahverkehr 1+2/2023, S. 56–59, DVV Media Group (Zusammenfassung bei KCW GmbH) — verbundweite "
           "Mengen-Kosten-Kalkulation für On-Demand-Verkehre mit eigener Flotte im Nordhessischen Verkehrsverbund "
           "(NVV, dazu gehört der Werra-Meißner-Kreis): Fehlbetrag 9,0 Mio. € je Jahr bzw. 12,86 € je Fahrgast, "
           "rund fünfmal so viel wie je Fahrgast im NVV-Regionalbus. Ein Modellwert, keine Messung.",
           "Mehlert, C., Weißhand, M. (2023): On-Demand: Wirtschaftlich tragfähig als digitales AST 2.0? Der "
           "Nahverkehr 1+2/2023, pp. 56–59, DVV Media Group (summary by KCW GmbH) — a network-wide volume and cost "
           "calculation for on-demand services with their own fleet in the North Hesse transport association (NVV, "
           "which includes Werra-Meißner-Kreis): deficit €9.0 m per year or €12.86 per passenger, about five times "
           "the subsidy per passenger of NVV regional buses. A modelled value, not a measurement."),
)


def _kpi_value(summary: dict, key: str):
    entry = summary.get(key)
    return None if entry is None else entry["mean"]


def _kpi_rows(summary: dict, lang: int) -> str:
    rows = []
    for key, de, en, fmt in KPI_TABLE:
        entry = summary.get(key)
        if entry is None:
            value = "–"
        else:
            value = fmt(entry["mean"])
            if entry["min"] != entry["max"]:
                value += f" ({fmt(entry['min'])}–{fmt(entry['max'])})"
        rows.append(f"<tr><td class='l'>{html.escape(de if lang == 0 else en)}</td><td><code>{key}</code></td>"
                    f"<td>{value}</td><td>{_range_text(key)}</td></tr>")
    return "".join(rows)


def write_report(path: Path, *, rows: list[dict], recommendations: list[dict], targets: Targets, params: dict,
                 images: list[tuple[Path, str]], region, sweep: list[dict] | None = None) -> None:
    """A self-contained HTML report (images embedded as base64, no external resources), German first."""
    e = html.escape
    parts = [f"<!DOCTYPE html><html lang='de'><head><meta charset='utf-8'><title>Flottenbemessung / Fleet sizing — "
             f"{e(region.name)}</title><style>{_CSS}</style></head><body>",
             f"<h1>Flottenbemessung / Fleet sizing — {e(region.name)}</h1>"]
    if region.synthetic:
        parts.append("<p class='warn'><strong>SYNTHETISCHES Straßennetz / SYNTHETIC road network.</strong> Die "
                     "Straßen dieser Region sind erfunden (Netz <code>demo</code>): Zahlen zum Ausprobieren, nicht zur "
                     "Planung. The roads are invented: use the numbers to try the tool, never to plan a real "
                     "service.</p>")
    for lang in (0, 1):
        de = lang == 0
        parts.append(f"<section lang='{'de' if de else 'en'}'><h2>{'Deutsch' if de else 'English'}</h2>")
        parts.append("<h3>" + ("Empfohlene Flottengröße" if de else "Recommended fleet size") + "</h3>")
        if de:
            parts.append(f"<p>Ziele: Beförderungsquote ≥ <strong>{targets.served_share:.0%}</strong> der Anfragen, "
                         "die Fahrgäste nicht selbst storniert haben, und 95 %-Perzentil der Wartezeit ab Wunschzeit ≤ "
                         f"<strong>{targets.p95_wait_s / 60:g} min</strong>. <strong>Empfohlen = die kleinste Flotte, "
                         "die jedes Ziel in jedem Seed (simulierten Tag) erreicht</strong>, nach dem Raster auf ein "
                         "Fahrzeug genau durch Bisektion gefunden; liegen die Seeds bei Flotte − 1 beiderseits eines "
                         "Ziels, wurden weitere Seeds gerechnet.</p>")
        else:
            parts.append(f"<p>Targets: served share ≥ <strong>{targets.served_share:.0%}</strong> of the requests "
                         "riders kept and 95th-percentile wait from the requested time ≤ "
                         f"<strong>{targets.p95_wait_s / 60:g} min</strong>. <strong>Recommended = the smallest fleet "
                         "that meets every target in every seed (simulated day)</strong>, found to the vehicle by "
                         "bisection after the grid; where the seeds at fleet − 1 straddle a target, more seeds were "
                         "run.</p>")
        head = ("<tr><th class='l'>Szenario</th><th>Nachfrage</th><th>Anfragen/Tag</th><th>Flotte</th><th>Seeds</th>"
                "<th>bindendes Ziel</th><th>Untergrenze Spitzenstunde</th><th>Fahrgäste/Fzh</th><th>€/Fahrgast</th>"
                "<th>Beförderungsquote</th><th>p95 Wartezeit min</th></tr>") if de else (
                "<tr><th class='l'>scenario</th><th>demand</th><th>requests/day</th><th>fleet</th><th>seeds</th>"
                "<th>binding target</th><th>peak-hour lower bound</th><th>passengers/veh-h</th><th>€/passenger</th>"
                "<th>served share</th><th>p95 wait min</th></tr>")
        parts.append("<table>" + head)
        for rec in recommendations:
            sm = rec["summary"]
            fleet = rec["fleet"]
            fleet_text = f"<span class='rec'>{fleet}</span>" if fleet is not None else (
                f"keine ≤ {rec.get('largest_fleet')}" if de else f"none ≤ {rec.get('largest_fleet')}")
            bound = rec.get("bound") or {}

            def mm(key, fmt, sm=sm):
                entry = sm.get(key)
                if entry is None:
                    return "–"
                return f"{fmt(entry['mean'])} ({fmt(entry['min'])}–{fmt(entry['max'])})"
            parts.append(
                f"<tr><td class='l'>{e(rec['scenario'])}</td><td>×{rec['demand']:g}</td>"
                f"<td>{mm('requests', lambda v: _fmt(v, 0))}</td><td>{fleet_text}</td><td>{len(rec.get('seeds', []))}"
                f"</td><td>{e(str(rec.get('binding_target') or '–'))}</td>"
                f"<td>{bound.get('fleet_lower_bound', '–')}</td>"
                f"<td>{mm('passengers_per_vehicle_hour', lambda v: _fmt(v, 2))}</td>"
                f"<td>{mm('cost_per_passenger_eur', lambda v: _fmt(v, 2))}</td>"
                f"<td>{mm('served_share_net', _pct)}</td><td>{mm('wait_from_requested_p95_s', _minutes)}</td></tr>")
        parts.append("</table>")
        warnings = [w for rec in recommendations for w in rec.get("warnings", [])]
        if warnings:
            parts.append("<div class='warn'><strong>" + ("Hinweise" if de else "Warnings") + "</strong><ul>"
                         + "".join(f"<li>{e(getattr(w, 'de', w) if de else str(w))}</li>"
                                   for w in dict.fromkeys(warnings)) + "</ul></div>")
        parts.append("<h3>" + ("Kennzahlen bei der empfohlenen Flotte und Vergleichsbereiche" if de else
                               "KPIs at the recommended fleet beside comparison ranges") + "</h3>")
        for rec in recommendations:
            parts.append(f"<p><strong>{e(rec['scenario'])}, ×{rec['demand']:g}, "
                         f"{rec['fleet'] if rec['fleet'] is not None else rec.get('largest_fleet')} "
                         f"{'Fahrzeuge' if de else 'vehicles'}</strong> — "
                         + ("Mittel (Min–Max über Seeds)" if de else "mean (min–max over seeds)") + "</p>")
            parts.append("<table><tr><th class='l'>" + ("Kennzahl" if de else "KPI") + "</th><th>key</th><th>"
                         + ("Wert" if de else "value") + "</th><th>"
                         + ("Vergleichsbereich" if de else "comparison range") + "</th></tr>"
                         + _kpi_rows(rec["summary"], lang) + "</table>")
        parts.append("<p>" + ("* Annahme, ohne Quelle [A]: keine geprüfte Veröffentlichung nennt diese Bandbreite."
                              if de else "* Assumption, unsourced [A]: no checked publication states this range.")
                     + "</p>")
        parts.append("<h3>" + ("Quellen der Bandbreiten" if de else "Sources of the ranges") + "</h3><ul>")
        for ref, text_de, text_en in REFERENCES:
            parts.append(f"<li>[{ref}] {e(text_de if de else text_en)}</li>")
        parts.append("</ul>")
        parts.append("<h3>" + ("Plausibilitätsprüfung: Untergrenze der Spitzenstunde" if de else
                               "Sanity check: peak-hour lower bound") + "</h3>")
        parts.append("<p>" + (
            "Fahrzeugstunden in der verkehrsstärksten Stunde = Zielquote × (Σ Direktfahrzeiten der Fahrten ÷ maximale "
            "Bündelung + Σ Haltezeiten); Flotte ≥ Fahrzeugstunden ÷ Anteil der Flotte im Dienst in dieser Stunde "
            "(laut Schichtplan). Unabhängig von der simulierten Bündelung; die simulierte steht daneben." if de else
            "Vehicle-hours in the busiest hour = served-share target × (Σ direct driving time of its trips ÷ maximum "
            "pooling + Σ stop times); fleet ≥ vehicle-hours ÷ share of the fleet on duty in that hour (from the "
            "shift plan). Independent of the simulated pooling; the simulated pooling is shown beside it.") + "</p>")
        parts.append("<table><tr><th class='l'>" + ("Szenario" if de else "scenario") + "</th><th>"
                     + ("Nachfrage" if de else "demand") + "</th><th>"
                     + ("Anfragen Spitzenstunde" if de else "peak-hour requests") + "</th><th>"
                     + ("Direktzeit h" if de else "direct h") + "</th><th>" + ("Haltezeit h" if de else "stop h")
                     + "</th><th>" + ("max. Bündelung" if de else "max pooling") + "</th><th>"
                     + ("im Dienst" if de else "on duty") + "</th><th>" + ("Untergrenze" if de else "lower bound")
                     + "</th><th>" + ("simuliert" if de else "simulated") + "</th><th>"
                     + ("simulierte Bündelung" if de else "simulated pooling") + "</th></tr>")
        for rec in recommendations:
            b = rec.get("bound")
            if not b:
                continue
            parts.append(f"<tr><td class='l'>{e(rec['scenario'])}</td><td>×{rec['demand']:g}</td>"
                         f"<td>{_fmt(b['peak_hour_requests'], 0)}</td><td>{_fmt(b['peak_hour_direct_hours'], 1)}</td>"
                         f"<td>{_fmt(b['peak_hour_stop_hours'], 1)}</td><td>{b['max_pooling']:g}</td>"
                         f"<td>{_pct(b['on_duty_share'])}</td><td>{b['fleet_lower_bound']}</td>"
                         f"<td>{rec['fleet'] if rec['fleet'] is not None else '–'}</td>"
                         f"<td>{_fmt(b.get('simulated_pooling_factor'), 2)}</td></tr>")
        parts.append("</table>")
        if sweep:
            parts.append("<h3>" + ("Abhängigkeit von den Betriebsregeln (--param)" if de else
                                   "How the answer depends on the service rules (--param)") + "</h3><table><tr>"
                         "<th class='l'>" + ("Parameter" if de else "parameter") + "</th><th class='l'>"
                         + ("Wert" if de else "value") + "</th><th>" + ("Nachfrage" if de else "demand") + "</th><th>"
                         + ("Flotte" if de else "fleet") + "</th><th>" + ("Fahrgäste/Fzh" if de else "pass./veh-h")
                         + "</th><th>" + ("gebündelt" if de else "pooled") + "</th><th>"
                         + ("Umweg" if de else "detour") + "</th><th>" + ("p95 Wartezeit min" if de else "p95 wait min")
                         + "</th><th>€/" + ("Fahrgast" if de else "passenger") + "</th></tr>")
            for line in sweep:
                parts.append(f"<tr><td class='l'>{e(line['param'])}</td><td class='l'>{e(str(line['value']))}</td>"
                             f"<td>×{line['demand']:g}</td><td>{line['fleet'] if line['fleet'] is not None else '–'}"
                             f"</td><td>{_fmt(line.get('passengers_per_vehicle_hour'), 2)}</td>"
                             f"<td>{_pct(line.get('pooled_share'))}</td><td>{_fmt(line.get('detour_ratio'), 2)}</td>"
                             f"<td>{_minutes(line.get('wait_from_requested_p95_s'))}</td>"
                             f"<td>{_fmt(line.get('cost_per_passenger_eur'), 2)}</td></tr>")
            parts.append("</table>")
        parts.append("</section>")
    parts.append("<h2>Diagramme / Plots</h2>")
    for image, alt in images:
        parts.append(_image(image, alt))
    parts.append("<h2>Mittelwerte je Szenario, Nachfrage und Flotte / Mean KPIs per scenario, demand and fleet</h2>"
                 "<table><tr><th class='l'>scenario</th><th>demand</th><th>fleet</th><th>seeds</th><th>requests</th>"
                 "<th>served (net)</th><th>p95 wait min</th><th>p95 wait from window min</th><th>pass./veh-h</th>"
                 "<th>load on board</th><th>pooled</th><th>detour ratio</th><th>empty km</th><th>paid driver h</th>"
                 "<th>€ / passenger</th></tr>")
    for (scenario, demand), fleets in by_group_and_fleet(rows).items():
        for fleet, runs in fleets.items():
            parts.append(
                f"<tr><td class='l'>{e(scenario)}</td><td>×{demand:g}</td><td>{fleet}</td><td>{len(runs)}</td>"
                f"<td>{_fmt(_stat(runs, 'requests', np.mean), 0)}</td>"
                f"<td>{_pct(_stat(runs, 'served_share_net', np.mean))}</td>"
                f"<td>{_minutes(_stat(runs, 'wait_from_requested_p95_s', np.mean))}</td>"
                f"<td>{_minutes(_stat(runs, 'wait_from_window_p95_s', np.mean))}</td>"
                f"<td>{_fmt(_stat(runs, 'passengers_per_vehicle_hour', np.mean), 2)}</td>"
                f"<td>{_fmt(_stat(runs, 'mean_load_on_board', np.mean), 2)}</td>"
                f"<td>{_pct(_stat(runs, 'pooled_share', np.mean))}</td>"
                f"<td>{_fmt(_stat(runs, 'detour_ratio', np.mean), 2)}</td>"
                f"<td>{_pct(_stat(runs, 'empty_km_share', np.mean))}</td>"
                f"<td>{_fmt(_stat(runs, 'driver_hours_paid', np.mean), 0)}</td>"
                f"<td>{_fmt(_stat(runs, 'cost_per_passenger_eur', np.mean), 2)}</td></tr>")
    parts.append("</table>")
    parts.append("<h2>Eingaben / Inputs</h2><table>")
    for key, value in params.items():
        parts.append(f"<tr><th class='l'>{e(str(key))}</th><td class='l'>{e(str(value))}</td></tr>")
    parts.append("</table>")
    parts.append(f"<p style='font-size:0.8rem;color:#555'>{e(region.network.attribution)}. Kennzahlen je Lauf / "
                 "per-run KPIs: <code>kpis.csv</code>; Empfehlung / recommendation: <code>recommendation.json</code>; "
                 "alles / everything: <code>runs.json</code>. Definitionen / definitions: "
                 "<code>simulations/README.md</code>.</p></body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")
