"""Vaccines used in Vietnam (domain §8) and the colour rule, kept as data a province can change.

``course`` is the number of doses in the primary course; the EU value-set codes go into the certificate. The
intervals (domain §8, marked "assumed" there: a province changes them here) say when the next dose is due
(``recommended``) and the shortest gap a site may book or give without the doctor confirming (``minimum``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Vaccine:
    code: str
    course: int
    product: str  # EU "mp"
    manufacturer: str  # EU "ma"
    prophylaxis: str  # EU "vp"
    min_interval_days: int | None = None  # the shortest gap before the next dose (domain §8); shorter asks first
    names: tuple[str, ...] = ()  # other names people and sites' records use
    recommended_days: int | None = None  # the next dose is due this long after (None: the minimum)

    @property
    def due_after(self) -> int:
        """Days from a dose of this vaccine to the next dose's due day."""
        return self.recommended_days or self.min_interval_days or 0


VACCINES: dict[str, Vaccine] = {
    v.code: v
    for v in (
        Vaccine("astrazeneca", 2, "EU/1/21/1529", "ORG-100001699", "J07BX03", 56,
                ("AstraZeneca", "AZ", "Astra", "Vaxzevria", "Covishield", "AZD1222", "ChAdOx1", "ChAdOx1-S",
                 "ChAdOx1 nCoV-19"), 70),  # 8–12 weeks
        Vaccine("sputnik", 2, "Sputnik-V", "Gamaleya-Research-Institute", "J07BX03", 21,
                ("Sputnik V", "Gamaleya", "Gam-COVID-Vac", "Sputnik")),
        Vaccine("verocell", 2, "BBIBP-CorV", "ORG-100020693", "J07BX03", 21,
                ("Vero Cell", "Sinopharm", "BBIBP", "BBIBP-CorV", "Vero", "Sino", "Verocell"), 28),  # 3–4 weeks
        Vaccine("hayat", 2, "Hayat-Vax", "ORG-100020693", "J07BX03", 21, ("Hayat-Vax", "Hayat Vax"), 28),
        Vaccine("pfizer", 2, "EU/1/20/1528", "ORG-100030215", "1119349007", 21,
                ("Pfizer", "Pfizer-BioNTech", "BioNTech", "Comirnaty", "BNT162b2", "Pfizer BioNTech")),
        Vaccine("moderna", 2, "EU/1/20/1507", "ORG-100031184", "1119349007", 28, ("Moderna", "Spikevax", "mRNA-1273")),
        Vaccine("janssen", 1, "EU/1/20/1525", "ORG-100001417", "J07BX03", None,
                ("Janssen", "Johnson", "J&J", "Johnson & Johnson", "Ad26.COV2.S")),
        Vaccine("abdala", 3, "CIGB-66", "Center-for-Genetic-Engineering-and-Biotechnology-Cuba", "J07BX03", 14,
                ("Abdala",)),
    )
}
BY_PRODUCT = {v.product: v for v in VACCINES.values()}


def _key(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum())


_BY_NAME = {_key(name): v.code for v in VACCINES.values() for name in (v.code, *v.names)}


def find(name: str) -> str | None:
    """A vaccine's code from any of its names, in any case, with or without spaces and hyphens."""
    return _BY_NAME.get(_key(name))

NONE, PARTIAL, COMPLETE = "none", "partial", "complete"


@dataclass(frozen=True, slots=True)
class Look:
    """How a status is drawn: the frame colour, the label's message key, and whether the label's text is dark
    (on amber white text would have a contrast of 2:1; every label must reach 4.5:1)."""

    frame: str
    label: str
    dark_text: bool = False


# The colour table (domain §8): yellow modules do not scan, so the colour is the frame, never the code.
LOOKS: dict[str, Look] = {
    NONE: Look("#6B7280", "qr.label_none"),
    PARTIAL: Look("#F2A900", "qr.label_partial", dark_text=True),
    COMPLETE: Look("#15803D", "qr.label_complete"),
}


def due_after(vaccine: str) -> tuple[int, int]:
    """(minimum, recommended) days from a dose of ``vaccine`` to the next one; (0, 0) for an unknown vaccine."""
    found = VACCINES.get(vaccine)
    if found is None:
        return 0, 0
    return found.min_interval_days or 0, found.due_after


def series_doses(latest_vaccine: str) -> int:
    """Doses in the course, by the vaccine of the latest dose (mixed courses count every dose)."""
    vaccine = VACCINES.get(latest_vaccine)
    return vaccine.course if vaccine else 2


def level(dose_number: int, series: int) -> str:
    """The colour from what the certificate says (``dn``/``sd``), never from the picture."""
    if dose_number <= 0:
        return NONE
    return COMPLETE if dose_number >= series else PARTIAL
