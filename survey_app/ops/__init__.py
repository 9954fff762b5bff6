"""Running Polso: metrics for Prometheus, database backups and restores."""
