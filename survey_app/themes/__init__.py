"""Themes of comments and free-text answers: stored tags, a survey's own themes and terms."""
