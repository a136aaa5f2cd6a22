"""Asking: the prompt of a step (progress, error, question, choices) and reading what came back."""

from __future__ import annotations

import zlib
from functools import cache
from typing import Any

from bot import i18n
from bot.engine.answers import Answer
from bot.engine.context import Ctx
from bot.engine.flow import Ask, Flow
from bot.engine.storage import secret_links
from bot.engine.storage.conversations import CONFIRM_CANCEL, OFFERED
from bot.engine.types import Choice, Reply
from bot.services.values.text import clean, fold

STAMP = "~"  # between a button's payload and the stamp of the question it was offered for
BACK = "nav:back"
SKIP = "nav:skip"
UNNUMBERED = frozenset({BACK, SKIP})  # reached by their words, never by a number (a menu lists them apart)
NOTHING = "nothing"  # the catalogs' words for "none, no card, don't remember": an optional question is skipped


def label_key(label: str) -> str:
    """How typed text is compared with a button's label: folded, letters and digits only."""
    return fold(label).replace(" ", "")  # a fold is letters and digits between single spaces


def exact_key(text: str) -> str:
    """How typed text is compared with a command's words written out ("Hủy", "quay lại"): NFC, any case."""
    return clean(text).casefold()


@cache
def _particles() -> tuple[frozenset[str], frozenset[str]]:
    """Politeness words around a short answer ("dạ có", "không ạ"), folded, from every catalog."""
    lead = {fold(w) for loc in i18n.LOCALES for w in i18n.words(loc, "answers.leading")}
    trail = {fold(w) for loc in i18n.LOCALES for w in i18n.words(loc, "answers.trailing")}
    return frozenset(lead), frozenset(trail)


def short_answer_key(text: str) -> str:
    """``label_key`` of a short answer without its politeness words: "Dạ, không ạ" → "khong"."""
    words = fold(text).replace(",", " ").replace(".", " ").replace("!", " ").split()
    lead, trail = _particles()
    while len(words) > 1 and words[0] in lead:
        words.pop(0)
    while len(words) > 1 and words[-1] in trail:
        words.pop()
    return label_key(" ".join(words))


@cache
def _aliases() -> dict[str, frozenset[str]]:
    """Payload → the everyday ways of typing it ("ko", "k", "khong" for "no"), from every catalog."""
    found: dict[str, set[str]] = {}
    for locale in i18n.LOCALES:
        for key, value in i18n.catalog(locale).items():
            if key.startswith("answers.alias.") and isinstance(value, list):
                payload = key.removeprefix("answers.alias.")
                found.setdefault(payload, set()).update(label_key(str(v)) for v in value)
    return {payload: frozenset(keys) for payload, keys in found.items()}


def aliases_of(payload: str) -> frozenset[str]:
    """Everyday words for a payload; a prefixed payload ("cancel:yes", "site:pool") by its last part too."""
    table = _aliases()
    return table.get(payload) or table.get(payload.rsplit(":", 1)[-1], frozenset())


def is_secret_text(ctx: Ctx, step: Ask[Any]) -> bool:
    """What is typed now is a password: at a password question, in a chat that can delete it, or on the
    one-time password page. (In a chat that cannot, typed text is only ever a choice or a command.)"""
    return step.secret and (ctx.incoming.secret_token is not None or not ctx.caps.secrets_by_link)


