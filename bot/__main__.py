"""The ``sskdt`` command line. Channel libraries are imported only when a command needs them."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from typing import Any

from bot.config import Settings

RUN_OPTIONS = {
    "host": "address to listen on (SSKDT_HOST, default 127.0.0.1)",
    "port": "port to listen on (SSKDT_PORT, default 8080)",
    "database_url": "SQLAlchemy URL (SSKDT_DATABASE_URL; default: SQLite file in the data dir)",
    "data_dir": "folder for keys, media and the default SQLite file (SSKDT_DATA_DIR, default ./data)",
    "log_level": "DEBUG, INFO, WARNING or ERROR (SSKDT_LOG_LEVEL)",
}


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {
        name: getattr(args, name) for name in RUN_OPTIONS if getattr(args, name, None) is not None
    }
    return Settings(**overrides)


def _logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")


async def _serve(settings: Settings) -> None:
    from aiohttp import web

    from bot.app import build
    from bot.channels.webchat import create_web_app

    app = build(settings)
    runner = web.AppRunner(create_web_app(app.engine), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    logging.getLogger("sskdt").info("web chat on http://%s:%d/", settings.host, settings.port)
    housekeeping = asyncio.create_task(app.maintain())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        housekeeping.cancel()
        await runner.cleanup()
        app.close()


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    _logging(settings.log_level)
    asyncio.run(_serve(settings))
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from bot.app import migrate

    settings = _settings(args)
    _logging(settings.log_level)
    migrate(settings)
    print("database is up to date")
    return 0


def cmd_demo_seed(args: argparse.Namespace) -> int:
    from bot.app import migrate
    from bot.services import sites
    from models.db import make_engine

    settings = _settings(args)
    migrate(settings)
    engine = make_engine(settings.effective_database_url)
    with engine.begin() as conn:
        added = sites.seed_demo(conn)
    engine.dispose()
    print(f"demo vaccination sites added: {added}")
    return 0


def _environment_help() -> str:
    lines = ["environment (or .env):"]
    for name, field in Settings.model_fields.items():
        lines.append(f"  SSKDT_{name.upper():<22} {field.description} (default: {field.default})")
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="sskdt",
        description="Vaccination registration chatbot (the electronic health book). Settings come from SSKDT_* "
        "environment variables or a .env file; command options override them.",
    )
    sub = top.add_subparsers(dest="command", required=True)
    commands = (
        ("run", cmd_run, "serve the web chat (and messengers configured) on the embedded defaults"),
        ("migrate", cmd_migrate, "apply database migrations"),
        ("demo-seed", cmd_demo_seed, "load a handful of demo vaccination sites"),
    )
    for name, fn, help_text in commands:
        cmd = sub.add_parser(
            name, help=help_text, description=help_text, epilog=_environment_help(),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        for option, option_help in RUN_OPTIONS.items():
            if name != "run" and option in ("host", "port"):
                continue
            kind = int if option == "port" else str
            cmd.add_argument("--" + option.replace("_", "-"), dest=option, type=kind, help=option_help)
        cmd.set_defaults(fn=fn)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.fn(args))


if __name__ == "__main__":
    sys.exit(main())
