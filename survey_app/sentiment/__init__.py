"""Sentiment feature: score texts from the command line and re-score stored comments."""
