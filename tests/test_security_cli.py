"""Issue 13, the server's command line and files: a restart on the same port right after
``kill -9`` (item 9); ``--db`` in a missing folder, ``RIDE_POOL_HOST``/``RIDE_POOL_PORT`` and
database files readable by the owner only (item 17)."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import typer
from typer.testing import CliRunner

from ride_pool.cli import app as cli_app
from ride_pool.cli import serve

START_TIMEOUT_S = 120


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ride_pool() -> list[str]:
    exe = Path(sys.executable).with_name("ride-pool")
    return [str(exe)] if exe.is_file() else [sys.executable, "-c", "from ride_pool.cli import main; main()"]


def _start(folder: Path, args: list[str], env: dict, log_name: str) -> subprocess.Popen:
    log = open(folder / log_name, "wb")   # noqa: SIM115 - closed with the process
    return subprocess.Popen(_ride_pool() + args, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def _wait_healthy(process: subprocess.Popen, base: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(base + "/api/v1/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the server did not answer within {START_TIMEOUT_S} s:\n{log.read_text(errors='replace')[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


# --- item 9: restart on the same port right after kill -9 ---------------------------------------

def test_restart_on_the_same_port_right_after_kill_9(tmp_path):
    """A client holds a keep-alive connection to the server when it is killed with SIGKILL; the
    server's end of that connection stays in the kernel (FIN_WAIT/TIME_WAIT), and a restart at
    once on the same port must still come up (it failed with "Address already in use" for about
    60 s). The first start also takes its port from ``RIDE_POOL_PORT`` (item 17)."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "RIDE_POOL_SECRET_KEY": "restart-test-" + "r" * 40, "RIDE_POOL_PORT": str(port),
           "RIDE_POOL_HOST": "127.0.0.1"}
    env.pop("RIDE_POOL_DATABASE_URL", None)
    args = ["demo", "--db", str(tmp_path / "restart.db"), "--vehicles", "2"]
    first = _start(tmp_path, args, env, "first.log")
    second = None
    try:
        _wait_healthy(first, base, tmp_path / "first.log")
        client = socket.create_connection(("127.0.0.1", port))      # kept open across the kill
        client.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert client.recv(4096).startswith(b"HTTP/1.1 200")
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
        second = _start(tmp_path, args, env, "second.log")
        _wait_healthy(second, base, tmp_path / "second.log")
        assert httpx.get(base + "/api/v1/health", timeout=5).json()["status"] == "ok"
        client.close()
    finally:
        if first.poll() is None:
            first.kill()
        if second is not None:
            _stop(second)


# --- item 17: --db in a missing folder, host and port from the environment ---------------------

@pytest.mark.parametrize("command", ["serve", "demo"])
@pytest.mark.parametrize("form", ["path", "url"])
def test_db_in_a_missing_folder_is_a_clear_error(monkeypatch, tmp_path, command, form):
    def serve_anyway(host, port):    # the check must come first: never start a server here
        raise typer.Exit(99)

    monkeypatch.setattr(serve, "_check_port", serve_anyway)
    missing = tmp_path / "no-such-folder" / "deeper"
    db = str(missing / "ride.db") if form == "path" else f"sqlite:///{missing / 'ride.db'}"
    result = CliRunner().invoke(cli_app, [command, "--db", db, "--port", str(_free_port())])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert lines == [f"error: the folder {missing} does not exist; create it first or give another --db"], lines
    assert not (tmp_path / "no-such-folder").exists()


def _listening_address(monkeypatch, args: list[str], env: dict[str, str]) -> tuple[str, int]:
    """Where ``ride-pool ARGS`` would listen (stopped at the port check)."""
    seen = {}

    def check_port(host, port):
        seen["address"] = (host, port)
        raise typer.Exit(0)

    monkeypatch.setattr(serve, "_check_port", check_port)
    for name in ("RIDE_POOL_HOST", "RIDE_POOL_PORT"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(cli_app, args, env=env)
    assert result.exit_code == 0, result.output
    return seen["address"]


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_host_and_port_come_from_the_environment(monkeypatch, tmp_path, command):
    """Option given > RIDE_POOL_HOST / RIDE_POOL_PORT > 127.0.0.1:8000."""
    db = ["--db", str(tmp_path / "x.db")]
    env = {"RIDE_POOL_HOST": "0.0.0.0", "RIDE_POOL_PORT": "8123"}
    assert _listening_address(monkeypatch, [command, *db], env) == ("0.0.0.0", 8123)
    assert _listening_address(monkeypatch, [command, *db, "--host", "127.0.0.2", "--port", "9001"], env) == \
        ("127.0.0.2", 9001)
    assert _listening_address(monkeypatch, [command, *db], {}) == ("127.0.0.1", 8000)


# --- item 17: database files 0600 --------------------------------------------------------------

def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_database_and_wal_files_are_owner_only(tmp_path, demo_network):
    """After the service has written (an account, a stop), the database file and its -wal and
    -shm files are 0600 even under the usual umask 022."""
    from fastapi.testclient import TestClient

    from ride_pool.api.app import create_app
    from ride_pool.settings import Settings

    path = tmp_path / "modes.db"
    old_umask = os.umask(0o022)
    try:
        app = create_app(Settings(database_url=f"sqlite:///{path}", secret_key="m" * 40), network=demo_network,
                         background=False)
        with TestClient(app, headers={"Accept-Language": "en"}) as client:
            r = client.post("/api/v1/auth/register", json={"email": "modes@example.org", "name": "Mode",
                                                           "password": "a-long-enough-password"})
            assert r.status_code < 500, r.text
            files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
            assert all(f.exists() for f in files), list(tmp_path.iterdir())
            assert {f.name: oct(_mode(f)) for f in files} == {f.name: "0o600" for f in files}
    finally:
        os.umask(old_umask)


def test_an_existing_world_readable_database_is_narrowed(tmp_path):
    from ride_pool.db.engine import make_engine

    path = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x)")
    engine.dispose()
    os.chmod(path, 0o644)
    engine = make_engine(f"sqlite:///{path}")
    engine.dispose()
    assert _mode(path) == 0o600


# --- item 11 (c): a stop file with a 50 MB field on the command line -------------------------------

def test_simulate_with_a_50_mb_stop_field_exits_2_with_one_line(tmp_path, saved_networks):
    stops = tmp_path / "stops.csv"
    stops.write_text("stop_id,stop_name,stop_lat,stop_lon\ns1," + "B" * 50_000_000 + ",51.1,13.5\n")
    result = CliRunner().invoke(cli_app, ["simulate", "--region", str(saved_networks["demo"]), "--stops", str(stops),
                                          "--out", str(tmp_path / "out"), "--serial"])
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr[:500]
    assert "line 2: the field stop_name has about 50000000 characters" in lines[0], lines[0][:500]