def read_answer(ctx: Ctx, step: Ask[Any], pending: str = "") -> Answer:
    """The event as an answer to ``step``: a button, a contact, or text.

    On a choice question, typed text picks a choice by its number, its label (with or without diacritics)
    or an everyday word for it ("ko", "dong y"). On a free-text question what is typed is the answer: a
    button wins only when its label is typed exactly, so that "Trần Văn Tuấn" is never replaced by an
    account-name button reading "tran van tuan" (case counts); numbers pick only candidates offered for a typed
    answer.
    """
    incoming = ctx.incoming
    if incoming.button is not None:
        return Answer(payload=incoming.button[:200])
    if incoming.contact_phone is not None:
        return Answer(contact_phone=incoming.contact_phone, contact_is_own=incoming.contact_is_own)
    if incoming.document is not None:
        return Answer(document=incoming.document, document_name=incoming.document_name)
    if incoming.photo is not None:
        return Answer(photo=incoming.photo, photo_fallbacks=incoming.photo_fallbacks)
    raw = incoming.text or ""
    secret = is_secret_text(ctx, step)
    text = raw if secret else clean(raw)
    if step.optional and not secret and text and short_answer_key(text) in aliases_of(NOTHING):
        return Answer(text=text, payload=SKIP)  # "ko", "không có", "no" on an optional question: skipped
    offered = ctx.state.offered
    if not offered or not text or secret:
        return Answer(text=text)
    choosing = not step.free_text or pending in (OFFERED, CONFIRM_CANCEL)
    # A number typed where the choices are shown numbered picks one, at a typed question too ("1": the first
    # button, "🏠 Cùng nơi ở với …" at the province) when it is as short as a menu's: no answer typed there is
    # a bare "1" or "2" ("000001" is an SMS code, never the first button).
    # Never where digits are the answer (a date, a phone number: "1" on the day a reaction began is not "hôm nay").
    keypad = step.keypad(ctx) if callable(step.keypad) else step.keypad
    menu_number = choosing or (len(text) <= 2 and not text.startswith("0") and keypad not in ("numeric", "tel"))
    if menu_number and (not step.numbers or pending == OFFERED):
        # "Quay lại" and "Bỏ qua" are reached by their words, never by a number.
        numbered = [payload for _, payload in offered if payload not in UNNUMBERED]
        if text.isascii() and text.isdigit() and 1 <= int(text) <= len(numbered):
            return Answer(text=text, payload=numbered[int(text) - 1])
    if not choosing:
        # Case counts: "Dieu Lam" typed is a name, never the account-name button reading "dieu lam".
        for label, payload in offered:
            if clean(label) == text:
                return Answer(text=text, payload=payload)
        return Answer(text=text)
    key, short = label_key(text), short_answer_key(text)
    for label, payload in offered:
        if key and label_key(label) == key:
            return Answer(text=text, payload=payload)
    for _, payload in offered:
        if short and short in aliases_of(payload):
            return Answer(text=text, payload=payload)
    # Part of one label only ("học sinh" in "Giáo viên, học sinh, sinh viên…", "pfizer", "dang ky tiem"): that one.
    if len(short) >= 3:
        found = [payload for label, payload in offered if payload not in UNNUMBERED and short in label_key(label)]
        if len(found) == 1:
            return Answer(text=text, payload=found[0])
    return Answer(text=text)


def _stamp_of(step_key: str, asked_at: int) -> str:
    """The question's visit: the version at which the chat came to it, and the step's own short tag (so that a
    conversation deleted and begun again does not take an old button of the same version)."""
    return f"{_base36(asked_at)}{_base36(zlib.crc32(step_key.encode()) % 1296):0>2}"


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return out


def stamped(ctx: Ctx, choices: list[Choice]) -> list[Choice]:
    """The choices as buttons of the question the chat is at now: each payload carries that question's stamp."""
    if not ctx.state.asked:
        return choices
    mark = STAMP + _stamp_of(ctx.state.asked, ctx.state.asked_at)
    return [Choice(c.label, c.payload + mark) for c in choices]


def mark_asked(ctx: Ctx) -> None:
    """The chat is asked its current question: a new visit of it (from another question) gets a new stamp."""
    key = step_key(ctx)
    if ctx.state.asked != key:
        ctx.state.asked, ctx.state.asked_at = key, ctx.state.version + 1


def payload_of(button: str) -> str:
    """A button's payload without the stamp of its question (what a channel that shows choices reads)."""
    return button.rpartition(STAMP)[0] or button


