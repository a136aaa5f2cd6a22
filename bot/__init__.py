"""sskdt-bot: vaccination registration over messengers."""
