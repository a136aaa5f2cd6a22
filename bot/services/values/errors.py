from __future__ import annotations

from typing import Any


class Invalid(Exception):
    """Input that cannot be accepted: ``key`` names the message that says why, ``params`` fill it."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def __reduce__(self) -> tuple[Any, ...]:
        # Handed back from another process (an upload read apart): the key and its parameters travel together.
        return _rebuild, (type(self), self.key, self.params)


def _rebuild(cls: type[Invalid], key: str, params: dict[str, Any]) -> Invalid:
    return cls(key, **params)
