"""Long answers a page at a time (a look-up's people, a site's waiting list): "Trang sau", "Trang trước",
"again" and "Xong", with the page and the total kept in passing so a button needs no second count; and, where
the page shows people, a button beside each (the registrations shown are kept, so only theirs answer)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.engine.answers import Answer, Go
from bot.engine.context import Ctx
from bot.engine.flow import Ask
from bot.engine.types import Choice
from bot.services.values import payloads
from bot.services.values.errors import Invalid


@dataclass(frozen=True, slots=True)
class Pager:
    """The fields and the "more" question of a paged flow; ``show(ctx, page)`` says a page and calls
    :meth:`shown`."""

    page: Ask[int]
    total: Ask[int]
    more: Ask[str]
    items: Ask[list[list[Any]]]  # [[registration id, label], …] of the page shown

    def shown(self, ctx: Ctx, page: int, total: int, items: list[tuple[int, str]] | None = None) -> None:
        ctx.put(self.page, page)
        ctx.put(self.total, total)
        ctx.put(self.items, [[number, label] for number, label in items or ()])


def pager(flow: str, show: Callable[[Ctx, int], object], *, size: int, again: str,
          item: Callable[[Ctx, int], Go | None] | None = None) -> Pager:
    """``item(ctx, registration id)``: what a button beside a person does."""
    page_field = Ask[int]("page", "staff.lookup_more", pick=True)
    total_field = Ask[int]("total", "staff.lookup_more", pick=True)
    items_field = Ask[list[list[Any]]]("items", "staff.lookup_more", pick=True)

    def choices(ctx: Ctx) -> list[Choice]:
        page, total = ctx.get(page_field) or 0, ctx.get(total_field) or 0
        found = [Choice(str(label), payloads.SCREEN.make(int(number))) for number, label in ctx.get(items_field) or ()]
        if (page + 1) * size < total:
            found.append(Choice(ctx.t("staff.next_page"), "next"))
        if page > 0:
            found.append(Choice(ctx.t("staff.previous_page"), "previous"))
        return [*found, Choice(ctx.t(again), "again"), Choice(ctx.t("staff.done"), "done")]

    def parse(ctx: Ctx, answer: Answer) -> str:
        if answer.payload in {c.payload for c in choices(ctx)}:
            return answer.payload or ""
        raise Invalid("common.pick_one")

    def after(ctx: Ctx, choice: str) -> Go | None:
        number = payloads.SCREEN.number(choice)
        if number is not None and item is not None:
            return item(ctx, number)
        if choice in ("next", "previous"):
            show(ctx, (ctx.get(page_field) or 0) + (1 if choice == "next" else -1))
            return Go(flow, "more")
        if choice == "again":
            return Go(flow, fresh=True)
        return ctx.home()

    more = Ask("more", "staff.lookup_more", parse, pick=True, choices=choices, then=after)
    return Pager(page_field, total_field, more, items_field)
