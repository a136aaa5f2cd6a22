"""A site's files and figures in the chat (issue 12): its dose records in, its list out, its statistics, and
the province's announcements. (The waiting list and the plan are :mod:`handlers.waiting_list`.)

    /nhap ─▶ a CSV or XLSX of doses ─▶ matched, kept or refused; a report
    /xuat [dd/mm/yyyy] ─▶ the site's list as a workbook
    /thongke ─▶ figures and a chart
    /thongbao ─▶ a text, an audience ─▶ sent (administrators)

Each needs a staff role (a site's, where it acts on a site) and writes what it shows or does to the audit log.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

from bot import i18n
from bot.engine.answers import Answer, Go, Offer, Option
from bot.engine.context import Ctx
from bot.engine.flow import Ask, Flow, text_of
from bot.engine.types import Choice
from bot.services.access import audit, devices, staff
from bot.services.campaign import announcements, exports, stats
from bot.services.reference import places
from bot.services.registration import appointments, sites
from bot.services.vaccination import site_records
from bot.services.values import payloads
from bot.services.values.dates import dmy, parse_dmy, today
from bot.services.values.errors import Invalid
from bot.services.values.text import fold, is_number
from handlers import names
from handlers.common import YES_NO
from handlers.staff_access import may, role


@cache
def _session_words() -> dict[str, str]:
    """"sáng", "buoi chieu", "all day" … → the session, from the catalogs' everyday answers (folded)."""
    return {fold(word): code for code in ("morning", "afternoon", "allday") for locale in i18n.LOCALES
            for word in (i18n.t(locale, f"session.{code}"), *i18n.words(locale, f"answers.alias.{code}"))}


@dataclass(frozen=True, slots=True)
class Filter:
    day: date | None
    session: str | None


def site_role(ctx: Ctx) -> staff.Role:
    """The staff member's role, which must be a site's."""
    found = role(ctx)
    if found is None:
        raise Invalid("staff.session_expired")
    if found.site_id is None:
        raise Invalid("site_work.needs_site")
    return found


def read_filter(text: str, *, need_day: bool = False) -> tuple[Filter, list[str]]:
    """A date and a session anywhere among the words; the rest is returned (a number of slots)."""
    day, session, rest = None, None, []
    words = text.split()
    index = 0
    while index < len(words):
        word = words[index]
        sessions = _session_words()
        pair = fold(" ".join(words[index:index + 2]))
        if pair in sessions and index + 1 < len(words):
            session, index = sessions[pair], index + 2
            continue
        if fold(word) in sessions:
            session = sessions[fold(word)]
        elif any(ch in word for ch in "/.-") and word[:1].isdigit():
            day = parse_dmy(word)
        else:
            rest.append(word)
        index += 1
    if need_day and day is None:
        raise Invalid("site_work.allocate_help")
    return Filter(day, session), rest


# ---- /nhap: a site's dose records ---------------------------------------------------------------------------

CHAT_IMPORT_ROWS = 20_000  # larger files: `sskdt dose import` on the server, with its progress bar


def _import_prompt(ctx: Ctx) -> str:
    return "site_work.ask_import" if ctx.caps.documents else "site_work.import_not_here"


def _import(ctx: Ctx, answer: Answer) -> int:
    who = site_role(ctx)
    if not ctx.caps.documents:
        return 0
    if answer.document is None:
        raise Invalid("site_work.send_file")
    if not answer.document:
        raise Invalid("site_work.file_unreadable")
    # Reading and checking the file is CPU work: done off the database thread, which only records the rows.
    parsed = ctx.compute("import_rows", site_records.parse_file, answer.document, answer.document_name,
                         CHAT_IMPORT_ROWS, on=ctx.services.uploads)
    if isinstance(parsed, site_records.BadFile):
        raise parsed
    report = site_records.import_rows(ctx.conn, ctx.services.signing_key, parsed, file_name=answer.document_name,
                                      site_id=who.site_id, role=who)
    ctx.pushes_queued()
    lines = site_records.problem_lines(ctx.locale, report, limit=10)
    more = len(report.problems) - len(lines)
    text = "\n".join([site_records.summary(ctx.locale, report), *lines,
                      *([ctx.t("site_work.import_more", count=more)] if more > 0 else [])])
    if report.problems:
        ctx.say_document(text, site_records.report_csv(ctx.locale, report),
                         f"bao-cao-nhap-{report.batch_id}.csv")
    else:
        ctx.say_text(text)
    return report.batch_id or 0


