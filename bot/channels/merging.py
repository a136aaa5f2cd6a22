"""Fewer messages for the same words: a reply of several plain texts followed by a question ("Đã lưu." then
the menu) goes out as one message where the messenger's length limit allows.

Each message to a private chat costs a pacing slot (about one a second after a short burst), so a greeting and
its menu sent as two messages make the second wait; as one message they arrive together and cost one slot.
"""

from __future__ import annotations

from dataclasses import replace

from bot.engine import Reply

GLUE = "\n\n"


def _plain(reply: Reply) -> bool:
    """A text with nothing attached: it can lead another message's text."""
    return not (reply.choices or reply.image_key or reply.document_key or reply.request_contact or reply.keypad
                or reply.secret_link or reply.detached)


def merge(replies: list[Reply], max_text: int) -> list[Reply]:
    """Join each plain text to the message after it (texts only, never a picture's caption) while the result
    stays within ``max_text``; order, buttons and the "delete the password" flag are kept."""
    merged: list[Reply] = []
    for reply in replies:
        previous = merged[-1] if merged else None
        if (previous is not None and _plain(previous) and not reply.image_key and not reply.document_key
                and len(previous.text) + len(GLUE) + len(reply.text) <= max_text):
            merged[-1] = replace(reply, text=previous.text + GLUE + reply.text,
                                 delete_incoming=previous.delete_incoming or reply.delete_incoming)
        else:
            merged.append(reply)
    return merged
