"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 (a free port) that keeps every mail.

    with Mailbox() as mailbox:
        settings = Settings(..., smtp_host="127.0.0.1", smtp_port=mailbox.port)
        ...
        code = mailbox.code_for("anna@example.org")
"""

from __future__ import annotations

import re
import socket
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller

#: the code stands on a line of its own in the mail
CODE = re.compile(r"^\s*([0-9]{6,8})\s*$", re.MULTILINE)


@dataclass
class Mail:
    to: list[str]
    subject: str
    text: str

    @property
    def code(self) -> str | None:
        found = CODE.search(self.text)
        return found.group(1) if found else None


class Mailbox:
    """The mails received by a local SMTP server, in arrival order."""

    def __init__(self):
        self.mails: list[Mail] = []
        self._changed = threading.Condition()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):   # aiosmtpd handler hook
        message = message_from_bytes(envelope.content, policy=policy.default)
        body = message.get_body(("plain",))
        mail = Mail([a.lower() for a in envelope.rcpt_tos], str(message["Subject"]),
                    body.get_content() if body is not None else "")
        with self._changed:
            self.mails.append(mail)
            self._changed.notify_all()
        return "250 Message accepted for delivery"

    def __enter__(self) -> Mailbox:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    def to(self, address: str) -> list[Mail]:
        with self._changed:
            return [m for m in self.mails if address.lower() in m.to]

    def wait_for(self, address: str, count: int = 1, timeout: float = 20.0) -> list[Mail]:
        """The mails to ``address`` once there are ``count`` of them (the service sends in the
        background); fails after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [m for m in self.mails if address.lower() in m.to]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(found)} mails to {address} within {timeout} s, expected {count}: "
                                         f"{[m.subject for m in self.mails]}")
                self._changed.wait(left)

    def code_for(self, address: str, count: int = 1) -> str:
        """The confirmation code in the ``count``-th mail to ``address``."""
        mail = self.wait_for(address, count)[count - 1]
        assert mail.code, mail
        return mail.code
