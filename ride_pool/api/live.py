"""Live updates: dispatcher events fanned out to server-sent-event streams (riders, drivers)."""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import StreamingResponse

from ride_pool.api.schemas import StreamTicketOut
from ride_pool.dispatch.domain import Event


@dataclass
class Subscriber:
    queue: asyncio.Queue
    loop: asyncio.AbstractEventLoop
    wants: Callable[[Event], bool]


class LiveBroker:
    """Fans dispatcher events out to server-sent-event streams (thread-safe publish)."""

    def __init__(self):
        self._subs: list[Subscriber] = []
        self._lock = threading.Lock()

    def subscribe(self, wants: Callable[[Event], bool]) -> Subscriber:
        sub = Subscriber(asyncio.Queue(maxsize=1000), asyncio.get_running_loop(), wants)
        with self._lock:
            self._subs.append(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    def publish(self, event: Event) -> None:
        if not self._subs:      # nobody listens (the common case under load): no message to build
            return
        with self._lock:
            subs = list(self._subs)
        message = json.dumps({"kind": event.kind.value, "cause": event.cause, "time": event.time,
                              "booking_id": event.booking_id, "shift_id": event.shift_id,
                              "vehicle_id": event.vehicle_id})
        for sub in subs:
            if sub.wants(event):
                try:
                    sub.loop.call_soon_threadsafe(_put, sub.queue, message)
                except RuntimeError:   # the stream's loop has closed
                    self.unsubscribe(sub)


def _put(queue: asyncio.Queue, message: str) -> None:
    if not queue.full():
        queue.put_nowait(message)


def stream_ticket(service, caller, request: Request) -> StreamTicketOut:
    """A ticket for ``caller`` that opens the event stream whose ticket was asked for at
    ``request`` (its path without ``/ticket``) once; ``service`` is the running service."""
    stream = request.url.path.removesuffix("/ticket")
    account = service.callers.account(caller.user_id)
    version = account.token_version if account is not None else -1
    ticket = service.tokens.ticket(caller.user_id, version, stream, caller.token_jti or "")
    return StreamTicketOut(ticket=ticket, expires_in=service.tokens.ticket_seconds,
                           url=f"{stream}?{urlencode({'ticket': ticket})}")


async def event_stream(request: Request, broker: LiveBroker, wants: Callable[[Event], bool],
                       initial: dict | None = None) -> StreamingResponse:
    """A server-sent-event response: ``hello`` with ``initial``, then ``change`` for every event
    ``wants``, and a keep-alive comment every 15 s."""
    sub = broker.subscribe(wants)

    async def gen():
        try:
            yield "retry: 3000\n\n"
            if initial is not None:
                yield f"event: hello\ndata: {json.dumps(initial)}\n\n"
            while True:
                if await request.is_disconnected():
                    break
                try:
                    message = await asyncio.wait_for(sub.queue.get(), timeout=15)
                    yield f"event: change\ndata: {message}\n\n"
                except asyncio.TimeoutError:
                    yield ": keep-alive\n\n"
        finally:
            broker.unsubscribe(sub)

    return StreamingResponse(gen(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
