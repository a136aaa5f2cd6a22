"""Language: Tiếng Việt (default) or English, for this chat and, when logged in, the account."""

from __future__ import annotations

from bot.engine.answers import Go, Option
from bot.engine.context import Ctx
from bot.engine.flow import Ask, Flow
from handlers import names

LANGUAGES = (Option("settings.vi", "vi"), Option("settings.en", "en"))


def _set(ctx: Ctx, locale: str) -> Go | None:
    ctx.set_locale(locale)
    ctx.say("settings.changed")
    # Switching language mid-form continues the form where it was, now in the other language.
    return ctx.return_to_form()


LANGUAGE = Flow(
    names.LANGUAGE,
    steps=(Ask("locale", "settings.ask", options=LANGUAGES, then=_set),),
    exits=(names.DETAILS, names.HISTORY, names.CONSENT),
)
