"""Parley's dialogue side: the brain Protocol and the brains that implement it."""
