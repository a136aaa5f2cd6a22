"""A site's list as an XLSX workbook that opens in Excel as it is: Vietnamese headers, real dates, sized columns,
a frozen header row and a filter."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from bot import i18n
from bot.services.reference import places, screening, vaccines
from bot.services.registration import appointments
from bot.services.values.dates import age_on, to_local, today
from bot.services.values.documents import mask
from bot.services.values.phones import display
from models.tables import Dose, Person, Reaction, Site, table

DOSE, PERSON, SITE, REACTION = table(Dose), table(Person), table(Site), table(Reaction)

COLUMNS = ("booking_code", "full_name", "birth_date", "age", "sex", "phone", "priority_group", "workplace",
           "preferred_date", "preferred_session", "status", "appointment_day", "appointment_session",
           "appointment_state", "listed_as", "attention", "registered_at")
# One row per dose given: what a district's report asks for, under headers `sskdt dose import` reads back.
DOSE_COLUMNS = ("id_number", "full_name", "birth_date", "sex", "ethnicity", "phone", "address", "ward",
                "priority_group", "vaccine", "lot", "dose_number", "given_on", "site", "reaction")
DATE_COLUMNS = {"birth_date", "preferred_date", "appointment_day", "given_on"}
WIDTHS = {"booking_code": 19, "full_name": 28, "birth_date": 12, "age": 6, "sex": 7, "phone": 14,
          "priority_group": 10, "workplace": 30, "preferred_date": 12, "preferred_session": 11, "status": 16,
          "appointment_day": 12, "appointment_session": 11, "appointment_state": 18, "listed_as": 22,
          "attention": 40, "registered_at": 17, "id_number": 15, "ethnicity": 10, "address": 30, "ward": 24,
          "vaccine": 14, "lot": 12, "dose_number": 8, "given_on": 12, "site": 28, "reaction": 36}


def site_list_rows(conn: Connection, site_id: int, day: date | None, locale: str) -> list[dict[str, Any]]:
    """The site's registrations (waiting, or with an appointment on ``day``), as the workbook's rows."""
    rows = []
    for r in appointments.day_list(conn, site_id, day):
        attention = "; ".join(f"{q[1:]}. {i18n.t(locale, f'history.short_{q}')}"
                              for q, _ in screening.attention(r["screening"] or {}))
        rows.append({
            "booking_code": r["booking_code"], "full_name": r["full_name"], "birth_date": r["birth_date"],
            "age": age_on(r["birth_date"], today()), "sex": i18n.t(locale, "person.male" if r["sex"] == "M"
                                                                   else "person.female"),
            "phone": display(r["phone"]), "priority_group": r["priority_group"], "workplace": r["workplace"] or "",
            "preferred_date": r["preferred_date"],
            "preferred_session": i18n.t(locale, f"session.{r['preferred_session']}"),
            "status": i18n.t(locale, f"status.{r['status']}"), "appointment_day": r["day"],
            "appointment_session": i18n.t(locale, f"session.{r['session']}") if r["session"] else "",
            "appointment_state": i18n.t(locale, f"export.state_{r['state']}") if r["state"] else "",
            "attention": attention, "registered_at": to_local(r["created_at"]).replace(tzinfo=None),
            # A day's list: booked that day, or only asking for it (no appointment yet): said, booked first.
            "listed_as": "" if day is None else i18n.t(
                locale, "export.listed_booked" if r["day"] == day else "export.listed_preferred"),
        })
    if day is not None:
        rows.sort(key=lambda row: row["appointment_day"] != day)  # stable: each part keeps the list's order
    return rows


def dose_rows(conn: Connection, site_id: int | None, first: date, last: date, locale: str) -> list[dict[str, Any]]:
    """One row per dose given at the site (every site: ``site_id`` None) from ``first`` to ``last``: the person,
    the dose and any reaction reported after it; the vaccine under a name the import reads back."""
    rows = []
    for r in doses_given(conn, site_id, first, last):
        reaction = r["reaction"]
        said = ""
        if reaction is not None:
            signs, severity, words = reaction
            said = "; ".join(filter(None, [", ".join(i18n.t(locale, f"reaction.sign_{s}") for s in signs),
                                           i18n.t(locale, f"reaction.severity_{severity}")
                                           if severity != "unknown" else "", words or ""]))
        rows.append({
            "id_number": r["id_number"], "full_name": r["full_name"], "birth_date": r["birth_date"],
            "sex": i18n.t(locale, "person.male" if r["sex"] == "M" else "person.female"),
            "ethnicity": r["ethnicity"] or "", "phone": display(r["phone"]), "address": r["address"] or "",
            "ward": places.ward_name(r["ward_code"]),
            "priority_group": r["priority_group"], "vaccine": vaccines.VACCINES[r["vaccine"]].names[0]
            if r["vaccine"] in vaccines.VACCINES else r["vaccine"], "lot": r["lot"], "dose_number": r["dose_number"],
            "given_on": r["given_on"], "site": r["site_name"] or "", "reaction": said, "person_id": r["person_id"],
        })
    return rows


def _reactions(conn: Connection, dose_ids: list[int]) -> dict[int, tuple[list[str], str, str | None]]:
    """(signs, severity, the words as written) of the latest report about each dose."""
    found: dict[int, tuple[list[str], str, str | None]] = {}
    for start in range(0, len(dose_ids), 5000):
        for row in conn.execute(select(REACTION.c.dose_id, REACTION.c.signs, REACTION.c.severity, REACTION.c.details)
                                .where(REACTION.c.dose_id.in_(dose_ids[start:start + 5000]))
                                .order_by(REACTION.c.created_at)):
            found[row.dose_id] = (list(row.signs or []), row.severity, row.details)
    return found


def doses_given(conn: Connection, site_id: int | None, first: date, last: date) -> list[dict[str, Any]]:
    query = (select(PERSON.c.id.label("person_id"), PERSON.c.id_number, PERSON.c.full_name, PERSON.c.birth_date,
                    PERSON.c.sex, PERSON.c.ethnicity,
                    PERSON.c.phone, PERSON.c.address, PERSON.c.ward_code, PERSON.c.priority_group, DOSE.c.id,
                    DOSE.c.vaccine, DOSE.c.lot, DOSE.c.dose_number, DOSE.c.given_on, SITE.c.name.label("site_name"))
             .join(PERSON, PERSON.c.id == DOSE.c.person_id)
             .outerjoin(SITE, SITE.c.id == DOSE.c.site_id)
             .where(DOSE.c.given_on >= first, DOSE.c.given_on <= last))
    if site_id is not None:
        query = query.where(DOSE.c.site_id == site_id)
    found = [dict(r._mapping) for r in conn.execute(query.order_by(DOSE.c.given_on, PERSON.c.full_name, DOSE.c.id))]
    said = _reactions(conn, [r["id"] for r in found])
    for row in found:
        row["reaction"] = said.get(row["id"])
    return found


def workbook(rows: list[dict[str, Any]], locale: str, title: str, columns: tuple[str, ...] = COLUMNS) -> bytes:
    """The rows as a sheet Excel opens as it is. Written as a stream (openpyxl's write-only mode): a district's
    100,000 doses never sit in memory as cell objects."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    for index, column in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS[column]
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
    bold, fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="0B7A3E")
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=i18n.t(locale, f"export.column_{column}"))
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        header.append(cell)
    sheet.append(header)
    formats = {c: "DD/MM/YYYY" for c in DATE_COLUMNS} | {"registered_at": "DD/MM/YYYY HH:MM",
                                                         "booking_code": "@", "id_number": "@"}
    for row in rows:
        line: list[Any] = []
        for column in columns:
            value = row[column]
            if column in formats and value not in (None, ""):  # 16 digits stay text; a CCCD keeps its 0
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = formats[column]
                line.append(cell)
            elif isinstance(value, str) and value.startswith("="):  # typed "=HYPERLINK(…)" is text, not a formula
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                line.append(cell)
            else:
                line.append(value)
        sheet.append(line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---- the day's list, for printing ------------------------------------------------------------------------------

SHEET_COLUMNS = ("n", "full_name", "birth_year", "sex", "id", "code", "group", "dose", "session", "attention",
                 "signature")
SHEET_WIDTHS = {"n": 5, "full_name": 26, "birth_year": 8, "sex": 6, "id": 15, "code": 8, "group": 7, "dose": 6,
                "session": 10, "attention": 30, "signature": 16}


def day_sheet_rows(conn: Connection, site_id: int, day: date, locale: str) -> list[dict[str, Any]]:
    """The people booked at the site on ``day`` (in the list's order), for the wall: ID numbers masked, the booking
    code's last four digits (what the person says at the desk), the history answers to look at."""
    rows = []
    for n, r in enumerate(appointments.day_sheet(conn, site_id, day), 1):
        attention = "; ".join(f"{q[1:]}. {i18n.t(locale, f'history.short_{q}')}"
                              for q, _ in screening.attention(r["screening"] or {}))
        rows.append({
            "n": n, "full_name": r["full_name"], "birth_year": r["birth_date"].year,
            "sex": i18n.t(locale, "person.male" if r["sex"] == "M" else "person.female"),
            "id": mask(r["id_number"]), "code": r["booking_code"][-4:], "group": r["priority_group"],
            "dose": r["dose_number"], "session": i18n.t(locale, f"session.{r['session']}"), "attention": attention,
            "signature": "", "booking_code": r["booking_code"],
        })
    return rows


def day_sheet(rows: list[dict[str, Any]], locale: str, site_name: str, day: date) -> bytes:
    """An A4 landscape sheet: a title, the header repeated on every page, a signature column, grid lines."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = day.strftime("%d-%m-%Y")
    sheet.append([i18n.t(locale, "export.sheet_title", site=site_name, date=day.strftime("%d/%m/%Y"),
                         count=len(rows))])
    sheet.append([i18n.t(locale, f"export.sheet_{c}") for c in SHEET_COLUMNS])
    for row in rows:
        sheet.append([row[c] for c in SHEET_COLUMNS])
    thin = Side(style="thin", color="000000")
    grid = Border(left=thin, right=thin, top=thin, bottom=thin)
    sheet.cell(row=1, column=1).font = Font(bold=True, size=13)
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            if cell.data_type == "f":  # typed text beginning with "=" is text, never a formula
                cell.data_type = "s"
            cell.border = grid
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            if cell.row == 2:
                cell.font = Font(bold=True)
        sheet.row_dimensions[line[0].row].height = 30 if line[0].row > 2 else 28
    for index, column in enumerate(SHEET_COLUMNS, 1):
        sheet.column_dimensions[get_column_letter(index)].width = SHEET_WIDTHS[column]
    sheet.print_title_rows = "2:2"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.oddFooter.center.text = "&P / &N"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
