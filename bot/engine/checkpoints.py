"""The checkpoint scanner's server side, for the channel that serves its page (``/kiemtra``): devices signed in by
a one-time link from the chat, the data a scanner keeps to verify offline, and the counts it reports."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.engine.store import Store
from bot.services.access import devices
from bot.services.certificates import credentials, keys
from bot.services.values.dates import utcnow

Device = devices.Device
FULL_AFTER = timedelta(days=1)  # a device's list older than this is sent whole again
# A credential replaced in a transaction that committed after a sync's read still has its time from before it:
# each sync asks again from a little earlier (the device adds what it has twice once).
OVERLAP = timedelta(minutes=10)


class Checkpoints:
    def __init__(self, store: Store, trusted: dict[bytes, Any]) -> None:
        self.store = store
        self.trusted = trusted

    async def claim(self, link_token: str, label: str) -> str | None:
        """The device's own token for a one-time link opened now; None when the link is not good."""
        return await self.store.run(lambda conn: devices.claim_link(conn, link_token, label))

    async def device(self, token: str | None) -> Device | None:
        return await self.store.run(lambda conn: devices.device_of(conn, token))

    async def data(self, token: str | None, since: datetime | None = None) -> dict[str, Any] | None:
        """What a signed-in scanner keeps: the trust list and the withdrawn credentials, with their time.

        A scanner that kept a list generated at ``since`` is sent only what was withdrawn from then on (a province
        replaces a credential with every dose: the whole list is megabytes, and each device syncs every few
        minutes), ``full`` false; with no ``since``, or one older than a day, the whole list, ``full`` true (it
        also drops the expired ones a device still keeps)."""
        def read(conn: Any) -> dict[str, Any] | None:
            if devices.device_of(conn, token) is None:
                return None
            now = utcnow()
            full = since is None or not now - FULL_AFTER < since <= now
            listed = credentials.withdrawn(conn, None if full or since is None else since - OVERLAP)
            return {"generated_at": now.isoformat() + "Z", "full": full, "keys": keys.scanner_keys(self.trusted),
                    **listed}
        return await self.store.run(read)

    async def report(self, token: str | None, counts: dict[str, int]) -> bool:
        def add(conn: Any) -> bool:
            device = devices.device_of(conn, token)
            if device is None:
                return False
            devices.add_counts(conn, device.id, counts)
            return True
        return await self.store.run(add)
