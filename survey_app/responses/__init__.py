"""Responses: answers, their category and sentiment."""
