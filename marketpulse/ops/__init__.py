"""Run audit, health, alerts, retention and BI grants: what keeps the platform running unattended."""
