"""Waves: sending a survey to an audience by e-mail, reminders, recurring rounds, delivery."""
