"""How the web chat keeps and shows a bot message: the JSON object of DESIGN §7 (without its id)."""

from __future__ import annotations

from typing import Any

from bot.engine import Reply

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
    }


def as_json(reply: Reply) -> dict[str, Any]:
    """A reply as the API answers it: its transcript id first."""
    return {"id": reply.id, **render(reply)}
