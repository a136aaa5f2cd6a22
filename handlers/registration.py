"""Step 1/3 of a registration, "Thông tin đăng ký": who is to be vaccinated, where and when (domain §2).

Each field is declared once below: its question, parser, how the summary shows it and where it is stored
(``PERSON``: the person's record, ``REGISTRATION``: this registration, ``PREVIOUS_DOSE``: the earlier dose
declared for a next-dose registration). Dates are echoed back in words so that a day/month slip is seen.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import cache

from bot import i18n
from bot.engine.answers import DAY, Answer, Go, Offer, Option
from bot.engine.context import Ctx
from bot.engine.flow import Ask, Flow, text_of, typed
from bot.engine.types import Choice
from bot.services.people import claims
from bot.services.reference import places
from bot.services.reference.priority import PRIORITY_GROUPS
from bot.services.reference.vaccines import VACCINES
from bot.services.registration import registrations, sites
from bot.services.registration.registrations import PERSON, PREVIOUS_DOSE, REGISTRATION
from bot.services.values import payloads
from bot.services.values.dates import age_on, dmy, parse_birth_date, parse_future_date, parse_past_date, today
from bot.services.values.documents import cccd_sex, check_cccd, guess_id_type, parse_id_number, parse_insurance
from bot.services.values.errors import Invalid
from bot.services.values.phones import display
from bot.services.values.text import fold, is_person_name
from handlers import names
from handlers.account import person_name
from handlers.common import account_name, phone_answer
from handlers.family import RELATIONS, for_family, for_self

ID_TYPES = (
    Option("id.type_cccd", "cccd"), Option("id.type_cmnd", "cmnd"), Option("id.type_passport", "passport"),
    Option("id.type_birth_cert", "birth_cert"),
)
SEXES = (Option("person.male", "M"), Option("person.female", "F"))
SESSIONS = (
    Option("session.morning", "morning"), Option("session.afternoon", "afternoon"),
    Option("session.allday", "allday"),
)
DOSES = (Option("dose.first", "1"), Option("dose.second", "2"), Option("dose.third", "3"))
VACCINE_OPTIONS = tuple(Option(f"vaccine.{code}", code) for code in VACCINES)
ADULT_AGE = 18
CHILD_AGE = 15  # under it, the occupation is not asked
SCHOOL_AGE = 6
EXAMPLE_DAYS_AHEAD = 7  # the preferred date's example: a week from today, so that it is always accepted


def _date_echo(ctx: Ctx, value: date) -> str:
    return ctx.t("date.echo", words=i18n.date_in_words(ctx.locale, value))


def _day_echo(ctx: Ctx, value: date) -> str:
    """A day to come, with its weekday: "Thứ Hai, ngày 07 tháng 12 năm 2026"."""
    return ctx.t("date.echo", words=i18n.day_in_words(ctx.locale, value))


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


def _own_phone(ctx: Ctx, _name: str) -> None:
    """Registering oneself, the account's phone is the one to notify: filled in (shown and editable on the
    summary), not asked."""
    phone = _account_phone(ctx)
    if for_self(ctx) and phone and (not ctx.answered(PHONE) or ctx.was_put(PHONE)):
        ctx.put(PHONE, phone)


FULL_NAME = Ask("full_name", "registration.ask_name", _full_name, choices=_name_choices, then=_own_phone,
                summary=True, store=PERSON)

GROUP_INFO = "info"  # "Xem mô tả đầy đủ": the groups described, then asked again
POOL = "pool"  # the province's pool: a ward with no site of its own

# ---- the identity document, asked early: an open registration is said at once ------------------------


# The sent registration being corrected ("Sửa đăng ký"), if any: its own document is not "already registered".
AMENDING = Ask[str]("amend_code", "records.amend_pick", pick=True)


# The document of a form that was sent and refused as another account's: checking it again costs nothing more.
SENT_DOCUMENT = Ask[str]("sent_document", "registration.ask_id", pick=True)


def _open_registration(ctx: Ctx, id_type: str, number: str) -> str:
    """Whether the document has an open registration, said at once: the account's own (where and its code), or
    another account's (with a way out: "Báo điểm tiêm"). Checking a document that is not the account's own
    costs one of a few checks a day, audited; past them nothing is said until the form is sent."""
    account = ctx.account_id or 0
    existing = registrations.find_open(ctx.conn, id_type, number, account)
    if existing is not None and existing.same_account:
        if existing.booking_code != ctx.get(AMENDING):
            raise already_registered(ctx, existing)
        return number
    key = registrations.open_key(id_type, number)
    if ctx.get(SENT_DOCUMENT) != key:
        if claims.checks_left(ctx.conn, account) <= 0:
            return number  # the same answer whether or not it is registered, until the form is sent
        claims.note_check(ctx.conn, account, found=existing is not None)
    if existing is not None:
        refused = already_registered(ctx, existing)
        claim = Choice(ctx.t("registration.claim_button"), payloads.CLAIM.make(key))
        raise Offer(refused.key, [claim], **refused.params)
    return number


def _claimed(ctx: Ctx, answer: Answer) -> None:
    """"Báo điểm tiêm" pressed (or its number typed): the claim is opened and the site told; the question stays.
    Only the claim the question itself offered: a forged payload names no other document."""
    document = payloads.CLAIM.value(answer.payload)
    if document is None or not any(p == answer.payload for _, p in ctx.state.offered):
        return
    claim = claims.open_claim(ctx.conn, ctx.account_id or 0, document)
    raise Invalid("registration.claim_sent" if claim is not None else "registration.claim_closed",
                  number=claim or 0)


def _declared_sex(ctx: Ctx) -> str | None:
    """The sex the person chose (not the one read from an earlier CCCD), to check a CCCD against."""
    return None if ctx.was_put(SEX) else ctx.get(SEX)


def _id_type(ctx: Ctx, answer: Answer) -> str:
    """A typed number (its shape tells the document), or a pressed document type whose number comes next."""
    _claimed(ctx, answer)
    for option in ID_TYPES:
        if answer.payload == option.payload:
            return option.payload
    if not answer.text:
        raise Invalid("common.empty")
    kind = guess_id_type(answer.text)
    if kind is None:
        raise Invalid("id.not_recognised", count=sum(ch.isdigit() for ch in answer.text))
    number = parse_id_number(kind, answer.text, sex=_declared_sex(ctx), birth_date=ctx.get(BIRTH_DATE))
    ctx.memo("typed_id_number", lambda: _open_registration(ctx, kind, number))
    return kind


def _after_id_type(ctx: Ctx, kind: str) -> None:
    typed_number: str | None = ctx.memo("typed_id_number", lambda: None)
    if typed_number is not None:
        ctx.put(ID_NUMBER, typed_number)
        _sex_from_cccd(ctx, kind, typed_number)


def _sex_from_cccd(ctx: Ctx, kind: str, number: str) -> None:
    """A CCCD tells the sex: it is not asked (it shows on the summary and may be edited there)."""
    if kind == "cccd":
        if not ctx.answered(SEX) or ctx.was_put(SEX):
            ctx.put(SEX, cccd_sex(number))
    elif ctx.was_put(SEX):
        ctx.forget(SEX.name)


ID_TYPE: Ask[str] = Ask("id_type", "registration.ask_id", _id_type, options=ID_TYPES, dependents=("id_number",),
                        then=_after_id_type, summary=True, store=PERSON, keypad="numeric")


def _id_number(ctx: Ctx, answer: Answer) -> str:
    _claimed(ctx, answer)
    if not answer.text:
        raise Invalid("common.empty")
    id_type = ctx.get(ID_TYPE) or "cccd"
    value = parse_id_number(id_type, answer.text, sex=_declared_sex(ctx), birth_date=ctx.get(BIRTH_DATE))
    return _open_registration(ctx, id_type, value)


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
                          then=lambda ctx, number: _sex_from_cccd(ctx, ctx.get(ID_TYPE) or "", number),
                          summary=True, private=True, store=PERSON,
                          keypad=lambda ctx: "numeric" if (ctx.get(ID_TYPE) or "") in {"cccd", "cmnd"} else None)

# ---- birth date and sex, checked against a CCCD ---------------------------------------------------------


def _cccd(ctx: Ctx) -> str | None:
    return ctx.get(ID_NUMBER) if ctx.get(ID_TYPE) == "cccd" else None


def _birth_date(ctx: Ctx, answer: Answer) -> date:
    born = typed(parse_birth_date)(ctx, answer)
    number = _cccd(ctx)
    if number:
        check_cccd(number, sex=None, birth_date=born)
    return born


def _after_birth_date(ctx: Ctx, born: date) -> None:
    """A child under 15 is not asked an occupation: "Trẻ em" or "Học sinh" is filled in (and may be edited)."""
    age = age_on(born, today())
    if age < CHILD_AGE:
        if not ctx.answered(OCCUPATION) or ctx.was_put(OCCUPATION):
            key = "registration.occupation_infant" if age < SCHOOL_AGE else "registration.occupation_pupil"
            ctx.put(OCCUPATION, i18n.t("vi", key))
    elif ctx.was_put(OCCUPATION):
        ctx.forget(OCCUPATION.name)


BIRTH_DATE = Ask("birth_date", "registration.ask_birth_date", _birth_date, codec=DAY, echo=_date_echo,
                 then=_after_birth_date, summary=True, store=PERSON, keypad="numeric")


def _sex(ctx: Ctx, answer: Answer) -> str:
    for option in SEXES:
        if answer.payload == option.payload:
            number = _cccd(ctx)
            if number:
                check_cccd(number, sex=option.payload, birth_date=None)
            return option.payload
    raise Invalid("common.pick_one")


SEX: Ask[str] = Ask("sex", "registration.ask_sex", _sex, options=SEXES, summary=True, store=PERSON)


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
    if (group := payloads.ETHNICITY.value(answer.payload)) is not None:
        picked = _ethnic_groups().get(group)
        if picked:
            return picked
    typed_text = text_of(60)(_ctx, answer)
    found = _ethnic_groups().get(_group_key(typed_text))
    if found is None:
        raise Invalid("registration.ethnicity_unknown", query=typed_text[:60])
    return found


def _vietnamese(ctx: Ctx) -> bool:
    """Asked "Dân tộc" only as a Vietnamese citizen: a passport holder says their nationality first."""
    if ctx.get(ID_TYPE) != "passport":
        return True
    return ctx.get(NATIONALITY) == i18n.t("vi", "registration.nationality_vietnam")


ETHNICITY = Ask("ethnicity", "registration.ask_ethnicity", _ethnicity, optional=True, summary=True, store=PERSON,
                when=_vietnamese,
                choices=lambda ctx: [Choice(_ethnic_groups()["kinh"], payloads.ETHNICITY.make("kinh"))])


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


PHONE = Ask("phone", _phone_prompt, _phone, choices=_phone_choices, contact=True, summary=True, keypad="tel",
            show=lambda _ctx, phone: display(phone), store=PERSON)
INSURANCE = Ask("insurance_number", "registration.ask_insurance", typed(parse_insurance), optional=True,
                summary=True, private=True, store=PERSON)
OCCUPATION = Ask("occupation", "registration.ask_occupation", text_of(200), summary=True, store=PERSON)
WORKPLACE = Ask("workplace", "registration.ask_workplace", text_of(255), optional=True, summary=True, store=PERSON)


def _priority_choices(ctx: Ctx) -> list[Choice]:
    groups = [Choice(f"{g}. {ctx.t(f'priority.short.{g}')}", payloads.GROUP.make(g)) for g in PRIORITY_GROUPS]
    return [*groups, Choice(ctx.t("priority.show_full"), payloads.GROUP.make(GROUP_INFO))]


def _priority(ctx: Ctx, answer: Answer) -> int:
    if payloads.GROUP.value(answer.payload) == GROUP_INFO:
        full = "\n".join(f"{g}. {ctx.t(f'priority.full.{g}')}" for g in PRIORITY_GROUPS)
        raise Offer("priority.full_list", list_text=full)
    if (group := payloads.GROUP.number(answer.payload)) is not None and group in PRIORITY_GROUPS:
        return group
    raise Invalid("common.pick_one")


PRIORITY_GROUP = Ask("priority_group", "registration.ask_priority", _priority, choices=_priority_choices, pick=True,
                     summary=True, show=lambda ctx, g: f"{g}. {ctx.t(f'priority.short.{g}')}", store=PERSON)

# ---- where --------------------------------------------------------------------------------------------


def _picked(answer: Answer, kind: payloads.Kind, valid: Callable[[int], bool]) -> int | None:
    """A pressed candidate (its code checked: a button may be stale or forged), or None for typed text."""
    if kind.value(answer.payload) is None:
        return None
    code = kind.number(answer.payload)
    if code is not None and valid(code):
        return code
    raise Invalid("common.pick_one")


def _one_of(ctx: Ctx, found: list[places.Place], payload: payloads.Kind, kind: str, query: str,
            legacy: places.Legacy | None) -> int:
    """One match is the answer; several are offered; a pre-2025 name is explained in one line."""
    note = ""
    if legacy is not None and not legacy.origins:
        new_names = ", ".join(p.name for p in legacy.places)
        note = ctx.t("place.legacy", old=legacy.old_name, new=new_names)
    elif legacy is not None and len(found) == 1:
        note = ctx.t("place.legacy", old=legacy.origins[0], new=found[0].name)
    if len(found) == 1:
        ctx.memo("place_note", lambda: note)
        return found[0].code
    if not found:
        raise Invalid(f"place.{kind}_not_found", query=query[:60])
    if legacy is not None and legacy.origins:  # several: each with the old unit it was ("Phường 12, Quận Gò Vấp")
        labels = [ctx.t("place.was", name=p.name, old=o) if o else ctx.t("place.today", name=p.name)
                  for p, o in zip(legacy.places, legacy.origins, strict=True)]
        raise Offer("place.ward_pick_old", [Choice(label, payload.make(p.code))
                                            for p, label in zip(legacy.places, labels, strict=True)])
    key = f"place.{kind}_pick_legacy" if legacy else f"place.{kind}_pick"
    raise Offer(key, [Choice(p.name, payload.make(p.code)) for p in found], note=note)


SAME_HOME = "same_home"  # a relative living with the account holder: the province, ward and address at once


def _household(ctx: Ctx) -> registrations.Household | None:
    if not ctx.for_family or ctx.account_id is None:
        return None
    found: registrations.Household | None = ctx.memo(
        "household", lambda: registrations.household(ctx.conn, ctx.account_id or 0))
    return found


def _province_choices(ctx: Ctx) -> list[Choice]:
    home = _household(ctx)
    if home is None:
        return []
    place = ", ".join(p for p in (home.address or "", places.ward(home.ward_code).name,
                                  places.province(home.province_code).name) if p)
    return [Choice(ctx.t("registration.same_home", name=home.full_name, place=place), SAME_HOME)]


def _province(ctx: Ctx, answer: Answer) -> int:
    home = _household(ctx) if answer.payload == SAME_HOME else None
    if home is not None:
        ctx.memo("same_home", lambda: True)
        return home.province_code
    picked = _picked(answer, payloads.PROVINCE, places.is_province)
    if picked is not None:
        return picked
    if not answer.text:
        raise Invalid("place.province_type_name")
    return _one_of(ctx, places.search_provinces(answer.text), payloads.PROVINCE, "province", answer.text,
                   places.legacy_province(answer.text))


def _province_name(ctx: Ctx) -> str:
    return places.province(ctx.get(PROVINCE) or 0).name


def _place_echo(ctx: Ctx, name: str) -> str:
    """"Đã chọn: …", after the explanation of a pre-2025 name when one was typed."""
    note: str = ctx.memo("place_note", lambda: "")
    chosen = ctx.t("place.chosen", name=name)
    return f"{note}\n{chosen}" if note else chosen


def _same_home(ctx: Ctx, _code: int) -> None:
    """The ward and the address came with the household's province (each still changeable on the summary)."""
    home = _household(ctx)
    if home is not None and ctx.memo("same_home", lambda: False):
        ctx.put(WARD, home.ward_code)
        ctx.put(ADDRESS, home.address)
        _only_site(ctx, home.ward_code)


