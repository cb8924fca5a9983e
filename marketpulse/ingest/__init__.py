"""The ingest job: load the configured sources into the warehouse's raw schemas through dlt."""
