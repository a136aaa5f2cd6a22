"""A commune's campaign at scale (issue 26): 20,000 people waiting at one site; the plan of 500 slots, its booking,
the day's no-show sweep and the due-for-dose-2 sweep, each timed on SQLite and PostgreSQL; and a citizen's own
replies (the menu, "Lịch sử đăng ký") while a sweep runs, against the same replies with nothing else running.

    PYTHONPATH=. .venv/bin/python bench/campaign_sweeps.py [WAITING] [--backends sqlite,postgresql]

Results: bench/results/campaign_sweeps.json and a table on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import time
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from bench.common import make_app, save, summary
from bot.app import App
from bot.channels.webchat.server import CAPABILITIES as WEB
from bot.engine import Incoming
from bot.engine.storage import conversations
from bot.services.access.staff import Role
from bot.services.registration import appointments, decisions, waiting
from bot.services.values.dates import LOCAL_TZ, FixedClock, use_clock
from bot.services.values.text import fold
from models.tables import Account, Appointment, ChannelIdentity, Person, Registration, Site, table

SLOTS = 500
DAY = date(2026, 12, 10)
ROLE = Role(account_id=1, role="staff", site_id=1)
_keys = itertools.count()


def seed(conn: Connection, count: int) -> None:
    """``count`` adults of the commune waiting at site 1, each with a web chat; groups and ages mixed, one in five
    with a history answer for the doctor."""
    rng = random.Random(26)
    now = datetime(2026, 11, 1)
    conn.execute(update(table(Site)).where(table(Site).c.id == 1).values(daily_capacity=100_000))
    for start in range(0, count, 5000):
        block = range(start, min(start + 5000, count))
        conn.execute(insert(table(Account)), [
            {"id": 10 + n, "phone": f"+8491{n:07d}", "name": f"Người {n}", "password_hash": "!", "locale": "vi",
             "created_at": now} for n in block])
        conn.execute(insert(table(ChannelIdentity)), [
            {"channel": "web", "chat_id": f"c{n}", "user_id": f"c{n}", "account_id": 10 + n, "created_at": now}
            for n in block])
        conn.execute(insert(table(Person)), [
            {"id": 10 + n, "owner_account_id": 10 + n, "relation": "self", "full_name": f"Nguyễn Văn Số {n}",
             "name_key": fold(f"Nguyễn Văn Số {n}"),
             "birth_date": date(1945, 1, 1) + timedelta(days=rng.randrange(20000)),
             "sex": "M", "id_type": "cccd", "id_number": f"0790{n:08d}", "phone": f"+8491{n:07d}", "occupation": "-",
             "priority_group": rng.randint(1, 16), "province_code": 79, "ward_code": 26743, "created_at": now,
             "updated_at": now} for n in block])
        conn.execute(insert(table(Registration)), [
            {"person_id": 10 + n, "booking_code": f"{4 * 10**15 + n}", "open_key": f"cccd:{n}", "site_id": 1,
             "province_code": 79, "preferred_date": DAY + timedelta(days=rng.randrange(-3, 4)),
             "preferred_session": "allday", "dose_number": 1, "status": "submitted",
             "screening": {"q2": "yes"} if n % 5 == 0 else {}, "screening_flags": "", "consent_at": now,
             "consent_version": "bench", "created_at": now + timedelta(seconds=n)} for n in block])


async def run_timed(app: App, fn: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = await app.store.run(fn)
    return time.perf_counter() - started, result


async def sweep_all(app: App, sweep: Any) -> tuple[float, int, int]:
    """A sweep as the scheduler runs it (batches until none is left): seconds, rows, transactions."""
    started, rows, batches = time.perf_counter(), 0, 0
    while (done := await app.store.run(sweep)) > 0:
        rows, batches = rows + done, batches + 1
    return time.perf_counter() - started, rows, batches + 1


async def citizen_replies(app: App, count: int) -> list[float]:
    """A citizen's own messages, one after another: the menu and "Lịch sử đăng ký"."""
    latencies = []
    for n in range(count):
        started = time.perf_counter()
        menu = n % 2 == 0
        incoming = Incoming(channel="web", chat_id="c1", user_id="c1", update_key=f"bench-{next(_keys)}",
                            text="/menu" if menu else None, button=None if menu else "records")
        await app.engine.handle(incoming, WEB)
        latencies.append(time.perf_counter() - started)
    return latencies


