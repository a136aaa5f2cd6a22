"""The replies of the end-to-end walks (a self-registration, a child's, the history, a staff member's /tra,
/danhsach, /tiem, /thongke), as text and choices without their stamps; booking codes and dates masked.

A refactor that changes nothing a user sees leaves this identical: run it in two trees and diff, e.g.
    PYTHONPATH=. .venv/bin/python scripts/transcript.py > after.txt
    (cd ../old && PYTHONPATH=. ../main/.venv/bin/python ../main/scripts/transcript.py) > before.txt
"""
import asyncio, sys, tempfile
from pathlib import Path
from bot.app import build
from tests.conftest import cheap_settings
from tests.helpers import Chat, answer_form, send_form, signup
from tests.scripts import Button, details, history
try:
    from bot.services.access import staff
    from bot.services.values.phones import parse_mobile
except ImportError:
    from bot.services import staff
    from bot.services.phones import parse_mobile

OUT: list[str] = []

def keep(chat: Chat) -> None:
    for r in chat.last:
        OUT.append(r.text)
        OUT.append(" | ".join(f"{c.label}={c.payload.rpartition('~')[0] or c.payload}" for c in r.choices))

async def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        app = build(cheap_settings(Path(d)))
        chat = Chat(app.engine, "walk")
        orig = chat.send
        async def send(*a, **k):
            r = await orig(*a, **k); keep(chat); return r
        chat.send = send
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
        officer = Chat(app.engine, "officer")
        osend = officer.send
        async def send2(*a, **k):
            r = await osend(*a, **k); keep(officer); return r
        officer.send = send2
        await signup(officer, name="Phạm Bến Thành", phone="0901000003")
        await app.store.run(lambda conn: staff.add(conn, phone=parse_mobile("0901000003"), role="staff", site_code="HCM-BT-01"))
        for text in ("/tra 001090123456", "/danhsach", "/tiem 001090123456 AZ AB1234", "/thongke"):
            await officer.send(text)
        app.close()
    import re
    for line in OUT:
        line = re.sub(r"\d{16}", "<code>", line)
        line = re.sub(r"\d{2}/\d{2}/\d{4}", "<date>", line)
        print(line)

asyncio.run(main())
