"""The universal commands and words, the same on every step and in both languages.

/start, /help, /menu, /huy (/cancel), /quaylai (/back) and the "Quay lại" button, /lang always work. The
bare words ("quay lại", "hủy", "menu", "trợ giúp" …) never override an answer: on a choice question they
work however typed ("huy", "quay lai"); on a free-text question as written with their diacritics ("hủy"),
or when what was typed is not a valid answer, so that a person named "Huy" or "Menu" keeps the name;
never on a password. Discarding a form that has
answers is always asked first ("Hủy phần đang điền?").
"""

from __future__ import annotations

from collections.abc import Callable

from bot import i18n
from bot.engine.asking import exact_key, label_key, stamped
from bot.engine.context import Ctx
from bot.engine.flow import Flow
from bot.engine.navigation import Navigator
from bot.engine.storage.conversations import CONFIRM_CANCEL
from bot.engine.types import Choice, Reply
from bot.services.values import payloads

COMMANDS = {
    "start": "start", "help": "help", "trogiup": "help", "menu": "menu", "huy": "cancel", "cancel": "cancel",
    "quaylai": "back", "back": "back", "lang": "lang", "ngonngu": "lang",
}


def universal_words(key: Callable[[str], str] = label_key) -> dict[str, str]:
    """Word (as ``key`` compares it) → action, from the catalogs of every language."""
    found: dict[str, str] = {}
    for locale in i18n.LOCALES:
        for action in ("back", "cancel", "menu", "help"):
            for word in i18n.words(locale, f"words.{action}"):
                found[key(word)] = action
    return found


CANCEL_YES, CANCEL_NO = payloads.CANCEL.make("yes"), payloads.CANCEL.make("no")


class Commands:
    def __init__(self, navigator: Navigator) -> None:
        self.nav = navigator
        self.words = universal_words()
        self.exact_words = universal_words(exact_key)
        self._with_help: list[Flow] | None = None

    def action(
        self, command: str | None, text: str | None, *, secret: bool, free_text: bool,
    ) -> tuple[str | None, bool]:
        """The universal action an event asks for, if any, and whether it is meant for sure.

        A slash command is; so is a bare word on a choice question, or written with its diacritics ("hủy",
        "quay lại") on a free-text one. Otherwise a word on a free-text question ("Huy", "Menu") is meant
        only if it is not a valid answer: the runner tries it as the answer first. Never on a password."""
        if command is not None:
            return COMMANDS.get(command, "unknown"), True
        if not text or secret:
            return None, False
        if free_text:
            exact = self.exact_words.get(exact_key(text))
            if exact is not None and not text.isascii():
                return exact, True
            return self.words.get(label_key(text)), False
        return self.words.get(label_key(text)), True

    def flow_command(
        self, command: str | None, text: str | None, *, secret: bool, free_text: bool,
    ) -> tuple[str | None, str]:
        """The flow a command starts and the text after it: "/tra 0912…", or the bare word ("tra 0912…",
        "xác minh") where no free text is expected."""
        table = self.nav.registry.commands
        if command is not None:
            parts = (text or "").split(maxsplit=1)
            return table.get(command), parts[1] if len(parts) > 1 else ""
        if not text or secret or free_text:
            return None, ""
        words = text.split()
        for size in (2, 1):  # "xác minh" before "tra"
            name = table.get(label_key(" ".join(words[:size])))
            if name is not None and len(words) >= size:
                return name, " ".join(words[size:])
        return None, ""

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
            if nav.flow(ctx).form and ctx.state.answers:
                self.confirm_cancel(ctx)
                return None
            nav.go_home(ctx)
        elif action == "back":
            nav.back(ctx)
        elif action == "help":
            help_key = f"help.{ctx.state.flow}"
            ctx.say(help_key if i18n.has(help_key) else "help.general")
            self._help_commands(ctx)
        elif action == "lang":
            nav.keep_draft(ctx)
            from_form = nav.flow(ctx).form
            nav.jump(ctx, nav.registry.language)
            ctx.state.resume_form = from_form
        else:
            return "common.unknown_command"
        return None

    def _command_flows(self) -> list[Flow]:
        """The flows started by a command that the help explains, in the registry's order (found once)."""
        if self._with_help is None:
            self._with_help = [flow for flow in self.nav.registry.flows.values()
                               if flow.commands and i18n.has(f"help.command.{flow.name}")]
        return self._with_help

    def _help_commands(self, ctx: Ctx) -> None:
        """The staff commands this person may use, and only those (the flows with a ``help.command.<flow>``;
        a citizen's commands are in the general help)."""
        lines = [ctx.t(f"help.command.{flow.name}") for flow in self._command_flows()
                 if flow.allowed is None or flow.allowed(ctx)]
        if lines:
            ctx.say("help.commands", lines="\n".join(lines))

    @staticmethod
    def confirm_cancel(ctx: Ctx) -> None:
        """Ask before discarding: "Hủy phần đang điền? (Có / Không)"; the step stays where it was."""
        choices = [Choice(ctx.t("common.yes"), CANCEL_YES), Choice(ctx.t("common.no"), CANCEL_NO)]
        ctx.state.offered = [[c.label, c.payload] for c in choices]
        ctx.state.pending = CONFIRM_CANCEL
        ctx.replies.append(Reply(ctx.t("common.confirm_cancel"), choices=stamped(ctx, choices)))

    def answer_cancel(self, ctx: Ctx, payload: str) -> None:
        """The answer to :meth:`confirm_cancel`: discard and go home, or carry on at the same question."""
        if payload == CANCEL_YES:
            ctx.drop_draft()
            ctx.say("common.cancelled")
            self.nav.go_home(ctx)
        else:
            ctx.say("common.not_cancelled")
