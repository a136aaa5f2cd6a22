""""Sửa đăng ký": correcting a sent registration the site has not yet screened.

    records ─ Sửa đăng ký của … ─▶ amend_field ─ a field ─▶ (that field's question, checked as on the form)
                                                         ─▶ saved, the QR re-issued if the person changed ─▶ records

The questions are the form's own (the same parser, checks and examples); the registration's current values
are loaded as answers given in passing, so that the checks that need them (a CCCD against the birth date,
the sites of the ward) work, and only the chosen field is asked.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.engine.answers import Answer, Go
from bot.engine.context import Ctx
from bot.engine.flow import Ask, Flow, Predicate
from bot.engine.types import Choice
from bot.services.certificates import credentials
from bot.services.registration import registrations
from bot.services.values.documents import mask
from bot.services.values.errors import Invalid
from handlers import names
from handlers.registration import (
    AMENDING,
    BIRTH_DATE,
    FULL_NAME,
    ID_NUMBER,
    ID_TYPE,
    PHONE,
    PREFERRED_DATE,
    PRIORITY_GROUP,
    PROVINCE,
    SEX,
    SITE,
    WARD,
    already_registered,
)

CODE = AMENDING

FIELDS: tuple[Ask[Any], ...] = (FULL_NAME, ID_TYPE, PHONE, PRIORITY_GROUP, WARD, SITE, PREFERRED_DATE)
LOADED: tuple[Ask[Any], ...] = (
    FULL_NAME, ID_TYPE, ID_NUMBER, PHONE, BIRTH_DATE, SEX, PRIORITY_GROUP, PROVINCE, WARD, SITE, PREFERRED_DATE,
)
# What else a change brings with it: a document is a type and a number (and the sex a CCCD says); a new ward
# means a site of that ward (or the province's pool), asked right after.
ALSO_ASKED: dict[str, tuple[Ask[Any], ...]] = {ID_TYPE.name: (ID_NUMBER,), WARD.name: (SITE,)}
SAVED_WITH: dict[str, tuple[Ask[Any], ...]] = {ID_TYPE.name: (ID_TYPE, ID_NUMBER, SEX), WARD.name: (WARD, SITE)}


def begin(ctx: Ctx, code: str) -> Go | None:
    """Load the registration's current values; None when it can no longer be corrected."""
    current = registrations.amendable(ctx.conn, ctx.account_id or 0, code) if ctx.account_id else None
    if current is None:
        ctx.say("records.amend_closed")
        return None
    ctx.put(CODE, code)
    for field in LOADED:
        if current.get(field.name) is not None:
            ctx.put(field, current[field.name])
    return Go(names.AMEND)


def _field_choices(ctx: Ctx) -> list[Choice]:
    return [Choice(ctx.t(f.label_key), f.name) for f in FIELDS]


def _pick_field(ctx: Ctx, answer: Answer) -> str:
    if answer.payload in {c.payload for c in _field_choices(ctx)}:
        return answer.payload or ""
    raise Invalid("common.pick_one")


def _current(ctx: Ctx) -> dict[str, Any]:
    shown: tuple[Ask[Any], ...] = (FULL_NAME, PHONE, PRIORITY_GROUP, WARD, SITE, PREFERRED_DATE)
    lines = [f"• {ctx.t(f.label_key)}: {f.display(ctx, ctx.get(f))}" for f in shown]
    lines.insert(1, f"• {ctx.t(ID_NUMBER.label_key)}: {mask(ctx.get(ID_NUMBER) or '')}")
    return {"code": ctx.get(CODE) or "", "current": "\n".join(lines)}


def _ask_chosen(ctx: Ctx, name: str) -> None:
    """The chosen field was loaded in passing: forgotten, it is asked (with what it brings along)."""
    ctx.forget(name, *(f.name for f in ALSO_ASKED.get(name, ())))


FIELD = Ask("amend_field", "records.amend_pick", _pick_field, pick=True, choices=_field_choices, params=_current,
            then=_ask_chosen)


def _chosen(*names: str) -> Predicate:
    return lambda ctx: ctx.get(FIELD) in names


def _asked(field: Ask[Any]) -> Ask[Any]:
    """The form's question, asked here only when its field was chosen, or a field it brings along."""
    by = [field.name, *(name for name, also in ALSO_ASKED.items() if field in also)]
    return replace(field, when=_chosen(*by), summary=False)


ASKED = tuple(dict.fromkeys((*FIELDS, *(also for fields in ALSO_ASKED.values() for also in fields))))


def _save(ctx: Ctx) -> Go:
    code, chosen = ctx.get(CODE), ctx.get(FIELD)
    if ctx.account_id is None or not code or not chosen:
        ctx.say("records.amend_closed")
        return Go(names.RECORDS, fresh=True)
    changed = next(f for f in FIELDS if f.name == chosen)
    changes = {f.name: ctx.get(f) for f in SAVED_WITH.get(chosen, (changed,))}
    try:
        person_id = registrations.amend(ctx.conn, ctx.account_id, code, changes)
    except registrations.AlreadyRegistered as exists:
        message = already_registered(ctx, exists.existing)
        ctx.say(message.key, **message.params)
        return Go(names.RECORDS, fresh=True)
    except registrations.DocumentInUse:
        ctx.say("records.amend_document_in_use")
        return Go(names.RECORDS, fresh=True)
    if person_id is None:
        ctx.say("records.amend_closed")
        return Go(names.RECORDS, fresh=True)
    said: Ask[Any] = ID_NUMBER if changed is ID_TYPE else changed  # a document is named by its number
    ctx.say("records.amended", code=code, field=ctx.t(said.label_key), value=said.display(ctx, ctx.get(said)))
    if changed is WARD:  # and the site that came with it
        ctx.say("records.amended_site", site=SITE.display(ctx, ctx.get(SITE)) if ctx.get(SITE) else
                ctx.t("registration.join_pool"))
    if chosen in (FULL_NAME.name, ID_TYPE.name):  # what the QR carries changed: a new card
        issued = credentials.issue(ctx.conn, person_id, ctx.services.signing_key)
        ctx.push_later("registration_qr", {"person_id": person_id, "credential_id": issued.id})
    return Go(names.RECORDS, fresh=True)


AMEND = Flow(
    names.AMEND,
    title="records.amend_title",
    previous=names.RECORDS,
    steps=(FIELD, *(_asked(f) for f in ASKED)),
    done=_save,
    exits=(names.RECORDS,),
)
