"""The main menu: what a logged-out and a logged-in person can do; resuming a draft."""

from __future__ import annotations

from bot.engine.answers import Answer, Go
from bot.engine.context import Ctx
from bot.engine.flow import Ask, Flow
from bot.engine.types import Choice
from bot.services.values.errors import Invalid
from handlers import certificate, names
from handlers.common import YES_NO, account_name, start_registration
from handlers.link_chat import show_code
from handlers.reactions import may_report
from handlers.scanner_devices import SCANNER, show_link
from handlers.staff import STAFF_FLOWS, seen_by_text, staff_choices

GUEST = (("menu.signup", "signup"), ("menu.login", "login"), ("menu.forgot", "forgot"), ("menu.language", "language"))
MEMBER = (
    ("menu.register_self", "register_self"), ("menu.register_family", "register_family"),
    ("menu.my_registrations", "records"), ("menu.my_qr", "certificate"), ("menu.seen_by", "seen_by"),
    ("menu.my_data", "my_data"), ("menu.change_phone", "change_phone"), ("menu.logout", "logout"),
    ("menu.language", "language"),
)
LINK_SHOW, LINK_ENTER = (("menu.link_code", "link_code"),), (("menu.link_chat", "link_chat"),)
# Menu items that simply open a flow of the same name.
OPENS = {"signup": names.SIGNUP, "login": names.LOGIN, "forgot": names.FORGOT, "language": names.LANGUAGE,
         "records": names.RECORDS, "certificate": names.CERTIFICATE, "my_data": names.MY_DATA,
         "change_phone": names.CHANGE_PHONE, "link_chat": names.LINK, "reaction": names.REACTION}


def _items(ctx: Ctx) -> tuple[tuple[str, str], ...]:
    """Where chats link by code (a chat that takes no password is served), a chat that takes passwords shows
    the code, and one that does not offers to type it."""
    linking = ctx.services.chat_linking
    if ctx.account_id:
        return MEMBER + LINK_SHOW if linking and not ctx.caps.secrets_by_link else MEMBER
    return GUEST[:2] + LINK_ENTER + GUEST[2:] if linking and ctx.caps.secrets_by_link else GUEST


def _choices(ctx: Ctx) -> list[Choice]:
    """Staff see their commands first (only those their role allows), then what every citizen has (a reaction
    to report, for 28 days after a dose, first of those)."""
    citizen = [Choice(ctx.t(label), payload) for label, payload in _items(ctx)]
    if ctx.account_id and may_report(ctx):
        citizen.insert(0, Choice(ctx.t("menu.reaction"), "reaction"))
    return [*staff_choices(ctx), *citizen] if ctx.account_id else citizen


def _parse(ctx: Ctx, answer: Answer) -> str:
    if answer.payload in {c.payload for c in _choices(ctx)}:
        return answer.payload or ""
    raise Invalid("common.pick_one")


def _prompt(ctx: Ctx) -> str:
    return "menu.prompt_member" if ctx.account_id else "menu.prompt_guest"


def _route(ctx: Ctx, choice: str) -> Go | None:
    if choice == "certificate":
        return certificate.open_for(ctx)
    if choice == SCANNER:  # the link at once: the devices themselves are "/thietbi"
        show_link(ctx)
        return ctx.home()
    if choice in OPENS:
        return Go(OPENS[choice], fresh=True)
    if choice in ("register_self", "register_family"):
        return start_registration(ctx, for_family=choice == "register_family")
    if choice in STAFF_FLOWS:
        return Go(STAFF_FLOWS[choice][0], fresh=True)
    if choice == "seen_by":
        ctx.say_text(seen_by_text(ctx))
    if choice == "link_code":
        show_code(ctx)
    if choice == "logout":
        ctx.log_out()
        ctx.say("account.logged_out")
    return ctx.home()


MENU = Flow(
    names.MENU,
    steps=(
        Ask("choice", _prompt, _parse, choices=_choices, pick=True, params=lambda ctx: {"name": account_name(ctx)},
            then=_route),
    ),
    exits=(*OPENS.values(), names.RESUME, names.DETAILS, *(flow for flow, _ in STAFF_FLOWS.values())),
    back=False,
)


def _resume(ctx: Ctx, answer: str) -> Go | None:
    if answer == "yes":
        return ctx.resume_draft()
    return ctx.start_form(names.DETAILS, for_family=ctx.draft_for_family)


RESUME = Flow(
    names.RESUME,
    steps=(Ask("resume", "menu.resume_draft", options=YES_NO, then=_resume),),
    # A draft may have been left at any stage of the form.
    exits=(names.DETAILS, names.HISTORY, names.CONSENT),
)
