"""The conversation runner: ordering, de-duplication, state, dispatch to flows, one commit per event."""
