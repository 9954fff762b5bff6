"""Signed webhooks (Standard Webhooks) and Slack / Microsoft Teams alerts: outbox, delivery,
SSRF-safe outbound HTTP, the settings pages (docs/webhooks.md)."""
