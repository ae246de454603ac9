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
    """A name that cannot be accepted; the message says what to change."""


def name_problem(value: str, *, formulas: bool = True, max_length: int = MAX_NAME) -> str | None:
    """What is wrong with ``value`` (already trimmed) as a name, or None. ``formulas`` False also
    refuses a leading ``=``, ``+`` or ``@`` (stop names and towns)."""
    if not value:
        return "is empty or only blanks: give a name"
    if len(value) > max_length:
        return f"has {len(value)} characters; at most {max_length} are allowed"
    for char in value:
        if char in _INVISIBLE:
            return (f"contains the invisible character U+{ord(char):04X} ({unicodedata.name(char, 'format')}), "
                    "which changes how the text is shown: type the name again without it")
        if unicodedata.category(char) in _CONTROL_CATEGORIES:
            return (f"contains the control character U+{ord(char):04X}: line breaks, tabs and other control "
                    "characters are not allowed; write the name on one line")
    if not formulas and value.startswith(_STOP_NAME_FORMULA_STARTS):
        return (f"starts with {value[0]!r}, which spreadsheets read as a formula: "
                "remove it (a stop name starts with a letter or digit)")
    return None


def check_name(value: str, what: str = "the name", *, formulas: bool = True, max_length: int = MAX_NAME) -> str:
    """``value`` trimmed, if it is an acceptable name; else :class:`InvalidName` starting with
    ``what``."""
    trimmed = value.strip()
    problem = name_problem(trimmed, formulas=formulas, max_length=max_length)
    if problem:
        raise InvalidName(f"{what} {problem}")
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
