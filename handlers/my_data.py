""""Dữ liệu của tôi": what the service holds about me (a readable summary and the JSON), and deleting my
account (Decree 13/2023). Deleting is asked twice; dose records stay with the health system, as said.

    my_data ─ Tải dữ liệu ─▶ a short summary, a readable copy (.txt) and the JSON (.json) as files ─▶ menu
            └ Xóa tài khoản ─▶ "chắc chắn?" ─ Có ─▶ deleted, logged out ─▶ menu
"""

from __future__ import annotations

import json
from typing import Any

from bot.engine.answers import Go, Option
from bot.engine.context import Ctx
from bot.engine.flow import Ask, Flow
from bot.services.people import personal_data
from bot.services.values.dates import to_local, utcnow
from handlers import names
from handlers.common import YES_NO
from handlers.my_data_document import readable

ACTIONS = (Option("my_data.export", "export"), Option("my_data.delete", "delete"))


def _summary(ctx: Ctx, data: dict[str, Any]) -> str:
    lines = [ctx.t("my_data.account", name=data["account"]["name"], phone=data["account"]["phone"])]
    for person in data["people"]:
        lines.append(ctx.t("my_data.person", name=person["full_name"], born=person["birth_date"],
                           registrations=len(person["registrations"]), doses=len(person["doses"])))
    lines.append(ctx.t("my_data.seen", count=len(data["seen_by_staff"])))
    return "\n".join(lines)


def _after_action(ctx: Ctx, action: str) -> Go | None:
    if ctx.account_id is None:
        ctx.say("account.login_first")
        return ctx.home()
    if action == "delete":
        return None  # confirmation next
    data = personal_data.export(ctx.conn, ctx.account_id)
    made_at = to_local(utcnow())
    stamp = made_at.strftime("%Y%m%d-%H%M")
    ctx.say_document(ctx.t("my_data.exported", summary=_summary(ctx, data)),
                     readable(ctx, data, made_at).encode("utf-8"), f"{ctx.t('my_data.file_name')}-{stamp}.txt")
    ctx.say_document(ctx.t("my_data.exported_json"), json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"),
                     f"{ctx.t('my_data.file_name')}-{stamp}.json")
    return ctx.home()


ACTION: Ask[str] = Ask("action", "my_data.ask", options=ACTIONS, then=_after_action)


def _confirm(ctx: Ctx, answer: str) -> Go:
    if answer == "yes" and ctx.account_id is not None:
        kept = personal_data.delete_account(ctx.conn, ctx.account_id, current_chat=ctx.incoming.conversation_key,
                                            forget_pictures=ctx.services.qr.forget)
        ctx.log_out()
        ctx.say("my_data.deleted_kept" if kept else "my_data.deleted", count=kept)
    else:
        ctx.say("my_data.not_deleted")
    return ctx.home()


MY_DATA = Flow(
    names.MY_DATA,
    steps=(
        ACTION,
        Ask("confirm_delete", "my_data.confirm_delete", options=YES_NO, then=_confirm,
            when=lambda ctx: ctx.get(ACTION) == "delete"),
    ),
)
