"""Reading stop files: GTFS ``stops.txt`` or a station table such as VVO's ``vvo_stations.csv``.

The one parser of stop files, for the database import (:mod:`ride_pool.db.stops`) and the
simulator (:mod:`simulations.region`); it imports nothing else of ``ride_pool``.

Columns are found by name (any order, any case), the first of each row that is present:

==========  =====================================  =========
field       columns                                required
==========  =====================================  =========
``code``    ``stop_id``, ``id``, ``code``          no
``number``  ``numeric_id``                         no
``name``    ``stop_name``, ``name``                yes (the simulator's stops may go without)
``lat``     ``stop_lat``, ``latitude``, ``lat``    yes
``lon``     ``stop_lon``, ``longitude``, ``lon``,  yes
            ``lng``
``town``    ``city``, ``town``, ``municipality``   no
``kind``    ``kind``, ``stop_kind``, ``type``,     no
            ``stop_type``
==========  =====================================  =========

``kind`` (e.g. ``station``, ``bus``) is kept for the simulator, which makes stations hubs of its
demand model; the database import ignores it.

A stop's ``number`` is its ``numeric_id`` or else its ``code`` when that is all digits (VVO lists
both ``de:14627:4852`` and ``33004852``), None otherwise.

A stop without a name but with a town is named after the town (VVO lists village stops so).
Names and towns follow the service's name rules (:mod:`ride_pool.text`): no control characters or
direction overrides, and no leading ``=``, ``+`` or ``@`` (a spreadsheet formula such as
``=HYPERLINK(...)``). No field may be longer than :data:`MAX_FIELD` characters: a longer one
(a broken quote, a file that is not a stop list) is reported with its line and column.
GTFS rows with a ``location_type`` other than 0 (stations, entrances, generic nodes, boarding
areas) are left out: a stop is where a vehicle halts. The separator may be ``,``, ``;`` or a tab;
decimal commas (``51,12``) are read too. German headers as counties' spreadsheets have them
(``Haltestelle;Ort;Breite;Länge;DHID``) name the same fields, and a file that is not UTF-8 is
read as Windows-1252 (:func:`decode_stop_bytes`). The whole file is checked before
anything is returned, and every problem is reported with its line.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ride_pool.messages import Joined, Message, OneOf, msg
from ride_pool.text import name_problem

COLUMNS = {
    "code": ("stop_id", "id", "code", "dhid", "kennung", "haltestellennummer", "nummer"),
    "number": ("numeric_id",),
    "name": ("stop_name", "name", "haltestelle", "haltestellenname", "bezeichnung"),
    "lat": ("stop_lat", "latitude", "lat", "breite", "breitengrad"),
    "lon": ("stop_lon", "longitude", "lon", "lng", "länge", "laenge", "längengrad", "laengengrad"),
    "town": ("city", "town", "municipality", "ort", "gemeinde", "stadt"),
    "kind": ("kind", "stop_kind", "type", "stop_type", "art"),
}
REQUIRED = ("name", "lat", "lon")
#: problems listed in the error message (all are in ``StopFileError.problems``)
MAX_LISTED_PROBLEMS = 10
#: the longest field (characters); names are at most 200
MAX_FIELD = 1000
#: a physical line longer than this is reported without parsing it (below the csv module's own
#: field limit of 131072, which would otherwise end the whole read with an error)
MAX_LINE = 100_000


class StopFileError(ValueError):
    """A stop file cannot be read; ``problems`` lists ``(line, what to fix)`` (catalogue
    messages; ``str()`` of each and of the error is the English text)."""

    def __init__(self, message: Message, problems: list[tuple[int, Message]] | None = None):
        super().__init__(str(message))
        self.message = message
        self.problems = problems or []


@dataclass(frozen=True)
class StopRow:
    """One stop of a stop file."""

    code: str | None
    number: int | None
    name: str
    town: str
    lat: float
    lon: float
    #: the file's kind/type column ("" without one)
    kind: str = ""

    def as_dict(self) -> dict[str, Any]:
        """``{code, name, town, lat, lon}``: what ``Repository.import_stops`` takes."""
        return {"code": self.code, "name": self.name, "town": self.town, "lat": self.lat, "lon": self.lon}


def decode_stop_bytes(raw: bytes) -> str:
    """A stop file's text: UTF-8 (with or without BOM), else Windows-1252 (what Excel saves as
    "CSV (Trennzeichen-getrennt)" on a German Windows)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        raise StopFileError(msg("stop_file_encoding")) from None


