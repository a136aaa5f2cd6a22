"""A checkpoint device's counts: what it reports is added to the day's, within what a phone can scan."""

from __future__ import annotations

from functools import partial

from sqlalchemy import Connection, select

from bot.app import App
from bot.services.access import devices, staff
from bot.services.values.dates import today
from models.tables import Staff, table
from tests.factories import staff_member


def _signed_in_device(conn: Connection) -> int:
    checker = conn.execute(select(table(Staff).c.account_id)).scalar_one()
    device = devices.device_of(conn, devices.claim_link(conn, devices.open_link(conn, checker), "Android · Chrome"))
    assert device is not None
    return device.id


async def test_a_days_count_stops_at_what_a_phone_can_scan(app: App) -> None:
    """A hostile checker's phone cannot inflate the day's counts past one scan a second, nor overflow them."""
    await staff_member(app, staff.CHECKER, None, phone="0901000001", name="Lê Kiểm Tra")
    device_id = await app.store.run(_signed_in_device)
    for counts in ({"valid": 50_000, "forged": 2}, {"valid": 50_000, "forged": 3}, {"valid": 10**12, "nonsense": 5}):
        await app.store.run(partial(devices.add_counts, device_id=device_id, counts=counts))
    day = await app.store.run(lambda conn: devices.counts_on(conn, today()))
    assert day == {"valid": devices.DAY_MOST, "forged": 5}
