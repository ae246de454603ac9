"""CPU use of client, server, PostgreSQL and everything else during the measured run (Linux /proc)."""

from __future__ import annotations

import os
import time
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (Linux /proc), 0 if unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def _postgres_pids() -> list[int]:
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if (d / "comm").read_text().strip() in ("postgres", "postmaster"):
                    pids.append(int(d.name))
            except OSError:
                pass
    return pids


def _machine_busy() -> float:
    """CPU seconds all cores spent busy (not idle, not waiting for I/O) since boot (Linux)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        return (sum(fields[:8]) - fields[3] - fields[4]) / _TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def cpu_snapshot(server_pid: int) -> dict:
    t = os.times()
    return {"wall": time.perf_counter(), "client": t.user + t.system, "server": _proc_cpu(server_pid),
            "postgres": {pid: _proc_cpu(pid) for pid in _postgres_pids()}, "machine": _machine_busy()}


def cpu_use(a: dict, b: dict, bookings: int) -> dict:
    """Cores used between snapshots ``a`` and ``b`` by each party, and CPU ms per booking."""
    wall = b["wall"] - a["wall"]
    pg = sum(v - a["postgres"].get(pid, 0.0) for pid, v in b["postgres"].items())
    use = {"client": b["client"] - a["client"], "server": b["server"] - a["server"], "postgres": pg}
    out = {f"{k}_cores": round(v / wall, 2) for k, v in use.items()}
    out["total_cores"] = round(sum(use.values()) / wall, 2)
    out["machine_cores"] = os.cpu_count()
    if "machine" in a and b["machine"]:
        # everything else the machine ran meanwhile (other programs compete for the same cores)
        out["other_processes_cores"] = round(max(0.0, (b["machine"] - a["machine"]) - sum(use.values())) / wall, 2)
    if bookings:
        out["server_cpu_ms_per_booking"] = round(1000 * use["server"] / bookings, 2)
        out["all_cpu_ms_per_booking"] = round(1000 * sum(use.values()) / bookings, 2)
    return out
