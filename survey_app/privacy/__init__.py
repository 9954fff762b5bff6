"""Personal data across features: erasing a person, and anonymising answers past retention.

A use case above people, invitations, responses, waves and followups (docs/architecture.md):
it is the one place that reaches into all of them.
"""
