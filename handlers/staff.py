"""Staff in the chat (issue 11): look people up, record a dose, verify a QR; and the citizen's "who looked at
my record".

    /tra <phone | CCCD | booking code | name dd/mm/yyyy> ─▶ the people found, a page at a time
    /tiem <booking code | CCCD> <vaccine> <lot> [dd/mm/yyyy] ─▶ (a short interval: "record anyway?") ─▶ new QR
    /xacminh ─▶ a photo of a QR (or its text) ─▶ the verdict, then the next one

Each command is for the roles :data:`bot.services.access.staff.MAY` lists, with a log-in in the last 12 hours;
anyone else gets the reply to an unknown command. Every look-up, dose, verification and refusal is written
to the audit log in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from bot import i18n
from bot.engine.answers import Answer, Go, Option, codec_of
from bot.engine.context import Ctx
from bot.engine.flow import Ask, Flow
from bot.engine.types import Choice
from bot.services.access import audit, scope, staff
from bot.services.campaign import lookup
from bot.services.certificates import credentials
from bot.services.certificates.qr_reader import MAX_PIXELS, PictureTooLarge, read_codes
from bot.services.people import claims, duplicates
from bot.services.reference import screening, vaccines
from bot.services.vaccination import corrections, doses, reactions, site_records
from bot.services.values import states
from bot.services.values.dates import dmy, parse_past_date, today
from bot.services.values.documents import mask
from bot.services.values.errors import Invalid
from bot.services.values.phones import display
from handlers import names, person_lines
from handlers.common import YES_NO
from handlers.paging import pager
from handlers.reactions import reaction_line
from handlers.screening import open_screen
from handlers.staff_access import current_role, may, role

# ---- /tra: look people up --------------------------------------------------------------------------------


def _query(ctx: Ctx, answer: Answer) -> str:
    text = " ".join((answer.text or "").split())
    lookup.parse_query(text)  # understood, or says how to ask
    return text


def _person_text(ctx: Ctx, person: lookup.Found) -> str:
    who = role(ctx)
    lines = [ctx.t("staff.person", name=person.full_name, born=dmy(person.birth_date),
                   sex=ctx.t("person.male" if person.sex == "M" else "person.female"),
                   id=mask(person.id_number), phone=display(person.phone))]
    for reg in person.registrations:
        attention = "; ".join(
            f"{q[1:]}. {ctx.t(f'history.short_{q}')} ({ctx.t('common.yes' if a == 'yes' else 'common.unknown')})"
            for q, a in reg.attention
        ) or ctx.t("staff.no_attention")
        # Another site's booking code is not this site's to dose against: shown masked (its doses are theirs).
        ours = who is not None and who.covers(reg.site_id)
        code = reg.booking_code if ours else mask(reg.booking_code)
        lines.append(ctx.t("staff.registration", code=code, status=ctx.t(f"status.{reg.status}"),
                           site=reg.site_name or ctx.t("registration.pool_site"), date=dmy(reg.preferred_date),
                           attention=attention))
        if reg.status in states.OPEN_REGISTRATION:
            lines.append("  " + person_lines.course(ctx, reg.dose_number, reg.due_on, None))
        for said in (person_lines.decision(ctx, reg.decision, reg.decision_note, reg.decision_place, reg.due_on),
                     person_lines.declared(ctx, reg.declared)):
            if said:
                lines.append(f"  {said}")
    for dose in person.doses:
        lines.append(ctx.t("staff.dose_line", number=dose.number, vaccine=ctx.t(f"vaccine.{dose.vaccine}"),
                           lot=dose.lot, date=dmy(dose.given_on), site=dose.site_name or "-"))
    lines.append(ctx.t("staff.qr_status", frame=ctx.t(f"qr.frame_{person.level}"),
                       status=ctx.t(f"qr.status_{person.level}", doses=person.dose_count)))
    # What waits for the site's decision once the papers are checked: a record that may be theirs, a claim.
    for record in site_records.waiting_for(ctx.conn, person.person_id):
        lines.append(ctx.t("records.waiting_line", record=record.id, name=record.full_name,
                           vaccine=ctx.t(f"vaccine.{vaccines.find(record.vaccine) or record.vaccine}"),
                           date=dmy(record.given_on), phone=display(record.phone) if record.phone else "-"))
    for claim in claims.open_for(ctx.conn, person.person_id):
        lines.append(ctx.t("claim.line", number=claim))
    for report in reactions.for_person(ctx.conn, person.person_id):  # reactions after vaccination
        lines.append(reaction_line(ctx, report))
    if who is not None:  # the same name and birth date under another document, in the caller's scope
        for other in lookup.people(ctx.conn, who, duplicates.similar(ctx.conn, person.person_id)):
            lines.append(ctx.t("merge.similar", name=other.full_name, id=mask(other.id_number)))
    return "\n".join(lines)


def _show_page(ctx: Ctx, page: int) -> Go | None:
    who = current_role(ctx)
    query = lookup.parse_query(ctx.get(QUERY) or "")
    found, total = lookup.search(ctx.conn, who, query, page=page)
    for person in found:
        audit.record(ctx.conn, who, "lookup", person_id=person.person_id, how=query.how)
    if not found:
        audit.record(ctx.conn, who, "lookup", how=query.how, result="none")
        ctx.say("staff.lookup_none")
        return None
    pages = (total + lookup.PAGE - 1) // lookup.PAGE
    ctx.say("staff.lookup_found", total=total, page=page + 1, pages=pages)
    for person in found:
        ctx.say_text(_person_text(ctx, person))
    # A button beside each person with an open registration here: the screening table's decisions.
    PAGES.shown(ctx, page, total, [
        (reg.registration_id, ctx.t("staff.screen_button", name=person.full_name)) for person in found
        for reg in person.registrations if reg.status in states.OPEN_REGISTRATION and who.covers(reg.site_id)])
    return None


QUERY = Ask("query", "staff.ask_lookup", _query, then=lambda ctx, _text: _show_page(ctx, 0))
PAGES = pager(names.LOOKUP, _show_page, size=lookup.PAGE, again="staff.new_lookup", item=open_screen)


LOOKUP = Flow(
    names.LOOKUP,
    commands=("tra", "lookup", "tracuu"),
    allowed=may(staff.LOOKUP),
    steps=(QUERY, PAGES.more),
    exits=(names.SCREEN,),
    back=False,
)

# ---- /tiem: record a dose ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DoseOrder:
    """What ``/tiem`` was told to record, with its types; what the doctor must confirm first is held here
    (``held``: a short gap since the previous dose, a postponement not over, history answers with no "đạt", a
    declared dose not confirmed)."""

    code: str
    vaccine: str
    lot: str
    given_on: date
    person_id: int
    name: str
    gap_days: int | None = None
    minimum_days: int | None = None
    previous_vaccine: str | None = None
    held: tuple[str, ...] = ()
    registration_id: int = 0


def _held(ctx: Ctx, order: DoseOrder) -> DoseOrder:
    """The order with what must be confirmed before it is recorded (nothing: recorded at once)."""
    held: list[str] = []
    short = doses.short_interval(ctx.conn, order.person_id, order.given_on)  # refuses the same day twice
    if short is not None:
        held.append("interval")
        order = replace(order, gap_days=short.days, minimum_days=short.minimum, previous_vaccine=short.previous_vaccine)
    line = next((r for r in lookup.registrations_of(ctx.conn, order.person_id)
                 if r.registration_id == order.registration_id), None)
    if line is not None:
        if line.decision == states.Decision.POSTPONED and line.due_on and line.due_on > order.given_on:
            held.append("postponed")
        if screening.for_doctor(line.attention) and line.decision != states.Decision.ELIGIBLE:
            held.append("screening")
        if line.declared:
            held.append("declared")
    return replace(order, held=tuple(held))


def vaccine_and_lot(words: list[str]) -> tuple[str, str]:
    """"Vero Cell AB 12", "Pfizer FK1234": the longest run of first words that names a vaccine, then the lot, which
    may have spaces (as printed on some vials). Raises :class:`Invalid` when either is missing."""
    for end in range(min(len(words) - 1, 4), 0, -1):
        if vaccines.find(" ".join(words[:end])) is not None:
            return " ".join(words[:end]), " ".join(words[end:])
    if len(words) < 2:
        raise Invalid("staff.dose_help")
    raise Invalid("dose.unknown_vaccine", vaccine=words[0])


def _dose_args(ctx: Ctx, answer: Answer) -> DoseOrder:
    """"<booking code | CCCD> <vaccine> <lot> [dd/mm/yyyy]": recorded at once, or held for confirmation. The ID may
    be typed in groups of digits ("001 090 123 456"), the lot with spaces."""
    who = current_role(ctx)
    words = (answer.text or "").split()
    given_on = today()
    if len(words) >= 4:
        try:
            given_on = parse_past_date(words[-1])
            words = words[:-1]
        except Invalid as bad:
            if any(ch in words[-1] for ch in "/.-") and words[-1][:1].isdigit():
                raise bad from None
    digits = 1
    while digits < len(words) and words[digits].isascii() and words[digits].isdigit():
        digits += 1  # "001 090 123 456": the groups of one number
    if len(words) - digits < 2:
        raise Invalid("staff.dose_help")
    target = lookup.dose_target(ctx.conn, "".join(words[:digits]))
    if target is None or not scope.covers(ctx.conn, who, target.person_id):  # out of scope: "not found"
        audit.record(ctx.conn, who, "dose", how="target", result="not_found")
        raise Invalid("staff.dose_not_found")
    try:
        vaccine, lot = vaccine_and_lot(words[digits:])
    except Invalid:
        audit.record(ctx.conn, who, "dose", person_id=target.person_id, how="dose.unknown_vaccine", result="refused")
        raise
    try:
        order = _held(ctx, DoseOrder(code=target.booking_code, vaccine=vaccine, lot=lot, given_on=given_on,
                                     person_id=target.person_id, name=target.full_name,
                                     registration_id=target.registration_id))
    except Invalid as bad:  # the same day twice
        audit.record(ctx.conn, who, "dose", person_id=target.person_id, how=bad.key, result="refused")
        raise
    if order.held:
        audit.record(ctx.conn, who, "dose", person_id=order.person_id, how=",".join(order.held), result="asked")
        return order
    return _record(ctx, who, order, confirmed=False)


def _record(ctx: Ctx, who: staff.Role, order: DoseOrder, *, confirmed: bool) -> DoseOrder:
    if not scope.covers(ctx.conn, who, order.person_id):  # checked again where it acts (a confirmation)
        audit.record(ctx.conn, who, "dose", how="target", result="not_found")
        raise Invalid("staff.dose_not_found")
    try:
        done = doses.record(
            ctx.conn, ctx.services.signing_key, booking_code=order.code, vaccine=order.vaccine, lot=order.lot,
            given_on=order.given_on, source="staff", recorded_by=str(who.account_id),
            confirmed_interval=confirmed, site_id=who.site_id,  # a site's staff give doses at their own site
        )
    except doses.ShortInterval as short:  # recorded by someone else meanwhile: asked, as any short gap
        audit.record(ctx.conn, who, "dose", person_id=order.person_id, how="interval", result="asked")
        return replace(order, gap_days=short.days, minimum_days=short.minimum, previous_vaccine=short.previous_vaccine,
                       held=("interval",))
    except Invalid as bad:
        audit.record(ctx.conn, who, "dose", person_id=order.person_id, how=bad.key, result="refused")
        raise
    how = f"dose {done.dose_number}" + (f" (confirmed: {','.join(order.held)})" if confirmed and order.held else "")
    audit.record(ctx.conn, who, "dose", person_id=done.person_id, how=how)
    ctx.pushes_queued()
    ctx.say("staff.dose_done", number=done.dose_number, vaccine=ctx.t(f"vaccine.{vaccines.find(order.vaccine)}"),
            name=order.name, date=dmy(order.given_on), frame=ctx.t(f"qr.frame_{done.credential.level}"),
            status=ctx.t(f"qr.status_{done.credential.level}", doses=done.credential.dose_count),
            pushes=done.pushes, lot=order.lot)
    if done.next_due is not None:
        ctx.say("staff.next_due", number=done.dose_number + 1, date=dmy(done.next_due))
    return replace(order, gap_days=None, held=())


DOSE_ARGS: Ask[DoseOrder] = Ask("dose_args", "staff.ask_dose", _dose_args, codec=codec_of(DoseOrder))


def _confirmed(ctx: Ctx, answer: str) -> Go:
    order = ctx.get(DOSE_ARGS)
    if answer == "yes" and order is not None:
        try:
            _record(ctx, current_role(ctx), order, confirmed=True)
        except Invalid as bad:
            ctx.say(bad.key, **bad.params)
    else:
        ctx.say("staff.dose_not_recorded")
    return ctx.home()


def _held_params(ctx: Ctx) -> dict[str, Any]:
    """Each thing to confirm, one line each, from the order and the registration as they are now."""
    order = ctx.get(DOSE_ARGS)
    if order is None:
        return {"name": "-", "lines": ""}
    lines = []
    line = next((r for r in lookup.registrations_of(ctx.conn, order.person_id)
                 if r.registration_id == order.registration_id), None)
    for held in order.held:
        if held == "interval":
            lines.append(ctx.t("staff.held_interval", days=order.gap_days or 0, minimum=order.minimum_days or 0,
                               previous=ctx.t(f"vaccine.{order.previous_vaccine or 'astrazeneca'}")))
        elif held == "postponed" and line is not None:
            lines.append(ctx.t("staff.held_postponed", date=dmy(line.due_on) if line.due_on else "-",
                               reason=line.decision_note or "-"))
        elif held == "screening" and line is not None:
            lines.append(ctx.t("staff.held_screening",
                               attention=person_lines.attention(ctx, screening.for_doctor(line.attention))))
        elif held == "declared" and line is not None:
            lines.append(ctx.t("staff.held_declared", declared=person_lines.declared(ctx, line.declared) or "-",
                               code=order.code))
    return {"name": order.name, "lines": "\n".join(f"• {text}" for text in lines)}


def _to_confirm(ctx: Ctx) -> bool:
    order = ctx.get(DOSE_ARGS)
    return order is not None and bool(order.held)


DOSE = Flow(
    names.DOSE,
    commands=("tiem", "dose"),
    allowed=may(staff.DOSE),
    steps=(
        DOSE_ARGS,
        Ask("confirm_interval", "staff.confirm_held", options=YES_NO, then=_confirmed, when=_to_confirm,
            params=_held_params),
    ),
    back=False,
)

# ---- /xacminh: verify a QR -------------------------------------------------------------------------------


def _decode(photos: tuple[bytes, ...]) -> list[str] | None:
    """The QR texts in the first picture that has any (the largest first); None when every size sent has too
    many pixels to decode."""
    readable = False
    for photo in photos:
        try:
            found = read_codes(photo)
        except PictureTooLarge:
            continue
        readable = True
        if found:
            return found
    return [] if readable else None


def _verify(ctx: Ctx, answer: Answer) -> str:
    who = current_role(ctx)
    if answer.photo is not None:
        photos = (answer.photo, *answer.photo_fallbacks)
        texts: list[str] | None = ctx.compute("qr_texts", _decode, photos)
        if texts is None:
            audit.record(ctx.conn, who, "verify", how="too_large", result="none")
            raise Invalid("staff.photo_too_large", megapixels=MAX_PIXELS // 1_000_000)
        if not texts:
            audit.record(ctx.conn, who, "verify", how="no_qr", result="none")
            raise Invalid("staff.no_qr_found")
        text = texts[0]
    elif answer.text:
        text = ctx.incoming.text or answer.text  # as pasted: a code's spaces are letters of it (Base45)
    else:
        raise Invalid("staff.send_qr")
    verdict = credentials.check(ctx.conn, text, ctx.services.trusted)
    kind = credentials.verdict_kind(verdict)
    person_id = credentials.person_of(ctx.conn, verdict.credential_id) if verdict.credential_id else None
    audit.record(ctx.conn, who, "verify", person_id=person_id if kind != "forged" else None, how=kind,
                 result=kind)
    level = verdict.level if kind != "forged" else "none"
    ctx.say(f"staff.verdict_{kind}", name=verdict.name or "-", born=_born(verdict.birth_date),
            frame=ctx.t(f"qr.frame_{level}"), status=ctx.t(f"qr.status_{level}", doses=verdict.dose_number),
            label=i18n.t("vi", vaccines.LOOKS[level].label, doses=verdict.dose_number))
    if kind in ("valid", "superseded") and person_id is not None:  # the doses as recorded now, with their dates
        given = corrections.doses_of(ctx.conn, person_id)
        if given:
            ctx.say("staff.verdict_doses", lines="\n".join(
                ctx.t("staff.verdict_dose", number=d.number, vaccine=person_lines.vaccine_name(ctx, d.vaccine),
                      date=dmy(d.given_on)) for d in given))
    return kind


def _born(iso: str | None) -> str:
    try:
        return dmy(date.fromisoformat(iso)) if iso else "-"
    except ValueError:
        return iso or "-"


VERIFY = Flow(
    names.VERIFY,
    commands=("xacminh", "verify"),
    allowed=may(staff.VERIFY),
    steps=(Ask("qr", "staff.ask_qr", _verify, photo=True),),
    done=Go(names.VERIFY, fresh=True),  # the next one: a checkpoint verifies many in a row
    back=False,
)

# ---- the citizen: who looked at my record ----------------------------------------------------------------


def seen_by_text(ctx: Ctx) -> str:
    entries = audit.seen_by(ctx.conn, ctx.account_id or 0) if ctx.account_id else []
    if not entries:
        return ctx.t("staff.seen_none")
    lines = [ctx.t("staff.seen_line", site=e.site_name or ctx.t(f"staff.role_{e.role}"),
                   action=ctx.t(f"staff.action_{e.action}"), name=e.person_name, date=dmy(e.at.date()))
             for e in entries]
    return ctx.t("staff.seen_list", lines="\n".join(lines))


STAFF_FLOWS = {"staff:lookup": (names.LOOKUP, staff.LOOKUP), "staff:dose": (names.DOSE, staff.DOSE),
               "staff:verify": (names.VERIFY, staff.VERIFY), "staff:list": (names.SITE_LIST, staff.LIST),
               "staff:allocate": (names.ALLOCATE, staff.ALLOCATE), "staff:import": (names.IMPORT, staff.IMPORT),
               "staff:export": (names.EXPORT, staff.EXPORT), "staff:stats": (names.STATS, staff.STATS),
               "staff:announce": (names.ANNOUNCE, staff.ANNOUNCE), "staff:screen": (names.SCREEN, staff.DOSE),
               "staff:noshow": (names.NO_SHOW, staff.DOSE), "staff:fixdose": (names.FIX_DOSE, staff.DOSE),
               "staff:reactions": (names.SITE_REACTIONS, staff.LOOKUP),
               "staff:scanner": (names.DEVICES, staff.VERIFY)}
STAFF_ACTIONS = tuple(Option(f"staff.menu_{payload.split(':')[1]}", payload) for payload in STAFF_FLOWS)


def staff_choices(ctx: Ctx) -> list[Choice]:
    """The staff menu's buttons: only what this role may do."""
    found = role(ctx)
    if found is None:
        return []
    return [Choice(ctx.t(o.label), o.payload) for o in STAFF_ACTIONS if found.may(STAFF_FLOWS[o.payload][1])]