IMPORT = Flow(
    names.IMPORT,
    commands=("nhap", "import"),
    allowed=may(staff.IMPORT),
    steps=(Ask("file", _import_prompt, _import, document=True),),
    back=False,
)

# ---- /xuat: the site's list as a workbook -------------------------------------------------------------------


DOSE_WORDS = frozenset({"mui", "muitiem", "doses", "dose"})
DOSE_DAYS = 30  # "Mũi tiêm": the last 30 days unless a day or a range is typed


def _export(ctx: Ctx, answer: Answer) -> str:
    """"Tất cả" / "<dd/mm/yyyy>": the registrations (of a day: booked, then asking for it); "mui [<ngày>[-<ngày>]]"
    or "Mũi tiêm": one row per dose given, for a report (read back by /nhap as the same doses)."""
    who = site_role(ctx)
    text = (answer.text or "").replace("–", "-").replace(" - ", "-")
    words = text.split()
    if answer.payload == "doses" or (words and fold(words[0]) in DOSE_WORDS):
        return _export_doses(ctx, who, words[1:] if answer.payload != "doses" else [])
    day = None
    if answer.payload != "all":
        found, rest = read_filter(text)
        if rest or found.day is None:
            raise Invalid("site_work.export_help")
        day = found.day
    rows = exports.site_list_rows(ctx.conn, who.site_id or 0, day, ctx.locale)
    if not rows:
        raise Invalid("site_work.export_none")
    for person in appointments.people_of(ctx.conn, [r["booking_code"] for r in rows]):
        audit.record(ctx.conn, who, "export", person_id=person, how="site list")
    title = dmy(day).replace("/", "-") if day else fold(ctx.t("site_work.all_days")).replace(" ", "-")
    data: bytes = ctx.compute(f"xlsx:{title}", exports.workbook, rows, ctx.locale, title)
    site = sites.get(ctx.conn, who.site_id or 0)
    ctx.say_document(ctx.t("site_work.exported", count=len(rows)), data,
                     f"danh-sach-{site.code if site else who.site_id}-{title}.xlsx")
    return title


def _export_doses(ctx: Ctx, who: staff.Role, words: list[str]) -> str:
    found = re.findall(r"\d{1,2}[/.\-]\d{1,2}[/.\-]\d{4}", " ".join(words))  # a day, or a range
    if not found:
        if words:
            raise Invalid("site_work.export_doses_help")
        last, first = today(), today() - timedelta(days=DOSE_DAYS - 1)
    else:
        if len(found) > 2:
            raise Invalid("site_work.export_doses_help")
        days = sorted(parse_dmy(text) for text in found)
        first, last = days[0], days[-1]
    rows = exports.dose_rows(ctx.conn, who.site_id, first, last, ctx.locale)
    if not rows:
        raise Invalid("site_work.export_doses_none", first=dmy(first), last=dmy(last))
    audit.record_many(ctx.conn, who, "export", [(person, f"doses {first.isoformat()}..{last.isoformat()}")
                                                 for person in dict.fromkeys(r["person_id"] for r in rows)])
    title = f"{first:%d-%m-%Y}_{last:%d-%m-%Y}"
    data: bytes = ctx.compute(f"doses:{title}", exports.workbook, rows, ctx.locale, title, exports.DOSE_COLUMNS)
    site = sites.get(ctx.conn, who.site_id or 0)
    ctx.say_document(ctx.t("site_work.exported_doses", count=len(rows), first=dmy(first), last=dmy(last)), data,
                     f"mui-tiem-{site.code if site else who.site_id}-{title}.xlsx")
    return title


