"""Password hashing with argon2id. CPU work: the engine runs it off the event loop and off the DB thread."""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.services.values.errors import Invalid

MIN_LENGTH = 8
MAX_LENGTH = 128


@dataclass(frozen=True, slots=True)
class HashCost:
    """OWASP's minimum for argon2id: 19 MiB, 2 iterations, 1 lane (argon2-cffi's defaults cost ~8× more)."""

    memory_kib: int = 19 * 1024
    time_cost: int = 2
    parallelism: int = 1


class Passwords:
    def __init__(self, cost: HashCost, pepper: bytes) -> None:
        self._hasher = PasswordHasher(
            time_cost=cost.time_cost, memory_cost=cost.memory_kib, parallelism=cost.parallelism
        )
        self._pepper = pepper
        self._decoy: str | None = None

    @property
    def decoy(self) -> str:
        """A hash of nothing anyone knows, verified when a number has no account: the same cost, the same
        answer, so that timing tells nothing either."""
        if self._decoy is None:
            self._decoy = self._hasher.hash(os.urandom(16).hex())
        return self._decoy

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def fingerprint(self, password: str, salt: bytes | None = None) -> str:
        """A keyed, salted digest to check "type it again" without keeping the password or hashing twice."""
        salt = salt or os.urandom(16)
        digest = hmac.new(self._pepper, salt + password.encode(), hashlib.sha256).hexdigest()
        return salt.hex() + ":" + digest

    def matches_fingerprint(self, fingerprint: str, password: str) -> bool:
        salt_hex, _, _ = fingerprint.partition(":")
        return hmac.compare_digest(self.fingerprint(password, bytes.fromhex(salt_hex)), fingerprint)


def check_strength(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise Invalid("password.too_short", min=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise Invalid("password.too_long", max=MAX_LENGTH)
    return password
