"""Real local servers for the notification tests (issue 17): an HTTP SMS gateway and a Web Push
endpoint that decrypts what it receives with the subscription's keys; an app fixture whose
settings point the channels at them (and at :class:`mail_support.Mailbox`)."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient

from api_support import _CHEAP_HASH, SECRET, Api, FakeClock
from mail_support import Mailbox
from ride_pool.api import security
from ride_pool.api.app import create_app
from ride_pool.settings import Settings

__all__ = ["SmsGateway", "PushEndpoint", "channels", "notify_api", "notify_settings"]


class _Server:
    """A ThreadingHTTPServer on 127.0.0.1 (free port) in a thread, recording POSTs."""

    def __init__(self, handle):
        self.requests: list[dict] = []
        self.statuses: list[int] = []     # statuses to answer in turn (then 201)
        self._changed = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):   # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                record = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
                status = outer.statuses.pop(0) if outer.statuses else 201
                if status < 300:
                    record.update(handle(record))
                with outer._changed:
                    outer.requests.append({**record, "status": status})
                    outer._changed.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def delivered(self) -> list[dict]:
        with self._changed:
            return [r for r in self.requests if r["status"] < 300]

    def wait_for(self, count: int, timeout: float = 20.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while len([r for r in self.requests if r["status"] < 300]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.requests)} requests, expected {count} delivered")
                self._changed.wait(left)
            return [r for r in self.requests if r["status"] < 300]


class SmsGateway(_Server):
    """An SMS gateway: POST /send with a JSON body ``{to, from, text, reference}``."""

    def __init__(self):
        super().__init__(lambda r: {"json": json.loads(r["body"])})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class PushEndpoint(_Server):
    """A push service endpoint for one browser subscription: it holds the subscription's private
    key and auth secret (as the browser would) and decrypts every message it receives
    (RFC 8291, aes128gcm) - proof that the service encrypted it for this subscription."""

    def __init__(self):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth_secret = os.urandom(16)
        public = self.private_key.public_key().public_bytes(serialization.Encoding.X962,
                                                            serialization.PublicFormat.UncompressedPoint)
        self.keys = {"p256dh": _b64(public), "auth": _b64(self.auth_secret)}

        def decrypt(record):
            import http_ece

            plain = http_ece.decrypt(record["body"], private_key=self.private_key, auth_secret=self.auth_secret,
                                     version="aes128gcm")
            return {"payload": json.loads(plain)}

        super().__init__(decrypt)

    def subscription(self, name: str = "browser1") -> dict:
        return {"endpoint": f"{self.url}/push/{name}", "keys": self.keys}


class NotifyApi(Api):
    pass


@pytest.fixture
def channels():
    with Mailbox() as mailbox, SmsGateway() as sms, PushEndpoint() as push:
        yield mailbox, sms, push


def notify_settings(database_url: str, mailbox: Mailbox, sms: SmsGateway, **extra) -> Settings:
    return Settings(database_url=database_url, secret_key=SECRET, smtp_host="127.0.0.1", smtp_port=mailbox.port,
                    sms_gateway_url=f"{sms.url}/send", sms_gateway_token="gateway-token",
                    push_contact="mailto:ops@example.org", push_allowed_hosts="127.0.0.1", **extra)


@pytest.fixture
def notify_api(database_url, demo_network, channels, monkeypatch):
    """An app (no background threads: the test runs the sender with ``service.sender.run_once()``)
    whose channels point at the local servers; ``api.mailbox``, ``api.sms``, ``api.push``."""
    monkeypatch.setattr(security, "_password_hash", _CHEAP_HASH)
    mailbox, sms, push = channels
    clock = FakeClock()
    app = create_app(notify_settings(database_url, mailbox, sms), network=demo_network, clock=clock,
                     background=False)
    with TestClient(app, headers={"Accept-Language": "en"}) as client:
        api = NotifyApi(client, clock)
        api.mailbox, api.sms, api.push = mailbox, sms, push
        yield api
