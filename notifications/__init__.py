"""Notices and reminders: the outbox relay, delivery, reminder scans (Celery), templates, mail."""
