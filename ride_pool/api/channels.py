"""The delivery channels of rider notifications (issue 17), each configured by settings:
e-mail over SMTP, SMS through an HTTP gateway, Web Push with the deployment's VAPID keys.

Every channel's ``send`` returns None when the message was handed over and raises
:class:`ChannelError` otherwise (``gone`` when the address no longer exists, e.g. a push
subscription the push service dropped). The message id goes along as the channel allows it
(e-mail ``Message-ID``, the gateway's ``reference`` and an ``Idempotency-Key`` header, the push
``Topic``) so a receiver that keeps ids can tell a repeat.
"""

from __future__ import annotations

import json
import smtplib
import urllib.parse

import httpx

from ride_pool.api.mail import plain_mail, smtp_send
from ride_pool.settings import Settings


class ChannelError(Exception):
    def __init__(self, message: str, *, gone: bool = False):
        super().__init__(message)
        self.gone = gone


class EmailChannel:
    name = "email"

    def __init__(self, settings: Settings):
        self.settings = settings

    def send(self, to: str, subject: str, text: str, message_id: str) -> None:
        s = self.settings
        try:
            # the Message-ID comes from the outbox message: a mail server sees a repeat as the same mail
            smtp_send(s, plain_mail(s, to, subject, text, f"<{message_id}@ride-pool.notify>"))
        except smtplib.SMTPRecipientsRefused as exc:
            raise ChannelError(f"SMTP refused the recipient: {exc}", gone=True) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise ChannelError(f"SMTP {s.smtp_host}:{s.smtp_port}: {exc}") from exc


class SmsChannel:
    name = "sms"

    def __init__(self, settings: Settings):
        self.settings = settings

    @property
    def configured(self) -> bool:
        return bool(self.settings.sms_gateway_url)

    def body(self, to: str, text: str, message_id: str) -> str:
        """The request body from ``sms_body_template`` (values JSON-quoted, or URL-encoded for a
        form body)."""
        s = self.settings
        values = {"to": to, "text": text, "sender": s.sms_sender, "id": message_id}
        if "json" in s.sms_content_type:
            quoted = {k: json.dumps(v, ensure_ascii=False) for k, v in values.items()}
        else:
            quoted = {k: urllib.parse.quote_plus(v) for k, v in values.items()}
        return s.sms_body_template.format(**quoted)

    def send(self, to: str, text: str, message_id: str) -> None:
        s = self.settings
        if not s.sms_gateway_url:
            raise ChannelError("no SMS gateway configured (RIDE_POOL_SMS_GATEWAY_URL)")
        headers = {"Content-Type": s.sms_content_type, "Idempotency-Key": message_id}
        if s.sms_gateway_token:
            headers["Authorization"] = f"Bearer {s.sms_gateway_token}"
        auth = (s.sms_gateway_username, s.sms_gateway_password or "") if s.sms_gateway_username else None
        try:
            response = httpx.post(s.sms_gateway_url, content=self.body(to, text, message_id).encode(),
                                  headers=headers, auth=auth, timeout=s.sms_timeout_s)
        except httpx.HTTPError as exc:
            raise ChannelError(f"SMS gateway: {exc}") from exc
        if response.status_code >= 300:
            raise ChannelError(f"SMS gateway answered {response.status_code}: {response.text[:200]}",
                               gone=response.status_code in (400, 404, 422))


def push_endpoint_allowed(endpoint: str, allowed_hosts: str) -> bool:
    """Whether a subscription's endpoint names one of the allowed push services (see the setting
    ``push_allowed_hosts``): https, or http to this machine only."""
    parsed = urllib.parse.urlsplit(endpoint)
    host = (parsed.hostname or "").lower()
    local = host in ("127.0.0.1", "localhost")
    if parsed.scheme != "https" and not (parsed.scheme == "http" and local):
        return False
    for entry in (h.strip().lower() for h in allowed_hosts.split(",") if h.strip()):
        if host == entry or (entry.startswith(".") and host.endswith(entry)):
            return True
    return False


class PushChannel:
    name = "push"

    def __init__(self, settings: Settings, private_pem: str):
        from py_vapid import Vapid

        self.settings = settings
        self.vapid = Vapid.from_pem(private_pem.encode())

    def send(self, subscription: dict, payload: dict, message_id: str) -> None:
        from pywebpush import WebPushException, webpush

        if not push_endpoint_allowed(subscription["endpoint"], self.settings.push_allowed_hosts):
            raise ChannelError("the subscription names a push service that is not allowed", gone=True)
        try:
            webpush({"endpoint": subscription["endpoint"], "keys": subscription["keys"]},
                    data=json.dumps(payload, ensure_ascii=False), vapid_private_key=self.vapid,
                    vapid_claims={"sub": self.settings.push_contact}, ttl=self.settings.push_ttl_s,
                    headers={"Topic": message_id[:32]}, timeout=10)
        except WebPushException as exc:
            status = getattr(exc.response, "status_code", None)
            raise ChannelError(f"push service: {exc}", gone=status in (404, 410)) from exc
        except Exception as exc:   # requests' connection errors and the like
            raise ChannelError(f"push service: {exc}") from exc
