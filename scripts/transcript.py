"""The replies of the end-to-end walks (a self-registration, a child's, the history, a staff member's /tra,
/danhsach, /tiem, /thongke), as text and choices without their stamps; booking codes and dates masked.

A refactor that changes nothing a user sees leaves this identical: run it in two trees and diff, e.g.
    PYTHONPATH=. .venv/bin/python scripts/transcript.py > after.txt
    (cd ../old && PYTHONPATH=. ../main/.venv/bin/python ../main/scripts/transcript.py) > before.txt
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from pathlib import Path
from typing import Any

from bot.app import build
from tests.conftest import cheap_settings
from tests.helpers import Chat, answer_form, send_form, signup
from tests.scripts import Button, details, history

try:  # the services by domain (issue 25), or the flat room before it
    from bot.services.access import staff
    from bot.services.values.phones import parse_mobile
except ImportError:
    from bot.services.phones import parse_mobile  # type: ignore[no-redef]

    from bot.services import staff  # type: ignore[no-redef,attr-defined]


class Recorded(Chat):
    """A chat that writes down every reply it gets."""

    lines: list[str]

    async def send(self, text: str | None = None, **kwargs: Any) -> Any:
        replies = await super().send(text, **kwargs)
        for reply in replies:
            self.lines.append(reply.text)
            self.lines.append(" | ".join(f"{c.label}={c.payload.rpartition('~')[0] or c.payload}"
                                         for c in reply.choices))
        return replies


async def main() -> None:
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as data_dir:
        app = build(cheap_settings(Path(data_dir)))
        chat = Recorded(app.engine, "walk")
        chat.lines = lines
        await signup(chat)
        await chat.press("register_self")
        await answer_form(chat, details())
        await answer_form(chat, history())
        await send_form(chat)
        await chat.press("register_family")
        await chat.press("child")
        await answer_form(chat, details(full_name="Nguyễn Thị Hoa", birth_date="05/03/2012", sex=Button("F"),
                                        id_number="001312123456", phone=Button("account_phone")))
        await answer_form(chat, history(female=True))
        await send_form(chat)
        await chat.press("records")
        officer = Recorded(app.engine, "officer")
        officer.lines = lines
        await signup(officer, name="Phạm Bến Thành", phone="0901000003")
        await app.store.run(lambda conn: staff.add(conn, phone=parse_mobile("0901000003"), role="staff",
                                                   site_code="HCM-BT-01"))
        for text in ("/tra 001090123456", "/danhsach", "/tiem 001090123456 AZ AB1234", "/thongke"):
            await officer.send(text)
        app.close()
    for line in lines:
        print(re.sub(r"\d{2}/\d{2}/\d{4}", "<date>", re.sub(r"\d{16}", "<code>", line)))


if __name__ == "__main__":
    asyncio.run(main())