PROVINCE: Ask[int] = Ask("province_code", "registration.ask_province", _province, choices=_province_choices,
                         then=_same_home,
                         echo=lambda ctx, code: _place_echo(ctx, places.province(code).name),
                         dependents=("ward_code", "site_id"), summary=True,
                         show=lambda _ctx, code: places.province(code).name, store=PERSON)


def _ward(ctx: Ctx, answer: Answer) -> int:
    province = ctx.get(PROVINCE) or 0
    picked = _picked(answer, payloads.WARD, lambda code: places.is_ward_of(code, province))
    if picked is not None:
        return picked
    if not answer.text:
        raise Invalid("place.ward_type_name")
    found, legacy = places.find_wards(province, answer.text)
    return _one_of(ctx, found, payloads.WARD, "ward", answer.text, legacy)


def _only_site(ctx: Ctx, _code: int) -> None:
    """A ward with one vaccination site of its own: that site is the answer (said, shown on the summary, and
    changed there to another of the province's if the person prefers)."""
    found = [s for s in _sites(ctx) if s.ward_code == ctx.get(WARD)]
    if len(found) == 1:
        ctx.put(SITE, found[0].id)
        ctx.say("registration.only_site", site=found[0].name)


WARD = Ask("ward_code", "registration.ask_ward", _ward, then=_only_site,
           echo=lambda ctx, code: _place_echo(ctx, places.ward(code).name), dependents=("site_id",),
           params=lambda ctx: {"province": _province_name(ctx), "example": places.example_ward(ctx.get(PROVINCE) or 0)},
           summary=True, show=lambda _ctx, code: places.ward(code).name, store=PERSON)
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
        return [Choice(ctx.t("registration.join_pool"), payloads.SITE.make(POOL))]
    return [Choice(s.name, payloads.SITE.make(s.id)) for s in found]


