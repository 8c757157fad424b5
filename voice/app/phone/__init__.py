"""The telephone line: SIP calls over RTP, and Asterisk's AudioSocket."""