def unstamped(ctx: Ctx, button: str) -> str | None:
    """A pressed button's payload if it was offered for the question the chat is at now, else None (a button
    of an earlier question: a second tab, an old message). A payload without a stamp (an API client's) counts
    as typing that choice: taken only while the question shows it, or from a chat not yet asked with stamps."""
    payload, sep, mark = button.rpartition(STAMP)
    if not sep:
        return button if not ctx.state.asked or any(p == button for _, p in ctx.state.offered) else None
    if not ctx.state.asked or mark != _stamp_of(ctx.state.asked, ctx.state.asked_at):
        return None
    return payload


def choices_for(ctx: Ctx, flow: Flow, step: Ask[Any]) -> list[Choice]:
    choices = [Choice(ctx.t(o.label), o.payload) for o in step.options]
    if step.choices is not None:
        choices.extend(step.choices(ctx))
    if step.optional:
        choices.append(Choice(ctx.t("common.skip"), SKIP))
    if flow.back:
        choices.append(Choice(ctx.t("common.back"), BACK))
    return choices


def progress(ctx: Ctx, flow: Flow, step: Ask[Any]) -> str | None:
    """"Bước 2/3 · Tiền sử tiêm" for a stage of a form, "Đăng nhập · 1/2" for a short flow."""
    if flow.title is None:
        return None
    if flow.stage:
        number, total = flow.stage
        return ctx.t("progress.stage", number=number, total=total, title=ctx.t(flow.title))
    asked = [s.name for s in flow.steps if s.applies(ctx)]
    number = asked.index(step.name) + 1 if step.name in asked else 1
    return ctx.t("progress.step", number=number, total=len(asked), title=ctx.t(flow.title))


def prompt(
    ctx: Ctx, flow: Flow, step: Ask[Any], *, error: str | None = None, note: str | None = None,
    offered: list[Choice] | None = None,
) -> None:
    """Ask ``step``: one reply with where the person is, what went wrong, the question and its choices."""
    parts = [p for p in (progress(ctx, flow, step),) if p]
    if error:
        parts.append("⚠️ " + error)
    if note:
        parts.append(note)
    params = step.params(ctx) if step.params else {}
    key = step.prompt if isinstance(step.prompt, str) else step.prompt(ctx)
    parts.append(ctx.t(step.again if error and step.again else key, **params))
    choices = choices_for(ctx, flow, step)
    if offered is not None:
        choices = offered + [c for c in choices if c.payload in (BACK, SKIP)]
    ctx.state.offered = [[c.label, c.payload] for c in choices]
    ctx.state.pending = OFFERED if offered is not None else ""
    mark_asked(ctx)
    contact = step.contact and ctx.caps.request_contact
    link = None
    if step.secret and ctx.caps.delete_messages:
        parts.append(ctx.t("secret_page.in_chat"))
    if step.secret and ctx.caps.secrets_by_link:
        link = secret_links.issue(ctx.conn, conversation_key=ctx.state.key, step=step_key(ctx))
        parts.append(ctx.t("secret_page.link", url=secret_page_url(ctx.services.public_url, link),
                           minutes=int(secret_links.LIFETIME.total_seconds() // 60)))
    ctx.replies.append(
        Reply(
            "\n\n".join(parts), choices=stamped(ctx, choices), secret_prompt=step.secret, request_contact=contact,
            contact_label=ctx.t("common.share_contact") if contact else None,
            keypad=step.keypad(ctx) if callable(step.keypad) else step.keypad, secret_link=link,
            autocomplete=step.autocomplete,
            numbered=not step.numbers or offered is not None,
        )
    )


def step_key(ctx: Ctx) -> str:
    """The question the conversation is at, as "flow.step" (what a one-time password link is bound to)."""
    return f"{ctx.state.flow}.{ctx.state.step}"


def secret_page_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/s/{token}"


def secret_question(reply: Reply) -> str:
    """A password prompt without its link (the page that shows it is the link)."""
    return reply.text.rsplit("\n\n", 1)[0] if reply.secret_link else reply.text
