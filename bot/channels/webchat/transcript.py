"""How the web chat keeps and shows a bot message: the JSON object of DESIGN §7 (without its id)."""

from __future__ import annotations

from typing import Any

from bot.engine import Incoming, Reply

CHANNEL = "web"
MEDIA_PATH = "/api/media/{token}.png"  # under /api/: the session cookie goes with it, and only its chat sees it


def render(reply: Reply) -> dict[str, Any]:
    return {
        "text": reply.text,
        "choices": [{"label": c.label, "payload": c.payload} for c in reply.choices],
        "image_url": MEDIA_PATH.format(token=reply.image_key) if reply.image_key else None,
        "secret_prompt": reply.secret_prompt,
        "request_contact": reply.request_contact,
        "keypad": reply.keypad,
        "autocomplete": reply.autocomplete,
        "detached": reply.detached,
        "document_url": f"/api/files/{reply.document_key}" if reply.document_key else None,
        "document_name": reply.document_name,
        "locale": reply.locale,  # the page's own words follow the chat's language
    }


def render_mine(incoming: Incoming, secret: bool) -> dict[str, Any] | None:
    """What the person sent, kept beside the answers (a reloaded page shows the whole exchange): a password
    never, only a mark that one was sent; a button by its label; a picture or a file by its name."""
    if secret:
        return {"mine": True, "hidden": True}  # the page says "(hidden)" in its language
    if incoming.photo is not None:
        text = "📷"
    elif incoming.document is not None:
        text = f"📎 {incoming.document_name}"
    else:
        text = incoming.shown or incoming.text or ""
    return {"mine": True, "text": text} if text else None


def as_json(reply: Reply) -> dict[str, Any]:
    """A reply as the API answers it: its transcript id first."""
    return {"id": reply.id, **render(reply)}
