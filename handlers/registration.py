"""Step 1/3 of a registration, "Thông tin đăng ký": who is to be vaccinated, where and when (domain §2).

Dates are kept as ISO text in the conversation and echoed back in words so that a day/month slip is seen.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot import i18n
from bot.engine.context import Ctx
from bot.engine.flow import Answer, Ask, Flow, Offer, Option, pick, text_of, typed
from bot.engine.types import Choice
from bot.services import places, registrations, sites
from bot.services.dates import age_on, parse_birth_date, parse_future_date, parse_past_date, today
from bot.services.documents import check_cccd, parse_id_number, parse_insurance
from bot.services.errors import Invalid
from bot.services.phones import display
from bot.services.priority import PRIORITY_GROUPS
from handlers.account import person_name
from handlers.common import account_name, phone_answer
from handlers.family import RELATIONS, for_family, for_self

ID_TYPES = (Option("id.type_cccd", "cccd"), Option("id.type_cmnd", "cmnd"), Option("id.type_passport", "passport"))
SEXES = (Option("person.male", "M"), Option("person.female", "F"))
SESSIONS = (
    Option("session.morning", "morning"), Option("session.afternoon", "afternoon"),
    Option("session.allday", "allday"),
)
DOSES = (Option("dose.first", "1"), Option("dose.second", "2"), Option("dose.third", "3"))
VACCINES = ("astrazeneca", "sputnik", "verocell", "hayat", "pfizer", "moderna", "janssen", "abdala")
ADULT_AGE = 18


def birth_date(ctx: Ctx) -> date | None:
    value = ctx.data.get("birth_date")
    return date.fromisoformat(value) if value else None


def _date_echo(ctx: Ctx, value: str) -> str:
    return ctx.t("date.echo", words=i18n.date_in_words(ctx.locale, date.fromisoformat(value)))


def _birth(text: str) -> str:
    return parse_birth_date(text).isoformat()


def _recheck_id(ctx: Ctx, _value: Any) -> None:
    """A changed sex or birth date may contradict the CCCD entered before: ask for it again if so."""
    number, born, sex = ctx.data.get("id_number"), birth_date(ctx), ctx.data.get("sex")
    if ctx.data.get("id_type") == "cccd" and number and born and sex:
        try:
            check_cccd(str(number), sex=str(sex), birth_date=born)
        except Invalid:
            ctx.data.pop("id_number", None)


def _full_name(ctx: Ctx, answer: Answer) -> str:
    if answer.payload == "account_name" and for_self(ctx):
        return account_name(ctx)
    return str(text_of(120, check=person_name)(ctx, answer))


def _name_choices(ctx: Ctx) -> list[Choice]:
    name = account_name(ctx)
    return [Choice(name, "account_name")] if for_self(ctx) and name else []


def _id_number(ctx: Ctx, answer: Answer) -> str:
    if not answer.text:
        raise Invalid("common.empty")
    id_type = str(ctx.data["id_type"])
    value = parse_id_number(id_type, answer.text, sex=ctx.data.get("sex"), birth_date=birth_date(ctx))
    existing = registrations.find_open(ctx.conn, id_type, value, ctx.account_id or 0)
    if existing is not None:
        raise already_registered(ctx, existing)
    return value


def already_registered(ctx: Ctx, existing: registrations.Existing) -> Invalid:
    """What may be said of an open registration: where and when; the code only to its own account."""
    return Invalid(
        "registration.exists_own" if existing.same_account else "registration.exists_other",
        site=existing.site_name or ctx.t("registration.pool_site"),
        date=existing.preferred_date.strftime("%d/%m/%Y"),
        status=ctx.t(f"status.{existing.status}"),
        code=existing.booking_code or "",
    )


def _minor(ctx: Ctx) -> bool:
    born = birth_date(ctx)
    return born is not None and age_on(born, today()) < ADULT_AGE


def _phone_prompt(ctx: Ctx) -> str:
    return "registration.ask_phone_guardian" if _minor(ctx) else "registration.ask_phone"


def _phone(ctx: Ctx, answer: Answer) -> str:
    if answer.payload == "account_phone":
        account = _account_phone(ctx)
        if account:
            return account
    return phone_answer(ctx, answer)


def _account_phone(ctx: Ctx) -> str | None:
    account = ctx.account()
    return account.phone if account else None


def _phone_choices(ctx: Ctx) -> list[Choice]:
    phone = _account_phone(ctx)
    return [Choice(ctx.t("registration.use_phone", phone=display(phone)), "account_phone")] if phone else []


def _priority_choices(ctx: Ctx) -> list[Choice]:
    groups = [Choice(f"{g}. {ctx.t(f'priority.short.{g}')}", f"group:{g}") for g in PRIORITY_GROUPS]
    return [*groups, Choice(ctx.t("priority.show_full"), "group:info")]


def _priority(ctx: Ctx, answer: Answer) -> int:
    if answer.payload == "group:info":
        full = "\n".join(f"{g}. {ctx.t(f'priority.full.{g}')}" for g in PRIORITY_GROUPS)
        raise Offer("priority.full_list", list_text=full)
    if answer.payload and answer.payload.startswith("group:"):
        code = answer.payload.removeprefix("group:")
        if code.isdigit() and int(code) in PRIORITY_GROUPS:
            return int(code)
    raise Invalid("common.pick_one")


def _place(ctx: Ctx, answer: Answer, prefix: str, search: Any, valid: Any, kind: str) -> int:
    if answer.payload and answer.payload.startswith(prefix):
        code = answer.payload.removeprefix(prefix)
        if code.isdigit() and valid(int(code)):
            return int(code)
        raise Invalid("common.pick_one")
    if not answer.text:
        raise Invalid(f"place.{kind}_type_name")
    found = search(answer.text)
    if not found:
        raise Invalid(f"place.{kind}_not_found", query=answer.text[:60])
    if len(found) == 1:
        return int(found[0].code)
    raise Offer(f"place.{kind}_pick", [Choice(p.name, f"{prefix}{p.code}") for p in found])


def _province(ctx: Ctx, answer: Answer) -> int:
    def valid(code: int) -> bool:
        try:
            places.province(code)
        except StopIteration:
            return False
        return True

    return _place(ctx, answer, "prov:", places.search_provinces, valid, "province")


def _ward(ctx: Ctx, answer: Answer) -> int:
    province = int(ctx.data["province"])

    def valid(code: int) -> bool:
        try:
            return places.ward_province(code) == province
        except (ValueError, KeyError):
            return False

    return _place(ctx, answer, "ward:", lambda q: places.search_wards(province, q), valid, "ward")


def _place_echo(kind: str) -> Any:
    def echo(ctx: Ctx, code: int) -> str:
        name = places.province(code).name if kind == "province" else places.ward(code).name
        return ctx.t("place.chosen", name=name)

    return echo


def _sites(ctx: Ctx) -> list[sites.SiteView]:
    province, ward = int(ctx.data["province"]), int(ctx.data["ward"])
    found: list[sites.SiteView] = ctx.memo(f"sites:{ward}", lambda: sites.for_place(ctx.conn, province, ward))
    return found


def _site_prompt(ctx: Ctx) -> str:
    return "registration.ask_site" if _sites(ctx) else "registration.no_site"


def _site_choices(ctx: Ctx) -> list[Choice]:
    found = _sites(ctx)
    if not found:
        return [Choice(ctx.t("registration.join_pool"), "site:pool")]
    return [Choice(s.name, f"site:{s.id}") for s in found]


def _site(ctx: Ctx, answer: Answer) -> int | None:
    found = _sites(ctx)
    if answer.payload == "site:pool" and not found:
        return None
    for site in found:
        if answer.payload == f"site:{site.id}":
            return site.id
    raise Invalid("common.pick_one")


def _preferred_date(ctx: Ctx, answer: Answer) -> str:
    return str(typed(lambda t: parse_future_date(t, max_days=ctx.services.preferred_date_window_days).isoformat())(
        ctx, answer
    ))


def _later_dose(ctx: Ctx) -> bool:
    return ctx.data.get("dose_number") in ("2", "3")


def _previous_date(ctx: Ctx, answer: Answer) -> str:
    value = typed(parse_past_date)(ctx, answer)
    born = birth_date(ctx)
    if born and value < born:
        raise Invalid("dose.before_birth")
    return str(value.isoformat())


VACCINE_OPTIONS = tuple(Option(f"vaccine.{v}", v) for v in VACCINES)

DETAILS = Flow(
    "details",
    title="registration.title",
    stage=(1, 3),
    form=True,
    steps=(
        Ask("relation", "family.ask_relation", pick(*(o.payload for o in RELATIONS)), options=RELATIONS,
            when=for_family),
        Ask("full_name", "registration.ask_name", _full_name, choices=_name_choices),
        Ask("birth_date", "registration.ask_birth_date", typed(_birth), echo=_date_echo, then=_recheck_id),
        Ask("sex", "registration.ask_sex", pick("M", "F"), options=SEXES, then=_recheck_id),
        Ask("id_type", "registration.ask_id_type", pick("cccd", "cmnd", "passport"), options=ID_TYPES,
            dependents=("id_number",)),
        Ask("id_number", "registration.ask_id_number", _id_number,
            params=lambda ctx: {"kind": ctx.t(f"id.type_{ctx.data.get('id_type', 'cccd')}")}),
        Ask("phone", _phone_prompt, _phone, choices=_phone_choices, contact=True),
        Ask("insurance", "registration.ask_insurance", typed(parse_insurance), optional=True),
        Ask("occupation", "registration.ask_occupation", text_of(200)),
        Ask("workplace", "registration.ask_workplace", text_of(255), optional=True),
        Ask("priority_group", "registration.ask_priority", _priority, choices=_priority_choices),
        Ask("province", "registration.ask_province", _province, echo=_place_echo("province"),
            dependents=("ward", "site")),
        Ask("ward", "registration.ask_ward", _ward, echo=_place_echo("ward"), dependents=("site",),
            params=lambda ctx: {"province": places.province(int(ctx.data["province"])).name}),
        Ask("address", "registration.ask_address", text_of(255), optional=True),
        Ask("site", _site_prompt, _site, choices=_site_choices,
            params=lambda ctx: {"province": places.province(int(ctx.data["province"])).name}),
        Ask("preferred_date", "registration.ask_preferred_date", _preferred_date, echo=_date_echo),
        Ask("session", "registration.ask_session", pick("morning", "afternoon", "allday"), options=SESSIONS),
        Ask("dose_number", "registration.ask_dose", pick("1", "2", "3"), options=DOSES,
            dependents=("prev_vaccine", "prev_date", "prev_lot", "prev_site")),
        Ask("prev_vaccine", "registration.ask_prev_vaccine", pick(*VACCINES), options=VACCINE_OPTIONS,
            when=_later_dose),
        Ask("prev_date", "registration.ask_prev_date", _previous_date, echo=_date_echo, when=_later_dose),
        Ask("prev_lot", "registration.ask_prev_lot", text_of(40), optional=True, when=_later_dose),
        Ask("prev_site", "registration.ask_prev_site", text_of(200), optional=True, when=_later_dose),
    ),
    done=lambda ctx: ctx.go("history"),
)
