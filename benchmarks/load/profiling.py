"""py-spy on the server process (``--py-spy DIR``)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path


def start_py_spy(pid: int, out_dir: Path, name: str, duration: float, gil: bool = True) -> list[subprocess.Popen]:
    """py-spy on the server: ``gil`` samples only the thread holding the GIL (= where the server's CPU
    goes, since one process can use one core for Python), else all threads (lock waits too)."""
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(exe).exists():
        print("py-spy not found (pip install py-spy); not profiling", file=sys.stderr)
        return []
    out_dir.mkdir(parents=True, exist_ok=True)
    common = ["record", "--pid", str(pid), "--duration", str(int(duration)), "--rate", "100", "--threads"]
    if gil:
        common.append("--gil")
    return [subprocess.Popen([exe, *common, "--format", "raw", "-o", str(out_dir / f"{name}.txt")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
