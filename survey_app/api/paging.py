"""Cursor pagination of the API's lists: ``?cursor=&limit=``, ``next_cursor`` and ``Link``.

A list answers ``{"data": [...], "next_cursor": "…" | null}`` and, when there is a next page,
an RFC 8288 ``Link: <…>; rel="next"`` header with the same query and the new cursor. The body
is encoded here from the representations' dicts (``schemas``), which the page schema documents.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Response, current_app, request
from marshmallow import fields
from marshmallow.validate import Length, Range

from survey_app.core import cursors
from survey_app.core.db import db
from survey_app.core.strictjson import StrictSchema, Text
from survey_app.schemas.common import Representation

#: Largest ``limit``; the default one.
MAX_LIMIT = 500
DEFAULT_LIMIT = 100


class PageArgs(StrictSchema):
    """``cursor`` and ``limit`` of every list."""

    cursor = Text(validate=Length(min=1, max=400), metadata={
        "description": "The next_cursor of the previous page (omit for the first page)."})
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=Range(1, MAX_LIMIT), metadata={
        "description": f"Items per page, 1 to {MAX_LIMIT}."})


def listing() -> str:
    """This list under these filters, for its cursors (:mod:`survey_app.core.cursors`): a short
    digest of the path and the query's other arguments, in any order."""
    args = sorted((k, v) for k, v in request.args.items(multi=True)
                  if k not in ("cursor", "limit"))
    return hashlib.sha256(json.dumps([request.path, args]).encode()).hexdigest()[:12]


def page_schema(name: str, item: type[Representation]) -> type[Representation]:
    """The schema of a page of ``item``\\ s (``name``: its OpenAPI component name)."""
    return type(name, (Representation,), {
        "data": fields.List(fields.Nested(item), required=True),
        "next_cursor": fields.String(required=True, allow_none=True, metadata={
            "description": "Pass as ?cursor= for the next page; null on the last one."}),
    })


def page_response(data: list[dict[str, Any]], next_cursor: str | None) -> Response:
    """The page as JSON, with a ``Link`` to the next one."""
    body = json.dumps({"data": data, "next_cursor": next_cursor}, ensure_ascii=False,
                      separators=(",", ":"))
    response = current_app.response_class(body, mimetype="application/json")
    if next_cursor is not None:
        args = [(k, v) for k, v in request.args.items(multi=True) if k != "cursor"]
        url = f"{request.base_url}?{urlencode([*args, ('cursor', next_cursor)])}"
        response.headers["Link"] = f'<{url}>; rel="next"'
    return response


def id_page(query: sa.Select[Any], key: Any, args: dict[str, Any],
            represent: Callable[[Any], dict[str, Any]]) -> Response:
    """The page of ``query``'s objects after the cursor in the order of ``key`` (their id
    column), each as ``represent`` gives it."""
    query = query.order_by(key).limit(args["limit"] + 1)
    if "cursor" in args:
        [after] = cursors.decode(args["cursor"], listing(), (int,))
        query = query.where(key > after)
    found = list(db.session.scalars(query))
    more = len(found) > args["limit"]
    found = found[:args["limit"]]
    return page_response([represent(item) for item in found],
                         cursors.encode(listing(), found[-1].id) if more else None)
