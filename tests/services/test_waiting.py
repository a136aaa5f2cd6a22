"""Who waits, in which order, and what a plan books (issue 26): the order a doctor would sign, on both databases."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Connection, select

from bot.app import App
from bot.services.access.staff import Role
from bot.services.registration import appointments, decisions, waiting
from bot.services.values import states
from bot.services.values.dates import FixedClock, today, use_clock
from models.tables import Outbox, Person, Registration, table
from tests.factories import waiting_people

SITE = 1
ROLE = Role(account_id=1, role="staff", site_id=SITE)  # the owner account waiting_people makes first


def _names(found: list[waiting.Waiting]) -> list[str]:
    return [w.full_name for w in found]


async def test_the_order_counts_65_as_group_9_then_older_first_then_registration(app: App) -> None:
    clock = use_clock(FixedClock(datetime(2026, 12, 7, 1, 0)))
    try:
        def check(conn: Connection) -> None:
            waiting_people(conn, [
                {"group": 12, "born": date(1986, 1, 1)},  # 0
                {"group": 16, "born": date(1950, 1, 1)},  # 1: 76, served in group 9
                {"group": 9, "born": date(1970, 1, 1)},  # 2
                {"group": 1, "born": date(1995, 1, 1)},  # 3
                {"group": 12, "born": date(1986, 1, 1)},  # 4: same age as 0, registered later
                {"group": 16, "born": date(1961, 12, 8)},  # 5: 65 tomorrow, not today
            ])
            found, total = waiting.waiting(conn, SITE)
            assert total == 6
            assert _names(found) == ["Người 3", "Người 1", "Người 2", "Người 0", "Người 4", "Người 5"]
        await app.store.run(check)
    finally:
        use_clock(clock)


async def test_a_plan_sets_apart_the_history_answers_skips_the_early_and_prefers_the_day(app: App) -> None:
    clock = use_clock(FixedClock(datetime(2026, 12, 7, 1, 0)))
    day = date(2026, 12, 20)
    try:
        def check(conn: Connection) -> None:
            waiting_people(conn, [
                {"group": 1, "screening": {"q2": "yes"}},  # 0: a history answer: apart, ranked within the slots
                {"group": 1, "screening": {"q10": "yes"}, "born": date(1950, 1, 1)},  # 1: 65+ alone: not apart
                {"group": 2, "earliest": day + timedelta(days=1)},  # 2: the minimum interval not reached
                {"group": 3, "due": day + timedelta(days=5)},  # 3: not due by then
                {"group": 4, "preferred": date(2026, 12, 21), "born": date(1970, 1, 1)},  # 4
                {"group": 4, "preferred": day, "born": date(1990, 1, 1)},  # 5: asked for this day: before 4
                {"group": 4, "preferred": date(2026, 12, 21), "born": date(1955, 1, 1)},  # 6: 71: elders first
                {"group": 5},  # 7
            ])
            plan = waiting.plan(conn, SITE, day, 4)
            assert _names(plan.chosen) == ["Người 1", "Người 6", "Người 5", "Người 4"]
            assert _names(plan.apart) == ["Người 0"]
            assert waiting.plan(conn, SITE, day, 4, "morning").capacity_left == 200
            # The doctor's "đạt" puts her back in the plan in her place.
            decisions.decide(conn, ROLE, plan.apart[0].registration_id, states.Decision.ELIGIBLE)
            again = waiting.plan(conn, SITE, day, 4)
            assert _names(again.chosen) == ["Người 1", "Người 0", "Người 6", "Người 5"] and again.apart == []
            # Booking re-checks the minimum interval: person 2 is not booked even if asked for.
            done = appointments.book(conn, ROLE, SITE, day, "allday", [r.registration_id for r in again.chosen]
                                     + [_registration_of(conn, "Người 2")])
            assert (done.appointments, done.skipped) == (4, 1)
        await app.store.run(check)
    finally:
        use_clock(clock)


def _registration_of(conn: Connection, name: str) -> int:
    return int(conn.execute(select(table(Registration).c.id).join(
        table(Person), table(Person).c.id == table(Registration).c.person_id)
        .where(table(Person).c.full_name == name)).scalar_one())


async def test_no_shows_and_due_days_are_swept_once(app: App) -> None:
    clock = FixedClock(datetime(2026, 12, 7, 1, 0))
    previous = use_clock(clock)
    try:
        def book(conn: Connection) -> list[int]:
            ids = waiting_people(conn, [{"group": 1}, {"group": 2}, {"group": 3, "due": date(2026, 12, 9)}])
            appointments.book(conn, ROLE, SITE, today(), "allday", ids[:2])
            return ids

        ids = await app.store.run(book)
        assert await app.store.run(appointments.sweep_missed) == 0  # the day is not over
        clock.advance(timedelta(days=1))
        assert await app.store.run(appointments.sweep_missed) == 2
        assert await app.store.run(appointments.sweep_missed) == 0

        def after(conn: Connection) -> None:
            states_now = conn.execute(select(table(Registration).c.status).where(
                table(Registration).c.id.in_(ids[:2]))).scalars().all()
            assert set(states_now) == {"submitted"}  # back on the list
            assert [m.full_name for m in appointments.missed_on(conn, SITE, today() - timedelta(days=1))] == [
                "Người 0", "Người 1"]
            found, _ = waiting.waiting(conn, SITE)
            assert _names(found) == ["Người 0", "Người 1"]  # in their places; person 2 is not due yet
        await app.store.run(after)
        clock.advance(timedelta(days=1))
        assert await app.store.run(decisions.sweep_due) == 1
        assert await app.store.run(decisions.sweep_due) == 0
        notices = await app.store.run(lambda conn: conn.execute(
            select(table(Outbox).c.payload).where(table(Outbox).c.kind == "notice")).scalars().all())
        keys = sorted(str(p["key"]) for p in notices)
        assert keys == ["appointment.missed_citizen", "appointment.missed_citizen", "screen.dose_due"]
    finally:
        use_clock(previous)


async def test_a_days_export_lists_the_booked_first_then_those_who_only_asked(app: App) -> None:
    from bot.services.campaign import exports

    day = date(2026, 12, 20)
    clock = use_clock(FixedClock(datetime(2026, 12, 7, 1, 0)))
    try:
        def check(conn: Connection) -> None:
            ids = waiting_people(conn, [{"group": 1, "preferred": day}, {"group": 16, "preferred": day},
                                        {"group": 2, "preferred": date(2026, 12, 21)}])
            appointments.book(conn, ROLE, SITE, day, "allday", [ids[1], ids[2]])  # the second asked another day
            rows = exports.site_list_rows(conn, SITE, day, "vi")
            assert [(r["full_name"], r["listed_as"]) for r in rows] == [
                ("Người 2", "có lịch hẹn ngày này"), ("Người 1", "có lịch hẹn ngày này"),
                ("Người 0", "muốn tiêm ngày này, chưa có lịch")]
        await app.store.run(check)
    finally:
        use_clock(clock)
