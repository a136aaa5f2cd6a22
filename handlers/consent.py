"""Step 3/3: the summary with "Sửa" per field, the consent form (tick, then "Xác nhận"), and success.

    summary ─ Sửa X ─▶ (ask X and whatever X invalidates) ─▶ summary
            └ Tiếp tục ─▶ consent_tick ─▶ consent_confirm ─▶ booking code, summary, priority notice
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.engine.context import Ctx
from bot.engine.flow import Answer, Ask, Flow, Option, pick
from bot.engine.types import Choice
from bot.services import credentials, outbox, places, registrations, screening, sites
from bot.services.dates import age_on
from bot.services.documents import mask
from bot.services.errors import Invalid
from bot.services.phones import display
from handlers.registration import DETAILS, already_registered, birth_date

FORM_FLOWS = ("details", "history")
HISTORY_FIELDS = ("q1", "q1_agent", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q11", "q12", "q12_agent")
PER_ANSWER = {"session": "session.", "sex": "person.", "relation": "family.", "prev_vaccine": "vaccine."}


def format_value(ctx: Ctx, name: str, value: Any) -> str:
    """How an answer reads in the summary."""
    if value is None:
        return ctx.t("common.none")
    if name in ("birth_date", "preferred_date", "prev_date"):
        return date.fromisoformat(str(value)).strftime("%d/%m/%Y")
    if name == "sex":
        return ctx.t("person.male" if value == "M" else "person.female")
    if name in PER_ANSWER:
        return ctx.t(f"{PER_ANSWER[name]}{value}")
    if name == "id_type":
        return ctx.t(f"id.type_{value}")
    if name == "phone":
        return display(str(value))
    if name == "priority_group":
        return f"{value}. {ctx.t(f'priority.short.{value}')}"
    if name == "province":
        return places.province(int(value)).name
    if name == "ward":
        return places.ward(int(value)).name
    if name == "site":
        site = ctx.memo(f"site:{value}", lambda: sites.get(ctx.conn, int(value)))
        return site.name if site else ""
    if name == "dose_number":
        return ctx.t(f"dose.label_{value}")
    if name in HISTORY_FIELDS and value in screening.ANSWERS:
        return ctx.t(f"common.{value}")
    return str(value)


def summary_text(ctx: Ctx, *, masked: bool = False) -> str:
    lines = []
    for step in DETAILS.steps:
        if step.field in ctx.data and step.summary:
            value = ctx.data[step.field]
            shown = mask(str(value)) if masked and step.field in ("id_number", "insurance") and value else (
                format_value(ctx, step.field, value)
            )
            lines.append(f"• {ctx.t(f'field.{step.field}')}: {shown}")
    answered = [q for q in HISTORY_FIELDS if q in ctx.data]
    yes = [q for q in answered if ctx.data[q] == screening.YES]
    lines.append(f"• {ctx.t('field.history')}: " + (
        ", ".join(ctx.t(f"history.short_{q}") for q in yes) if yes else ctx.t("history.none_yes")
    ))
    born = birth_date(ctx)
    if born and age_on(born, date.today()) >= screening.SENIOR_AGE:
        lines.append(f"• {ctx.t('history.short_q10')}")
    return "\n".join(lines)


def _summary_choices(ctx: Ctx) -> list[Choice]:
    edits = [
        Choice(ctx.t("summary.edit", field=ctx.t(f"field.{s.field}")), f"edit:{s.field}")
        for s in DETAILS.steps
        if s.field in ctx.data and s.summary
    ]
    edits.append(Choice(ctx.t("summary.edit_history"), "edit:q1"))
    return [Choice(ctx.t("summary.continue"), "ok"), *edits]


def _summary(ctx: Ctx, answer: Answer) -> str:
    payload = answer.payload or ""
    if payload == "ok":
        return payload
    name = payload.removeprefix("edit:")
    if payload.startswith("edit:") and (name in HISTORY_FIELDS or any(s.field == name for s in DETAILS.steps)):
        return payload
    raise Invalid("common.pick_one")


def _after_summary(ctx: Ctx, choice: str) -> None:
    if choice == "ok":
        ctx.data.pop("_edit", None)
        return
    name = choice.removeprefix("edit:")
    stale = HISTORY_FIELDS if name in HISTORY_FIELDS else (name,)  # the history is answered again as a whole
    for field in (*stale, "summary", "consent_tick", "consent_confirm"):
        ctx.data.pop(field, None)
    ctx.data["_edit"] = True
    ctx.go("history" if name in HISTORY_FIELDS else "details", name)


def _tick(_ctx: Ctx, answer: Answer) -> bool:
    if answer.payload == "tick":
        return True
    if answer.payload == "confirm" or (answer.text and answer.text.strip()):
        raise Invalid("consent.tick_first")
    raise Invalid("common.pick_one")


def _submit(ctx: Ctx) -> None:
    data = ctx.data
    answers = {q: str(data[q]) for q in HISTORY_FIELDS if q in data and not q.endswith("_agent")}
    born = birth_date(ctx)
    assert born is not None and ctx.account_id is not None
    answers["q10"] = screening.YES if age_on(born, date.today()) >= screening.SENIOR_AGE else screening.NO
    for agent in ("q1_agent", "q12_agent"):
        if agent in data:
            answers[agent] = str(data[agent])
    previous = (
        {k: data.get(f"prev_{k}") for k in ("vaccine", "date", "lot", "site")} if data.get("dose_number") != "1"
        else None
    )
    person = registrations.PersonDetails(
        relation=str(data.get("relation") or "self"), full_name=str(data["full_name"]), birth_date=born,
        sex=str(data["sex"]), id_type=str(data["id_type"]), id_number=str(data["id_number"]),
        phone=str(data["phone"]), insurance_number=data.get("insurance"), occupation=str(data["occupation"]),
        workplace=data.get("workplace"), priority_group=int(data["priority_group"]),
        province_code=int(data["province"]), ward_code=int(data["ward"]), address=data.get("address"),
    )
    request = registrations.Request(
        site_id=data.get("site"), preferred_date=date.fromisoformat(str(data["preferred_date"])),
        preferred_session=str(data["session"]), dose_number=int(data["dose_number"]), previous_dose=previous,
        screening=answers,
    )
    try:
        code, person_id = registrations.submit(ctx.conn, ctx.account_id, person, request)
    except registrations.AlreadyRegistered as exists:
        message = already_registered(ctx, exists.existing)
        ctx.say(message.key, **message.params)
        ctx.state.draft = None
        ctx.go("menu", fresh=True)
        return
    site_text = format_value(ctx, "site", data.get("site")) if data.get("site") else ctx.t(
        "registration.pool_notice", province=places.province(int(data["province"])).name
    )
    ctx.say("success.done", code=code, summary=summary_text(ctx, masked=True), site=site_text)
    ctx.say("success.priority_notice")
    # The QR follows as a push: rendering is CPU work that must not hold this event's transaction.
    issued = credentials.issue(ctx.conn, person_id, ctx.services.signing_key)
    outbox.enqueue(ctx.conn, channel=ctx.incoming.channel, chat_id=ctx.incoming.chat_id, kind="registration_qr",
                   payload={"person_id": person_id, "credential_id": issued.id})
    ctx.pushed = True
    ctx.state.draft = None
    ctx.go("menu", fresh=True)


CONSENT = Flow(
    "consent",
    title="consent.title",
    stage=(3, 3),
    previous="history",
    form=True,
    steps=(
        Ask("summary", "summary.prompt", _summary, choices=_summary_choices, then=_after_summary,
            params=lambda ctx: {"summary": summary_text(ctx)}),
        Ask("consent_tick", "consent.text", _tick, options=(Option("consent.tick", "tick"),)),
        Ask("consent_confirm", "consent.ticked", pick("confirm"), options=(Option("consent.confirm", "confirm"),)),
    ),
    done=_submit,
)
