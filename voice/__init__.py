"""Parley's audio side: formats, sources and sinks, VAD, STT, TTS, the session and the CLI."""
