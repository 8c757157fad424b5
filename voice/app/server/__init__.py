"""The network front ends: the browser's WebSocket server and the satellites' endpoint."""
