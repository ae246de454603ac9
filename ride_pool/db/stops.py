"""Stop files for the database import: the shared parser (:mod:`ride_pool.stop_files`) with its
errors as :class:`~ride_pool.db.errors.StopImportError` and its stops as the dicts
``{code, name, town, lat, lon}`` that ``Repository.import_stops`` takes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ride_pool.db.errors import StopImportError
from ride_pool.stop_files import StopFileError, read_stop_file, read_stop_text


def parse_stops_file(path_or_text: str | Path) -> list[dict[str, Any]]:
    """The stops of a stop file as dicts ``{code, name, town, lat, lon}``.

    ``path_or_text`` is a path (``Path``, or a one-line ``str``) or the file's text (a ``str`` with
    a line break). Raises :class:`StopImportError` naming each bad line and what to fix.
    """
    try:
        return [stop.as_dict() for stop in read_stop_file(path_or_text)]
    except StopFileError as error:
        raise StopImportError(error.message, error.problems) from None


def parse_stops_text(text: str, source: str | None = None) -> list[dict[str, Any]]:
    """The stops of a stop file's ``text`` (e.g. an upload; never read as a path), like
    :func:`parse_stops_file`; ``source`` names it in error messages."""
    try:
        return [stop.as_dict() for stop in read_stop_text(text, source)]
    except StopFileError as error:
        raise StopImportError(error.message, error.problems) from None
