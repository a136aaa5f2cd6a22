"""The engine's own rows: conversations (state, update keys, transcripts), web sessions, one-time password
links and the deployment's shared facts. Only the engine (and the app that builds it) uses them."""
