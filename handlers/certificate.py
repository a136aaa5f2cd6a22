""""Mã QR của tôi": the current QR of each person the account registered, sent as a picture.

The picture is rendered once per credential, on the CPU pool (``ctx.compute``), then served from the cache.
"""

from __future__ import annotations

from bot.engine.answers import Answer, Go
from bot.engine.context import Ctx
from bot.engine.flow import Ask, Flow
from bot.engine.types import Choice
from bot.services.certificates import credentials, qr_codes
from bot.services.vaccination import declared
from bot.services.values import payloads
from bot.services.values.errors import Invalid
from handlers import names


def _people(ctx: Ctx) -> list[tuple[int, str]]:
    return credentials.holders(ctx.conn, ctx.account_id) if ctx.account_id else []


def _prompt(ctx: Ctx) -> str:
    return "certificate.pick" if _people(ctx) else "certificate.none"


def _choices(ctx: Ctx) -> list[Choice]:
    return [Choice(name, payloads.PERSON.make(pid)) for pid, name in _people(ctx)]


def _pick(ctx: Ctx, answer: Answer) -> int:
    picked = payloads.PERSON.number(answer.payload)
    for pid, _ in _people(ctx):
        if picked == pid:
            return pid
    raise Invalid("common.pick_one")


def _send(ctx: Ctx, person_id: int) -> Go:
    issued = credentials.current(ctx.conn, person_id)
    if issued is not None:
        qr = ctx.services.qr
        token = qr.cached(issued, ctx.locale) or ctx.compute(
            f"qr:{issued.id}:{ctx.locale}", qr.ensure, issued, qr_codes.label(issued, ctx.locale), ctx.locale,
            on=qr.threads)
        waiting = declared.awaiting(ctx.conn, person_id)
        ctx.say_text(qr_codes.caption(ctx.locale, issued, declared=waiting), image_key=token)
    return ctx.home()


def open_for(ctx: Ctx) -> Go:
    """"Mã QR của tôi": one person's QR at once; with several, the question which."""
    people = _people(ctx)
    if len(people) == 1:
        return _send(ctx, people[0][0])
    return Go(names.CERTIFICATE, fresh=True)


CERTIFICATE = Flow(names.CERTIFICATE, steps=(Ask("person", _prompt, _pick, choices=_choices, pick=True, then=_send),))
