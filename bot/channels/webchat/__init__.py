"""The local web chat: a page at ``/`` and the JSON API of DESIGN §7. The embedded default channel.

``server`` (aiohttp) is imported only when the page is served; ``transcript`` is how its messages are kept.
"""
