"""Identity documents (domain §7): CCCD, CMND, passport, and the BHYT health-insurance card."""

from __future__ import annotations

import re
from datetime import date

from bot.services.errors import Invalid
from bot.services.text import identifier

ID_TYPES = ("cccd", "cmnd", "passport")


def parse_id_number(id_type: str, text: str, *, sex: str | None, birth_date: date | None) -> str:
    """Validate an ID number of the chosen type; a CCCD is cross-checked with sex and birth year."""
    value = identifier(text)
    if id_type == "cccd":
        if not value.isdigit():
            raise Invalid("id.cccd_digits")
        if len(value) != 12:
            raise Invalid("id.cccd_length", count=len(value))
        if birth_date is not None and sex is not None:
            check_cccd(value, sex=sex, birth_date=birth_date)
        return value
    if id_type == "cmnd":
        if not value.isdigit() or len(value) not in (9, 12):
            raise Invalid("id.cmnd_format")
        return value
    if id_type == "passport":
        if re.fullmatch(r"[A-Z][0-9]{7}", value) or re.fullmatch(r"(?=.*[0-9])[A-Z0-9]{6,12}", value):
            return value
        raise Invalid("id.passport_format")
    raise Invalid("id.type_unknown")


def check_cccd(value: str, *, sex: str, birth_date: date) -> None:
    """Digit 4 is century and sex (0/1 = 1900s male/female, 2/3 = 2000s …); digits 5–6 the year."""
    code = int(value[3])
    century = 1900 + 100 * (code // 2)
    declared_female = sex == "F"
    if century != birth_date.year // 100 * 100 or (code % 2 == 1) != declared_female:
        raise Invalid("id.cccd_century_sex", digit=value[3])
    if value[4:6] != f"{birth_date.year % 100:02d}":
        raise Invalid("id.cccd_year", digits=value[4:6], year=birth_date.year)


def parse_insurance(text: str) -> str:
    """Return the 10-digit social-insurance number that keys a BHYT card (15-character or 10-digit)."""
    value = identifier(text)
    if re.fullmatch(r"[0-9]{10}", value):
        return value
    if re.fullmatch(r"[A-Z]{2}[1-5][0-9]{2}[0-9]{10}", value):
        return value[5:]
    raise Invalid("insurance.format")


def mask(value: str) -> str:
    """Show only the last three characters: enough to recognise, not to copy."""
    return "•" * max(len(value) - 3, 0) + value[-3:]
