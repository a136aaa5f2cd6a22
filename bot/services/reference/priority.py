"""The portal's 16 priority groups (decision 3355/QĐ-BYT). Lower code = served first.

Labels live in the catalogs (``priority.short.N`` / ``priority.full.N``); a province that changes the
table changes this tuple and its catalog entries.
"""

from __future__ import annotations

PRIORITY_GROUPS: tuple[int, ...] = tuple(range(1, 17))

ELDER_GROUP = 9  # "chronic disease or over 65": a person of 65 or more is never served after it
ELDER_AGE = 65
