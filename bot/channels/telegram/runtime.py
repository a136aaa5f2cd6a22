"""Building the Telegram channel from settings: the chosen runtime, the pacer, the webhook or polling."""

from __future__ import annotations

import hashlib
import logging

from aiohttp import web

from bot.channels.pacing import Pacer
from bot.channels.secrets import webhook_secret as secret_of
from bot.channels.telegram.api import TelegramApi
from bot.channels.telegram.core import CHANNEL, Sender, TelegramChannel
from bot.config import Settings
from bot.engine import Engine, Pusher
from bot.services.blobs.media import MediaStore

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/telegram/webhook"


def make_api(runtime: str, token: str, api_url: str) -> TelegramApi:
    if runtime == "ptb":
        from bot.channels.telegram.ptb_api import PtbApi

        return PtbApi(token, api_url)
    if runtime == "aiogram":
        from bot.channels.telegram.aiogram_api import AiogramApi

        return AiogramApi(token, api_url)
    raise ValueError(f"unknown Telegram runtime {runtime!r}: use aiogram or ptb")


def webhook_secret(settings: Settings) -> str:
    return secret_of(settings, "telegram", settings.telegram_webhook_secret)


async def start_telegram(
    settings: Settings, engine: Engine, pusher: Pusher, media: MediaStore, web_app: web.Application
) -> TelegramChannel:
    """Connect, register commands, and hook into the web server (webhook) or return for polling."""
    api = make_api(settings.telegram_runtime, settings.telegram_token, settings.telegram_api_url)
    await api.start()
    pacer = Pacer(settings.telegram_rate_global, settings.telegram_rate_per_chat, settings.telegram_burst_per_chat,
                  channel=CHANNEL)
    channel = TelegramChannel(api, engine, Sender(api, pacer, media, files=engine.services.files))
    pusher.deliverers[CHANNEL] = channel.deliver_push
    engine.keep_replies(CHANNEL)  # answers survive a crash between the commit and the send
    if settings.telegram_webhook_url:
        secret = webhook_secret(settings)
        channel.webhook_route(web_app, WEBHOOK_PATH, secret)
    return channel


async def register_once(settings: Settings, engine: Engine, channel: TelegramChannel) -> bool:
    """setWebhook and setMyCommands once per deploy (a configuration change), not by every worker."""
    secret = webhook_secret(settings) if settings.telegram_webhook_url else ""
    fingerprint = hashlib.sha256(f"{settings.telegram_webhook_url}|{secret}|{settings.telegram_token}".encode())
    value = fingerprint.hexdigest()
    current = await engine.deploy_state("telegram")
    if current == value:
        return False
    if settings.telegram_webhook_url:
        await channel.api.set_webhook(settings.telegram_webhook_url, secret)
    await channel.setup_commands()
    await engine.put_deploy_state("telegram", value)
    log.info("telegram: %s registered", "webhook" if settings.telegram_webhook_url else "commands")
    return True
