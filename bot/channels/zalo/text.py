"""Replies as Zalo messages: choices as a numbered menu, long texts split under the 2,000-character limit at
paragraph, line, sentence or word boundaries, and a menu kept whole in the message it ends."""

from __future__ import annotations

import re

from bot import i18n
from bot.engine import UNNUMBERED, Reply, payload_of

LIMIT = 2000
# From the coarsest boundary to the finest; a piece still too long is cut at the next one.
BOUNDARIES = (re.compile(r"(\n{2,})"), re.compile(r"(\n)"), re.compile(r"((?<=[.!?…;:])\s+)"), re.compile(r"(\s+)"))


def menu(reply: Reply) -> str:
    """"1. Đăng ký tiêm chủng …", answered by number or label; "Quay lại" and "Bỏ qua" by their words."""
    if not reply.choices or reply.detached:  # a notice's answers: its text says which command answers it
        return ""
    locale = reply.locale or i18n.DEFAULT_LOCALE
    # A question that asks for numbers ("1, 7") has its choices typed as words: a number is its answer.
    by_words = [payload_of(c.payload) in UNNUMBERED or not reply.numbered for c in reply.choices]
    numbered = [c.label for c, word in zip(reply.choices, by_words, strict=True) if not word]
    words = [c.label for c, word in zip(reply.choices, by_words, strict=True) if word]
    lines = [f"{n}. {label}" for n, label in enumerate(numbered, 1)]
    if words:
        lines.append(i18n.t(locale, "zalo.also_type", words=" · ".join(f"“{w}”" for w in words)))
    if numbered:
        lines.append(i18n.t(locale, "zalo.menu_hint"))
    return "\n".join(lines)


def messages(reply: Reply, limit: int = LIMIT) -> list[str]:
    """The reply's text and menu as messages of at most ``limit`` characters each."""
    chunks = split(reply.text, limit) if reply.text else []
    block = menu(reply)
    if not block:
        return chunks or [""]
    if chunks and len(chunks[-1]) + 2 + len(block) <= limit:
        chunks[-1] = chunks[-1] + "\n\n" + block
        return chunks
    return chunks + split(block, limit)  # a menu longer than a message is cut between its lines only


def split(text: str, limit: int = LIMIT, level: int = 0) -> list[str]:
    if len(text) <= limit:
        return [text]
    if level == len(BOUNDARIES):
        return [text[i:i + limit] for i in range(0, len(text), limit)]
    parts = BOUNDARIES[level].split(text)  # [piece, separator, piece, …]
    if len(parts) == 1:
        return split(text, limit, level + 1)
    chunks: list[str] = []
    current = ""
    for index in range(0, len(parts), 2):
        piece = parts[index]
        separator = parts[index - 1] if index else ""
        if current and len(current) + len(separator) + len(piece) <= limit:
            current += separator + piece
            continue
        if current:
            chunks.append(current)
        if len(piece) <= limit:
            current = piece
        else:
            *done, current = split(piece, limit, level + 1)
            chunks.extend(done)
    if current:
        chunks.append(current)
    return [c.strip() for c in chunks if c.strip()]
