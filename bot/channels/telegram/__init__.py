"""Telegram: one adapter contract (:class:`TelegramApi`) with two runtimes, aiogram (default) and
python-telegram-bot. The libraries are imported only when Telegram is configured (aiogram alone takes
seconds to import)."""
