"""The conversation runner: ordering, de-duplication, state, dispatch to flows, one commit per event.

Channels use only what this package exports: they hand :class:`Incoming` events to :meth:`Engine.handle`,
turn :class:`Reply` objects into platform calls, and register push deliverers with the :class:`Pusher`.
"""

from bot.engine import metrics
from bot.engine.asking import UNNUMBERED, payload_of, secret_question
from bot.engine.background import Background
from bot.engine.keyed_locks import KeyedLocks
from bot.engine.limits import TokenBuckets, retry_after
from bot.engine.pushes import Deliverer, Pusher
from bot.engine.runner import Engine, Outcome, Render, SecretPage
from bot.engine.store import Unavailable
from bot.engine.types import Capabilities, Choice, Incoming, Reply

__all__ = [
    "UNNUMBERED", "Background", "Capabilities", "Choice", "Deliverer", "Engine", "Incoming", "KeyedLocks", "Outcome",
    "Pusher", "Render", "Reply", "SecretPage", "TokenBuckets", "Unavailable", "metrics", "payload_of",
    "retry_after",
    "secret_question",
]
