"""Step 1/3 of a registration, "Thông tin đăng ký": who is to be vaccinated, where and when (domain §2).

Each field is declared once below: its question, parser, how the summary shows it and where it is stored
(``PERSON``: the person's record, ``REGISTRATION``: this registration, ``PREVIOUS_DOSE``: the earlier dose
declared for a next-dose registration). Dates are echoed back in words so that a day/month slip is seen.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Any

from bot import i18n
from bot.engine.context import Ctx
from bot.engine.flow import DAY, Answer, Ask, Flow, Go, Offer, Option, text_of, typed
from bot.engine.types import Choice
from bot.services import places, registrations, sites
from bot.services.dates import age_on, dmy, parse_birth_date, parse_future_date, parse_past_date, today
from bot.services.documents import check_cccd, parse_id_number, parse_insurance
from bot.services.errors import Invalid
from bot.services.phones import display
from bot.services.priority import PRIORITY_GROUPS
from bot.services.registrations import PERSON, PREVIOUS_DOSE, REGISTRATION
from bot.services.text import fold, is_person_name
from bot.services.vaccines import VACCINES
from handlers import names
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
VACCINE_OPTIONS = tuple(Option(f"vaccine.{code}", code) for code in VACCINES)
ADULT_AGE = 18


def _date_echo(ctx: Ctx, value: date) -> str:
    return ctx.t("date.echo", words=i18n.date_in_words(ctx.locale, value))


# ---- who ----------------------------------------------------------------------------------------------

RELATION: Ask[str] = Ask("relation", "family.ask_relation", options=RELATIONS, when=for_family, summary=True,
                         store=PERSON)


def _full_name(ctx: Ctx, answer: Answer) -> str:
    if answer.payload == "account_name" and for_self(ctx):
        return account_name(ctx)
    return text_of(120, check=person_name)(ctx, answer)


def _name_choices(ctx: Ctx) -> list[Choice]:
    name = account_name(ctx)
    return [Choice(name, "account_name")] if for_self(ctx) and name else []


FULL_NAME = Ask("full_name", "registration.ask_name", _full_name, choices=_name_choices, summary=True, store=PERSON)


def _recheck_id(ctx: Ctx, _value: Any) -> None:
    """A changed sex or birth date may contradict the CCCD entered before: ask for it again if so."""
    number, born, sex = ctx.get(ID_NUMBER), ctx.get(BIRTH_DATE), ctx.get(SEX)
    if ctx.get(ID_TYPE) == "cccd" and number and born and sex:
        try:
            check_cccd(number, sex=sex, birth_date=born)
        except Invalid:
            ctx.forget(ID_NUMBER.name)


BIRTH_DATE = Ask("birth_date", "registration.ask_birth_date", typed(parse_birth_date), codec=DAY, echo=_date_echo,
                 then=_recheck_id, summary=True, store=PERSON)
SEX: Ask[str] = Ask("sex", "registration.ask_sex", options=SEXES, then=_recheck_id, summary=True, store=PERSON)
def _group_key(text: str) -> str:
    return "".join(ch for ch in fold(text).removeprefix("dan toc ") if ch.isalnum())


@cache
def _ethnic_groups() -> dict[str, str]:
    """Folded name (or other spelling) → the group's official name, from the catalog's list of 54."""
    groups = {_group_key(name): name for name in i18n.words("vi", "ethnicity.groups")}
    for alias in i18n.words("vi", "ethnicity.aliases"):
        other, official = alias.rsplit(":", 1)
        groups[_group_key(other)] = official
    return groups


def _ethnicity(_ctx: Ctx, answer: Answer) -> str:
    """One of the 54 groups, typed with or without diacritics; stored and shown as officially written."""
    if answer.payload and answer.payload.startswith("eth:"):
        picked = _ethnic_groups().get(answer.payload.removeprefix("eth:"))
        if picked:
            return picked
    typed_text = text_of(60)(_ctx, answer)
    found = _ethnic_groups().get(_group_key(typed_text))
    if found is None:
        raise Invalid("registration.ethnicity_unknown", query=typed_text[:60])
    return found


ETHNICITY = Ask("ethnicity", "registration.ask_ethnicity", _ethnicity, optional=True, summary=True, store=PERSON,
                choices=lambda ctx: [Choice(_ethnic_groups()["kinh"], "eth:kinh")])
ID_TYPE: Ask[str] = Ask("id_type", "registration.ask_id_type", options=ID_TYPES, dependents=("id_number",),
                        summary=True, store=PERSON)


def _id_number(ctx: Ctx, answer: Answer) -> str:
    if not answer.text:
        raise Invalid("common.empty")
    id_type = ctx.get(ID_TYPE) or "cccd"
    value = parse_id_number(id_type, answer.text, sex=ctx.get(SEX), birth_date=ctx.get(BIRTH_DATE))
    existing = registrations.find_open(ctx.conn, id_type, value, ctx.account_id or 0)
    if existing is not None:
        raise already_registered(ctx, existing)
    return value


def already_registered(ctx: Ctx, existing: registrations.Existing) -> Invalid:
    """What may be said of an open registration: where and when; the code only to its own account."""
    return Invalid(
        "registration.exists_own" if existing.same_account else "registration.exists_other",
        site=existing.site_name or ctx.t("registration.pool_site"),
        date=dmy(existing.preferred_date),
        status=ctx.t(f"status.{existing.status}"),
        code=existing.booking_code or "",
    )


def _id_kind(ctx: Ctx) -> dict[str, str]:
    kind = ctx.get(ID_TYPE) or "cccd"
    return {"kind": ctx.t(f"id.type_{kind}")}


ID_NUMBER: Ask[str] = Ask("id_number", "registration.ask_id_number", _id_number, params=_id_kind,
                summary=True, private=True, store=PERSON)


def _nationality(ctx: Ctx, answer: Answer) -> str:
    vietnam = i18n.t("vi", "registration.nationality_vietnam")
    if answer.payload == "nat:vn" or fold(answer.text or "").replace(" ", "") in ("vietnam", "vn"):
        return vietnam
    return text_of(60, check=_country_name)(ctx, answer)


def _country_name(value: str) -> str:
    if not is_person_name(value):  # letters, spaces, hyphens: the same rule as a name
        raise Invalid("registration.nationality_letters")
    return value


# A CCCD or CMND is issued to Vietnamese citizens only: the nationality is asked of passport holders.
NATIONALITY = Ask("nationality", "registration.ask_nationality", _nationality, summary=True, store=PERSON,
                  when=lambda ctx: ctx.get(ID_TYPE) == "passport",
                  choices=lambda ctx: [Choice(ctx.t("registration.nationality_vietnam"), "nat:vn")])


def _minor(ctx: Ctx) -> bool:
    born = ctx.get(BIRTH_DATE)
    return born is not None and age_on(born, today()) < ADULT_AGE


def _phone_prompt(ctx: Ctx) -> str:
    return "registration.ask_phone_guardian" if _minor(ctx) else "registration.ask_phone"


def _account_phone(ctx: Ctx) -> str | None:
    account = ctx.account()
    return account.phone if account else None


def _phone(ctx: Ctx, answer: Answer) -> str:
    account = _account_phone(ctx)
    if answer.payload == "account_phone" and account:
        return account
    return phone_answer(ctx, answer)


def _phone_choices(ctx: Ctx) -> list[Choice]:
    phone = _account_phone(ctx)
    return [Choice(ctx.t("registration.use_phone", phone=display(phone)), "account_phone")] if phone else []


PHONE = Ask("phone", _phone_prompt, _phone, choices=_phone_choices, contact=True, summary=True,
            show=lambda _ctx, phone: display(phone), store=PERSON)
INSURANCE = Ask("insurance_number", "registration.ask_insurance", typed(parse_insurance), optional=True,
                summary=True, private=True, store=PERSON)
OCCUPATION = Ask("occupation", "registration.ask_occupation", text_of(200), summary=True, store=PERSON)
WORKPLACE = Ask("workplace", "registration.ask_workplace", text_of(255), optional=True, summary=True, store=PERSON)


def _priority_choices(ctx: Ctx) -> list[Choice]:
    groups = [Choice(f"{g}. {ctx.t(f'priority.short.{g}')}", f"group:{g}") for g in PRIORITY_GROUPS]
    return [*groups, Choice(ctx.t("priority.show_full"), "group:info")]


def _priority(ctx: Ctx, answer: Answer) -> int:
    if answer.payload == "group:info":
        full = "\n".join(f"{g}. {ctx.t(f'priority.full.{g}')}" for g in PRIORITY_GROUPS)
        raise Offer("priority.full_list", list_text=full)
    if answer.payload and answer.payload.startswith("group:"):
        code = answer.payload.removeprefix("group:")
        if code.isascii() and code.isdigit() and int(code) in PRIORITY_GROUPS:
            return int(code)
    raise Invalid("common.pick_one")


PRIORITY_GROUP = Ask("priority_group", "registration.ask_priority", _priority, choices=_priority_choices,
                     summary=True, show=lambda ctx, g: f"{g}. {ctx.t(f'priority.short.{g}')}", store=PERSON)

# ---- where --------------------------------------------------------------------------------------------


def _place(answer: Answer, prefix: str, search: Callable[[str], list[places.Place]],
           valid: Callable[[int], bool], kind: str) -> int:
    if answer.payload and answer.payload.startswith(prefix):
        code = answer.payload.removeprefix(prefix)
        if code.isascii() and code.isdigit() and valid(int(code)):
            return int(code)
        raise Invalid("common.pick_one")
    if not answer.text:
        raise Invalid(f"place.{kind}_type_name")
    found = search(answer.text)
    if not found:
        raise Invalid(f"place.{kind}_not_found", query=answer.text[:60])
    if len(found) == 1:
        return found[0].code
    raise Offer(f"place.{kind}_pick", [Choice(p.name, f"{prefix}{p.code}") for p in found])


def _province(_ctx: Ctx, answer: Answer) -> int:
    return _place(answer, "prov:", places.search_provinces, places.is_province, "province")


def _province_name(ctx: Ctx) -> str:
    return places.province(ctx.get(PROVINCE) or 0).name


PROVINCE: Ask[int] = Ask("province_code", "registration.ask_province", _province,
               echo=lambda ctx, code: ctx.t("place.chosen", name=places.province(code).name),
               dependents=("ward_code", "site_id"), summary=True,
               show=lambda _ctx, code: places.province(code).name, store=PERSON)


def _ward(ctx: Ctx, answer: Answer) -> int:
    province = ctx.get(PROVINCE) or 0
    return _place(answer, "ward:", lambda q: places.search_wards(province, q),
                  lambda code: places.is_ward_of(code, province), "ward")


WARD = Ask("ward_code", "registration.ask_ward", _ward,
           echo=lambda ctx, code: ctx.t("place.chosen", name=places.ward(code).name), dependents=("site_id",),
           params=lambda ctx: {"province": _province_name(ctx)}, summary=True,
           show=lambda _ctx, code: places.ward(code).name, store=PERSON)
ADDRESS = Ask("address", "registration.ask_address", text_of(255), optional=True, summary=True, store=PERSON)


def _sites(ctx: Ctx) -> list[sites.SiteView]:
    province, ward = ctx.get(PROVINCE) or 0, ctx.get(WARD) or 0
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


def site_name(ctx: Ctx, site_id: int) -> str:
    site = ctx.memo(f"site:{site_id}", lambda: sites.get(ctx.conn, site_id))
    return site.name if site else ""


SITE: Ask[int] = Ask("site_id", _site_prompt, _site, choices=_site_choices,
                     params=lambda ctx: {"province": _province_name(ctx)}, summary=True, show=site_name,
                     store=REGISTRATION)

# ---- when ---------------------------------------------------------------------------------------------


def _preferred_date(ctx: Ctx, answer: Answer) -> date:
    window = ctx.services.preferred_date_window_days
    return typed(lambda text: parse_future_date(text, max_days=window))(ctx, answer)


PREFERRED_DATE = Ask("preferred_date", "registration.ask_preferred_date", _preferred_date, codec=DAY,
                     echo=_date_echo, summary=True, store=REGISTRATION)
SESSION: Ask[str] = Ask("preferred_session", "registration.ask_session", options=SESSIONS, summary=True,
                   store=REGISTRATION)


def _dose_number(_ctx: Ctx, answer: Answer) -> int:
    if answer.payload in {o.payload for o in DOSES}:
        return int(answer.payload or 0)
    raise Invalid("common.pick_one")


DOSE_NUMBER = Ask("dose_number", "registration.ask_dose", _dose_number, options=DOSES,
                  dependents=("prev_vaccine", "prev_date", "prev_lot", "prev_site"), summary=True,
                  show=lambda ctx, n: ctx.t(f"dose.label_{n}"), store=REGISTRATION)


def _later_dose(ctx: Ctx) -> bool:
    return (ctx.get(DOSE_NUMBER) or 1) > 1


def _previous_date(ctx: Ctx, answer: Answer) -> date:
    value = typed(parse_past_date)(ctx, answer)
    born = ctx.get(BIRTH_DATE)
    if born and value < born:
        raise Invalid("dose.before_birth")
    return value


DETAILS = Flow(
    names.DETAILS,
    title="registration.title",
    stage=(1, 3),
    form=True,
    steps=(
        RELATION, FULL_NAME, BIRTH_DATE, SEX, ETHNICITY, ID_TYPE, ID_NUMBER, NATIONALITY, PHONE, INSURANCE,
        OCCUPATION, WORKPLACE, PRIORITY_GROUP, PROVINCE, WARD, ADDRESS, SITE, PREFERRED_DATE, SESSION, DOSE_NUMBER,
        Ask[str]("prev_vaccine", "registration.ask_prev_vaccine", options=VACCINE_OPTIONS, when=_later_dose,
                 summary=True, store=PREVIOUS_DOSE),
        Ask("prev_date", "registration.ask_prev_date", _previous_date, codec=DAY, echo=_date_echo, when=_later_dose,
            summary=True, store=PREVIOUS_DOSE),
        Ask("prev_lot", "registration.ask_prev_lot", text_of(40), optional=True, when=_later_dose, summary=True,
            store=PREVIOUS_DOSE),
        Ask("prev_site", "registration.ask_prev_site", text_of(200), optional=True, when=_later_dose, summary=True,
            store=PREVIOUS_DOSE),
    ),
    done=Go(names.HISTORY),
)
