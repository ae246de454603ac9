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
with ``;`` or a tab, decimal commas (``51,12``) are read too. The whole file is checked before
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

from ride_pool.text import name_problem

COLUMNS = {
    "code": ("stop_id", "id", "code"),
    "number": ("numeric_id",),
    "name": ("stop_name", "name"),
    "lat": ("stop_lat", "latitude", "lat"),
    "lon": ("stop_lon", "longitude", "lon", "lng"),
    "town": ("city", "town", "municipality"),
    "kind": ("kind", "stop_kind", "type", "stop_type"),
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
    """A stop file cannot be read; ``problems`` lists ``(line, what to fix)``."""

    def __init__(self, message: str, problems: list[tuple[int, str]] | None = None):
        super().__init__(message)
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


def read_stop_file(path_or_text: str | Path, *, require_names: bool = True) -> list[StopRow]:
    """The stops of a stop file.

    ``path_or_text`` is a path (``Path``, or a one-line ``str``) or the file's text (a ``str`` with
    a line break). Raises :class:`StopFileError` naming each bad line and what to fix.
    """
    source, text = _read(path_or_text)
    return read_stop_text(text, source, require_names=require_names)


def read_stop_text(text: str, source: str = "stop list", *, require_names: bool = True) -> list[StopRow]:
    """The stops of a stop file's ``text`` (e.g. an upload; never read as a path), like
    :func:`read_stop_file`; ``source`` names it in error messages. With ``require_names`` False
    a table without names (a plain latitude/longitude list) is read too, its stops named ``""``."""
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise StopFileError(f"{source}: the file is empty: expected a header line such as "
                           "'stop_id,stop_name,stop_lat,stop_lon' and one line per stop")
    delimiter = max(",;\t", key=lines[0].count)
    header_line = lines[0]
    del lines
    problems: list[tuple[int, str]] = []
    if len(header_line) > MAX_LINE:
        raise StopFileError(f"{source}: line 1: the header line has {len(header_line)} characters: expected a "
                           "header line such as 'stop_id,stop_name,stop_lat,stop_lon'")
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
        too_long = [(header[i] if i < len(header) else f"column {i + 1}", len(f))
                    for i, f in enumerate(fields) if len(f) > MAX_FIELD]
        if too_long:
            problems.extend((line, f"the field {name} has {size} characters; a field may have at most {MAX_FIELD}")
                            for name, size in too_long)
            continue
        if len(fields) != len(header):
            problems.append((line, f"has {len(fields)} fields but the header has {len(header)}: "
                                   f"check the separators ({delimiter!r}) and quotes on this line"))
            continue
        if location_type is not None and fields[location_type].strip() not in ("", "0"):
            continue
        value = {field: fields[index].strip() for field, index in columns.items()}
        stop, stop_problems = _stop(value, decimal_comma, require_names)
        if stop.code is not None:
            if stop.code in seen_codes:
                stop_problems.append(f"stop id {stop.code!r} is used on line {seen_codes[stop.code]} "
                                     "already: stop ids must be unique")
            else:
                seen_codes[stop.code] = line
        problems.extend((line, problem) for problem in stop_problems)
        stops.append(stop)

    problems.sort(key=lambda problem: problem[0])
    if problems:
        listed = "\n".join(f"  line {line}: {problem}" for line, problem in problems[:MAX_LISTED_PROBLEMS])
        more = len(problems) - MAX_LISTED_PROBLEMS
        tail = f"\n  ... and {more} more" if more > 0 else ""
        raise StopFileError(f"{source}: {len(problems)} problem(s), nothing was imported; fix them and "
                           f"import the file again:\n{listed}{tail}", problems)
    if not stops:
        raise StopFileError(f"{source}: the file has a header but no stops (GTFS rows with "
                           "location_type 1-4 are not stops)")
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
        column = header[index] if index < len(header) else f"column {index + 1}"
        problems.append((number, f"the field {column} has about {len(parts[index])} characters; a field may have "
                                 f"at most {MAX_FIELD} (a quote that is never closed?)"))
        yield "\n"


def _rows(reader, source: str) -> Iterator[list[str]]:
    """The csv reader's rows; its own errors (e.g. a quoted field spanning many lines past the
    csv module's size limit) become a :class:`StopFileError` with the line."""
    try:
        yield from reader
    except csv.Error as error:
        raise StopFileError(f"{source}: line {reader.line_num}: {error}: check the quotes on this line") from None


def _read(path_or_text: str | Path) -> tuple[str, str]:
    if isinstance(path_or_text, str) and ("\n" in path_or_text or "\r" in path_or_text):
        return "stop list", path_or_text.lstrip("\ufeff")
    path = Path(path_or_text)
    try:
        return str(path), path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise StopFileError(f"{path}: no such file: check the path") from None
    except UnicodeDecodeError as error:
        raise StopFileError(f"{path}: not UTF-8 text (byte {error.start}): save the file as UTF-8") from None
    except OSError as error:
        raise StopFileError(f"{path}: cannot be read ({error.strerror}): give the path of a stop file") from None


def _find_columns(source: str, header: list[str], required: tuple[str, ...]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for field, names in COLUMNS.items():
        for name in names:
            if name in header:
                columns[field] = header.index(name)
                break
    missing = [field for field in required if field not in columns]
    if missing:
        needed = "; ".join(f"{' or '.join(COLUMNS[field])}" for field in missing)
        raise StopFileError(
            f"{source}: line 1: missing column(s): {needed}. The header has: {', '.join(header)}. "
            "Expected GTFS stops.txt (stop_id, stop_name, stop_lat, stop_lon) or a table with "
            "id, name, city, latitude, longitude"
        )
    return columns


def _stop(value: dict[str, str], decimal_comma: bool, require_names: bool) -> tuple[StopRow, list[str]]:
    problems = []
    name = value.get("name") or value.get("town", "")  # a stop named just after its village
    if not name and require_names:
        problems.append("the stop name is empty: fill it in")
    town = value.get("town", "")
    for field, text in (("stop name", name), ("town", town if town != name else "")):
        problem = name_problem(text, formulas=False) if text else None
        if problem:
            problems.append(f"the {field} {text[:40]!r} {problem}")
    lat = _coordinate(value["lat"], "latitude", 90, decimal_comma, problems)
    lon = _coordinate(value["lon"], "longitude", 180, decimal_comma, problems)
    if lat == 0 and lon == 0:
        problems.append("latitude and longitude are both 0: fill in the stop's position")
    code = value.get("code") or None
    number = next((int(v) for v in (value.get("number", ""), code or "") if v.isascii() and v.isdigit()), None)
    return StopRow(code, number, name, value.get("town", ""), lat, lon, value.get("kind", "")), problems


def _coordinate(text: str, what: str, limit: float, decimal_comma: bool, problems: list[str]) -> float | None:
    if not text:
        problems.append(f"the {what} is empty: fill in the stop's position in decimal degrees")
        return None
    try:
        number = float(text.replace(",", ".") if decimal_comma else text)
    except ValueError:
        problems.append(f"the {what} {text!r} is not a number: write decimal degrees such as 51.1636")
        return None
    if not math.isfinite(number) or not -limit <= number <= limit:
        problems.append(f"the {what} {text} is outside -{limit}..{limit}: write decimal degrees "
                        "(latitude and longitude swapped? decimal point missing?)")
        return None
    return number
