"""A form's answers reach the person and registration records by the fields' declared places."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import App
from bot.services.people import accounts
from bot.services.registration import registrations
from bot.services.values.dates import today
from models.tables import Person, Registration, table


def test_every_store_name_must_be_a_column() -> None:
    registrations.check_store(registrations.PERSON, "ethnicity")
    registrations.check_store(registrations.PREVIOUS_DOSE, "anything")
    with pytest.raises(ValueError, match="no column"):
        registrations.check_store(registrations.PERSON, "credential_id")  # kept by the service, not a form
    with pytest.raises(ValueError, match="unknown record"):
        registrations.check_store("nowhere", "x")


async def test_submit_stores_typed_answers_and_derives_question_10(app: App) -> None:
    born = today().replace(year=today().year - 70) - timedelta(days=1)
    records = {
        registrations.PERSON: {
            "full_name": "Lê Thị Mai", "birth_date": born, "sex": "F", "id_type": "cccd", "id_number": "001156123456",
            "phone": "+84912345678", "insurance_number": None, "occupation": "Hưu trí", "workplace": None,
            "priority_group": 9, "province_code": 79, "ward_code": 26734, "address": None, "ethnicity": "Kinh",
        },
        registrations.REGISTRATION: {"site_id": None, "preferred_date": today() + timedelta(days=3),
                                     "preferred_session": "morning", "dose_number": 2},
        registrations.PREVIOUS_DOSE: {"prev_vaccine": "astrazeneca", "prev_date": date(2021, 8, 1)},
        registrations.SCREENING: {"q1": "no", "q2": "yes"},
    }

    def run(conn: object) -> tuple[str, int]:
        account = accounts.create(conn, phone="+84912345678", name="Mai", password_hash="x", locale="vi")  # type: ignore[arg-type]
        return registrations.submit(conn, account, records)  # type: ignore[arg-type]

    code, person_id = await app.store.run(run)
    with app.store.engine.connect() as conn:
        person = conn.execute(select(table(Person)).where(table(Person).c.id == person_id)).one()
        row = conn.execute(select(table(Registration))).one()
    assert (person.full_name, person.name_key, person.relation, person.ethnicity) == (
        "Lê Thị Mai", "le thi mai", "self", "Kinh")
    assert row.booking_code == code and row.dose_number == 2
    assert row.previous_dose == {"prev_vaccine": "astrazeneca", "prev_date": "2021-08-01"}
    assert row.screening == {"q1": "no", "q2": "yes", "q10": "yes"} and row.screening_flags == "defer,caution"


async def test_a_booking_code_already_given_is_drawn_again(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """Booking codes are random: one that another registration holds is replaced by a fresh draw, and the
    registration is stored once, with the new code."""
    records: dict[str, dict[str, Any]] = {
        registrations.PERSON: {
            "full_name": "Trần Văn Bình", "birth_date": date(1990, 5, 17), "sex": "M", "id_type": "cccd",
            "id_number": "001090123456", "phone": "+84912345678", "insurance_number": None, "occupation": "Kỹ sư",
            "workplace": None, "priority_group": 9, "province_code": 79, "ward_code": 26734, "address": None,
            "ethnicity": "Kinh",
        },
        registrations.REGISTRATION: {"site_id": None, "preferred_date": today() + timedelta(days=3),
                                     "preferred_session": "morning", "dose_number": 1},
        registrations.SCREENING: {},
    }
    second = {**records, registrations.PERSON: {**records[registrations.PERSON], "full_name": "Trần Thị Hoa",
                                                "id_number": "001190654321", "sex": "F"}}
    draws = iter(["1000000000000001", "1000000000000001", "1000000000000002"])
    monkeypatch.setattr(registrations, "_new_booking_code", lambda: next(draws))

    def run(conn: object) -> list[str]:
        account = accounts.create(conn, phone="+84912345678", name="Bình", password_hash="x", locale="vi")  # type: ignore[arg-type]
        first_code, _ = registrations.submit(conn, account, records)  # type: ignore[arg-type]
        second_code, _ = registrations.submit(conn, account, second)  # type: ignore[arg-type]
        return [first_code, second_code]

    assert await app.store.run(run) == ["1000000000000001", "1000000000000002"]
    with app.store.engine.connect() as conn:
        codes = conn.execute(select(table(Registration).c.booking_code).order_by(table(Registration).c.id)).scalars()
        assert list(codes) == ["1000000000000001", "1000000000000002"]
