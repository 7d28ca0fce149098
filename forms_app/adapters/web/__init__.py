"""The Flask web app: `create_app()` (flaskr's pattern) and one blueprint per module."""

from forms_app.adapters.web.app import create_app

__all__ = ["create_app"]
