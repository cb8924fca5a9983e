"""The live service: pushes each intraday micro-batch to WebSocket subscribers.

See `marketpulse/live/server.py` for the protocol, and docs/live-service.md.
"""
