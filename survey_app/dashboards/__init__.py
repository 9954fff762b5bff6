"""Per-survey dashboards: metrics, anonymity rules, charts, CSV export."""
