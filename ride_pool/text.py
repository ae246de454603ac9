"""Names people and files give, and the cells of every CSV the service writes.

One validator of names for the whole service (user names, phone callers, stops and towns, vehicle
labels, and through the labels the depots named after them): usable as a pydantic type
(:data:`Name`, :data:`StopName`) and as a plain function (:func:`check_name`, e.g. in the stop-file
reader). A name is refused (:class:`InvalidName`, API code ``invalid_name``) when it is blank, has
control characters (line breaks, tabs, ...), or has invisible direction marks and overrides that
make text display in another order than it is stored (U+202A-U+202E, U+2066-U+2069, U+200E/F,
U+061C) or zero-width characters. Zero-width (non-)joiners (U+200C/D) are kept: some scripts
and emoji need them.

Stop names and towns, which come from files of others (GTFS, station lists) and end up in
spreadsheets, must also not start with ``=``, ``+`` or ``@``: a spreadsheet takes such a cell for a
formula (``=HYPERLINK(...)``). ``-`` is allowed at the start (rare, but a real name may begin so);
every CSV the service writes escapes it anyway (:func:`csv_cell`).

This module imports nothing else of ``ride_pool`` (the simulator and the stop-file reader use it).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator

from ride_pool.messages import Message, msg

#: the longest name (characters, once trimmed)
MAX_NAME = 200
#: direction marks, embeddings, overrides and isolates; zero-width space, word joiner and the
#: invisible operators; the byte-order mark
_INVISIBLE = frozenset(
    "\u061c\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064"
    "\u2066\u2067\u2068\u2069\ufeff")
#: control characters (Cc), line and paragraph separators (Zl, Zp), surrogates (Cs)
_CONTROL_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cs"})
#: first characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: what a stop name or town may not start with (``-`` is allowed, see the module docstring)
_STOP_NAME_FORMULA_STARTS = ("=", "+", "@")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


class InvalidName(ValueError):
    """A name that cannot be accepted; the message (a catalogue message) says what to change."""

    def __init__(self, message: Message | str):
        super().__init__(str(message))
        self.message = message


def name_problem(value: str, *, formulas: bool = True, max_length: int = MAX_NAME) -> Message | None:
    """What is wrong with ``value`` (already trimmed) as a name, or None (``str()`` of the message
    is its English text). ``formulas`` False also refuses a leading ``=``, ``+`` or ``@`` (stop
    names and towns)."""
    if not value:
        return msg("name_empty")
    if len(value) > max_length:
        return msg("name_too_long", length=len(value), most=max_length)
    for char in value:
        if char in _INVISIBLE:
            return msg("name_invisible", code=f"U+{ord(char):04X}", char=unicodedata.name(char, "format"))
        if unicodedata.category(char) in _CONTROL_CATEGORIES:
            return msg("name_control", code=f"U+{ord(char):04X}")
    if not formulas and value.startswith(_STOP_NAME_FORMULA_STARTS):
        return msg("name_formula", start=repr(value[0]))
    return None


def check_name(value: str, what: Message | None = None, *, formulas: bool = True,
               max_length: int = MAX_NAME) -> str:
    """``value`` trimmed, if it is an acceptable name; else :class:`InvalidName` starting with
    ``what`` (default "the name")."""
    trimmed = value.strip()
    problem = name_problem(trimmed, formulas=formulas, max_length=max_length)
    if problem:
        raise InvalidName(msg("name_problem", what=what or msg("the_name"), problem=problem))
    return trimmed


def _name(value: str) -> str:
    return check_name(value)


def _stop_name(value: str) -> str:
    return check_name(value, formulas=False)


def _optional_town(value: str) -> str:
    return "" if not value.strip() else check_name(value, formulas=False)


#: a person's, vehicle's or caller's name (pydantic type)
Name = Annotated[str, AfterValidator(_name)]
#: a stop's name (pydantic type): no formula start either
StopName = Annotated[str, AfterValidator(_stop_name)]
#: a stop's town; "" (no town) is allowed
Town = Annotated[str, AfterValidator(_optional_town)]


def csv_cell(value: Any) -> Any:
    """``value`` safe for a CSV cell that a spreadsheet opens: a text starting with ``= + - @``,
    a tab or a carriage return gets a leading apostrophe, so it is shown as text and never run as
    a formula. Numbers, and texts that are plain numbers (``-3.5``, ``+1e3``), stay as they are."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if _NUMBER.fullmatch(value):
        return value
    return "'" + value