EXPORT = Flow(
    names.EXPORT,
    commands=("xuat", "export"),
    allowed=may(staff.EXPORT),
    steps=(Ask("day", "site_work.ask_export", _export,
               choices=lambda ctx: [Choice(ctx.t("site_work.all_days"), "all"),
                                    Choice(ctx.t("site_work.export_doses_button"), "doses")]),),
    back=False,
)

# ---- /thongke: figures and a chart ----------------------------------------------------------------------------


def _stats(ctx: Ctx) -> Go:
    who = role(ctx)
    if who is None:
        ctx.say("staff.session_expired")
        return ctx.home()
    site = sites.get(ctx.conn, who.site_id) if who.site_id else None
    scope = site.name if site is not None else ctx.t("stats.all_sites")
    found = stats.figures(ctx.conn, who.site_id)
    audit.record(ctx.conn, who, "stats", how="site" if who.site_id else "province")
    ctx.say_text(stats.text(ctx.locale, found, scope))
    scanned = devices.counts_on(ctx.conn, today(), who.site_id)
    if scanned:  # the browser scanners' counts of today: how many, never who
        invalid = sum(n for verdict, n in scanned.items() if verdict != "valid")
        ctx.say("stats.scanned", total=sum(scanned.values()), valid=scanned.get("valid", 0), invalid=invalid)
    png: bytes = ctx.compute("stats_chart", stats.chart, ctx.locale, found)
    media = ctx.services.qr.media
    token = media.token(f"stats:{hashlib.sha256(png).hexdigest()}")
    media.put(token, png)
    ctx.say_text(ctx.t("stats.chart_caption", days=stats.DAYS, scope=scope), image_key=token)
    return ctx.home()


STATS = Flow(
    names.STATS,
    commands=("thongke", "stats"),
    allowed=may(staff.STATS),
    # Nothing is asked: the command shows the figures and the chart, and the menu follows.
    steps=(Ask("nothing", "stats.all_sites", when=lambda _ctx: False),),
    done=_stats,
    back=False,
)

# ---- /thongbao: an announcement (the province's administrators) -----------------------------------------------


def _audience_target(ctx: Ctx, answer: Answer) -> int:
    """The ward ("Phường Bến Thành, Hồ Chí Minh"), the site (its code) or the priority group (1–16); for a site's
    staff, the day (booked: kept as its ordinal) or the dose (due)."""
    kind = ctx.get(AUDIENCE) or "all"
    text = answer.text or ""
    if kind == "booked":
        return parse_dmy(text).toordinal()
    if kind == "due":
        if not (is_number(text) and 1 <= int(text) <= 9):
            raise Invalid("announce.dose_help")
        return int(text)
    if kind == "group":
        if not (is_number(text) and 1 <= int(text) <= 16):
            raise Invalid("announce.group_help")
        return int(text)
    if kind == "site":
        site = sites.by_code(ctx.conn, text)
        if site is None:
            raise Invalid("announce.site_help")
        return site.id
    if (ward := payloads.WARD.number(answer.payload)) is not None:
        return ward
    ward_part, _, province_part = text.rpartition(",")
    provinces = places.search_provinces(province_part) if ward_part else []
    wards = places.search_wards(provinces[0].code, ward_part) if provinces else []
    if not wards:
        raise Invalid("announce.ward_help")
    if len(wards) == 1 or fold(wards[0].name).endswith(fold(ward_part)):
        return wards[0].code
    raise Offer("announce.ward_pick", [Choice(w.name, payloads.WARD.make(w.code)) for w in wards])