async def while_replying(app: App, sweep: Any) -> tuple[dict[str, Any], dict[str, float]]:
    """A sweep to its end while the citizen writes: its time, rows and transactions; the citizen's latencies."""
    sweeping = asyncio.create_task(sweep_all(app, sweep))
    during = await citizen_replies(app, 40)
    seconds, rows, batches = await sweeping
    return {"s": round(seconds, 3), "rows": rows, "transactions": batches}, summary(during)


def _log_in(conn: Connection) -> None:
    key = conversations.conversation_key("web", "c1")
    state = conversations.load(conn, key, default_locale="vi", lock=False)
    state.account_id, state.logged_in_at = 11, datetime(2026, 12, 9, 1, 0)
    conversations.save(conn, state)


async def one(backend: str, count: int) -> dict[str, Any]:
    app, cleanup = make_app(backend, owasp_hash=False)
    clock = FixedClock(datetime(2026, 12, 9, 8, 0, tzinfo=LOCAL_TZ))
    previous = use_clock(clock)
    try:
        await app.store.run(lambda conn: seed(conn, count))
        await app.store.run(_log_in)
        result: dict[str, Any] = {"backend": backend, "waiting": count, "slots": SLOTS}
        seconds, plan = await run_timed(app, lambda conn: waiting.plan(conn, 1, DAY, SLOTS))
        result["plan_s"] = round(seconds, 3)
        result["plan_apart"] = len(plan.apart)
        ids = [p.registration_id for p in plan.chosen]
        seconds, booked = await run_timed(app, lambda conn: appointments.book(conn, ROLE, 1, DAY, "allday", ids))
        result["book_s"], result["booked"] = round(seconds, 3), booked.appointments
        seconds, page = await run_timed(app, lambda conn: waiting.waiting(conn, 1, page=0))
        result["list_page_s"] = round(seconds, 3)

        await citizen_replies(app, 6)  # warm: the first replies build what later ones reuse
        idle = await citizen_replies(app, 40)
        result["citizen_idle"] = summary(idle)

        # The day is over: its 500 appointments are no-shows; the sweep runs while the citizen writes.
        clock.moment = datetime(2026, 12, 11, 0, 5, tzinfo=LOCAL_TZ)
        await app.store.run(_log_in)
        result["no_show_sweep"], result["citizen_during_no_show_sweep"] = await while_replying(
            app, appointments.sweep_missed)

        # 5,000 people whose dose 2 falls due today (dose 1 given three weeks ago).
        def due_today(conn: Connection) -> None:
            chosen = select(table(Registration).c.id).order_by(table(Registration).c.id).limit(5000).subquery()
            conn.execute(update(table(Registration)).where(table(Registration).c.id.in_(select(chosen.c.id)))
                         .values(dose_number=2, due_on=date(2026, 12, 11), earliest_on=date(2026, 12, 11)))
        await app.store.run(due_today)
        result["due_sweep"], result["citizen_during_due_sweep"] = await while_replying(app, decisions.sweep_due)
        missed = await app.store.run(lambda conn: conn.execute(select(func.count()).select_from(table(Appointment))
                                                               .where(table(Appointment).c.state == "missed"))
                                     .scalar_one())
        assert missed == SLOTS, missed
        assert page[1] == count - SLOTS, page[1]  # the booked are no longer waiting
        return result
    finally:
        use_clock(previous)
        cleanup()


def main(count: int, backends: list[str]) -> list[dict[str, Any]]:
    results = [asyncio.run(one(backend, count)) for backend in backends]
    print(f"{'backend':<11}{'plan 500':>10}{'book 500':>10}{'no-shows':>10}{'due':>10}  citizen p99: idle / during")
    for r in results:
        print(f"{r['backend']:<11}{r['plan_s']:>9.3f}s{r['book_s']:>9.3f}s{r['no_show_sweep']['s']:>9.3f}s"
              f"{r['due_sweep']['s']:>9.3f}s  {r['citizen_idle']['p99_ms']} ms / "
              f"{r['citizen_during_no_show_sweep']['p99_ms']} ms (no-shows), "
              f"{r['citizen_during_due_sweep']['p99_ms']} ms (due)")
    save("campaign_sweeps", {"runs": results})
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("waiting", nargs="?", type=int, default=20_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    main(args.waiting, args.backends.split(","))