def read_stop_file(path_or_text: str | Path, *, require_names: bool = True) -> list[StopRow]:
    """The stops of a stop file.

    ``path_or_text`` is a path (``Path``, or a one-line ``str``) or the file's text (a ``str`` with
    a line break). Raises :class:`StopFileError` naming each bad line and what to fix.
    """
    source, text = _read(path_or_text)
    return read_stop_text(text, source, require_names=require_names)


def read_stop_text(text: str, source: str | Message | None = None, *, require_names: bool = True) -> list[StopRow]:
    """The stops of a stop file's ``text`` (e.g. an upload; never read as a path), like
    :func:`read_stop_file`; ``source`` names it in error messages. With ``require_names`` False
    a table without names (a plain latitude/longitude list) is read too, its stops named ``""``."""
    source = source or msg("stops_list")
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise StopFileError(msg("stops_empty", source=source))
    delimiter = max(",;\t", key=lines[0].count)
    header_line = lines[0]
    del lines
    problems: list[tuple[int, str]] = []
    if len(header_line) > MAX_LINE:
        raise StopFileError(msg("stops_header_long", source=source, length=len(header_line)))
    header = [name.strip().lower() for name in next(csv.reader([header_line], delimiter=delimiter))]
    reader = csv.reader(_short_lines(text, header, delimiter, problems), delimiter=delimiter)
    next(reader)
    columns = _find_columns(source, header, REQUIRED if require_names else ("lat", "lon"))
    decimal_comma = delimiter != ","
    location_type = header.index("location_type") if "location_type" in header else None

    stops: list[StopRow] = []
    seen_codes: dict[str, int] = {}
    for fields in _rows(reader, source):
        line = reader.line_num
        if not any(field.strip() for field in fields):
            continue
        too_long = [(header[i] if i < len(header) else msg("stops_column", number=i + 1), len(f))
                    for i, f in enumerate(fields) if len(f) > MAX_FIELD]
        if too_long:
            problems.extend((line, msg("stops_field_long", field=name, size=size, most=MAX_FIELD))
                            for name, size in too_long)
            continue
        if len(fields) != len(header):
            problems.append((line, msg("stops_field_count", fields=len(fields), header=len(header),
                                       delimiter=repr(delimiter))))
            continue
        if location_type is not None and fields[location_type].strip() not in ("", "0"):
            continue
        value = {field: fields[index].strip() for field, index in columns.items()}
        stop, stop_problems = _stop(value, decimal_comma, require_names)
        if stop.code is not None:
            if stop.code in seen_codes:
                stop_problems.append(msg("stops_duplicate_id", code=repr(stop.code), line=seen_codes[stop.code]))
            else:
                seen_codes[stop.code] = line
        problems.extend((line, problem) for problem in stop_problems)
        stops.append(stop)

    problems.sort(key=lambda problem: problem[0])
    if problems:
        listed = Joined(tuple(msg("stops_line", line=line, problem=problem)
                              for line, problem in problems[:MAX_LISTED_PROBLEMS]))
        more = len(problems) - MAX_LISTED_PROBLEMS
        tail = msg("stops_more", more=more) if more > 0 else ""
        raise StopFileError(msg("stops_problems", source=source, count=len(problems), listed=listed, tail=tail),
                            problems)
    if not stops:
        raise StopFileError(msg("stops_none", source=source))
    return stops


