"""Invitations: one person asked in one survey, through a secret personal link."""
