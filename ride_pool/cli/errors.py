"""How every ``ride-pool`` command reports bad input: one line on stderr and exit code 2."""

from __future__ import annotations

import functools
from typing import NoReturn

import typer


def fail(message: str) -> NoReturn:
    """Print ``error: MESSAGE`` as one line on stderr and exit with code 2."""
    message = " ".join(str(message).split())  # always one line, whatever the underlying error said
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def clean_errors(func):
    """Turn bad-input errors (routing input, unreadable files) into :func:`fail`."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from routing.errors import RoutingInputError

        try:
            return func(*args, **kwargs)
        except RoutingInputError as exc:
            fail(str(exc))
        except (OSError, PermissionError) as exc:
            fail(f"{getattr(exc, 'filename', '') or ''} {exc.strerror or exc}".strip())

    return wrapper
