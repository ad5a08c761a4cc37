"""Secret tokens: capability links and API tokens.

A token is ``secrets.token_urlsafe(32)``; only its SHA-256 is stored, so a copy of the database
opens nothing. Lookups hash what the client sends and compare hashes in the database index.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import TypeGuard

_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


def new_token() -> tuple[str, str]:
    """A fresh random token and the hash to store for it."""
    raw = secrets.token_urlsafe(32)
    return raw, hash_token(raw)


def hash_token(raw: str) -> str:
    """The stored form of ``raw``: SHA-256, hex."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def plausible_token(raw: str | None) -> TypeGuard[str]:
    """Whether ``raw`` could be one of ours at all; saves a query on junk."""
    return bool(raw and _TOKEN_SHAPE.match(raw))
