"""Every text the server sends people: a code, a German text (the default) and an English one.

A refusal or explanation is a :class:`Message` (a catalogue key and named parameters), not a
pre-rendered sentence; it is rendered where it leaves the server, in the language the client asks
for with ``Accept-Language`` (German unless English is preferred)::

    raise NotFound(msg("booking_unknown", booking_id=b))       # str(exc) is the English text
    msg("booking_unknown", booking_id=b).render("de")         # "Die Buchung … ist nicht bekannt."

Parameters may be plain values, other messages (rendered in the same language) or the localised
values below: :class:`Duration` ("8 Std. 12 Min."), :class:`Clock` ("05:00"), :class:`Day`
("Mo, 07.12.2026"), :class:`Hours` ("Mo–Fr 05:00–23:00"), :class:`Plural` and :class:`Field`.
The catalogue itself lives in :mod:`ride_pool.message_catalogue`; ``tests/test_messages.py`` checks
that every code raised in the source has an entry and that no German text has English words left.
"""

from __future__ import annotations

import contextvars
import re
import string
from dataclasses import dataclass
from datetime import datetime

from ride_pool.message_catalogue import CATALOGUE, FIELDS

LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"

#: the language of the request being handled (set by the API from ``Accept-Language``)
current_language: contextvars.ContextVar[str] = contextvars.ContextVar("ride_pool_language", default=DEFAULT_LANGUAGE)


