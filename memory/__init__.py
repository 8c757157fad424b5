"""Parley's persistent memory on SQLite: reservations now; people, sessions and facts next."""
