"""Reading a JSON body strictly (webargs parser of every API blueprint).

Before marshmallow sees anything: the content type must be JSON (415), the body within
``MAX_CONTENT_LENGTH`` (413, raised by Werkzeug while reading), UTF-8 (400), JSON (400) without
a key twice in one object, nested at most 32 deep (400); ``NaN``/``Infinity`` become a value
every field refuses (422 naming the field) — see :mod:`survey_app.core.strictjson`.
"""

from __future__ import annotations

import json
from typing import Any

import flask
from webargs import core
from webargs.flaskparser import FlaskParser

from survey_app.api.errors import refuse
from survey_app.core.strictjson import BadTextError, DuplicateKeyError, TooDeepError, loads


class StrictParser(FlaskParser):
    """webargs' Flask parser with :func:`survey_app.core.strictjson.loads` for bodies."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not core.is_json(req.mimetype):
            refuse(415, "Send the body as JSON with 'Content-Type: application/json'.",
                   headers={"Accept-Post": "application/json"})
        data = req.get_data(cache=True)
        try:
            return loads(data)
        except UnicodeDecodeError:
            refuse(400, "The body is not valid UTF-8.", slug="invalid-json")
        except DuplicateKeyError as error:
            refuse(400, f"Invalid JSON: {error}.", slug="invalid-json")
        except (BadTextError, TooDeepError) as error:
            refuse(400, f"Invalid JSON: {error}.", slug="invalid-json")
        except json.JSONDecodeError as error:
            refuse(400, f"Invalid JSON: {error.msg} (line {error.lineno}, column "
                        f"{error.colno}).", slug="invalid-json")
