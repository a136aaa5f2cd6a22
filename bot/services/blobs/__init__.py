"""Bytes kept or read apart: QR pictures (media), files handed to a chat, uploads read in bounded processes,
and the fork server those processes come from."""
