"""``ride-pool demo`` (or ``serve``) as a subprocess on a free port, and a fresh database for it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
CACHE_DIR = Path(tempfile.gettempdir()) / "ride_pool_bench_cache"   # keeps the demo network file


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ride_pool_command(instrumented: bool = False) -> list[str]:
    """The ``ride-pool`` command; :mod:`.server_main` when ``instrumented`` or without the script."""
    exe = Path(sys.executable).with_name("ride-pool")
    if exe.is_file() and not instrumented:
        return [str(exe)]
    return [sys.executable, "-m", "benchmarks.load.server_main"]


def with_repo_on_path(env: dict) -> dict:
    """``env`` with this checkout on PYTHONPATH (after entries already there), so that
    ``python -m benchmarks.load...`` runs from any working directory."""
    parts = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if str(REPO) not in parts:
        parts.append(str(REPO))
    return {**env, "PYTHONPATH": os.pathsep.join(parts)}


class Server:
    """``ride-pool demo`` (or ``serve``) as a subprocess on a free port."""

    def __init__(self, url: str, *, vehicles: int = 8, command: str = "demo", log_path: Path | None = None,
                 port: int | None = None, cwd: Path = CACHE_DIR, env: dict | None = None,
                 instrumented: bool = False):
        self.url, self.vehicles, self.command = url, vehicles, command
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path or Path(tempfile.mkstemp(prefix="ride-pool-server-", suffix=".log")[1])
        self.cwd = cwd
        self.env = env
        self.instrumented = instrumented
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 180) -> Server:
        self.cwd.mkdir(parents=True, exist_ok=True)
        args = ride_pool_command(self.instrumented) + [self.command, "--db", self.url, "--host", "127.0.0.1",
                                                       "--port", str(self.port)]
        if self.command == "demo":
            args += ["--vehicles", str(self.vehicles)]
        if self.command == "serve":
            args += ["--network", "demo"]
        env = dict(os.environ if self.env is None else self.env)
        env.setdefault("RIDE_POOL_SECRET_KEY", "bench-" + "k" * 40)
        # all clients share one address and quote and book without pause: the request limits per
        # address and rider are switched off through their settings (0 = off)
        for name in ("QUOTES_ADDRESS", "QUOTES_RIDER", "BOOKINGS_ADDRESS", "REGISTER", "LOGIN_ADDRESS"):
            env.setdefault(f"RIDE_POOL_LIMIT_{name}_COUNT", "0")
        if args[0] == sys.executable:
            env = with_repo_on_path(env)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - open while the server runs, closed in stop()
        self.proc = subprocess.Popen(args, cwd=self.cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(self.base + "/api/v1/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server not healthy after {timeout} s:\n{self.log_tail()}")

    def log_tail(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL, no clean shutdown."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self, timeout: float = 30) -> None:
        """SIGINT (uvicorn's clean shutdown), SIGKILL if it does not stop."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        if getattr(self, "_log", None):
            self._log.close()
            self._log = None


def fresh_database(kind: str, pg_url: str, workdir: Path):
    """(url, cleanup) of an empty database of ``kind``."""
    if kind == "sqlite":
        path = workdir / "bench.db"
        return f"sqlite:///{path}", lambda: None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from ride_pool.db.engine import database_url

    admin_url = database_url(pg_url)
    name = f"ride_pool_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)

    def cleanup():
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return url, cleanup
