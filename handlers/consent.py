"""Step 3/3: the summary, the consent form (tick, then "Xác nhận"), and success.

    summary ─ Sửa ─▶ edit_field ─ a field ─▶ (ask it and whatever it invalidates) ─▶ summary
            │                  └ Tiền sử ─▶ edit_question ─▶ (ask that question) ─▶ summary
            └ Tiếp tục ─▶ consent_tick ─▶ consent_confirm ─▶ booking code, summary, priority notice

The summary, the list of fields to edit and the stored record are derived from the fields' declarations.
The consent is worded for who signs it (a parent or guardian for a minor) and never makes a person promise
what their answers contradict: after "Có" to "another vaccine in the last 14 days" the commitment is left
out and the site's doctor sees the answer.
"""

from __future__ import annotations

from bot.engine.answers import Answer, Go, Option
from bot.engine.context import Ctx
from bot.engine.flow import Ask, Flow, stored, summary_fields, summary_lines
from bot.engine.types import Choice
from bot.services.certificates import credentials
from bot.services.people import duplicates
from bot.services.reference import places, screening
from bot.services.registration import registrations
from bot.services.vaccination import site_records
from bot.services.values.dates import age_on, dmy, today
from bot.services.values.errors import Invalid
from handlers import names
from handlers.family import for_family
from handlers.history import ASKED, HISTORY, QUESTIONS, checklist_text
from handlers.registration import (
    ADULT_AGE,
    BIRTH_DATE,
    DETAILS,
    DOSE_NUMBER,
    FULL_NAME,
    ID_NUMBER,
    ID_TYPE,
    PHONE,
    PROVINCE,
    SENT_DOCUMENT,
    SITE,
    already_registered,
)

FORM = (DETAILS, HISTORY)
CONSENT_STEPS = ("summary", "edit_field", "edit_question", "consent_tick", "consent_confirm", "duplicate")
HISTORY_FIELD = "history"


def _history_lines(ctx: Ctx) -> list[str]:
    """The answers the doctor will look at: "Có" and "Không rõ", with the allergen as written."""
    lines = []
    for value, key in ((screening.YES, "history.answered_yes"), (screening.UNKNOWN, "history.answered_unknown")):
        found = []
        for q in ASKED:
            if ctx.get(q) == value:
                agent = next((a for a in QUESTIONS if a.name == f"{q.name}_agent"), None)
                detail = ctx.get(agent) if agent is not None and value == screening.YES else None
                short = ctx.t(f"history.short_{q.name}")
                found.append(f"{short} ({detail})" if detail else short)
        if found:
            lines.append(ctx.t(key, items="; ".join(found)))
    return lines or [ctx.t("history.none_yes")]


def summary_text(ctx: Ctx, *, masked: bool = False) -> str:
    lines = summary_lines(ctx, (DETAILS,), masked=masked)
    lines.append(f"• {ctx.t('field.history')}: " + " ".join(_history_lines(ctx)))
    born = ctx.get(BIRTH_DATE)
    if born and age_on(born, today()) >= screening.SENIOR_AGE:
        lines.append(f"• {ctx.t('history.short_q10')}")
    return "\n".join(lines)


def _summary(_ctx: Ctx, answer: Answer) -> str:
    if answer.payload in ("ok", "edit"):
        return answer.payload
    raise Invalid("common.pick_one")


def _after_summary(ctx: Ctx, choice: str) -> None:
    if choice == "ok":
        ctx.stop_editing()


def _editing(ctx: Ctx) -> bool:
    return ctx.get(SUMMARY) == "edit"


def _field_choices(ctx: Ctx) -> list[Choice]:
    fields = [Choice(ctx.t(s.label_key), s.name) for s in summary_fields(ctx, (DETAILS,))]
    return [*fields, Choice(ctx.t("field.history"), HISTORY_FIELD)]


def _numbered(choices: list[Choice]) -> str:
    return "\n".join(f"{i}. {c.label}" for i, c in enumerate(choices, 1))


def _pick_field(ctx: Ctx, answer: Answer) -> str:
    if answer.payload in {c.payload for c in _field_choices(ctx)}:
        return answer.payload or ""
    raise Invalid("common.pick_one")


def _after_field(ctx: Ctx, name: str) -> Go | None:
    if name == HISTORY_FIELD:
        return None  # which question: asked next
    return ctx.edit(names.DETAILS, name, forget=CONSENT_STEPS)


def _question_choices(ctx: Ctx) -> list[Choice]:
    asked = [q for q in ASKED if q.applies(ctx)]
    return [Choice(str(i), q.name) for i, q in enumerate(asked, 1)]


def _pick_question(ctx: Ctx, answer: Answer) -> str:
    if answer.payload in {c.payload for c in _question_choices(ctx)}:
        return answer.payload or ""
    raise Invalid("common.pick_one")


SUMMARY = Ask("summary", "summary.prompt", _summary, pick=True, then=_after_summary,
              choices=lambda ctx: [Choice(ctx.t("summary.continue"), "ok"), Choice(ctx.t("summary.edit"), "edit")],
              params=lambda ctx: {"summary": summary_text(ctx)})
EDIT_FIELD = Ask("edit_field", "summary.pick_field", _pick_field, pick=True, when=_editing, choices=_field_choices,
                 then=_after_field, params=lambda ctx: {"fields": _numbered(_field_choices(ctx))})


def _minor(ctx: Ctx) -> bool:
    born = ctx.get(BIRTH_DATE)
    return born is not None and age_on(born, today()) < ADULT_AGE


