"""Zalo Bot: the messenger most Vietnamese citizens use. No buttons (numbered menus), pictures by URL only, no
message deletion (passwords are typed on a one-time page of ours, or the chat is linked with a code)."""
