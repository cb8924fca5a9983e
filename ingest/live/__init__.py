"""The live service: pushes each intraday micro-batch to WebSocket subscribers.

See `ingest/live/server.py` for the protocol, and README "Live service".
"""
