"""The build job: dbt build on the configured warehouse, recorded in the run audit; the summary."""
