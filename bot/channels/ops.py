"""Operations endpoints: is the process alive, can it serve, and what is it doing.

    public listener   /healthz  alive (the process answers)           200
                      /readyz   the database answers and its schema is current: 200, else 503 with the reason
    metrics listener  /metrics  Prometheus text (SSKDT_METRICS_ADDR, default 127.0.0.1:9464; never the public
                                one: counts of users and failures are not for the internet), /healthz, /readyz

Every request gets an id (the proxy's ``X-Request-Id`` when it is a plain token), returned in the response and
written on each log line the request causes.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from bot.engine import Engine, Unavailable
from bot.logs import new_request_id

Ready = Callable[[], Awaitable[str | None]]  # None when ready, else why not (said to the load balancer)


@web.middleware
async def request_ids(request: web.Request, handler: Any) -> web.StreamResponse:
    rid = new_request_id(request.headers.get("X-Request-Id"))
    response: web.StreamResponse = await handler(request)
    response.headers["X-Request-Id"] = rid
    return response


def add_health_routes(app: web.Application, ready: Ready) -> None:
    async def healthz(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def readyz(_request: web.Request) -> web.Response:
        problem = await ready()
        if problem is None:
            return web.Response(text="ready")
        return web.Response(status=503, text=problem, headers={"Retry-After": "5"})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)


def _registry() -> Any:
    """Across worker processes when they share a metrics directory, else this process's."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return REGISTRY
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    return registry


def metrics_app(engine: Engine, ready: Ready) -> web.Application:
    async def metrics(_request: web.Request) -> web.Response:
        if await ready() is None:
            with contextlib.suppress(Unavailable):  # gone since: the last values are shown
                await engine.refresh_gauges()
        body = generate_latest(_registry())
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application(middlewares=[request_ids])
    app.router.add_get("/metrics", metrics)
    add_health_routes(app, ready)
    return app
