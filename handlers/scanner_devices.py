"""The checkpoint scanner from the chat: "Mở máy quét" (a one-time link that signs a phone in to ``/kiemtra`` for
7 days) and "/thietbi" (the devices signed in, each one signed out with a tap).

    menu ─ Mở máy quét ─▶ the link (10 minutes, once) ─▶ menu
    /thietbi ─▶ devices ─ Mở máy quét ─▶ the link ─▶ devices
                        ─ Đăng xuất: <device> / Đăng xuất mọi thiết bị ─▶ devices
                        ─ Xong ─▶ menu
"""

from __future__ import annotations

from datetime import datetime

from bot.engine.answers import Answer, Go
from bot.engine.context import Ctx
from bot.engine.flow import Ask, Flow
from bot.engine.types import Choice
from bot.services.access import devices, staff
from bot.services.values.dates import to_local
from bot.services.values.errors import Invalid
from handlers import names
from handlers.staff_access import may

OPEN, ALL, DONE, DEVICE = "open", "all", "done", "device:"
SCANNER = "staff:scanner"  # the staff menu's "Mở máy quét"


def show_link(ctx: Ctx) -> None:
    """The one-time link to the scanner, said in this chat."""
    if ctx.account_id is None or not devices.may_scan(ctx.conn, ctx.account_id):
        ctx.say("common.no_longer_allowed")
        return
    token = devices.open_link(ctx.conn, ctx.account_id)
    url = f"{ctx.services.public_url.rstrip('/')}/kiemtra/mo/{token}"
    ctx.say("scanner.link", url=url, minutes=int(devices.LINK_LIFETIME.total_seconds() // 60))


def _when(moment: datetime | None) -> str:
    return to_local(moment).strftime("%d/%m %H:%M") if moment is not None else "-"


def _list(ctx: Ctx) -> dict[str, str]:
    found = devices.signed_in(ctx.conn, ctx.account_id or 0)
    lines = [ctx.t("scanner.device_line", label=d.label, since=_when(d.signed_in_at), seen=_when(d.seen_at))
             for d in found]
    return {"devices": "\n".join(lines) if lines else ctx.t("scanner.no_devices")}


def _choices(ctx: Ctx) -> list[Choice]:
    found = devices.signed_in(ctx.conn, ctx.account_id or 0)
    return [Choice(ctx.t("scanner.open"), OPEN),
            *(Choice(ctx.t("scanner.sign_out", label=d.label, since=_when(d.signed_in_at)), f"{DEVICE}{d.id}")
              for d in found),
            *([Choice(ctx.t("scanner.sign_out_all"), ALL)] if len(found) > 1 else []),
            Choice(ctx.t("scanner.done"), DONE)]


def _pick(ctx: Ctx, answer: Answer) -> str:
    if answer.payload in {c.payload for c in _choices(ctx)}:
        return answer.payload or ""
    raise Invalid("common.pick_one")


def _act(ctx: Ctx, choice: str) -> Go:
    if choice == DONE:
        return ctx.home()
    if choice == OPEN:
        show_link(ctx)
    else:
        device = int(choice.removeprefix(DEVICE)) if choice.startswith(DEVICE) else None
        ended = devices.sign_out(ctx.conn, ctx.account_id or 0, device)
        ctx.say("scanner.signed_out", count=ended)
    return Go(names.DEVICES, fresh=True)


DEVICES = Flow(
    names.DEVICES,
    commands=("thietbi", "devices", "maykiem", "scanner"),
    allowed=may(staff.VERIFY),
    steps=(Ask("device", "scanner.devices", _pick, choices=_choices, pick=True, params=_list, then=_act),),
    back=False,
)
