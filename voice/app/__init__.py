"""The application shell: the CLI, the wiring of parts, the front ends and the measurements."""
