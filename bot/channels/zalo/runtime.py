"""Building the Zalo channel from settings: the API client, the pacer, the webhook or polling, the password page."""

from __future__ import annotations

import hashlib
import logging

from aiohttp import web

from bot.channels import secret_page
from bot.channels.downloads import file_response
from bot.channels.pacing import Pacer
from bot.channels.secrets import webhook_secret
from bot.channels.zalo.api import ZaloApi, ZaloError
from bot.channels.zalo.core import CAPABILITIES, CHANNEL, MESSENGER, Sender, ZaloChannel
from bot.config import Settings
from bot.engine import Engine, Pusher
from bot.services.blobs.media import MediaStore

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/zalo/webhook"


async def start_zalo(
    settings: Settings, engine: Engine, pusher: Pusher, media: MediaStore, web_app: web.Application
) -> ZaloChannel:
    """Connect and hook into the web server: the webhook (if configured), the pushes, the password page."""
    api = ZaloApi(settings.zalo_token, settings.zalo_api_url)
    await api.start()
    try:
        await api.get_me()  # a wrong token stops the start, said plainly
    except ZaloError as refused:
        await api.close()
        raise SystemExit(f"SSKDT_ZALO_TOKEN was refused by the Zalo Bot API (error {refused.code})") from None
    pacer = Pacer(settings.zalo_rate_global, settings.zalo_rate_per_chat, settings.zalo_burst_per_chat, channel=CHANNEL)
    channel = ZaloChannel(api, engine, Sender(api, pacer, media, engine.services.public_url))
    pusher.deliverers[CHANNEL] = channel.deliver_push
    engine.keep_replies(CHANNEL)  # answers survive a crash between the commit and the send
    secret_page.register(web_app, CHANNEL, secret_page.PageChannel(MESSENGER, CAPABILITIES, channel.hand_over))
    files = engine.services.files

    async def download(request: web.Request) -> web.Response:
        found = files.get(request.match_info["token"], owner_prefix=f"{CHANNEL}:") if files else None
        if found is None:
            raise web.HTTPNotFound()
        return file_response(found[0], found[1])

    web_app.router.add_get("/files/z/{token}", download)
    if settings.zalo_webhook_url:
        channel.webhook_route(web_app, WEBHOOK_PATH, webhook_secret(settings, "zalo", settings.zalo_webhook_secret))
    return channel


async def register_once(settings: Settings, engine: Engine, channel: ZaloChannel) -> bool:
    """setWebhook once per deploy (a configuration change), not by every worker; polling deletes it itself."""
    if not settings.zalo_webhook_url:
        return False
    secret = webhook_secret(settings, "zalo", settings.zalo_webhook_secret)
    value = hashlib.sha256(f"{settings.zalo_webhook_url}|{secret}|{settings.zalo_token}".encode()).hexdigest()
    if await engine.deploy_state("zalo") == value:
        return False
    await channel.api.set_webhook(settings.zalo_webhook_url, secret)
    await engine.put_deploy_state("zalo", value)
    log.info("zalo: webhook registered")
    return True
