"""A site's (or, for the province's administrators, every site's) figures, and a chart of the last 30 days.

The chart is drawn with matplotlib (its Agg backend, no display) at a size a phone shows whole: 1,200 × 900
pixels, large type, two panels (registrations per day, doses per day), days on the x axis.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from bot import i18n
from bot.services.reference import places
from bot.services.values import states
from bot.services.values.dates import to_local, today
from models.tables import Dose, Person, Registration, table

REGISTRATION, PERSON, DOSE = table(Registration), table(Person), table(Dose)
DAYS = 30


@dataclass
class Figures:
    by_status: dict[str, int] = field(default_factory=dict)
    by_group: dict[int, int] = field(default_factory=dict)
    by_ward: list[tuple[str, int]] = field(default_factory=list)
    fewest_workplaces: list[tuple[str, int]] = field(default_factory=list)
    by_vaccine: dict[tuple[str, int], int] = field(default_factory=dict)  # (vaccine, dose number) → doses
    registrations_per_day: list[int] = field(default_factory=list)  # the last DAYS days, oldest first
    doses_per_day: list[int] = field(default_factory=list)
    first_day: date = field(default_factory=today)

    @property
    def registrations(self) -> int:
        return sum(self.by_status.values())

    @property
    def doses(self) -> int:
        return sum(self.by_vaccine.values())


def figures(conn: Connection, site_id: int | None) -> Figures:
    """Everything ``/thongke`` shows, for one site (``site_id``) or all (None). Counted by the database (a
    province has millions of rows); only the last 30 days' registration times come back, to be put on Vietnam's
    calendar."""
    found = Figures(first_day=today() - timedelta(days=DAYS - 1))
    registrations = REGISTRATION.join(PERSON, PERSON.c.id == REGISTRATION.c.person_id)
    mine = [REGISTRATION.c.site_id == site_id] if site_id is not None else []
    live = [*mine, REGISTRATION.c.status != states.Registration.CANCELLED]
    doses_here = [DOSE.c.site_id == site_id] if site_id is not None else []
    n = func.count().label("n")

    def grouped(column: Any, where: list[Any], table: Any = registrations) -> list[Any]:
        return list(conn.execute(select(column, n).select_from(table).where(*where).group_by(column)))

    found.by_status = {r[0]: r.n for r in grouped(REGISTRATION.c.status, mine)}
    found.by_group = dict(sorted((r[0], r.n) for r in grouped(PERSON.c.priority_group, live)))
    wards = sorted(grouped(PERSON.c.ward_code, live), key=lambda r: (-r.n, r[0]))[:10]
    found.by_ward = [(_ward_name(r[0]), r.n) for r in wards]
    places_of_work = grouped(PERSON.c.workplace, [*live, PERSON.c.workplace.is_not(None), PERSON.c.workplace != ""])
    found.fewest_workplaces = sorted(((r[0], r.n) for r in places_of_work), key=lambda item: (item[1], item[0]))[:10]
    vaccines = conn.execute(select(DOSE.c.vaccine, DOSE.c.dose_number, n).where(*doses_here)
                            .group_by(DOSE.c.vaccine, DOSE.c.dose_number))
    found.by_vaccine = dict(sorted(((r.vaccine, r.dose_number), r.n) for r in vaccines))
    since = datetime.combine(found.first_day - timedelta(days=1), datetime.min.time())  # UTC lags Vietnam by 7 h
    per_day = [0] * DAYS
    for (created_at,) in conn.execute(select(REGISTRATION.c.created_at).where(*live,
                                                                              REGISTRATION.c.created_at >= since)):
        index = (to_local(created_at).date() - found.first_day).days
        if 0 <= index < DAYS:
            per_day[index] += 1
    doses_per_day = [0] * DAYS
    for r in conn.execute(select(DOSE.c.given_on, n).where(*doses_here, DOSE.c.given_on >= found.first_day)
                          .group_by(DOSE.c.given_on)):
        index = (r.given_on - found.first_day).days
        if 0 <= index < DAYS:
            doses_per_day[index] = r.n
    found.registrations_per_day, found.doses_per_day = per_day, doses_per_day
    return found


def _ward_name(code: int) -> str:
    try:
        return places.ward(code).name
    except (KeyError, LookupError, ValueError):
        return str(code)



def text(locale: str, found: Figures, scope: str) -> str:
    """The figures as one message."""
    def t(key: str, **params: object) -> str:
        return i18n.t(locale, f"stats.{key}", **params)

    lines = [t("head", scope=scope, registrations=found.registrations, doses=found.doses)]
    lines.append(t("by_status", items=", ".join(f"{i18n.t(locale, f'status.{s}')}: {n}"
                                                 for s, n in sorted(found.by_status.items())) or "-"))
    lines.append(t("by_group", items="\n".join(f"  {g}. {i18n.t(locale, f'priority.short.{g}')}: {n}"
                                               for g, n in found.by_group.items()) or "  -"))
    lines.append(t("by_ward", items="\n".join(f"  {w}: {n}" for w, n in found.by_ward) or "  -"))
    lines.append(t("fewest_workplaces", items="\n".join(f"  {w}: {n}" for w, n in found.fewest_workplaces)
                   or "  -"))
    lines.append(t("by_vaccine", items="\n".join(
        f"  {i18n.t(locale, f'vaccine.{v}')} – {t('dose_number', number=n)}: {c}"
        for (v, n), c in found.by_vaccine.items()) or "  -"))
    return "\n\n".join(lines)


def chart(locale: str, found: Figures) -> bytes:
    """Registrations and doses per day over the last 30 days, as a PNG a phone shows whole."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot
    from matplotlib.ticker import MaxNLocator

    days = [found.first_day + timedelta(days=n) for n in range(DAYS)]
    labels = [d.strftime("%d/%m") for d in days]
    figure, (top, bottom) = pyplot.subplots(2, 1, figsize=(8, 6), dpi=150, sharex=True)
    try:
        for axis, values, colour, key in ((top, found.registrations_per_day, "#0b7a3e", "chart_registrations"),
                                          (bottom, found.doses_per_day, "#d4a017", "chart_doses")):
            axis.bar(range(DAYS), values, color=colour)
            axis.set_title(i18n.t(locale, f"stats.{key}"), fontsize=15, loc="left")
            axis.yaxis.set_major_locator(MaxNLocator(integer=True))
            axis.tick_params(labelsize=11)
            axis.grid(axis="y", alpha=0.3)
            for side in ("top", "right"):
                axis.spines[side].set_visible(False)
        bottom.set_xticks(range(0, DAYS, 5), [labels[n] for n in range(0, DAYS, 5)])
        figure.suptitle(i18n.t(locale, "stats.chart_title", days=DAYS), fontsize=16, fontweight="bold")
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png")
        return out.getvalue()
    finally:
        pyplot.close(figure)
