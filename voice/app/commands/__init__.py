"""The CLI's local commands: chat, demo, talk and memory."""
