"""Answer scripts keyed by field name, shared by the conversation tests, the subprocess tests and ``bench/``.

A script says what a person answers to each question; the order comes from the flows' declarations, so a
new question never shifts anyone's answers. ``Button(payload)`` presses a button; a string is typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.engine.flow import Flow
from bot.services.values.dates import dmy, today
from handlers.history import ASKED, HISTORY
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
    """The account holder's own registration details, as a person who knows the form types them.

    The CCCD is typed at the document question (its shape tells the document, and it tells the sex, which is
    then not asked): ``id_number="…"`` is typed there, and a ``sex`` given beside a typed CCCD is dropped.
    A document chosen by its button (``id_type=Button("passport")``) is followed by its number and the sex.
    The phone is the account's, filled in when registering oneself: a family member's form adds ``phone=``.
    """
    script: Script = {
        "full_name": "Nguyễn Văn An",
        "id_type": "001090123456",
        "birth_date": "01/07/1990",
        "ethnicity": "kinh",
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
    if isinstance(changes.get("id_type"), Button):
        script.setdefault("sex", Button("M"))
    elif "id_number" in changes:
        script["id_type"] = changes.pop("id_number")
    if not isinstance(changes.get("id_type", script["id_type"]), Button):
        changes.pop("sex", None)
    script.update(changes)
    return script


def history(answer: str = "no", *, female: bool = False, **changes: Answer) -> Script:
    """Every history question answered the same way (question 9 only for a woman), with exceptions.

    "No" to everything is one tap on the checklist ("Không có mục nào"); anything else is answered question
    by question ("Trả lời từng câu")."""
    if answer == "no" and not changes:
        return {"checklist": Button("none")}
    script: Script = {"checklist": Button("each")}
    script.update({q.name: Button(answer) for q in ASKED if female or q.name != "q9"})
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
