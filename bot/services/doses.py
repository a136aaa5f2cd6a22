"""Recording a dose: store it, re-issue the person's credential, queue the new QR to every chat of the owner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, insert, select, update

from bot.services import credentials, outbox, vaccines
from bot.services.dates import today, utcnow
from bot.services.errors import Invalid
from bot.services.keys import SigningKey
from models.tables import Dose, Person, Registration, table

DOSE, PERSON, REGISTRATION = table(Dose), table(Person), table(Registration)


@dataclass(frozen=True, slots=True)
class Recorded:
    person_id: int
    dose_number: int
    credential: credentials.Issued
    pushes: int


def record(
    conn: Connection, key: SigningKey, *, booking_code: str, vaccine: str, lot: str, given_on: date,
    source: str = "cli", recorded_by: str | None = None,
) -> Recorded:
    if vaccine not in vaccines.VACCINES:
        raise Invalid("dose.unknown_vaccine", vaccine=vaccine)
    if given_on > today():
        raise Invalid("date.in_future")
    row = conn.execute(
        select(REGISTRATION.c.id, REGISTRATION.c.person_id, REGISTRATION.c.site_id, PERSON.c.owner_account_id)
        .join(PERSON, PERSON.c.id == REGISTRATION.c.person_id)
        .where(REGISTRATION.c.booking_code == booking_code)
    ).first()
    if row is None:
        raise Invalid("dose.no_such_booking")
    count = len(conn.execute(select(DOSE.c.id).where(DOSE.c.person_id == row.person_id)).all())
    conn.execute(
        insert(DOSE).values(
            person_id=row.person_id, registration_id=row.id, dose_number=count + 1, vaccine=vaccine, lot=lot[:40],
            given_on=given_on, site_id=row.site_id, source=source, recorded_by=recorded_by, created_at=utcnow(),
        )
    )
    conn.execute(
        update(REGISTRATION)
        .where(REGISTRATION.c.id == row.id, REGISTRATION.c.status.in_(("submitted", "scheduled")))
        .values(status="done", open_key=None)
    )
    issued = credentials.issue(conn, row.person_id, key)
    pushes = outbox.enqueue_for_account(
        conn, row.owner_account_id, kind="dose_qr",
        payload={"person_id": row.person_id, "credential_id": issued.id, "vaccine": vaccine,
                 "dose_number": count + 1, "given_on": given_on.isoformat()},
    )
    return Recorded(row.person_id, count + 1, issued, pushes)
