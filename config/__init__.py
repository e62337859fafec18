"""Kyodo's configuration, read once from ``KYODO_`` environment variables."""

from config.settings import Settings, get_settings  # noqa: F401
