"""Questions people ask, wherever the chat stands (issue 28): answered from the person's own data, then the
question they were at is asked again.

    "Khi nào tôi được tiêm?", "lịch hẹn ở đâu?", "mã qr", "cần mang gì?", "đăng ký được chưa?", "sửa thế nào?",
    "hotline", "tôi không hiểu" … ─▶ the answer ─▶ the same question again

On a question that takes free text (a name, an address) only a text ending in "?" or one of the short phrases
is taken for a question, so that what a person types as an answer stays their answer.
"""

from __future__ import annotations

from functools import cache

from bot import i18n
from bot.engine.context import Ctx
from bot.services.registration import appointments, registrations
from bot.services.values.dates import dmy
from bot.services.values.text import fold

TOPICS = ("when", "where", "qr", "bring", "received", "change", "hotline", "lost")


@cache
def _phrases() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Topic → (the words that name it inside a question, the short phrases that are the question by themselves),
    folded, from every catalog (``faq.words_<topic>``, ``faq.alone_<topic>``)."""
    found = {}
    for topic in TOPICS:
        inside = tuple(fold(w) for loc in i18n.LOCALES for w in i18n.words(loc, f"faq.words_{topic}"))
        alone = tuple(fold(w) for loc in i18n.LOCALES for w in i18n.words(loc, f"faq.alone_{topic}"))
        found[topic] = (inside, alone)
    return found


def topic_of(text: str, *, free_text: bool) -> str | None:
    """The topic of a question, or None when the text is not one of the questions known."""
    folded = " ".join(fold(text).replace("?", " ").split())
    asked = text.rstrip().endswith("?")
    for topic, (inside, alone) in _phrases().items():
        if folded in alone:
            return topic
        if (asked or not free_text) and any(f" {word} " in f" {folded} " for word in inside):
            return topic
    return None


def answer(ctx: Ctx, text: str, free_text: bool) -> bool:
    """Answer the question if it is one (True): from the person's own registrations and appointments."""
    topic = topic_of(text, free_text=free_text)
    if topic is None:
        return False
    if topic in ("when", "where", "received"):
        ctx.say_text(_about_me(ctx, topic))
    elif topic == "hotline":
        ctx.say("faq.hotline", hotline=ctx.services.hotline or ctx.t("web.hotline_default"))
    else:
        ctx.say(f"faq.answer_{topic}")
    return True


def _about_me(ctx: Ctx, topic: str) -> str:
    if ctx.account_id is None:
        return ctx.t("faq.login_first")
    booked = appointments.for_account(ctx.conn, ctx.account_id)
    if booked and topic in ("when", "where"):
        return "\n".join(ctx.t("faq.appointment", name=n.full_name, date=dmy(n.day), site=n.site_name,
                               address=n.site_address, session=ctx.t(f"session.{n.session}")) for n in booked)
    mine = [v for v in registrations.for_account(ctx.conn, ctx.account_id)
            if v.status in registrations.OPEN_STATUSES]
    if not mine:
        return ctx.t("faq.no_registration")
    return "\n".join(ctx.t("faq.registration", name=v.full_name, code=v.booking_code,
                           site=v.site_name or ctx.t("registration.pool_site"), status=ctx.t(f"status.{v.status}"))
                     for v in mine) + "\n" + ctx.t("faq.order_note")
