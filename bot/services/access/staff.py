"""Staff roles (issue 11): who may look people up, record doses and verify QR codes, and for which site.

``admin`` works for every site, ``staff`` for one, ``checker`` (a checkpoint) only verifies QR codes. A staff
member is an account: the role is given to an account by the command line (``sskdt staff add``), and staff
commands in a chat need a log-in in the last :data:`FRESH_LOGIN`, a shorter session than a citizen's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection, delete, insert, select, update

from bot.services.values.dates import utcnow
from models.db import first
from models.tables import Account, Site, Staff, table

STAFF, ACCOUNT, SITE = table(Staff), table(Account), table(Site)
ADMIN, SITE_STAFF, CHECKER = "admin", "staff", "checker"
ROLES = (ADMIN, SITE_STAFF, CHECKER)
FRESH_LOGIN = timedelta(hours=12)

# What each role may do: the commands' permissions, in one table.
LOOKUP, DOSE, VERIFY = "lookup", "dose", "verify"
LIST, ALLOCATE, IMPORT, EXPORT, STATS, ANNOUNCE = "list", "allocate", "import", "export", "stats", "announce"
SITE_WORK = frozenset({LOOKUP, DOSE, VERIFY, LIST, ALLOCATE, IMPORT, EXPORT, STATS})
MAY: dict[str, frozenset[str]] = {
    ADMIN: SITE_WORK | {ANNOUNCE},
    SITE_STAFF: SITE_WORK | {ANNOUNCE},  # to their own site's people only (the flow offers no other audience)
    CHECKER: frozenset({VERIFY}),
}


@dataclass(frozen=True, slots=True)
class Role:
    account_id: int
    role: str
    site_id: int | None  # None for an admin or a checker without a site

    def may(self, action: str) -> bool:
        return action in MAY.get(self.role, frozenset())

    def covers(self, site_id: int | None) -> bool:
        """An admin sees every site's people; staff those registered at their own site."""
        return self.role == ADMIN or (self.site_id is not None and site_id == self.site_id)


@dataclass(frozen=True, slots=True)
class Member:
    phone: str
    name: str
    role: str
    site_code: str | None


class StaffError(Exception):
    """A staff change that cannot be made, with the reason for the operator."""


_ROLE_OF = "SELECT role, site_id FROM staff WHERE account_id = ?"  # raw (models.db.rows): after every log-in


def role_of(conn: Connection, account_id: int) -> Role | None:
    row = first(conn, _ROLE_OF, account_id)
    return None if row is None else Role(account_id, *row)


def add(conn: Connection, *, phone: str, role: str, site_code: str | None) -> None:
    """Give an account a role (replacing its earlier one)."""
    if role not in ROLES:
        raise StaffError(f"role must be one of {', '.join(ROLES)}")
    account_id = conn.execute(select(ACCOUNT.c.id).where(ACCOUNT.c.phone == phone)).scalar()
    if account_id is None:
        raise StaffError("no account with this phone number: the person signs up in the chat first")
    site_id = None
    if site_code:
        site_id = conn.execute(select(SITE.c.id).where(SITE.c.code == site_code)).scalar()
        if site_id is None:
            raise StaffError(f"no site with code {site_code} (sskdt site list)")
    elif role == SITE_STAFF:
        raise StaffError("staff work for one site: give --site CODE")
    values = {"role": role, "site_id": site_id, "added_at": utcnow()}
    if conn.execute(update(STAFF).where(STAFF.c.account_id == account_id).values(**values)).rowcount == 0:
        conn.execute(insert(STAFF).values(account_id=account_id, **values))


def remove(conn: Connection, *, phone: str) -> bool:
    account_id = conn.execute(select(ACCOUNT.c.id).where(ACCOUNT.c.phone == phone)).scalar()
    return account_id is not None and bool(
        conn.execute(delete(STAFF).where(STAFF.c.account_id == account_id)).rowcount
    )


def members(conn: Connection) -> list[Member]:
    rows = conn.execute(
        select(ACCOUNT.c.phone, ACCOUNT.c.name, STAFF.c.role, SITE.c.code)
        .join(ACCOUNT, ACCOUNT.c.id == STAFF.c.account_id)
        .outerjoin(SITE, SITE.c.id == STAFF.c.site_id)
        .order_by(STAFF.c.role, ACCOUNT.c.phone)
    )
    return [Member(r.phone, r.name, r.role, r.code) for r in rows]
