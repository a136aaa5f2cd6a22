"""A log-in during a flood of password steps (issue 10): the argon2 queue is bounded and keeps room for
log-ins, so the log-in's latency stays close to one hash. Measured with the OWASP-minimum cost.

    PYTHONPATH=. .venv/bin/python bench/password_flood.py [flooders]
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

from bench.common import Citizen, make_app, save
from bot.engine.limits import CpuGate


async def main(flooders: int, *, gate: bool = True) -> dict[str, Any]:
    app, cleanup = make_app("sqlite", owasp_hash=True)
    if not gate:  # for comparison: every password step queued, as before the gate
        app.engine.cpu_gate = CpuGate(capacity=10**6, reserved=0)
    pusher = asyncio.create_task(app.pusher.run())  # delivers the SMS codes
    try:
        owner = Citizen(app, 0)
        await owner.sign_up("Nguyễn Văn Bình", "0900000000", "mật-khẩu-của-chủ-1")
        await owner.at_password("0900000000")
        alone = time.perf_counter()
        await owner.send(text="mật-khẩu-của-chủ-1")
        alone = time.perf_counter() - alone
        await owner.at_password("0900000000")

        crowd = [Citizen(app, n) for n in range(1, flooders + 1)]
        for c in crowd:  # each at the sign-up's second password step, from its own source
            await c.send(text="/start")
            await c.send(button="signup")
            await c.send(text="Kẻ Tấn Công")
            phone = f"09{c.number:08d}"
            await c.send(text=phone)
            await c.send(text=await c.sms(phone))
            await c.send(text="mật-khẩu-tấn-công-1")  # the second typing is the one that is hashed
        flood = [asyncio.create_task(c.send(text="mật-khẩu-tấn-công-1", hashed=True)) for c in crowd]
        await asyncio.sleep(0)  # the flood is queued first
        started = time.perf_counter()
        replies = await owner.send(text="mật-khẩu-của-chủ-1")
        during = time.perf_counter() - started
        outcomes = await asyncio.gather(*flood)
        busy = sum(1 for r in outcomes if r and "bận" in r[0].text)
        assert any("Đăng nhập thành công" in r.text for r in replies)
    finally:
        pusher.cancel()
        cleanup()
    result: dict[str, Any] = {"flooders": flooders, "gate": gate, "login_alone_ms": round(alone * 1000, 1),
                              "login_during_flood_ms": round(during * 1000, 1), "flood_refused_busy": busy}
    print(f"{'with' if gate else 'without'} the gate: log-in alone {result['login_alone_ms']} ms; during a flood "
          f"of {flooders} password steps {result['login_during_flood_ms']} ms; {busy} flood steps refused as busy")
    return result


async def both(flooders: int) -> None:
    save("password_flood", {"with_gate": await main(flooders), "without_gate": await main(flooders, gate=False)})


if __name__ == "__main__":
    asyncio.run(both(int(sys.argv[1]) if len(sys.argv) > 1 else 150))