def _commits_to_14_days(ctx: Ctx) -> bool:
    """Only a person who answered "Không" to question 3 promises no other vaccine in the last 14 days."""
    q3 = next(q for q in ASKED if q.name == "q3")
    return ctx.get(q3) == screening.NO


def _consent_params(ctx: Ctx) -> dict[str, str]:
    name = ctx.get(FULL_NAME) or ""
    if _minor(ctx):
        closing = ctx.t("consent.closing_guardian", name=name)
    elif for_family(ctx):
        closing = ctx.t("consent.closing_family", name=name)
    else:
        closing = ctx.t("consent.closing_self")
    commitment = ctx.t("consent.commitment") if _commits_to_14_days(ctx) else ctx.t("consent.no_commitment")
    return {"closing": closing, "commitment": commitment}


def _tick(_ctx: Ctx, answer: Answer) -> bool:
    if answer.payload == "tick":
        return True
    raise Invalid("consent.tick_first")


def _submit(ctx: Ctx) -> Go:
    if ctx.account_id is None:  # logged out in the meantime
        ctx.say("account.login_first")
        return ctx.home()
    version = registrations.consent_version(guardian=_minor(ctx), commitment=_commits_to_14_days(ctx))
    try:
        code, person_id = registrations.submit(ctx.conn, ctx.account_id, stored(ctx, FORM), consent=version)
    except registrations.AlreadyRegistered as exists:
        message = already_registered(ctx, exists.existing)
        if exists.existing.same_account:
            ctx.say(message.key, **message.params)
            ctx.drop_draft()
            return ctx.home()
        ctx.say("registration.exists_other_sent", **message.params)
        # Another account's: back to the document question, the form kept, where "Báo điểm tiêm" is offered.
        ctx.put(SENT_DOCUMENT, exists.open_key)
        return ctx.edit(names.DETAILS, ID_TYPE.name)
    pool = "" if ctx.get(SITE) else ctx.t(
        "registration.pool_notice", province=places.province(ctx.get(PROVINCE) or 0).name
    )
    earlier = (ctx.get(DOSE_NUMBER) or 1) - 1  # declared doses show on the QR once a site confirms them
    # Doses a site recorded before this person had an account: theirs now, and on the QR from the start.
    joined = site_records.match_registered(ctx.conn, person_id)
    found = joined.recorded
    notes = "".join(n.strip() + "\n\n" for n in (
        pool, ctx.t("success.site_doses", count=found) if found else "",
        ctx.t("success.site_records_waiting", count=joined.waiting) if joined.waiting else "",
        ctx.t("success.declared_doses", count=earlier) if earlier and not found else "") if n)
    ctx.say("success.done", code=code, summary=summary_text(ctx, masked=True), notes=notes,
            name=ctx.get(FULL_NAME) or "")
    ctx.say("success.priority_notice")
    # The QR follows as a push: rendering is CPU work that must not hold this event's transaction.
    issued = credentials.issue(ctx.conn, person_id, ctx.services.signing_key)
    ctx.push_later("registration_qr", {"person_id": person_id, "credential_id": issued.id})
    ctx.drop_draft()
    return ctx.home()


def _likely(ctx: Ctx) -> duplicates.Likely | None:
    """The same person already registered by this account (or on its own phone) under another document."""
    born, name = ctx.get(BIRTH_DATE), ctx.get(FULL_NAME)
    if ctx.account_id is None or born is None or not name:
        return None
    return duplicates.at_registration(ctx.conn, ctx.account_id, full_name=name, birth_date=born,
                                      id_number=ctx.get(ID_NUMBER) or ctx.get(ID_TYPE) or "",
                                      phone=ctx.get(PHONE))


def _duplicate_params(ctx: Ctx) -> dict[str, str]:
    found = _likely(ctx)
    return {"name": found.full_name if found else "-", "date": dmy(found.registered_on) if found else "-"}


def _after_duplicate(ctx: Ctx, answer: str) -> Go | None:
    if answer != "same":
        return None  # someone else: registered as asked
    found = _likely(ctx)
    ctx.say("registration.duplicate_kept", name=found.full_name if found else ctx.get(FULL_NAME) or "")
    ctx.drop_draft()
    return ctx.home()


CONSENT = Flow(
    names.CONSENT,
    title="consent.title",
    stage=(3, 3),
    previous=names.HISTORY,
    exits=(names.DETAILS, names.HISTORY),
    form=True,
    steps=(
        SUMMARY, EDIT_FIELD,
        Ask("edit_question", "summary.pick_question", _pick_question, pick=True, choices=_question_choices,
            when=lambda ctx: _editing(ctx) and ctx.get(EDIT_FIELD) == HISTORY_FIELD,
            then=lambda ctx, name: ctx.edit(names.HISTORY, name, forget=CONSENT_STEPS),
            params=lambda ctx: {"questions": checklist_text(ctx)}),
        Ask("consent_tick", "consent.text", _tick, options=(Option("consent.tick", "tick"),),
            params=_consent_params),
        Ask("consent_confirm", "consent.ticked", options=(Option("consent.confirm", "confirm"),)),
        # Before a second record of one person is made (a CCCD now, a CMND then): asked, never silently.
        Ask("duplicate", "registration.duplicate_ask", options=(Option("registration.duplicate_yes", "same"),
                                                               Option("registration.duplicate_no", "other")),
            when=lambda ctx: _likely(ctx) is not None, params=_duplicate_params, then=_after_duplicate),
    ),
    done=_submit,
)
