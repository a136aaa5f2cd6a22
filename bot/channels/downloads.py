"""Files handed to a chat, as downloads (web chat: to the session's chat; Zalo: by an unguessable link)."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

CONTENT_TYPES = {".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 ".csv": "text/csv; charset=utf-8", ".png": "image/png"}


def file_response(data: bytes, name: str) -> web.Response:
    """A file as a download, named in UTF-8 (RFC 6266), never kept by a browser or a proxy."""
    suffix = name[name.rfind("."):].lower() if "." in name else ""
    ascii_name = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._-") else "_" for ch in name) or "file"
    return web.Response(body=data, headers={
        "Content-Type": CONTENT_TYPES.get(suffix, "application/octet-stream"),
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}",
        "Cache-Control": "no-store"})
