"""The universal commands and words, the same on every step and in both languages.

/start, /help, /menu, /huy (/cancel), /quaylai (/back) and the "Quay lại" button, /lang; the bare words
("quay lại", "hủy", "menu", "trợ giúp" …) work where they are not a password.
"""

from __future__ import annotations

from bot import i18n
from bot.engine.asking import label_key
from bot.engine.context import Ctx
from bot.engine.navigation import Navigator

COMMANDS = {
    "start": "start", "help": "help", "trogiup": "help", "menu": "menu", "huy": "cancel", "cancel": "cancel",
    "quaylai": "back", "back": "back", "lang": "lang", "ngonngu": "lang",
}


def universal_words() -> dict[str, str]:
    """Folded word → action, from the catalogs of every language."""
    found: dict[str, str] = {}
    for locale in i18n.LOCALES:
        for action in ("back", "cancel", "menu", "help"):
            for word in i18n.words(locale, f"words.{action}"):
                found[label_key(word)] = action
    return found


class Commands:
    def __init__(self, navigator: Navigator) -> None:
        self.nav = navigator
        self.words = universal_words()

    def action(self, command: str | None, text: str | None, *, secret: bool) -> str | None:
        """The universal action an event asks for, if any: a slash command, or a bare word (not a password)."""
        if command is not None:
            return COMMANDS.get(command, "unknown")
        if text and not secret:
            return self.words.get(label_key(text))
        return None

    def run(self, ctx: Ctx, action: str) -> str | None:
        """Do it; returns an error message key when the command is unknown."""
        nav = self.nav
        if action == "start":
            nav.keep_draft(ctx)
            ctx.say("start.welcome")
            nav.go_home(ctx)
        elif action == "menu":
            nav.leave_form(ctx)
        elif action == "cancel":
            if nav.flow(ctx).form:
                ctx.drop_draft()
                ctx.say("common.cancelled")
            nav.go_home(ctx)
        elif action == "back":
            nav.back(ctx)
        elif action == "help":
            help_key = f"help.{ctx.state.flow}"
            ctx.say(help_key if i18n.has(help_key) else "help.general")
        elif action == "lang":
            nav.keep_draft(ctx)
            from_form = nav.flow(ctx).form
            nav.jump(ctx, nav.registry.language)
            ctx.state.resume_form = from_form
        else:
            return "common.unknown_command"
        return None
