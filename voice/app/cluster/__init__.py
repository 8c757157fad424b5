"""Parley on several machines: HAProxy in front, each restaurant owned by one worker, replicated."""
