"""Step 3/3: the summary with "Sửa" per field, the consent form (tick, then "Xác nhận"), and success.

    summary ─ Sửa X ─▶ (ask X and whatever X invalidates) ─▶ summary
            └ Tiếp tục ─▶ consent_tick ─▶ consent_confirm ─▶ booking code, summary, priority notice

The summary, its "Sửa" buttons and the stored record are derived from the fields' declarations.
"""

from __future__ import annotations

from bot.engine.context import Ctx
from bot.engine.flow import Answer, Ask, Flow, Go, Option, stored, summary_fields, summary_lines
from bot.engine.types import Choice
from bot.services import credentials, places, registrations, screening
from bot.services.dates import age_on, today
from bot.services.errors import Invalid
from handlers import names
from handlers.history import HISTORY, QUESTIONS
from handlers.registration import BIRTH_DATE, DETAILS, PROVINCE, SITE, already_registered, site_name

FORM = (DETAILS, HISTORY)
CONSENT_STEPS = ("summary", "consent_tick", "consent_confirm")
HISTORY_NAMES = tuple(q.name for q in QUESTIONS)


def summary_text(ctx: Ctx, *, masked: bool = False) -> str:
    lines = summary_lines(ctx, (DETAILS,), masked=masked)
    yes = [q.name for q in QUESTIONS if q.options and ctx.get(q) == screening.YES]
    lines.append(f"• {ctx.t('field.history')}: " + (
        ", ".join(ctx.t(f"history.short_{q}") for q in yes) if yes else ctx.t("history.none_yes")
    ))
    born = ctx.get(BIRTH_DATE)
    if born and age_on(born, today()) >= screening.SENIOR_AGE:
        lines.append(f"• {ctx.t('history.short_q10')}")
    return "\n".join(lines)


def _summary_choices(ctx: Ctx) -> list[Choice]:
    edits = [
        Choice(ctx.t("summary.edit", field=ctx.t(s.label_key)), f"edit:{s.name}")
        for s in summary_fields(ctx, (DETAILS,))
    ]
    edits.append(Choice(ctx.t("summary.edit_history"), f"edit:{QUESTIONS[0].name}"))
    return [Choice(ctx.t("summary.continue"), "ok"), *edits]


def _summary(ctx: Ctx, answer: Answer) -> str:
    payload = answer.payload or ""
    if payload == "ok" or payload in (c.payload for c in _summary_choices(ctx)):
        return payload
    raise Invalid("common.pick_one")


def _after_summary(ctx: Ctx, choice: str) -> Go | None:
    if choice == "ok":
        ctx.stop_editing()
        return None
    name = choice.removeprefix("edit:")
    if name in HISTORY_NAMES:  # the history is answered again as a whole
        return ctx.edit(names.HISTORY, name, forget=(*HISTORY_NAMES, *CONSENT_STEPS))
    return ctx.edit(names.DETAILS, name, forget=CONSENT_STEPS)


def _tick(_ctx: Ctx, answer: Answer) -> bool:
    if answer.payload == "tick":
        return True
    if answer.payload == "confirm" or (answer.text and answer.text.strip()):
        raise Invalid("consent.tick_first")
    raise Invalid("common.pick_one")


def _submit(ctx: Ctx) -> Go:
    if ctx.account_id is None:  # logged out in the meantime
        ctx.say("account.login_first")
        return ctx.home()
    try:
        code, person_id = registrations.submit(ctx.conn, ctx.account_id, stored(ctx, FORM))
    except registrations.AlreadyRegistered as exists:
        message = already_registered(ctx, exists.existing)
        ctx.say(message.key, **message.params)
        ctx.drop_draft()
        return ctx.home()
    site_id = ctx.get(SITE)
    site_text = site_name(ctx, site_id) if site_id else ctx.t(
        "registration.pool_notice", province=places.province(ctx.get(PROVINCE) or 0).name
    )
    ctx.say("success.done", code=code, summary=summary_text(ctx, masked=True), site=site_text)
    ctx.say("success.priority_notice")
    # The QR follows as a push: rendering is CPU work that must not hold this event's transaction.
    issued = credentials.issue(ctx.conn, person_id, ctx.services.signing_key)
    ctx.push_later("registration_qr", {"person_id": person_id, "credential_id": issued.id})
    ctx.drop_draft()
    return ctx.home()


CONSENT = Flow(
    names.CONSENT,
    title="consent.title",
    stage=(3, 3),
    previous=names.HISTORY,
    exits=(names.DETAILS,),
    form=True,
    steps=(
        Ask("summary", "summary.prompt", _summary, choices=_summary_choices, then=_after_summary,
            params=lambda ctx: {"summary": summary_text(ctx)}),
        Ask("consent_tick", "consent.text", _tick, options=(Option("consent.tick", "tick"),)),
        Ask("consent_confirm", "consent.ticked", options=(Option("consent.confirm", "confirm"),)),
    ),
    done=_submit,
)
