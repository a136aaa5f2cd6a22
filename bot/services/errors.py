from __future__ import annotations

from typing import Any


class Invalid(Exception):
    """Input that cannot be accepted: ``key`` names the message that says why, ``params`` fill it."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params
