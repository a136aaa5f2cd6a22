"""Domain logic with no chat in it. Parsers raise :class:`Invalid` with a message key."""
