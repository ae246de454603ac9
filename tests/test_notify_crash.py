"""Issue 17: the outbox survives ``kill -9`` between write and send, and during a send, without
losing or doubling a message (at most once per message; see ride_pool.api.outbox_sender).

A child process (tests/outbox_crash_child.py) books three rides - each booking commits its
"booking confirmed" message in the same transaction - and is killed with SIGKILL before any
sender ran. A second child runs the sender against a local SMTP server that holds the second
mail open at DATA until the test has killed that child too: the first mail was delivered, the
second was handed over but never recorded, the third never claimed. A third child (a restart)
must deliver the third exactly once, never send the first or the second again, and leave the
second ``unknown`` for the operator.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from api_support import TUESDAY_0900
from mail_support import Mailbox
from ride_pool.db.engine import make_engine, read_session
from ride_pool.db.models import OutboxAttemptRow, OutboxRow

pytestmark = pytest.mark.database     # CI runs it again on PostgreSQL
CHILD = Path(__file__).with_name("outbox_crash_child.py")
ROOT = Path(__file__).resolve().parent.parent


class HoldingMailbox(Mailbox):
    """A Mailbox that keeps the SMTP session of ``hold`` open at DATA (after recording the mail)
    until :attr:`release` is set."""

    def __init__(self, hold: str):
        super().__init__()
        self.hold = hold
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        if self.hold in envelope.rcpt_tos:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        return answer


class Child:
    def __init__(self, mode: str, url: str, network: Path, port: int, log: Path):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.log = log
        self.out = open(log, "w")
        self.proc = subprocess.Popen([sys.executable, str(CHILD), mode, url, str(network), str(port),
                                      str(TUESDAY_0900)], stdout=self.out, stderr=subprocess.STDOUT, env=env,
                                     cwd=str(ROOT), start_new_session=True)

    def wait_for(self, text: str, timeout: float = 120) -> None:
        import time
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log.read_text():
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"child exited {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.05)
        raise AssertionError(f"no {text!r} from the child:\n{self.log.read_text()[-3000:]}")

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.out.close()
        assert self.proc.returncode == -signal.SIGKILL


def rows(url: str) -> dict[str, tuple[str, int]]:
    engine = make_engine(url)
    try:
        with read_session(engine) as s:
            users = {r.rider_id: r for r in s.scalars(select(OutboxRow))}
            from ride_pool.db.models import User
            emails = dict(s.execute(select(User.id, User.email)).all())
            out = {emails[rid].split("@")[0]: (r.status, r.attempts) for rid, r in users.items()}
            out["_attempts"] = [(a.channel, a.outcome) for a in s.scalars(select(OutboxAttemptRow)
                                                                          .order_by(OutboxAttemptRow.id))]
            return out
    finally:
        engine.dispose()


def test_outbox_survives_kill_9_between_write_and_send_and_during_send(database_url, demo_network, tmp_path):
    network = tmp_path / "demo.npz"
    demo_network.save(network)
    with HoldingMailbox(hold="b@crash.test") as mailbox:
        # 1. write, killed before any sender ran: all three messages are there, pending
        writer = Child("write", database_url, network, mailbox.port, tmp_path / "write.log")
        writer.wait_for("WRITTEN")
        writer.kill9()
        state = rows(database_url)
        assert {k: v for k, v in state.items() if k != "_attempts"} == {
            "a": ("pending", 0), "b": ("pending", 0), "c": ("pending", 0)}
        assert mailbox.mails == []

        # 2. a sender, killed while the SMTP server holds b's mail at DATA
        sender = Child("send", database_url, network, mailbox.port, tmp_path / "send1.log")
        assert mailbox.holding.wait(120), (tmp_path / "send1.log").read_text()
        sender.kill9()
        mailbox.release.set()
        state = rows(database_url)
        assert (state["a"], state["b"], state["c"]) == (("sent", 1), ("sending", 1), ("pending", 0))

        # 3. restart: c goes out once, a and b are never sent again, b is "unknown"
        restarted = Child("send", database_url, network, mailbox.port, tmp_path / "send2.log")
        restarted.wait_for("DONE")
        log = (tmp_path / "send2.log").read_text()
        restarted.kill9()
        assert "RECOVERED 1" in log and "ROUND 1" in log
        assert [len(mailbox.to(f"{n}@crash.test")) for n in "abc"] == [1, 1, 1]
        state = rows(database_url)
        assert (state["a"], state["b"], state["c"]) == (("sent", 1), ("unknown", 1), ("sent", 1))
        assert state["_attempts"] == [("email", "sent"), ("email", "unknown"), ("email", "sent")]
