"""Who may run a staff command: a staff role, with a log-in recent enough for staff work. Anyone else gets the
reply to an unknown command."""

from __future__ import annotations

from bot.engine.context import Ctx
from bot.engine.flow import Predicate
from bot.services.access import staff
from bot.services.values.dates import utcnow
from bot.services.values.errors import Invalid


def role(ctx: Ctx) -> staff.Role | None:
    """The chat's staff role, if it logged in recently enough for staff work."""
    if ctx.account_id is None or ctx.logged_in_at is None or utcnow() - ctx.logged_in_at > staff.FRESH_LOGIN:
        return None
    return ctx.staff_role()


def may(action: str) -> Predicate:
    def allowed(ctx: Ctx) -> bool:
        found = role(ctx)
        return found is not None and found.may(action)
    return allowed


def current_role(ctx: Ctx) -> staff.Role:
    found = role(ctx)
    if found is None:  # the session expired between two messages
        raise Invalid("staff.session_expired")
    return found
