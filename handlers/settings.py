"""Language: Tiếng Việt (default) or English, for this chat and, when logged in, the account."""

from __future__ import annotations

from bot.engine.context import Ctx
from bot.engine.flow import Ask, Flow, Option, pick
from bot.engine.runner import draft_is_fresh
from bot.services import accounts

LANGUAGES = (Option("settings.vi", "vi"), Option("settings.en", "en"))


def _set(ctx: Ctx, locale: str) -> None:
    ctx.state.locale = locale
    if ctx.account_id is not None:
        accounts.set_locale(ctx.conn, ctx.account_id, locale)
    ctx.say("settings.changed")
    draft = ctx.state.draft
    if ctx.data.get("_resume_form") and draft_is_fresh(draft, ctx.services.draft_ttl) and draft is not None:
        # Switching language mid-form continues the form where it was, now in the other language.
        ctx.state.draft = None
        ctx.state.data = dict(draft["data"])
        ctx.go(str(draft["flow"]), str(draft["step"]))
    else:
        ctx.go("menu", fresh=True)


LANGUAGE = Flow(
    "language",
    steps=(Ask("locale", "settings.ask", pick("vi", "en"), options=LANGUAGES, then=_set),),
)