def _audience(ctx: Ctx) -> announcements.Audience:
    kind = ctx.get(AUDIENCE) or "all"
    who = role(ctx)
    if who is not None and who.role != staff.ADMIN:  # a site's staff: their own site's people, whatever was sent
        site = who.site_id or 0
        if kind == "booked":
            return announcements.Audience(kind, site, day=date.fromordinal(ctx.get(TARGET) or today().toordinal()))
        if kind == "due":
            return announcements.Audience(kind, site, dose=ctx.get(TARGET) or 1)
        return announcements.Audience("site", site)
    return announcements.Audience(kind, 0 if kind == "all" else ctx.get(TARGET) or 0)


def _preview(ctx: Ctx) -> dict[str, Any]:
    audience = _audience(ctx)
    if audience.kind == "ward":
        who = places.ward(audience.value).name
    elif audience.kind == "site":
        site = sites.get(ctx.conn, audience.value)
        who = site.name if site else "-"
    elif audience.kind == "group":
        who = ctx.t(f"priority.short.{audience.value}")
    elif audience.kind == "booked":
        who = ctx.t("announce.booked_on", date=dmy(audience.day) if audience.day else "-")
    elif audience.kind == "due":
        who = ctx.t("announce.due_for", number=audience.dose)
    else:
        who = ctx.t("announce.everyone")
    return {"count": announcements.count(ctx.conn, audience), "audience": who, "text": ctx.get(TEXT) or ""}


def _announce(ctx: Ctx, answer: str) -> Go:
    if answer != "yes":
        ctx.say("announce.cancelled")
        return ctx.home()
    who = role(ctx)
    if who is None:
        ctx.say("staff.session_expired")
        return ctx.home()
    audience = _audience(ctx)
    _, chats = announcements.send(ctx.conn, audience, ctx.get(TEXT) or "",
                                  report_to=(ctx.incoming.channel, ctx.incoming.chat_id))
    audit.record(ctx.conn, who, "announce", how=f"{audience.kind}:{audience.value}, {chats} chats")
    ctx.pushes_queued()
    ctx.say("announce.queued", count=chats)
    return ctx.home()


TEXT = Ask("text", "announce.ask_text", text_of(1500, min_len=5))
PROVINCE_AUDIENCES = (Option("announce.everyone", "all"), Option("announce.by_ward", "ward"),
                      Option("announce.by_site", "site"), Option("announce.by_group", "group"))
SITE_AUDIENCES = (Option("announce.my_site", "site"), Option("announce.by_booked", "booked"),
                  Option("announce.by_due", "due"))


def _audiences(ctx: Ctx) -> tuple[Option, ...]:
    """An administrator reaches the province; a site's staff only their own site's people."""
    who = role(ctx)
    return PROVINCE_AUDIENCES if who is not None and who.role == staff.ADMIN else SITE_AUDIENCES


def _pick_audience(ctx: Ctx, answer: Answer) -> str:
    offered = {o.payload for o in _audiences(ctx)}
    if answer.payload in offered:
        return answer.payload or ""
    raise Invalid("common.pick_one")


AUDIENCE: Ask[str] = Ask("audience", "announce.ask_audience", _pick_audience, pick=True,
                         choices=lambda ctx: [Choice(ctx.t(o.label), o.payload) for o in _audiences(ctx)])


def _narrowed(ctx: Ctx) -> bool:
    kind = ctx.get(AUDIENCE)
    if kind in (None, "all"):
        return False
    who = role(ctx)
    return who is not None and (who.role == staff.ADMIN or kind in ("booked", "due"))


def _target_prompt(ctx: Ctx) -> str:
    kind = ctx.get(AUDIENCE) or "all"
    return f"announce.ask_{kind}"


TARGET = Ask("target", _target_prompt, _audience_target, when=_narrowed)

ANNOUNCE = Flow(
    names.ANNOUNCE,
    commands=("thongbao", "announce"),
    allowed=may(staff.ANNOUNCE),
    steps=(TEXT, AUDIENCE, TARGET,
           Ask("confirm", "announce.confirm", options=YES_NO, params=_preview, then=_announce)),
)
