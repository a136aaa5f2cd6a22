"""Moving through flows: accepting an answer, following hooks and ``done``, "Quay lại", home and drafts."""

from __future__ import annotations

from typing import Any

from bot.engine.answers import Go
from bot.engine.context import Ctx
from bot.engine.flow import Ask, Flow
from bot.engine.registry import Registry
from bot.engine.types import Reply


class Navigator:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def flow(self, ctx: Ctx) -> Flow:
        return self.registry[ctx.state.flow]

    def current_step(self, ctx: Ctx) -> Ask[Any]:
        flow = self.flow(ctx)
        try:
            return flow.step(ctx.state.step)
        except KeyError:
            self.settle(ctx, 0)
            return self.flow(ctx).step(ctx.state.step)

    def accept(self, ctx: Ctx, step: Ask[Any], value: Any) -> None:
        """Keep the answer, drop what it invalidates, confirm it, and find the next question."""
        ctx.forget(step.name, *step.dependents)
        ctx.state.answers[step.name] = None if value is None else step.codec.dump(value)
        if step.echo is not None and value is not None:
            text = step.echo(ctx, value)
            if text:
                ctx.replies.append(Reply(text))
        source = ctx.state.flow
        go = step.then(ctx, value) if step.then is not None else None
        if go is not None:
            return self.move(ctx, go, source)
        self.settle(ctx, self.flow(ctx).index(step.name) + 1)

    def move(self, ctx: Ctx, go: Go, source: str) -> None:
        self._enter(ctx, go, source)
        flow = self.flow(ctx)
        self.settle(ctx, flow.index(go.step) if go.step else 0, explicit=bool(go.step))

    def _enter(self, ctx: Ctx, go: Go, source: str) -> None:
        if not self.registry.may_go(source, go.flow):
            raise RuntimeError(f"flow {source!r} moved to {go.flow!r}, which it does not declare")
        if go.step and go.step not in (s.name for s in self.registry[go.flow].steps):
            raise RuntimeError(f"flow {go.flow!r} has no step {go.step!r}")
        if go.fresh:
            ctx.state.answers = {}
            ctx.state.filled = []
            ctx.state.editing = False
        ctx.state.flow = go.flow
        ctx.state.step = go.step

    def settle(self, ctx: Ctx, start: int, *, explicit: bool = False) -> None:
        """Find the next step to ask from ``start``, finishing flows (and following their ``done``) on the way.

        While a form is being edited from its summary, answered steps are skipped so that only what the
        edit invalidated is asked again.
        """
        for _ in range(len(self.registry.flows) * 2):
            flow = self.flow(ctx)
            for i, step in enumerate(flow.steps[start:], start):
                if not step.applies(ctx):
                    ctx.forget(step.name)
                    continue
                answered = step.name in ctx.state.answers
                if answered and not (explicit and i == start) and (
                    ctx.state.editing or step.name in ctx.state.filled
                ):
                    continue
                ctx.state.step = step.name
                return
            done = flow.done(ctx) if callable(flow.done) else flow.done
            go = done or Go(self.registry.home, fresh=True)
            self._enter(ctx, go, flow.name)
            start = self.flow(ctx).index(go.step) if go.step else 0
            explicit = bool(go.step)
        raise RuntimeError("flows loop without asking anything")

    def go_home(self, ctx: Ctx) -> None:
        self.jump(ctx, self.registry.home)

    def jump(self, ctx: Ctx, flow: str) -> None:
        """Start ``flow`` afresh from anywhere: the universal commands' way in (home, language)."""
        self._enter(ctx, Go(flow, fresh=True), flow)
        self.settle(ctx, 0)

    def back(self, ctx: Ctx) -> None:
        """The previous question that applies, across flows (``previous``); out of the form from its first."""
        flow = self.flow(ctx)
        target = self._previous_step(ctx, flow, flow.index(ctx.state.step))
        while target is None and flow.previous is not None:
            flow = self.registry[flow.previous]
            target = self._previous_step(ctx, flow, len(flow.steps))
        if target is None:
            return self.leave_form(ctx)
        ctx.state.flow = flow.name
        ctx.state.step = target.name
        ctx.stop_editing()

    @staticmethod
    def _previous_step(ctx: Ctx, flow: Flow, index: int) -> Ask[Any] | None:
        for i in reversed(range(index)):
            step = flow.steps[i]
            # Not a password, nor an answer given in passing that the person was never asked.
            if step.applies(ctx) and not step.secret and step.name not in ctx.state.filled:
                return step
        return None

    def leave_form(self, ctx: Ctx) -> None:
        self.keep_draft(ctx)
        self.go_home(ctx)

    def keep_draft(self, ctx: Ctx) -> None:
        """A half-finished form is kept for a while and offered back ("Tiếp tục đăng ký đang dở?")."""
        flow = self.registry.flows.get(ctx.state.flow)
        if flow is not None and flow.form and ctx.state.answers:
            ctx.keep_draft(flow.name)
