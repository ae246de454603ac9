"""The outbox sender: delivers rider notifications from the outbox, on a thread of its own.

The dispatcher only *writes* messages (in the transaction of the change that caused them, see
:mod:`ride_pool.dispatch.notices`); it never waits for a mail server, an SMS gateway or a push
service. This sender, every ``notify_poll_s`` seconds:

1. runs its periodic jobs (``ticks``): the live-plan check behind "pickup in about 10 minutes" and
   "running late" (:meth:`~ride_pool.dispatch.dispatcher.Dispatcher.check_pickups`), the booking
   of series occurrences that entered the horizon - they commit events through the dispatcher,
   whose outbox messages this loop then sends;
2. takes the due ``pending`` messages, decides the channels (the rider's choice and addresses, or
   the phone caller's number when the operator recorded SMS consent), holds back messages in the
   rider's quiet hours (until they end; "pickup soon" and "running late" are about a ride that is
   happening and go out anyway) and drops those that came too late to matter (a "pickup soon"
   after the pickup);
3. claims each message (committed: ``sending`` plus a ``started`` attempt per channel) *before*
   handing it to the channels, then records every attempt's outcome. A failed channel is retried
   with exponential back-off (``notify_backoff_s * 2**(n-1)``) up to ``notify_max_attempts``;
   channels that already delivered are not tried again.

**Delivery guarantee: at most once per message and channel, no loss before the claim.** A crash
(``kill -9``) after the claim and before the outcome is recorded leaves the message ``sending``;
nobody can know whether the channel took it, so at the next start it becomes ``unknown`` and is
never sent again (the operator's outbox list shows it). A crash before the claim loses nothing:
the message is still ``pending`` and goes out after the restart. The window of doubt is one
channel call; the message id goes with it (e-mail ``Message-ID``, SMS ``reference`` and
``Idempotency-Key``, push ``Topic``) for receivers that can tell repeats.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import datetime, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from ride_pool.api.channels import ChannelError, EmailChannel, PushChannel, SmsChannel
from ride_pool.api.notice_texts import render
from ride_pool.db import outbox
from ride_pool.settings import Settings

log = logging.getLogger(__name__)

#: kinds about a ride that is happening now: they ignore quiet hours, and are dropped once late
URGENT = frozenset({"pickup_soon", "running_late", "connection_at_risk"})


def _minutes(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def quiet_until(now: int, quiet_from: str | None, quiet_to: str | None, timezone: str) -> int | None:
    """The end of the quiet hours ``quiet_from``-``quiet_to`` (local "HH:MM", may span midnight)
    when ``now`` lies in them, else None."""
    if not quiet_from or not quiet_to or quiet_from == quiet_to:
        return None
    local = datetime.fromtimestamp(now, ZoneInfo(timezone))
    minute = local.hour * 60 + local.minute
    a, b = _minutes(quiet_from), _minutes(quiet_to)
    inside = a <= minute < b if a < b else (minute >= a or minute < b)
    if not inside:
        return None
    end = local.replace(hour=b // 60, minute=b % 60, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return int(end.timestamp())


class OutboxSender:
    """Delivers the outbox of ``engine`` (see the module docstring)."""

    def __init__(self, engine: Engine, settings: Settings, clock: Callable[[], int], *,
                 timezone: Callable[[], str] = lambda: "Europe/Berlin",
                 ticks: list[Callable[[], object]] | None = None):
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.timezone = timezone
        self.ticks = list(ticks or [])
        #: this sender's id, written on the rows it claims
        self.sender_id = f"sender:{uuid.uuid4().hex[:16]}"
        self.email = EmailChannel(settings)
        self.sms = SmsChannel(settings)
        self._push: PushChannel | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._started = False

    # ------------------------------------------------------------------ lifecycle
    def recover(self) -> int:
        """At start: messages a crashed sender left ``sending`` become ``unknown``."""
        self._started = True
        lost = outbox.mark_orphans_unknown(self.engine, self.sender_id, self.clock())
        if lost:
            log.warning("%d notification(s) were being sent when the service stopped; not sent again", lost)
        return lost

    def start(self) -> None:
        if self._thread is not None:
            return
        self.recover()
        self._stop.clear()

        def loop():
            last_ticks = 0.0
            while not self._stop.is_set():
                # the periodic jobs every notify_poll_s; a wake-up (a commit wrote a message) only
                # delivers, so that a burst of bookings does not run the pickup check each time
                due = time.monotonic() - last_ticks >= self.settings.notify_poll_s
                if due:
                    last_ticks = time.monotonic()
                try:
                    self.run_once(ticks=due)
                except Exception:
                    log.exception("notification sender round failed")
                self._wake.wait(self.settings.notify_poll_s)
                self._wake.clear()

        self._thread = threading.Thread(target=loop, name="outbox-sender", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look at the outbox now (e.g. after a commit wrote messages)."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    # ------------------------------------------------------------------ one round
    def run_once(self, ticks: bool = True) -> int:
        """The periodic jobs (unless ``ticks`` is False), then every due message; returns how many
        were delivered."""
        if not self._started:
            self.recover()
        for tick in self.ticks if ticks else ():
            try:
                tick()
            except Exception:
                log.exception("notification job failed")
        sent = 0
        for message in outbox.pending_due(self.engine, self.clock()):
            sent += self.deliver(message) == outbox.SENT
        return sent

    def push_channel(self) -> PushChannel:
        if self._push is None:
            private_pem, _ = outbox.vapid_keys(self.engine, self.clock())
            self._push = PushChannel(self.settings, private_pem)
        return self._push

    def plan(self, message: outbox.Claimed) -> tuple[list[tuple[str, object]], str, int | None]:
        """The channels and addresses for ``message`` ([(channel, address)]), its language and
        the end of the recipient's quiet hours (None: not quiet)."""
        s = self.settings
        targets: list[tuple[str, object]] = []
        language, quiet = "de", None
        if message.rider_id is not None:
            r = outbox.recipient(self.engine, message.rider_id)
            if r is not None:
                language = r.language
                if "email" in r.channels and r.email and s.notify_email:
                    targets.append(("email", r.email))
                if "sms" in r.channels and r.phone and self.sms.configured:
                    targets.append(("sms", r.phone))
                if "push" in r.channels and r.push and s.push_enabled:
                    targets.append(("push", r.push))
                quiet = quiet_until(self.clock(), r.quiet_from, r.quiet_until, self.timezone())
        if message.phone and self.sms.configured and not any(c == "sms" for c, _ in targets):
            targets.append(("sms", message.phone))     # a phone caller who consented to SMS
        return targets, language, quiet

    def deliver(self, message: outbox.Claimed) -> str:
        """Claim, send and record one message; returns its new status."""
        now = self.clock()
        if message.kind in URGENT and message.data.get("eta") is not None and int(message.data["eta"]) < now - 300:
            outbox.set_status(self.engine, message.message_id, outbox.EXPIRED, now=now, error="too_late")
            return outbox.EXPIRED
        targets, language, quiet = self.plan(message)
        if not targets:
            outbox.set_status(self.engine, message.message_id, outbox.SKIPPED, now=now,
                              error="no_channel")   # codes: the dashboard says them in words
            return outbox.SKIPPED
        if quiet is not None and message.kind not in URGENT:
            outbox.set_status(self.engine, message.message_id, outbox.PENDING, now=now, due_at=quiet)
            return outbox.PENDING
        done = outbox.delivered_channels(self.engine, message.message_id)
        targets = [(c, a) for c, a in targets if c not in done]
        attempt_ids = outbox.claim(self.engine, message.message_id, [c for c, _ in targets], self.sender_id, now)
        if attempt_ids is None:
            return outbox.SENDING     # another sender has it
        subject, text = render(message.kind, message.data, language, self.timezone())
        outcomes: dict[int, str | None] = {}
        for attempt_id, (channel, address) in zip(attempt_ids, targets):
            outcomes[attempt_id] = self._send(channel, address, subject, text, message)
        attempts = message.attempts + 1
        if all(e is None for e in outcomes.values()):
            status, due = outbox.SENT, None
        elif attempts >= self.settings.notify_max_attempts:
            status, due = outbox.FAILED, None
        else:
            status, due = outbox.PENDING, self.clock() + self.settings.notify_backoff_s * 2 ** (attempts - 1)
        outbox.finish(self.engine, message.message_id, outcomes, now=self.clock(), status=status, due_at=due)
        return status

    def _send(self, channel: str, address, subject: str, text: str, message: outbox.Claimed) -> str | None:
        try:
            if channel == "email":
                self.email.send(address, subject, text, message.message_id)
            elif channel == "sms":
                self.sms.send(address, text, message.message_id)
            elif channel == "push":
                self._send_push(address, subject, text, message)
            return None
        except ChannelError as exc:
            log.warning("notification %s over %s failed: %s", message.message_id, channel, exc)
            return str(exc) or type(exc).__name__

    def _send_push(self, subscriptions: list[dict], subject: str, text: str, message: outbox.Claimed) -> None:
        payload = {"title": subject, "body": text, "kind": message.kind, "booking_id": message.booking_id,
                   "message_id": message.message_id}
        errors = []
        for sub in subscriptions:
            try:
                self.push_channel().send(sub, payload, message.message_id)
            except ChannelError as exc:
                if exc.gone:
                    outbox.drop_push_subscription(self.engine, sub["id"])
                errors.append(exc)
        if errors and len(errors) == len(subscriptions):
            raise errors[-1]
