"""Surveys, their questions and waves."""
