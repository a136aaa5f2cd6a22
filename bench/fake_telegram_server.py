"""The fake Bot API in a process of its own (for the HTTP benchmarks: the client measuring is then not also the
server answering the bot's sends). Prints its base URL, serves until killed.

    PYTHONPATH=. .venv/bin/python bench/fake_telegram_server.py
"""

from __future__ import annotations

import asyncio

from tests.fakes.telegram_api import FakeTelegram


async def main() -> None:
    fake = FakeTelegram()
    print(await fake.start(), flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
