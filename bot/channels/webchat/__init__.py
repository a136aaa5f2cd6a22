"""The local web chat: a page at ``/`` and the JSON API of DESIGN §7. The embedded default channel."""

from bot.channels.webchat.server import CAPABILITIES, create_web_app

__all__ = ["CAPABILITIES", "create_web_app"]
