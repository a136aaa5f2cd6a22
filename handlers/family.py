"""Registering a family member under the same account: who they are to the account holder."""

from __future__ import annotations

from bot.engine.answers import Option
from bot.engine.context import Ctx

RELATIONS = (
    Option("family.spouse", "spouse"), Option("family.child", "child"), Option("family.parent", "parent"),
    Option("family.sibling", "sibling"), Option("family.grandparent", "grandparent"),
    Option("family.other", "other"),
)


def for_family(ctx: Ctx) -> bool:
    return ctx.for_family


def for_self(ctx: Ctx) -> bool:
    return not ctx.for_family
