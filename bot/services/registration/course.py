"""A person's doses in the course's order: numbered by the day given, whatever order they were recorded in (a
site's late record, a confirmed declared dose, a correction, a merge)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, select, update

from models.tables import Dose, table

DOSE = table(Dose)


def renumber(conn: Connection, person_id: int) -> dict[date, int]:
    """Number the person's doses 1, 2, … by date (ties by when recorded); the number of each day's dose."""
    rows = conn.execute(select(DOSE.c.id, DOSE.c.dose_number, DOSE.c.given_on).where(DOSE.c.person_id == person_id)
                        .order_by(DOSE.c.given_on, DOSE.c.id)).all()
    numbers: dict[date, int] = {}
    for position, row in enumerate(rows, 1):
        if row.dose_number != position:
            conn.execute(update(DOSE).where(DOSE.c.id == row.id).values(dose_number=position))
        numbers[row.given_on] = position
    return numbers
