"""Outgoing e-mail: confirmation codes and account notices, sent over SMTP as the settings say
(``RIDE_POOL_SMTP_*``) with the standard library's :mod:`smtplib`.

Mail is sent on a thread of its own (never on the event loop, never holding a request thread): a
slow or unreachable mail server delays nobody's request. A mail that cannot be sent is logged (the
account it belongs to is kept; the rider can ask for a new code) - the log line names the
recipient and the error, never the code.
"""

from __future__ import annotations

import logging
import smtplib
from concurrent.futures import Future, ThreadPoolExecutor
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from ride_pool.settings import Settings

log = logging.getLogger(__name__)


def plain_mail(settings: Settings, to: str, subject: str, text: str, message_id: str | None = None) -> EmailMessage:
    """A plain-text mail from ``smtp_from`` (``message_id``: its Message-ID; None: a new one)."""
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = message_id or make_msgid(domain="ride-pool")
    message.set_content(text)
    return message


def smtp_send(settings: Settings, message: EmailMessage) -> None:
    """Hand ``message`` to the SMTP server of ``settings`` (STARTTLS and login as configured);
    raises OSError or smtplib.SMTPException."""
    s = settings
    with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_s) as smtp:
        if s.smtp_starttls:
            smtp.starttls()
        if s.smtp_username:
            smtp.login(s.smtp_username, s.smtp_password or "")
        smtp.send_message(message)


class Mailer:
    """Sends plain-text mails over the SMTP server of ``settings`` in the background."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._pool: ThreadPoolExecutor | None = None

    def message(self, to: str, subject: str, text: str) -> EmailMessage:
        """The mail as it is sent (``From`` is ``smtp_from``)."""
        return plain_mail(self.settings, to, subject, text)

    def send_now(self, to: str, subject: str, text: str) -> bool:
        """Send the mail and wait for it; False (and a log line) if it could not be sent."""
        s = self.settings
        try:
            smtp_send(s, self.message(to, subject, text))
            return True
        except (OSError, smtplib.SMTPException) as exc:
            # the subject is not logged: it may carry a confirmation code
            log.error("could not send a mail to %s over %s:%s: %s", to, s.smtp_host, s.smtp_port, exc)
            return False

    def send(self, to: str, subject: str, text: str) -> Future:
        """Send the mail on the mailer's thread; returns at once (the future tells the outcome)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="mail")
        return self._pool.submit(self.send_now, to, subject, text)

    def close(self) -> None:
        """Let the mails already handed over go out, then stop the thread."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
