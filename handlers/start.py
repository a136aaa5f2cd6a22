"""The main menu: what a logged-out and a logged-in person can do; resuming a draft."""

from __future__ import annotations

from bot.engine.context import Ctx
from bot.engine.flow import Answer, Ask, Flow, pick
from bot.engine.types import Choice
from bot.services import accounts
from bot.services.errors import Invalid
from handlers.common import YES_NO, account_name, start_registration

GUEST = (("menu.signup", "signup"), ("menu.login", "login"), ("menu.language", "language"))
MEMBER = (
    ("menu.register_self", "register_self"), ("menu.register_family", "register_family"),
    ("menu.my_registrations", "records"), ("menu.my_qr", "certificate"), ("menu.logout", "logout"),
    ("menu.language", "language"),
)


def _items(ctx: Ctx) -> tuple[tuple[str, str], ...]:
    return MEMBER if ctx.account_id else GUEST


def _choices(ctx: Ctx) -> list[Choice]:
    return [Choice(ctx.t(label), payload) for label, payload in _items(ctx)]


def _parse(ctx: Ctx, answer: Answer) -> str:
    payloads = [payload for _, payload in _items(ctx)]
    if answer.payload in payloads:
        return answer.payload
    raise Invalid("common.pick_one")


def _prompt(ctx: Ctx) -> str:
    return "menu.prompt_member" if ctx.account_id else "menu.prompt_guest"


def _route(ctx: Ctx) -> None:
    choice = ctx.data.get("choice")
    if choice in ("signup", "login", "language", "records", "certificate"):
        ctx.go(str(choice), fresh=True)
    elif choice == "register_self":
        start_registration(ctx, for_family=False)
    elif choice == "register_family":
        start_registration(ctx, for_family=True)
    elif choice == "logout":
        accounts.unbind_chat(ctx.conn, channel=ctx.incoming.channel, chat_id=ctx.incoming.chat_id)
        ctx.state.account_id = None
        ctx.state.draft = None
        ctx.say("account.logged_out")


MENU = Flow(
    "menu",
    steps=(
        Ask("choice", _prompt, _parse, choices=_choices, params=lambda ctx: {"name": account_name(ctx)}),
    ),
    done=_route,
    back=False,
)


def _resume(ctx: Ctx) -> None:
    draft = ctx.state.draft or {}
    ctx.state.draft = None
    if ctx.data.get("resume") == "yes" and draft:
        ctx.state.data = dict(draft["data"])
        ctx.go(str(draft["flow"]), str(draft["step"]))
    else:
        for_family = (draft.get("data") or {}).get("_for") == "family"
        start_registration(ctx, for_family=for_family)


RESUME = Flow("resume", steps=(Ask("resume", "menu.resume_draft", pick("yes", "no"), options=YES_NO),), done=_resume)
