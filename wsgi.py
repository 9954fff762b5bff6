"""WSGI entry point for production servers: ``gunicorn -w 4 wsgi:app``."""

from survey_app import create_app

app = create_app()
