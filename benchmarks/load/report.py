"""The results table on the terminal and the JSON document."""

from __future__ import annotations

import json
import os
import platform
import shutil
from datetime import datetime
from pathlib import Path


def print_table(runs: list[dict], target_bps: float, target_p95: float) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"booking load ({runs[0]['clients']} clients, {runs[0]['vehicles']} vehicles; client and "
                    f"server share {os.cpu_count()} cores)")
    for col in ("database", "bookings/s", "quotes/s", "quote p50/p95/p99 ms", "book p50/p95/p99 ms",
                "no offer", "409", "5xx", "verified"):
        t.add_column(col, justify="right")
    for r in runs:
        q, b = r["quote_latency"], r["book_latency"]
        reasons = ", ".join(f"{k} {v}" for k, v in r["quote_without_offer_by_reason"].items())
        t.add_row(r["database"], f"{r['bookings_per_s']:.1f}", f"{r['quotes_per_s']:.1f}",
                  f"{q['p50_ms']}/{q['p95_ms']}/{q['p99_ms']}", f"{b['p50_ms']}/{b['p95_ms']}/{b['p99_ms']}",
                  f"{100 * (r['quote_without_offer_share'] or 0):.1f}%" + (f" ({reasons})" if reasons else ""),
                  str(r["conflicts_409"]), str(r["server_errors_5xx"]),
                  "yes" if r["verification"]["ok"] else "NO: " + "; ".join(r["verification"]["problems"][:2]))
    Console(width=max(160, shutil.get_terminal_size().columns)).print(t)
    for r in runs:
        ok = r["bookings_per_s"] >= target_bps and (r["book_latency"]["p95_ms"] or 1e9) <= target_p95 \
            and (r["quote_latency"]["p95_ms"] or 1e9) <= target_p95
        cpu = r.get("cpu") or {}
        print(f"{r['database']}: target >= {target_bps:g} bookings/s with p95 <= {target_p95:g} ms: "
              f"{'MET' if ok else 'MISSED'}" + (
                  f"  (CPU cores used: server {cpu['server_cores']}, client {cpu['client_cores']}, postgres "
                  f"{cpu['postgres_cores']}, other processes {cpu['other_processes_cores']})"
                  if "other_processes_cores" in cpu else ""))


def write_json(path: Path, runs: list[dict], args) -> None:
    """The runs with machine, settings (the command's options) and target."""
    doc = {"benchmark": "booking_load", "created": datetime.now().astimezone().isoformat(timespec="seconds"),
           "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                       "platform": platform.platform(),
                       "note": "client (threads, httpx) and server (one uvicorn process) share these cores"},
           "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
                        if k not in ("json",)},
           "target": {"bookings_per_s": args.target_bookings, "p95_ms": args.target_p95_ms},
           "runs": runs}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n")
