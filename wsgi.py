"""WSGI entry point for production servers: ``gunicorn wsgi:app`` (see ``gunicorn.conf.py``)."""

from survey_app import create_app

app = create_app()