def _short_lines(text: str, header: list[str], delimiter: str, problems: list[tuple[int, str]]) -> Iterator[str]:
    """The physical lines of ``text`` for the csv reader; a line longer than :data:`MAX_LINE` is
    replaced by an empty one (skipped as blank, so line numbers stay right) and reported with the
    column of its longest part."""
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if len(line) <= MAX_LINE:
            yield line
            continue
        parts = line.split(delimiter)
        index = max(range(len(parts)), key=lambda i: len(parts[i]))
        column = header[index] if index < len(header) else msg("stops_column", number=index + 1)
        problems.append((number, msg("stops_field_about", field=column, size=len(parts[index]), most=MAX_FIELD)))
        yield "\n"


def _rows(reader, source: str) -> Iterator[list[str]]:
    """The csv reader's rows; its own errors (e.g. a quoted field spanning many lines past the
    csv module's size limit) become a :class:`StopFileError` with the line."""
    try:
        yield from reader
    except csv.Error as error:
        raise StopFileError(msg("stops_csv_error", source=source, line=reader.line_num, detail=str(error))) \
            from None


def _read(path_or_text: str | Path) -> tuple[str, str]:
    if isinstance(path_or_text, str) and ("\n" in path_or_text or "\r" in path_or_text):
        return msg("stops_list"), path_or_text.lstrip("\ufeff")
    path = Path(path_or_text)
    try:
        return str(path), decode_stop_bytes(path.read_bytes())
    except FileNotFoundError:
        raise StopFileError(msg("stops_no_file", path=str(path))) from None
    except OSError as error:
        raise StopFileError(msg("stops_unreadable", path=str(path), detail=error.strerror)) from None


def _find_columns(source: str, header: list[str], required: tuple[str, ...]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for field, names in COLUMNS.items():
        for name in names:
            if name in header:
                columns[field] = header.index(name)
                break
    missing = [field for field in required if field not in columns]
    if missing:
        needed = Joined(tuple(OneOf(tuple(COLUMNS[field])) for field in missing), "; ")
        raise StopFileError(msg("stops_missing_columns", source=source, needed=needed, header=", ".join(header)))
    return columns


def _stop(value: dict[str, str], decimal_comma: bool, require_names: bool) -> tuple[StopRow, list[Message]]:
    problems = []
    name = value.get("name") or value.get("town", "")  # a stop named just after its village
    if not name and require_names:
        problems.append(msg("stops_name_empty"))
    town = value.get("town", "")
    for field, text in (("stops_the_name", name), ("stops_the_town", town if town != name else "")):
        problem = name_problem(text, formulas=False) if text else None
        if problem:
            problems.append(msg("stops_bad_name", field=msg(field), text=repr(text[:40]), problem=problem))
    lat = _coordinate(value["lat"], "latitude", 90, decimal_comma, problems)
    lon = _coordinate(value["lon"], "longitude", 180, decimal_comma, problems)
    if lat == 0 and lon == 0:
        problems.append(msg("stops_zero_position"))
    code = value.get("code") or None
    number = next((int(v) for v in (value.get("number", ""), code or "") if v.isascii() and v.isdigit()), None)
    return StopRow(code, number, name, value.get("town", ""), lat, lon, value.get("kind", "")), problems


def _coordinate(text: str, what: str, limit: float, decimal_comma: bool, problems: list[Message]) -> float | None:
    what = msg("stops_" + what)
    if not text:
        problems.append(msg("stops_coordinate_empty", what=what))
        return None
    try:
        # a decimal comma: in a file separated by ; or tabs, or quoted in a comma-separated one
        comma = decimal_comma or ("," in text and "." not in text)
        number = float(text.replace(",", ".") if comma else text)
    except ValueError:
        problems.append(msg("stops_coordinate_not_number", what=what, text=repr(text)))
        return None
    if not math.isfinite(number) or not -limit <= number <= limit:
        problems.append(msg("stops_coordinate_range", what=what, text=text, limit=limit))
        return None
    return number
