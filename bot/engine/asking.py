"""Asking: the prompt of a step (progress, error, question, choices) and reading what came back."""

from __future__ import annotations

from typing import Any

from bot.engine.context import Ctx
from bot.engine.flow import Answer, Ask, Flow
from bot.engine.types import Choice, Reply
from bot.services.text import clean, fold

BACK = "nav:back"
SKIP = "nav:skip"


def label_key(label: str) -> str:
    """How typed text is compared with a button's label: folded, letters and digits only."""
    return "".join(ch for ch in fold(label) if ch.isalnum())


def read_answer(ctx: Ctx, step: Ask[Any]) -> Answer:
    """The event as an answer to ``step``: a button, a contact, or text (a typed number or label picks a choice)."""
    incoming = ctx.incoming
    if incoming.button is not None:
        return Answer(payload=incoming.button[:200])
    if incoming.contact_phone is not None:
        return Answer(contact_phone=incoming.contact_phone, contact_is_own=incoming.contact_is_own)
    raw = incoming.text or ""
    text = raw if step.secret else clean(raw)
    offered = ctx.state.offered
    if offered and text and not step.secret:
        # Typed numbers pick the step's own options; "Quay lại" and "Bỏ qua" are reached by their words,
        # so that a "1" typed as an answer to a free-text question is never taken for "go back".
        numbered = [payload for _, payload in offered if payload not in (BACK, SKIP)]
        if text.isascii() and text.isdigit() and 1 <= int(text) <= len(numbered):
            return Answer(text=text, payload=numbered[int(text) - 1])
        key = label_key(text)
        for label, payload in offered:
            if key and label_key(label) == key:
                return Answer(text=text, payload=payload)
    return Answer(text=text)


def choices_for(ctx: Ctx, flow: Flow, step: Ask[Any]) -> list[Choice]:
    choices = [Choice(ctx.t(o.label), o.payload) for o in step.options]
    if step.choices is not None:
        choices.extend(step.choices(ctx))
    if step.optional:
        choices.append(Choice(ctx.t("common.skip"), SKIP))
    if flow.back:
        choices.append(Choice(ctx.t("common.back"), BACK))
    return choices


def progress(ctx: Ctx, flow: Flow, step: Ask[Any]) -> str | None:
    """"Bước 2/3 · Tiền sử tiêm" for a stage of a form, "Đăng nhập · 1/2" for a short flow."""
    if flow.title is None:
        return None
    if flow.stage:
        number, total = flow.stage
        return ctx.t("progress.stage", number=number, total=total, title=ctx.t(flow.title))
    asked = [s.name for s in flow.steps if s.applies(ctx)]
    number = asked.index(step.name) + 1 if step.name in asked else 1
    return ctx.t("progress.step", number=number, total=len(asked), title=ctx.t(flow.title))


def prompt(
    ctx: Ctx, flow: Flow, step: Ask[Any], *, error: str | None = None, note: str | None = None,
    offered: list[Choice] | None = None,
) -> None:
    """Ask ``step``: one reply with where the person is, what went wrong, the question and its choices."""
    parts = [p for p in (progress(ctx, flow, step),) if p]
    if error:
        parts.append("⚠️ " + error)
    if note:
        parts.append(note)
    params = step.params(ctx) if step.params else {}
    key = step.prompt if isinstance(step.prompt, str) else step.prompt(ctx)
    parts.append(ctx.t(key, **params))
    choices = choices_for(ctx, flow, step)
    if offered is not None:
        choices = offered + [c for c in choices if c.payload in (BACK, SKIP)]
    ctx.state.offered = [[c.label, c.payload] for c in choices]
    contact = step.contact and ctx.caps.request_contact
    ctx.replies.append(
        Reply(
            "\n\n".join(parts), choices=choices, secret_prompt=step.secret, request_contact=contact,
            contact_label=ctx.t("common.share_contact") if contact else None,
        )
    )
