"""Reactions after vaccination ("Phản ứng sau tiêm"): reported by the citizen for 28 days after a dose, asked about
once the day after, seen by the site (serious ones pushed at once), carried in the exports.

    a dose ──the next day──▶ "Anh/Chị thấy thế nào?" ── "Bình thường" ─▶ thanks
                                                      └ "Có dấu hiệu bất thường" ─▶ the report (handlers.reactions)
    report: when it began · the signs (a checklist; a serious one is answered first with "Gọi 115") · in their
            words · how bad ──▶ kept; serious ─▶ the site's staff told at once

The service records what the person said; it judges nothing but which signs need emergency care now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from bot.services.messaging import outbox
from bot.services.values import payloads
from bot.services.values.dates import dmy, today, utcnow
from bot.services.values.phones import display
from models import db
from models.tables import Dose, Person, Reaction, Site, table

DOSE, PERSON, REACTION, SITE = table(Dose), table(Person), table(Reaction), table(Site)
WINDOW_DAYS = 28
DETAILS_CHARS = 500
# The checklist, in plain words in the catalogs (reaction.sign_<code>): the common signs, then the serious ones.
COMMON = ("injection_site", "fever", "tired", "headache", "muscle", "chills", "nausea")
SERIOUS = ("breathing", "swelling", "chest", "faint", "seizure", "high_fever", "bleeding", "rash")
SIGNS = COMMON + SERIOUS
SEVERITIES = ("mild", "moderate", "severe")


@dataclass(frozen=True, slots=True)
class RecentDose:
    dose_id: int
    person_id: int
    full_name: str
    vaccine: str
    given_on: date
    site_id: int | None


# Raw (models.db.rows): every menu a logged-in citizen sees asks it (SQLAlchemy's execution cost 0.6 ms of it).
_RECENT = (
    "SELECT d.id, p.id, p.full_name, d.vaccine, d.given_on, d.site_id FROM dose d JOIN person p ON p.id = d.person_id "
    "WHERE p.owner_account_id = ? AND d.given_on >= ? ORDER BY d.given_on DESC, d.id DESC"
)


def recent_doses(conn: Connection, account_id: int) -> list[RecentDose]:
    """The doses of the account's people given in the last 28 days (Vietnam's today), newest first."""
    since = db.date_param(conn, today() - timedelta(days=WINDOW_DAYS))
    return [RecentDose(r[0], r[1], r[2], r[3], db.stored_date(r[4]), r[5])
            for r in db.rows(conn, _RECENT, account_id, since)]


def is_serious(signs: list[str], severity: str) -> bool:
    return severity == "severe" or any(sign in SERIOUS for sign in signs)


def site_phone(conn: Connection, site_id: int | None) -> str | None:
    if site_id is None:
        return None
    return conn.execute(select(SITE.c.phone).where(SITE.c.id == site_id)).scalar()


def report(conn: Connection, account_id: int, dose: RecentDose, *, began_on: date, signs: list[str],
           details: str | None, severity: str) -> int:
    """Keep the report (``details`` as typed); a serious one is pushed to the site's staff at once (it is kept
    the moment a serious sign is chosen, before the rest is asked: :func:`complete` adds it). Its id."""
    serious = is_serious(signs, severity)
    reaction_id = int(conn.execute(insert(REACTION).values(
        person_id=dose.person_id, dose_id=dose.dose_id, site_id=dose.site_id, reported_by=account_id,
        began_on=began_on, signs=[s for s in signs if s in SIGNS], details=(details or "")[:DETAILS_CHARS] or None,
        severity=severity, serious=serious, created_at=utcnow()).returning(REACTION.c.id)).scalar_one())
    if serious:
        phone = conn.execute(select(PERSON.c.phone).where(PERSON.c.id == dose.person_id)).scalar_one()
        outbox.tell_site(conn, dose.site_id, "reaction.serious_staff",
                         keys={"signs": [f"reaction.sign_{s}" for s in signs if s in SIGNS] or ["reaction.other"]},
                         name=dose.full_name, phone=display(phone), date=dmy(dose.given_on), began=dmy(began_on),
                         details=details or "-")
    return reaction_id


def complete(conn: Connection, reaction_id: int, account_id: int, *, details: str | None, severity: str) -> None:
    """What the person said after a serious sign was kept: their words and how bad (still serious)."""
    conn.execute(update(REACTION).where(REACTION.c.id == reaction_id, REACTION.c.reported_by == account_id)
                 .values(details=(details or "")[:DETAILS_CHARS] or None, severity=severity))


@dataclass(frozen=True, slots=True)
class Reported:
    person_id: int
    full_name: str
    phone: str
    given_on: date | None
    vaccine: str | None
    began_on: date
    signs: list[str]
    details: str | None
    severity: str
    serious: bool


def _reports() -> Any:
    return (select(PERSON.c.id.label("person_id"), PERSON.c.full_name, PERSON.c.phone, DOSE.c.given_on,
                   DOSE.c.vaccine, REACTION.c.began_on, REACTION.c.signs, REACTION.c.details, REACTION.c.severity,
                   REACTION.c.serious)
            .join(PERSON, PERSON.c.id == REACTION.c.person_id)
            .outerjoin(DOSE, DOSE.c.id == REACTION.c.dose_id))


def _reported(row: Any) -> Reported:
    return Reported(row.person_id, row.full_name, row.phone, row.given_on, row.vaccine, row.began_on,
                    list(row.signs or []), row.details, row.severity, bool(row.serious))


def for_site(conn: Connection, site_id: int | None, day: date | None = None) -> list[Reported]:
    """The reports about the site's doses (an admin: every site's), of a day if given, serious first."""
    query = _reports()
    if site_id is not None:
        query = query.where(REACTION.c.site_id == site_id)
    if day is not None:
        query = query.where(REACTION.c.began_on == day)
    rows = conn.execute(query.order_by(REACTION.c.serious.desc(), REACTION.c.created_at.desc()).limit(200))
    return [_reported(r) for r in rows]


def for_person(conn: Connection, person_id: int) -> list[Reported]:
    rows = conn.execute(_reports().where(REACTION.c.person_id == person_id).order_by(REACTION.c.created_at))
    return [_reported(r) for r in rows]


CHECK = payloads.REACTION  # react:ok:<dose id> | react:report:<dose id>


def ask_day_after(conn: Connection, *, batch: int = 200) -> int:
    """From the day after a dose (and for two days more, for a late start): "how do you feel?", once per dose,
    with "Bình thường" and "Có dấu hiệu bất thường". One batch per call."""
    now = today()
    due = conn.execute(
        select(DOSE.c.id, DOSE.c.given_on, PERSON.c.owner_account_id, PERSON.c.full_name)
        .join(PERSON, PERSON.c.id == DOSE.c.person_id)
        .where(DOSE.c.followed_up_at.is_(None), DOSE.c.given_on <= now - timedelta(days=1),
               DOSE.c.given_on >= now - timedelta(days=3), DOSE.c.source != "import", DOSE.c.source != "declared")
        .order_by(DOSE.c.id).limit(batch).with_for_update(of=DOSE, skip_locked=True)).all()
    if due:
        conn.execute(update(DOSE).where(DOSE.c.id.in_([d.id for d in due])).values(followed_up_at=utcnow()))
        outbox.enqueue_many(conn, [(d.owner_account_id, "reaction_check",
                                    {"dose_id": d.id, "name": d.full_name, "date": dmy(d.given_on)}) for d in due])
    return len(due)
