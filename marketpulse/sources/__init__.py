"""dlt sources, one package per source; client.py in each is the network boundary."""