def language_of(accept_language: str | None) -> str:
    """``de`` or ``en`` from an ``Accept-Language`` header: the best-weighted of the two, German
    when neither is named (or on a tie, German first)."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    best, best_q = DEFAULT_LANGUAGE, -1.0
    for part in accept_language.split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().lower().split("-")[0]
        if lang not in LANGUAGES:
            continue
        q = 1.0
        m = re.search(r"q\s*=\s*([0-9.]+)", params)
        if m:
            try:
                q = float(m.group(1))
            except ValueError:
                q = 0.0
        if q > best_q or (q == best_q and lang == "de"):
            best, best_q = lang, q
    return best if best_q > 0 else DEFAULT_LANGUAGE


def scope_language(scope) -> str:
    """:func:`language_of` the ``Accept-Language`` header of an ASGI ``scope``."""
    header = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"accept-language"), None)
    return language_of(header)


class Refused(ValueError):
    """A value a check refuses (in request models and row checks), with its catalogue message
    (``str()`` is the English text; the API renders ``message`` in the request's language)."""

    def __init__(self, message: "Message"):
        super().__init__(str(message))
        self.message = message


class UnknownMessage(KeyError):
    """A message key without a catalogue entry (a programming error, caught by the tests)."""


@dataclass(frozen=True)
class Message:
    """A catalogue key with its parameters; ``str()`` is the English text (logs, exceptions)."""

    key: str
    params: dict

    def render(self, lang: str | None = None) -> str:
        lang = lang if lang in LANGUAGES else current_language.get()
        entry = CATALOGUE.get(self.key)
        if entry is None:
            raise UnknownMessage(self.key)
        template = entry[0] if lang == "de" else entry[1]
        values = {k: localise(v, lang) for k, v in self.params.items()}
        return string.Formatter().vformat(template, (), _Defaulting(values))

    def __str__(self) -> str:
        return self.render("en")


class _Defaulting(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def msg(key: str, /, **params) -> Message:
    """The message ``key`` of the catalogue with ``params`` (checked to exist at once)."""
    if key not in CATALOGUE:
        raise UnknownMessage(key)
    return Message(key, params)


def render(value, lang: str | None = None) -> str:
    """A message (or any value) as text in ``lang`` (default: the current request's language)."""
    return localise(value, lang if lang in LANGUAGES else current_language.get())


def localise(value, lang: str):
    if isinstance(value, Message):
        return value.render(lang)
    if isinstance(value, Localised):
        return value.render(lang)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(localise(v, lang)) for v in value)
    return value


class Localised:
    """A message parameter that renders itself in the message's language (durations, clock times,
    lists of needs, ...)."""

    def render(self, lang: str) -> str:       # pragma: no cover - overridden
        raise NotImplementedError


@dataclass(frozen=True)
class Duration(Localised):
    """A span of time in words: "8 Std. 12 Min." / "8 hours 12 minutes", "2 Tage" / "2 days"."""

    seconds: float

    def render(self, lang: str) -> str:
        total = max(0, int(round(self.seconds / 60)))
        days, rest = divmod(total, 1440)
        hours, minutes = divmod(rest, 60)
        if lang == "de":
            parts = ([f"{days} {'Tag' if days == 1 else 'Tage'}"] if days else []) + \
                ([f"{hours} Std."] if hours else []) + ([f"{minutes} Min."] if minutes or not (days or hours) else [])
        else:
            parts = ([f"{days} {'day' if days == 1 else 'days'}"] if days else []) + \
                ([f"{hours} {'hour' if hours == 1 else 'hours'}"] if hours else []) + \
                ([f"{minutes} {'minute' if minutes == 1 else 'minutes'}"] if minutes or not (days or hours) else [])
        return " ".join(parts)


@dataclass(frozen=True)
class Clock(Localised):
    """A local time of day, "05:00"; with ``seconds`` "05:00:12"."""

    at: datetime
    seconds: bool = False

    def render(self, lang: str) -> str:
        return self.at.strftime("%H:%M:%S" if self.seconds else "%H:%M")


WEEKDAYS_DE = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Day(Localised):
    """A local date (with the time of day when ``time``): "Mo, 07.12.2026 08:00" / "Mon 2026-12-07 08:00"."""

    at: datetime
    time: bool = True

    def render(self, lang: str) -> str:
        wd = self.at.weekday()
        if lang == "de":
            text = f"{WEEKDAYS_DE[wd]}, {self.at:%d.%m.%Y}"
        else:
            text = f"{WEEKDAYS_EN[wd]} {self.at:%Y-%m-%d}"
        return f"{text} {self.at:%H:%M}" if self.time else text


@dataclass(frozen=True)
class Moment(Localised):
    """A local time said from ``now``'s day: "heute 05:00" / "today 05:00", "morgen 05:00",
    else "Mi, 04.03. 05:00" / "Wed 03-04 05:00"."""

    at: datetime
    now: datetime

    def render(self, lang: str) -> str:
        days = (self.at.date() - self.now.date()).days
        de = lang == "de"
        if days == 0:
            day = "heute" if de else "today"
        elif days == 1:
            day = "morgen" if de else "tomorrow"
        elif de:
            day = f"{WEEKDAYS_DE[self.at.weekday()]}, {self.at:%d.%m.}"
        else:
            day = f"{WEEKDAYS_EN[self.at.weekday()]} {self.at:%Y-%m-%d}"
        return f"{day} {self.at:%H:%M}" + (" Uhr" if de else "")


@dataclass(frozen=True)
class Hours(Localised):
    """Operating hours ``{"mon": ("05:00", "23:00"), ...}`` grouped: "Mo–Fr 05:00–23:00, Sa 07:00–20:00"."""

    hours: tuple

    @classmethod
    def of(cls, hours: dict) -> "Hours":
        order = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

        def spans(span) -> tuple:    # one [open, close] or several
            if span and all(isinstance(x, str) for x in span):
                return (tuple(span),)
            return tuple(tuple(one) for one in span)

        return cls(tuple((order.index(d), spans(hours[d])) for d in order if d in hours))

    def render(self, lang: str) -> str:
        names = WEEKDAYS_DE if lang == "de" else WEEKDAYS_EN
        groups: list[list] = []       # [first day, last day, span]
        for day, span in self.hours:
            if groups and groups[-1][1] == day - 1 and groups[-1][2] == span:
                groups[-1][1] = day
            else:
                groups.append([day, day, span])
        parts = []
        for first, last, span in groups:
            days = names[first] if first == last else (
                f"{names[first]}, {names[last]}" if last == first + 1 else f"{names[first]}–{names[last]}")
            parts.append(f"{days} " + " / ".join(f"{one[0]}–{one[1]}" for one in span))
        if not parts:
            return "geschlossen" if lang == "de" else "closed"
        return ", ".join(parts)


@dataclass(frozen=True)
class Plural(Localised):
    """``n`` with the fitting noun: Plural(2, "Buchung", "Buchungen", "booking", "bookings")."""

    n: int
    de_one: str
    de_many: str
    en_one: str
    en_many: str

    def render(self, lang: str) -> str:
        if lang == "de":
            return f"{self.n} {self.de_one if self.n == 1 else self.de_many}"
        return f"{self.n} {self.en_one if self.n == 1 else self.en_many}"


@dataclass(frozen=True)
class Joined(Localised):
    """Several messages (or values) in one text, each rendered in the language, joined by ``sep``."""

    items: tuple
    sep: str = "\n"

    def render(self, lang: str) -> str:
        return self.sep.join(str(localise(item, lang)) for item in self.items)


@dataclass(frozen=True)
class OneOf(Localised):
    """Alternatives: "a or b or c" / "a oder b oder c"."""

    items: tuple

    def render(self, lang: str) -> str:
        return (" oder " if lang == "de" else " or ").join(str(localise(i, lang)) for i in self.items)


@dataclass(frozen=True)
class Field(Localised):
    """The name of a request field: German words for the ones riders see ("Start", "Ziel"), the
    field name itself otherwise."""

    name: str

    def render(self, lang: str) -> str:
        entry = FIELDS.get(self.name)
        if entry is None:
            return self.name
        return entry[0] if lang == "de" else entry[1]
