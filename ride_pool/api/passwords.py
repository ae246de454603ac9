"""The password rules of every account (self-registered, created by an operator, changed):
at least :data:`MIN_LENGTH` characters, not only blanks, and not one of the 20,000 most common
passwords (``data/common_passwords.txt``, compared ignoring case and surrounding blanks)."""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from importlib import resources

from fastapi import HTTPException

from ride_pool.messages import Message, msg

MIN_LENGTH = 10
MAX_LENGTH = 200


class WeakPassword(ValueError):
    """A password the rules refuse; ``code`` names the rule (``password_too_short``,
    ``password_blank``, ``password_too_common``)."""

    def __init__(self, code: str, message: Message):
        super().__init__(str(message))
        self.code = code
        self.message = message


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The bundled list of common passwords, lower case."""
    text = resources.files("ride_pool.api").joinpath("data/common_passwords.txt").read_text(encoding="utf-8")
    lines = text.splitlines()
    header = 0
    while header < len(lines) and lines[header].startswith("# "):
        header += 1
    return frozenset(line.strip().lower() for line in lines[header:] if line.strip())


def _invisible(character: str) -> bool:
    """Blank or invisible: spaces of any kind, control and format characters (zero-width space,
    direction marks)."""
    return character.isspace() or unicodedata.category(character) in ("Cc", "Cf", "Zs", "Zl", "Zp")


def check_password(password: str) -> None:
    """Raise :class:`WeakPassword` if ``password`` breaks a rule."""
    if all(_invisible(c) for c in password):
        raise WeakPassword("password_blank", msg("password_blank", min_length=MIN_LENGTH))
    if len(password) < MIN_LENGTH:
        raise WeakPassword("password_too_short", msg("password_too_short", length=len(password),
                                                     min_length=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        raise WeakPassword("password_too_long", msg("password_too_long", max_length=MAX_LENGTH))
    if password.strip().lower() in common_passwords():
        raise WeakPassword("password_too_common", msg("password_too_common"))


def require_good_password(password: str) -> None:
    """:func:`check_password` as an HTTP 422 answer with the rule's code."""
    try:
        check_password(password)
    except WeakPassword as exc:
        raise HTTPException(422, detail={"code": exc.code, "message": exc.message, "min_length": MIN_LENGTH}) \
            from None
