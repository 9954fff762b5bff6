"""Follow-ups: the detractor queue that closes the feedback loop."""