def _site(ctx: Ctx, answer: Answer) -> int | None:
    found = _sites(ctx)
    if payloads.SITE.value(answer.payload) == POOL and not found:
        return None
    for site in found:
        if payloads.SITE.number(answer.payload) == site.id:
            return site.id
    raise Invalid("common.pick_one")


def site_name(ctx: Ctx, site_id: int) -> str:
    site = ctx.memo(f"site:{site_id}", lambda: sites.get(ctx.conn, site_id))
    return site.name if site else ""


SITE: Ask[int] = Ask("site_id", _site_prompt, _site, choices=_site_choices, pick=True,
                     params=lambda ctx: {"province": _province_name(ctx)}, summary=True, show=site_name,
                     store=REGISTRATION)

# ---- when ---------------------------------------------------------------------------------------------


def _preferred_date(ctx: Ctx, answer: Answer) -> date:
    window = ctx.services.preferred_date_window_days
    return typed(lambda text: parse_future_date(text, max_days=window))(ctx, answer)


PREFERRED_DATE = Ask("preferred_date", "registration.ask_preferred_date", _preferred_date, codec=DAY,
                     echo=_day_echo, summary=True, store=REGISTRATION, keypad="numeric",
                     params=lambda ctx: {"example": dmy(today() + timedelta(days=EXAMPLE_DAYS_AHEAD))})
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
        RELATION, FULL_NAME, ID_TYPE, ID_NUMBER, BIRTH_DATE, SEX, NATIONALITY, ETHNICITY, PHONE, INSURANCE,
        OCCUPATION, WORKPLACE, PRIORITY_GROUP, PROVINCE, WARD, ADDRESS, SITE, PREFERRED_DATE, SESSION, DOSE_NUMBER,
        Ask[str]("prev_vaccine", "registration.ask_prev_vaccine", options=VACCINE_OPTIONS, when=_later_dose,
                 summary=True, store=PREVIOUS_DOSE),
        Ask("prev_date", "registration.ask_prev_date", _previous_date, codec=DAY, echo=_date_echo, when=_later_dose,
            summary=True, store=PREVIOUS_DOSE, keypad="numeric"),
        Ask("prev_lot", "registration.ask_prev_lot", text_of(40), optional=True, when=_later_dose, summary=True,
            store=PREVIOUS_DOSE),
        Ask("prev_site", "registration.ask_prev_site", text_of(200), optional=True, when=_later_dose, summary=True,
            store=PREVIOUS_DOSE),
    ),
    done=Go(names.HISTORY),
)
