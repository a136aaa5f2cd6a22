"""Answer scripts keyed by field name, shared by the conversation tests, the subprocess tests and ``bench/``.

A script says what a person answers to each question; the order comes from the flows' declarations, so a
new question never shifts anyone's answers. ``Button(payload)`` presses a button; a string is typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.engine.flow import Flow
from bot.services.dates import dmy, today
from handlers.history import HISTORY, QUESTIONS
from handlers.registration import DETAILS

PASSWORD = "mật-khẩu-an-toàn-1"


@dataclass(frozen=True, slots=True)
class Button:
    payload: str


Answer = str | Button
Script = dict[str, Answer]
SKIP = Button("nav:skip")


def soon(days: int = 10) -> str:
    """A preferred date that is valid today: ``days`` from today in Vietnam."""
    return dmy(today() + timedelta(days=days))


def signup(name: str = "Nguyễn Văn An", phone: str = "0912345678", password: str = PASSWORD) -> Script:
    return {"full_name": name, "phone": phone, "password": password, "password_again": password}


def details(**changes: Answer) -> Script:
    """The account holder's own registration details, as a person who knows the form types them."""
    script: Script = {
        "full_name": "Nguyễn Văn An",
        "birth_date": "01/07/1990",
        "sex": Button("M"),
        "ethnicity": "kinh",
        "id_type": Button("cccd"),
        "id_number": "001090123456",
        "phone": Button("account_phone"),
        "insurance_number": SKIP,
        "occupation": "Kỹ sư phần mềm",
        "workplace": SKIP,
        "priority_group": Button("group:8"),
        "province_code": "hcm",
        "ward_code": "bến thành",
        "address": SKIP,
        "site_id": "1",
        "preferred_date": soon(),
        "preferred_session": Button("morning"),
        "dose_number": Button("1"),
    }
    script.update(changes)
    return script


def history(answer: str = "no", *, female: bool = False, **changes: Answer) -> Script:
    """Every history question answered the same way (question 9 only for a woman), with exceptions."""
    script: Script = {
        q.name: Button(answer) for q in QUESTIONS if q.options and (female or q.name != "q9")
    }
    script.update(changes)
    return script


def in_order(script: Script, *flows: Flow) -> list[tuple[str, Answer]]:
    """The script's answers in the order the flows ask them (fields the script leaves out are not asked)."""
    return [(s.name, script[s.name]) for flow in flows for s in flow.steps if s.name in script]


def as_body(answer: Answer) -> dict[str, Any]:
    """The web chat API's body for one answer."""
    return {"button": answer.payload} if isinstance(answer, Button) else {"text": answer}


def registration_bodies(details_script: Script, history_script: Script) -> list[dict[str, Any]]:
    """A whole registration form as web chat API bodies, from "Đăng ký" to the summary."""
    return [as_body(a) for _, a in in_order(details_script, DETAILS) + in_order(history_script, HISTORY)]
